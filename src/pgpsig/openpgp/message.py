"""Inline-signed OpenPGP messages: literal data, one-pass signatures, compressed data.

This module owns the *message* packets pgpsig needs to read and write signed messages that carry
their data inside (RFC 9580 section 10.3): the Literal Data packet (tag 11, section 5.9), the
One-Pass Signature packet (tag 4, section 5.4; version 3 for v4 signatures, version 6 with the
salt and fingerprint for v6 signatures) and the Compressed Data packet (tag 8, section 5.6;
uncompressed, ZIP, ZLIB, BZip2). It is pure: bytes in, values out.

Reading (:func:`parse_inline`) accepts the two signed-message shapes of the grammar, possibly
inside one compressed packet, with marker and padding packets anywhere at the top level:

* ``OPS... Literal Signature...``: as many signatures after the literal as one-pass packets
  before it (the usual form);
* ``Signature... Literal``: signatures before the data (the old form).

A literal without any signature, encrypted data, several literals, or anything else is malformed:
:class:`~pgpsig.errors.PacketError`. Signatures are *not* judged here; :mod:`pgpsig.verify` does
that with :func:`signed_digest`, the digest a signature covers over the literal's content (binary
signatures hash the bytes as they are, text signatures their CRLF-canonical form).

Writing (:func:`inline_signed`): one-pass packets in signature order, the literal, then the
signatures in reverse order, as RFC 9580 section 10.3 nests them.

Decompression is bounded (:data:`MAX_INLINE_BYTES`): a compression bomb is refused, never
expanded.
"""

from __future__ import annotations

import bz2
import struct
import zlib
from collections.abc import Sequence

from pgpsig._dataclass import dataclass
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp import cleartext
from pgpsig.openpgp.framing import iter_packets
from pgpsig.openpgp.ids import CompressionAlgorithm, SignatureType, Tag
from pgpsig.openpgp.signature import Signature, parse_signature
from pgpsig.openpgp.write import packet_header

__all__ = [
    "MAX_INLINE_BYTES",
    "InlineMessage",
    "LiteralData",
    "inline_signed",
    "literal_packet",
    "one_pass_packet",
    "parse_inline",
    "signed_digest",
]

#: Largest message (after decompression) read into memory.
MAX_INLINE_BYTES = 1 << 30

_TAGS_ENCRYPTED = frozenset(
    {Tag.PKESK, Tag.SKESK, Tag.SYMMETRICALLY_ENCRYPTED, Tag.SEIPD, Tag.AEAD_ENCRYPTED}
)
_FORMATS = frozenset(b"btum")
_MAX_NESTING = 4  # compressed packets inside compressed packets, as Sequoia allows


@dataclass(frozen=True, slots=True)
class LiteralData:
    """A Literal Data packet: format (``b``, ``t``, ``u`` or ``m``), file name, date and content."""

    format: str
    filename: bytes
    date: int
    data: bytes


@dataclass(frozen=True, slots=True)
class OnePass:
    """A One-Pass Signature packet, as announced before the data."""

    version: int
    sig_type: int
    hash_algorithm: int
    pubkey_algorithm: int
    issuer: str
    salt: bytes
    nested: bool


@dataclass(frozen=True, slots=True)
class InlineMessage:
    """A parsed inline-signed message: the literal and its signatures, in input order."""

    literal: LiteralData
    signatures: tuple[Signature, ...]
    one_pass: tuple[OnePass, ...]
    signature_packets: tuple[bytes, ...]


def literal_packet(data: bytes, *, fmt: str = "b", filename: bytes = b"", date: int = 0) -> bytes:
    """A Literal Data packet (RFC 9580 section 5.9) holding ``data``.

    Args:
        data: The content.
        fmt: ``b`` binary, ``u`` UTF-8 text, ``t`` text, ``m`` MIME.
        filename: At most 255 octets.
        date: Seconds since the epoch, or 0.

    Returns:
        The packet, with a new-format header.

    Raises:
        ValueError: An unknown format, a long file name, or a date out of range.
    """
    if len(fmt) != 1 or ord(fmt) not in _FORMATS:
        raise ValueError(f"unknown literal data format {fmt!r}")
    if len(filename) > 255:
        raise ValueError("a literal data file name has at most 255 octets")
    if not 0 <= date <= 0xFFFFFFFF:
        raise ValueError("literal data date out of range")
    body = fmt.encode("ascii") + bytes([len(filename)]) + filename + struct.pack(">I", date) + data
    return packet_header(Tag.LITERAL, len(body)) + body


def one_pass_packet(sig: Signature, *, last: bool) -> bytes:
    """The One-Pass Signature packet that announces ``sig`` (RFC 9580 section 5.4).

    A v4 signature gets a version 3 packet (issuer key ID), a v6 signature a version 6 packet
    (salt and issuer fingerprint).

    Args:
        sig: The signature, already made.
        last: True for the packet just before the literal data (the "nested" flag 1).

    Returns:
        The packet, with a new-format header.

    Raises:
        PacketError: A signature without an issuer of its own version.
    """
    flag = b"\x01" if last else b"\x00"
    head = bytes([sig.sig_type, sig.hash_algorithm, sig.pubkey_algorithm])
    if sig.version == 6:
        fprs = [f for f in sig.issuer_fingerprints if len(f) == 64]
        if not fprs:
            raise PacketError("a v6 signature without a v6 issuer fingerprint")
        body = b"\x06" + head + bytes([len(sig.salt)]) + sig.salt + bytes.fromhex(fprs[0]) + flag
    else:
        kids = sig.issuer_key_ids
        if not kids:
            raise PacketError("a v4 signature without an issuer")
        body = b"\x03" + head + bytes.fromhex(kids[0]) + flag
    return packet_header(Tag.ONE_PASS, len(body)) + body


def inline_signed(
    data: bytes, signature_packets: Sequence[bytes], *, fmt: str = "b", filename: bytes = b""
) -> bytes:
    """A binary inline-signed message: one-pass packets, the literal, then the signatures.

    Args:
        data: The signed content.
        signature_packets: Complete signature packets over ``data`` (header and body each).
        fmt: Literal format (``b`` for binary signatures, ``u`` for text ones).
        filename: The literal's file name.

    Returns:
        The binary message (armor it as ``PGP MESSAGE``).

    Raises:
        PacketError: Something other than one signature packet in an item, or no signature.
        ValueError: See :func:`literal_packet`.
    """
    sigs: list[Signature] = []
    for raw in signature_packets:
        parts = list(iter_packets(raw))
        if len(parts) != 1 or parts[0].tag != Tag.SIGNATURE:
            raise PacketError("each item must be exactly one signature packet")
        sigs.append(parse_signature(parts[0].body))
    if not sigs:
        raise PacketError("an inline-signed message needs at least one signature")
    ops = [one_pass_packet(s, last=i == len(sigs) - 1) for i, s in enumerate(sigs)]
    return b"".join(
        [*ops, literal_packet(data, fmt=fmt, filename=filename), *reversed(signature_packets)]
    )


def _decompress(body: bytes, limit: int) -> bytes:
    """The content of a Compressed Data packet, at most ``limit`` octets."""
    if not body:
        raise PacketError("empty compressed data packet")
    algo, payload = body[0], body[1:]
    if algo == CompressionAlgorithm.UNCOMPRESSED:
        out = payload
    elif algo in (CompressionAlgorithm.ZIP, CompressionAlgorithm.ZLIB):
        d = zlib.decompressobj(-15 if algo == CompressionAlgorithm.ZIP else 15)
        try:
            out = d.decompress(payload, limit + 1)
        except zlib.error as e:
            raise PacketError(f"corrupt compressed data: {e}") from e
    elif algo == CompressionAlgorithm.BZIP2:
        bd = bz2.BZ2Decompressor()
        try:
            out = bd.decompress(payload, max_length=limit + 1)
        except (OSError, ValueError) as e:
            raise PacketError(f"corrupt compressed data: {e}") from e
    else:
        raise PacketError(f"unknown compression algorithm {algo}")
    if len(out) > limit:
        raise LimitError(f"compressed data expands beyond {limit} octets")
    return out


def _one_pass(body: bytes) -> OnePass:
    if not body:
        raise PacketError("empty one-pass signature packet")
    if body[0] == 3:
        if len(body) != 13:
            raise PacketError("malformed version 3 one-pass signature packet")
        return OnePass(3, body[1], body[2], body[3], body[4:12].hex().upper(), b"", bool(body[12]))
    if body[0] == 6:
        if len(body) < 6 or len(body) != 5 + body[4] + 32 + 1:
            raise PacketError("malformed version 6 one-pass signature packet")
        salt = body[5 : 5 + body[4]]
        fpr = body[5 + body[4] : -1].hex().upper()
        return OnePass(6, body[1], body[2], body[3], fpr, salt, bool(body[-1]))
    raise PacketError(f"unknown one-pass signature version {body[0]}")


def _literal(body: bytes) -> LiteralData:
    if len(body) < 6:
        raise PacketError("truncated literal data packet")
    fmt = body[0]
    if fmt not in _FORMATS:
        raise PacketError(f"unknown literal data format 0x{fmt:02x}")
    nlen = body[1]
    if 2 + nlen + 4 > len(body):
        raise PacketError("truncated literal data packet")
    name = body[2 : 2 + nlen]
    date = struct.unpack(">I", body[2 + nlen : 6 + nlen])[0]
    return LiteralData(chr(fmt), name, date, body[6 + nlen :])


def parse_inline(data: bytes, *, limit: int = MAX_INLINE_BYTES) -> InlineMessage:
    """Parse a binary inline-signed message (see the module docstring for the accepted shapes).

    Args:
        data: The binary message (dearmored).
        limit: Largest content accepted after decompression.

    Returns:
        The literal data and the signatures.

    Raises:
        PacketError: Not an inline-signed message (encrypted, unsigned, malformed).
        LimitError: Beyond ``limit``, or too deeply nested compression.
    """
    for _ in range(_MAX_NESTING):
        pkts = [
            p
            for p in iter_packets(data, max_packet=max(len(data), 1))
            if p.tag not in (Tag.MARKER, Tag.PADDING)
        ]
        if len(pkts) == 1 and pkts[0].tag == Tag.COMPRESSED:
            data = _decompress(pkts[0].body, limit)
            continue
        break
    else:
        raise LimitError("compressed data nested too deeply")
    tags = [p.tag for p in pkts]
    if any(t in _TAGS_ENCRYPTED for t in tags):
        raise PacketError("an encrypted message (pgpsig does not decrypt)")
    if tags.count(Tag.LITERAL) != 1:
        raise PacketError(f"expected one literal data packet, found {tags.count(Tag.LITERAL)}")
    at = tags.index(Tag.LITERAL)
    before, after = pkts[:at], pkts[at + 1 :]
    literal = _literal(pkts[at].body)
    if before and all(p.tag == Tag.ONE_PASS for p in before):
        one_pass = tuple(_one_pass(p.body) for p in before)
        if [p.tag for p in after] != [Tag.SIGNATURE] * len(before):
            raise PacketError(
                f"{len(before)} one-pass signature packet(s) but "
                f"{sum(1 for p in after if p.tag == Tag.SIGNATURE)} signature(s) after the data"
            )
        sig_pkts = list(reversed(after))  # the first signature after the data ends the last OPS
    elif before and all(p.tag == Tag.SIGNATURE for p in before) and not after:
        one_pass = ()
        sig_pkts = before
    elif not before and not after:
        raise PacketError("the literal data is not signed")
    else:
        raise PacketError(f"not a signed message (packet tags {tags})")
    sigs = tuple(parse_signature(p.body) for p in sig_pkts)
    return InlineMessage(
        literal=literal,
        signatures=sigs,
        one_pass=one_pass,
        signature_packets=tuple(packet_header(p.tag, len(p.body)) + p.body for p in sig_pkts),
    )


def signed_digest(sig: Signature, content: bytes) -> bytes:
    """The finished digest ``sig`` covers over ``content``: binary as is, text canonicalised.

    Raises:
        PacketError: An unsupported hash algorithm.
    """
    h = sig.new_hash()
    if sig.sig_type == SignatureType.TEXT:
        h.update(cleartext.canonicalize(content, strip_whitespace=False))
    else:
        h.update(content)
    h.update(sig.trailer())
    return h.digest()
