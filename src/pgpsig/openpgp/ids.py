"""OpenPGP's numbers, once: the identifiers of RFC 9580 that pgpsig reads or writes.

Every other module names these (``SignatureType.KEY_REVOCATION``, ``KeyFlag.SIGN``) instead of
restating a number or keeping a table of its own. They are :class:`~enum.IntEnum` (and
:class:`~enum.IntFlag` for key flags), so they compare equal to the integers parsed from packets.
Section numbers refer to RFC 9580.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, IntFlag
from types import MappingProxyType

__all__ = [
    "ALGORITHM_NAMES",
    "CERTIFICATION_TYPES",
    "ELGAMAL_ALGORITHMS",
    "HARD_REVOCATION_REASONS",
    "HASH_NAMES",
    "KNOWN_SUBPACKETS",
    "PRIMARY_KEY_TYPES",
    "REVOCATION_TYPES",
    "RSA_ALGORITHMS",
    "SOFT_REVOCATION_REASONS",
    "V6_SALT_SIZES",
    "CompressionAlgorithm",
    "Feature",
    "HashAlgorithm",
    "KeyFlag",
    "PublicKeyAlgorithm",
    "RevocationReason",
    "SignatureType",
    "SubpacketType",
    "SymmetricAlgorithm",
    "Tag",
]


class HashAlgorithm(IntEnum):
    """Hash algorithm ids (section 9.5)."""

    MD5 = 1
    SHA1 = 2
    RIPEMD160 = 3
    SHA256 = 8
    SHA384 = 9
    SHA512 = 10
    SHA224 = 11
    SHA3_256 = 12
    SHA3_512 = 14

    @property
    def display(self) -> str:
        """The name OpenPGP tools print ("SHA256", "SHA3-256")."""
        return self.name.replace("SHA3_", "SHA3-")


#: Hash algorithm id -> printed name, for every id pgpsig knows.
HASH_NAMES: dict[int, str] = {int(h): h.display for h in HashAlgorithm}

#: Salt size in octets of a v6 signature, by its hash algorithm (section 9.5).
V6_SALT_SIZES: Mapping[int, int] = MappingProxyType(
    {
        HashAlgorithm.SHA256: 16,
        HashAlgorithm.SHA384: 24,
        HashAlgorithm.SHA512: 32,
        HashAlgorithm.SHA224: 16,
        HashAlgorithm.SHA3_256: 16,
        HashAlgorithm.SHA3_512: 32,
    }
)


class PublicKeyAlgorithm(IntEnum):
    """Public-key algorithm ids (section 9.1)."""

    RSA = 1
    RSA_ENCRYPT_ONLY = 2
    RSA_SIGN_ONLY = 3
    ELGAMAL = 16
    DSA = 17
    ECDH = 18
    ECDSA = 19
    ELGAMAL_SIGN = 20
    EDDSA_LEGACY = 22
    X25519 = 25
    X448 = 26
    ED25519 = 27
    ED448 = 28

    @property
    def display(self) -> str:
        """The name pgpsig prints ("RSA", "EdDSA", "Ed25519"): the RSA and ElGamal variants share one."""
        return _PUBLIC_KEY_DISPLAY[self]


_PUBLIC_KEY_DISPLAY: Mapping[PublicKeyAlgorithm, str] = MappingProxyType(
    {
        PublicKeyAlgorithm.RSA: "RSA",
        PublicKeyAlgorithm.RSA_ENCRYPT_ONLY: "RSA",
        PublicKeyAlgorithm.RSA_SIGN_ONLY: "RSA",
        PublicKeyAlgorithm.ELGAMAL: "ElGamal",
        PublicKeyAlgorithm.DSA: "DSA",
        PublicKeyAlgorithm.ECDH: "ECDH",
        PublicKeyAlgorithm.ECDSA: "ECDSA",
        PublicKeyAlgorithm.ELGAMAL_SIGN: "ElGamal",
        PublicKeyAlgorithm.EDDSA_LEGACY: "EdDSA",
        PublicKeyAlgorithm.X25519: "X25519",
        PublicKeyAlgorithm.X448: "X448",
        PublicKeyAlgorithm.ED25519: "Ed25519",
        PublicKeyAlgorithm.ED448: "Ed448",
    }
)
#: Public-key algorithm id -> printed name, for every id pgpsig knows.
ALGORITHM_NAMES: dict[int, str] = {int(a): a.display for a in PublicKeyAlgorithm}
#: The three RSA ids (1 general, 2 encrypt-only, 3 sign-only): one key format.
RSA_ALGORITHMS = frozenset(
    {
        PublicKeyAlgorithm.RSA,
        PublicKeyAlgorithm.RSA_ENCRYPT_ONLY,
        PublicKeyAlgorithm.RSA_SIGN_ONLY,
    }
)
#: The two ElGamal ids (16 encrypt-only, 20 the withdrawn sign-and-encrypt): one key format.
ELGAMAL_ALGORITHMS = frozenset({PublicKeyAlgorithm.ELGAMAL, PublicKeyAlgorithm.ELGAMAL_SIGN})


class SignatureType(IntEnum):
    """Signature types (section 5.2.1)."""

    BINARY = 0x00
    TEXT = 0x01
    STANDALONE = 0x02
    GENERIC_CERTIFICATION = 0x10
    PERSONA_CERTIFICATION = 0x11
    CASUAL_CERTIFICATION = 0x12
    POSITIVE_CERTIFICATION = 0x13
    SUBKEY_BINDING = 0x18
    PRIMARY_KEY_BINDING = 0x19
    DIRECT_KEY = 0x1F
    KEY_REVOCATION = 0x20
    SUBKEY_REVOCATION = 0x28
    CERTIFICATION_REVOCATION = 0x30
    TIMESTAMP = 0x40
    THIRD_PARTY_CONFIRMATION = 0x50

    @property
    def description(self) -> str:
        """The type in words ("key revocation", "subkey binding"), for messages."""
        return self.name.lower().replace("_", " ")


#: The four certification types (0x10-0x13): a key's statement about a user ID.
CERTIFICATION_TYPES = frozenset(
    {
        SignatureType.GENERIC_CERTIFICATION,
        SignatureType.PERSONA_CERTIFICATION,
        SignatureType.CASUAL_CERTIFICATION,
        SignatureType.POSITIVE_CERTIFICATION,
    }
)
#: The types hashed over the primary key alone (section 5.2.4): direct-key (0x1F), key revocation
#: (0x20). Wherever one sits in a certificate, it is about the primary key.
PRIMARY_KEY_TYPES = frozenset({SignatureType.DIRECT_KEY, SignatureType.KEY_REVOCATION})
#: The three revocation types (0x20, 0x28, 0x30).
REVOCATION_TYPES = frozenset(
    {
        SignatureType.KEY_REVOCATION,
        SignatureType.SUBKEY_REVOCATION,
        SignatureType.CERTIFICATION_REVOCATION,
    }
)


class SubpacketType(IntEnum):
    """Signature subpacket types (section 5.2.3.7)."""

    SIGNATURE_CREATION_TIME = 2
    SIGNATURE_EXPIRATION_TIME = 3
    EXPORTABLE_CERTIFICATION = 4
    TRUST_SIGNATURE = 5
    REGULAR_EXPRESSION = 6
    REVOCABLE = 7
    KEY_EXPIRATION_TIME = 9
    PREFERRED_SYMMETRIC = 11
    REVOCATION_KEY = 12
    ISSUER_KEY_ID = 16
    NOTATION_DATA = 20
    PREFERRED_HASH = 21
    PREFERRED_COMPRESSION = 22
    KEY_SERVER_PREFERENCES = 23
    PREFERRED_KEY_SERVER = 24
    PRIMARY_USER_ID = 25
    POLICY_URI = 26
    KEY_FLAGS = 27
    SIGNERS_USER_ID = 28
    REASON_FOR_REVOCATION = 29
    FEATURES = 30
    SIGNATURE_TARGET = 31
    EMBEDDED_SIGNATURE = 32
    ISSUER_FINGERPRINT = 33
    PREFERRED_AEAD = 34
    INTENDED_RECIPIENT = 35
    ATTESTED_CERTIFICATIONS = 37
    PREFERRED_AEAD_CIPHERSUITES = 39


#: Signature subpacket types pgpsig understands. A *critical* subpacket of any other type makes the
#: signature invalid (section 5.2.3.7). Regular expression (6) is deliberately absent: pgpsig does
#: not implement regex-scoped trust, so a critical one must fail closed. Listed one by one (not
#: "every member of SubpacketType"): naming a new type must not make it understood.
KNOWN_SUBPACKETS = frozenset(
    {
        SubpacketType.SIGNATURE_CREATION_TIME,
        SubpacketType.SIGNATURE_EXPIRATION_TIME,
        SubpacketType.EXPORTABLE_CERTIFICATION,
        SubpacketType.TRUST_SIGNATURE,
        SubpacketType.REVOCABLE,
        SubpacketType.KEY_EXPIRATION_TIME,
        SubpacketType.PREFERRED_SYMMETRIC,
        SubpacketType.REVOCATION_KEY,
        SubpacketType.ISSUER_KEY_ID,
        SubpacketType.NOTATION_DATA,
        SubpacketType.PREFERRED_HASH,
        SubpacketType.PREFERRED_COMPRESSION,
        SubpacketType.KEY_SERVER_PREFERENCES,
        SubpacketType.PREFERRED_KEY_SERVER,
        SubpacketType.PRIMARY_USER_ID,
        SubpacketType.POLICY_URI,
        SubpacketType.KEY_FLAGS,
        SubpacketType.SIGNERS_USER_ID,
        SubpacketType.REASON_FOR_REVOCATION,
        SubpacketType.FEATURES,
        SubpacketType.SIGNATURE_TARGET,
        SubpacketType.EMBEDDED_SIGNATURE,
        SubpacketType.ISSUER_FINGERPRINT,
        SubpacketType.PREFERRED_AEAD,
        SubpacketType.INTENDED_RECIPIENT,
        SubpacketType.ATTESTED_CERTIFICATIONS,
        SubpacketType.PREFERRED_AEAD_CIPHERSUITES,
    }
)


class KeyFlag(IntFlag):
    """Key flags, first octet (section 5.2.3.29)."""

    CERTIFY = 0x01
    SIGN = 0x02
    ENCRYPT_COMMUNICATIONS = 0x04
    ENCRYPT_STORAGE = 0x08
    SPLIT = 0x10
    AUTHENTICATE = 0x20
    GROUP = 0x80


class RevocationReason(IntEnum):
    """Reasons for revocation (section 5.2.3.31)."""

    NO_REASON = 0
    SUPERSEDED = 1
    COMPROMISED = 2
    RETIRED = 3
    USER_ID_INVALID = 32


#: Reasons that revoke a key only from their creation on ("soft").
SOFT_REVOCATION_REASONS = frozenset(
    {RevocationReason.SUPERSEDED, RevocationReason.RETIRED, RevocationReason.USER_ID_INVALID}
)
#: Reasons that revoke a key for all time ("hard"); so does any reason not listed here.
HARD_REVOCATION_REASONS = frozenset({RevocationReason.NO_REASON, RevocationReason.COMPROMISED})


class SymmetricAlgorithm(IntEnum):
    """Symmetric-key algorithm ids (section 9.3)."""

    PLAINTEXT = 0
    AES128 = 7
    AES192 = 8
    AES256 = 9


class CompressionAlgorithm(IntEnum):
    """Compression algorithm ids (section 9.4)."""

    UNCOMPRESSED = 0
    ZIP = 1
    ZLIB = 2
    BZIP2 = 3


class Feature(IntFlag):
    """Features, first octet (section 5.2.3.32)."""

    SEIPD_V1 = 0x01
    SEIPD_V2 = 0x08


class Tag(IntEnum):
    """OpenPGP packet tags (RFC 9580 section 5) that pgpsig reads, writes or must frame."""

    PKESK = 1  # public-key encrypted session key
    SIGNATURE = 2
    SKESK = 3  # symmetric-key encrypted session key
    ONE_PASS = 4
    SECRET_KEY = 5
    PUBLIC_KEY = 6
    SECRET_SUBKEY = 7
    COMPRESSED = 8
    SYMMETRICALLY_ENCRYPTED = 9
    MARKER = 10
    LITERAL = 11
    TRUST = 12
    USER_ID = 13
    PUBLIC_SUBKEY = 14
    USER_ATTRIBUTE = 17
    SEIPD = 18  # symmetrically encrypted and integrity protected data
    AEAD_ENCRYPTED = 20  # reserved by RFC 9580 (drafts' AEAD encrypted data); still framed
    PADDING = 21
