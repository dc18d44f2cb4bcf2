"""SOP's ``armor`` and ``dearmor``: ASCII armor on and off, with the label the packets call for.

This private module owns the armor subcommands of :mod:`pgpsig.sop`; the armor codec itself is
:mod:`pgpsig.openpgp.armor`, the clear-signed frame :mod:`pgpsig.openpgp.clearsign`.
"""

from __future__ import annotations

from pgpsig.errors import FormatError, LimitError
from pgpsig.openpgp import armor as _armor
from pgpsig.openpgp import clearsign, packets
from pgpsig.openpgp.ids import Tag
from pgpsig.sop._base import SopError, SopExit, _is_clearsigned

__all__ = ["ARMOR_LABELS", "armor", "dearmor"]

_LABELS = {
    "sig": "PGP SIGNATURE",
    "key": "PGP PRIVATE KEY BLOCK",
    "cert": "PGP PUBLIC KEY BLOCK",
    "message": "PGP MESSAGE",
}
#: ``armor --label``: ``auto`` (the default: from the packets) or a label.
ARMOR_LABELS = ("auto", *_LABELS)
# Tags that start a message: PKESK (1), SKESK (3), one-pass signature, compressed data, SED (9),
# literal data, SEIPD (18), AEAD (20).
_MESSAGE_TAGS = frozenset({1, 3, Tag.ONE_PASS, Tag.COMPRESSED, 9, Tag.LITERAL, 18, 20})


def _detect_label(binary: bytes) -> str:
    """The armor label binary packets call for (RFC 9580 section 6.2)."""
    tags = [
        p.tag
        for p in packets.iter_packets(binary, max_packet=max(len(binary), 1))
        if p.tag not in (Tag.MARKER, Tag.PADDING)
    ]
    if not tags:
        raise SopError(SopExit.BAD_DATA, "no OpenPGP packet in the input")
    first = tags[0]
    if first == Tag.SECRET_KEY:
        return "PGP PRIVATE KEY BLOCK"
    if first == Tag.PUBLIC_KEY:
        return "PGP PUBLIC KEY BLOCK"
    if first == Tag.SIGNATURE:
        return "PGP SIGNATURE" if all(t == Tag.SIGNATURE for t in tags) else "PGP MESSAGE"
    if first in _MESSAGE_TAGS:
        return "PGP MESSAGE"
    raise SopError(SopExit.BAD_DATA, f"cannot tell what packet tag {first} data is")


def armor(data: bytes, *, label: str = "auto") -> bytes:
    """``sop armor``: ASCII-armor binary OpenPGP data (armored input is returned unchanged).

    Args:
        data: Binary packets (or already armored data, or a clear-signed message).
        label: One of :data:`ARMOR_LABELS`: ``auto`` (from the first packet), ``sig``, ``key``,
            ``cert`` or ``message``.

    Raises:
        SopError: BAD_DATA (not OpenPGP data), UNSUPPORTED_OPTION (an unknown label).
    """
    if label not in ARMOR_LABELS:
        raise SopError(
            SopExit.UNSUPPORTED_OPTION, f"--label={label}: use {', '.join(ARMOR_LABELS)}"
        )
    try:
        if _is_clearsigned(data):
            clearsign.decode_all(data)
            return data
        if _armor.is_armored(data):
            _armor.decode_all(data)
            return data
        name = _detect_label(data) if label == "auto" else _LABELS[label]
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not OpenPGP data: {e}") from e
    return _armor.encode(name, data)


def dearmor(data: bytes) -> bytes:
    """``sop dearmor``: the binary packets of armored data (binary input is returned unchanged).

    A clear-signed message gives the binary signatures of its blocks (its text is not OpenPGP
    packets).

    Raises:
        SopError: BAD_DATA: neither armored nor binary OpenPGP data.
    """
    try:
        if _is_clearsigned(data):
            return b"".join(b.info.signature for b in clearsign.decode_all(data))
        if _armor.is_armored(data):
            return b"".join(b.data for b in _armor.decode_all(data))
        _detect_label(data)
    except (FormatError, LimitError) as e:
        raise SopError(SopExit.BAD_DATA, f"not OpenPGP data: {e}") from e
    return data
