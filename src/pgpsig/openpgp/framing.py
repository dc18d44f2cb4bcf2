"""OpenPGP packet framing: splitting bytes into packets, and the small fields inside packet bodies.

This module owns the outer layer of the binary format (RFC 9580 section 4.2): old- and new-format
packet headers, partial body lengths, and writing a new-format header; and the primitive fields the
packet parsers share (multiprecision integers, section 3.2; four-octet times). It does not look
inside a packet body: signatures are :mod:`pgpsig.openpgp.signature`, keys
:mod:`pgpsig.openpgp.publickey`, certificates :mod:`pgpsig.openpgp.cert`.

Framing is bounded: every length is checked against the remaining input and
:data:`MAX_PACKET_BYTES`, and only :class:`~pgpsig.errors.PacketError` or
:class:`~pgpsig.errors.LimitError` escape.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from pgpsig._dataclass import dataclass
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp.ids import Tag

__all__ = [
    "MAX_PACKET_BYTES",
    "Packet",
    "iter_packets",
    "read_header",
    "read_mpi",
    "read_mpi_bytes",
    "read_partial_length",
    "utc",
]

#: Largest single packet body accepted (a signature or key is a few KiB; user attributes may hold a photo).
MAX_PACKET_BYTES = 1 << 24


def utc(ts: int) -> datetime:
    """An OpenPGP time (seconds since the epoch) as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=timezone.utc)


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet: its tag, its body and where it started in the input."""

    tag: int
    body: bytes
    offset: int


def _new_length(data: bytes, pos: int) -> tuple[int, int, bool]:
    """Decode a new-format length at ``pos``: (length, new pos, partial)."""
    if pos >= len(data):
        raise PacketError(f"truncated packet length at offset {pos}")
    o = data[pos]
    if o < 192:
        return o, pos + 1, False
    if o < 224:
        if pos + 1 >= len(data):
            raise PacketError(f"truncated packet length at offset {pos}")
        return ((o - 192) << 8) + data[pos + 1] + 192, pos + 2, False
    if o == 255:
        if pos + 5 > len(data):
            raise PacketError(f"truncated packet length at offset {pos}")
        return struct.unpack(">I", data[pos + 1 : pos + 5])[0], pos + 5, False
    return 1 << (o & 0x1F), pos + 1, True


#: Packets that may be framed with partial body lengths (RFC 9580 section 4.2.1.4: compressed,
#: symmetrically encrypted, literal, SEIPD and AEAD data); on any other packet they are an error.
_PARTIAL_TAGS = frozenset(
    {Tag.COMPRESSED, Tag.SYMMETRICALLY_ENCRYPTED, Tag.LITERAL, Tag.SEIPD, Tag.AEAD_ENCRYPTED}
)


def iter_packets(data: bytes, *, max_packet: int = MAX_PACKET_BYTES) -> Iterator[Packet]:
    """Split binary OpenPGP data into packets.

    Partial body lengths are joined (they only occur on data packets, which pgpsig never needs,
    but a stream holding one must still frame correctly); on other packets they are refused.

    Raises:
        PacketError: a malformed header, a length running past the end of the input, or partial
            lengths on a packet that is not a data packet.
        LimitError: a packet larger than ``max_packet``.
    """
    pos = 0
    n = len(data)
    while pos < n:
        start = pos
        ctb = data[pos]
        if not ctb & 0x80:
            raise PacketError(f"not an OpenPGP packet header at offset {pos} (byte 0x{ctb:02x})")
        pos += 1
        if ctb & 0x40:
            tag = ctb & 0x3F
            length, pos, partial = _new_length(data, pos)
            if partial and tag not in _PARTIAL_TAGS:
                raise PacketError(
                    f"partial body length on a tag {tag} packet at offset {start} "
                    "(only data packets may use them)"
                )
            if partial:
                chunks: list[bytes] = []
                total = 0
                while partial:
                    if pos + length > n:
                        raise PacketError(f"partial body runs past the end at offset {start}")
                    chunks.append(data[pos : pos + length])
                    total += length
                    if total > max_packet:
                        raise LimitError(f"packet at offset {start} exceeds {max_packet} bytes")
                    pos += length
                    length, pos, partial = _new_length(data, pos)
                if pos + length > n:
                    raise PacketError(f"partial body runs past the end at offset {start}")
                chunks.append(data[pos : pos + length])
                pos += length
                body = b"".join(chunks)
                if len(body) > max_packet:
                    raise LimitError(f"packet at offset {start} exceeds {max_packet} bytes")
                yield Packet(tag, body, start)
                continue
        else:
            tag = (ctb >> 2) & 0x0F
            ltype = ctb & 0x03
            if ltype == 3:
                length = n - pos  # indeterminate: to the end of the input
            else:
                size = 1 << ltype
                if pos + size > n:
                    raise PacketError(f"truncated old-format length at offset {start}")
                length = int.from_bytes(data[pos : pos + size], "big")
                pos += size
        if length > max_packet:
            raise LimitError(
                f"packet at offset {start} declares {length} bytes (limit {max_packet})"
            )
        if pos + length > n:
            raise PacketError(
                f"packet at offset {start} declares {length} bytes but only {n - pos} remain"
            )
        yield Packet(tag, data[pos : pos + length], start)
        pos += length


def _read_new_length(read: Callable[[int], bytes]) -> tuple[int, bool] | None:
    """A new-format length read from a stream: (length, partial), or None at its very end."""
    first = read(1)
    if not first:
        return None
    o = first[0]
    extra = 1 if 192 <= o < 224 else 4 if o == 255 else 0
    rest = read(extra) if extra else b""
    if len(rest) != extra:
        raise PacketError("truncated packet length")
    length, _pos, partial = _new_length(first + rest, 0)
    return length, partial


def read_header(read: Callable[[int], bytes]) -> tuple[int, int | None, bool] | None:
    """The next packet header of a stream, for readers that never hold a whole packet.

    ``read(n)`` returns ``n`` octets, fewer only at the end of the stream. The same rules as
    :func:`iter_packets`: old- and new-format headers, partial body lengths only on data packets.

    Returns:
        ``(tag, length, partial)``: ``length`` is the body's (with ``partial``, the first part's;
        then :func:`read_partial_length` gives the next), None for an old-format packet of
        indeterminate length (its body runs to the end of the stream); None at the end.

    Raises:
        PacketError: a malformed or truncated header, or partial lengths on another packet.
    """
    ctb = read(1)
    if not ctb:
        return None
    c = ctb[0]
    if not c & 0x80:
        raise PacketError(f"not an OpenPGP packet header (byte 0x{c:02x})")
    if c & 0x40:
        tag = c & 0x3F
        got = _read_new_length(read)
        if got is None:
            raise PacketError("truncated packet length")
        length, partial = got
        if partial and tag not in _PARTIAL_TAGS:
            raise PacketError(
                f"partial body length on a tag {tag} packet (only data packets may use them)"
            )
        return tag, length, partial
    tag, ltype = (c >> 2) & 0x0F, c & 0x03
    if ltype == 3:
        return tag, None, False
    size = 1 << ltype
    raw = read(size)
    if len(raw) != size:
        raise PacketError("truncated old-format length")
    return tag, int.from_bytes(raw, "big"), False


def read_partial_length(read: Callable[[int], bytes]) -> tuple[int, bool]:
    """The length of the next part of a partial-length body: (length, partial again).

    Raises:
        PacketError: the stream ends before it.
    """
    got = _read_new_length(read)
    if got is None:
        raise PacketError("partial body runs past the end of its data")
    return got


def read_mpi(body: bytes, pos: int) -> tuple[int, int]:
    """The MPI at ``pos`` of ``body`` as an int, and the position after it."""
    raw, pos = read_mpi_bytes(body, pos)
    return int.from_bytes(raw, "big"), pos


def read_mpi_bytes(body: bytes, pos: int) -> tuple[bytes, int]:
    """The MPI at ``pos`` of ``body`` as its raw octets (a point, say), and the position after it."""
    if pos + 2 > len(body):
        raise PacketError("truncated MPI header")
    bits = (body[pos] << 8) | body[pos + 1]
    nbytes = (bits + 7) // 8
    pos += 2
    if pos + nbytes > len(body):
        raise PacketError("MPI longer than the packet")
    return body[pos : pos + nbytes], pos + nbytes
