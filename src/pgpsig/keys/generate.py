"""Making keys: one generator, v4 and v6, for ``pgpsig key generate`` and ``sop generate-key``.

This module owns :func:`parse_expiry` (gpg's expiry syntax to seconds) and :func:`generate_key`
(a new primary key, optional signing subkey, their self-signatures, the secret key and the
certificate) with its two profiles, :data:`PROFILES`. The steps of :func:`generate_key` are
numbered in its docstring and marked ``# (n)`` in the code. The packets are written by
:mod:`pgpsig.openpgp.write`, the signatures by :mod:`pgpsig.openpgp.signing`, the secret-key
packets (and their passphrase protection) by :mod:`pgpsig.openpgp.secretkey`.

Choices (also in the README, "Keys"):

* **Profiles.** ``v4`` (the default) makes an RFC 4880 key that gpg 2.2, Sequoia and PGPy read:
  Ed25519 keys use the EdDSA-legacy algorithm (22). ``v6`` makes an RFC 9580 key (SHA-256
  fingerprint, salted v6 signatures; Ed25519 is algorithm 27), which only RFC 9580
  implementations read (Sequoia 2, rPGP, OpenPGP.js 6; not gpg). RSA keys are 3072 or 4096 bits.
* **Keys and flags.** By default one primary key carries Certify and Sign (what FreePBX's developer
  keys do and the simplest thing to revoke); with ``signing_subkey`` the primary may only certify
  and a signing subkey is bound to it with a 0x18 binding holding the subkey's 0x19
  back-signature. There is never an encryption subkey (pgpsig does not encrypt).
* **Self-signatures.** Each user ID gets a positive certification (0x13) with the key flags, the
  key expiry, the preferences and, on the first, "primary user ID". A v6 key also gets a
  direct-key signature (0x1F) with the flags, expiry and preferences (RFC 9580 keeps a v6 key's
  metadata there), and so does a v4 key without user ID (the draft SOP allows none).
* **Preferences.** ``v4`` writes what gpg 2.2 writes, less its weak algorithms: ciphers
  AES-256/192/128, hashes SHA-512/384/256, compression ZLIB/BZIP2/ZIP, features SEIPDv1 (MDC)
  and the "no-modify" key-server preference; gpg is the main reader of v4 keys (FreePBX runs it).
  ``v6`` writes what RFC 9580's own v6 sample key (Appendix A.3) and Sequoia's key builder write:
  ciphers AES-256/128, hashes SHA-512/384/256 (the hashes pgpsig signs with; no SHA-3),
  compression "uncompressed" only, features SEIPDv1 and SEIPDv2; no key-server preferences (a
  GnuPG-era hint neither writes). Without an AEAD-ciphersuites subpacket a sender uses AES-128
  with OCB, the RFC's mandatory suite.
* **Protection.** A passphrase protects the secret key material the way gpg 2.2 does: S2K usage
  254 (SHA-1 check value), iterated and salted S2K with SHA-256 (33,554,432 octets), AES-256 in
  CFB mode (:func:`pgpsig.openpgp.secretkey.secret_key_packet_body`).
* **Checked.** The new certificate is judged by :mod:`pgpsig.engine` before anything is
  returned: pgpsig never makes a key it would refuse to accept.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from pgpsig._dataclass import dataclass, field
from pgpsig.engine.judge import Judge
from pgpsig.keys._common import _require_aware
from pgpsig.openpgp import armor
from pgpsig.openpgp.ids import (
    CompressionAlgorithm,
    Feature,
    HashAlgorithm,
    KeyFlag,
    SignatureType,
    SubpacketType,
    SymmetricAlgorithm,
    Tag,
)
from pgpsig.openpgp.packets import parse_certs, parse_public_key
from pgpsig.openpgp.secretkey import secret_key_packet_body
from pgpsig.openpgp.signing import signature_body, signature_packet
from pgpsig.openpgp.signingkey import PrivateKey, SigningKey, best_hash, make_signing_key
from pgpsig.openpgp.write import packet, subpacket, user_id_hash_input
from pgpsig.policy import Policy
from pgpsig.report import iso

__all__ = [
    "ALGORITHMS",
    "PROFILES",
    "GeneratedKey",
    "generate_key",
    "parse_expiry",
]


#: Key algorithms ``generate_key`` makes: name -> (family, bits).
ALGORITHMS: dict[str, tuple[str, int]] = {
    "ed25519": ("ed25519", 256),
    "rsa3072": ("rsa", 3072),
    "rsa4096": ("rsa", 4096),
}

_MAX_USER_ID = 4096


@dataclass(frozen=True, slots=True)
class _Profile:
    """What a profile fixes: the key version and the preference subpackets (see the docstring)."""

    version: int
    preferences: tuple[bytes, ...]


def _octets(*values: int) -> bytes:
    return bytes(values)


_PROFILES: dict[str, _Profile] = {
    "v4": _Profile(
        version=4,
        preferences=(
            subpacket(
                SubpacketType.PREFERRED_SYMMETRIC,
                _octets(
                    SymmetricAlgorithm.AES256, SymmetricAlgorithm.AES192, SymmetricAlgorithm.AES128
                ),
            ),
            subpacket(
                SubpacketType.PREFERRED_HASH,
                _octets(HashAlgorithm.SHA512, HashAlgorithm.SHA384, HashAlgorithm.SHA256),
            ),
            subpacket(
                SubpacketType.PREFERRED_COMPRESSION,
                _octets(
                    CompressionAlgorithm.ZLIB, CompressionAlgorithm.BZIP2, CompressionAlgorithm.ZIP
                ),
            ),
            subpacket(SubpacketType.FEATURES, _octets(Feature.SEIPD_V1)),
            subpacket(SubpacketType.KEY_SERVER_PREFERENCES, b"\x80"),  # no-modify
        ),
    ),
    "v6": _Profile(
        version=6,
        preferences=(
            subpacket(
                SubpacketType.PREFERRED_SYMMETRIC,
                _octets(SymmetricAlgorithm.AES256, SymmetricAlgorithm.AES128),
            ),
            subpacket(
                SubpacketType.PREFERRED_HASH,
                _octets(HashAlgorithm.SHA512, HashAlgorithm.SHA384, HashAlgorithm.SHA256),
            ),
            subpacket(
                SubpacketType.PREFERRED_COMPRESSION, _octets(CompressionAlgorithm.UNCOMPRESSED)
            ),
            subpacket(SubpacketType.FEATURES, _octets(Feature.SEIPD_V1 | Feature.SEIPD_V2)),
        ),
    ),
}
#: Key profiles ``generate_key`` makes (``v4``, the default, and ``v6``; see the docstring).
PROFILES: tuple[str, ...] = tuple(_PROFILES)


def parse_expiry(text: str, *, now: datetime) -> int | None:
    """Turn ``--expires`` into seconds after ``now`` (None: never expires).

    Accepted: ``never`` or ``0``; a number with a unit ``d`` (days), ``w`` (weeks), ``m`` (months
    of 30 days), ``y`` (years of 365 days); or an ISO 8601 date or time in the future
    (``2027-01-31``, ``2027-01-31T12:00:00Z``). A bare number (gpg reads days) is refused: ``5``
    is too easily meant as years.

    Args:
        text: The duration.
        now: The key's creation time (timezone-aware).

    Returns:
        Seconds from ``now``, or None for no expiry.

    Raises:
        ValueError: Not a duration, or a time not after ``now``, or beyond 2106 (v4 limit).
    """
    _require_aware(now)
    t = text.strip().lower()
    if t in ("never", "0", "none"):
        return None
    units = {"d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}
    seconds: int | None = None
    if t[-1:] in units and t[:-1].isdigit():
        seconds = int(t[:-1]) * units[t[-1]]
    elif t.isdigit():
        raise ValueError(f"expiry {text!r} needs a unit: {t}d, {t}w, {t}m or {t}y")
    else:
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"not a duration: {text!r} (use e.g. 2y, 6m, 3w, 90d, never, or a date)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = int((when - now).total_seconds())
    if seconds <= 0:
        raise ValueError(f"expiry {text!r} is not in the future")
    if seconds > 0xFFFFFFFF:
        raise ValueError(f"expiry {text!r} is too far in the future for a v4 key")
    return seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedKey:
    """A new key: its transferable secret key and public certificate.

    Attributes:
        fingerprint: The primary key's fingerprint.
        signing_fingerprint: The key that signs modules: the subkey, or the primary.
        user_ids: The user IDs, the primary one first (none is possible).
        algorithm: ``ed25519``, ``rsa3072`` or ``rsa4096``.
        profile: ``v4`` or ``v6``.
        created: The creation time of the keys and self-signatures.
        expires: When the key expires, or None.
        protected: Whether the secret key material is passphrase-protected.
        secret_packets: The transferable secret key, binary.
        certificate_packets: The certificate, binary.
    """

    fingerprint: str
    signing_fingerprint: str
    user_ids: tuple[str, ...]
    algorithm: str
    profile: str
    created: datetime
    expires: datetime | None
    protected: bool
    secret_packets: bytes = field(repr=False)
    certificate_packets: bytes = field(repr=False)

    @property
    def user_id(self) -> str:
        """The primary user ID ("" for a key without one)."""
        return self.user_ids[0] if self.user_ids else ""

    @property
    def secret_key(self) -> bytes:
        """The armored transferable secret key (``PGP PRIVATE KEY BLOCK``)."""
        return armor.encode("PGP PRIVATE KEY BLOCK", self.secret_packets, self._headers())

    @property
    def certificate(self) -> bytes:
        """The armored certificate (``PGP PUBLIC KEY BLOCK``)."""
        return armor.encode("PGP PUBLIC KEY BLOCK", self.certificate_packets, self._headers())

    def _headers(self) -> list[tuple[str, str]]:
        return [("Comment", self.fingerprint)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (no secret material)."""
        return {
            "fingerprint": self.fingerprint,
            "signing_key": self.signing_fingerprint,
            "user_id": self.user_id,
            "algorithm": self.algorithm,
            "profile": self.profile,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "protected": self.protected,
        }


def _check_user_id(user_id: str) -> bytes:
    if not user_id.strip():
        raise ValueError("the user ID is empty")
    if any(not ch.isprintable() for ch in user_id):
        raise ValueError("the user ID holds control characters (one line of text, please)")
    raw = user_id.encode("utf-8")
    if len(raw) > _MAX_USER_ID:
        raise ValueError(f"the user ID is longer than {_MAX_USER_ID} octets")
    return raw


def _new_private_key(algorithm: str) -> PrivateKey:
    family, bits = ALGORITHMS[algorithm]
    if family == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return ed25519.Ed25519PrivateKey.generate()


def generate_key(
    user_id: str | Sequence[str],
    *,
    now: datetime,
    algorithm: str = "ed25519",
    profile: str = "v4",
    expires_after: int | None = None,
    passphrase: bytes | None = None,
    signing_subkey: bool = False,
    private_keys: Sequence[PrivateKey] = (),
) -> GeneratedKey:
    """Make a new key and its certificate.

    Steps:

    1. Check the user IDs (each one line of UTF-8 text), the algorithm and the profile.
    2. Make the primary key (and the signing subkey), or take ``private_keys``.
    3. Self-sign: a direct-key signature (0x1F) for a v6 key or a key without user ID, and a
       positive certification (0x13) of each user ID, each with the key flags (Certify+Sign, or
       Certify with a subkey), expiry and the profile's preferences; the first user ID is the
       primary one.
    4. With a subkey: its 0x19 back-signature, embedded in the 0x18 binding by the primary.
    5. Check the new certificate with :mod:`pgpsig.engine`: pgpsig never makes a key it
       would refuse to accept.
    6. Write the secret key packets (protected when ``passphrase`` is given).

    Args:
        user_id: The user ID, e.g. ``"Jane Developer <jane@example.org>"``, or several (the first
            is the primary one), or none (an empty sequence).
        now: Creation time of keys and signatures (timezone-aware).
        algorithm: ``ed25519`` (default), ``rsa3072`` or ``rsa4096``.
        profile: ``v4`` (default, RFC 4880 keys every implementation reads) or ``v6`` (RFC 9580).
        expires_after: Key lifetime in seconds (see :func:`parse_expiry`); None for none.
        passphrase: Protect the secret key with it; None writes it unprotected.
        signing_subkey: Certify-only primary plus a signing subkey.
        private_keys: Use these keys (primary, then subkey) instead of fresh ones: for
            reproducible tests. Ed25519 keys are stored with algorithm 22 in a v4 key, 27 in a
            v6 key; RSA keys with 1.

    Returns:
        The new key.

    Raises:
        ValueError: A bad user ID, unknown algorithm or profile, naive ``now``, or an unusable
            expiry.
        CertificateError: The new certificate does not validate (a bug; nothing is returned).
    """
    # (1)
    _require_aware(now)
    names = [user_id] if isinstance(user_id, str) else list(user_id)
    uids = [_check_user_id(u) for u in names]
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r} (use {', '.join(ALGORITHMS)})")
    chosen = _PROFILES.get(profile)
    if chosen is None:
        raise ValueError(f"unknown profile {profile!r} (use {', '.join(PROFILES)})")
    if expires_after is not None and not 0 < expires_after <= 0xFFFFFFFF:
        raise ValueError("expires_after must be a positive number of seconds")
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    # (2)
    supplied = list(private_keys)
    primary_private = supplied[0] if supplied else _new_private_key(algorithm)
    primary = make_signing_key(primary_private, created=created, version=chosen.version)
    sub: SigningKey | None = None
    if signing_subkey:
        sub_private = supplied[1] if len(supplied) > 1 else _new_private_key(algorithm)
        sub = make_signing_key(
            sub_private,
            created=created,
            primary_fingerprint=primary.fingerprint,
            key_flags=KeyFlag.SIGN,
            version=chosen.version,
        )
    expiry = (
        [subpacket(SubpacketType.KEY_EXPIRATION_TIME, struct.pack(">I", expires_after))]
        if expires_after is not None
        else []
    )
    primary_pub = parse_public_key(primary.public_packet_body)[0]
    # (3)
    flags = KeyFlag.CERTIFY if sub is not None else KeyFlag.CERTIFY | KeyFlag.SIGN
    metadata = [subpacket(SubpacketType.KEY_FLAGS, bytes([flags])), *expiry, *chosen.preferences]

    def self_signature(sig_type: int, data: bytes, extra: Sequence[bytes] = ()) -> bytes:
        return signature_packet(
            primary,
            data,
            sig_type=sig_type,
            created=created,
            hash_name=best_hash(primary),
            extra_hashed_subpackets=[*metadata, *extra],
        )

    direct = b""
    if chosen.version == 6 or not uids:
        direct = self_signature(SignatureType.DIRECT_KEY, primary_pub.hash_prefix())
    primary_uid = [subpacket(SubpacketType.PRIMARY_USER_ID, b"\x01")]
    uid_part = b"".join(
        packet(Tag.USER_ID, uid)
        + self_signature(
            SignatureType.POSITIVE_CERTIFICATION,
            primary_pub.hash_prefix() + user_id_hash_input(uid),
            primary_uid if i == 0 else (),
        )
        for i, uid in enumerate(uids)
    )
    # (4)
    binding = b""
    signer = primary_pub
    if sub is not None:
        signer = parse_public_key(sub.public_packet_body, is_subkey=True)[0]
        pair = primary_pub.hash_prefix() + signer.hash_prefix()
        back = signature_body(
            sub,
            pair,
            sig_type=SignatureType.PRIMARY_KEY_BINDING,
            created=created,
            hash_name=best_hash(sub),
        )
        binding = signature_packet(
            primary,
            pair,
            sig_type=SignatureType.SUBKEY_BINDING,
            created=created,
            hash_name=best_hash(primary),
            extra_hashed_subpackets=[
                subpacket(SubpacketType.KEY_FLAGS, bytes([KeyFlag.SIGN])),
                *expiry,
                subpacket(SubpacketType.EMBEDDED_SIGNATURE, back),
            ],
        )
    public = packet(Tag.PUBLIC_KEY, primary.public_packet_body) + direct + uid_part
    if sub is not None:
        public += packet(Tag.PUBLIC_SUBKEY, sub.public_packet_body) + binding
    # (5)
    cert = parse_certs(public)[0]
    validator = Judge.alone(cert, Policy(), created)
    signer_in_cert = next(k for k, _ in cert.all_keys() if k.fingerprint == signer.fingerprint)
    validator.check_signing_key(signer_in_cert, created)
    validator.can_certify(created)
    # (6)
    secret = packet(Tag.SECRET_KEY, secret_key_packet_body(primary, passphrase)) + direct + uid_part
    if sub is not None:
        secret += packet(Tag.SECRET_SUBKEY, secret_key_packet_body(sub, passphrase)) + binding
    return GeneratedKey(
        fingerprint=primary.fingerprint,
        signing_fingerprint=signer.fingerprint,
        user_ids=tuple(names),
        algorithm=algorithm,
        profile=profile,
        created=created,
        expires=created + timedelta(seconds=expires_after) if expires_after else None,
        protected=passphrase is not None,
        secret_packets=secret,
        certificate_packets=public,
    )
