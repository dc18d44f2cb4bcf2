"""SOP verification: ``verify``, ``inline-verify`` and ``inline-detach``.

This private module owns how :mod:`pgpsig.sop` answers a verification: every signature is judged by
pgpsig's engine (:mod:`pgpsig.verify`: the strict clear-signed frame decoder, detached and
inline-signed messages, certificate validity at the signature's time with
:mod:`pgpsig.engine`, policy ``default``); SOP's answer is then the draft's: success when
at least one signature is good and made inside ``[not_before, not_after]``, one
:class:`~pgpsig.sop._base.Verification` per such signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pgpsig.certs.keyring import Keyring, read_certs
from pgpsig.engine.signatures import judge_for, judge_signature
from pgpsig.errors import FormatError, LimitError
from pgpsig.openpgp import armor as _armor
from pgpsig.openpgp import clearsign, message, packets
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature
from pgpsig.report import SignatureResult, SigStatus, iso
from pgpsig.sop._base import SopError, SopExit, Verification, _is_clearsigned, _policy
from pgpsig.verify import read_signature_file, verify_clearsigned, verify_detached

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


def _accepted(
    results: Sequence[tuple[Signature, SignatureResult]],
    not_before: datetime | None,
    not_after: datetime | None,
) -> tuple[Verification, ...]:
    """VERIFICATIONS for good signatures made inside the bounds, or NO_SIGNATURE."""
    out: list[Verification] = []
    reasons: list[str] = []
    for sig, r in results:
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
        mode = "text" if sig.sig_type == SignatureType.TEXT else "binary"
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
    return _accepted(list(zip(sigs, report.signatures, strict=True)), not_before, not_after)


def _message_packets(data: bytes) -> bytes:
    """Binary packets of an armored (``PGP MESSAGE``) or binary message."""
    if not _armor.is_armored(data):
        return data
    blocks = _armor.decode_all(data)
    if len(blocks) != 1 or blocks[0].label != "PGP MESSAGE":
        labels = ", ".join(b.label for b in blocks)
        raise SopError(SopExit.BAD_DATA, f"expected one PGP MESSAGE armor block, found {labels}")
    return blocks[0].data


def _lf_text(canonical: bytes) -> bytes:
    """Canonical (CRLF) text as LF text."""
    return canonical.replace(b"\r\n", b"\n")


def inline_verify(
    data: bytes,
    certs: Sequence[bytes],
    *,
    now: datetime,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[bytes, tuple[Verification, ...]]:
    """``sop inline-verify``: an inline-signed or clear-signed message.

    Clear-signed input is decoded by the strict frame decoder, and every block must carry an
    acceptable signature (each block's text is returned; text outside the blocks never is); the
    text returned is what ``pgpsig verify --output`` writes: each block's signed text with LF line
    breaks and a final LF. A binary or armored inline-signed message (one-pass signatures,
    literal data, signatures; possibly compressed) returns the literal data as it is.

    Args:
        data: The message.
        certs: Certificate inputs.
        now: The reference time.
        not_before: As for :func:`verify`.
        not_after: As for :func:`verify`.

    Returns:
        The signed data and one verification per acceptable signature.

    Raises:
        SopError: MISSING_ARG, BAD_DATA (not a signed message, malformed frame or packets),
            NO_SIGNATURE.
    """
    ring = _keyring(certs)
    policy = _policy()
    try:
        if _is_clearsigned(data):
            texts: dict[int, list[bytes]] = {}

            def collect(block: int, chunk: bytes) -> None:
                texts.setdefault(block, []).append(chunk)

            report = verify_clearsigned(data, ring, policy=policy, now=now, output=collect)
            pairs = list(zip(_clearsigned_signatures(data), report.signatures, strict=True))
            found = _accepted(pairs, not_before, not_after)
            # Every block's text is written, so every block needs an acceptable signature.
            for i in range(report.blocks):
                try:
                    _accepted([p for p in pairs if p[1].block == i], not_before, not_after)
                except SopError as e:
                    raise SopError(e.code, f"clear-signed block {i + 1}: {e}") from e
            text = b"".join(
                _lf_text(b"".join(texts.get(i, []))) + b"\n" for i in range(report.blocks)
            )
            return text, found
        msg = message.parse_inline(_message_packets(data))
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not a signed message: {e}") from e
    content = msg.literal.data
    judge = judge_for(ring, policy, now)
    results = [
        (s, judge_signature(s, lambda sig: message.signed_digest(sig, content), judge))
        for s in msg.signatures
    ]
    return content, _accepted(results, not_before, not_after)


def _clearsigned_signatures(data: bytes) -> list[Signature]:
    """The signatures of every block of a (well-formed) clear-signed input, in order."""
    out: list[Signature] = []
    for block in clearsign.decode_all(data):
        out.extend(packets.parse_signatures(block.info.signature))
    return out


def inline_detach(data: bytes, *, armor_out: bool = True) -> tuple[bytes, bytes]:
    """``sop inline-detach``: split an inline-signed message into data and signatures.

    For a clear-signed message the data is the signed text with LF line breaks and without a
    final line break (exactly what its text signatures cover once canonicalised, so
    ``sop verify`` accepts the pair).

    Returns:
        The data, and the signatures (armored unless ``armor_out`` is false).

    Raises:
        SopError: BAD_DATA: not an inline-signed or clear-signed message.
    """
    try:
        if _is_clearsigned(data):
            block = clearsign.decode(data)
            content = _lf_text(block.canonical)
            packets.parse_signatures(block.info.signature)
            sig_bytes = block.info.signature
        else:
            msg = message.parse_inline(_message_packets(data))
            content = msg.literal.data
            sig_bytes = b"".join(msg.signature_packets)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not an inline-signed message: {e}") from e
    return content, _armor.encode("PGP SIGNATURE", sig_bytes) if armor_out else sig_bytes
