"""Adapter to PGPy for OpenPGP secret keys: the only module of pgpsig that imports ``pgpy``.

``pgpy`` comes from the PyPI distribution PGPym, PGPy's maintained continuation (PGPy 0.6.0 cannot
run on Python 3.13, nor read Brainpool keys with ``cryptography`` 49 and newer).

This module owns one job: turn a transferable secret key (RFC 9580 section 10.2, v4, armored or
binary) into ``cryptography`` private-key objects, each with the raw body of its public-key packet.
PGPy parses the secret-key packets and decrypts protected key material (S2K); everything else
about the result is checked here without trusting PGPy:

* The packet framing is walked with a small reader of our own, so truncated or trailing data,
  certificates passed as secret keys, and files with several keys are refused (PGPy accepts
  truncated files and even random bytes).
* The public-key packet body is the *raw* bytes from the input, not PGPy's re-serialisation, and
  PGPy's view of each key must serialise to exactly those bytes; a key PGPy reads differently is
  refused instead of being signed with under a fingerprint nobody else computes.
* The private key must match the public key of its packet (PGPy does not check the plain-text
  checksum of unprotected keys, and a 16-bit checksum can miss a wrong passphrase).

Only keys of signing algorithms (RSA, DSA, ECDSA, EdDSA-legacy Ed25519) are converted; encryption
subkeys and GnuPG stubs (``--export-secret-subkeys``, smartcards) are skipped and never decrypted.
Self-signatures are *not* verified here: a secret key is the user's own input, and its key flags
are returned only as an unverified hint for choosing a signing key. Signing is not done here
either: see :mod:`pgpsig.openpgp.signing`.

PGPy is imported lazily so ``import pgpsig`` stays cheap, and its known warnings
(``cryptography``'s deprecations of the legacy ciphers and the CFB mode PGPy uses) are silenced by
category, as raised from PGPy's modules, in a narrow :func:`warnings.catch_warnings` block (which, like every
use of :mod:`warnings`, is process-global: load keys before starting threads). Every PGPy
exception becomes a :mod:`pgpsig.errors` type.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Any, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import InputError, PacketError, UnsupportedError
from pgpsig.openpgp import _dsa, armor, packets
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pgpsig.openpgp.packets import PublicKey

__all__ = [
    "PassphraseError",
    "PrivateKey",
    "SecretKey",
    "load_secret_keys",
]

PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey | _dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
)
"""The ``cryptography`` private keys pgpsig can sign with."""

# Public-key algorithms whose keys can make signatures and that PGPy can read (RFC 9580 9.1).
_SIGNING_ALGORITHMS = frozenset({Alg.RSA, Alg.RSA_SIGN_ONLY, Alg.DSA, Alg.ECDSA, Alg.EDDSA_LEGACY})
# The only EdDSA-legacy curve PGPy implements: Ed25519 (OID 1.3.6.1.4.1.11591.15.1).
_ED25519_LEGACY_OID = bytes.fromhex("2b06010401da470f01")
# S2K usages of protected key material, and GnuPG's S2K extension (a stub without secret, or a
# key on a smartcard).
_S2K_PROTECTED = (254, 255)
_S2K_GNU_EXTENSION = 101

_ARMOR_LABEL = "PGP PRIVATE KEY BLOCK"

# Warnings PGPy (PGPym 0.6.2) is known to cause: ``cryptography``'s deprecation notices for the
# legacy ciphers and the CFB mode (which decrypts every protected v4 secret key) that PGPy names by
# their old paths. Their text changes from one ``cryptography`` release to the next ("IDEA has been
# deprecated" in 42, "CFB has been moved to ... decrepit" in 48 to 50), so the filter is this
# category as attributed to PGPy's own modules (any such deprecation PGPy's key loading causes:
# pgpsig's own calls are attributed to pgpsig and stay visible). If a release removes those
# paths, protected keys fail with UnsupportedError (never silently), and CI, which installs the
# newest cryptography, goes red.
_PGPY_MODULES = r"pgpy(\.|$)"


class PassphraseError(InputError):
    """A protected secret key without a passphrase, or with a wrong one."""


@dataclass(frozen=True, slots=True)
class SecretKey:
    """One usable secret key (the primary or a subkey) of a transferable secret key.

    Attributes:
        public: The public part of the key packet as read from the input (its ``body`` is the raw
            public-key packet body, version octet first: the bytes a v4 fingerprint hashes).
        private_key: The unlocked private key; it matches ``public``.
        is_primary: True for the primary key, False for a subkey.
        primary_fingerprint: The primary key's fingerprint (also when only a stub of it is
            present).
        key_flags: The first octet of the key-flags subpacket of the key's self-signature or
            binding signature as PGPy sees it (0x01 certify, 0x02 sign), or None when there is
            none. *Unverified*: a hint for choosing a signing key, never a basis for trust.
    """

    public: PublicKey
    private_key: PrivateKey = field(repr=False)
    is_primary: bool
    primary_fingerprint: str
    key_flags: int | None


def load_secret_keys(data: bytes, passphrase: bytes | None = None) -> tuple[SecretKey, ...]:
    """Load and unlock the signing-capable secret keys of one transferable secret key.

    Args:
        data: One v4 transferable secret key, ASCII-armored (``PGP PRIVATE KEY BLOCK``) or binary.
        passphrase: The passphrase of protected key material. Keys that are not protected ignore
            it. Every protected key is unlocked with this one passphrase.

    Returns:
        The primary key (unless it is a GnuPG stub without secret) followed by each secret signing
        subkey, in the order of the input.

    Raises:
        ArmorError: The armor is malformed.
        PacketError: The data is not a well-formed transferable secret key, or PGPy cannot read it
            faithfully.
        LimitError: A packet larger than the limits of :mod:`pgpsig.openpgp.packets`.
        UnsupportedError: A key version, algorithm or key protection that pgpsig (or PGPy) does
            not implement.
        InputError: The data holds a certificate or several keys, or no usable secret signing key.
        PassphraseError: A protected key and no passphrase, or a wrong passphrase.
    """
    binary = _dearmor(data)
    keys = _public_keys(binary)
    loaded: list[SecretKey] = []
    with _quiet_pgpy():
        pgpy = _import_pgpy()
        try:
            parsed = pgpy.PGPKey.from_blob(binary)
        except Exception as exc:
            raise PacketError(f"PGPy cannot parse the secret key: {exc}") from exc
        by_body = _pgpy_keys_by_public_body(parsed[0] if isinstance(parsed, tuple) else parsed)
        for key in keys:
            if key.algorithm not in _SIGNING_ALGORITHMS:
                continue  # an encryption key: never decrypted
            pgpy_key = by_body.get(key.body)
            if pgpy_key is None:
                raise PacketError(f"PGPy reads key {key.fingerprint} differently from its packet")
            secret = _unlock(pgpy_key, key, passphrase, primary=keys[0])
            if secret is not None:
                loaded.append(secret)
    if not loaded:
        raise InputError("no usable secret signing key (only stubs or encryption keys)")
    return tuple(loaded)


def _import_pgpy() -> Any:
    """Import PGPy on first use (its import is slow and noisy)."""
    import pgpy  # noqa: PLC0415 - lazy on purpose, so that ``import pgpsig`` stays cheap

    return pgpy


@contextlib.contextmanager
def _quiet_pgpy() -> Iterator[None]:
    """Silence PGPy's known, harmless warnings, and nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=CryptographyDeprecationWarning, module=_PGPY_MODULES
        )
        yield


def _dearmor(data: bytes) -> bytes:
    """The binary packets of an armored or binary secret key."""
    if not armor.is_armored(data):
        return bytes(data)
    block = armor.decode(data)
    if block.label == "PGP PUBLIC KEY BLOCK":
        raise InputError("this is a certificate (public key), not a secret key")
    if block.label != _ARMOR_LABEL:
        raise PacketError(f"expected a {_ARMOR_LABEL}, found a {block.label}")
    return bytes(block.data)


def _public_keys(binary: bytes) -> list[PublicKey]:
    """Public parts of the secret key and secret subkey packets, primary first, as read."""
    keys: list[PublicKey] = []
    for packet in packets.iter_packets(binary):
        tag = packet.tag
        if not keys:
            if tag in (packets.Tag.MARKER, packets.Tag.PADDING):
                continue
            if tag == packets.Tag.PUBLIC_KEY:
                raise InputError("this is a certificate (public key), not a secret key")
            if tag != packets.Tag.SECRET_KEY:
                raise PacketError(f"a secret key starts with a secret-key packet, not tag {tag}")
        elif tag in (packets.Tag.SECRET_KEY, packets.Tag.PUBLIC_KEY):
            raise InputError("the data holds more than one key; give one secret key")
        elif tag not in packets.SECRET_KEY_TAGS:
            raise PacketError(f"unexpected packet (tag {tag}) in a secret key")
        if tag in (packets.Tag.SECRET_KEY, packets.Tag.SECRET_SUBKEY):
            if packet.body[:1] != b"\x04":
                version = packet.body[0] if packet.body else "?"
                raise UnsupportedError(f"v{version} secret keys are not supported (only v4)")
            key, _ = packets.parse_public_key(
                packet.body, is_subkey=tag == packets.Tag.SECRET_SUBKEY
            )
            keys.append(key)
    if not keys:
        raise PacketError("no secret-key packet found")
    return keys


def _pgpy_keys_by_public_body(primary: Any) -> dict[bytes, Any]:
    """PGPy's keys (primary and subkeys), keyed by PGPy's serialisation of the public part."""
    if getattr(primary, "_key", None) is None or getattr(primary, "is_public", True):
        raise PacketError("PGPy found no secret key in the data")
    keys: dict[bytes, Any] = {}
    for key in (primary, *primary.subkeys.values()):
        try:
            packet = key._key  # PGPy offers no public access to key material
            material = packet.keymaterial
            created = int(packet.created.timestamp())
            head = bytes([4]) + created.to_bytes(4, "big") + bytes([int(packet.pkalg)])
            keys[head + bytes(material.__bytearray__()[: material.publen()])] = key
        except Exception as exc:
            raise PacketError(f"PGPy cannot read a key packet: {exc}") from exc
    return keys


def _unlock(
    key: Any, public: PublicKey, passphrase: bytes | None, *, primary: PublicKey
) -> SecretKey | None:
    """Decrypt one PGPy key's secret material; None for a GnuPG stub without secret."""
    name = public.fingerprint
    material = key._key.keymaterial  # PGPy offers no public access to key material
    usage, specifier = int(material.s2k.usage), int(material.s2k.specifier)
    if usage in _S2K_PROTECTED and specifier == _S2K_GNU_EXTENSION:
        return None
    if public.algorithm == Alg.EDDSA_LEGACY and public.params[0] != _ED25519_LEGACY_OID:
        raise UnsupportedError(f"key {name}: EdDSA-legacy is supported with Ed25519 only")
    protected = usage != 0
    try:
        if protected:
            if passphrase is None:
                raise PassphraseError(f"key {name} is protected; a passphrase is needed")
            _decrypt(key, passphrase, name)
        private = material.__privkey__()
        expected = material.__pubkey__()
    except (PassphraseError, UnsupportedError):
        raise
    except Exception as exc:
        if protected:
            raise PassphraseError(f"key {name}: wrong passphrase or corrupt key ({exc})") from exc
        raise PacketError(f"key {name}: PGPy cannot read the secret key material: {exc}") from exc
    finally:
        if protected:
            with contextlib.suppress(Exception):
                material.clear()  # PGPy's copy of the decrypted material
    if not isinstance(private, PrivateKey):
        raise UnsupportedError(f"key {name}: {type(private).__name__} cannot sign")
    if _spki(private.public_key()) != _spki(expected):
        if protected:
            raise PassphraseError(f"key {name}: wrong passphrase or corrupt key")
        raise PacketError(f"key {name}: the secret key does not match its public key")
    return SecretKey(
        public=public,
        private_key=private,
        is_primary=public is primary,
        primary_fingerprint=primary.fingerprint,
        key_flags=_key_flags(key),
    )


def _decrypt(key: Any, passphrase: bytes, name: str) -> None:
    """Decrypt a protected key in place, translating PGPy's errors."""
    pgpy = _import_pgpy()
    try:
        key._key.unprotect(passphrase)  # PGPKey.unlock() cannot skip stubs
    except pgpy.errors.PGPDecryptionError as exc:
        raise PassphraseError(f"wrong passphrase for key {name}") from exc
    except (NotImplementedError, AttributeError, KeyError, ValueError, TypeError) as exc:
        # Unknown S2K types (Argon2), AEAD protection (usage 253), or ciphers PGPy (or this
        # version of ``cryptography``) lacks.
        raise UnsupportedError(
            f"key {name}: PGPy cannot decrypt this protection ({exc!r})"
        ) from exc


def _spki(public: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a ``cryptography`` public key, for comparing keys."""
    try:
        return bytes(
            public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    except Exception as exc:
        raise PacketError(f"unusable public key: {exc}") from exc


def _key_flags(key: Any) -> int | None:
    """PGPy's (unverified) key flags of a key, or None when it finds none."""
    try:
        flags = key._get_key_flags()  # the only accessor PGPy has
        value = 0
        for flag in flags or ():
            value |= int(flag)
    except Exception:  # noqa: BLE001 - a missing hint is not an error
        return None
    return (value & 0xFF) or None
