"""SHA-1 with collision detection: the digest hashlib gives, plus whether the input carries a collision attack.

This module owns pgpsig's SHA-1 counter-cryptanalysis. It is a pure-Python port of the semantics of
sha1collisiondetection (Marc Stevens and Dan Shumow, MIT licence; the library Git and Sequoia use),
written from its published description and source, not copied. Every 64-byte block is compressed
as usual; then the expanded message words W[0..79] are checked against the unavoidable bit
conditions of the 32 disturbance vectors the reference covers (I(43..52, 0|2), II(45..56, 0|2)).
A disturbance vector whose conditions all hold is tested by recompression: the block's message
XOR the vector's message difference is run backwards and forwards from the internal state stored
at the vector's test step (58 or 65); when that yields the same output IHV as the real block, the
block is one half of a near-collision pair built on that vector, so the input is a collision attack
(SHAttered, the chosen-prefix collisions of "SHA-1 is a Shambles", and any other attack using
these vectors; the reference puts the false-positive probability below 2^-90).

The vectors' message differences are computed here from their definition (type I(K, b): one bit
b in word K+15 of an otherwise zero 16-word window starting at K; type II(K, b): bit b in word
K+15 and bit b-1 (mod 32) in word K+3 of the window starting at K+2, extended both ways by the
message expansion, then spread into a local collision per disturbance); the unavoidable bit
conditions are a table of relations "bit i of W[x] XOR bit j of W[y] equals v" and the vectors they
concern, the reference's conditions as data.

The choice pgpsig makes: the reference by default also "safe-hashes" (after a detection it changes
the state so that the output is no longer the SHA-1 digest). pgpsig does not: :meth:`SHA1DC.digest`
is always the real SHA-1 digest (equal to :func:`hashlib.sha1`), and the verdict is separate
(:attr:`SHA1DC.collision`). A signature check refuses a detected collision itself, with the clear
reason :data:`COLLISION_REASON`, whatever the policy and whatever the digest comparison says: the
SHA-1 hash objects of signature digests (:func:`pgpsig.openpgp.signature.new_hash`) are
:class:`pgpsig.openpgp.sha1sig.SignatureSHA1`, whose ``digest()`` raises
:class:`~pgpsig.errors.SignatureError` instead.
A safe-hash would only turn the attack into an unexplained digest mismatch.

Speed: the message expansion and the condition checks run on 1,024 blocks at once, one 32-bit
lane of a big integer per block (``_expanded``); the 80 steps are generated once per process as
one straight-line Python function over local variables (``_block_function``), and so is the
recompression (``_recompression``), which only a block whose conditions hold for some vector (a
few percent of random blocks) pays for.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable
from functools import cache

from pgpsig._dataclass import NamedTuple

__all__ = ["COLLISION_REASON", "SHA1DC", "Verdict", "detect"]

#: Why a signature over data carrying a SHA-1 collision attack is bad, whatever the policy.
COLLISION_REASON = "SHA-1 collision attack detected"

_MASK = 0xFFFFFFFF
_IV = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
_ROUND_CONSTANTS = (0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6)
_BATCH = 1 << 16  # bytes buffered before compressing, and compressed at once: 1,024 blocks

# The disturbance vectors checked, in the notation of the literature (type I or II, K, b);
# vector n owns bit n of a condition mask.
_VECTOR_NAMES = (
    "I(43,0)",
    "I(44,0)",
    "I(45,0)",
    "I(46,0)",
    "I(46,2)",
    "I(47,0)",
    "I(47,2)",
    "I(48,0)",
    "I(48,2)",
    "I(49,0)",
    "I(49,2)",
    "I(50,0)",
    "I(50,2)",
    "I(51,0)",
    "I(51,2)",
    "I(52,0)",
    "II(45,0)",
    "II(46,0)",
    "II(46,2)",
    "II(47,0)",
    "II(48,0)",
    "II(49,0)",
    "II(49,2)",
    "II(50,0)",
    "II(50,2)",
    "II(51,0)",
    "II(51,2)",
    "II(52,0)",
    "II(53,0)",
    "II(54,0)",
    "II(55,0)",
    "II(56,0)",
)

# Unavoidable bit conditions: (x, i, y, j, v, vectors): every vector in the mask ``vectors``
# requires bit i of W[x] XOR bit j of W[y] to equal v. Ordered so that a random block's mask
# empties early (about 54 rows on average).
_CONDITIONS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (44, 29, 45, 29, 0, 0x0283A080),
    (43, 4, 46, 29, 0, 0x08080225),
    (44, 4, 47, 29, 0, 0x1010088A),
    (48, 29, 49, 29, 0, 0x60A08004),
    (47, 4, 50, 29, 0, 0x82012220),
    (36, 1, 37, 6, 1, 0x00041040),
    (46, 29, 47, 29, 0, 0x18180801),
    (39, 1, 40, 6, 1, 0x00401010),
    (40, 1, 41, 6, 1, 0x01004040),
    (41, 1, 42, 6, 1, 0x04040100),
    (40, 29, 41, 29, 0, 0x800A00A2),
    (47, 29, 48, 29, 0, 0x30302002),
    (49, 29, 50, 29, 0, 0xC2810008),
    (45, 6, 47, 6, 0, 0x00004440),
    (44, 6, 46, 6, 0, 0x00001110),
    (45, 4, 48, 29, 0, 0x20202224),
    (46, 4, 49, 29, 0, 0x40808888),
    (45, 29, 46, 29, 0, 0x0A0A8200),
    (35, 1, 36, 6, 1, 0x00000410),
    (41, 6, 42, 1, 0, 0x01004000),
    (42, 6, 43, 1, 0, 0x04040000),
    (37, 4, 40, 29, 0, 0x50020021),
    (40, 4, 43, 29, 0, 0x8020080A),
    (40, 6, 41, 1, 0, 0x00401000),
    (41, 4, 44, 29, 0, 0x00812025),
    (50, 4, 53, 29, 0, 0x20128800),
    (37, 1, 38, 6, 1, 0x00004100),
    (43, 6, 45, 6, 0, 0x00000440),
    (46, 6, 47, 1, 0, 0x01000010),
    (38, 4, 41, 29, 0, 0xA0080082),
    (39, 4, 42, 29, 0, 0x40100205),
    (44, 1, 45, 6, 1, 0x00404000),
    (47, 6, 48, 1, 0, 0x04000040),
    (50, 29, 51, 29, 0, 0x8A020020),
    (43, 29, 44, 29, 0, 0x00A12820),
    (42, 4, 45, 29, 0, 0x0202808A),
    (42, 6, 44, 6, 0, 0x00000110),
    (48, 6, 50, 6, 0, 0x00041000),
    (52, 29, 53, 29, 0, 0x30110200),
    (47, 6, 49, 6, 0, 0x00004400),
    (51, 29, 52, 29, 0, 0x18080080),
    (36, 0, 41, 30, 1, 0x00400000),
    (37, 0, 42, 30, 1, 0x01000000),
    (38, 0, 43, 30, 1, 0x04000000),
    (42, 29, 43, 29, 0, 0x00300A08),
    (39, 4, 41, 4, 1, 0x40000005),
    (46, 6, 48, 6, 0, 0x00001100),
    (61, 2, 62, 7, 1, 0x00040010),
    (54, 29, 55, 29, 0, 0xC0882000),
    (48, 4, 51, 29, 0, 0x08028880),
    (37, 5, 41, 30, 0, 0x00400000),
    (38, 1, 40, 1, 1, 0x00000400),
    (38, 5, 42, 30, 0, 0x01000000),
    (39, 5, 43, 30, 0, 0x04000000),
    (49, 4, 52, 29, 0, 0x10092200),
    (50, 6, 51, 1, 0, 0x00041000),
    (53, 29, 54, 29, 0, 0x60220800),
    (40, 4, 42, 4, 1, 0x8000000A),
    (41, 29, 42, 29, 0, 0x00180284),
    (39, 6, 40, 1, 0, 0x00000400),
    (41, 6, 43, 6, 0, 0x00000040),
    (45, 6, 46, 1, 0, 0x00400000),
    (45, 1, 47, 1, 1, 0x01000000),
    (46, 1, 48, 1, 1, 0x04000000),
    (48, 6, 49, 1, 0, 0x00000100),
    (55, 29, 56, 29, 0, 0x82108000),
    (37, 4, 39, 4, 1, 0x50000001),
    (36, 4, 38, 4, 1, 0x28000000),
    (36, 4, 40, 29, 0, 0x00110208),
    (44, 29, 46, 29, 1, 0x00000025),
    (35, 5, 39, 30, 0, 0x00004000),
    (40, 6, 42, 6, 0, 0x00000010),
    (42, 1, 50, 1, 1, 0x00000400),
    (47, 1, 51, 1, 1, 0x00040000),
    (50, 1, 54, 1, 1, 0x00400000),
    (51, 4, 54, 29, 0, 0x40282000),
    (51, 1, 55, 1, 1, 0x01000000),
    (52, 1, 56, 1, 1, 0x04000000),
    (54, 4, 57, 29, 0, 0x08800000),
    (62, 2, 63, 7, 1, 0x00000040),
    (63, 2, 64, 7, 1, 0x00000100),
    (38, 4, 40, 4, 1, 0xA0000002),
    (39, 4, 43, 29, 0, 0x02008000),
    (45, 29, 47, 29, 1, 0x0000008A),
    (37, 1, 37, 6, 0, 0x00004000),
    (43, 1, 51, 1, 1, 0x00001000),
    (49, 6, 50, 1, 0, 0x00000400),
    (51, 6, 53, 6, 0, 0x00400000),
    (52, 4, 55, 29, 0, 0x80908000),
    (52, 6, 54, 6, 0, 0x01000000),
    (53, 4, 56, 29, 0, 0x02200000),
    (53, 6, 55, 6, 0, 0x04000000),
    (60, 0, 61, 5, 1, 0x00010004),
    (55, 4, 58, 29, 0, 0x12000000),
    (56, 4, 59, 29, 0, 0x28000000),
    (46, 29, 48, 29, 1, 0x00000224),
    (47, 29, 49, 29, 1, 0x00000888),
    (50, 29, 52, 29, 1, 0x00012200),
    (49, 6, 51, 6, 0, 0x00004000),
    (51, 29, 54, 29, 1, 0x000A0800),
    (53, 6, 54, 1, 0, 0x00400000),
    (54, 6, 55, 1, 0, 0x01000000),
    (55, 6, 56, 1, 0, 0x04000000),
    (56, 29, 57, 29, 0, 0x08200000),
    (57, 29, 58, 29, 0, 0x10800000),
    (58, 0, 63, 30, 1, 0x00000001),
    (53, 29, 56, 29, 1, 0x00308000),
    (48, 29, 50, 29, 1, 0x00002220),
    (35, 4, 39, 29, 0, 0x00080084),
    (51, 6, 52, 1, 0, 0x00004000),
    (56, 29, 59, 29, 1, 0x0A000000),
    (59, 5, 63, 30, 0, 0x00000001),
    (59, 0, 64, 30, 1, 0x00000002),
    (61, 0, 62, 5, 1, 0x00020008),
    (38, 4, 42, 29, 0, 0x00802000),
    (58, 29, 59, 29, 0, 0x22000000),
    (63, 1, 64, 6, 1, 0x00010004),
    (49, 29, 51, 29, 1, 0x00008880),
    (41, 3, 45, 28, 0, 0x10000000),
    (43, 3, 47, 28, 0, 0x40000000),
    (60, 5, 64, 30, 0, 0x00000002),
    (61, 1, 62, 6, 1, 0x00000001),
    (37, 4, 41, 29, 0, 0x00200800),
    (62, 0, 63, 5, 1, 0x00080020),
    (37, 30, 42, 28, 1, 0x00800000),
    (39, 30, 44, 28, 1, 0x08000000),
    (41, 4, 45, 29, 0, 0x10000000),
    (42, 3, 46, 28, 0, 0x20000000),
    (43, 4, 47, 29, 0, 0x40000000),
    (44, 3, 48, 28, 0, 0x80000000),
    (48, 29, 55, 29, 1, 0x0000A000),
    (62, 1, 63, 6, 1, 0x00000002),
    (63, 0, 64, 5, 1, 0x00100080),
    (35, 3, 39, 28, 0, 0x00082000),
    (36, 30, 41, 28, 1, 0x00200000),
    (38, 3, 42, 28, 0, 0x00800000),
    (38, 30, 43, 28, 1, 0x02000000),
    (40, 3, 44, 28, 0, 0x08000000),
    (42, 4, 46, 29, 0, 0x20000000),
    (44, 4, 48, 29, 0, 0x80000000),
    (57, 4, 61, 29, 0, 0x10000000),
    (57, 4, 59, 29, 0, 0x40000000),
    (35, 30, 40, 28, 1, 0x00100000),
    (36, 4, 37, 4, 1, 0x00000800),
    (37, 3, 41, 28, 0, 0x00200000),
    (38, 4, 39, 4, 1, 0x00008000),
    (39, 3, 43, 28, 0, 0x02000000),
    (40, 4, 44, 29, 0, 0x08000000),
    (55, 29, 58, 29, 1, 0x00800000),
    (58, 29, 61, 29, 1, 0x10000000),
    (58, 4, 62, 29, 0, 0x20000000),
    (59, 4, 63, 29, 0, 0x40000000),
    (60, 4, 64, 29, 0, 0x80000000),
    (36, 3, 40, 28, 0, 0x00100000),
    (37, 4, 38, 4, 1, 0x00002000),
    (59, 29, 60, 29, 0, 0x08000000),
)


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def _expand_both_ways(window: list[int], start: int) -> dict[int, int]:
    """The word sequence through the 16 words ``window`` at ``start``, at positions -5..79."""
    words = {start + i: w for i, w in enumerate(window)}
    for t in range(start + 16, 80):
        words[t] = _rol(words[t - 3] ^ words[t - 8] ^ words[t - 14] ^ words[t - 16], 1)
    for t in range(start - 1, -6, -1):
        words[t] = _rol(words[t + 16], 31) ^ words[t + 13] ^ words[t + 8] ^ words[t + 2]
    return words


def _message_difference(kind: int, k: int, b: int) -> tuple[int, ...]:
    """The expanded-message XOR difference of disturbance vector I(k, b) (kind 1) or II(k, b)."""
    window = [0] * 16
    if kind == 1:
        start = k
        window[15] = 1 << b
    else:
        start = k + 2
        window[1] = _rol(1 << b, 31)
        window[13] = 1 << b
    dv = _expand_both_ways(window, start)
    # A disturbance at step t is corrected at t+1 (rotated by 5), t+2, and t+3..t+5 (rotated by 30).
    return tuple(
        dv[t] ^ _rol(dv[t - 1], 5) ^ dv[t - 2] ^ _rol(dv[t - 3] ^ dv[t - 4] ^ dv[t - 5], 30)
        for t in range(80)
    )


class _Vector(NamedTuple):
    bit: int
    test_step: int
    difference: tuple[int, ...]


@cache
def _vectors() -> tuple[_Vector, ...]:
    vectors = []
    for n, name in enumerate(_VECTOR_NAMES):
        kind, _, numbers = name.rstrip(")").partition("(")
        k, b = numbers.split(",")
        test_step = 58 if int(k) < 50 else 65
        difference = _message_difference(len(kind), int(k), int(b))
        vectors.append(_Vector(1 << n, test_step, difference))
    return tuple(vectors)


_Recompress = Callable[[tuple[int, ...], list[int]], tuple[tuple[int, ...], tuple[int, ...]]]


@cache
def _recompression(step: int) -> _Recompress:
    """From the working state before ``step`` and a message: (input IHV, output IHV), unrolled.

    The steps before ``step`` run backwards (undo the rotation of b, subtract from e), the others
    forwards, as in :func:`_compile_blocks`.
    """
    src = ["def recompress(state, w):", "    a, b, c, d, e = state"]
    roles = ("a", "b", "c", "d", "e")
    for t in range(step - 1, -1, -1):
        roles = (roles[1], roles[2], roles[3], roles[4], roles[0])
        a, b, c, d, e = roles
        src.append(f"    {b} = ((({b} >> 30) | ({b} << 2))) & 4294967295")
        src.append(
            f"    {e} = ({e} - (({a} << 5) | ({a} >> 27)) - {_f_source(t, b, c, d)}"
            f" - {_ROUND_CONSTANTS[t // 20]} - w[{t}]) & 4294967295"
        )
    src.append("    ihv = (" + ", ".join(roles) + ")")
    src.append("    a, b, c, d, e = state")
    roles = ("a", "b", "c", "d", "e")
    for t in range(step, 80):
        src.extend(_step_source(t, roles, word=f"w[{t}]"))
        roles = (roles[4], roles[0], roles[1], roles[2], roles[3])
    out = [f"(ihv[{n}] + {v}) & 4294967295" for n, v in enumerate(roles)]
    src.append("    return ihv, (" + ", ".join(out) + ")")
    namespace: dict[str, object] = {}
    exec(compile("\n".join(src), f"<sha1dc recompress {step}>", "exec"), namespace)  # noqa: S102 - our own source
    function = namespace["recompress"]
    assert callable(function)
    return function


def _collision_block(
    mask: int,
    words: tuple[int, ...],
    states: dict[int, tuple[int, ...]],
    ihv_in: tuple[int, ...],
    ihv_out: tuple[int, ...],
    *,
    reduced_round: bool,
) -> bool:
    """Whether a vector whose conditions hold (bits of ``mask``) turns the block into a collision."""
    for vector in _vectors():
        if not mask & vector.bit:
            continue
        other = [x ^ y for x, y in zip(words, vector.difference, strict=True)]
        back, out = _recompression(vector.test_step)(states[vector.test_step], other)
        if out == ihv_out or (reduced_round and back == ihv_in):
            return True
    return False


def _lanes(n: int, word: int) -> int:
    """``word`` in each of ``n`` 32-bit lanes of one integer."""
    return int.from_bytes(word.to_bytes(4, sys.byteorder) * n, sys.byteorder)


def _expanded(blocks: bytes) -> Iterable[tuple[int, ...]]:
    """Each 64-byte block of ``blocks`` as (mask, its 80 expanded message words).

    Bit n of the mask is set when the block meets every condition of vector n. Both run on all
    blocks at once: word t of every block is one lane of one integer (32 bits a block), so a XOR,
    rotation or condition of 1,024 blocks is one operation on a 4 KiB integer.
    """
    words = array("I", blocks)  # 16 words a block, in the machine's byte order
    if sys.byteorder == "little":
        words.byteswap()  # SHA-1's words are big-endian
    n = len(words) // 16
    order = sys.byteorder
    columns = [words[t::16] for t in range(16)]
    w = [int.from_bytes(c.tobytes(), order) for c in columns]
    high, low = _lanes(n, 0xFFFFFFFE), _lanes(n, 1)
    for t in range(16, 80):
        x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
        w.append(((x << 1) & high) | ((x >> 31) & low))
        columns.append(array("I", w[t].to_bytes(4 * n, order)))
    # Bit 0 of a lane: whether the block failed a condition of vector d, for each d.
    failed = [0] * len(_VECTOR_NAMES)
    for x, i, y, j, v, vectors in _condition_vectors():
        f = ((w[x] >> i) ^ (w[y] >> j)) & low
        if v:
            f ^= low
        for d in vectors:
            failed[d] |= f
    masks = 0  # lane: the block's mask, bit d set when vector d's conditions all hold
    for d, f in enumerate(failed):
        masks |= (f ^ low) << d
    return zip(array("I", masks.to_bytes(4 * n, order)), *columns, strict=True)


@cache
def _condition_vectors() -> tuple[tuple[int, int, int, int, int, tuple[int, ...]], ...]:
    """:data:`_CONDITIONS` with each mask as the numbers of its vectors."""
    return tuple(
        (x, i, y, j, v, tuple(d for d in range(32) if vectors >> d & 1))
        for x, i, y, j, v, vectors in _CONDITIONS
    )


_BlockFunction = Callable[
    [tuple[int, ...], Iterable[tuple[int, ...]], bool], tuple[tuple[int, ...], bool]
]


def _f_source(t: int, b: str, c: str, d: str) -> str:
    """Step ``t``'s boolean function of b, c, d, as source."""
    if t < 20:
        return f"({d} ^ ({b} & ({c} ^ {d})))"
    if t < 40 or t >= 60:
        return f"({b} ^ {c} ^ {d})"
    return f"(({b} & {c}) | ({d} & ({b} | {c})))"


def _step_source(t: int, r: tuple[str, ...], word: str = "") -> list[str]:
    """Step ``t`` on the variables ``r`` (roles a, b, c, d, e), message word ``word`` (w<t>)."""
    a, b, c, d, e = r
    k = _ROUND_CONSTANTS[t // 20]
    # e stays below 2**32; a rotated b may carry bits above 31, which no later step shifts down
    # (a value is rotated by 30 once, and only a fresh one by 5) and the sums are reduced.
    return [
        f"    {e} = ({e} + (({a} << 5) | ({a} >> 27)) + {_f_source(t, b, c, d)} + {k}"
        f" + {word or f'w{t}'}) & 4294967295",
        f"    {b} = ({b} << 30) | ({b} >> 2)",
    ]


@cache
def _block_function() -> _BlockFunction:
    """The per-block loop of this process (compiled on first use, about 5 ms)."""
    return _compile_blocks(_collision_block)


def _compile_blocks(on_conditions: Callable[..., bool]) -> _BlockFunction:
    """Compile the per-block loop over :func:`_expanded`'s rows: the 80 steps, unrolled.

    ``on_conditions`` gets the blocks whose conditions hold for some vector (a mask not 0; see
    :func:`_collision_block`); tests pass a recorder.
    """
    src = ["def blocks(ihv, blocks, reduced_round):"]
    src.append("    h0, h1, h2, h3, h4 = ihv")
    src.append("    found = False")
    src.append("    for mask, " + ", ".join(f"w{t}" for t in range(80)) + " in blocks:")
    body = []
    body.append("    a, b, c, d, e = h0, h1, h2, h3, h4")
    roles = ("a", "b", "c", "d", "e")
    for t in range(80):
        if t in (58, 65):
            body.append(f"    s{t} = (" + ", ".join(f"{v} & 4294967295" for v in roles) + ")")
        body.extend(_step_source(t, roles))
        roles = (roles[4], roles[0], roles[1], roles[2], roles[3])
    out = [f"(h{n} + {v}) & 4294967295" for n, v in enumerate(roles)]
    body.append("    n0, n1, n2, n3, n4 = " + ", ".join(out))
    body.append("    if mask and collision_block(")
    body.append("        mask, (" + ", ".join(f"w{t}" for t in range(80)) + "),")
    body.append("        {58: s58, 65: s65}, (h0, h1, h2, h3, h4), (n0, n1, n2, n3, n4),")
    body.append("        reduced_round=reduced_round,")
    body.append("    ):")
    body.append("        found = True")
    body.append("    h0, h1, h2, h3, h4 = n0, n1, n2, n3, n4")
    src.extend("    " + line for line in body)
    src.append("    return (h0, h1, h2, h3, h4), found")
    namespace: dict[str, object] = {"collision_block": on_conditions}
    exec(compile("\n".join(src), "<sha1dc blocks>", "exec"), namespace)  # noqa: S102 - our own source
    function = namespace["blocks"]
    assert callable(function)
    return function


class Verdict(NamedTuple):
    """The SHA-1 digest of some bytes and whether they carry a collision attack."""

    digest: bytes
    collision: bool


Data = bytes | bytearray | memoryview


class SHA1DC:
    """hashlib's SHA-1 interface (``update``, ``digest``, ``hexdigest``, ``copy``) plus a verdict.

    ``collision`` says whether a block of the data given so far completes a near-collision of a
    known disturbance vector (a SHA-1 collision attack). ``reduced_round`` also flags collisions
    of the first 58 or 65 steps only (the reference's reduced-round test mode, for tests).
    """

    name = "sha1"
    digest_size = 20
    block_size = 64

    __slots__ = ("_buffer", "_found", "_ihv", "_length", "_reduced_round")

    def __init__(self, data: Data = b"", *, reduced_round: bool = False) -> None:
        self._ihv: tuple[int, ...] = _IV
        self._buffer = bytearray()  # not yet compressed: less than _BATCH bytes
        self._length = 0  # bytes compressed
        self._found = False
        self._reduced_round = reduced_round
        if data:
            self.update(data)

    def update(self, data: Data) -> None:
        """Hash more bytes (buffered: the blocks are compressed :data:`_BATCH` bytes at a time)."""
        self._buffer += data
        if len(self._buffer) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Compress the whole blocks buffered now, :data:`_BATCH` bytes at a time.

        After data of whole blocks, the state is then the IHV and the verdict so far, with no
        data: a :meth:`copy` of it goes on from there without scanning those blocks again.
        """
        whole = len(self._buffer) & ~63
        if not whole:
            return
        data = bytes(self._buffer[:whole])
        del self._buffer[:whole]
        self._length += whole
        run = _block_function()
        for start in range(0, whole, _BATCH):
            batch = _expanded(data[start : start + _BATCH])
            self._ihv, found = run(self._ihv, batch, self._reduced_round)
            self._found = self._found or found

    def _final(self) -> SHA1DC:
        done = self.copy()
        bits = ((self._length + len(self._buffer)) * 8) & 0xFFFFFFFFFFFFFFFF
        done._buffer += (
            b"\x80" + b"\x00" * ((55 - len(self._buffer)) % 64) + bits.to_bytes(8, "big")
        )
        done.flush()
        assert not done._buffer
        return done

    def digest(self) -> bytes:
        """The SHA-1 digest of the data so far (always the real one, never a safe-hash)."""
        return b"".join(h.to_bytes(4, "big") for h in self._final()._ihv)

    def hexdigest(self) -> str:
        """:meth:`digest` as lowercase hex."""
        return self.digest().hex()

    @property
    def collision(self) -> bool:
        """Whether the data so far (with SHA-1's padding) contains a collision block."""
        return self._final()._found

    def verdict(self) -> Verdict:
        """Digest and collision verdict at once (one finalisation)."""
        done = self._final()
        return Verdict(b"".join(h.to_bytes(4, "big") for h in done._ihv), done._found)

    def copy(self) -> SHA1DC:
        """An independent copy of the state."""
        other = type(self).__new__(type(self))
        other._ihv = self._ihv
        other._buffer = bytearray(self._buffer)
        other._length = self._length
        other._found = self._found
        other._reduced_round = self._reduced_round
        return other


def detect(data: Data) -> Verdict:
    """One shot: the SHA-1 digest of ``data`` and whether it carries a collision attack."""
    return SHA1DC(data).verdict()
