"""Signing keys and version 4 and 6 signature creation, with ``cryptography`` (not PGPy).

This module owns the signer's side of OpenPGP signatures:

* :class:`SigningKey`: one secret key (primary or subkey) ready to sign, loaded from a
  transferable secret key by :func:`load_signing_keys` (through :mod:`pgpsig.openpgp._pgpy`, the PGPy
  adapter, for v4 keys; through :mod:`pgpsig.openpgp.secretkey`, pgpsig's own reader, for RFC 9580 v6
  keys, which PGPy cannot read) or built from a ``cryptography`` key by :func:`make_signing_key`.
* :func:`signature_packet`: a complete signature packet (RFC 9580 sections 5.2.3 and 5.2.4) over
  any hashed data, of the key's version: v4 for v4 keys, v6 (salted) for v6 keys. The data comes as bytes or as a *feed*, a function that writes into the
  hash, so large files stream and the later key work (certifications 0x10-0x13, subkey bindings
  0x18 with 0x19 back-signatures, revocations 0x20/0x28/0x30) reuses it with
  :func:`key_hash_input` and :func:`user_id_hash_input`.
* :func:`sign_cleartext` (a clear-signed message, RFC 9580 section 7) and :func:`sign_detached`
  (a binary or text detached signature).
* :func:`best_hash`: the hash a key signs with by default.

Algorithms: RSA PKCS#1 v1.5 (1, 3), DSA (17), ECDSA (19; deterministic nonces, RFC 6979),
EdDSA-legacy Ed25519 (22: ``r`` and ``s`` as MPIs), Ed25519 (27: 64 raw octets) and Ed448 (28: 114
raw octets). Signatures use SHA-256, SHA-384 or SHA-512; nothing weaker is ever produced. A v6
signature carries a fresh random salt (RFC 9580 section 5.2.4: the salt is hashed first) and an
issuer fingerprint, and no issuer key ID. Every signature is
verified with the public key before it is returned (a fault in an RSA-CRT signature would
otherwise leak the key).

Nothing here reads the clock: the creation time is an argument and must be timezone-aware. Nothing
here decides *whether* a key may sign (expiry, revocation, key flags, policy): that belongs to the
use case and to :mod:`pgpsig.engine.validity` and :mod:`pgpsig.policy`.

Example::

    keys = load_signing_keys(Path("secret.asc").read_bytes(), passphrase=b"...")
    signed = sign_cleartext(b"hello", keys[0], created=datetime.now(timezone.utc))
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from pgpsig.errors import SignatureError, UnsupportedError
from pgpsig.openpgp import _pgpy, clearsign, packets
from pgpsig.openpgp._pgpy import PassphraseError, PrivateKey

if TYPE_CHECKING:
    from pgpsig.openpgp._pgpy import SecretKey
    from pgpsig.openpgp.secretkey import SecretKey as V6SecretKey

__all__ = [
    "MAX_CLEARTEXT_LINE",
    "SIGNING_HASHES",
    "HashSink",
    "PassphraseError",
    "PrivateKey",
    "SigningKey",
    "SigningPrivateKey",
    "best_hash",
    "key_hash_input",
    "load_signing_keys",
    "make_signing_key",
    "sign_cleartext",
    "sign_detached",
    "signature_body",
    "signature_packet",
    "subpacket",
    "user_id_hash_input",
]

SigningPrivateKey = PrivateKey | ed448.Ed448PrivateKey
"""Every ``cryptography`` private key pgpsig signs with: PGPy's (v4) and Ed448 (RFC 9580, algorithm 28)."""

#: Hash algorithms pgpsig signs with, by name, with their OpenPGP ids (RFC 9580 section 9.5).
#: Nothing weaker than SHA-256 is offered.
SIGNING_HASHES: dict[str, int] = {"SHA256": 8, "SHA384": 9, "SHA512": 10}

_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}

# Signature subpacket types written here (RFC 9580 section 5.2.3.7).
_SP_CREATION_TIME = 2
_SP_ISSUER_KEY_ID = 16
_SP_ISSUER_FINGERPRINT = 33

_SIG_TYPE_BINARY = 0x00
_SIG_TYPE_TEXT = 0x01

# Public-key algorithm ids (RFC 9580 section 9.1) and the private keys that fit them.
_RSA_SIGNING = (1, 3)
_DSA = 17
_ECDSA = 19
_EDDSA_LEGACY = 22
_ED25519 = 27
_ED448 = 28

# Salt sizes of v6 signatures by hash (RFC 9580 section 9.5), for the hashes pgpsig signs with.
_V6_SALT_SIZES: dict[str, int] = {"SHA256": 16, "SHA384": 24, "SHA512": 32}

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

# Bytes read at a time when a detached signature streams over a file.
_CHUNK = 1 << 20

#: Longest line (octets, after dash-escaping, without the line ending) that
#: :func:`sign_cleartext` writes. GnuPG 2.2 reads at most 19995 characters per line of a
#: clear-signed message ("input line longer than 19995 characters") and reports a BAD signature
#: on longer lines, so such a message could not be checked by gpg (nor by FreePBX, which uses it).
MAX_CLEARTEXT_LINE = 19995


class HashSink(Protocol):
    """What a hashed-data feed writes into: a hash object's ``update``."""

    def update(self, data: bytes, /) -> None:
        """Add ``data`` to the hash."""


HashFeed = Callable[[HashSink], None]
"""A function that writes the signed data into the hash it is given."""


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


def load_signing_keys(data: bytes, passphrase: bytes | None = None) -> tuple[SigningKey, ...]:
    """Load the secret keys that can sign from one transferable secret key.

    Args:
        data: A transferable secret key (``gpg --export-secret-keys``), armored or binary. A v4
            key is read by PGPy (:mod:`pgpsig.openpgp._pgpy`); a v6 key (RFC 9580), which PGPy cannot
            read, by :mod:`pgpsig.openpgp.secretkey`.
        passphrase: The passphrase that unlocks protected key material; ignored for keys that
            are not protected.

    Returns:
        The primary key first (absent when the file holds only a GnuPG stub of it, as
        ``gpg --export-secret-subkeys`` writes), then each secret subkey of a signing algorithm,
        in file order. Encryption subkeys are left out.

    Raises:
        ArmorError: The armor is malformed.
        PacketError: The data is not a well-formed secret key, or PGPy cannot read it faithfully.
        LimitError: A packet exceeds the parser's limits.
        UnsupportedError: A key version, algorithm or protection scheme that is not implemented.
        InputError: A certificate instead of a secret key, several keys, or no secret signing key.
        PassphraseError: A protected key and no passphrase, or a wrong one.
    """
    from pgpsig.openpgp import secretkey  # noqa: PLC0415 - only v6 keys need it

    if secretkey.is_v6(data):
        return tuple(_from_secret(s) for s in secretkey.load_secret_keys(data, passphrase))
    return tuple(_from_secret(s) for s in _pgpy.load_secret_keys(data, passphrase))


def _from_secret(secret: SecretKey | V6SecretKey) -> SigningKey:
    public = secret.public
    return SigningKey(
        primary_fingerprint=secret.primary_fingerprint,
        fingerprint=public.fingerprint,
        key_id=public.key_id,
        algorithm=public.algorithm,
        bits=public.bits,
        private_key=secret.private_key,
        public_packet_body=public.body,
        key_flags=secret.key_flags,
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
    (made with :func:`signature_packet`).

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
    timestamp = _timestamp(created)
    if version not in (4, 6):
        raise ValueError(f"key version {version} is not 4 or 6")
    if version == 6 and algorithm is None and isinstance(private_key, ed25519.Ed25519PrivateKey):
        algorithm = _ED25519
    material = _public_material(private_key, algorithm)
    if version == 6:
        if material[0] in (_DSA, _EDDSA_LEGACY):
            raise ValueError(f"algorithm {material[0]} keys cannot be v6 (RFC 9580 section 9.1)")
        fields = material[1:]
        body = bytes([6]) + struct.pack(">I", timestamp) + material[:1]
        body += struct.pack(">I", len(fields)) + fields
    else:
        body = bytes([4]) + struct.pack(">I", timestamp) + material
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
        algo = _check_algorithm(algorithm, 1, (1, 3))
        numbers = private_key.public_key().public_numbers()
        return bytes([algo]) + _mpi(numbers.n) + _mpi(numbers.e)
    if isinstance(private_key, dsa.DSAPrivateKey):
        algo = _check_algorithm(algorithm, _DSA, (_DSA,))
        dsa_numbers = private_key.public_key().public_numbers()
        p = dsa_numbers.parameter_numbers
        return bytes([algo]) + b"".join(_mpi(v) for v in (p.p, p.q, p.g, dsa_numbers.y))
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        algo = _check_algorithm(algorithm, _ECDSA, (_ECDSA,))
        oid = _CURVE_OIDS.get(private_key.curve.name)
        if oid is None:
            raise UnsupportedError(f"curve {private_key.curve.name} is not supported")
        point = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return bytes([algo, len(oid)]) + oid + _mpi(int.from_bytes(point, "big"))
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if isinstance(private_key, ed448.Ed448PrivateKey):
        return bytes([_check_algorithm(algorithm, _ED448, (_ED448,))]) + raw
    algo = _check_algorithm(algorithm, _EDDSA_LEGACY, (_EDDSA_LEGACY, _ED25519))
    if algo == _ED25519:
        return bytes([algo]) + raw
    oid = _ED25519_LEGACY_OID
    return bytes([algo, len(oid)]) + oid + _mpi(int.from_bytes(b"\x40" + raw, "big"))


def _check_algorithm(algorithm: int | None, default: int, allowed: tuple[int, ...]) -> int:
    if algorithm is None:
        return default
    if algorithm not in allowed:
        raise ValueError(f"algorithm {algorithm} does not fit this key (expected one of {allowed})")
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
    if key.algorithm in (_EDDSA_LEGACY, _ED25519, _ED448):
        return "SHA512"
    if key.algorithm == _ECDSA:
        if key.bits <= 256:
            return "SHA256"
        return "SHA384" if key.bits <= 384 else "SHA512"
    if key.algorithm in _RSA_SIGNING and key.bits >= 3072:
        return "SHA512"
    return "SHA256"


def key_hash_input(public_packet_body: bytes) -> bytes:
    """The bytes that stand for a v4 key in a signature hash: ``0x99 || 2-octet length || body``.

    Certifications hash the primary key then the user ID; subkey bindings (0x18) and primary-key
    back-signatures (0x19) hash the primary key then the subkey; key revocations (0x20) hash the
    primary key, subkey revocations (0x28) the primary key then the subkey (RFC 9580 5.2.4).

    Args:
        public_packet_body: The body of a v4 public-key or public-subkey packet.

    Returns:
        The hash input.

    Raises:
        ValueError: The body is longer than a v4 key packet can be (65535 octets).
    """
    if len(public_packet_body) > 0xFFFF:
        raise ValueError("a v4 key packet body is at most 65535 octets")
    return b"\x99" + struct.pack(">H", len(public_packet_body)) + public_packet_body


def user_id_hash_input(user_id: bytes) -> bytes:
    """The bytes that stand for a user ID in a certification: ``0xB4 || 4-octet length || uid``.

    Args:
        user_id: The user ID packet body (UTF-8 by convention, hashed as given).

    Returns:
        The hash input.
    """
    return b"\xb4" + struct.pack(">I", len(user_id)) + user_id


def subpacket(type_: int, body: bytes, *, critical: bool = False) -> bytes:
    """Encode one signature subpacket (RFC 9580 section 5.2.3.7).

    Args:
        type_: The subpacket type, 0 to 127.
        body: The subpacket body.
        critical: Set the critical bit: a verifier that does not know the type must reject the
            signature.

    Returns:
        Length, type octet and body.

    Raises:
        ValueError: A type outside 0..127.
    """
    if not 0 <= type_ <= 0x7F:
        raise ValueError(f"subpacket type {type_} is not in 0..127")
    length = 1 + len(body)  # the length counts the type octet
    if length < 192:
        head = bytes([length])
    elif length < 8384:
        head = bytes([((length - 192) >> 8) + 192, (length - 192) & 0xFF])
    else:
        head = b"\xff" + struct.pack(">I", length)
    return head + bytes([type_ | (0x80 if critical else 0)]) + body


def signature_body(
    key: SigningKey,
    hashed_data_feed: HashFeed | bytes,
    *,
    sig_type: int,
    created: datetime,
    hash_name: str = "SHA256",
    extra_hashed_subpackets: Sequence[bytes] = (),
    salt: bytes | None = None,
) -> bytes:
    """The body of a signature packet (what an embedded-signature subpacket 32 holds).

    See :func:`signature_packet`, which adds the packet header; the arguments are the same.

    Raises:
        ValueError: See :func:`signature_packet`.
        UnsupportedError: See :func:`signature_packet`.
        SignatureError: See :func:`signature_packet`.
    """
    hash_id = _hash_id(hash_name)
    name = hash_name.upper()
    if not 0 <= sig_type <= 0xFF:
        raise ValueError(f"signature type {sig_type} is not an octet")
    timestamp = _timestamp(created)
    key_created = struct.unpack(">I", key.public_packet_body[1:5])[0]
    if timestamp < key_created:
        raise ValueError("the signature would be older than its key; verifiers reject that")
    _check_key(key)
    if key.algorithm == _ED448 and name != "SHA512":
        raise UnsupportedError(f"an Ed448 key needs SHA512, not {name} (RFC 9580 section 5.2.3.4)")
    if key.algorithm == _ECDSA and _HASH_CLASSES[name]().digest_size * 8 < min(key.bits, 512):
        # GnuPG refuses such signatures ("General error"); RFC 9580 section 5.2.3.2 wants the
        # digest at least as long as the curve.
        raise UnsupportedError(
            f"an ECDSA {key.bits}-bit key needs a hash of at least {min(key.bits, 512)} bits, "
            f"not {name}"
        )
    if key.version == 6:
        return _v6_signature_body(
            key,
            hashed_data_feed,
            sig_type=sig_type,
            timestamp=timestamp,
            name=name,
            hash_id=hash_id,
            extra_hashed_subpackets=extra_hashed_subpackets,
            salt=salt,
        )
    if salt is not None:
        raise ValueError("only v6 signatures carry a salt")
    hashed = (
        subpacket(_SP_CREATION_TIME, struct.pack(">I", timestamp))
        + subpacket(_SP_ISSUER_FINGERPRINT, b"\x04" + bytes.fromhex(key.fingerprint))
        + b"".join(extra_hashed_subpackets)
    )
    if len(hashed) > 0xFFFF:
        raise ValueError("the hashed subpackets exceed 65535 octets")
    unhashed = subpacket(_SP_ISSUER_KEY_ID, bytes.fromhex(key.key_id))
    head = bytes([4, sig_type, key.algorithm, hash_id]) + struct.pack(">H", len(hashed)) + hashed

    digest = _signature_digest(name, hashed_data_feed, head)
    material = _sign_digest(key, digest, name)
    return head + struct.pack(">H", len(unhashed)) + unhashed + digest[:2] + material


def _signature_digest(
    name: str, hashed_data_feed: HashFeed | bytes, head: bytes, *, salt: bytes = b""
) -> bytes:
    """The digest a signature signs: salt (v6), the data, the head, then the trailer.

    ``head`` starts with the version octet; the trailer is ``version || 0xFF || 4-octet length of
    head`` (RFC 9580 section 5.2.4).
    """
    state = hashlib.new(name.lower())
    state.update(salt)
    if isinstance(hashed_data_feed, bytes | bytearray | memoryview):
        state.update(hashed_data_feed)
    else:
        hashed_data_feed(state)
    state.update(head)
    state.update(bytes([head[0], 0xFF]) + struct.pack(">I", len(head)))
    return state.digest()


def _v6_signature_body(
    key: SigningKey,
    hashed_data_feed: HashFeed | bytes,
    *,
    sig_type: int,
    timestamp: int,
    name: str,
    hash_id: int,
    extra_hashed_subpackets: Sequence[bytes],
    salt: bytes | None,
) -> bytes:
    """The body of a v6 signature packet (RFC 9580 sections 5.2.3 and 5.2.4).

    The hash covers the salt, the data, the signature's version, type, algorithms and 4-octet
    hashed-area length and area, then the trailer ``0x06 0xFF || 4-octet length``. The issuer is
    named by a v6 issuer fingerprint (33) in the hashed area; the unhashed area is empty (a v6
    signature carries no issuer key ID).
    """
    size = _V6_SALT_SIZES[name]
    if salt is None:
        salt = secrets.token_bytes(size)
    if len(salt) != size:
        raise ValueError(f"a v6 {name} signature needs a {size}-octet salt, not {len(salt)}")
    hashed = (
        subpacket(_SP_CREATION_TIME, struct.pack(">I", timestamp))
        + subpacket(_SP_ISSUER_FINGERPRINT, b"\x06" + bytes.fromhex(key.fingerprint))
        + b"".join(extra_hashed_subpackets)
    )
    head = bytes([6, sig_type, key.algorithm, hash_id]) + struct.pack(">I", len(hashed)) + hashed
    digest = _signature_digest(name, hashed_data_feed, head, salt=salt)
    material = _sign_digest(key, digest, name)
    return head + struct.pack(">I", 0) + digest[:2] + bytes([len(salt)]) + salt + material


def signature_packet(
    key: SigningKey,
    hashed_data_feed: HashFeed | bytes,
    *,
    sig_type: int,
    created: datetime,
    hash_name: str = "SHA256",
    extra_hashed_subpackets: Sequence[bytes] = (),
    salt: bytes | None = None,
) -> bytes:
    """A complete binary signature packet (new-format header), RFC 9580 sections 5.2.3-5.2.4.

    A v4 key makes the v4 signature described here; a v6 key makes a v6 signature: a random
    ``salt`` (or the one given) hashed before the data, a 4-octet hashed-area length, the v6
    trailer, a v6 issuer fingerprint and no issuer key ID (RFC 9580 section 5.2.4).

    The hashed area holds the signature creation time (subpacket 2), the issuer fingerprint
    (33, v4) and then ``extra_hashed_subpackets``; the unhashed area holds the issuer key ID (16),
    for older verifiers. The hash covers the data, then the signature's version, type,
    algorithms and hashed area, then the v4 trailer ``0x04 0xFF || 4-octet length``.

    For a certification of a user ID (0x10-0x13) the data is
    ``key_hash_input(primary) + user_id_hash_input(uid)``; for a subkey binding (0x18) or
    back-signature (0x19) ``key_hash_input(primary) + key_hash_input(subkey)``.

    Args:
        key: The key that signs.
        hashed_data_feed: The signed data, as bytes or as a function that writes it into the
            hash object it receives (``feed(h)`` calls ``h.update(chunk)``), for streaming.
        sig_type: The signature type (0x00 binary, 0x01 text, 0x10-0x13, 0x18, 0x19, 0x1F,
            0x20, 0x28, 0x30, ...). Not checked against the data: that is the caller's contract.
        created: The signature creation time; timezone-aware, not before the key's creation.
        hash_name: ``"SHA256"``, ``"SHA384"`` or ``"SHA512"``.
        extra_hashed_subpackets: Further encoded subpackets (see :func:`subpacket`) for the
            hashed area, such as key flags (27), key expiration (9), revocation reason (29) or an
            embedded back-signature (32).
        salt: v6 keys only: the salt (16, 24 or 32 octets for SHA256, SHA384, SHA512); default
            a fresh random one. For reproducible tests.

    Returns:
        The packet: header and body.

    Raises:
        ValueError: A naive or out-of-range ``created``, a signature older than its key, a
            ``sig_type`` that is not an octet, an oversized hashed area, a private key that
            does not fit ``key.algorithm``, or a salt that does not fit (or a v4 key).
        UnsupportedError: A hash other than SHA256/384/512, an ECDSA key with a hash shorter
            than its curve (P-384 needs SHA384 or SHA512, P-521 SHA512), or an Ed448 key with
            a hash other than SHA512.
        SignatureError: The new signature does not verify with the key's public key (a
            hardware or library fault); nothing is returned.
    """
    body = signature_body(
        key,
        hashed_data_feed,
        sig_type=sig_type,
        created=created,
        hash_name=hash_name,
        extra_hashed_subpackets=extra_hashed_subpackets,
        salt=salt,
    )
    return packets.packet_header(packets.Tag.SIGNATURE, len(body)) + body


def sign_cleartext(
    text: bytes, key: SigningKey, *, created: datetime, hash_name: str | None = None
) -> bytes:
    """A clear-signed message (RFC 9580 section 7) of ``text``, signature type 0x01.

    As ``gpg --clearsign`` does, the final line ending of ``text`` (LF or CRLF), if any, becomes
    the frame's line break before the signature armor and is not signed; the rest is signed in
    canonical form (:func:`pgpsig.openpgp.clearsign.canonicalize`: trailing spaces and tabs stripped,
    CRLF line endings) and framed, dash-escaped, by :func:`pgpsig.openpgp.clearsign.encode`. So a
    verifier's output of the message is ``text`` without trailing whitespace, with a final LF.
    A v6 key's frame has no ``Hash:`` header (v6 signatures name their hash themselves, as in
    the sample of RFC 9580 Appendix A.6).

    Args:
        text: The text to sign, as bytes (any encoding; it is signed as given).
        key: The key that signs.
        created: The signature creation time (timezone-aware).
        hash_name: The hash; default :func:`best_hash` of the key.

    Returns:
        The armored clear-signed message.

    Raises:
        ValueError: See :func:`signature_packet`; also a line longer than
            :data:`MAX_CLEARTEXT_LINE` octets once dash-escaped (gpg could not verify it).
        UnsupportedError: See :func:`signature_packet`.
        SignatureError: See :func:`signature_packet`.
    """
    name = (hash_name or best_hash(key)).upper()
    _hash_id(name)  # refuse an unsupported hash before any work
    if text.endswith(b"\r\n"):
        text = text[:-2]
    elif text.endswith(b"\n"):
        text = text[:-1]
    _check_line_lengths(text)
    canonical = clearsign.canonicalize(text)
    packet = signature_packet(
        key, canonical, sig_type=_SIG_TYPE_TEXT, created=created, hash_name=name
    )
    return clearsign.encode(text, packet, [name] if key.version == 4 else [])


def _check_line_lengths(text: bytes) -> None:
    """Refuse lines that gpg cannot read back from a clear-signed frame."""
    if len(text) <= MAX_CLEARTEXT_LINE - 2:
        return
    for number, line in enumerate(text.split(b"\n"), start=1):
        length = len(line) - line.endswith(b"\r") + 2 * line.startswith((b"-", b"From "))
        if length > MAX_CLEARTEXT_LINE:
            raise ValueError(
                f"line {number} has {length} octets; gpg cannot verify a clear-signed message "
                f"with lines over {MAX_CLEARTEXT_LINE} octets (make a detached signature)"
            )


def sign_detached(
    data: BinaryIO | bytes,
    key: SigningKey,
    *,
    created: datetime,
    hash_name: str | None = None,
    text: bool = False,
) -> bytes:
    """A detached signature packet (binary, not armored) over ``data``.

    Args:
        data: The data, as bytes or as a binary stream read to its end in chunks (memory stays
            bounded whatever its size).
        key: The key that signs.
        created: The signature creation time (timezone-aware).
        hash_name: The hash; default :func:`best_hash` of the key.
        text: Make a text signature (type 0x01): LF and CRLF line endings are hashed as CRLF;
            trailing whitespace is kept (only the clear-signed frame strips it). Otherwise a
            binary signature (0x00) over the exact bytes.

    Returns:
        One binary signature packet.

    Raises:
        ValueError: See :func:`signature_packet`; also a text signature over data with a lone CR
            (GnuPG and Sequoia disagree on its meaning).
        UnsupportedError: See :func:`signature_packet`.
        SignatureError: See :func:`signature_packet`.
        OSError: Reading the stream failed.
    """

    def feed(sink: HashSink) -> None:
        canonicalizer = clearsign.Canonicalizer(strip_whitespace=False) if text else None

        def write(chunk: bytes) -> None:
            if canonicalizer is None:
                sink.update(chunk)
                return
            out = canonicalizer.feed(chunk)
            _refuse_lone_cr(out)
            sink.update(out)

        if isinstance(data, bytes):
            write(data)
        else:
            while chunk := data.read(_CHUNK):
                write(chunk)
        if canonicalizer is not None:
            out = canonicalizer.finish()
            _refuse_lone_cr(out)
            sink.update(out)

    return signature_packet(
        key,
        feed,
        sig_type=_SIG_TYPE_TEXT if text else _SIG_TYPE_BINARY,
        created=created,
        hash_name=(hash_name or best_hash(key)).upper(),
    )


def _refuse_lone_cr(canonical: bytes) -> None:
    """Refuse a CR outside CRLF in canonical text.

    GnuPG hashes a lone CR as data, Sequoia as a line ending: a text signature over it fails in
    one of them.

    Raises:
        ValueError: There is a lone CR.
    """
    if b"\r" in canonical and b"\r" in canonical.replace(b"\r\n", b""):
        raise ValueError(
            "a text signature cannot cover a lone CR (GnuPG and Sequoia hash it differently); "
            "make a binary signature"
        )


def _hash_id(hash_name: str) -> int:
    hash_id = SIGNING_HASHES.get(hash_name.upper())
    if hash_id is None:
        raise UnsupportedError(
            f"signing with {hash_name!r} is not supported; use one of {', '.join(SIGNING_HASHES)}"
        )
    return hash_id


def _timestamp(created: datetime) -> int:
    """Seconds since the epoch of an aware datetime, as a v4 packet stores them."""
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("created must be timezone-aware (naive datetimes are ambiguous)")
    timestamp = int(created.timestamp())
    if not 0 <= timestamp <= 0xFFFFFFFF:
        raise ValueError(f"{created.isoformat()} cannot be stored in a v4 packet")
    return timestamp


def _check_key(key: SigningKey) -> None:
    """The private key must fit the algorithm id the signature will carry."""
    private = key.private_key
    fits = (
        (key.algorithm in _RSA_SIGNING and isinstance(private, rsa.RSAPrivateKey))
        or (key.algorithm == _DSA and isinstance(private, dsa.DSAPrivateKey))
        or (key.algorithm == _ECDSA and isinstance(private, ec.EllipticCurvePrivateKey))
        or (
            key.algorithm in (_EDDSA_LEGACY, _ED25519)
            and isinstance(private, ed25519.Ed25519PrivateKey)
        )
        or (key.algorithm == _ED448 and isinstance(private, ed448.Ed448PrivateKey))
    )
    if not fits:
        raise ValueError(
            f"a {type(private).__name__} cannot make algorithm {key.algorithm} signatures"
        )


def secret_key_body(key: SigningKey) -> bytes:
    """An *unprotected* v4 secret-key packet body for ``key`` (RFC 9580 section 5.5.3).

    Only for keys meant to be unprotected (examples, tests, keys kept in a secure store);
    passphrase protection is the key-management work's job.

    Raises:
        UnsupportedError: an algorithm other than RSA or Ed25519 (legacy or RFC 9580).
    """
    pk = key.private_key
    if isinstance(pk, rsa.RSAPrivateKey):
        n = pk.private_numbers()
        p, q = sorted((n.p, n.q))
        secret = _mpi(n.d) + _mpi(p) + _mpi(q) + _mpi(pow(p, -1, q))
    elif isinstance(pk, ed25519.Ed25519PrivateKey) and key.algorithm == 22:
        seed = pk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        secret = _mpi(int.from_bytes(seed, "big"))
    elif isinstance(pk, ed25519.Ed25519PrivateKey) and key.algorithm == 27:
        secret = pk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    else:
        raise UnsupportedError(f"cannot export algorithm {key.algorithm} secret keys")
    checksum = sum(secret) & 0xFFFF  # v4 keys: a 2-octet checksum follows unprotected material
    return key.public_packet_body + b"\x00" + secret + struct.pack(">H", checksum)


def _mpi(value: int) -> bytes:
    """An OpenPGP multiprecision integer: 2-octet bit count, then big-endian octets."""
    bits = value.bit_length()
    return struct.pack(">H", bits) + value.to_bytes((bits + 7) // 8, "big")


def _sign_digest(key: SigningKey, digest: bytes, hash_name: str) -> bytes:
    """Signature material over ``digest``, checked with the public key before it is returned."""
    private = key.private_key
    prehashed = Prehashed(_HASH_CLASSES[hash_name]())
    try:
        if isinstance(private, rsa.RSAPrivateKey):
            raw = private.sign(digest, padding.PKCS1v15(), prehashed)
            private.public_key().verify(raw, digest, padding.PKCS1v15(), prehashed)
            return _mpi(int.from_bytes(raw, "big"))
        if isinstance(private, dsa.DSAPrivateKey):
            der = private.sign(digest, prehashed)
            private.public_key().verify(der, digest, prehashed)
            r, s = decode_dss_signature(der)
            return _mpi(r) + _mpi(s)
        if isinstance(private, ec.EllipticCurvePrivateKey):
            der = private.sign(digest, _ecdsa(prehashed))
            private.public_key().verify(der, digest, ec.ECDSA(prehashed))
            r, s = decode_dss_signature(der)
            return _mpi(r) + _mpi(s)
        # EdDSA signs the digest, not the data (RFC 9580 section 5.2.4), in every encoding; Ed448
        # with an empty context string.
        raw = private.sign(digest)
        private.public_key().verify(raw, digest)
    except InvalidSignature as exc:
        raise SignatureError(f"the new signature by {key.fingerprint} does not verify") from exc
    if key.algorithm in (_ED25519, _ED448):
        return raw
    return _mpi(int.from_bytes(raw[:32], "big")) + _mpi(int.from_bytes(raw[32:], "big"))


def _ecdsa(prehashed: Prehashed) -> ec.ECDSA:
    """ECDSA with deterministic nonces (RFC 6979; ``cryptography`` 44 and newer)."""
    return ec.ECDSA(prehashed, deterministic_signing=True)
