"""OpenPGP signature packets as values: v4 and v6 signatures and their subpackets.

This module owns reading a signature packet (RFC 9580 section 5.2: v4 and v6; v3 is refused) into a
:class:`Signature` that keeps its raw hashed area, so a digest can be computed while streaming; the
subpackets (section 5.2.3) and what pgpsig reads from them (creation and expiration times, key flags,
revocation reason, issuer hints, notations, embedded signatures); the trailer and salted hash a
verifier computes (section 5.2.4), SHA-1 with collision detection (:func:`new_hash`); and which
signature packets are copies of one signature. It never
decides whether a signature is *valid* (that is :mod:`pgpsig.engine`) and never checks one
(that is :mod:`pgpsig.openpgp._crypto`).

Everything that matters for validity is read from the hashed area only. A critical subpacket of a
type not in :data:`~pgpsig.openpgp.ids.KNOWN_SUBPACKETS` makes the signature unusable
(:meth:`Signature.defect`). Parsing is bounded (:data:`MAX_SUBPACKETS`), and only
:class:`~pgpsig.errors.PacketError` or :class:`~pgpsig.errors.LimitError` escape.

Every SHA-1 signature digest goes through :mod:`pgpsig.openpgp.sha1dc`: the ``digest()`` of a
SHA-1 hash object from :func:`new_hash` raises :class:`~pgpsig.errors.SignatureError` ("SHA-1
collision attack detected") when the hashed data carries a SHA-1 collision attack, so no policy can
accept a signature over such data, however the digest compares.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime, timedelta
from typing import Protocol

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp.framing import iter_packets, read_mpi, utc
from pgpsig.openpgp.ids import (
    HASH_NAMES,
    KNOWN_SUBPACKETS,
    RSA_ALGORITHMS,
    V6_SALT_SIZES,
    HashAlgorithm,
    SubpacketType,
    Tag,
)
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg
from pgpsig.openpgp.publickey import PublicKey, key_id_of

__all__ = [
    "MAX_SUBPACKETS",
    "Notation",
    "Signature",
    "SignatureHash",
    "Subpacket",
    "new_hash",
    "parse_signature",
    "parse_signatures",
    "signature_identity",
]

#: Most subpackets in one signature (both areas together); also the most signatures in one block.
MAX_SUBPACKETS = 512

#: Algorithms whose signature is two MPIs (r, s): DSA, ECDSA, legacy EdDSA.
_TWO_MPI_ALGORITHMS = frozenset({Alg.DSA, Alg.ECDSA, Alg.EDDSA_LEGACY})
#: Subpackets holding a four-octet time: creation, signature and key expiration.
_TIME_SUBPACKETS = frozenset(
    {
        SubpacketType.SIGNATURE_CREATION_TIME,
        SubpacketType.SIGNATURE_EXPIRATION_TIME,
        SubpacketType.KEY_EXPIRATION_TIME,
    }
)


@dataclass(frozen=True, slots=True)
class Subpacket:
    """A signature subpacket: type, critical bit and raw body."""

    type: int
    critical: bool
    body: bytes


class SignatureHash(Protocol):
    """A hash object of a signature digest: :mod:`hashlib`'s, or SHA-1 with collision detection."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        """Hash more bytes."""

    def copy(self) -> SignatureHash:
        """An independent copy."""

    def digest(self) -> bytes:
        """The digest of everything hashed so far."""


def new_hash(version: int, hash_algorithm: int, salt: bytes = b"") -> SignatureHash:
    """A hash object for a version ``version`` signature's digest: v6 ones start with their salt.

    The one rule for it: :meth:`Signature.new_hash`, and a one-pass signature packet's
    announcement of a signature yet to come (:mod:`pgpsig.openpgp.message`). SHA-1 is
    :class:`pgpsig.openpgp.sha1sig.SignatureSHA1`, whose ``digest()`` raises
    :class:`~pgpsig.errors.SignatureError` for data carrying a collision attack.

    Raises:
        PacketError: the hash algorithm is unknown or not available.
    """
    if hash_algorithm == HashAlgorithm.SHA1:
        from pgpsig.openpgp.sha1sig import SignatureSHA1  # noqa: PLC0415 - only SHA-1 pays its import

        return SignatureSHA1(salt if version == 6 else b"")
    name = HASH_NAMES.get(hash_algorithm)
    hl = {"SHA3-256": "sha3_256", "SHA3-512": "sha3_512"}.get(name or "", (name or "").lower())
    try:
        h = hashlib.new(hl)
    except (ValueError, TypeError) as e:
        raise PacketError(
            f"unsupported hash algorithm {HASH_NAMES.get(hash_algorithm, f'HASH{hash_algorithm}')}"
        ) from e
    if version == 6:
        h.update(salt)
    return h


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
        sp = self._first(SubpacketType.SIGNATURE_CREATION_TIME)
        if sp is None or len(sp.body) != 4:
            return None
        return utc(struct.unpack(">I", sp.body)[0])

    @property
    def created_count(self) -> int:
        """How many creation-time subpackets the hashed area holds (more than one is ambiguous)."""
        want = SubpacketType.SIGNATURE_CREATION_TIME
        return sum(1 for sp in self.hashed if sp.type == want)

    def _seconds(self, t: int) -> int | None:
        sp = self._first(t)
        if sp is None or len(sp.body) != 4:
            return None
        v: int = struct.unpack(">I", sp.body)[0]
        return v or None

    @property
    def expires_after(self) -> int | None:
        """Signature validity period in seconds (subpacket 3), None for never."""
        return self._seconds(SubpacketType.SIGNATURE_EXPIRATION_TIME)

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
        return self._seconds(SubpacketType.KEY_EXPIRATION_TIME)

    @property
    def key_flags(self) -> int | None:
        """First octet(s) of the key flags subpacket (27) as an int, None when absent."""
        sp = self._first(SubpacketType.KEY_FLAGS)
        if sp is None:
            return None
        return int.from_bytes(sp.body[:2].ljust(2, b"\0"), "little") if sp.body else 0

    @property
    def exportable(self) -> bool:
        """False when an exportable-certification subpacket (4) says 0."""
        sp = self._first(SubpacketType.EXPORTABLE_CERTIFICATION)
        return not (sp is not None and sp.body == b"\0")

    @property
    def revocation_reason(self) -> tuple[int, bytes] | None:
        """(code, message) from subpacket 29, or None when absent."""
        sp = self._first(SubpacketType.REASON_FOR_REVOCATION)
        if sp is None or not sp.body:
            return None
        return sp.body[0], sp.body[1:]

    @property
    def trust(self) -> tuple[int, int] | None:
        """(depth, amount) of a trust signature subpacket (5), or None."""
        sp = self._first(SubpacketType.TRUST_SIGNATURE)
        if sp is None or len(sp.body) != 2:
            return None
        return sp.body[0], sp.body[1]

    @property
    def revocation_keys(self) -> tuple[str, ...]:
        """Fingerprints of designated revokers (subpacket 12), upper-case hex."""
        out = []
        want = SubpacketType.REVOCATION_KEY
        for sp in self.hashed:
            if sp.type == want and len(sp.body) >= 22:
                out.append(sp.body[2:].hex().upper())
        return tuple(out)

    @property
    def notations(self) -> tuple[Notation, ...]:
        """Notations in the hashed area."""
        out = []
        want = SubpacketType.NOTATION_DATA
        for sp in self.hashed:
            if sp.type != want or len(sp.body) < 8:
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
        want = SubpacketType.ISSUER_FINGERPRINT
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == want and len(sp.body) >= 2:
                fpr = sp.body[1:].hex().upper()
                if fpr not in out:
                    out.append(fpr)
        return tuple(out)

    @property
    def issuer_key_ids(self) -> tuple[str, ...]:
        """Issuer key IDs (subpacket 16) from both areas and those implied by fingerprints."""
        out: list[str] = []
        want = SubpacketType.ISSUER_KEY_ID
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == want and len(sp.body) == 8:
                kid = sp.body.hex().upper()
                if kid not in out:
                    out.append(kid)
        for fpr in self.issuer_fingerprints:
            kid = key_id_of(fpr)
            if kid not in out:
                out.append(kid)
        return tuple(out)

    @property
    def embedded_signatures(self) -> tuple[Signature, ...]:
        """Embedded signatures (subpacket 32) from both areas; unparseable ones are skipped."""
        out = []
        want = SubpacketType.EMBEDDED_SIGNATURE
        for sp in (*self.hashed, *self.unhashed):
            if sp.type == want:
                try:
                    out.append(parse_signature(sp.body))
                except (PacketError, LimitError):
                    continue
        return tuple(out)

    @property
    def primary_user_id(self) -> bool:
        """Whether the hashed area marks this user ID as the primary one (subpacket 25, non-zero)."""
        sp = self._first(SubpacketType.PRIMARY_USER_ID)
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
        return not kids or key_id_of(fingerprint) in kids

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
            if sp.critical and sp.type == SubpacketType.NOTATION_DATA:
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

    def new_hash(self) -> SignatureHash:
        """A hash object for this signature, salted for v6 (:func:`new_hash`).

        Raises:
            PacketError: the hash algorithm is unknown or not available.
        """
        return new_hash(self.version, self.hash_algorithm, self.salt)

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
        if V6_SALT_SIZES.get(ha) not in (None, slen):
            raise PacketError(f"v6 salt of {slen} bytes does not fit hash algorithm {ha}")
    material: tuple[int, ...] | bytes
    if pka in RSA_ALGORITHMS:
        s, pos = read_mpi(body, pos)
        material = (s,)
    elif pka in _TWO_MPI_ALGORITHMS:
        r, pos = read_mpi(body, pos)
        s2, pos = read_mpi(body, pos)
        material = (r, s2)
    elif pka == Alg.ED25519:
        if pos + 64 > len(body):
            raise PacketError("truncated Ed25519 signature")
        material = body[pos : pos + 64]
        pos += 64
    elif pka == Alg.ED448:
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
