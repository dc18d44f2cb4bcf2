"""Making keys: ``pgpsig key generate`` and its ``--expires`` durations.

This module owns :func:`parse_expiry` (gpg's expiry syntax to seconds), :func:`generate_key` (a
new primary key, optional signing subkey, their self-signatures, the armored secret key and
certificate) and the passphrase protection of secret key material. The steps of
:func:`generate_key` are numbered in its docstring and marked ``# (n)`` in the code.

Choices (also in the README, "Keys"):

* **Generated keys** are v4. Ed25519 keys use the EdDSA-legacy algorithm (22), which gpg 2.2,
  Sequoia and PGPy read; RSA keys are 3072 or 4096 bits. By default one primary key carries
  Certify and Sign (what FreePBX's developer keys do and the simplest thing to revoke); with
  ``signing_subkey`` the primary may only certify and a signing subkey is bound to it with a
  0x18 binding holding the subkey's 0x19 back-signature. The user ID self-signature (0x13) carries
  key flags, optional key expiry, preferred hashes SHA-512/384/256, preferred ciphers
  AES-256/192/128, features (MDC), "no-modify" keyserver preferences and "primary user ID".
  A passphrase protects the secret key material the way gpg 2.2 does: S2K usage 254 (SHA-1
  checksum), iterated and salted S2K with SHA-256 (coded count 0xF0, 33,554,432 octets), AES-256
  in CFB mode.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pgpsig.engine.validity import Judge
from pgpsig.keys._common import (
    _BACK_SIGNATURE,
    _CERT_POSITIVE,
    _FLAG_CERTIFY,
    _FLAG_SIGN,
    _SP_EMBEDDED_SIGNATURE,
    _SP_FEATURES,
    _SP_KEY_EXPIRATION,
    _SP_KEY_FLAGS,
    _SP_KEYSERVER_PREFERENCES,
    _SP_PREFERRED_COMPRESSION,
    _SP_PREFERRED_HASH,
    _SP_PREFERRED_SYMMETRIC,
    _SP_PRIMARY_USER_ID,
    _SUBKEY_BINDING,
    _public_key,
    _require_aware,
)
from pgpsig.openpgp import armor
from pgpsig.openpgp.packets import Tag, packet_header, parse_certs
from pgpsig.openpgp.signing import (
    PrivateKey,
    SigningKey,
    best_hash,
    make_signing_key,
    secret_key_body,
    signature_body,
    signature_packet,
    subpacket,
)
from pgpsig.policy import Policy
from pgpsig.report import iso

__all__ = [
    "ALGORITHMS",
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

# Secret-key protection (RFC 9580 sections 3.7 and 5.5.3), as gpg 2.2 writes it.
_S2K_USAGE_SHA1 = 254
_S2K_ITERATED_SALTED = 3
_S2K_SHA256 = 8
_SYM_AES256 = 9
#: Coded S2K count: (16 + (c & 15)) << ((c >> 4) + 6) = 33,554,432 octets hashed (~0.1 s).
_S2K_CODED_COUNT = 0xF0

_MAX_USER_ID = 4096


def _packet(tag: int, body: bytes) -> bytes:
    return packet_header(tag, len(body)) + body


def parse_expiry(text: str, *, now: datetime) -> int | None:
    """Turn ``--expires`` into seconds after ``now`` (None: never expires).

    Accepted, as gpg accepts them: ``never`` or ``0``; a number of days (``90``); a number with a
    unit ``d`` (days), ``w`` (weeks), ``m`` (months of 30 days), ``y`` (years of 365 days); or an
    ISO 8601 date or time in the future (``2027-01-31``, ``2027-01-31T12:00:00Z``).

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
        seconds = int(t) * 86400
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
    """A new key: its transferable secret key and public certificate, both armored.

    Attributes:
        fingerprint: The primary key's fingerprint.
        signing_fingerprint: The key that signs modules: the subkey, or the primary.
        user_id: The user ID.
        algorithm: ``ed25519``, ``rsa3072`` or ``rsa4096``.
        created: The creation time of the keys and self-signatures.
        expires: When the key expires, or None.
        protected: Whether the secret key material is passphrase-protected.
        secret_key: The armored transferable secret key (``PGP PRIVATE KEY BLOCK``).
        certificate: The armored certificate (``PGP PUBLIC KEY BLOCK``).
    """

    fingerprint: str
    signing_fingerprint: str
    user_id: str
    algorithm: str
    created: datetime
    expires: datetime | None
    protected: bool
    secret_key: bytes = field(repr=False)
    certificate: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (no secret material)."""
        return {
            "fingerprint": self.fingerprint,
            "signing_key": self.signing_fingerprint,
            "user_id": self.user_id,
            "algorithm": self.algorithm,
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


def _s2k_iterated_sha256(passphrase: bytes, salt: bytes, coded: int) -> bytes:
    """Iterated and salted S2K with SHA-256 (RFC 9580 section 3.7.1.3): a 32-octet key."""
    count = (16 + (coded & 15)) << ((coded >> 4) + 6)
    unit = salt + passphrase
    count = max(count, len(unit))
    h = hashlib.sha256()
    block = unit * max(1, 65536 // len(unit))
    done = 0
    while done + len(block) <= count:
        h.update(block)
        done += len(block)
    rest = count - done
    full, part = divmod(rest, len(unit))
    h.update(unit * full + unit[:part])
    return h.digest()


def _cfb_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES in full-block CFB mode (the OpenPGP secret-key protection), built on the block cipher."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block at a time, as CFB is defined
    out = bytearray()
    previous = iv
    for i in range(0, len(data), 16):
        stream = encryptor.update(previous)
        block = bytes(a ^ b for a, b in zip(data[i : i + 16], stream, strict=False))
        out += block
        previous = block
    return bytes(out)


def _secret_packet_body(key: SigningKey, passphrase: bytes | None) -> bytes:
    """A v4 secret-key packet body, protected with ``passphrase`` when given."""
    plain = secret_key_body(key)
    public = key.public_packet_body
    if passphrase is None:
        return plain
    if not plain.startswith(public + b"\x00"):
        raise ValueError("unexpected secret key layout")
    secret = plain[len(public) + 1 : -2]  # the algorithm-specific MPIs, without the checksum
    salt = secrets.token_bytes(8)
    iv = secrets.token_bytes(16)
    session = _s2k_iterated_sha256(passphrase, salt, _S2K_CODED_COUNT)
    sealed = _cfb_encrypt(session, iv, secret + hashlib.sha1(secret).digest())  # noqa: S324 - the SHA-1 check value RFC 9580 prescribes for usage 254
    s2k = bytes([_S2K_ITERATED_SALTED, _S2K_SHA256]) + salt + bytes([_S2K_CODED_COUNT])
    return public + bytes([_S2K_USAGE_SHA1, _SYM_AES256]) + s2k + iv + sealed


def _preferences() -> list[bytes]:
    return [
        subpacket(_SP_PREFERRED_SYMMETRIC, bytes([9, 8, 7])),
        subpacket(_SP_PREFERRED_HASH, bytes([10, 9, 8])),
        subpacket(_SP_PREFERRED_COMPRESSION, bytes([2, 3, 1])),
        subpacket(_SP_FEATURES, b"\x01"),
        subpacket(_SP_KEYSERVER_PREFERENCES, b"\x80"),
    ]


def generate_key(
    user_id: str,
    *,
    now: datetime,
    algorithm: str = "ed25519",
    expires_after: int | None = None,
    passphrase: bytes | None = None,
    signing_subkey: bool = False,
    private_keys: Sequence[PrivateKey] = (),
) -> GeneratedKey:
    """Make a new key and its certificate.

    Steps:

    1. Check the user ID (one line of UTF-8 text) and the algorithm.
    2. Make the primary key (and the signing subkey), or take ``private_keys``.
    3. Self-sign the user ID (0x13): key flags (Certify+Sign, or Certify with a subkey), expiry,
       preferences, features, primary user ID.
    4. With a subkey: its 0x19 back-signature, embedded in the 0x18 binding by the primary.
    5. Check the new certificate with :mod:`pgpsig.engine.validity`: pgpsig never makes a key it would
       refuse to accept.
    6. Write the secret key packets (protected when ``passphrase`` is given) and armor both.

    Args:
        user_id: The user ID, e.g. ``"Jane Developer <jane@example.org>"``.
        now: Creation time of keys and signatures (timezone-aware).
        algorithm: ``ed25519`` (default), ``rsa3072`` or ``rsa4096``.
        expires_after: Key lifetime in seconds (see :func:`parse_expiry`); None for none.
        passphrase: Protect the secret key with it; None writes it unprotected.
        signing_subkey: Certify-only primary plus a signing subkey.
        private_keys: Use these keys (primary, then subkey) instead of fresh ones: for
            reproducible tests. Ed25519 keys are stored with algorithm 22, RSA with 1.

    Returns:
        The new key.

    Raises:
        ValueError: A bad user ID, unknown algorithm, naive ``now``, or an unusable expiry.
        CertificateError: The new certificate does not validate (a bug; nothing is returned).
    """
    # (1)
    _require_aware(now)
    uid = _check_user_id(user_id)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r} (use {', '.join(ALGORITHMS)})")
    if expires_after is not None and not 0 < expires_after <= 0xFFFFFFFF:
        raise ValueError("expires_after must be a positive number of seconds")
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    # (2)
    supplied = list(private_keys)
    primary_private = supplied[0] if supplied else _new_private_key(algorithm)
    primary = make_signing_key(primary_private, created=created)
    sub: SigningKey | None = None
    if signing_subkey:
        sub_private = supplied[1] if len(supplied) > 1 else _new_private_key(algorithm)
        sub = make_signing_key(
            sub_private,
            created=created,
            primary_fingerprint=primary.fingerprint,
            key_flags=_FLAG_SIGN,
        )
    expiry = (
        [subpacket(_SP_KEY_EXPIRATION, struct.pack(">I", expires_after))]
        if expires_after is not None
        else []
    )
    primary_pub = _public_key(primary)
    uid_prefix = primary_pub.hash_prefix() + b"\xb4" + struct.pack(">I", len(uid)) + uid
    # (3)
    flags = _FLAG_CERTIFY if sub is not None else _FLAG_CERTIFY | _FLAG_SIGN
    selfsig = signature_packet(
        primary,
        uid_prefix,
        sig_type=_CERT_POSITIVE,
        created=created,
        hash_name=best_hash(primary),
        extra_hashed_subpackets=[
            subpacket(_SP_KEY_FLAGS, bytes([flags])),
            *expiry,
            *_preferences(),
            subpacket(_SP_PRIMARY_USER_ID, b"\x01"),
        ],
    )
    # (4)
    sub_packets: list[tuple[bytes, bytes]] = []  # (subkey packet body, binding packet)
    if sub is not None:
        sub_pub = _public_key(sub, is_subkey=True)
        pair = primary_pub.hash_prefix() + sub_pub.hash_prefix()
        back = signature_body(
            sub, pair, sig_type=_BACK_SIGNATURE, created=created, hash_name=best_hash(sub)
        )
        binding = signature_packet(
            primary,
            pair,
            sig_type=_SUBKEY_BINDING,
            created=created,
            hash_name=best_hash(primary),
            extra_hashed_subpackets=[
                subpacket(_SP_KEY_FLAGS, bytes([_FLAG_SIGN])),
                *expiry,
                subpacket(_SP_EMBEDDED_SIGNATURE, back),
            ],
        )
        sub_packets.append((sub.public_packet_body, binding))
    public = (
        _packet(Tag.PUBLIC_KEY, primary.public_packet_body)
        + _packet(Tag.USER_ID, uid)
        + selfsig
        + b"".join(_packet(14, body) + binding for body, binding in sub_packets)
    )
    # (5)
    cert = parse_certs(public)[0]
    validator = Judge.alone(cert, Policy(), created)
    signer = sub_pub if sub is not None else primary_pub
    signer_in_cert = next(k for k, _ in cert.all_keys() if k.fingerprint == signer.fingerprint)
    validator.check_signing_key(signer_in_cert, created)
    validator.can_certify(created)
    # (6)
    secret = (
        _packet(Tag.SECRET_KEY, _secret_packet_body(primary, passphrase))
        + _packet(Tag.USER_ID, uid)
        + selfsig
    )
    if sub is not None:
        secret += _packet(Tag.SECRET_SUBKEY, _secret_packet_body(sub, passphrase))
        secret += sub_packets[0][1]
    comment = [("Comment", f"{primary.fingerprint}")]
    return GeneratedKey(
        fingerprint=primary.fingerprint,
        signing_fingerprint=signer.fingerprint,
        user_id=user_id,
        algorithm=algorithm,
        created=created,
        expires=created + timedelta(seconds=expires_after) if expires_after else None,
        protected=passphrase is not None,
        secret_key=armor.encode("PGP PRIVATE KEY BLOCK", secret, comment),
        certificate=armor.encode("PGP PUBLIC KEY BLOCK", public, comment),
    )
