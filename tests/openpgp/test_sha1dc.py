"""SHA-1 with collision detection (:mod:`pgpsig.openpgp.sha1dc`).

The digest is hashlib's on every input (known answers, 10,000 seeded random inputs fed in random
splits); the verdict flags the SHAttered PDFs (shared conformance data), the "SHA-1 is a Shambles"
chosen-prefix pair and, only in reduced-round mode, the reference's reduced-step collision
(``vectors/sha1dc/``, see vectors/README.md), and nothing else: not the PDFs' common prefix, not
a collision block with one bit flipped, not random data. The generated block function is checked
against a plain evaluation of the condition table, and the disturbance vectors' derived message
differences against a digest of the reference implementation's table.
"""

from __future__ import annotations

import hashlib
import random
import struct
from pathlib import Path

import pytest

from pgpsig.openpgp import sha1dc
from pgpsig.openpgp.sha1dc import SHA1DC, detect

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "sha1dc"
SHATTERED = ("openpgp", "interop-suite", "shattered")
MASK = 0xFFFFFFFF


# -- the digest is SHA-1's ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "hexdigest"),
    [
        (b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
        ),
        (
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            b"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "a49b2446a02c645bf419f995b67091253a04a259",
        ),
        (b"a" * 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
    ],
    ids=["empty", "abc", "448-bit", "896-bit", "million-a"],
)
def test_known_answers(data: bytes, hexdigest: str) -> None:
    h = SHA1DC(data)
    assert h.hexdigest() == hexdigest
    assert h.digest() == bytes.fromhex(hexdigest)
    assert not h.collision
    assert detect(data) == (bytes.fromhex(hexdigest), False)


def test_hashlib_interface() -> None:
    h = SHA1DC()
    assert (h.name, h.digest_size, h.block_size) == ("sha1", 20, 64)
    assert h.digest() == hashlib.sha1(b"").digest()
    h.update(b"ab")
    h.update(bytearray(b"c"))
    h.update(memoryview(b"--def")[2:])
    assert h.digest() == hashlib.sha1(b"abcdef").digest()
    assert h.digest() == h.digest()  # digest() does not consume the state


def test_copy_is_independent() -> None:
    h = SHA1DC(b"x" * 100)
    c = h.copy()
    c.update(b"more")
    assert h.digest() == hashlib.sha1(b"x" * 100).digest()
    assert c.digest() == hashlib.sha1(b"x" * 100 + b"more").digest()


def _split(rng: random.Random, data: bytes) -> list[bytes]:
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(4)))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]


def test_equals_hashlib_on_10000_random_inputs() -> None:
    """Property: random lengths (mostly around the 55/56/64-byte padding edges), random splits."""
    rng = random.Random(0x5A1DC)
    for n in range(10_000):
        size = rng.choice((rng.randrange(200), rng.randrange(64 * 20), 64 * rng.randrange(8) - 9))
        data = rng.randbytes(max(size, 0))
        h = SHA1DC()
        for part in _split(rng, data):
            h.update(part)
        verdict = h.verdict()
        assert verdict.digest == hashlib.sha1(data).digest(), (n, len(data))
        assert verdict.collision is False, (n, len(data))


def test_long_inputs_across_batches() -> None:
    """Inputs around and over the batch size, fed whole and in random pieces."""
    rng = random.Random(1)
    batch = sha1dc._BATCH
    for size in (batch - 1, batch, batch + 1, 3 * batch + 100):
        data = rng.randbytes(size)
        assert detect(data) == (hashlib.sha1(data).digest(), False)
        h = SHA1DC()
        for part in _split(rng, data):
            h.update(part)
        assert h.digest() == hashlib.sha1(data).digest()


# -- the verdict --------------------------------------------------------------------------------


def _vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def test_sha_mbles_chosen_prefix_pair_detected() -> None:
    one, two = _vector("sha-mbles-1.bin"), _vector("sha-mbles-2.bin")
    assert one != two
    assert hashlib.sha1(one).digest() == hashlib.sha1(two).digest()  # a real collision
    for data in (one, two):
        assert detect(data) == (hashlib.sha1(data).digest(), True)


def test_reduced_round_collision_only_in_reduced_round_mode() -> None:
    data = _vector("sha1_reducedsha_coll.bin")
    assert detect(data) == (hashlib.sha1(data).digest(), False)
    assert SHA1DC(data, reduced_round=True).collision


def test_verdict_is_sticky_and_found_in_the_collision_block() -> None:
    data = _vector("sha-mbles-1.bin")
    h = SHA1DC()
    flags = []
    for i in range(0, len(data), 64):
        h.update(data[i : i + 64])
        flags.append(h.collision)
    assert flags == [False] * 9 + [True]  # the second near-collision block is the last one
    h.update(b"anything after it")
    assert h.collision


def test_one_flipped_bit_in_a_collision_block_is_not_detected() -> None:
    data = bytearray(_vector("sha-mbles-1.bin"))
    data[9 * 64 + 10] ^= 0x01
    assert detect(bytes(data)).collision is False


@pytest.fixture(scope="module")
def shattered(conformance: Path) -> tuple[bytes, bytes]:
    folder = conformance.joinpath(*SHATTERED)
    if not (folder / "shattered-1.pdf").is_file():
        pytest.skip(f"the SHAttered PDFs are not in the conformance data ({'/'.join(SHATTERED)})")
    return (folder / "shattered-1.pdf").read_bytes(), (folder / "shattered-2.pdf").read_bytes()


def test_shattered_pdfs_detected(shattered: tuple[bytes, bytes]) -> None:
    one, two = shattered
    assert one != two
    assert hashlib.sha1(one).digest() == hashlib.sha1(two).digest()
    for data in (one, two):
        assert detect(data) == (hashlib.sha1(data).digest(), True)


def test_shattered_common_prefix_not_detected(shattered: tuple[bytes, bytes]) -> None:
    one, two = shattered
    prefix = 0
    while one[prefix] == two[prefix]:
        prefix += 1
    assert prefix == 192  # the near-collision blocks are blocks 3 and 4 (bytes 192..319)
    assert detect(one[:192]).collision is False
    assert detect(one[:256]).collision is False  # first near-collision block alone
    assert detect(one[:320]).collision is True  # with the second one


# -- internals: the generated code and the vectors' tables ------------------------------------


def _expand(block: tuple[int, ...]) -> list[int]:
    w = list(block)
    for t in range(16, 80):
        x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
        w.append(((x << 1) | (x >> 31)) & MASK)
    return w


@pytest.mark.parametrize("count", [1, 2, 300])
def test_expansion_of_many_blocks_at_once(count: int) -> None:
    """The lane-parallel expansion equals the word-by-word one (edges: all-ones, zero blocks)."""
    rng = random.Random(count)
    blocks = [b"\xff" * 64, *(rng.randbytes(64) for _ in range(count - 2)), b"\x00" * 64]
    data = b"".join(blocks[:count])
    expected = [
        tuple(_expand(struct.unpack(">16I", data[i : i + 64]))) for i in range(0, len(data), 64)
    ]
    assert [row[1:] for row in sha1dc._expanded(data)] == expected


def _conditions_mask(w: list[int]) -> int:
    mask = MASK
    for x, i, y, j, v, vectors in sha1dc._CONDITIONS:
        if ((w[x] >> i) ^ (w[y] >> j)) & 1 != v:
            mask &= ~vectors
    return mask


def test_condition_masks_match_the_table() -> None:
    """The lane-parallel masks equal a plain evaluation of the table, and the generated loop
    recompresses exactly the blocks with a mask (with that mask and their expanded words).

    Blocks: random ones (a few percent pass some vector's conditions) and the collision blocks of
    the Shambles pair with random bits flipped (most pass, in many patterns).
    """
    rng = random.Random(7)
    blocks = [rng.randbytes(64) for _ in range(3000)]
    for data in (_vector("sha-mbles-1.bin"), _vector("sha-mbles-2.bin")):
        for near in (data[8 * 64 : 9 * 64], data[9 * 64 :]):
            for _ in range(300):
                flipped = bytearray(near)
                for _ in range(rng.randrange(3)):
                    flipped[rng.randrange(64)] ^= 1 << rng.randrange(8)
                blocks.append(bytes(flipped))
    words = [tuple(_expand(struct.unpack(">16I", b))) for b in blocks]
    masks = [_conditions_mask(list(w)) for w in words]
    rows = list(sha1dc._expanded(b"".join(blocks)))
    assert rows == [(m, *w) for m, w in zip(masks, words, strict=True)]
    assert 50 < sum(1 for m in masks if m) < len(blocks)

    seen: list[tuple[int, tuple[int, ...]]] = []

    def record(mask: int, words: tuple[int, ...], *_: object, **__: object) -> bool:
        seen.append((mask, words))
        return False

    sha1dc._compile_blocks(record)(sha1dc._IV, iter(rows), False)
    assert seen == [(m, w) for m, w in zip(masks, words, strict=True) if m]


def test_disturbance_vector_differences() -> None:
    vectors = sha1dc._vectors()
    assert len(vectors) == 32
    assert [v.bit for v in vectors] == [1 << n for n in range(32)]
    for v in vectors:
        # A message difference is itself an expanded message (the expansion is linear).
        d = v.difference
        assert all(
            d[t] == (((x := d[t - 3] ^ d[t - 8] ^ d[t - 14] ^ d[t - 16]) << 1) | (x >> 31)) & MASK
            for t in range(16, 80)
        )
    # The derived table, byte for byte, is the reference implementation's (its 32 x 80 words).
    table = b"".join(struct.pack(">80I", *v.difference) for v in vectors)
    assert (
        hashlib.sha256(table).hexdigest()
        == "0c9ab8736a839581a5716b66bace5048fdde4984d63006f71affeac30f99e199"
    )
    # Recompression from step 58 for I(K, b) and II(K, b) with K < 50, from step 65 for the rest.
    assert [v.test_step for v in vectors].count(58) == 18


def test_condition_table_covers_every_vector() -> None:
    covered = 0
    for x, i, y, j, v, vectors in sha1dc._CONDITIONS:
        assert 0 <= x < 80 and 0 <= y < 80 and 0 <= i < 32 and 0 <= j < 32 and v in (0, 1)
        assert 0 < vectors <= MASK
        covered |= vectors
    assert covered == MASK
    assert len(sha1dc._CONDITIONS) == len({c[:5] for c in sha1dc._CONDITIONS}) == 156
