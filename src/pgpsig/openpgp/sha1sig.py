"""SHA-1 signature digests: hashlib's digest, refused for data that carries a collision attack.

This module owns :class:`SignatureSHA1`, the hash object :func:`pgpsig.openpgp.signature.new_hash`
gives for SHA-1, and when the collision detection of :mod:`pgpsig.openpgp.sha1dc` (pure Python,
about 2.4 MB/s) runs on a signature's data:

* **only when the digest is asked for.** The data is hashed by :mod:`hashlib` and held as it
  comes; the scan runs at ``digest()``. A data signature's digest is asked for only once its
  issuer is in the keyring and the policy accepts its hash
  (:func:`pgpsig.engine.signatures.judge_signature`), so SHA-1 data from unknown keys, or under
  a policy that refuses SHA-1, is never scanned.
* **over at most** :data:`MAX_DETECTED` **bytes.** Longer data gets no digest: ``digest()``
  raises :class:`~pgpsig.errors.SignatureError` (:data:`TOO_LONG_REASON`), so the scan's cost is
  bounded (3.5 s) and the data held too. The largest real FreePBX ``module.sig`` is 1.4 MB.
* **once per text in a run.** The signatures over one text are copies of its hash object, each
  with its trailer (:meth:`SignatureSHA1.copy`): they share the text's bytes and its scan, and
  scan only their own trailer (:class:`_Held`). So do the signatures over one key and user ID
  or user attribute (up to 512 in a block): :func:`pgpsig.openpgp._crypto.verifies_over` starts
  them from copies of one hash object of what they sign.
* **after the signature's own check.** Both checkers of signatures
  (:func:`pgpsig.engine.signatures.judge_signature` for data signatures,
  :func:`pgpsig.openpgp._crypto.verifies_over` for certificate signatures) ask for the digest
  inside :func:`scans_deferred` and run the scan once a key verifies the signature. A forged
  signature (anyone can make one naming a key of the keyring) costs no scan.
* **at most** :data:`MAX_CERT_SCANNED` **bytes for certificate signatures in one run**
  (:func:`scan_budget`, which the CLI sets for each command and the library's entry points for
  each call, or each module checked): a certificate's signature checks
  (:func:`pgpsig.openpgp._crypto.verifies_over`) charge the bytes their scans compress (the same
  bytes once: a genuine signature replayed costs nothing). A scan past the budget is not run,
  and the run cannot judge that certificate (:class:`~pgpsig.errors.LimitError`,
  :data:`BUDGET_REASON`): neither counting the signature nor dropping it is safe (a dropped
  revocation, designated revoker or expiry would leave a key valid). Real certificates hold a
  few kB of SHA-1 signed data; without it, a certificate whose owner self-signed many distinct
  user attributes of 8 MiB with SHA-1 (before 2023, so accepted) cost 3.5 s for each, up to the
  256 MiB of a keyring file.
* **at most** :data:`MAX_DETECTED` **bytes for the data signatures of one input**
  (:func:`input_budget`, which :mod:`pgpsig.verify` and :mod:`pgpsig.verify_inline` set while
  they judge an input's signatures), charged and refused the same way
  (:data:`INPUT_BUDGET_REASON`).
* **once per distinct data, across runs, with a verdict store** (:func:`verdicts`; the CLI's is a
  :class:`pgpsig.cachedir.CacheDir`): a verdict is kept under the SHA-256 of the exact bytes
  scanned (the salt, the signed data and the trailer: a collision-resistant key, so no other data
  can share it), for data of :data:`MIN_STORED` bytes or more. Its entry holds the SHA-1 digest as
  well, and is used only when that equals the digest just computed; anything else is a miss, and
  the data is scanned again. A platform re-checking an unchanged install computes a SHA-256 and
  reads one small file per signature instead of scanning the data.

The store and the budgets in use are this module's (:func:`verdicts`, :func:`scan_budget` and
:func:`input_budget` set them for a block of code, in context variables: threads each have their
own); forked workers inherit them (each worker then spends a copy of what was left of the run's
budget). They are the only state here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from pgpsig.errors import SignatureError
from pgpsig.openpgp._scoped import scoped

if TYPE_CHECKING:
    from pgpsig.openpgp.sha1dc import SHA1DC

__all__ = [
    "BUDGET_REASON",
    "INPUT_BUDGET_REASON",
    "MAX_CERT_SCANNED",
    "MAX_DETECTED",
    "MIN_STORED",
    "NAMESPACE",
    "TOO_LONG_REASON",
    "ScanBudgetError",
    "SignatureSHA1",
    "VerdictStore",
    "input_budget",
    "scan_budget",
    "scans_deferred",
    "verdicts",
]

#: Most bytes of SHA-1 signed data scanned for a collision attack (and held until then).
MAX_DETECTED = 8 << 20
#: Least data whose verdict goes to the store (a scan of less costs about what writing an entry does).
MIN_STORED = 512
#: The store's namespace (a directory of the cache): the version of the entry format and of the
#: detection is in it. Entries never expire: a change to what :mod:`pgpsig.openpgp.sha1dc`
#: detects (a disturbance vector added, a missed attack fixed) must bump it, or the "clean"
#: verdicts of the weaker detection are kept and used on every machine that stored them.
NAMESPACE = "sha1dc-1"
#: Why a signature over more than :data:`MAX_DETECTED` bytes hashed with SHA-1 is bad.
TOO_LONG_REASON = (
    f"SHA-1 signed data of more than {MAX_DETECTED >> 20} MiB: too long to check for a SHA-1 "
    "collision attack"
)

#: Most bytes the collision scans of certificate signatures compress in one run (a command, a call
#: of the library's API): 0.9 s of scanning. The largest SHA-1 signed certificate data of a real
#: keyring is a few kB (a key and a user ID; a photo ID of some 10 kB).
MAX_CERT_SCANNED = 2 << 20
#: Why a certificate signature whose scan would exceed what is left of the budget is bad.
BUDGET_REASON = (
    f"SHA-1 signed certificate data past the {MAX_CERT_SCANNED >> 20} MiB scanned for collision "
    "attacks in one run: the certificate cannot be judged"
)
#: Why a data signature whose scan would exceed what is left of its input's budget (what one
#: signature may be over, :data:`MAX_DETECTED`) is bad.
INPUT_BUDGET_REASON = (
    f"SHA-1 signed data past the {MAX_DETECTED >> 20} MiB scanned for collision attacks in one "
    "input"
)


class ScanBudgetError(SignatureError):
    """A collision scan past its budget, not run: the signature's data is not known to be clean.

    Raised only once a key verifies the signature (:func:`scans_deferred`). A data signature so
    refused is bad; a certificate signature leaves its certificate unjudged
    (:func:`pgpsig.openpgp._crypto.verifies_over` raises :class:`~pgpsig.errors.LimitError`).
    """


_CLEAN = b"clean"
_COLLISION = b"collision"


class VerdictStore(Protocol):
    """Where verdicts are kept across runs: small values by 32-byte keys (best effort)."""

    def get(self, key: bytes, /) -> bytes | None:
        """The value stored for ``key``, or None."""

    def put(self, key: bytes, value: bytes, /) -> None:
        """Keep ``value`` for ``key`` (may silently fail: it is a cache)."""


_store: ContextVar[VerdictStore | None] = ContextVar("pgpsig_sha1_verdicts", default=None)


class _Budget:
    """Bytes that collision scans may still compress, and why a scan past them is refused.

    ``seen`` holds the verdict of each data scanned under it, by the SHA-256 of its bytes: the
    same bytes again (a genuine signature replayed, copies of a component) cost nothing.
    """

    __slots__ = ("left", "reason", "seen")

    def __init__(self, left: int, reason: str) -> None:
        self.left = left
        self.reason = reason
        self.seen: dict[bytes, bool] = {}


#: The run's budget for certificate signatures (:func:`scan_budget`).
_budget: ContextVar[_Budget | None] = ContextVar("pgpsig_sha1_budget", default=None)
#: The input's budget for data signatures (:func:`input_budget`).
_input_budget: ContextVar[_Budget | None] = ContextVar("pgpsig_sha1_input_budget", default=None)
#: The scans put off by :func:`scans_deferred` in this context: (hash object, its digest).
_deferred: ContextVar[list[tuple[SignatureSHA1, bytes]] | None] = ContextVar(
    "pgpsig_sha1_deferred", default=None
)


@contextmanager
def scans_deferred(*, certificate: bool = False) -> Iterator[Callable[[], None]]:
    """Within the block, a SHA-1 ``digest()`` is given before its collision scan, which waits.

    The block yields the function that runs the scans put off (each at most once), raising
    :class:`~pgpsig.errors.SignatureError` (:data:`COLLISION_REASON`) for data that carries a
    collision attack. The caller must call it before it takes a digest given in the block as
    good: :func:`pgpsig.engine.signatures.judge_signature` and
    :func:`pgpsig.openpgp._crypto.verifies_over` do, once a key verifies the signature, so that
    a forgery costs no scan. The scans are charged to the budget in force, if any: the run's
    (:func:`scan_budget`) for a ``certificate`` signature, the input's (:func:`input_budget`)
    for a data signature; one that would exceed it raises
    :class:`~pgpsig.errors.SignatureError` (:data:`BUDGET_REASON`,
    :data:`INPUT_BUDGET_REASON`) instead of running.
    """
    pending: list[tuple[SignatureSHA1, bytes]] = []

    def scan() -> None:
        budget = (_budget if certificate else _input_budget).get()
        while pending:
            hasher, digest = pending.pop()
            hasher._refuse_collision(digest, budget)

    with scoped(_deferred, pending):
        yield scan


@contextmanager
def scan_budget(limit: int = MAX_CERT_SCANNED, *, fresh: bool = False) -> Iterator[None]:
    """Within the block, certificate signatures' scans compress at most ``limit`` bytes in all.

    One budget a run: a block inside another's keeps the outer one (a library call made by a
    command does not start afresh), unless ``fresh`` (a run of its own within a command: each
    answer ``key refresh`` fetched). Outside any block, nothing is charged (each scan is bounded
    by :data:`MAX_DETECTED` alone).
    """
    if _budget.get() is not None and not fresh:
        yield
        return
    with scoped(_budget, _Budget(limit, BUDGET_REASON)):
        yield


@contextmanager
def input_budget(limit: int | None = None) -> Iterator[None]:
    """Within the block, data signatures' scans compress at most ``limit`` bytes in all.

    ``limit`` defaults to :data:`MAX_DETECTED`, what one signature may be over.

    The block is the judging of one input's signatures (:mod:`pgpsig.verify`,
    :mod:`pgpsig.verify_inline`): each input has a budget of its own. Without it, its SHA-1
    data signatures (a detached signature's binary and text digests, a clear-signed input's four
    SHA-1 blocks) could cost up to eight scans of 8 MiB.
    """
    left = MAX_DETECTED if limit is None else limit
    with scoped(_input_budget, _Budget(left, INPUT_BUDGET_REASON)):
        yield


@contextmanager
def verdicts(store: VerdictStore | None) -> Iterator[None]:
    """Keep and reuse collision verdicts in ``store`` (None: none) within the ``with`` block.

    The store is a context variable: the block of one thread never sets, nor ends, another's.
    """
    with scoped(_store, store):
        yield


class _Held:
    """Signed data held for its collision scan, shared by a hash object and its copies.

    A copy (a signature's trailer added to the data of all signatures of one text) uses a prefix
    of the bytes and holds only what it adds: the text is neither copied nor scanned again for
    each signature. The SHA-256 and scan states of a prefix are computed once, when first asked.
    Bytes are only ever appended, so a prefix never changes.
    """

    __slots__ = ("data", "scans", "sha256s")

    def __init__(self, data: bytes | bytearray = b"") -> None:
        self.data = bytearray(data)
        self.scans: dict[int, SHA1DC] = {}
        self.sha256s: dict[int, Any] = {}

    def _prefix(self, n: int) -> bytes | bytearray:
        return self.data if n == len(self.data) else self.data[:n]

    def sha256(self, n: int) -> Any:
        """A SHA-256 hash object of the first ``n`` bytes (the caller's own)."""
        state = self.sha256s.get(n)
        if state is None:
            state = self.sha256s[n] = hashlib.sha256(self._prefix(n))
        return state.copy()

    def scan(self, n: int) -> SHA1DC:
        """The collision scan of the first ``n`` bytes, as a state to go on with (the caller's)."""
        state = self.scans.get(n)
        if state is None:
            state = self.scans[n] = _scan(self._prefix(n))
        return state.copy()


def _scan(data: bytes | bytearray) -> SHA1DC:
    """Scan ``data`` for a collision attack: the state after it (the slow step, 2.4 MB/s).

    Every whole block is compressed (:meth:`~pgpsig.openpgp.sha1dc.SHA1DC.flush`): the copies
    that go on from the state scan only the last partial block again, not up to 64 KiB of
    buffered data each.
    """
    from pgpsig.openpgp.sha1dc import SHA1DC  # noqa: PLC0415 - imported when a scan is due

    state = SHA1DC(data)
    state.flush()
    return state


class SignatureSHA1:
    """SHA-1 for a signature's digest: no digest of data that carries a collision attack."""

    name = "sha1"
    digest_size = 20

    __slots__ = ("_base", "_base_len", "_sha1", "_tail")

    def __init__(self, prefix: bytes = b"") -> None:
        self._sha1 = hashlib.sha1(prefix)  # noqa: S324 - the digest a SHA-1 signature is over
        # The data: the first _base_len bytes of _base (that of the object copied), then _tail's.
        self._base: _Held | None = None
        self._base_len = 0
        self._tail: _Held | None = _Held(prefix)  # None: more than MAX_DETECTED

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        """Hash more bytes (held for the scan, up to :data:`MAX_DETECTED`)."""
        self._sha1.update(data)
        if self._tail is not None:
            if self._base_len + len(self._tail.data) + memoryview(data).nbytes > MAX_DETECTED:
                self._base, self._tail = None, None
            else:
                self._tail.data += data

    def copy(self) -> SignatureSHA1:
        """An independent copy (sharing the data held so far, which is only ever appended to)."""
        other = SignatureSHA1.__new__(SignatureSHA1)
        other._sha1 = self._sha1.copy()
        if self._tail is None:
            other._base, other._base_len, other._tail = None, 0, None
        elif self._base is None:
            other._base, other._base_len = self._tail, len(self._tail.data)
            other._tail = _Held()
        else:
            other._base, other._base_len = self._base, self._base_len
            other._tail = _Held(self._tail.data)
        return other

    def digest(self) -> bytes:
        """The SHA-1 digest of the data, once it is known to carry no collision attack.

        Within :func:`scans_deferred`, the digest is given at once and its scan waits for the
        block's caller (who checks the signature first).

        Raises:
            SignatureError: the data carries a SHA-1 collision attack (:data:`COLLISION_REASON`)
                or is longer than :data:`MAX_DETECTED` (:data:`TOO_LONG_REASON`).
        """
        if self._tail is None:
            raise SignatureError(TOO_LONG_REASON)
        digest = self._sha1.digest()
        pending = _deferred.get()
        if pending is not None:
            pending.append((self, digest))
        else:
            self._refuse_collision(digest)
        return digest

    def _refuse_collision(self, digest: bytes, budget: _Budget | None = None) -> None:
        """Raise :class:`~pgpsig.errors.SignatureError` for data that carries a collision attack.

        Also when the scan would compress more than ``budget`` has left (else it is charged).
        """
        if self._collision(digest, budget):
            from pgpsig.openpgp.sha1dc import COLLISION_REASON  # noqa: PLC0415 - see _scan

            raise SignatureError(COLLISION_REASON)

    def _collision(self, digest: bytes, budget: _Budget | None = None) -> bool:
        """Whether the data (of SHA-1 ``digest``) carries a collision attack: stored, or scanned.

        The bytes a scan compresses are charged to ``budget``, if any (refused past it).
        """
        tail = self._tail
        if tail is None:  # digest() refused it already
            raise AssertionError("no data held")
        store = _store.get() if self._base_len + len(tail.data) >= MIN_STORED else None
        key = b""
        if store is not None or budget is not None:
            sha256 = self._base.sha256(self._base_len) if self._base else hashlib.sha256()
            sha256.update(tail.data)
            key = sha256.digest()
        if store is not None:
            known = _read_entry(store.get(key), digest)
            if known is not None:
                return known
        if budget is not None:
            known = budget.seen.get(key)
            if known is not None:
                return known
            cost = len(tail.data)
            if self._base is not None and self._base_len not in self._base.scans:
                cost += self._base_len
            if cost > budget.left:
                raise ScanBudgetError(budget.reason)
            budget.left -= cost
        if self._base is None:
            state = _scan(tail.data)
        else:
            state = self._base.scan(self._base_len)
            state.update(tail.data)
        verdict = state.verdict()
        if verdict.digest != digest:  # two SHA-1s of the same bytes: cannot differ
            raise AssertionError("SHA-1 collision detection computed another digest than hashlib")
        if store is not None:
            store.put(key, _entry(digest, verdict.collision))
        if budget is not None:
            budget.seen[key] = verdict.collision
        return verdict.collision


def _entry(digest: bytes, collision: bool) -> bytes:
    """A store entry: the namespace, the data's SHA-1 in hex and the verdict, one line."""
    verdict = _COLLISION if collision else _CLEAN
    return b"%s %s %s\n" % (NAMESPACE.encode(), digest.hex().encode(), verdict)


def _read_entry(entry: bytes | None, digest: bytes) -> bool | None:
    """The verdict an entry holds for data of SHA-1 ``digest``, or None (no entry, not ours)."""
    if entry is None:
        return None
    for collision in (False, True):
        if entry == _entry(digest, collision):
            return collision
    return None
