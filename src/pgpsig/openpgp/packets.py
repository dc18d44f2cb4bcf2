"""OpenPGP packets as typed values: framing, signatures, public keys and certificates.

This module owns the bytes-to-values step for everything pgpsig verifies: packet framing (old and new
format headers), v4 and v6 signature packets (with the raw hashed area kept, so a digest can be
computed while streaming), v4 and v6 public-key and public-subkey packets (the public part of secret
key packets too), user IDs, and the grouping of packets into transferable public keys
(:class:`Cert`). It is pure: bytes in, values out; it never decides whether anything is *valid*
(that is :mod:`pgpsig.engine.validity`) and never checks a signature (that is :mod:`pgpsig.openpgp._crypto`).

PGPy is not used here: it crashes on issuer-fingerprint-only signatures, refuses private revocation
reason codes and cannot read v6 packets (see THREATS.md). Parsing is bounded: every length is checked
against the remaining input and the limits below, and only :class:`~pgpsig.errors.PacketError` or
:class:`~pgpsig.errors.LimitError` escape.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp.ids import HASH_NAMES, Tag

__all__ = [
    "HASH_NAMES",
    "KNOWN_SUBPACKETS",
    "MAX_PACKETS_PER_CERT",
    "MAX_PACKET_BYTES",
    "MAX_SUBPACKETS",
    "SECRET_KEY_TAGS",
    "Cert",
    "Component",
    "Packet",
    "PublicKey",
    "Signature",
    "Subpacket",
    "Tag",
    "iter_packets",
    "parse_certs",
    "parse_public_key",
    "parse_signature",
    "parse_signatures",
    "signature_identity",
]

#: Largest single packet body accepted (a signature or key is a few KiB; user attributes may hold a photo).
MAX_PACKET_BYTES = 1 << 24
#: Most packets one certificate may hold; certificate flooding (tens of thousands of third-party
#: certifications) is refused past this.
MAX_PACKETS_PER_CERT = 20_000
#: Most subpackets in one signature (both areas together).
MAX_SUBPACKETS = 512


#: Signature subpacket types pgpsig understands. A *critical* subpacket of any other type makes the
#: signature invalid (RFC 9580 section 5.2.3.7). Regular expression (6) is deliberately absent:
#: pgpsig does not implement regex-scoped trust, so a critical one must fail closed.
def _key_id_of(fingerprint: str) -> str:
    """The key ID a fingerprint implies: its last 8 octets (v4), its first 8 (v6)."""
    return fingerprint[-16:] if len(fingerprint) == 40 else fingerprint[:16]


#: Subpackets holding a four-octet time: creation (2), signature (3) and key (9) expiration.
_TIME_SUBPACKETS = frozenset({2, 3, 9})
KNOWN_SUBPACKETS = frozenset(
    {
        2,
        3,
        4,
        5,
        7,
        9,
        11,
        12,
        16,
        20,
        21,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        29,
        30,
        31,
        32,
        33,
        34,
        35,
        37,
        39,
    }
)


#: Packets that may follow the primary key in a transferable secret key.
SECRET_KEY_TAGS = frozenset(
    {
        Tag.SIGNATURE,
        Tag.SECRET_SUBKEY,
        Tag.MARKER,
        Tag.TRUST,
        Tag.USER_ID,
        Tag.PUBLIC_SUBKEY,
        Tag.USER_ATTRIBUTE,
        Tag.PADDING,
    }
)


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


# --------------------------------------------------------------------------------------------------
# Framing


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
_PARTIAL_TAGS = frozenset({8, 9, 11, 18, 20})


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


# --------------------------------------------------------------------------------------------------
# Signatures


@dataclass(frozen=True, slots=True)
class Subpacket:
    """A signature subpacket: type, critical bit and raw body."""

    type: int
    critical: bool
    body: bytes


def _parse_subpackets(area: bytes, where: str) -> tuple[Subpacket, ...]:
    out: list[Subpacket] = []
    pos = 0
    n = len(area)
    while pos < n:
        o = area[pos]
        if o < 192:
            length, pos = o, pos + 1
        elif o < 255:
            if pos + 1 >= n:
                raise PacketError(f"truncated subpacket length in the {where} area")
            length, pos = ((o - 192) << 8) + area[pos + 1] + 192, pos + 2
        else:
            if pos + 5 > n:
                raise PacketError(f"truncated subpacket length in the {where} area")
            length, pos = struct.unpack(">I", area[pos + 1 : pos + 5])[0], pos + 5
        if length == 0:
            raise PacketError(f"zero-length subpacket in the {where} area")
        if pos + length > n:
            raise PacketError(f"subpacket length overflows the {where} area")
        t = area[pos]
        out.append(Subpacket(t & 0x7F, bool(t & 0x80), area[pos + 1 : pos + length]))
        pos += length
        if len(out) > MAX_SUBPACKETS:
            raise LimitError(f"more than {MAX_SUBPACKETS} subpackets in one signature")
    return tuple(out)


def _read_mpi(body: bytes, pos: int) -> tuple[int, int]:
    if pos + 2 > len(body):
        raise PacketError("truncated MPI header")
    bits = (body[pos] << 8) | body[pos + 1]
    nbytes = (bits + 7) // 8
    pos += 2
    if pos + nbytes > len(body):
        raise PacketError("MPI longer than the packet")
    return int.from_bytes(body[pos : pos + nbytes], "big"), pos + nbytes


def _read_mpi_bytes(body: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(body):
        raise PacketError("truncated MPI header")
    bits = (body[pos] << 8) | body[pos + 1]
    nbytes = (bits + 7) // 8
    pos += 2
    if pos + nbytes > len(body):
        raise PacketError("MPI longer than the packet")
    return body[pos : pos + nbytes], pos + nbytes


@dataclass(frozen=True, slots=True)
class Notation:
    """A notation data subpacket (20)."""

    human_readable: bool
    name: str
    value: bytes
    critical: bool


@dataclass(frozen=True, slots=True, eq=False)
class Signature:
    """A parsed v4 or v6 signature packet.

    Everything that matters for validity (creation time, expirations, key flags, revocation reason)
    is read from the *hashed* area only; issuer fields from both areas are hints for finding the key.
    """

    version: int
    sig_type: int
    pubkey_algorithm: int
    hash_algorithm: int
    hashed_area: bytes
    hashed: tuple[Subpacket, ...]
    unhashed: tuple[Subpacket, ...]
    left16: bytes
    salt: bytes
    material: tuple[int, ...] | bytes
    raw: bytes = field(repr=False)

    # -- derived values (hashed area only, except issuer hints) ---------------------------------

    def _first(self, t: int) -> Subpacket | None:
        for sp in self.hashed:
            if sp.type == t:
                return sp
        return None

    @property
    def hash_name(self) -> str:
        """The hash algorithm's name, or ``HASH<n>`` for an unknown id."""
        return HASH_NAMES.get(self.hash_algorithm, f"HASH{self.hash_algorithm}")

    @property
    def created(self) -> datetime | None:
        """Signature creation time from the hashed area, or None."""
        sp = self._first(2)
        if sp is None or len(sp.body) != 4:
            return None
        return _utc(struct.unpack(">I", sp.body)[0])

    @property
    def created_count(self) -> int:
        """How many creation-time subpackets the hashed area holds (more than one is ambiguous)."""
        return sum(1 for sp in self.hashed if sp.type == 2)

    def _seconds(self, t: int) -> int | None:
        sp = self._first(t)
        if sp is None or len(sp.body) != 4:
            return None
        v: int = struct.unpack(">I", sp.body)[0]
        return v or None

    @property
    def expires_after(self) -> int | None:
        """Signature validity period in seconds (subpacket 3), None for never."""
        return self._seconds(3)

    @property
    def expires_at(self) -> datetime | None:
        """When the signature stops being valid (creation + validity period), None for never."""
        created, exp = self.created, self.expires_after
        if created is None or exp is None:
            return None
        return created + timedelta(seconds=exp)

    def alive_at(self, at: datetime) -> bool:
        """Whether the signature has a hashed creation time and has not expired at ``at``."""
        if self.created is None:
            return False
        end = self.expires_at
        return end is None or end > at

    @property
    def key_expires_after(self) -> int | None:
        """Key validity period in seconds from key creation (subpacket 9), None for never."""
        return self._seconds(9)

    @property
    def key_flags(self) -> int | None:
        """First octet(s) of the key flags subpacket (27) as an int, None when absent."""
        sp = self._first(27)
        if sp is None:
            return None
        return int.from_bytes(sp.body[:2].ljust(2, b"\0"), "little") if sp.body else 0

    @property
    def exportable(self) -> bool:
        """False when an exportable-certification subpacket (4) says 0."""
        sp = self._first(4)
        return not (sp is not None and sp.body == b"\0")

    @property
    def revocation_reason(self) -> tuple[int, bytes] | None:
        """(code, message) from subpacket 29, or None when absent."""
        sp = self._first(29)
        if sp is None or not sp.body:
            return None
        return sp.body[0], sp.body[1:]

    @property
    def trust(self) -> tuple[int, int] | None:
        """(depth, amount) of a trust signature subpacket (5), or None."""
        sp = self._first(5)
        if sp is None or len(sp.body) != 2:
            return None
        return sp.body[0], sp.body[1]

    @property
    def revocation_keys(self) -> tuple[str, ...]:
        """Fingerprints of designated revokers (subpacket 12), upper-case hex."""
        out = []
        for sp in self.hashed:
            if sp.type == 12 and len(sp.body) >= 22:
                out.append(sp.body[2:].hex().upper())
        return tuple(out)

    @property
    def notations(self) -> tuple[Notation, ...]:
        """Notations in the hashed area."""
        out = []
        for sp in self.hashed:
            if sp.type != 20 or len(sp.body) < 8:
                continue
            nlen = (sp.body[4] << 8) | sp.body[5]
            vlen = (sp.body[6] << 8) | sp.body[7]
            if 8 + nlen + vlen != len(sp.body):
                continue
            name = sp.body[8 : 8 + nlen].decode("utf-8", "replace")
            out.append(Notation(bool(sp.body[0] & 0x80), name, sp.body[8 + nlen :], sp.critical))
        return tuple(out)

    @property
    def issuer_fingerprints(self) -> tuple[str, ...]:
        """Issuer fingerprints (subpacket 33) from both areas, hashed first, upper-case hex."""
        out: list[str] = []
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == 33 and len(sp.body) >= 2:
                fpr = sp.body[1:].hex().upper()
                if fpr not in out:
                    out.append(fpr)
        return tuple(out)

    @property
    def issuer_key_ids(self) -> tuple[str, ...]:
        """Issuer key IDs (subpacket 16) from both areas and those implied by fingerprints."""
        out: list[str] = []
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == 16 and len(sp.body) == 8:
                kid = sp.body.hex().upper()
                if kid not in out:
                    out.append(kid)
        for fpr in self.issuer_fingerprints:
            kid = _key_id_of(fpr)
            if kid not in out:
                out.append(kid)
        return tuple(out)

    @property
    def embedded_signatures(self) -> tuple[Signature, ...]:
        """Embedded signatures (subpacket 32) from both areas; unparseable ones are skipped."""
        out = []
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == 32:
                try:
                    out.append(parse_signature(sp.body))
                except (PacketError, LimitError):
                    continue
        return tuple(out)

    @property
    def primary_user_id(self) -> bool:
        """Whether the hashed area marks this user ID as the primary one (subpacket 25, non-zero)."""
        sp = self._first(25)
        return sp is not None and sp.body[:1] not in (b"", b"\0")

    def may_be_issued_by(self, key: PublicKey) -> bool:
        """Whether the issuer hints allow ``key`` to have made this signature.

        Issuer fingerprints are authoritative when present; else key IDs; a signature with no hint
        at all may be anyone's (only the cryptographic check can tell). This is the one rule of
        issuer matching: every judgement that asks "could this key have made it" uses it.
        """
        return self.may_be_issued_by_fingerprint(key.fingerprint)

    def may_be_issued_by_fingerprint(self, fingerprint: str) -> bool:
        """:meth:`may_be_issued_by` for a key known only by its fingerprint (v4 or v6)."""
        fprs = self.issuer_fingerprints
        if fprs:
            return fingerprint in fprs
        kids = self.issuer_key_ids
        return not kids or _key_id_of(fingerprint) in kids

    @property
    def has_issuer_hint(self) -> bool:
        """Whether the signature names its issuer at all (fingerprint or key ID)."""
        return bool(self.issuer_fingerprints or self.issuer_key_ids)

    def defect(self) -> str | None:
        """Why this signature cannot be used at all, or None.

        A critical subpacket or notation pgpsig does not understand; a known subpacket whose body
        has the wrong length (a creation or expiration time that is not four octets: read as
        "absent", a malformed expiration would mean "never expires"); or a time subpacket given
        twice in the hashed area (implementations disagree on which one counts). Fails closed.
        """
        seen: set[int] = set()
        for sp in self.hashed:
            if sp.type not in _TIME_SUBPACKETS:
                continue
            if len(sp.body) != 4:
                return f"malformed subpacket {sp.type} ({len(sp.body)} octets, not 4)"
            if sp.type in seen:  # which one counts? readers disagree (pgpsig took the first,
                return f"duplicate subpacket {sp.type}"  # Sequoia the last): none does
            seen.add(sp.type)
        return self.critical_unknown()

    def critical_unknown(self) -> str | None:
        """Describe the first critical subpacket or notation pgpsig does not understand, else None."""
        for sp in self.hashed:
            if sp.critical and sp.type not in KNOWN_SUBPACKETS:
                return f"critical unknown subpacket {sp.type}"
            if sp.critical and sp.type == 20:
                names = [n.name for n in self.notations] or ["?"]
                return f"critical notation {names[0]!r}"
        for sp in self.unhashed:
            if sp.critical and sp.type not in KNOWN_SUBPACKETS:
                return f"critical unknown subpacket {sp.type} (unhashed)"
        return None

    # -- hashing ----------------------------------------------------------------------------------

    def trailer(self) -> bytes:
        """The bytes hashed after the signed data (RFC 9580 section 5.2.4)."""
        if self.version == 4:
            head = (
                bytes([4, self.sig_type, self.pubkey_algorithm, self.hash_algorithm])
                + struct.pack(">H", len(self.hashed_area))
                + self.hashed_area
            )
            return head + b"\x04\xff" + struct.pack(">I", len(head))
        if self.version == 6:
            head = (
                bytes([6, self.sig_type, self.pubkey_algorithm, self.hash_algorithm])
                + struct.pack(">I", len(self.hashed_area))
                + self.hashed_area
            )
            return head + b"\x06\xff" + struct.pack(">I", len(head))
        raise PacketError(f"cannot hash a version {self.version} signature")

    def new_hash(self) -> hashlib._Hash:
        """A hash object for this signature, salted for v6.

        Raises:
            PacketError: the hash algorithm is unknown or not available.
        """
        name = HASH_NAMES.get(self.hash_algorithm)
        hl = {"SHA3-256": "sha3_256", "SHA3-512": "sha3_512"}.get(name or "", (name or "").lower())
        try:
            h = hashlib.new(hl)
        except (ValueError, TypeError) as e:
            raise PacketError(f"unsupported hash algorithm {self.hash_name}") from e
        if self.version == 6:
            h.update(self.salt)
        return h

    @property
    def issuer_hint(self) -> str:
        """A fingerprint or key ID naming the issuer, for messages."""
        if self.issuer_fingerprints:
            return self.issuer_fingerprints[0]
        if self.issuer_key_ids:
            return self.issuer_key_ids[0]
        return "unknown issuer"


def signature_identity(sig: Signature) -> bytes:
    """What makes two signature packets the same signature: everything but the unhashed area.

    The unhashed area is not signed (a keyserver may add or strip an issuer hint there), so two
    packets that differ only in it are copies of one signature.
    """
    start = (6 if sig.version == 4 else 8) + len(sig.hashed_area)
    width = 2 if sig.version == 4 else 4
    ulen = int.from_bytes(sig.raw[start : start + width], "big")
    return sig.raw[:start] + sig.raw[start + width + ulen :]


# Salt sizes for v6 signatures, by hash algorithm (RFC 9580 section 9.5).
_V6_SALT = {8: 16, 9: 24, 10: 32, 11: 16, 12: 16, 14: 32}


def parse_signature(body: bytes) -> Signature:
    """Parse a signature packet body (v4 or v6).

    Raises:
        PacketError: a malformed or unsupported-version signature.
        LimitError: too many subpackets.
    """
    if not body:
        raise PacketError("empty signature packet")
    version = body[0]
    if version == 4:
        if len(body) < 6:
            raise PacketError("truncated v4 signature")
        sig_type, pka, ha = body[1], body[2], body[3]
        hlen = (body[4] << 8) | body[5]
        pos = 6
        if pos + hlen > len(body):
            raise PacketError("hashed subpacket area overflows the signature")
        hashed_area = body[pos : pos + hlen]
        pos += hlen
        if pos + 2 > len(body):
            raise PacketError("truncated v4 signature (unhashed area length)")
        ulen = (body[pos] << 8) | body[pos + 1]
        pos += 2
        if pos + ulen > len(body):
            raise PacketError("unhashed subpacket area overflows the signature")
        unhashed_area = body[pos : pos + ulen]
        pos += ulen
        salt = b""
    elif version == 6:
        if len(body) < 8:
            raise PacketError("truncated v6 signature")
        sig_type, pka, ha = body[1], body[2], body[3]
        hlen = struct.unpack(">I", body[4:8])[0]
        pos = 8
        if pos + hlen > len(body):
            raise PacketError("hashed subpacket area overflows the signature")
        hashed_area = body[pos : pos + hlen]
        pos += hlen
        if pos + 4 > len(body):
            raise PacketError("truncated v6 signature (unhashed area length)")
        ulen = struct.unpack(">I", body[pos : pos + 4])[0]
        pos += 4
        if pos + ulen > len(body):
            raise PacketError("unhashed subpacket area overflows the signature")
        unhashed_area = body[pos : pos + ulen]
        pos += ulen
    elif version == 3:
        raise PacketError("version 3 signatures are not supported")
    else:
        raise PacketError(f"unknown signature version {version}")
    if pos + 2 > len(body):
        raise PacketError("truncated signature (no hash prefix)")
    left16 = body[pos : pos + 2]
    pos += 2
    if version == 6:
        if pos >= len(body):
            raise PacketError("truncated v6 signature (salt)")
        slen = body[pos]
        pos += 1
        if pos + slen > len(body):
            raise PacketError("v6 salt overflows the signature")
        salt = body[pos : pos + slen]
        pos += slen
        if _V6_SALT.get(ha) not in (None, slen):
            raise PacketError(f"v6 salt of {slen} bytes does not fit hash algorithm {ha}")
    material: tuple[int, ...] | bytes
    if pka in (1, 2, 3):
        s, pos = _read_mpi(body, pos)
        material = (s,)
    elif pka in (17, 19, 22):
        r, pos = _read_mpi(body, pos)
        s2, pos = _read_mpi(body, pos)
        material = (r, s2)
    elif pka == 27:
        if pos + 64 > len(body):
            raise PacketError("truncated Ed25519 signature")
        material = body[pos : pos + 64]
        pos += 64
    elif pka == 28:
        if pos + 114 > len(body):
            raise PacketError("truncated Ed448 signature")
        material = body[pos : pos + 114]
        pos += 114
    else:
        material = body[pos:]
        pos = len(body)
    if pos != len(body):
        raise PacketError("trailing bytes after the signature material")
    hashed = _parse_subpackets(hashed_area, "hashed")
    unhashed = _parse_subpackets(unhashed_area, "unhashed")
    if len(hashed) + len(unhashed) > MAX_SUBPACKETS:
        raise LimitError(f"more than {MAX_SUBPACKETS} subpackets in one signature")
    return Signature(
        version=version,
        sig_type=sig_type,
        pubkey_algorithm=pka,
        hash_algorithm=ha,
        hashed_area=hashed_area,
        hashed=hashed,
        unhashed=unhashed,
        left16=left16,
        salt=salt,
        material=material,
        raw=body,
    )


def parse_signatures(data: bytes) -> tuple[Signature, ...]:
    """Parse binary data that must hold only signature packets (a detached or clear-signed block).

    Marker and padding packets are skipped; anything else is malformed.

    Raises:
        PacketError: another kind of packet, or a malformed signature, or no signature at all.
    """
    sigs = []
    for p in iter_packets(data):
        if p.tag == Tag.SIGNATURE:
            sigs.append(parse_signature(p.body))
        elif p.tag in (Tag.MARKER, Tag.PADDING):
            continue
        else:
            raise PacketError(f"expected signature packets, found a tag {p.tag} packet")
        if len(sigs) > MAX_SUBPACKETS:
            raise LimitError(f"more than {MAX_SUBPACKETS} signatures in one block")
    if not sigs:
        raise PacketError("no signature packet found")
    return tuple(sigs)


# --------------------------------------------------------------------------------------------------
# Public keys

_OID_BITS = {
    bytes.fromhex("2a8648ce3d030107"): ("P-256", 256),
    bytes.fromhex("2b81040022"): ("P-384", 384),
    bytes.fromhex("2b81040023"): ("P-521", 521),
    bytes.fromhex("2b06010401da470f01"): ("Ed25519", 256),
    bytes.fromhex("2b060104019755010501"): ("Curve25519", 256),
    bytes.fromhex("2b2403030208010107"): ("brainpoolP256r1", 256),
    bytes.fromhex("2b240303020801010b"): ("brainpoolP384r1", 384),
    bytes.fromhex("2b240303020801010d"): ("brainpoolP512r1", 512),
    bytes.fromhex("2b656f"): ("X448", 448),
    bytes.fromhex("2b6571"): ("Ed448", 448),
}

ALGORITHM_NAMES = {
    1: "RSA",
    2: "RSA",
    3: "RSA",
    16: "ElGamal",
    17: "DSA",
    18: "ECDH",
    19: "ECDSA",
    20: "ElGamal",
    22: "EdDSA",
    25: "X25519",
    26: "X448",
    27: "Ed25519",
    28: "Ed448",
}


@dataclass(frozen=True, slots=True, eq=False)
class PublicKey:
    """A v4 or v6 public key or subkey (also the public part of a secret key packet).

    ``params`` holds the algorithm-specific public values: ints for MPIs, bytes for points/OIDs.
    """

    version: int
    created: datetime
    algorithm: int
    params: tuple[int | bytes, ...]
    curve: str | None
    bits: int
    body: bytes = field(repr=False)
    fingerprint: str
    is_subkey: bool

    @property
    def key_id(self) -> str:
        """The 16-hex key ID."""
        return self.fingerprint[-16:] if self.version == 4 else self.fingerprint[:16]

    @property
    def algorithm_name(self) -> str:
        """A human name for the algorithm (RSA, DSA, ECDSA, EdDSA, Ed25519, ...)."""
        return ALGORITHM_NAMES.get(self.algorithm, f"algorithm {self.algorithm}")

    def hash_prefix(self) -> bytes:
        """The bytes that stand for this key in signature hashes (RFC 9580 section 5.2.4)."""
        if self.version == 6:
            return b"\x9b" + struct.pack(">I", len(self.body)) + self.body
        return b"\x99" + struct.pack(">H", len(self.body)) + self.body


def parse_public_key(body: bytes, *, is_subkey: bool = False) -> tuple[PublicKey, int]:
    """Parse the public part of a key packet body; return the key and how many bytes it used.

    Raises:
        PacketError: a malformed key or an unsupported key version.
    """
    if len(body) < 6:
        raise PacketError("truncated public key packet")
    version = body[0]
    if version not in (4, 6):
        raise PacketError(f"unsupported key version {version}")
    created = _utc(struct.unpack(">I", body[1:5])[0])
    algo = body[5]
    pos = 6
    if version == 6:
        if len(body) < 10:
            raise PacketError("truncated v6 public key packet")
        mlen = struct.unpack(">I", body[6:10])[0]
        pos = 10
        if pos + mlen > len(body):
            raise PacketError("v6 key material overflows the packet")
    params: list[int | bytes] = []
    curve: str | None = None
    bits = 0

    def oid() -> bytes:
        nonlocal pos
        if pos >= len(body):
            raise PacketError("truncated curve OID")
        ln = body[pos]
        if ln in (0, 0xFF) or pos + 1 + ln > len(body):
            raise PacketError("malformed curve OID")
        o = body[pos + 1 : pos + 1 + ln]
        pos += 1 + ln
        return o

    if algo in (1, 2, 3):
        n, pos = _read_mpi(body, pos)
        e, pos = _read_mpi(body, pos)
        params = [n, e]
        bits = n.bit_length()
    elif algo == 17:
        for _ in range(4):
            v, pos = _read_mpi(body, pos)
            params.append(v)
        bits = int(params[0]).bit_length()
    elif algo in (16, 20):
        for _ in range(3):
            v, pos = _read_mpi(body, pos)
            params.append(v)
        bits = int(params[0]).bit_length()
    elif algo in (18, 19, 22):
        o = oid()
        curve, bits = _OID_BITS.get(o, (f"oid:{o.hex()}", 0))
        point, pos = _read_mpi_bytes(body, pos)
        params = [o, point]
        if algo == 18:
            if pos >= len(body):
                raise PacketError("truncated ECDH KDF parameters")
            kl = body[pos]
            if pos + 1 + kl > len(body):
                raise PacketError("malformed ECDH KDF parameters")
            params.append(body[pos + 1 : pos + 1 + kl])
            pos += 1 + kl
    elif algo in (25, 27):
        if pos + 32 > len(body):
            raise PacketError("truncated 32-byte public key")
        params = [body[pos : pos + 32]]
        pos += 32
        bits = 256
        curve = "Ed25519" if algo == 27 else "X25519"
    elif algo in (26, 28):
        size = 56 if algo == 26 else 57
        if pos + size > len(body):
            raise PacketError("truncated public key")
        params = [body[pos : pos + size]]
        pos += size
        bits = 448
        curve = "Ed448" if algo == 28 else "X448"
    elif version == 6:
        pos = 10 + struct.unpack(">I", body[6:10])[0]
        params = [body[10:pos]]
    else:
        # Unknown v4 algorithm: the public part cannot be delimited; take the whole body.
        params = [body[6:]]
        pos = len(body)
    if version == 6 and pos != 10 + struct.unpack(">I", body[6:10])[0]:
        raise PacketError("v6 key material length does not match its fields")
    pub_body = body[:pos]
    if version == 4:
        fpr = hashlib.sha1(b"\x99" + struct.pack(">H", len(pub_body)) + pub_body).hexdigest()  # noqa: S324 (v4 fingerprints are SHA-1 by definition)
    else:
        fpr = hashlib.sha256(b"\x9b" + struct.pack(">I", len(pub_body)) + pub_body).hexdigest()
    key = PublicKey(
        version=version,
        created=created,
        algorithm=algo,
        params=tuple(params),
        curve=curve,
        bits=bits,
        body=pub_body,
        fingerprint=fpr.upper(),
        is_subkey=is_subkey,
    )
    return key, pos


# --------------------------------------------------------------------------------------------------
# Certificates


@dataclass(slots=True, eq=False)
class Component:
    """A user ID, user attribute or subkey with the signatures that follow it."""

    kind: str  # "uid", "uat", "subkey" or "unparsed" (a subkey packet pgpsig cannot parse)
    value: bytes  # the user ID / attribute bytes, or the subkey body (the whole packet body)
    key: PublicKey | None = None
    signatures: list[Signature] = field(default_factory=list)

    @property
    def uid(self) -> str:
        """The user ID as text (invalid UTF-8 replaced)."""
        return self.value.decode("utf-8", "replace")

    def hash_prefix(self) -> bytes:
        """The bytes that stand for this component in certification hashes."""
        if self.kind == "uid":
            return b"\xb4" + struct.pack(">I", len(self.value)) + self.value
        if self.kind == "uat":
            return b"\xd1" + struct.pack(">I", len(self.value)) + self.value
        if self.key is None:
            raise PacketError(
                "no signature can be checked over a subkey packet that cannot be parsed"
            )
        return self.key.hash_prefix()


@dataclass(slots=True, eq=False)
class Cert:
    """A transferable public key: primary key, its direct signatures and its components.

    ``unparsed`` holds the subkey packets :func:`parse_certs` could not parse (kind ``unparsed``,
    no ``key``), each with the signatures that followed it, so that nothing after such a packet is
    lost: those signatures are there to be reported and looked at, and a key revocation (0x20)
    among them, which is over the primary key alone, is moved to ``direct``.
    """

    primary: PublicKey
    direct: list[Signature] = field(default_factory=list)
    uids: list[Component] = field(default_factory=list)
    uats: list[Component] = field(default_factory=list)
    subkeys: list[Component] = field(default_factory=list)
    #: Components pgpsig could not parse (a subkey of an unknown algorithm or version), kept with
    #: the signatures that follow them: a key revocation placed there still counts.
    unparsed: list[Component] = field(default_factory=list)
    unknown_packets: int = 0
    had_secret: bool = False

    @property
    def fingerprint(self) -> str:
        """The primary key's fingerprint."""
        return self.primary.fingerprint

    def all_keys(self) -> Iterator[tuple[PublicKey, Component | None]]:
        """The primary (with None) and every subkey (with its component)."""
        yield self.primary, None
        for sk in self.subkeys:
            assert sk.key is not None
            yield sk.key, sk


def _secret_to_public(body: bytes, is_subkey: bool) -> PublicKey:
    key, _ = parse_public_key(body, is_subkey=is_subkey)
    return key


def parse_certs(data: bytes, *, max_packets: int = MAX_PACKETS_PER_CERT) -> list[Cert]:
    """Group binary packets into certificates (transferable public or secret keys).

    Signatures that cannot be parsed (unknown versions, malformed, over the subpacket limit) are
    dropped, as are unknown
    packet types and trust packets: a certificate is a bag of claims each checked on its own, and
    an unparseable claim is simply not made. A malformed *primary key* packet is an error; a subkey
    packet that cannot be parsed (a version or layout pgpsig does not read) is kept in
    :attr:`Cert.unparsed` with the signatures that follow it, except key revocations (0x20): they
    are made over the primary key alone, wherever they sit, so they go to :attr:`Cert.direct`
    (dropped with the packet, a revocation would be lost without a word and the key would keep
    verifying).

    Raises:
        PacketError: malformed framing or key packets, or data that does not start with a key.
        LimitError: a certificate with more than ``max_packets`` packets.
    """
    certs: list[Cert] = []
    cur: Cert | None = None
    comp: Component | None = None
    count = 0
    for p in iter_packets(data):
        if p.tag in (Tag.PUBLIC_KEY, Tag.SECRET_KEY):
            key = _secret_to_public(p.body, False)
            cur = Cert(primary=key, had_secret=p.tag == Tag.SECRET_KEY)
            certs.append(cur)
            comp = None
            count = 0
            continue
        if cur is None:
            if p.tag in (Tag.MARKER, Tag.PADDING, Tag.TRUST):
                continue
            raise PacketError(f"certificate data does not start with a key (tag {p.tag} first)")
        count += 1
        if count > max_packets:
            raise LimitError(
                f"certificate {cur.fingerprint} has more than {max_packets} packets (flooded?)"
            )
        if p.tag == Tag.SIGNATURE:
            try:
                sig = parse_signature(p.body)
            except (PacketError, LimitError):  # e.g. a third party's 513 unhashed subpackets
                cur.unknown_packets += 1
                continue
            if comp is None or (comp.kind == "unparsed" and sig.sig_type == 0x20):
                cur.direct.append(sig)
            else:
                comp.signatures.append(sig)
        elif p.tag == Tag.USER_ID:
            comp = Component("uid", p.body)
            cur.uids.append(comp)
        elif p.tag == Tag.USER_ATTRIBUTE:
            comp = Component("uat", p.body)
            cur.uats.append(comp)
        elif p.tag in (Tag.PUBLIC_SUBKEY, Tag.SECRET_SUBKEY):
            try:
                sk = _secret_to_public(p.body, True)
            except PacketError:
                comp = Component("unparsed", p.body)
                cur.unparsed.append(comp)
                continue
            comp = Component("subkey", sk.body, key=sk)
            cur.subkeys.append(comp)
        else:
            cur.unknown_packets += 1
    return certs
