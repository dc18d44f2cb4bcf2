"""Verify inline-signed OpenPGP messages, streaming: the use case behind SOP's ``inline-verify``.

This module owns hashing the literal data of an inline-signed message (RFC 9580 section 10.3,
possibly compressed) while :func:`pgpsig.openpgp.message.read_inline` streams it, and judging each
signature with its finished digest (:func:`pgpsig.engine.signatures.judge_signature`, as
:mod:`pgpsig.verify` does for detached and clear-signed input). Memory stays bounded whatever the
size of the data: nothing is held but the signatures, and the data goes to the caller's
``output`` (held back there until the verdict: :class:`pgpsig.verify.HeldOutput`).

The digests are decided before the data, from what precedes it (RFC 9580 section 5.4: a one-pass
packet holds "enough information to allow the receiver to begin calculating any hashes needed to
verify the signature"), and only for what can be good: each one-pass packet's digest (its
signature type, hash algorithm and, for v6, salt) when it names a key in the keyring, and each
signature's placed before the data by a key in the keyring. A signature is told apart from its
neighbours by its salt only, so without that rule the data would be hashed once per one-pass
packet whatever key it names: 32 salted one-pass packets naming unknown keys over 1 GiB of
compressed zeros cost 44 s. A signature after the data is therefore judged malformed, never good,
when no one-pass packet announced its digest (another hash algorithm, type or salt than its
one-pass packet's: it fails closed, as Sequoia does, rather than reading the data twice), and
also when none that names its issuer did (its one-pass packet names an unknown key, a wildcard of
zeros or another key: Sequoia, which matches by digest only, may call such a signature good).
When nothing is hashed (no one-pass packet or signature before the data names a key in the
keyring), no signature can be good: the data is then neither hashed nor written, only read to the
end of the message to check it. More than :data:`~pgpsig.verify.MAX_DIGESTS` different digests
are refused (LimitError), as for the other kinds of input, and so is hashing more than
:data:`MAX_EXTRA_HASHED` octets beyond one digest's, all digests together: the work stays about
that of two digests of all the data however many signatures by known keys are announced.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for, judge_signature
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp import cleartext, message, sha1sig
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature
from pgpsig.policy import Policy
from pgpsig.report import SignatureResult
from pgpsig.verify import MAX_SIGNATURES_PER_FILE, _Feed, _named_keys

__all__ = ["MAX_EXTRA_HASHED", "verify_inline"]

#: Most octets hashed, all digests of one message together, beyond those of one digest over all
#: of its data: with 16 salted one-pass packets of the data and 16 of its text by a key of the
#: keyring, 1 GiB of expanded data would otherwise be hashed 32 times (47 s of CPU). A signer's
#: one digest is never limited; a second one of as much as one compressed packet holds is allowed.
MAX_EXTRA_HASHED = message.MAX_INLINE_BYTES

#: (text signature?, signature version, hash algorithm, salt): what one digest of the data is for.
_DigestKey = tuple[bool, int, int, bytes]


def verify_inline(
    source: message.Source,
    keyring: Keyring,
    *,
    policy: Policy,
    now: datetime,
    output: Callable[[bytes], object] | None = None,
    judge: Judge | None = None,
) -> tuple[tuple[Signature, SignatureResult], ...]:
    """Verify a binary inline-signed message read from ``source`` (a file, dearmored armor), streaming.

    ``output``, if given, receives the literal data as it is read, but only when a signature may
    be good (see the module docstring); the caller must hold it back until the verdict and discard
    it unless a signature it accepts is good. ``judge`` as for :func:`pgpsig.verify.verify_detached`.

    Returns:
        Each signature with its result, in the order they nest (the innermost first).

    Raises:
        PacketError: not an inline-signed message (encrypted, unsigned, malformed packets).
        LimitError: beyond a limit of :func:`~pgpsig.openpgp.message.read_inline`, more than
            :data:`~pgpsig.verify.MAX_SIGNATURES_PER_FILE` signatures, more than
            :data:`~pgpsig.verify.MAX_DIGESTS` digests, or more than :data:`MAX_EXTRA_HASHED`
            octets hashed beyond one digest's.
        OSError: ``source`` cannot be read.
    """
    the_judge = judge_for(keyring, policy, now, judge)
    feeds = {False: _Feed(), True: _Feed()}  # binary, text
    announced: set[_DigestKey] = set()  # by any one-pass packet
    hashed: dict[_DigestKey, set[str]] = {}  # computed: for these keys (fingerprints)
    canon = cleartext.Canonicalizer(strip_whitespace=False)

    def start(
        literal: message.LiteralData,
        one_pass: tuple[message.OnePass, ...],
        before: tuple[Signature, ...],
    ) -> Callable[[bytes], object]:
        del literal
        # A digest only for an announcement by a key in the keyring: a one-pass packet naming
        # another key announces a signature that cannot be good (see the module docstring).
        announcements: tuple[message.OnePass | Signature, ...] = (*one_pass, *before)
        for ann in announcements:
            key = _digest_key(ann)
            announced.add(key)
            signers = _named_keys(ann, keyring)
            if signers:
                feeds[key[0]].want(ann)
                hashed.setdefault(key, set()).update(signers)
        if not hashed:
            return _ignore
        binary, text = feeds[False], feeds[True]
        extra = 0  # octets hashed beyond one digest's

        def sink(chunk: bytes) -> None:
            nonlocal extra
            canonical = canon.feed(chunk) if text.hashers else b""
            sizes = [len(chunk)] * len(binary.hashers) + [len(canonical)] * len(text.hashers)
            if len(sizes) > 1:
                extra += sum(sizes) - max(sizes)
                if extra > MAX_EXTRA_HASHED:
                    raise LimitError(
                        f"{len(sizes)} digests of the data: more than {MAX_EXTRA_HASHED} octets "
                        "hashed beyond one digest's"
                    )
            if binary.hashers:
                binary.update(chunk)
            if canonical:
                text.update(canonical)
            if output is not None:
                output(chunk)

        behind.append(_Behind(sink))
        return behind[0]

    behind: list[_Behind] = []
    try:
        msg = message.read_inline(source, start, max_signatures=MAX_SIGNATURES_PER_FILE)
        for worker in behind:
            worker.close()
    finally:
        for worker in behind:
            worker.abandon()
    feeds[True].update(canon.finish())

    def digest(sig: Signature) -> bytes:
        key = _digest_key(sig)
        if key not in announced:
            raise PacketError("no one-pass signature packet announced this signature's digest")
        if not hashed.get(key, set()) & _named_keys(sig, keyring):
            raise PacketError(
                "no one-pass signature packet naming its issuer announced its digest (the data "
                "is hashed only for one-pass packets that name a key of the keyring)"
            )
        return feeds[key[0]].digest(sig)

    with sha1sig.input_budget():
        return tuple((s, judge_signature(s, digest, the_judge)) for s in msg.signatures)


def _digest_key(ann: message.OnePass | Signature) -> _DigestKey:
    """What digest of the data a signature, or the one a one-pass packet announces, needs."""
    version = ann.version if isinstance(ann, Signature) else ann.signature_version
    return (ann.sig_type == SignatureType.TEXT, version, ann.hash_algorithm, ann.salt)


def _ignore(chunk: bytes) -> None:
    """The sink of data no signature can verify."""


class _Behind:
    """A sink run on a worker thread, at most :data:`_DEPTH` chunks behind the reader.

    Hashing and writing the data (which release the GIL) then overlap its decompression (which
    does too): on two cores, a BZip2 message costs bzip2's time, not bzip2's plus the hashes'.
    The chunks reach ``sink`` in order; memory grows by at most :data:`_DEPTH` chunks. An error of
    ``sink`` is raised in the reader's thread, at its next chunk or at :meth:`close`.

    When no thread can be started (RuntimeError "can't start new thread", under a limit on
    threads or processes), ``sink`` runs in the reader's thread instead, chunk by chunk: slower on
    two cores, the same result.
    """

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        import queue  # noqa: PLC0415 - SOP only: kept off every check's start-up
        import threading  # noqa: PLC0415

        self._sink = sink
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_DEPTH)
        self._error: BaseException | None = None
        self._stopped = False
        thread = threading.Thread(target=self._run, name="pgpsig-inline-hash", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            self._thread: threading.Thread | None = None
        else:
            self._thread = thread

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sink(chunk)
                except BaseException as e:  # noqa: BLE001 - handed to the reader's thread
                    self._error = e

    def __call__(self, chunk: bytes) -> None:
        if self._thread is None:
            self._sink(chunk)
            return
        self._raise()
        self._queue.put(chunk)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait until every chunk went through ``sink``; raise its error, if any."""
        self.abandon()
        self._raise()

    def abandon(self) -> None:
        """Stop the worker (after the chunks already handed over) and wait for it."""
        if not self._stopped and self._thread is not None:
            self._stopped = True
            self._queue.put(None)
            self._thread.join()


#: Chunks a :class:`_Behind` worker may lag: 4 MiB of message data at most.
_DEPTH = 4
