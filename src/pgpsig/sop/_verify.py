"""SOP verification: ``verify``, ``inline-verify`` and ``inline-detach``.

This private module owns how :mod:`pgpsig.sop` answers a verification: every signature is judged by
pgpsig's engine (:mod:`pgpsig.verify`: the strict clear-signed frame decoder, detached and
inline-signed messages, certificate validity at the signature's time with
:mod:`pgpsig.engine`, policy ``default``); SOP's answer is then the draft's: success when
at least one signature is good and made inside ``[not_before, not_after]``, one
:class:`~pgpsig.sop._base.Verification` per such signature.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from pgpsig.certs.keyring import Keyring, read_certs
from pgpsig.errors import FormatError, InputError, LimitError
from pgpsig.openpgp import armor as _armor
from pgpsig.openpgp import clearsign, message, packets
from pgpsig.openpgp.dearmor import ArmorReader
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature
from pgpsig.report import SignatureResult, SigStatus, iso
from pgpsig.sop._base import SopError, SopExit, Verification, _is_clearsigned, _policy
from pgpsig.verify import (
    HeldOutput,
    TextOutput,
    read_signature_file,
    verify_clearsigned,
    verify_detached,
)
from pgpsig.verify_inline import verify_inline

__all__ = ["inline_detach", "inline_verify", "verify"]


def _keyring(certs: Sequence[bytes]) -> Keyring:
    if not certs:
        raise SopError(SopExit.MISSING_ARG, "no certificate given (CERTS)")
    ring = Keyring()
    for i, data in enumerate(certs, start=1):
        try:
            ring.add_all(read_certs(data, source=f"certificate {i}"))
        except (FormatError, LimitError) as e:
            raise SopError(SopExit.BAD_DATA, f"not a certificate: {e}") from e
    return ring


def _mode(sig: Signature) -> str:
    """A VERIFICATIONS line's ``mode:``, from the signature's type."""
    return "text" if sig.sig_type == SignatureType.TEXT else "binary"


def _accepted(
    results: Sequence[tuple[str, SignatureResult]],
    not_before: datetime | None,
    not_after: datetime | None,
) -> tuple[Verification, ...]:
    """VERIFICATIONS for good signatures (each with its mode) made inside the bounds.

    Raises:
        SopError: NO_SIGNATURE, when there is none.
    """
    out: list[Verification] = []
    reasons: list[str] = []
    for mode, r in results:
        if r.status is not SigStatus.GOOD:
            reasons.append(f"{r.status.value}: {r.reason}" if r.reason else r.status.value)
            continue
        assert r.created is not None
        assert r.signer is not None
        assert r.primary is not None
        if not_before is not None and r.created < not_before:
            reasons.append(f"made {iso(r.created)}, before --not-before")
            continue
        if not_after is not None and r.created > not_after:
            reasons.append(f"made {iso(r.created)}, after --not-after")
            continue
        out.append(Verification(r.created, r.signer, r.primary, mode))
    if not out:
        why = f" ({reasons[0]})" if reasons else ""
        raise SopError(SopExit.NO_SIGNATURE, f"no acceptable signature found{why}")
    return tuple(out)


def verify(
    data: bytes,
    signatures: bytes,
    certs: Sequence[bytes],
    *,
    now: datetime,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[Verification, ...]:
    """``sop verify``: detached signatures over ``data``.

    Args:
        data: The signed data.
        signatures: The signature file (armored or binary, one or more signatures).
        certs: Certificate inputs (each armored or binary, one or more certificates).
        now: The reference time (signatures from the future and expired ones are refused).
        not_before: Refuse signatures made before this time (None: no bound).
        not_after: Refuse signatures made after this time (None: no bound; the CLI's
            default is ``now``).

    Returns:
        One verification per acceptable signature.

    Raises:
        SopError: MISSING_ARG (no certificate), BAD_DATA (not a signature or a certificate),
            NO_SIGNATURE (no acceptable signature).
    """
    ring = _keyring(certs)
    try:
        sigs = read_signature_file(signatures)
        report = verify_detached(data, signatures, ring, policy=_policy(), now=now)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a signature: {e}") from e
    pairs = [(_mode(s), r) for s, r in zip(sigs, report.signatures, strict=True)]
    return _accepted(pairs, not_before, not_after)


def _sniff(fp: BinaryIO) -> bytes:
    """The first octets of ``fp`` after leading whitespace, read without moving ``fp``.

    Enough to tell a clear-signed, an armored and a binary message apart.
    """
    at = fp.tell()
    try:
        while chunk := fp.read(1 << 16):
            rest = chunk.lstrip(b" \t\r\n")
            if rest:
                return rest + fp.read(64)
        return b""
    finally:
        fp.seek(at)


def _message_packets(fp: BinaryIO, head: bytes) -> message.Source:
    """The binary packets of an armored (``PGP MESSAGE``) or binary message read from ``fp``.

    Both are read as they are needed, never whole: armor (at most
    :data:`~pgpsig.openpgp.armor.MAX_ARMOR_BYTES`, the block and what follows it) is decoded a
    chunk at a time (:class:`~pgpsig.openpgp.dearmor.ArmorReader`), its CRC24 checked and what
    follows the block read before its end is reported, so a defect of the armor fails the message
    as a defect of its packets does, before any output is released.
    """
    if not _armor.is_armored(head):
        return fp
    reader = ArmorReader(fp)
    if reader.label != "PGP MESSAGE":
        raise SopError(
            SopExit.BAD_DATA, f"expected one PGP MESSAGE armor block, found {reader.label}"
        )
    return reader


def _lf_text(canonical: bytes) -> bytes:
    """Canonical (CRLF) text as LF text."""
    return canonical.replace(b"\r\n", b"\n")


def _source(data: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, bytes) else data


def inline_verify(
    data: bytes | BinaryIO,
    certs: Sequence[bytes],
    *,
    now: datetime,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    output: BinaryIO | None = None,
) -> tuple[bytes, tuple[Verification, ...]]:
    """``sop inline-verify``: an inline-signed or clear-signed message.

    Clear-signed input is decoded by the strict frame decoder, and every block must carry an
    acceptable signature (each block's text is returned; text outside the blocks never is); the
    text returned is what ``pgpsig verify --output`` writes: each block's signed text with LF line
    breaks and a final LF (:class:`~pgpsig.verify.TextOutput`). A binary or armored inline-signed
    message (one-pass signatures, literal data, signatures; possibly compressed) returns the
    literal data as it is, read as a stream (:func:`~pgpsig.verify_inline.verify_inline`).

    Args:
        data: The message, or a seekable binary stream positioned at it.
        certs: Certificate inputs.
        now: The reference time.
        not_before: As for :func:`verify`.
        not_after: As for :func:`verify`.
        output: Where the signed data goes, only once it verified (held back in a temporary file
            until then); None returns it instead.

    Returns:
        The signed data (empty when ``output`` is given) and one verification per acceptable
        signature.

    Raises:
        SopError: MISSING_ARG, BAD_DATA (not a signed message, malformed frame or packets),
            NO_SIGNATURE.
        InputError: the data cannot be read or written.
    """
    ring = _keyring(certs)
    policy = _policy()
    fp = _source(data)
    try:
        head = _sniff(fp)
        if _is_clearsigned(head):
            text = TextOutput(output)
            try:
                report = verify_clearsigned(
                    fp, ring, policy=policy, now=now, output=text.write_canonical
                )
                # Only a text signature can be good in a clear-signed frame.
                found = _accepted([("text", r) for r in report.signatures], not_before, not_after)
                # Every block's text is written, so every block needs an acceptable signature.
                for i in range(report.blocks):
                    try:
                        _accepted(
                            [("text", r) for r in report.signatures if r.block == i],
                            not_before,
                            not_after,
                        )
                    except SopError as e:
                        raise SopError(e.code, f"clear-signed block {i + 1}: {e}") from e
            except BaseException:
                text.discard()
                raise
            return text.release(report.blocks) or b"", found
        packets_in = _message_packets(fp, head)
        held = HeldOutput(output)
        try:
            results = verify_inline(packets_in, ring, policy=policy, now=now, output=held.write)
            found = _accepted([(_mode(s), r) for s, r in results], not_before, not_after)
        except BaseException:
            held.discard()
            raise
        return held.release() or b"", found
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a signed message: {e}") from e
    except OSError as e:
        raise InputError(f"cannot read the message: {e.strerror or e}") from e


def inline_detach(
    data: bytes | BinaryIO, *, armor_out: bool = True, output: BinaryIO | None = None
) -> tuple[bytes, bytes]:
    """``sop inline-detach``: split an inline-signed message into data and signatures.

    For a clear-signed message the data is the signed text with LF line breaks and without a
    final line break (exactly what its text signatures cover once canonicalised, so
    ``sop verify`` accepts the pair). An inline-signed message is read as a stream; its data is
    held back (in a temporary file past 1 MiB) until the whole message proved well formed.

    Args:
        data: The message, or a seekable binary stream positioned at it.
        armor_out: Armor the signatures.
        output: Where the data goes, once the message was read; None returns it instead.

    Returns:
        The data (empty when ``output`` is given), and the signatures (armored unless
        ``armor_out`` is false).

    Raises:
        SopError: BAD_DATA: not an inline-signed or clear-signed message.
        InputError: the data cannot be read or written.
    """
    fp = _source(data)
    try:
        head = _sniff(fp)
        if _is_clearsigned(head):
            block = clearsign.decode(fp.read())
            content = _lf_text(block.canonical)
            packets.parse_signatures(block.info.signature)
            sig_bytes = block.info.signature
            if output is not None:
                output.write(content)
                content = b""
        else:
            packets_in = _message_packets(fp, head)
            held = HeldOutput(output)
            try:
                msg = message.read_inline(packets_in, lambda *_: held.write)
            except BaseException:
                held.discard()
                raise
            content = held.release() or b""
            sig_bytes = b"".join(msg.signature_packets)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not an inline-signed message: {e}") from e
    except OSError as e:
        raise InputError(f"cannot read the message: {e.strerror or e}") from e
    return content, _armor.encode("PGP SIGNATURE", sig_bytes) if armor_out else sig_bytes
