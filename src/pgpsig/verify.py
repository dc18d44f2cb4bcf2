"""Verify clear-signed and detached OpenPGP signatures: the use case behind ``pgpsig verify``.

This module owns reading the input (a stream, bytes or a path), the clear-signed frame and the
detached signature file, and hashing the signed data; each signature found is then judged, with its
finished digest, by :func:`pgpsig.engine.signatures.judge_signature` (its numbered steps: well
formed, not from the future nor expired, signer found, hash accepted, signing key valid at the
signature's time, digest matches), as the run's judge (:func:`pgpsig.engine.signatures.judge_for`:
one judge, and so one cache, per run) sees it.

The input is read as a stream: memory stays bounded whatever the size of the signed data. A
clear-signed input is read twice only when a signature needs a digest that the ``Hash:`` header did
not announce (v6 salted signatures).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from pgpsig import hashing
from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for, judge_signature
from pgpsig.errors import (
    ClearsignFormatError,
    FormatError,
    InputError,
    LimitError,
    UnsupportedError,
)
from pgpsig.openpgp import armor, clearsign, sha1sig
from pgpsig.openpgp.ids import HashAlgorithm, SignatureType
from pgpsig.openpgp.packets import (
    MAX_SUBPACKETS,
    Signature,
    SignatureHash,
    new_hash,
    parse_signatures,
)
from pgpsig.policy import Policy
from pgpsig.report import SignatureResult, VerifyReport

if TYPE_CHECKING:
    from pgpsig.openpgp.message import OnePass  # inline messages: pgpsig.verify_inline

__all__ = [
    "HeldOutput",
    "LFText",
    "TextOutput",
    "read_signature_file",
    "verify_clearsigned",
    "verify_detached",
]

_CHUNK = 1 << 20
#: Hash algorithms strong enough to witness that two passes read the same text (see _Feed).
_WITNESS_ALGORITHMS = frozenset(
    {
        HashAlgorithm.SHA256,
        HashAlgorithm.SHA384,
        HashAlgorithm.SHA512,
        HashAlgorithm.SHA3_256,
        HashAlgorithm.SHA3_512,
    }
)


#: Most signatures in one input, all its blocks together (one block may hold as many).
MAX_SIGNATURES_PER_FILE = MAX_SUBPACKETS
#: Most digests computed over one signed text. Each v6 signature is salted, so each needs a hash
#: of the whole text of its own: without a bound, a 4 MB text with 512 bogus salted signatures
#: naming a known key costs 2 GB of hashing. A real input needs one a signer (and the few its
#: ``Hash:`` header names); more is refused (fail closed: a module's ``module.sig`` is then
#: malformed, status 4).
MAX_DIGESTS = 16
#: Most SHA-1 digests over one signed text, among :data:`MAX_DIGESTS`. Each holds the text, up to
#: 8 MiB, until its collision scan (:mod:`pgpsig.openpgp.sha1sig`), whatever the policy: 16
#: salted v6 SHA-1 signatures naming a known key (none needs to verify) held 16 copies, 288 MiB
#: for a detached signature over 8 MB under ``default``. A real input needs one.
MAX_SHA1_DIGESTS = 2
#: Most blocks of one clear-signed input hashed with SHA-1 (named by their ``Hash:`` header, or by
#: a signature of a known key). Each holds its text, up to 8 MiB, until the signatures are judged
#: after the last block, whoever signed: 10 blocks of 7 MB by an unknown key held 99 MiB under
#: ``default``, and 512 blocks 4 GiB. A real input has one (a ``module.sig``) or a few.
MAX_SHA1_BLOCKS = 4


# --------------------------------------------------------------------------------------------------
# Hash feeding


def _may_count(sig: Signature, keyring: Keyring) -> bool:
    """Whether ``sig``'s digest can matter: its issuer is in ``keyring``.

    The judge asks for a digest only once it has found a candidate key
    (:func:`~pgpsig.engine.signatures.judge_signature`, step 3 before step 5), so a signature by
    an unknown key is never hashed: its salt costs nothing (nor the signature a one-pass packet
    naming an unknown key announces: :mod:`pgpsig.verify_inline`).
    """
    return bool(_named_keys(sig, keyring))


def _named_keys(sig: Signature | OnePass, keyring: Keyring) -> frozenset[str]:
    """The fingerprints of the keys of ``keyring`` that ``sig`` (or a one-pass packet) names.

    As :meth:`~pgpsig.certs.keyring.Keyring.candidates` finds them; an issuer of zeros only (a
    wildcard, "any key") names none.
    """
    hints = (*sig.issuer_fingerprints, *sig.issuer_key_ids)
    if not any(h.strip("0") for h in hints):
        return frozenset()
    found = keyring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids)
    return frozenset(key.fingerprint for _, key in found)


@dataclass
class _Feed:
    """Hash objects fed with the same signed data, keyed by (version, hash id, salt)."""

    hashers: dict[tuple[int, int, bytes], SignatureHash] = field(default_factory=dict)
    #: A SHA-256 of everything fed, for a clear-signed block whose ``Hash:`` header gives no strong
    #: hasher (see :meth:`witness_digest`); None otherwise: no data is hashed twice.
    witness: SignatureHash | None = None

    def want(self, sig: Signature | OnePass) -> None:
        """Hash the data for ``sig`` (or the signature a one-pass packet announces) too.

        Raises:
            LimitError: that would make more than :data:`MAX_DIGESTS` digests of the data, or
                more than :data:`MAX_SHA1_DIGESTS` SHA-1 ones.
        """
        version = sig.version if isinstance(sig, Signature) else sig.signature_version
        k = (version, sig.hash_algorithm, sig.salt)
        if k not in self.hashers:
            if len(self.hashers) >= MAX_DIGESTS:
                raise LimitError(
                    f"more than {MAX_DIGESTS} differently hashed or salted signatures by known keys"
                    " over one text"
                )
            if sig.hash_algorithm == HashAlgorithm.SHA1 and self.sha1_count() >= MAX_SHA1_DIGESTS:
                raise LimitError(
                    f"more than {MAX_SHA1_DIGESTS} SHA-1 digests (differently salted signatures"
                    " by known keys) over one text"
                )
            try:
                self.hashers[k] = sig.new_hash()
            except FormatError:
                return

    def sha1_count(self) -> int:
        """How many SHA-1 hashers the feed has (each holds the data for its collision scan)."""
        return sum(algo == HashAlgorithm.SHA1 for _v, algo, _s in self.hashers)

    def want_name(self, name: str) -> None:
        algo = clearsign.HASH_ALGORITHMS.get(name)
        if algo is None or (4, algo, b"") in self.hashers:
            return
        try:
            self.hashers[(4, algo, b"")] = new_hash(4, algo)
        except FormatError:
            return

    def update(self, chunk: bytes | memoryview) -> None:
        for h in self.hashers.values():
            h.update(chunk)
        if self.witness is not None:
            self.witness.update(chunk)

    def strong_hasher(self) -> SignatureHash | None:
        """The first hasher of a collision-resistant hash (SHA-2 of 256 bits or more, SHA-3)."""
        return next(
            (h for (_v, algo, _s), h in self.hashers.items() if algo in _WITNESS_ALGORITHMS), None
        )

    def witness_digest(self) -> bytes:
        """A digest of everything fed so far: the witness's, else the first strong hasher's.

        A second pass over a clear-signed file must see the text the first one saw: both passes
        set their feeds up the same way (the ``Hash:`` header's hashers first, a SHA-256 witness
        when none of them is collision-resistant), so equal data gives equal witness digests, and
        different data different ones. The header is not signed: with ``Hash: MD5`` first, the
        witness must not be an MD5 (a collision would tie the text written out to other text).
        """
        if self.witness is not None:
            return self.witness.digest()
        strong = self.strong_hasher()
        if strong is None:  # setup always gives a witness or a strong hasher
            raise AssertionError("a feed with no witness")
        return strong.digest()

    def has(self, sig: Signature) -> bool:
        return (sig.version, sig.hash_algorithm, sig.salt) in self.hashers

    def digest(self, sig: Signature) -> bytes:
        h = self.hashers.get((sig.version, sig.hash_algorithm, sig.salt))
        if h is None:
            raise UnsupportedError(f"unsupported hash algorithm {sig.hash_name}")
        h2 = h.copy()
        h2.update(sig.trailer())
        return h2.digest()


# --------------------------------------------------------------------------------------------------
# Detached


def read_signature_file(data: bytes) -> tuple[Signature, ...]:
    """Signature packets from an armored or binary signature file.

    Raises:
        FormatError: not a signature file (bad armor, wrong block label, malformed packets).
    """
    if armor.is_armored(data):
        sigs: list[Signature] = []
        for count, b in enumerate(armor.iter_blocks(data), 1):
            if count > MAX_SIGNATURES_PER_FILE:  # each block must hold a signature, or be ignored
                raise LimitError(f"more than {MAX_SIGNATURES_PER_FILE} armor blocks in one file")
            if b.label == "PGP SIGNATURE":
                sigs.extend(parse_signatures(b.data))
                _bounded(len(sigs))
        if not sigs:
            raise FormatError("no PGP SIGNATURE block in the signature file")
        return tuple(sigs)
    return parse_signatures(data)


def _bounded(count: int) -> None:
    """Raises LimitError past :data:`MAX_SIGNATURES_PER_FILE` signatures in one input."""
    if count > MAX_SIGNATURES_PER_FILE:
        raise LimitError(f"more than {MAX_SIGNATURES_PER_FILE} signatures in one file")


def verify_detached(
    data: BinaryIO | bytes | Path,
    signature: bytes,
    keyring: Keyring,
    *,
    policy: Policy,
    now: datetime,
    min_signatures: int = 1,
    judge: Judge | None = None,
) -> VerifyReport:
    """Verify a detached signature file over ``data`` (a stream, bytes or a path).

    ``judge``, when given, is the run's judge for this keyring, policy and time (its cache is
    shared with the caller's other questions).

    Raises:
        FormatError: the signature file is malformed.
        InputError: the data cannot be read.
        ValueError: ``now`` is naive, or ``judge`` is for something else.
    """
    the_judge = judge_for(keyring, policy, now, judge)
    sigs = read_signature_file(signature)
    binary, text = _Feed(), _Feed()
    for s in sigs:
        if _may_count(s, keyring):
            (text if s.sig_type == SignatureType.TEXT else binary).want(s)
    canon = clearsign.Canonicalizer(strip_whitespace=False)

    def run(fp: BinaryIO) -> None:
        if not text.hashers:  # binary signatures only: one reused buffer, no copies
            hashing.feed(fp, [binary.update], chunk=_CHUNK)
            return
        while True:
            chunk = fp.read(clearsign.READ_CHUNK)
            if not chunk:
                break
            if binary.hashers:
                binary.update(chunk)
            if text.hashers:
                text.update(canon.feed(chunk))
        if text.hashers:
            text.update(canon.finish())

    try:
        if isinstance(data, Path):
            with data.open("rb") as fp:
                run(fp)
        elif isinstance(data, bytes):
            run(io.BytesIO(data))
        else:
            run(data)
    except OSError as e:
        raise InputError(f"cannot read signed data: {e.strerror or e}") from e
    with sha1sig.input_budget():
        results = tuple(
            judge_signature(
                s, (text if s.sig_type == SignatureType.TEXT else binary).digest, the_judge
            )
            for s in sigs
        )
    return VerifyReport(signatures=results, min_signatures=min_signatures, blocks=1)


# --------------------------------------------------------------------------------------------------
# Clear-signed


class LFText:
    """The verified text of clear-signed blocks, as gpgv writes it, to ``write``.

    :func:`verify_clearsigned` hands over canonical text (CRLF line ends) block by block; this
    writes it with LF line ends, each block's text ending with one LF. The one rule for the
    verified text: ``pgpsig verify --output`` and the library's returned text both use it.
    """

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._pending_cr = False
        self._block = -1

    def _advance(self, block: int) -> None:
        """Close every block before ``block`` with its final LF (empty blocks send no chunks)."""
        if block == self._block:
            return
        if self._pending_cr:
            self._write(b"\r")
            self._pending_cr = False
        count = block - self._block if self._block >= 0 else block
        self._write(b"\n" * count)
        self._block = block

    def write_canonical(self, block: int, chunk: bytes) -> None:
        """Write a chunk of block ``block``'s canonical text (CRLF) as LF text."""
        self._advance(block)
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self._pending_cr = True
        self._write(chunk.replace(b"\r\n", b"\n"))

    def finish(self, blocks: int) -> None:
        """End the text of the last of ``blocks`` blocks."""
        self._advance(blocks)


class HeldOutput:
    """Verified output held back until the verdict: written to ``to`` only if it verifies.

    The one rule for holding back what a verification writes (``verify --output``, the library's
    text, SOP's ``inline-verify`` data). ``to`` None keeps the octets in memory (:meth:`release`
    returns them); a path stages them beside that file (:class:`pgpsig.fsutil.Staged`), moved into
    place by :meth:`release`; a binary file object gets them only on :meth:`release`, spooled
    until then (to a temporary file past 1 MiB: memory stays bounded whatever the size). Release
    only what verified; else :meth:`discard`.

    Raises:
        InputError: ``to`` is a path where no file can be made (no such directory).
    """

    def __init__(self, to: Path | BinaryIO | None) -> None:
        # Imported here, as tempfile below: they cost every check 5 ms of start-up, for an
        # output only `verify --output`, SOP and the library ask for.
        from pgpsig import fsutil  # noqa: PLC0415

        self._to = to
        self._staged: fsutil.Staged | None = None
        self._held: BinaryIO
        if isinstance(to, Path):
            self._staged = fsutil.Staged(to)
            self.write: Callable[[bytes], object] = self._staged.write
        else:
            self._held = io.BytesIO() if to is None else _spool()
            self.write = self._held.write

    def release(self) -> bytes | None:
        """Deliver what was written; the octets themselves when held in memory.

        Raises:
            InputError: it cannot be written or moved into place (nothing is left behind).
        """
        if self._staged is not None:
            self._staged.commit()
            return None
        if self._to is None:
            return cast("io.BytesIO", self._held).getvalue()
        sink = cast("BinaryIO", self._to)
        try:
            self._held.seek(0)
            while chunk := self._held.read(_CHUNK):
                sink.write(chunk)
        except OSError as e:
            raise InputError(f"cannot write the verified text: {e.strerror or e}") from e
        finally:
            self._held.close()
        return None

    def discard(self) -> None:
        """Let go of what was written; nothing is written anywhere."""
        if self._staged is not None:
            self._staged.discard()
        else:
            self._held.close()


class TextOutput:
    """Where the verified text of clear-signed blocks goes, held back until the verdict.

    The one rule for ``pgpsig verify --output``, SOP's ``inline-verify`` and the text the library
    returns: :class:`LFText`'s text, held by a :class:`HeldOutput` (``to`` as there).

    Raises:
        InputError: ``to`` is a path where no file can be made (no such directory).
    """

    def __init__(self, to: Path | BinaryIO | None) -> None:
        self._held = HeldOutput(to)
        self._text = LFText(self._held.write)
        self.write_canonical = self._text.write_canonical

    def release(self, blocks: int) -> bytes | None:
        """End the text of ``blocks`` blocks and deliver it; the text itself when held in memory.

        Raises:
            InputError: it cannot be written or moved into place (nothing is left behind).
        """
        self._text.finish(blocks)
        return self._held.release()

    def discard(self) -> None:
        """Let go of the text; nothing is written anywhere."""
        self._held.discard()


def _spool() -> BinaryIO:
    import tempfile  # noqa: PLC0415 - see HeldOutput.__init__

    return cast("BinaryIO", tempfile.SpooledTemporaryFile(max_size=_CHUNK))


class _BlockSink:
    def __init__(self, feed: _Feed, out: Callable[[bytes], None] | None) -> None:
        self.feed = feed
        self.out = out

    def update(self, canonical: bytes) -> None:
        self.feed.update(canonical)
        if self.out is not None:
            self.out(canonical)


def _stream_pass(
    fp: BinaryIO,
    prepare: Callable[[int, tuple[str, ...]], _Feed],
    out: Callable[[int, bytes], None] | None,
) -> tuple[clearsign.FrameInfo, ...]:
    counter = [0]

    def start(hashes: tuple[str, ...]) -> clearsign.BlockSink:
        i = counter[0]
        counter[0] += 1
        feed = prepare(i, hashes)
        return _BlockSink(feed, (lambda c: out(i, c)) if out is not None else None)

    return clearsign.decode_stream(fp, start)


def _bound_sha1_blocks(feeds: list[_Feed]) -> None:
    """Raises LimitError past :data:`MAX_SHA1_BLOCKS` blocks hashed with SHA-1 in one input."""
    if sum(f.sha1_count() > 0 for f in feeds) > MAX_SHA1_BLOCKS:
        raise LimitError(
            f"more than {MAX_SHA1_BLOCKS} clear-signed blocks hashed with SHA-1 in one input"
        )


def verify_clearsigned(
    source: BinaryIO | bytes | Path,
    keyring: Keyring,
    *,
    policy: Policy,
    now: datetime,
    min_signatures: int = 1,
    output: Callable[[int, bytes], None] | None = None,
    judge: Judge | None = None,
) -> VerifyReport:
    """Verify a clear-signed input (one or several blocks), streaming.

    ``output(block, chunk)``, if given, receives the canonical signed text of each block as it is
    read (CRLF line breaks). The caller must discard it unless the report is ``ok``. ``judge`` as
    for :func:`verify_detached`.

    Raises:
        ClearsignFormatError: the frame is malformed, or a signature uses a hash the ``Hash:``
            header does not list.
        FormatError: malformed armor or signature packets.
        LimitError: more than :data:`MAX_SIGNATURES_PER_FILE` signatures, :data:`MAX_DIGESTS`
            digests of one block or :data:`MAX_SHA1_BLOCKS` blocks hashed with SHA-1.
        InputError: the input cannot be read.
        ValueError: ``now`` is naive, or ``judge`` is for something else.
    """
    the_judge = judge_for(keyring, policy, now, judge)
    feeds: list[_Feed] = []

    def setup(hashes: tuple[str, ...]) -> _Feed:
        f = _Feed()
        for name in hashes:
            f.want_name(name)
        if f.strong_hasher() is None:
            f.witness = hashlib.sha256()
        return f

    def prepare(i: int, hashes: tuple[str, ...]) -> _Feed:
        f = setup(hashes)
        feeds.append(f)
        _bound_sha1_blocks(feeds)
        return f

    opened: BinaryIO | None = None
    try:
        if isinstance(source, Path):
            opened = source.open("rb")
            fp: BinaryIO = opened
        elif isinstance(source, bytes):
            fp = io.BytesIO(source)
        else:
            fp = source
        start_pos = fp.tell() if fp.seekable() else None
        infos = _stream_pass(fp, prepare, output)
        per_block: list[tuple[Signature, ...]] = []
        for i, info in enumerate(infos):
            sigs = parse_signatures(info.signature)
            for s in sigs:
                if info.hashes and s.version == 4 and s.hash_name not in info.hashes:
                    raise ClearsignFormatError(
                        f"block {i + 1}: the Hash header ({', '.join(info.hashes)}) does not list "
                        f"the signature's hash {s.hash_name}",
                        line=info.begin_line,
                    )
            per_block.append(sigs)
            _bounded(sum(map(len, per_block)))
        missing = [
            (i, s)
            for i, sigs in enumerate(per_block)
            for s in sigs
            if not feeds[i].has(s) and _may_count(s, keyring)
        ]
        if missing:
            if start_pos is None:
                raise InputError("cannot re-read a non-seekable input to compute its digests")
            fp.seek(start_pos)
            feeds2: list[_Feed] = []

            def prepare2(i: int, hashes: tuple[str, ...]) -> _Feed:
                f = setup(hashes)  # the first pass's hashers first: the same witness
                for s in per_block[i] if i < len(per_block) else ():
                    if _may_count(s, keyring):
                        f.want(s)
                feeds2.append(f)
                _bound_sha1_blocks(feeds2)
                return f

            infos2 = _stream_pass(fp, prepare2, None)
            # The text written to ``output`` (and judged by the caller) comes from the first
            # pass; the digests now come from the second: they must be of the same bytes.
            if [i.signature for i in infos2] != [i.signature for i in infos] or [
                f.witness_digest() for f in feeds2
            ] != [f.witness_digest() for f in feeds]:
                raise InputError("the clear-signed input changed while it was being read")
            feeds = feeds2
    except OSError as e:
        raise InputError(f"cannot read clear-signed input: {e.strerror or e}") from e
    finally:
        if opened is not None:
            opened.close()
    results: list[SignatureResult] = []
    with sha1sig.input_budget():
        for i, sigs in enumerate(per_block):
            for s in sigs:
                results.append(
                    judge_signature(s, feeds[i].digest, the_judge, clearsigned=True, block=i)
                )
    warnings = []
    for i, info in enumerate(infos):
        if info.leading.strip():
            warnings.append(
                f"{len(info.leading)}{'+' if info.leading_truncated else ''} bytes of unsigned text "
                f"before block {i + 1} were ignored"
            )
        if info.trailing.strip():
            warnings.append(
                f"{len(info.trailing)}{'+' if info.trailing_truncated else ''} bytes of unsigned "
                f"text after the last block were ignored"
            )
    return VerifyReport(
        signatures=tuple(results),
        min_signatures=min_signatures,
        blocks=len(infos),
        warnings=tuple(warnings),
    )
