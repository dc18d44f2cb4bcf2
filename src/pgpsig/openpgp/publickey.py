"""OpenPGP public-key packets as values: v4 and v6 keys and subkeys, their fingerprints and key IDs.

This module owns reading the public part of a key packet (RFC 9580 section 5.5.2: public keys and
subkeys, and the public part of secret key packets), computing its fingerprint (section 5.5.4) and
the bytes that stand for it in signature hashes. It reads the algorithm-specific public values
(MPIs, curve OIDs and points, native Ed25519/Ed448/X25519/X448 keys) and names the curve; it does not
build usable key objects (that is :mod:`pgpsig.openpgp._crypto`) or judge a key's size (that is
:mod:`pgpsig.policy`).
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import PacketError
from pgpsig.openpgp.framing import read_mpi, read_mpi_bytes, utc
from pgpsig.openpgp.ids import ALGORITHM_NAMES, ELGAMAL_ALGORITHMS, RSA_ALGORITHMS
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg

__all__ = [
    "PublicKey",
    "key_id_of",
    "normalize_fingerprint",
    "parse_public_key",
]


def key_id_of(fingerprint: str) -> str:
    """The key ID a fingerprint implies: its last 8 octets (v4), its first 8 (v6)."""
    return fingerprint[-16:] if len(fingerprint) == 40 else fingerprint[:16]


#: Curve OIDs (RFC 9580 section 9.2) -> curve name and size in bits.
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
        return key_id_of(self.fingerprint)

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
    created = utc(struct.unpack(">I", body[1:5])[0])
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

    if algo in RSA_ALGORITHMS:
        n, pos = read_mpi(body, pos)
        e, pos = read_mpi(body, pos)
        params = [n, e]
        bits = n.bit_length()
    elif algo == Alg.DSA:
        for _ in range(4):
            v, pos = read_mpi(body, pos)
            params.append(v)
        bits = int(params[0]).bit_length()
    elif algo in ELGAMAL_ALGORITHMS:
        for _ in range(3):
            v, pos = read_mpi(body, pos)
            params.append(v)
        bits = int(params[0]).bit_length()
    elif algo in (Alg.ECDH, Alg.ECDSA, Alg.EDDSA_LEGACY):
        o = oid()
        curve, bits = _OID_BITS.get(o, (f"oid:{o.hex()}", 0))
        point, pos = read_mpi_bytes(body, pos)
        params = [o, point]
        if algo == Alg.ECDH:
            if pos >= len(body):
                raise PacketError("truncated ECDH KDF parameters")
            kl = body[pos]
            if pos + 1 + kl > len(body):
                raise PacketError("malformed ECDH KDF parameters")
            params.append(body[pos + 1 : pos + 1 + kl])
            pos += 1 + kl
    elif algo in (Alg.X25519, Alg.ED25519):
        if pos + 32 > len(body):
            raise PacketError("truncated 32-byte public key")
        params = [body[pos : pos + 32]]
        pos += 32
        bits = 256
        curve = "Ed25519" if algo == Alg.ED25519 else "X25519"
    elif algo in (Alg.X448, Alg.ED448):
        size = 56 if algo == Alg.X448 else 57
        if pos + size > len(body):
            raise PacketError("truncated public key")
        params = [body[pos : pos + size]]
        pos += size
        bits = 448
        curve = "Ed448" if algo == Alg.ED448 else "X448"
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


#: What a fingerprint's text may hold once upper-cased.
_HEX_DIGITS = frozenset("0123456789ABCDEF")


def normalize_fingerprint(text: str) -> str | None:
    """Upper-case hex without spaces or ``0x`` if ``text`` is a v4 or v6 fingerprint, else None."""
    fpr = text.strip().replace(" ", "").upper().removeprefix("0X")
    if len(fpr) in (40, 64) and set(fpr) <= _HEX_DIGITS:
        return fpr
    return None
