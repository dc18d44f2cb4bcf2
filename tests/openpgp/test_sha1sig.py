"""SHA-1 signature digests (:mod:`pgpsig.openpgp.sha1sig`): when the collision scan runs, and its store.

The scan (``sha1sig._scan``) is counted by wrapping it: it runs only when a
digest is asked for, once per distinct data while a store is in use, never on data over the limit;
a verdict comes from the store only when its entry names the same SHA-1 digest. The detector's
work is counted too (``compressed``: the bytes of the blocks it compresses), and a verdict reached
through copies is checked against a full scan of the same bytes.
"""

from __future__ import annotations

import hashlib
import random
import threading
from pathlib import Path

import pytest

from pgpsig.cachedir import open_cache
from pgpsig.errors import SignatureError
from pgpsig.openpgp import sha1dc, sha1sig
from pgpsig.openpgp.sha1dc import COLLISION_REASON
from pgpsig.openpgp.sha1sig import MAX_DETECTED, MIN_STORED, NAMESPACE, SignatureSHA1, verdicts

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "sha1dc"
CLEAN = bytes(range(256)) * 40  # 10,240 bytes: stored
TRAILER = b"\x04\x00\xff\x00\x00\x00\x10"


class DictStore:
    def __init__(self) -> None:
        self.entries: dict[bytes, bytes] = {}
        self.gets = 0

    def get(self, key: bytes, /) -> bytes | None:
        self.gets += 1
        return self.entries.get(key)

    def put(self, key: bytes, value: bytes, /) -> None:
        self.entries[key] = value


def _digest(data: bytes, *, trailer: bytes = TRAILER) -> bytes:
    h = SignatureSHA1()
    h.update(data[:100])
    h.update(memoryview(data)[100:])
    copy = h.copy()
    copy.update(trailer)
    return copy.digest()


def test_digest_is_hashlib_and_scanned_only_when_asked(scans: list[int]) -> None:
    h = SignatureSHA1(b"salt")
    h.update(CLEAN)
    assert scans == []  # hashing is not scanning
    assert h.digest() == hashlib.sha1(b"salt" + CLEAN).digest()
    assert scans == [len(CLEAN) + 4]


def test_a_store_scans_each_distinct_data_once(scans: list[int]) -> None:
    store = DictStore()
    with verdicts(store):
        first = _digest(CLEAN)
        again = _digest(CLEAN)
        other = _digest(CLEAN, trailer=TRAILER + b"x")  # the trailer is part of the key
    assert first == again == hashlib.sha1(CLEAN + TRAILER).digest()
    assert other == hashlib.sha1(CLEAN + TRAILER + b"x").digest()
    assert scans == [len(CLEAN), len(CLEAN)]  # each copy scanned its trailer on from there
    key = hashlib.sha256(CLEAN + TRAILER).digest()
    assert store.entries[key] == f"{NAMESPACE} {first.hex()} clean\n".encode()
    assert len(store.entries) == 2


def test_no_store_outside_the_block(scans: list[int]) -> None:
    store = DictStore()
    with verdicts(store):
        pass
    _digest(CLEAN)
    _digest(CLEAN)
    assert len(scans) == 2
    assert store.entries == {}


def test_small_data_is_never_stored(scans: list[int]) -> None:
    store = DictStore()
    small = CLEAN[: MIN_STORED - len(TRAILER) - 1]
    with verdicts(store):
        _digest(small)
        _digest(small)
    assert len(scans) == 2
    assert store.entries == {} and store.gets == 0


def test_a_stored_collision_verdict_is_honoured(scans: list[int]) -> None:
    store = DictStore()
    key = hashlib.sha256(CLEAN + TRAILER).digest()
    digest = hashlib.sha1(CLEAN + TRAILER).digest()
    store.entries[key] = f"{NAMESPACE} {digest.hex()} collision\n".encode()
    with verdicts(store), pytest.raises(SignatureError, match=COLLISION_REASON):
        _digest(CLEAN)
    assert scans == []


@pytest.mark.parametrize(
    "entry",
    [
        b"",  # torn by a crash
        b"sha1dc-1 " + b"0" * 40 + b" clean\n",  # another data's digest
        b"sha1dc-0 {digest} clean\n",  # another format
        b"{digest} clean\n",
        b"sha1dc-1 {digest} clean",  # no newline
        b"sha1dc-1 {digest} maybe\n",
    ],
)
def test_an_entry_not_ours_is_a_miss(scans: list[int], entry: bytes) -> None:
    store = DictStore()
    key = hashlib.sha256(CLEAN + TRAILER).digest()
    digest = hashlib.sha1(CLEAN + TRAILER).digest()
    store.entries[key] = entry.replace(b"{digest}", digest.hex().encode())
    with verdicts(store):
        assert _digest(CLEAN) == digest
    assert len(scans) == 1
    assert store.entries[key] == f"{NAMESPACE} {digest.hex()} clean\n".encode()  # rewritten


def test_collisions_are_refused_and_stored(scans: list[int]) -> None:
    store = DictStore()
    data = (VECTORS / "sha-mbles-1.bin").read_bytes() + CLEAN  # long enough to be stored
    with verdicts(store):
        for _ in range(2):
            with pytest.raises(SignatureError, match=COLLISION_REASON):
                _digest(data)
    assert len(scans) == 1
    [entry] = store.entries.values()
    assert entry.endswith(b" collision\n")


def test_too_long_data_gets_no_digest(scans: list[int]) -> None:
    h = SignatureSHA1()
    chunk = b"\0" * (1 << 20)
    for _ in range(MAX_DETECTED >> 20):
        h.update(chunk)
    assert h.copy().digest() == hashlib.sha1(chunk * (MAX_DETECTED >> 20)).digest()  # at the limit
    h.update(b"x")
    for hasher in (h, h.copy()):
        with pytest.raises(SignatureError, match="too long to check for a SHA-1 collision"):
            hasher.digest()
    assert scans == [MAX_DETECTED]


def test_on_disk_store(tmp_path: Path, scans: list[int]) -> None:
    """The cache directory as the store: the second run reads the verdict the first one wrote."""
    for _ in range(2):
        with verdicts(open_cache(tmp_path / "cache", NAMESPACE)):
            assert _digest(CLEAN) == hashlib.sha1(CLEAN + TRAILER).digest()
    assert len(scans) == 1
    [entry] = (tmp_path / "cache" / NAMESPACE).glob("*/*")
    assert entry.name == hashlib.sha256(CLEAN + TRAILER).hexdigest()[2:]


def test_the_store_is_restored_after_the_block() -> None:
    a, b = DictStore(), DictStore()
    with verdicts(a):
        with verdicts(b):
            assert sha1sig._store.get() is b
        assert sha1sig._store.get() is a
    assert sha1sig._store.get() is None


def test_a_store_applies_only_within_its_block_in_each_thread() -> None:
    """Two threads' blocks that overlap (check_modules with and without a cache_dir, at once):
    each thread sees its own store while its block runs, and none is left in use after both (a
    library call told no cache_dir then wrote to another call's directory)."""
    first, second = DictStore(), DictStore()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[str] = []

    def a() -> None:
        with verdicts(first):
            a_in.set()
            b_in.wait()
        a_out.set()

    def b() -> None:
        a_in.wait()
        with verdicts(second):
            b_in.set()
            a_out.wait()
            _digest(CLEAN)  # A's block has ended: B's store is still B's
            seen.append(f"first {first.gets} second {second.gets}")

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["first 0 second 1"]
    _digest(CLEAN)  # no block: no store
    _digest(CLEAN + b"x")
    assert (first.gets, second.gets) == (0, 1)


def test_signatures_over_one_text_share_its_scan(scans: list[int]) -> None:
    """Each signature over one text is a copy of the text's hash object with its own trailer: the
    text is scanned once, not once per signature (512 signatures naming a known key, none valid,
    each with another creation time, scanned 8 MiB 512 times: half an hour)."""
    h = SignatureSHA1(b"salt")
    h.update(CLEAN)
    digests = []
    for i in range(3):
        copy = h.copy()
        copy.update(TRAILER + bytes([i]))
        digests.append(copy.digest())
    assert digests == [
        hashlib.sha1(b"salt" + CLEAN + TRAILER + bytes([i])).digest() for i in range(3)
    ]
    assert scans == [len(CLEAN) + 4]
    again = copy.copy()  # a copy of a copy: the same text, its own tail
    again.update(b"more")
    assert again.digest() == hashlib.sha1(b"salt" + CLEAN + TRAILER + b"\x02more").digest()
    assert scans == [len(CLEAN) + 4]
    h.update(b"later")  # the original goes on: the copies' data is unchanged
    assert copy.digest() == digests[2]
    assert h.digest() == hashlib.sha1(b"salt" + CLEAN + b"later").digest()


def test_a_collision_is_found_in_the_shared_text_or_in_a_copys_own_bytes() -> None:
    shambles = (VECTORS / "sha-mbles-1.bin").read_bytes()
    h = SignatureSHA1()
    h.update(shambles)
    copy = h.copy()
    copy.update(TRAILER)
    with pytest.raises(SignatureError, match=COLLISION_REASON):
        copy.digest()
    for cut in (64, 200, len(shambles) - 64):  # the attack's blocks in the copy's own bytes
        h = SignatureSHA1()
        h.update(shambles[:cut])
        copy = h.copy()
        copy.update(shambles[cut:])
        with pytest.raises(SignatureError, match=COLLISION_REASON):
            copy.digest()
        assert h.copy().digest() == hashlib.sha1(shambles[:cut]).digest()


def test_copies_compress_only_their_own_bytes(compressed: list[int]) -> None:
    """The shared scan holds no buffered data: a copy compresses its last partial block of the
    shared text, its trailer and the padding, not the text again (up to 64 KiB each before)."""
    h = SignatureSHA1()
    h.update(CLEAN + b"0123456789")
    for i in range(20):
        copy = h.copy()
        copy.update(TRAILER + bytes([i]))
        copy.digest()
    assert sum(compressed) <= len(CLEAN) + 20 * 128


def _verdict(h: SignatureSHA1) -> tuple[bytes, bool]:
    """What a hash object says: (digest, False), or (b"", True) for a collision."""
    try:
        return h.digest(), False
    except SignatureError as e:
        assert str(e) == COLLISION_REASON
        return b"", True


def _full_scan(data: bytes) -> tuple[bytes, bool]:
    """The verdict of one scan of all of ``data``, in the same shape."""
    verdict = sha1dc.detect(data)
    return (b"", True) if verdict.collision else (verdict.digest, False)


def test_shared_scans_give_the_full_scans_verdict() -> None:
    """Property: data hashed in random pieces, copied at random points (each copy then hashing
    more of its own), gives every copy the verdict of a full scan of its data, collision or not."""
    rng = random.Random(1)
    shambles = (VECTORS / "sha-mbles-1.bin").read_bytes()
    for trial in range(150):
        tail = rng.randbytes(rng.randrange(0, 1500))
        data = shambles + tail if trial % 3 == 0 else rng.randbytes(rng.randrange(0, 2500))
        cuts = sorted(rng.randrange(0, len(data) + 1) for _ in range(rng.randrange(1, 6)))
        h, start, sides = SignatureSHA1(), 0, []
        for cut in cuts:
            h.update(data[start:cut])
            start = cut
            side = h.copy()  # a signature's copy: goes on with data of its own
            extra = rng.randbytes(rng.randrange(0, 200))
            side.update(extra)
            sides.append((side, data[:cut] + extra))
            if rng.random() < 0.5:
                h = h.copy()  # a copy of a copy
        h.update(data[start:])
        for hasher, expected in [*sides, (h, data)]:
            assert _verdict(hasher) == _full_scan(expected), (trial, len(expected))


def test_a_signature_check_runs_before_the_scan(scans: list[int]) -> None:
    """How both signature checkers use :func:`scans_deferred`: the digest first, the scan only
    once the signature verifies over it (``judge_signature``, ``verifies_over``)."""
    from pgpsig.openpgp.sha1sig import scans_deferred

    data = (VECTORS / "sha-mbles-1.bin").read_bytes()
    with scans_deferred() as scan:
        digest = SignatureSHA1(data).digest()
    assert digest == hashlib.sha1(data).digest() and scans == []  # a forgery stops here: no scan
    with pytest.raises(SignatureError, match=COLLISION_REASON):
        scan()  # a signature that verifies is scanned all the same
    assert scans == [len(data)]
    with scans_deferred() as scan:
        digest = SignatureSHA1(CLEAN).digest()
    scan()
    assert digest == hashlib.sha1(CLEAN).digest() and scans == [len(data), len(CLEAN)]


def test_scans_deferred_until_asked(scans: list[int]) -> None:
    from pgpsig.openpgp.sha1sig import scans_deferred

    with scans_deferred() as scan:
        assert _digest(CLEAN) == hashlib.sha1(CLEAN + TRAILER).digest()
        assert scans == []  # the digest is given, the scan waits
    scan()
    assert scans == [len(CLEAN)]
    scan()  # each put-off scan runs once
    assert scans == [len(CLEAN)]
    with scans_deferred():
        _digest(CLEAN)
    assert scans == [len(CLEAN)]  # never asked for: never run (the caller took nothing as good)
    _digest(CLEAN)  # outside the block: scanned at once
    assert scans == [len(CLEAN)] * 2


def _checked(hasher: SignatureSHA1) -> str:
    """How a certificate signature's check ends once its key verifies it: "good" or the reason."""
    from pgpsig.openpgp.sha1sig import scans_deferred

    with scans_deferred(certificate=True) as scan:
        hasher.digest()
    try:
        scan()
    except SignatureError as e:
        return str(e)
    return "good"


def test_certificate_scans_are_charged_to_the_runs_budget(scans: list[int]) -> None:
    """Within :func:`scan_budget`, the scans of certificate signatures compress at most its
    bytes in all: one that would exceed what is left is not run, and its signature is bad."""
    from pgpsig.openpgp.sha1sig import BUDGET_REASON, scan_budget

    a, b = CLEAN, bytes(reversed(CLEAN))
    with scan_budget(len(a) + len(b) + 2 * len(TRAILER)):
        assert _checked(SignatureSHA1(a + TRAILER)) == "good"
        assert _checked(SignatureSHA1(b + TRAILER)) == "good"
        assert scans == [len(a + TRAILER), len(b + TRAILER)]
        assert _checked(SignatureSHA1(b"x" + TRAILER)) == BUDGET_REASON  # 1 byte too many
        assert scans == [len(a + TRAILER), len(b + TRAILER)]  # and it was not scanned
        h = SignatureSHA1(b"x" + TRAILER)
        assert h.digest() == hashlib.sha1(b"x" + TRAILER).digest()  # a data signature: not charged
    assert _checked(SignatureSHA1(b"x" + TRAILER)) == "good"  # outside the block: no budget


def test_signatures_over_one_prefix_are_charged_its_scan_once(scans: list[int]) -> None:
    """512 signatures over one user attribute cost one scan of it and their trailers: so they
    are charged (as in ``verifies_over``, copies of one hash object of the prefix)."""
    from pgpsig.openpgp.sha1sig import scan_budget

    prefix = SignatureSHA1(CLEAN)
    trailers = [TRAILER + n.to_bytes(2, "big") for n in range(64)]
    budget = len(CLEAN) + sum(len(t) for t in trailers) + 64  # partial blocks, rounded up
    with scan_budget(budget):
        for t in trailers:
            h = prefix.copy()
            h.update(t)
            assert _checked(h) == "good"
    assert scans == [len(CLEAN)]


def test_a_stored_verdict_costs_nothing(scans: list[int]) -> None:
    from pgpsig.openpgp.sha1sig import scan_budget

    store = DictStore()
    with verdicts(store):
        assert _checked(SignatureSHA1(CLEAN + TRAILER)) == "good"
        with scan_budget(0):
            assert _checked(SignatureSHA1(CLEAN + TRAILER)) == "good"  # from the store
    assert scans == [len(CLEAN + TRAILER)]


def test_one_budget_a_run() -> None:
    """A block inside another keeps the outer budget (a library call made by a command), and
    the budget is a context variable: another thread's block is its own."""
    from pgpsig.openpgp.sha1sig import BUDGET_REASON, scan_budget

    with scan_budget(len(CLEAN) + len(TRAILER)):
        with scan_budget():  # nested: the outer one holds
            assert _checked(SignatureSHA1(CLEAN + TRAILER)) == "good"
        seen: list[str] = []
        t = threading.Thread(target=lambda: seen.append(_checked(SignatureSHA1(b"y" + TRAILER))))
        t.start()
        t.join()
        assert seen == ["good"]  # no budget in that thread
        assert _checked(SignatureSHA1(b"y" + TRAILER)) == BUDGET_REASON  # this run's is spent


def test_the_same_data_is_charged_once_in_a_run(scans: list[int]) -> None:
    """A genuine signature replayed (its own hash object each time, as a copy of a component
    over its own prefix) costs nothing more: else whoever can add packets to a certificate
    spends the run's budget with its owner's signatures, and those checked later are bad."""
    from pgpsig.openpgp.sha1sig import scan_budget

    with scan_budget(len(CLEAN + TRAILER)):
        for _ in range(3):
            assert _checked(SignatureSHA1(CLEAN + TRAILER)) == "good"
    assert scans == [len(CLEAN + TRAILER)]
