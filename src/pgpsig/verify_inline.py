"""Verify inline-signed OpenPGP messages, streaming: the use case behind SOP's ``inline-verify``.

This module owns hashing the literal data of an inline-signed message (RFC 9580 section 10.3,
possibly compressed) while :func:`pgpsig.openpgp.message.read_inline` streams it, and judging each
signature with its finished digest (:func:`pgpsig.engine.signatures.judge_signature`, as
:mod:`pgpsig.verify` does for detached and clear-signed input). Memory stays bounded whatever the
size of the data: nothing is held but the signatures, and the data goes to the caller's
``output`` (held back there until the verdict: :class:`pgpsig.verify.HeldOutput`).

The digests are decided before the data, from what precedes it (RFC 9580 section 5.4: a one-pass
packet holds "enough information to allow the receiver to begin calculating any hashes needed to
verify the signature"): each one-pass packet's (its signature type, hash algorithm and, for v6,
salt), or each signature's placed before the data by a key in the keyring. A signature after the
data whose digest no one-pass packet announced (another hash algorithm, type or salt than its
one-pass packet's) is judged malformed, never good: it fails closed, as Sequoia does, rather than
reading the data twice. When nothing is announced (signatures before the data, by keys not in the
keyring), no signature can be good: the data is then neither hashed nor written. More than
:data:`~pgpsig.verify.MAX_DIGESTS` different digests are refused (LimitError), as for the other
kinds of input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for, judge_signature
from pgpsig.errors import PacketError
from pgpsig.openpgp import cleartext, message
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature
from pgpsig.policy import Policy
from pgpsig.report import SignatureResult
from pgpsig.verify import MAX_SIGNATURES_PER_FILE, _Feed, _may_count

__all__ = ["verify_inline"]

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
            :data:`~pgpsig.verify.MAX_SIGNATURES_PER_FILE` signatures, or more than
            :data:`~pgpsig.verify.MAX_DIGESTS` digests.
        OSError: ``source`` cannot be read.
    """
    the_judge = judge_for(keyring, policy, now, judge)
    feeds = {False: _Feed(), True: _Feed()}  # binary, text
    announced: set[_DigestKey] = set()
    canon = cleartext.Canonicalizer(strip_whitespace=False)

    def start(
        literal: message.LiteralData,
        one_pass: tuple[message.OnePass, ...],
        before: tuple[Signature, ...],
    ) -> Callable[[bytes], object]:
        del literal
        # Every one-pass packet's digest (its issuer need not be the signature's: only the digest
        # must match, as Sequoia reads it); a signature before the data only by a known key.
        announcements: tuple[message.OnePass | Signature, ...] = (
            *one_pass,
            *(s for s in before if _may_count(s, keyring)),
        )
        for ann in announcements:
            is_text = ann.sig_type == SignatureType.TEXT
            feeds[is_text].want(ann)
            version = ann.version if isinstance(ann, Signature) else ann.signature_version
            announced.add((is_text, version, ann.hash_algorithm, ann.salt))
        if not announced:
            return _ignore
        binary, text = feeds[False], feeds[True]

        def sink(chunk: bytes) -> None:
            if binary.hashers:
                binary.update(chunk)
            if text.hashers:
                text.update(canon.feed(chunk))
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
        key = (sig.sig_type == SignatureType.TEXT, sig.version, sig.hash_algorithm, sig.salt)
        if key not in announced:
            raise PacketError("no one-pass signature packet announced this signature's digest")
        return feeds[key[0]].digest(sig)

    return tuple((s, judge_signature(s, digest, the_judge)) for s in msg.signatures)


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
