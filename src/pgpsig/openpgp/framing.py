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
from collections.abc import Iterator
from datetime import datetime, timezone

from pgpsig._dataclass import dataclass
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp.ids import Tag

__all__ = [
    "MAX_PACKET_BYTES",
    "Packet",
    "iter_packets",
    "read_mpi",
    "read_mpi_bytes",
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
