"""A secret key ready to sign, as a value: :class:`SigningKey`, and how one is made.

This module owns the signer's key: :class:`SigningKey` (a ``cryptography`` private key with the raw
body of its public-key packet, v4 or v6), :func:`make_signing_key` (a new key's public-key packet
from a ``cryptography`` key, RFC 9580 section 5.5.2) and :func:`best_hash` (the hash a key signs
with by default). Reading and writing secret-key packets is :mod:`pgpsig.openpgp.secretkey`'s job;
making signatures is :mod:`pgpsig.openpgp.signing`'s. Nothing here reads a file or the clock.
"""

from __future__ import annotations

import struct
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
)

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import UnsupportedError
from pgpsig.openpgp import _dsa, packets
from pgpsig.openpgp._pgpy import PrivateKey
from pgpsig.openpgp.ids import PublicKeyAlgorithm
from pgpsig.openpgp.write import mpi, timestamp

__all__ = [
    "PrivateKey",
    "SigningKey",
    "SigningPrivateKey",
    "best_hash",
    "make_signing_key",
    "pack",
    "unpack",
]

SigningPrivateKey = PrivateKey | ed448.Ed448PrivateKey
"""Every ``cryptography`` private key pgpsig signs with: PGPy's (v4) and Ed448 (RFC 9580, algorithm 28)."""

_PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    _dsa.DSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)

_RSA_SIGNING = (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_SIGN_ONLY)

# Curve OIDs (without the length octet) of ECDSA keys, by ``cryptography`` curve name.
_CURVE_OIDS: dict[str, bytes] = {
    "secp256r1": bytes.fromhex("2a8648ce3d030107"),
    "secp384r1": bytes.fromhex("2b81040022"),
    "secp521r1": bytes.fromhex("2b81040023"),
    "brainpoolP256r1": bytes.fromhex("2b2403030208010107"),
    "brainpoolP384r1": bytes.fromhex("2b240303020801010b"),
    "brainpoolP512r1": bytes.fromhex("2b240303020801010d"),
}
_ED25519_LEGACY_OID = bytes.fromhex("2b06010401da470f01")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One secret key (the primary or a subkey) ready to make signatures.

    Attributes:
        primary_fingerprint: Fingerprint of the primary key, upper-case hex (40 digits for v4
            keys, 64 for v6).
        fingerprint: Fingerprint of the key that signs (the primary or a subkey).
        key_id: The key ID: the last 16 hex digits of a v4 ``fingerprint``, the first 16 of v6.
        algorithm: OpenPGP public-key algorithm id: 1 or 3 RSA, 17 DSA, 19 ECDSA,
            22 EdDSA-legacy (Ed25519), 27 Ed25519, 28 Ed448.
        bits: Key size: the RSA modulus or DSA prime size, the ECDSA curve size, 256 for Ed25519.
        private_key: The ``cryptography`` private key.
        public_packet_body: The raw body of the key's public-key (or public-subkey) packet,
            version octet first (4 or 6: the version of the signatures the key makes).
        key_flags: The first octet of the key flags (0x01 certify, 0x02 sign, 0x04/0x08 encrypt)
            from the key's self-signature or binding as read from the secret key, or None when
            unknown. Unverified: a hint for choosing which key signs, never a basis for trust.
    """

    primary_fingerprint: str
    fingerprint: str
    key_id: str
    algorithm: int
    bits: int
    private_key: SigningPrivateKey = field(repr=False)
    public_packet_body: bytes = field(repr=False)
    key_flags: int | None = None

    @property
    def is_primary(self) -> bool:
        """True when this is the primary key."""
        return self.fingerprint == self.primary_fingerprint

    @property
    def version(self) -> int:
        """The key packet version (4 or 6), which is also the version of its signatures."""
        return self.public_packet_body[0]

    @property
    def created(self) -> datetime:
        """The key's creation time, from its public-key packet."""
        return packets.parse_public_key(self.public_packet_body)[0].created


#: A :class:`SigningKey` as plain values, the private key as unencrypted PKCS #8 DER: what
#: :func:`pack` makes and :func:`unpack` reads.
PackedKey = tuple[str, str, str, int, int, bytes, bytes, "int | None"]


def pack(key: SigningKey) -> PackedKey:
    """``key`` as plain values, for a pipe between two pgpsig processes (never for storage).

    ``cryptography``'s private keys cannot be pickled; this is how a key unlocked in a forked
    process (:func:`pgpsig.modules.sign.load_signing_keys_apart`) comes back. The private key is
    *not* encrypted: it must not leave the process tree.
    """
    der = key.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return (
        key.primary_fingerprint,
        key.fingerprint,
        key.key_id,
        key.algorithm,
        key.bits,
        der,
        key.public_packet_body,
        key.key_flags,
    )


def unpack(packed: PackedKey) -> SigningKey:
    """The :class:`SigningKey` that :func:`pack` made ``packed`` from.

    Raises:
        UnsupportedError: the private key is not of a kind pgpsig signs with.
    """
    primary, fingerprint, key_id, algorithm, bits, der, body, flags = packed
    with _dsa.quiet():  # a DSA key (cryptography 51 deprecates DSA; OpenPGP keeps it)
        private_key = load_der_private_key(der, None)
    if not isinstance(private_key, _PRIVATE_KEY_TYPES):
        raise UnsupportedError(f"cannot sign with a {type(private_key).__name__}")
    return SigningKey(
        primary_fingerprint=primary,
        fingerprint=fingerprint,
        key_id=key_id,
        algorithm=algorithm,
        bits=bits,
        private_key=private_key,
        public_packet_body=body,
        key_flags=flags,
    )


def make_signing_key(
    private_key: SigningPrivateKey,
    *,
    created: datetime,
    algorithm: int | None = None,
    primary_fingerprint: str | None = None,
    key_flags: int | None = None,
    version: int = 4,
) -> SigningKey:
    """Wrap a ``cryptography`` private key as a :class:`SigningKey`, building its public packet.

    This is the first step of making a new key; its certificate still needs self-signatures
    (made with :func:`pgpsig.openpgp.signing.signature_packet`).

    Args:
        private_key: An RSA, DSA, ECDSA (NIST or brainpool curve), Ed25519 or Ed448 private key.
        created: The key's creation time (timezone-aware), part of its fingerprint.
        algorithm: The OpenPGP algorithm id. Default: 1 for RSA, 17 DSA, 19 ECDSA, 28 Ed448,
            and for Ed25519 22 (EdDSA-legacy, which every v4 implementation reads) in a v4 key,
            27 (RFC 9580 Ed25519) in a v6 key; give 27 for an RFC 9580 Ed25519 v4 key.
        primary_fingerprint: The primary key's fingerprint when this key is a subkey; None for a
            primary key.
        key_flags: The key flags the caller will put in its self-signature, as a hint.
        version: 4 (default) or 6: the key packet version (RFC 9580 section 5.5.2), and so the
            version of the signatures the key makes. A v6 key has a SHA-256 fingerprint. DSA
            and EdDSA-legacy (22) keys cannot be v6.

    Returns:
        The signing key.

    Raises:
        ValueError: A naive or out-of-range ``created``, an algorithm id that does not fit the
            key or the version, or a version other than 4 and 6.
        UnsupportedError: An elliptic curve OpenPGP has no OID for here.
    """
    seconds = timestamp(created)
    if version not in (4, 6):
        raise ValueError(f"key version {version} is not 4 or 6")
    if version == 6 and algorithm is None and isinstance(private_key, ed25519.Ed25519PrivateKey):
        algorithm = PublicKeyAlgorithm.ED25519
    material = _public_material(private_key, algorithm)
    if version == 6:
        if material[0] in (PublicKeyAlgorithm.DSA, PublicKeyAlgorithm.EDDSA_LEGACY):
            raise ValueError(f"algorithm {material[0]} keys cannot be v6 (RFC 9580 section 9.1)")
        fields = material[1:]
        body = bytes([6]) + struct.pack(">I", seconds) + material[:1]
        body += struct.pack(">I", len(fields)) + fields
    else:
        body = bytes([4]) + struct.pack(">I", seconds) + material
    public = packets.parse_public_key(body)[0]
    return SigningKey(
        primary_fingerprint=primary_fingerprint or public.fingerprint,
        fingerprint=public.fingerprint,
        key_id=public.key_id,
        algorithm=public.algorithm,
        bits=public.bits,
        private_key=private_key,
        public_packet_body=body,
        key_flags=key_flags,
    )


def _public_material(private_key: SigningPrivateKey, algorithm: int | None) -> bytes:
    """Algorithm octet and public key fields of a key packet (RFC 9580 section 5.5.5)."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        algo = _check_algorithm(algorithm, PublicKeyAlgorithm.RSA, _RSA_SIGNING)
        numbers = private_key.public_key().public_numbers()
        return bytes([algo]) + mpi(numbers.n) + mpi(numbers.e)
    if isinstance(private_key, _dsa.DSAPrivateKey):
        algo = _check_algorithm(algorithm, PublicKeyAlgorithm.DSA, (PublicKeyAlgorithm.DSA,))
        dsa_numbers = private_key.public_key().public_numbers()
        p = dsa_numbers.parameter_numbers
        return bytes([algo]) + b"".join(mpi(v) for v in (p.p, p.q, p.g, dsa_numbers.y))
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        algo = _check_algorithm(algorithm, PublicKeyAlgorithm.ECDSA, (PublicKeyAlgorithm.ECDSA,))
        oid = _CURVE_OIDS.get(private_key.curve.name)
        if oid is None:
            raise UnsupportedError(f"curve {private_key.curve.name} is not supported")
        point = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return bytes([algo, len(oid)]) + oid + mpi(int.from_bytes(point, "big"))
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if isinstance(private_key, ed448.Ed448PrivateKey):
        ed448_id = PublicKeyAlgorithm.ED448
        return bytes([_check_algorithm(algorithm, ed448_id, (ed448_id,))]) + raw
    algo = _check_algorithm(
        algorithm,
        PublicKeyAlgorithm.EDDSA_LEGACY,
        (PublicKeyAlgorithm.EDDSA_LEGACY, PublicKeyAlgorithm.ED25519),
    )
    if algo == PublicKeyAlgorithm.ED25519:
        return bytes([algo]) + raw
    oid = _ED25519_LEGACY_OID
    return bytes([algo, len(oid)]) + oid + mpi(int.from_bytes(b"\x40" + raw, "big"))


def _check_algorithm(algorithm: int | None, default: int, allowed: tuple[int, ...]) -> int:
    if algorithm is None:
        return default
    if algorithm not in allowed:
        raise ValueError(
            f"algorithm {algorithm} does not fit this key "
            f"(expected one of {tuple(int(a) for a in allowed)})"
        )
    return algorithm


def best_hash(key: SigningKey) -> str:
    """The hash algorithm a key signs with unless told otherwise.

    The rule, never below SHA-256:

    * Ed25519 (22 and 27): SHA512, the hash Ed25519 is built on (as Sequoia does); Ed448 (28):
      SHA512 (RFC 9580 section 5.2.3.4 wants a 512-bit digest for it).
    * ECDSA: the hash that matches the curve: SHA256 up to 256-bit curves, SHA384 up to 384,
      SHA512 above (RFC 9580 section 5.2.3.2 asks for a digest at least as long as the curve).
    * RSA: SHA512 from 3072 bits on (the key is meant to be strong, and SHA-512 costs nothing
      next to the RSA operation), SHA256 below.
    * DSA: SHA256 (a DSA key's ``q`` has at most 256 bits; a longer digest is only truncated).

    Args:
        key: The signing key.

    Returns:
        ``"SHA256"``, ``"SHA384"`` or ``"SHA512"``.
    """
    if key.algorithm in (
        PublicKeyAlgorithm.EDDSA_LEGACY,
        PublicKeyAlgorithm.ED25519,
        PublicKeyAlgorithm.ED448,
    ):
        return "SHA512"
    if key.algorithm == PublicKeyAlgorithm.ECDSA:
        if key.bits <= 256:
            return "SHA256"
        return "SHA384" if key.bits <= 384 else "SHA512"
    if key.algorithm in _RSA_SIGNING and key.bits >= 3072:
        return "SHA512"
    return "SHA256"
