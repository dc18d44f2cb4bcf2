"""Inline-signed OpenPGP messages: literal data, one-pass signatures, compressed data.

This module owns the *message* packets pgpsig needs to read and write signed messages that carry
their data inside (RFC 9580 section 10.3): the Literal Data packet (tag 11, section 5.9), the
One-Pass Signature packet (tag 4, section 5.4; version 3 for v4 signatures, version 6 with the
salt and fingerprint for v6 signatures) and the Compressed Data packet (tag 8, section 5.6;
uncompressed, ZIP, ZLIB, BZip2). It is pure: octets in, values out.

Reading is a stream (:func:`read_inline`; :func:`parse_inline` for a message in memory): packets
are framed as they arrive, compressed data is expanded chunk by chunk, and the literal's content
goes to the caller's sink as it comes, never held. It accepts the two signed-message shapes of
the grammar, possibly inside one compressed packet (which must be alone at its level, at most
three deep), with marker and padding packets anywhere:

* ``OPS... Literal Signature...``: as many signatures after the literal as one-pass packets
  before it (the usual form);
* ``Signature... Literal``: signatures before the data (the old form).

Either way, what comes before the literal announces the signatures, so the digests to compute
are known before the data. A literal without any signature, encrypted data, several literals, or
anything else is malformed: :class:`~pgpsig.errors.PacketError`. Signatures are *not* judged
here; :mod:`pgpsig.verify_inline` does that, while the data streams by
(:func:`signed_digest` is the same digest over content in memory: binary signatures hash the
octets as they are, text signatures their CRLF-canonical form).

Writing (:func:`inline_signed`): one-pass packets in signature order, the literal, then the
signatures in reverse order, as RFC 9580 section 10.3 nests them.

Reading is bounded: a compressed packet expands to at most :data:`MAX_INLINE_BYTES` (a
compression bomb is refused at that point, never expanded further), the one-pass and signature
packets (the only ones held) to :data:`MAX_SIGNATURE_BYTES` all together, and memory to about
one chunk (:data:`_CHUNK`) besides.
"""

from __future__ import annotations

import bz2
import io
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol, cast

from pgpsig._dataclass import dataclass, replace
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp import cleartext
from pgpsig.openpgp.framing import MAX_PACKET_BYTES, iter_packets, read_header, read_partial_length
from pgpsig.openpgp.ids import CompressionAlgorithm, SignatureType, Tag
from pgpsig.openpgp.signature import (
    MAX_SUBPACKETS,
    Signature,
    SignatureHash,
    new_hash,
    parse_signature,
)
from pgpsig.openpgp.write import packet_header

__all__ = [
    "MAX_INLINE_BYTES",
    "MAX_SIGNATURE_BYTES",
    "InlineMessage",
    "LiteralData",
    "OnePass",
    "Source",
    "Start",
    "inline_signed",
    "literal_packet",
    "one_pass_packet",
    "parse_inline",
    "read_inline",
    "signed_digest",
]

#: Most octets a Compressed Data packet expands to (each one, when nested); one more is refused.
MAX_INLINE_BYTES = 1 << 30
#: Most octets of the one-pass and signature packets of one message, all together: the only
#: packets a reader holds (a signature is a few hundred octets; 512 of them fit).
MAX_SIGNATURE_BYTES = 1 << 20

_CHUNK = 1 << 20  # octets read, decompressed and handed on at once

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

    @property
    def signature_version(self) -> int:
        """The version of the signature announced: 4 (a version 3 packet) or 6."""
        return 6 if self.version == 6 else 4

    def new_hash(self) -> SignatureHash:
        """A hash object for the announced signature's digest, as :meth:`Signature.new_hash`.

        Raises:
            PacketError: the hash algorithm is unknown or not available.
        """
        return new_hash(self.signature_version, self.hash_algorithm, self.salt)

    @property
    def issuer_fingerprints(self) -> tuple[str, ...]:
        """The issuer's fingerprint (a version 6 packet), as :class:`Signature` names it."""
        return (self.issuer,) if self.version == 6 else ()

    @property
    def issuer_key_ids(self) -> tuple[str, ...]:
        """The issuer's key ID (a version 3 packet), as :class:`Signature` names it."""
        return () if self.version == 6 else (self.issuer,)


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


class Source(Protocol):
    """Something to read octets from: ``read(n)`` gives 1 to ``n`` of them, ``b""`` at the end."""

    def read(self, n: int, /) -> bytes:
        """Up to ``n`` octets (at least one unless at the end)."""
        ...


def _read_exact(stream: Source, n: int) -> bytes:
    """``n`` octets of ``stream``, fewer only at its end."""
    first = stream.read(n)
    if len(first) == n or not first:
        return first
    parts = [first]
    got = len(first)
    while got < n:
        more = stream.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class _Body:
    """One packet's body, read from the stream around it: definite, partial or indeterminate."""

    def __init__(self, outer: Source, length: int | None, partial: bool) -> None:
        self._outer = outer
        self._left = length  # None: an old-format indeterminate length, to the end of ``outer``
        self._partial = partial

    def read(self, n: int) -> bytes:
        if self._left is None:
            data = self._outer.read(n)
        else:
            while self._left == 0:
                if not self._partial:
                    return b""
                self._left, self._partial = read_partial_length(
                    lambda k: _read_exact(self._outer, k)
                )
            data = self._outer.read(min(n, self._left))
            if not data:
                raise PacketError("a packet runs past the end of its data")
            self._left -= len(data)
        return data

    def whole(self, limit: int) -> bytes:
        """The rest of the body; more than ``limit`` octets is a LimitError."""
        if self._left is not None and not self._partial and self._left > limit:
            raise LimitError(f"a packet of {self._left} octets (limit {limit})")
        parts = []
        got = 0
        while chunk := self.read(min(_CHUNK, limit + 1 - got)):
            parts.append(chunk)
            got += len(chunk)
            if got > limit:
                raise LimitError(f"a packet of more than {limit} octets")
        return b"".join(parts)

    def drain(self) -> None:
        """Skip the rest of the body."""
        while self.read(_CHUNK):
            pass


class _Inflated:
    """The content of a Compressed Data packet (RFC 9580 section 5.6), as it is decompressed.

    At most ``limit`` octets come out: one more is a LimitError. Octets after the end of the
    compressed stream are ignored, and a stream cut short ends where its data ends (the packets
    inside then tell); nothing is held beyond one chunk.
    """

    def __init__(self, body: _Body, limit: int) -> None:
        algo = body.read(1)
        if not algo:
            raise PacketError("empty compressed data packet")
        self._algo = algo[0]
        self._body = body
        self._limit = limit
        self._out = 0
        self._zlib: Any = None
        self._bz2: Any = None
        if self._algo in (CompressionAlgorithm.ZIP, CompressionAlgorithm.ZLIB):
            self._zlib = zlib.decompressobj(-15 if self._algo == CompressionAlgorithm.ZIP else 15)
        elif self._algo == CompressionAlgorithm.BZIP2:
            self._bz2 = bz2.BZ2Decompressor()
        elif self._algo != CompressionAlgorithm.UNCOMPRESSED:
            raise PacketError(f"unknown compression algorithm {self._algo}")

    def _step(self, n: int) -> tuple[bytes, bool]:
        """Up to ``n`` more octets, and whether more may follow (some steps give none)."""
        if self._zlib is not None:
            z = self._zlib
            if z.eof:
                return b"", False
            data = z.unconsumed_tail or self._body.read(_CHUNK)
            try:
                out = cast("bytes", z.decompress(data, n))  # b"": what inflate still holds
            except zlib.error as e:
                raise PacketError(f"corrupt compressed data: {e}") from e
            return out, bool(data or out)
        if self._bz2 is not None:
            b = self._bz2
            if b.eof:
                return b"", False
            data = b""
            if b.needs_input:
                data = self._body.read(_CHUNK)
                if not data:
                    return b"", False
            try:
                out = cast("bytes", b.decompress(data, max_length=n))
            except (OSError, ValueError, EOFError) as e:
                raise PacketError(f"corrupt compressed data: {e}") from e
            return out, bool(data or out)
        out = self._body.read(n)
        return out, bool(out)

    def read(self, n: int) -> bytes:
        while True:
            out, more = self._step(n)
            self._out += len(out)
            if self._out > self._limit:
                raise LimitError(f"compressed data expands beyond {self._limit} octets")
            if out or not more:
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


def _literal_header(body: _Body) -> LiteralData:
    """The format, file name and date of a Literal Data packet; its content is left to read."""
    head = _read_exact(body, 2)
    if len(head) == 2 and head[0] not in _FORMATS:
        raise PacketError(f"unknown literal data format 0x{head[0]:02x}")
    rest = _read_exact(body, head[1] + 4) if len(head) == 2 else b""
    if len(head) < 2 or len(rest) < head[1] + 4:
        raise PacketError("truncated literal data packet")
    return LiteralData(chr(head[0]), rest[:-4], struct.unpack(">I", rest[-4:])[0], b"")


#: Called at the literal data with its header, the one-pass packets and the signatures before it
#: (one of the two is empty); returns where the content goes, chunk by chunk.
Start = Callable[
    [LiteralData, tuple[OnePass, ...], tuple[Signature, ...]], Callable[[bytes], object]
]


class _Grammar:
    """The signed-message grammar, checked packet by packet as the packets arrive."""

    def __init__(self, start: Start, max_signatures: int, max_signature_bytes: int) -> None:
        self._start = start
        self._max_signatures = max_signatures
        self._budget = max_signature_bytes
        self.one_pass: list[OnePass] = []
        self.before: list[tuple[Signature, bytes]] = []
        self.after: list[tuple[Signature, bytes]] = []
        self.literal: LiteralData | None = None

    def _whole(self, body: _Body) -> bytes:
        data = body.whole(min(self._budget, MAX_PACKET_BYTES))
        self._budget -= len(data)
        return data

    def _count(self) -> None:
        if len(self.one_pass) + len(self.before) > self._max_signatures:
            raise LimitError(f"more than {self._max_signatures} signatures in one message")

    def packet(self, tag: int, body: _Body) -> None:
        if tag in _TAGS_ENCRYPTED:
            raise PacketError("an encrypted message (pgpsig does not decrypt)")
        if tag == Tag.LITERAL:
            self._literal(body)
        elif tag == Tag.ONE_PASS:
            if self.literal is not None or self.before:
                raise PacketError("a one-pass signature packet out of place")
            self.one_pass.append(_one_pass(self._whole(body)))
            self._count()
        elif tag == Tag.SIGNATURE:
            raw = self._whole(body)
            sig = (parse_signature(raw), packet_header(Tag.SIGNATURE, len(raw)) + raw)
            if self.literal is None:
                if self.one_pass:
                    raise PacketError("a signature packet between one-pass signature packets")
                self.before.append(sig)
                self._count()
            elif len(self.after) < len(self.one_pass):
                self.after.append(sig)
            elif self.one_pass:
                raise PacketError(
                    f"{len(self.one_pass)} one-pass signature packet(s) but more signatures "
                    "after the data"
                )
            else:
                raise PacketError("signatures both before and after the data")
        else:
            raise PacketError(f"not a signed message (a packet of tag {tag})")

    def _literal(self, body: _Body) -> None:
        if self.literal is not None:
            raise PacketError("expected one literal data packet, found several")
        if not self.one_pass and not self.before:
            raise PacketError("the literal data is not signed")
        self.literal = _literal_header(body)
        sink = self._start(self.literal, tuple(self.one_pass), tuple(s for s, _ in self.before))
        while chunk := body.read(_CHUNK):
            sink(chunk)

    def finish(self) -> InlineMessage:
        if self.literal is None:
            raise PacketError("expected one literal data packet, found 0")
        if len(self.after) != len(self.one_pass):
            raise PacketError(
                f"{len(self.one_pass)} one-pass signature packet(s) but "
                f"{len(self.after)} signature(s) after the data"
            )
        # The first signature after the data ends the last one-pass packet (RFC 9580 10.3).
        sigs = list(reversed(self.after)) if self.one_pass else self.before
        return InlineMessage(
            literal=self.literal,
            signatures=tuple(s for s, _ in sigs),
            one_pass=tuple(self.one_pass),
            signature_packets=tuple(raw for _, raw in sigs),
        )


def _walk(stream: Source, depth: int, grammar: _Grammar, limit: int) -> None:
    """Feed the packets of one level to ``grammar``; a Compressed Data packet is a level inside.

    A compressed packet must be the only packet of its level (marker and padding packets aside),
    at most :data:`_MAX_NESTING` - 1 deep.
    """
    compressed = others = False
    read = partial(_read_exact, stream)
    while (header := read_header(read)) is not None:
        tag, length, is_partial = header
        body = _Body(stream, length, is_partial)
        if tag in (Tag.MARKER, Tag.PADDING):
            body.drain()
            continue
        if compressed or (others and tag == Tag.COMPRESSED):
            raise PacketError("a compressed data packet next to other packets")
        if tag == Tag.COMPRESSED:
            if depth + 1 >= _MAX_NESTING:
                raise LimitError("compressed data nested too deeply")
            compressed = True
            _walk(_Inflated(body, limit), depth + 1, grammar, limit)
        else:
            others = True
            grammar.packet(tag, body)
        body.drain()


def read_inline(
    source: Source,
    start: Start,
    *,
    limit: int | None = None,
    max_signatures: int = MAX_SUBPACKETS,
) -> InlineMessage:
    """Read a binary inline-signed message as a stream (see the module docstring for its shapes).

    Nothing is held but the one-pass and signature packets: the literal's content goes, chunk by
    chunk, to what ``start`` returns when the literal is reached (with everything that precedes
    it: enough to know the digests to compute). The message is checked to its end.

    Args:
        source: The binary message (dearmored): anything with ``read(n)``.
        start: See :data:`Start`.
        limit: Largest content of a compressed packet, expanded (None: :data:`MAX_INLINE_BYTES`).
        max_signatures: Most one-pass packets, or signatures before the data.

    Returns:
        The message, its literal's ``data`` empty (it went to ``start``'s sink).

    Raises:
        PacketError: Not an inline-signed message (encrypted, unsigned, malformed).
        LimitError: Beyond ``limit``, :data:`MAX_SIGNATURE_BYTES` or ``max_signatures``, or too
            deeply nested compression.
    """
    grammar = _Grammar(start, max_signatures, MAX_SIGNATURE_BYTES)
    _walk(source, 0, grammar, MAX_INLINE_BYTES if limit is None else limit)
    return grammar.finish()


def parse_inline(data: bytes, *, limit: int | None = None) -> InlineMessage:
    """Parse a binary inline-signed message held in memory (:func:`read_inline`, its content kept).

    Raises:
        PacketError: Not an inline-signed message (encrypted, unsigned, malformed).
        LimitError: See :func:`read_inline`.
    """
    chunks: list[bytes] = []

    def keep(literal: LiteralData, *_: object) -> Callable[[bytes], object]:
        return chunks.append

    msg = read_inline(io.BytesIO(data), keep, limit=limit)
    return replace(msg, literal=replace(msg.literal, data=b"".join(chunks)))


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
