"""Key lifecycle: the use cases behind ``pgpsig key ...``, without gpg.

This module owns what a person does with keys: make one, publish its certificate, certify a
developer's key with a master key, revoke a key or a certification, import certificates into the
store, list them with their validity, and refresh them from a keyserver or a Web Key Directory.
Each use case is one function, its steps numbered in its docstring and marked ``# (n)`` in the
code. The packet primitives are in :mod:`pgpsig.signing` and :mod:`pgpsig.packets`, the judgement
of validity in :mod:`pgpsig.validity`, the files in :mod:`pgpsig.store`. Nothing here reads the
clock or the environment (times, passphrases and the network clock are arguments) or prints.

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
* **Import** keeps only what verifies: self-signatures (0x10-0x13, 0x1F), subkey bindings (0x18)
  and revocations (0x20, 0x28, 0x30 by the key itself) must verify with the primary key; a user
  ID without a valid self-signature and a subkey without a valid binding are dropped; a
  certificate with no valid self-signature at all is refused. Third-party certifications (and
  their 0x30 revocations) are kept when their issuer's certificate is unknown, because they can
  only be judged later (by :mod:`pgpsig.trust`, at use), and are dropped when the issuer is known
  and they do not verify. Key revocations by a designated revoker follow the same rule. Signature
  *policy* (SHA-1 cutoffs, key sizes) is not applied when storing: it is applied when a
  certificate is judged, so a stricter or looser ``--policy`` later sees every claim.
  Nothing is duplicated: two copies of one signature differing only in unhashed subpackets are
  one signature. A bare revocation signature (what ``pgpsig key revoke`` and ``gpg --gen-revoke``
  write) joins the certificate it verifies against.
* **Certify** makes one 0x10 (generic) certification by the master's primary key over every
  user ID of the certificate that is bound and not revoked, as FreePBX's masters do; a trust
  signature subpacket (FreePBX's masters write depth 1, amount 60) is added only when asked, as
  pgpsig's trust model needs none. **Revoke-certification** makes the master's 0x30 over each user
  ID the master certified.
* **Refresh** only updates certificates already in the store (it never adds one), talks HTTP(S)
  with ``urllib`` and a short timeout, gives up on a server after its first timeout or connection
  failure (the remaining keys are reported as skipped, so a dead server costs one timeout, not one
  per key), and is never called by ``check`` or ``verify``.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pgpsig import armor
from pgpsig.errors import (
    CertificateError,
    FormatError,
    InputError,
    KeyringError,
    LimitError,
    PacketError,
    PolicyError,
)
from pgpsig.keyring import Keyring, cert_to_bytes, merge_cert, read_certs, signature_identity
from pgpsig.packets import (
    MAX_PACKETS_PER_CERT,
    Cert,
    Component,
    PublicKey,
    Signature,
    iter_packets,
    packet_header,
    parse_certs,
    parse_public_key,
)
from pgpsig.packets import parse_signature as _parse_signature
from pgpsig.policy import Policy, SignatureKind
from pgpsig.report import iso
from pgpsig.signing import (
    PrivateKey,
    SigningKey,
    best_hash,
    load_signing_keys,
    make_signing_key,
    secret_key_body,
    signature_body,
    signature_packet,
    subpacket,
)
from pgpsig.store import Store, normalize_fingerprint
from pgpsig.validity import (
    CertValidator,
    KeyExpiredError,
    KeyRevokedError,
    RevocationInfo,
)

__all__ = [
    "ALGORITHMS",
    "REVOCATION_REASONS",
    "CertificationInfo",
    "CertifyResult",
    "ExportResult",
    "Fetcher",
    "GeneratedKey",
    "HTTPFetcher",
    "ImportItem",
    "ImportReport",
    "KeyInfo",
    "KeyMaterial",
    "NetworkError",
    "RefreshItem",
    "RefreshReport",
    "RevocationResult",
    "SubkeyInfo",
    "TrustRootInfo",
    "add_trust_root",
    "certify",
    "clean_cert",
    "export_certificate",
    "generate_key",
    "import_keys",
    "list_keys",
    "list_trust_roots",
    "parse_expiry",
    "read_key_material",
    "refresh",
    "remove_trust_root",
    "revoke_certification",
    "revoke_key",
    "wkd_hash",
]

#: Key algorithms ``generate_key`` makes: name -> (family, bits).
ALGORITHMS: dict[str, tuple[str, int]] = {
    "ed25519": ("ed25519", 256),
    "rsa3072": ("rsa", 3072),
    "rsa4096": ("rsa", 4096),
}
#: Revocation reasons by name -> code (RFC 9580 section 5.2.3.31).
REVOCATION_REASONS: dict[str, int] = {
    "unspecified": 0,
    "superseded": 1,
    "compromised": 2,
    "retired": 3,
    "uid-invalid": 32,
}

# Signature types (RFC 9580 section 5.2.1).
_CERT_GENERIC = 0x10
_CERT_POSITIVE = 0x13
_SUBKEY_BINDING = 0x18
_BACK_SIGNATURE = 0x19
_DIRECT_KEY = 0x1F
_KEY_REVOCATION = 0x20
_SUBKEY_REVOCATION = 0x28
_CERT_REVOCATION = 0x30
_CERTIFICATIONS = range(0x10, 0x14)
_PRIMARY_ONLY = frozenset({_DIRECT_KEY, _KEY_REVOCATION})  # hashed over the primary key alone

# Key flags (RFC 9580 section 5.2.3.29), first octet.
_FLAG_CERTIFY = 0x01
_FLAG_SIGN = 0x02
_FLAG_NAMES = (
    (0x01, "certify"),
    (0x02, "sign"),
    (0x04, "encrypt-communications"),
    (0x08, "encrypt-storage"),
    (0x20, "authenticate"),
)

# Subpacket types written here (RFC 9580 section 5.2.3.7).
_SP_TRUST = 5
_SP_KEY_EXPIRATION = 9
_SP_PREFERRED_SYMMETRIC = 11
_SP_PREFERRED_HASH = 21
_SP_PREFERRED_COMPRESSION = 22
_SP_KEYSERVER_PREFERENCES = 23
_SP_PRIMARY_USER_ID = 25
_SP_KEY_FLAGS = 27
_SP_REVOCATION_REASON = 29
_SP_FEATURES = 30
_SP_EMBEDDED_SIGNATURE = 32

# Secret-key protection (RFC 9580 sections 3.7 and 5.5.3), as gpg 2.2 writes it.
_S2K_USAGE_SHA1 = 254
_S2K_ITERATED_SALTED = 3
_S2K_SHA256 = 8
_SYM_AES256 = 9
#: Coded S2K count: (16 + (c & 15)) << ((c >> 4) + 6) = 33,554,432 octets hashed (~0.1 s).
_S2K_CODED_COUNT = 0xF0

_TAG_SECRET_KEY = 5
_TAG_SIGNATURE = 2
_TAG_PUBLIC_KEY = 6
_TAG_SECRET_SUBKEY = 7
_TAG_USER_ID = 13
_TAGS_SKIPPED_BEFORE_KEY = frozenset({10, 12, 21})  # marker, trust, padding
_TAGS_KEY = frozenset({_TAG_SECRET_KEY, _TAG_PUBLIC_KEY})

_ARMOR_LABELS = frozenset({"PGP PUBLIC KEY BLOCK", "PGP PRIVATE KEY BLOCK", "PGP SIGNATURE"})
_MAX_USER_ID = 4096
#: Largest response refresh reads from a server.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def _packet(tag: int, body: bytes) -> bytes:
    return packet_header(tag, len(body)) + body


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _flag_names(flags: int | None) -> tuple[str, ...]:
    if flags is None:
        return ()
    return tuple(name for bit, name in _FLAG_NAMES if flags & bit)


def _first_user_id(cert: Cert) -> str | None:
    return cert.uids[0].uid if cert.uids else None


# --------------------------------------------------------------------------------------------------
# Expiry durations


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


# --------------------------------------------------------------------------------------------------
# Generate


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
    5. Check the new certificate with :mod:`pgpsig.validity`: pgpsig never makes a key it would
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
        _packet(_TAG_PUBLIC_KEY, primary.public_packet_body)
        + _packet(_TAG_USER_ID, uid)
        + selfsig
        + b"".join(_packet(14, body) + binding for body, binding in sub_packets)
    )
    # (5)
    cert = parse_certs(public)[0]
    validator = CertValidator(cert, Policy())
    signer = sub_pub if sub is not None else primary_pub
    signer_in_cert = next(k for k, _ in cert.all_keys() if k.fingerprint == signer.fingerprint)
    validator.check_signing_key(signer_in_cert, created)
    validator.can_certify(created)
    # (6)
    secret = (
        _packet(_TAG_SECRET_KEY, _secret_packet_body(primary, passphrase))
        + _packet(_TAG_USER_ID, uid)
        + selfsig
    )
    if sub is not None:
        secret += _packet(_TAG_SECRET_SUBKEY, _secret_packet_body(sub, passphrase))
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


def _public_key(key: SigningKey, *, is_subkey: bool = False) -> PublicKey:
    return parse_public_key(key.public_packet_body, is_subkey=is_subkey)[0]


# --------------------------------------------------------------------------------------------------
# Reading key material: certificates and bare signatures


@dataclass(slots=True)
class KeyMaterial:
    """What a key file holds: certificates and bare signatures (revocation certificates)."""

    certs: list[Cert] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    had_secret: bool = False


def _split(binary: bytes, into: KeyMaterial) -> None:
    """Leading signature packets are bare signatures; the rest are certificates."""
    for p in iter_packets(binary):
        if p.tag in _TAGS_KEY:
            certs = parse_certs(binary[p.offset :])
            into.certs.extend(certs)
            into.had_secret = into.had_secret or any(c.had_secret for c in certs)
            return
        if p.tag == _TAG_SIGNATURE:
            into.signatures.append(_parse_signature(p.body))
        elif p.tag not in _TAGS_SKIPPED_BEFORE_KEY:
            raise PacketError(f"unexpected packet (tag {p.tag}) where a key or signature belongs")


def read_key_material(data: bytes, *, source: str = "<data>") -> KeyMaterial:
    """Parse certificates and bare signatures from armored or binary data.

    Armored input may hold several blocks (``PGP PUBLIC KEY BLOCK``, ``PGP PRIVATE KEY BLOCK`` or
    ``PGP SIGNATURE``); other blocks are ignored. A block or binary stream may start with bare
    signature packets (a revocation certificate) followed by certificates.

    Args:
        data: The file's content.
        source: A name for messages.

    Returns:
        The certificates (public parts only) and bare signatures.

    Raises:
        FormatError: Malformed armor or packets, or nothing usable at all.
    """
    out = KeyMaterial()
    try:
        if armor.is_armored(data):
            for block in armor.decode_all(data):
                if block.label in _ARMOR_LABELS:
                    _split(bytes(block.data), out)
        else:
            _split(data, out)
    except FormatError as e:
        raise type(e)(f"{source}: {e}") from e
    if not out.certs and not out.signatures:
        raise FormatError(f"{source}: no certificate or signature found")
    return out


# --------------------------------------------------------------------------------------------------
# Validation before storing


class _Index:
    """Certificates by primary fingerprint and key ID, to find the issuer of a certification."""

    def __init__(self, certs: Iterable[Cert] = ()) -> None:
        self.by_fpr: dict[str, Cert] = {}
        self.by_kid: dict[str, list[Cert]] = {}
        for c in certs:
            self.put(c)

    def put(self, cert: Cert) -> None:
        old = self.by_fpr.get(cert.fingerprint)
        self.by_fpr[cert.fingerprint] = cert
        kids = self.by_kid.setdefault(cert.primary.key_id, [])
        if old is not None and old in kids:
            kids.remove(old)
        kids.append(cert)

    def get(self, fpr: str) -> Cert | None:
        return self.by_fpr.get(fpr.upper())

    def issuers(self, sig: Signature) -> list[Cert]:
        """Certificates whose primary key may have made ``sig`` (fingerprints first)."""
        if sig.issuer_fingerprints:
            return [c for f in sig.issuer_fingerprints if (c := self.by_fpr.get(f)) is not None]
        out: list[Cert] = []
        for kid in sig.issuer_key_ids:
            out.extend(self.by_kid.get(kid, []))
        return out


def _names(sig: Signature, key: PublicKey) -> bool:
    """Whether ``sig``'s issuer hints name ``key`` (no hints at all: maybe)."""
    if sig.issuer_fingerprints:
        return key.fingerprint in sig.issuer_fingerprints
    return not sig.issuer_key_ids or key.key_id in sig.issuer_key_ids


def _third_party_ok(
    v: CertValidator, sig: Signature, prefix: bytes, index: _Index
) -> tuple[bool, str | None]:
    """A signature by another key: (keep, note). Unknown issuer: kept, to be judged at use."""
    if not sig.issuer_fingerprints and not sig.issuer_key_ids:
        return False, "a signature without issuer was dropped"
    issuers = [c for c in index.issuers(sig) if c.fingerprint != v.cert.fingerprint]
    if not issuers:
        return True, None
    if any(v.verify_over(sig, c.primary, prefix) for c in issuers):
        return True, None
    return False, f"a signature by {issuers[0].fingerprint} that does not verify was dropped"


def clean_cert(
    cert: Cert, lookup: Callable[[str], Cert | None] | None = None
) -> tuple[Cert | None, list[str]]:
    """The part of ``cert`` that may be stored (module docstring, "Import"), and what was dropped.

    Args:
        cert: A parsed certificate (possibly merged from several copies).
        lookup: Finds other certificates by primary fingerprint (issuers of third-party
            certifications, designated revokers); None knows none.

    Returns:
        ``(cleaned, notes)``: a new certificate holding only signatures that verify (or cannot be
        judged yet), or None when no self-signature verifies; and one note per dropped item.
    """
    index = _LookupIndex(lookup)
    return _clean(cert, index)


class _LookupIndex(_Index):
    """An index backed by a lookup function (fingerprints only)."""

    def __init__(self, lookup: Callable[[str], Cert | None] | None) -> None:
        super().__init__()
        self._lookup = lookup

    def issuers(self, sig: Signature) -> list[Cert]:
        if self._lookup is None:
            return []
        return [c for f in sig.issuer_fingerprints if (c := self._lookup(f)) is not None]

    def get(self, fpr: str) -> Cert | None:
        return self._lookup(fpr) if self._lookup is not None else None


def _clean(cert: Cert, index: _Index) -> tuple[Cert | None, list[str]]:
    p = cert.primary
    v = CertValidator(cert, Policy(), index.get)
    notes: list[str] = []
    out = Cert(primary=p, had_secret=cert.had_secret)
    self_ok = False
    revokers: set[str] = set()

    def usable(sig: Signature) -> bool:
        return sig.created is not None and sig.created_count == 1

    # Signatures over the primary key alone (direct-key 0x1F, key revocation 0x20) found after a
    # user ID or subkey are misplaced; they verify wherever they are, so they are moved to the
    # primary key (as gpg does) rather than lost.
    direct = list(cert.direct)
    for comp in (*cert.uids, *cert.uats, *cert.subkeys):
        direct.extend(s for s in comp.signatures if s.sig_type in _PRIMARY_ONLY)
    # Direct-key self-signatures first (they may name designated revokers).
    for sig in direct:
        if (
            sig.sig_type == _DIRECT_KEY
            and usable(sig)
            and _names(sig, p)
            and v.verify_over(sig, p, p.hash_prefix())
        ):
            out.direct.append(sig)
            self_ok = True
            revokers.update(sig.revocation_keys)
            continue
        if sig.sig_type != _KEY_REVOCATION:
            if sig.sig_type != _DIRECT_KEY or not _names(sig, p):
                notes.append(
                    f"a type 0x{sig.sig_type:02X} signature on the primary key was dropped"
                )
            else:
                notes.append("a direct-key self-signature that does not verify was dropped")
    # User IDs and attributes.
    for comps, target in ((cert.uids, out.uids), (cert.uats, out.uats)):
        for comp in comps:
            prefix = p.hash_prefix() + comp.hash_prefix()
            kept: list[Signature] = []
            bound = False
            for sig in comp.signatures:
                if sig.sig_type in _PRIMARY_ONLY:
                    continue  # moved to the primary key above
                if not usable(sig) or not (
                    sig.sig_type in _CERTIFICATIONS or sig.sig_type == _CERT_REVOCATION
                ):
                    notes.append(f"a type 0x{sig.sig_type:02X} signature on a user ID was dropped")
                    continue
                if _names(sig, p):  # a self-signature (or no issuer at all): it must verify
                    if v.verify_over(sig, p, prefix):
                        kept.append(sig)
                        if sig.sig_type != _CERT_REVOCATION:
                            bound = True
                            revokers.update(sig.revocation_keys)
                    else:
                        notes.append(f"a self-signature on user ID {comp.uid!r} does not verify")
                    continue
                keep, note = _third_party_ok(v, sig, prefix, index)
                if keep:
                    kept.append(sig)
                elif note:
                    notes.append(note)
            if bound:
                target.append(Component(comp.kind, comp.value, signatures=kept))
                self_ok = True
            else:
                what = f"user ID {comp.uid!r}" if comp.kind == "uid" else "a user attribute"
                notes.append(f"{what} has no valid self-signature and was dropped")
    # Key revocations: by the key itself, or by a designated revoker.
    for sig in direct:
        if sig.sig_type != _KEY_REVOCATION:
            continue
        if not usable(sig):
            notes.append("a key revocation without a creation time was dropped")
            continue
        if _names(sig, p) and v.verify_over(sig, p, p.hash_prefix()):
            out.direct.append(sig)
            self_ok = True
            continue
        named = [f for f in sig.issuer_fingerprints if f in revokers]
        if named:
            other = index.get(named[0])
            if other is None or v.verify_over(sig, other.primary, p.hash_prefix()):
                out.direct.append(sig)
                continue
        notes.append(f"a key revocation by {sig.issuer_hint} that does not verify was dropped")
    # Subkeys.
    for comp in cert.subkeys:
        assert comp.key is not None
        prefix = p.hash_prefix() + comp.key.hash_prefix()
        kept = []
        bound = False
        for sig in comp.signatures:
            if sig.sig_type in _PRIMARY_ONLY:
                continue  # moved to the primary key above
            ok = (
                sig.sig_type in (_SUBKEY_BINDING, _SUBKEY_REVOCATION)
                and usable(sig)
                and _names(sig, p)
                and v.verify_over(sig, p, prefix)
            )
            if ok:
                kept.append(sig)
                bound = bound or sig.sig_type == _SUBKEY_BINDING
            else:
                notes.append(
                    f"a type 0x{sig.sig_type:02X} signature on subkey {comp.key.fingerprint} "
                    "that does not verify was dropped"
                )
        if bound:
            out.subkeys.append(Component("subkey", comp.value, key=comp.key, signatures=kept))
        else:
            notes.append(f"subkey {comp.key.fingerprint} has no valid binding and was dropped")
    if not self_ok:
        return None, [*notes, f"{p.fingerprint} has no valid self-signature"]
    packets = (
        1
        + len(out.direct)
        + sum(1 + len(c.signatures) for c in (*out.uids, *out.uats, *out.subkeys))
    )
    if packets > MAX_PACKETS_PER_CERT:
        # Stored, it could not be read back (certificate flooding): refuse the whole merge.
        return None, [
            *notes,
            f"{p.fingerprint} would hold {packets} packets, more than the "
            f"{MAX_PACKETS_PER_CERT} a certificate may have (flooded?)",
        ]
    return out, notes


def _inventory(cert: Cert | None) -> set[bytes]:
    """Everything a certificate holds, as comparable items."""
    if cert is None:
        return set()
    items = {b"D" + signature_identity(s) for s in cert.direct}
    for tag, comps in ((b"U", cert.uids), (b"A", cert.uats), (b"S", cert.subkeys)):
        for c in comps:
            items.add(tag + c.value)
            items.update(tag + c.value + b"\0" + signature_identity(s) for s in c.signatures)
    return items


def _copy(cert: Cert) -> Cert:
    return Cert(
        primary=cert.primary,
        direct=list(cert.direct),
        uids=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.uids],
        uats=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.uats],
        subkeys=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.subkeys],
    )


def _describe_change(before: Cert | None, after: Cert) -> list[str]:
    old = _inventory(before)
    new = _inventory(after)
    gained = new - old
    lost = old - new
    out = []
    counts = {
        "user ID": sum(1 for i in gained if i[:1] == b"U" and b"\0" not in i[1:]),
        "subkey": sum(1 for i in gained if i[:1] == b"S" and b"\0" not in i[1:]),
        "signature": sum(1 for i in gained if i[:1] == b"D" or b"\0" in i[1:]),
    }
    for name, n in counts.items():
        if n:
            out.append(f"{n} new {name}{'s' if n != 1 else ''}")
    if lost:
        out.append(f"{len(lost)} stored item(s) no longer valid, removed")
    return out


# --------------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportItem:
    """What happened to one certificate or bare signature of an import.

    ``status``: ``new`` (a certificate the store did not have), ``updated`` (something joined a
    stored certificate), ``unchanged``, ``rejected`` (nothing stored; see ``details``), or
    ``ignored`` (refresh: a certificate the store does not hold).
    """

    source: str
    fingerprint: str | None
    user_id: str | None
    status: str
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "user_id": self.user_id,
            "status": self.status,
            "details": list(self.details),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """Every item of an import, and the problems found in the store while loading it."""

    items: tuple[ImportItem, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not any(i.status == "rejected" for i in self.items)

    def __bool__(self) -> bool:
        raise TypeError("use report.ok")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "imported": [i.to_dict() for i in self.items],
            "problems": list(self.problems),
        }


def _attach_bare(
    sig: Signature, index: _Index, work: Mapping[str, Cert]
) -> tuple[Cert | None, str]:
    """A copy of the certificate a bare signature belongs to, with it attached; or a reason."""
    if sig.sig_type not in (_KEY_REVOCATION, _SUBKEY_REVOCATION, _DIRECT_KEY):
        return None, (
            f"a bare type 0x{sig.sig_type:02X} signature cannot be attached "
            "(import the certificate that carries it)"
        )
    if sig.created is None:
        return None, "a bare signature without creation time"
    own = [c for c in index.issuers(sig) if c.fingerprint in work]
    for cert in own:
        v = CertValidator(cert, Policy(), index.get)
        p = cert.primary
        if sig.sig_type in (_KEY_REVOCATION, _DIRECT_KEY):
            if v.verify_over(sig, p, p.hash_prefix()):
                out = _copy(cert)
                out.direct.append(sig)
                return out, ""
            continue
        for i, comp in enumerate(cert.subkeys):
            assert comp.key is not None
            if v.verify_over(sig, p, p.hash_prefix() + comp.key.hash_prefix()):
                out = _copy(cert)
                out.subkeys[i].signatures.append(sig)
                return out, ""
    if sig.sig_type == _KEY_REVOCATION:
        # A designated revoker's revocation: any stored certificate naming the issuer.
        for cert in work.values():
            v = CertValidator(cert, Policy())
            names = {f for s, _ in v.self_signatures() for f in s.revocation_keys}
            hit = [f for f in sig.issuer_fingerprints if f in names]
            revoker = index.get(hit[0]) if hit else None
            if revoker is not None and v.verify_over(
                sig, revoker.primary, cert.primary.hash_prefix()
            ):
                out = _copy(cert)
                out.direct.append(sig)
                return out, ""
    if not own:
        return None, (
            f"a bare type 0x{sig.sig_type:02X} signature by {sig.issuer_hint}, whose certificate "
            "is not in the store (import the certificate first)"
        )
    return None, f"a bare type 0x{sig.sig_type:02X} signature by {sig.issuer_hint} does not verify"


def import_keys(
    store: Store,
    sources: Sequence[tuple[str, bytes]],
    *,
    only_known: bool = False,
) -> ImportReport:
    """Import certificates and revocations into a store, merging, validating, atomically.

    Steps:

    1. Parse every source (:func:`read_key_material`); an unparseable source is one rejected
       item, the others go on.
    2. Lock the store, then load it (so a concurrent importer's work is seen, not overwritten);
       files that cannot be read are reported and left alone.
    3. For each certificate: merge it with the stored copy, then keep only what verifies
       (:func:`clean_cert`, with every stored and incoming certificate as possible issuers). No
       valid self-signature: rejected; nothing new: unchanged.
    4. Then each bare signature (a revocation certificate): attach it to the stored or imported
       certificate it verifies against; else rejected.
    5. Write each changed certificate atomically, then release the lock.

    Args:
        store: The store to import into.
        sources: ``(name, content)`` of each file.
        only_known: Ignore certificates the store does not hold (what refresh does).

    Returns:
        One item per certificate or bare signature (and per unparseable source).

    Raises:
        KeyringError: The store cannot be locked, listed or written.
    """
    items: list[ImportItem] = []
    parsed: list[tuple[str, KeyMaterial]] = []
    # (1)
    for name, data in sources:
        try:
            parsed.append((name, read_key_material(data, source=name)))
        except (FormatError, LimitError) as e:
            items.append(
                ImportItem(
                    source=name,
                    fingerprint=None,
                    user_id=None,
                    status="rejected",
                    details=(str(e),),
                )
            )
    # (2)
    with store.locked():
        ring = store.load()
        work: dict[str, Cert] = dict(ring.certs)
        index = _Index(work.values())
        for _name, material in parsed:
            for c in material.certs:
                if c.fingerprint not in index.by_fpr:
                    index.put(c)
        changed: dict[str, Cert] = {}
        # Certificates loaded from a file not named after them (copied in by a person).
        misplaced = {f for f in work if not store.cert_path(f).is_file()}

        def commit(name: str, before: Cert | None, cleaned: Cert, notes: list[str]) -> None:
            fpr = cleaned.fingerprint
            details = _describe_change(before, cleaned)
            if before is None:
                status = "new"
            elif _inventory(before) == _inventory(cleaned):
                status = "unchanged"
            else:
                status = "updated"
            relocate = fpr in misplaced
            if relocate:
                details.append(f"now stored as {store.cert_path(fpr).name}")
                misplaced.discard(fpr)
            if status != "unchanged" or relocate:
                work[fpr] = cleaned
                changed[fpr] = cleaned
                index.put(cleaned)
            items.append(
                ImportItem(
                    source=name,
                    fingerprint=fpr,
                    user_id=_first_user_id(cleaned),
                    status=status,
                    details=tuple(details + notes),
                )
            )

        # (3)
        for name, material in parsed:
            extra = (
                ("secret key material was not stored (only the public certificate)",)
                if material.had_secret
                else ()
            )
            for cert in material.certs:
                fpr = cert.fingerprint
                before = work.get(fpr)
                if before is None and only_known:
                    items.append(
                        ImportItem(
                            source=name,
                            fingerprint=fpr,
                            user_id=_first_user_id(cert),
                            status="ignored",
                            details=("not in the store",),
                        )
                    )
                    continue
                combined = _copy(before) if before is not None else Cert(primary=cert.primary)
                merge_cert(combined, cert)
                cleaned, notes = _clean(combined, index)
                if cleaned is None:
                    items.append(
                        ImportItem(
                            source=name,
                            fingerprint=fpr,
                            user_id=_first_user_id(cert),
                            status="rejected",
                            details=tuple(notes),
                        )
                    )
                    continue
                commit(name, before, cleaned, [*notes, *extra])
        # (4) after every certificate, so that a revocation may come before its certificate.
        for name, material in parsed:
            for sig in material.signatures:
                target, reason = _attach_bare(sig, index, work)
                if target is None:
                    items.append(
                        ImportItem(
                            source=name,
                            fingerprint=None,
                            user_id=None,
                            status="rejected",
                            details=(reason,),
                        )
                    )
                    continue
                before = work.get(target.fingerprint)
                cleaned, notes = _clean(target, index)
                if cleaned is None:  # cannot happen: the target was clean before
                    items.append(
                        ImportItem(
                            source=name,
                            fingerprint=target.fingerprint,
                            user_id=None,
                            status="rejected",
                            details=tuple(notes),
                        )
                    )
                    continue
                commit(name, before, cleaned, notes)
        # (5)
        for cert in changed.values():
            store.write_cert(cert, comment=_first_user_id(cert))
        return ImportReport(items=tuple(items), problems=tuple(ring.problems))


# --------------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    """A certificate made from a secret key."""

    fingerprint: str
    user_id: str | None
    certificate: bytes = field(repr=False)
    notes: tuple[str, ...] = ()


def export_certificate(secret_key: bytes) -> ExportResult:
    """The public certificate of a transferable secret key (no passphrase needed).

    Steps:

    1. Parse the secret key's packets (public parts only are kept).
    2. Keep what verifies (:func:`clean_cert`).
    3. Armor it.

    Args:
        secret_key: One transferable secret key, armored or binary (a certificate is accepted
            too, and cleaned).

    Returns:
        The armored certificate.

    Raises:
        FormatError: Not a key, or several keys.
        CertificateError: No valid self-signature.
    """
    # (1)
    certs = read_certs(secret_key, source="secret key")
    if len(certs) != 1:
        raise FormatError(f"expected one key, found {len(certs)}")
    # (2)
    cleaned, notes = clean_cert(certs[0])
    if cleaned is None:
        raise CertificateError("; ".join(notes))
    # (3)
    uid = _first_user_id(cleaned)
    headers = [("Comment", cleaned.fingerprint)]
    return ExportResult(
        fingerprint=cleaned.fingerprint,
        user_id=uid,
        certificate=armor.encode("PGP PUBLIC KEY BLOCK", cert_to_bytes(cleaned), headers),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------------
# List


@dataclass(frozen=True, slots=True, kw_only=True)
class SubkeyInfo:
    """A subkey as ``key list`` shows it."""

    fingerprint: str
    algorithm: str
    bits: int
    created: datetime
    expires: datetime | None
    validity: str
    flags: tuple[str, ...]
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract fields first)."""
        return {
            "fingerprint": self.fingerprint,
            "validity": self.validity,
            "flags": list(self.flags),
            "algorithm": self.algorithm,
            "bits": self.bits,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificationInfo:
    """A third-party certification of one user ID (made at or before the reference time).

    ``status``: ``valid`` (verifies with a certificate of the keyring whose key could certify when
    it made it, is alive, is not revoked by its issuer), ``revoked`` (its issuer revoked it with a
    0x30), ``expired``, ``policy`` (its hash is not accepted), ``issuer-revoked`` (the issuer's key
    is hard-revoked, or was revoked when it certified), ``issuer-invalid`` (the issuer could not
    certify then: expired, not yet valid, no Certify flag), ``bad`` (does not verify),
    ``unverified`` (the issuer is not in the keyring).
    """

    issuer: str
    user_id: str
    created: datetime | None
    status: str
    trust: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "issuer": self.issuer,
            "user_id": self.user_id,
            "created": iso(self.created),
            "status": self.status,
            "trust_depth": self.trust[0] if self.trust else None,
            "trust_amount": self.trust[1] if self.trust else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyInfo:
    """One certificate as ``key list`` shows it (``to_dict`` is the contract's JSON)."""

    fingerprint: str
    user_ids: tuple[str, ...]
    revoked_user_ids: tuple[str, ...]
    algorithm: str
    bits: int
    created: datetime
    expires: datetime | None
    validity: str
    reason: str | None
    revocation: RevocationInfo | None
    subkeys: tuple[SubkeyInfo, ...]
    certifications: tuple[CertificationInfo, ...]
    trust_root: bool | None = None

    @property
    def certified_by(self) -> tuple[str, ...]:
        """Fingerprints of keyring certificates with a valid certification of this one."""
        out: list[str] = []
        for c in self.certifications:
            if c.status == "valid" and c.issuer not in out:
                out.append(c.issuer)
        return tuple(out)

    @property
    def unverified_certifiers(self) -> tuple[str, ...]:
        """Issuer hints of certifications whose issuer is not in the keyring."""
        out: list[str] = []
        for c in self.certifications:
            if c.status == "unverified" and c.issuer not in out:
                out.append(c.issuer)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the contract's fields, then pgpsig's additions."""
        rev = self.revocation
        return {
            "fingerprint": self.fingerprint,
            "user_ids": list(self.user_ids),
            "algorithm": self.algorithm,
            "bits": self.bits,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "validity": self.validity,
            "subkeys": [s.to_dict() for s in self.subkeys],
            "certified_by": list(self.certified_by),
            "unverified_certifiers": list(self.unverified_certifiers),
            "certifications": [c.to_dict() for c in self.certifications],
            "revoked_user_ids": list(self.revoked_user_ids),
            "reason": self.reason,
            "revocation": None
            if rev is None
            else {
                "reason": rev.reason_name,
                "code": rev.code,
                "message": rev.message,
                "created": iso(rev.created),
                "hard": rev.hard,
            },
            "trust_root": self.trust_root,
        }


def _judge(fn: Callable[[], object]) -> tuple[str, str | None]:
    """Run a validity check: ("valid", None) or (validity, reason)."""
    try:
        fn()
    except KeyRevokedError as e:
        return "revoked", str(e)
    except KeyExpiredError as e:
        return "expired", str(e)
    except (CertificateError, PolicyError) as e:
        return "invalid", str(e)
    return "valid", None


def _uid_revoked(v: CertValidator, comp: Component, at: datetime) -> bool:
    """The owner revoked this user ID (a verified self 0x30 made at or before ``at``)."""
    p = v.cert.primary
    prefix = p.hash_prefix() + comp.hash_prefix()
    return any(
        s.sig_type == _CERT_REVOCATION
        and s.created is not None
        and s.created <= at
        and _names(s, p)
        and v.verify_over(s, p, prefix)
        for s in comp.signatures
    )


def _certifications(
    v: CertValidator, keyring: Keyring, policy: Policy, at: datetime
) -> list[CertificationInfo]:
    cert = v.cert
    p = cert.primary
    out: list[CertificationInfo] = []
    validators: dict[str, CertValidator] = {}
    for comp in cert.uids:
        prefix = p.hash_prefix() + comp.hash_prefix()
        for sig in comp.signatures:
            if sig.sig_type not in _CERTIFICATIONS or _names(sig, p):
                continue  # not a certification, or a self-signature
            created = sig.created
            issuers = [
                c
                for c, k in keyring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids)
                if k is c.primary and c.fingerprint != cert.fingerprint
            ]
            hint = sig.issuer_fingerprints[0] if sig.issuer_fingerprints else sig.issuer_hint
            if not issuers:
                out.append(
                    CertificationInfo(
                        issuer=hint,
                        user_id=comp.uid,
                        created=created,
                        status="unverified",
                        trust=sig.trust,
                    )
                )
                continue
            issuer = next((c for c in issuers if v.verify_over(sig, c.primary, prefix)), None)
            if issuer is None or created is None:
                out.append(
                    CertificationInfo(
                        issuer=issuers[0].fingerprint,
                        user_id=comp.uid,
                        created=created,
                        status="bad",
                        trust=sig.trust,
                    )
                )
                continue
            if created > at:
                continue  # made after the reference time: it did not exist then
            status = "valid"
            exp = sig.expires_after
            if exp is not None and created + timedelta(seconds=exp) <= at:
                status = "expired"
            try:
                policy.check_hash(sig.hash_algorithm, kind=SignatureKind.CERTIFICATION, at=created)
            except PolicyError:
                status = "policy"
            iv = validators.setdefault(
                issuer.fingerprint, CertValidator(issuer, policy, keyring.get)
            )
            try:
                iv.can_certify(created)  # the issuer could certify when it did
                if any(r.hard for r in iv.revocations(None)):
                    status = "issuer-revoked"
            except KeyRevokedError:
                status = "issuer-revoked"
            except (CertificateError, PolicyError):
                status = "issuer-invalid"
            if status == "valid":
                for r in comp.signatures:
                    if (
                        r.sig_type == _CERT_REVOCATION
                        and r.created is not None
                        and created <= r.created <= at
                        and _names(r, issuer.primary)
                        and v.verify_over(r, issuer.primary, prefix)
                    ):
                        status = "revoked"
                        break
            out.append(
                CertificationInfo(
                    issuer=issuer.fingerprint,
                    user_id=comp.uid,
                    created=created,
                    status=status,
                    trust=sig.trust,
                )
            )
    return out


def _subkey_info(
    v: CertValidator, comp: Component, at: datetime, primary_validity: tuple[str, str | None]
) -> SubkeyInfo:
    key = comp.key
    assert key is not None
    binding: Signature | None = None
    try:
        binding = v.subkey_binding(comp, at)
    except CertificateError:
        bindings = [s for s in comp.signatures if s.sig_type == _SUBKEY_BINDING and s.created]
        binding = max(bindings, key=lambda s: s.created or at, default=None)
    flags = binding.key_flags if binding is not None else None
    exp = binding.key_expires_after if binding is not None else None
    if primary_validity[0] != "valid":
        validity, reason = primary_validity
    elif flags is not None and flags & _FLAG_SIGN:
        validity, reason = _judge(lambda: v.check_signing_key(key, at))
    else:
        validity, reason = _judge(lambda: _check_other_subkey(v, comp, at))
    return SubkeyInfo(
        fingerprint=key.fingerprint,
        algorithm=key.algorithm_name,
        bits=key.bits,
        created=key.created,
        expires=key.created + timedelta(seconds=exp) if exp else None,
        validity=validity,
        flags=_flag_names(flags),
        reason=reason,
    )


def _check_other_subkey(v: CertValidator, comp: Component, at: datetime) -> None:
    """Binding, revocation and expiry of a subkey that does not sign (no back-signature needed).

    Raises:
        CertificateError: The subkey is unbound, revoked or expired at ``at``.
    """
    key = comp.key
    assert key is not None
    v.policy.check_key(key)
    binding = v.subkey_binding(comp, at)
    bcreated = binding.created
    assert bcreated is not None
    for r in v.revocations(key):
        if r.hard or bcreated <= r.created <= at:
            raise KeyRevokedError(f"subkey {key.fingerprint} is revoked ({r.reason_name})")
    exp = binding.key_expires_after
    if exp is not None and key.created + timedelta(seconds=exp) <= at:
        raise KeyExpiredError(f"subkey {key.fingerprint} expired")


def list_keys(
    keyring: Keyring,
    *,
    now: datetime,
    policy: Policy,
    roots: Iterable[str] | None = None,
) -> tuple[KeyInfo, ...]:
    """Describe every certificate of a keyring as of ``now``.

    Steps, per certificate:

    1. Validity of the primary key at ``now`` (:meth:`CertValidator.check_primary`): ``valid``,
       ``expired``, ``revoked`` (with the verified revocation and its reason) or ``invalid``
       (no valid self-signature in force, or a key the policy rejects).
    2. Expiry, from the self-signature in force.
    3. User IDs (with a valid self-signature), and those their owner revoked.
    4. Each subkey: flags from its binding in force, and its validity: the primary's when that is
       not valid, else the subkey's own (a signing subkey also needs its back-signature).
    5. Third-party certifications of each user ID, verified against the keyring
       (:class:`CertificationInfo`); ``certified_by`` lists the valid ones' issuers.

    Args:
        keyring: The certificates.
        now: The reference time.
        policy: The policy that judges hashes and key sizes.
        roots: Trust-root fingerprints (marks ``trust_root``), or None when unknown.

    Returns:
        One :class:`KeyInfo` per certificate, in keyring order.

    Raises:
        ValueError: A naive ``now``.
    """
    _require_aware(now)
    root_set = {r.upper() for r in roots} if roots is not None else None
    out = []
    for cert in keyring:
        v = CertValidator(cert, policy, keyring.get)
        p = cert.primary
        # (1)
        validity = _judge(partial(v.check_primary, now))
        revocation = None
        if validity[0] == "revoked":
            revs = v.revocations(None)
            revocation = next((r for r in revs if r.hard), None) or max(
                revs, key=lambda r: r.created, default=None
            )
        # (2)
        expires = None
        try:
            binding, _ = v.primary_binding(now)
            if binding.key_expires_after:
                expires = p.created + timedelta(seconds=binding.key_expires_after)
        except CertificateError:
            pass
        # (3)
        bound = {id(c) for _, c in v.self_signatures() if c is not None}
        uids = tuple(c.uid for c in cert.uids if id(c) in bound)
        revoked = tuple(c.uid for c in cert.uids if id(c) in bound and _uid_revoked(v, c, now))
        # (4)
        subs = tuple(_subkey_info(v, c, now, validity) for c in cert.subkeys)
        # (5)
        certs = tuple(_certifications(v, keyring, policy, now))
        out.append(
            KeyInfo(
                fingerprint=cert.fingerprint,
                user_ids=uids,
                revoked_user_ids=revoked,
                algorithm=p.algorithm_name,
                bits=p.bits,
                created=p.created,
                expires=expires,
                validity=validity[0],
                reason=validity[1],
                revocation=revocation,
                subkeys=subs,
                certifications=certs,
                trust_root=None if root_set is None else cert.fingerprint in root_set,
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Certify, revoke, revoke a certification


def _load_primary(secret_key: bytes, passphrase: bytes | None) -> tuple[SigningKey, Cert]:
    """The unlocked primary key of a secret key file, and its certificate.

    Raises:
        InputError: The file holds only a stub of the primary key.
    """
    keys = load_signing_keys(secret_key, passphrase)
    primary = next((k for k in keys if k.is_primary), None)
    if primary is None:
        raise InputError(
            "the secret key file holds no primary secret key (only subkeys): "
            "certifications and revocations need the primary key"
        )
    certs = read_certs(secret_key, source="secret key")
    return primary, certs[0]


def _signable(key: SigningKey, now: datetime) -> datetime:
    created = now.astimezone(timezone.utc).replace(microsecond=0)
    if created < key.created:
        raise CertificateError(
            f"key {key.fingerprint} was created {key.created.isoformat()}, after "
            f"{created.isoformat()}: check the clock"
        )
    return created


def _bound_uids(v: CertValidator, at: datetime) -> list[Component]:
    bound = {
        id(c) for s, c in v.self_signatures() if c is not None and s.created and s.created <= at
    }
    return [c for c in v.cert.uids if id(c) in bound and not _uid_revoked(v, c, at)]


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifyResult:
    """A certificate with new certifications (or certification revocations) by a master key."""

    fingerprint: str
    by: str
    user_ids: tuple[str, ...]
    skipped: tuple[str, ...]
    certificate: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "by": self.by,
            "user_ids": list(self.user_ids),
            "skipped": list(self.skipped),
        }


def _armored_cert(cert: Cert, extra: Mapping[bytes, list[bytes]]) -> bytes:
    """``cert`` with extra signature packets after some user IDs (by user ID value), armored."""
    data = cert_to_bytes(cert)
    if extra:
        with_extra = Cert(primary=cert.primary)
        merge_cert(with_extra, cert)
        for comp in with_extra.uids:
            for pkt in extra.get(comp.value, []):
                comp.signatures.append(_parse_signature(next(iter_packets(pkt)).body))
        data = cert_to_bytes(with_extra)
    return armor.encode("PGP PUBLIC KEY BLOCK", data, [("Comment", cert.fingerprint)])


def _one_cert(cert_data: bytes) -> Cert:
    certs = read_certs(cert_data, source="certificate")
    if len(certs) != 1:
        raise FormatError(f"expected one certificate, found {len(certs)}")
    cleaned, notes = clean_cert(certs[0])
    if cleaned is None:
        raise CertificateError("; ".join(notes))
    return cleaned


def certify(
    cert_data: bytes,
    master_key: bytes,
    *,
    passphrase: bytes | None,
    now: datetime,
    policy: Policy,
    trust: tuple[int, int] | None = None,
) -> CertifyResult:
    """Certify every valid user ID of a certificate with a master key.

    Steps:

    1. Unlock the master's primary key; the master must be able to certify now (valid, alive,
       unrevoked, Certify flag) under ``policy``.
    2. Read the certificate (one, cleaned); it must be valid now: pgpsig does not certify a
       revoked or expired key.
    3. Choose the user IDs: bound by a valid self-signature and not revoked; those the master
       already certified (and did not revoke) are skipped.
    4. Make a 0x10 certification of each, with a trust-signature subpacket when ``trust`` is set.
    5. Return the certificate with the new certifications, armored.

    Args:
        cert_data: The certificate to certify (armored or binary).
        master_key: The master's transferable secret key.
        passphrase: Unlocks the master key if it is protected.
        now: The certification time (timezone-aware).
        policy: The policy under which both keys are judged.
        trust: ``(depth, amount)`` of a trust signature (FreePBX's masters: ``(1, 60)``).

    Returns:
        The certificate with its new certifications.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        CertificateError: The master cannot certify, or the certificate is not valid now, or it
            has no user ID to certify.
        FormatError: Malformed input.
        ValueError: A naive ``now`` or a trust value outside 0..255.
    """
    _require_aware(now)
    # (1)
    master, master_cert = _load_primary(master_key, passphrase)
    created = _signable(master, now)
    CertValidator(master_cert, policy).can_certify(created)
    # (2)
    cert = _one_cert(cert_data)
    if cert.fingerprint == master.fingerprint:
        raise CertificateError("a key does not certify itself here (it already self-signs)")
    v = CertValidator(cert, policy)
    v.check_primary(created)
    # (3)
    p = cert.primary
    master_pub = _public_key(master)
    targets: list[Component] = []
    skipped: list[str] = []
    for comp in _bound_uids(v, created):
        prefix = p.hash_prefix() + comp.hash_prefix()
        mine = [
            s
            for s in comp.signatures
            if s.sig_type in _CERTIFICATIONS
            and _names(s, master_pub)
            and s.created
            and v.verify_over(s, master_pub, prefix)
        ]
        revs = [
            s
            for s in comp.signatures
            if s.sig_type == _CERT_REVOCATION
            and _names(s, master_pub)
            and s.created
            and v.verify_over(s, master_pub, prefix)
        ]
        newest_cert = max((s.created for s in mine if s.created), default=None)
        newest_rev = max((s.created for s in revs if s.created), default=None)
        if newest_cert is not None and (newest_rev is None or newest_rev < newest_cert):
            skipped.append(comp.uid)
            continue
        targets.append(comp)
    if not targets and not skipped:
        raise CertificateError(f"{cert.fingerprint} has no valid user ID to certify")
    # (4)
    extra_sp = []
    if trust is not None:
        depth, amount = trust
        if not (0 <= depth <= 255 and 0 <= amount <= 255):
            raise ValueError("trust depth and amount are 0..255")
        extra_sp.append(subpacket(_SP_TRUST, bytes([depth, amount])))
    new: dict[bytes, list[bytes]] = {}
    for comp in targets:
        new[comp.value] = [
            signature_packet(
                master,
                p.hash_prefix() + comp.hash_prefix(),
                sig_type=_CERT_GENERIC,
                created=created,
                hash_name=best_hash(master),
                extra_hashed_subpackets=extra_sp,
            )
        ]
    # (5)
    return CertifyResult(
        fingerprint=cert.fingerprint,
        by=master.fingerprint,
        user_ids=tuple(c.uid for c in targets),
        skipped=tuple(skipped),
        certificate=_armored_cert(cert, new),
    )


def _reason_subpacket(reason: str, message: str) -> bytes:
    code = REVOCATION_REASONS.get(reason)
    if code is None:
        raise ValueError(f"unknown reason {reason!r} (use {', '.join(REVOCATION_REASONS)})")
    if any(ch in message for ch in "\r\n\0"):
        raise ValueError("the revocation message must be one line")
    return subpacket(_SP_REVOCATION_REASON, bytes([code]) + message.encode("utf-8"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationResult:
    """A key revocation certificate: one 0x20 signature, armored as gpg writes them."""

    fingerprint: str
    reason: str
    message: str
    created: datetime
    revocation: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "message": self.message,
            "created": iso(self.created),
        }


def revoke_key(
    secret_key: bytes,
    *,
    passphrase: bytes | None,
    reason: str,
    message: str = "",
    now: datetime,
) -> RevocationResult:
    """Make a revocation certificate for a key (0x20 by the key itself).

    Steps:

    1. Unlock the primary key.
    2. Make the 0x20 signature over the primary key, with the reason code and message.
    3. Check that pgpsig accepts it as a revocation of that key.
    4. Armor it as a ``PGP PUBLIC KEY BLOCK`` holding the signature alone (what gpg's
       ``--gen-revoke`` writes and ``gpg --import`` and ``pgpsig key import`` accept).

    Keep it offline and import it anywhere (store, gpg, keyserver) when the time comes. A
    ``compromised`` or ``unspecified`` revocation invalidates every signature the key ever made;
    ``superseded`` and ``retired`` only those made after the revocation.

    Args:
        secret_key: The key's transferable secret key.
        passphrase: Unlocks it if it is protected.
        reason: A name of :data:`REVOCATION_REASONS`.
        message: One line of explanation.
        now: The revocation time (timezone-aware).

    Returns:
        The revocation certificate.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        InputError: The file holds no primary secret key.
        ValueError: An unknown reason, a multi-line message, a naive ``now``.
        CertificateError: The revocation does not verify (a bug).
    """
    _require_aware(now)
    # (1)
    key, cert = _load_primary(secret_key, passphrase)
    created = _signable(key, now)
    # (2)
    packet = signature_packet(
        key,
        cert.primary.hash_prefix(),
        sig_type=_KEY_REVOCATION,
        created=created,
        hash_name=best_hash(key),
        extra_hashed_subpackets=[_reason_subpacket(reason, message)],
    )
    # (3)
    sig = _parse_signature(next(iter_packets(packet)).body)
    probe = _copy(cert)
    probe.direct.append(sig)
    if not any(r.created == created for r in CertValidator(probe, Policy()).revocations(None)):
        raise CertificateError("the new revocation does not verify")
    # (4)
    headers = [
        ("Comment", "This is a revocation certificate"),
        ("Comment", f"for {key.fingerprint}"),
    ]
    return RevocationResult(
        fingerprint=key.fingerprint,
        reason=reason,
        message=message,
        created=created,
        revocation=armor.encode("PGP PUBLIC KEY BLOCK", packet, headers),
    )


def revoke_certification(
    cert_data: bytes,
    master_key: bytes,
    *,
    passphrase: bytes | None,
    reason: str = "unspecified",
    message: str = "",
    now: datetime,
) -> CertifyResult:
    """Revoke the master's certifications of a certificate (0x30 by the master).

    Steps:

    1. Unlock the master's primary key.
    2. Read the certificate (one, cleaned).
    3. Find the user IDs carrying a certification by the master that verifies.
    4. Make a 0x30 by the master over each, with the reason and message.
    5. Return the certificate with the revocations, armored (import it into the store or
       publish it; a 0x30 cannot travel without its user ID).

    Args:
        cert_data: The certified certificate.
        master_key: The master's transferable secret key.
        passphrase: Unlocks the master key if it is protected.
        reason: A name of :data:`REVOCATION_REASONS` (``unspecified`` by default).
        message: One line of explanation.
        now: The revocation time (timezone-aware).

    Returns:
        The certificate with the certification revocations.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        CertificateError: The master never certified this certificate.
        FormatError: Malformed input.
        ValueError: An unknown reason, a multi-line message, a naive ``now``.
    """
    _require_aware(now)
    # (1)
    master, _ = _load_primary(master_key, passphrase)
    created = _signable(master, now)
    reason_sp = _reason_subpacket(reason, message)
    # (2)
    cert = _one_cert(cert_data)
    v = CertValidator(cert, Policy())
    p = cert.primary
    master_pub = _public_key(master)
    # (3)
    targets = []
    for comp in cert.uids:
        prefix = p.hash_prefix() + comp.hash_prefix()
        if any(
            s.sig_type in _CERTIFICATIONS
            and _names(s, master_pub)
            and v.verify_over(s, master_pub, prefix)
            for s in comp.signatures
        ):
            targets.append(comp)
    if not targets:
        raise CertificateError(
            f"{master.fingerprint} has no certification on {cert.fingerprint} to revoke"
        )
    # (4)
    new = {
        comp.value: [
            signature_packet(
                master,
                p.hash_prefix() + comp.hash_prefix(),
                sig_type=_CERT_REVOCATION,
                created=created,
                hash_name=best_hash(master),
                extra_hashed_subpackets=[reason_sp],
            )
        ]
        for comp in targets
    }
    # (5)
    return CertifyResult(
        fingerprint=cert.fingerprint,
        by=master.fingerprint,
        user_ids=tuple(c.uid for c in targets),
        skipped=(),
        certificate=_armored_cert(cert, new),
    )


# --------------------------------------------------------------------------------------------------
# Refresh


class NetworkError(InputError):
    """A lookup that did not complete: ``kind`` is ``timeout``, ``not-found`` or ``error``."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


Fetcher = Callable[[str], bytes]
"""Fetch a URL's body, raising :class:`NetworkError` (or :class:`~pgpsig.errors.LimitError`)."""


class HTTPFetcher:
    """HTTP(S) GET with ``urllib``, a timeout and a size limit; no redirect to other schemes.

    Args:
        timeout: Seconds for connecting and for each read; with ``clock`` also the bound of the
            whole request.
        clock: A monotonic clock (``time.monotonic``), given by the caller, bounding the whole
            request to ``timeout``; None bounds each network operation only.
        proxies: ``{"http": url, "https": url}`` or None for a direct connection.
        max_bytes: Largest body accepted.

    Raises:
        ValueError: A timeout that is not positive.
    """

    def __init__(
        self,
        *,
        timeout: float,
        clock: Callable[[], float] | None = None,
        proxies: Mapping[str, str] | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        self.timeout = timeout
        self.clock = clock
        self.max_bytes = max_bytes
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies or {})))

    def __call__(self, url: str) -> bytes:
        """Fetch ``url``.

        Raises:
            NetworkError: Timeout, HTTP 404/410 (``not-found``), or any other failure.
            LimitError: A body larger than ``max_bytes``.
        """
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise NetworkError(f"{url}: only http and https URLs are fetched", kind="error")
        deadline = self.clock() + self.timeout if self.clock is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url, headers={"User-Agent": "pgpsig", "Accept": "application/pgp-keys, */*"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read1(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise LimitError(f"{url}: response larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
                    if deadline is not None and self.clock is not None and self.clock() > deadline:
                        raise NetworkError(
                            f"{url}: no complete answer within {self.timeout:g} s", kind="timeout"
                        )
                return b"".join(chunks)
        except urllib.error.HTTPError as e:
            kind = "not-found" if e.code in (404, 410) else "error"
            raise NetworkError(f"{url}: HTTP {e.code} {e.reason}", kind=kind) from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise NetworkError(
                    f"{url}: no answer within {self.timeout:g} s", kind="timeout"
                ) from None
            raise NetworkError(f"{url}: {e.reason}", kind="error") from None
        except TimeoutError:
            raise NetworkError(
                f"{url}: no answer within {self.timeout:g} s", kind="timeout"
            ) from None
        except OSError as e:
            raise NetworkError(f"{url}: {e.strerror or e}", kind="error") from None


_ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"


def wkd_hash(local_part: str) -> str:
    """The WKD name of a mailbox's local part: z-base-32 of SHA-1 of its lower-case form."""
    digest = hashlib.sha1(local_part.lower().encode("utf-8")).digest()  # noqa: S324 - fixed by the WKD draft
    bits = int.from_bytes(digest, "big")
    return "".join(_ZBASE32[(bits >> (155 - 5 * i)) & 31] for i in range(32))


def _keyserver_url(base: str, fpr: str) -> str:
    parts = urllib.parse.urlsplit(base if "://" in base else f"hkps://{base}")
    scheme, netloc = parts.scheme, parts.netloc
    if scheme == "hkp":
        scheme = "http"
        if ":" not in netloc:
            netloc += ":11371"
    elif scheme == "hkps":
        scheme = "https"
    path = parts.path.rstrip("/")
    query = urllib.parse.urlencode({"op": "get", "options": "mr", "search": f"0x{fpr}"})
    return urllib.parse.urlunsplit((scheme, netloc, f"{path}/pks/lookup", query, ""))


def _emails(cert: Cert) -> list[str]:
    out = []
    for comp in cert.uids:
        text = comp.uid
        addr = text[text.rfind("<") + 1 : text.rfind(">")] if "<" in text and ">" in text else text
        addr = addr.strip()
        if addr.count("@") == 1 and " " not in addr and addr not in out:
            out.append(addr)
    return out


def _wkd_domain(base: str) -> str | None:
    parts = urllib.parse.urlsplit(base)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 3 and segments[-3:-1] == [".well-known", "openpgpkey"]:
        return segments[-1].lower()
    if segments[-2:] == [".well-known", "openpgpkey"]:
        return (parts.hostname or "").lower()
    return None


def _wkd_url(base: str, email: str) -> str:
    local = email.rsplit("@", 1)[0]
    return f"{base.rstrip('/')}/hu/{wkd_hash(local)}?{urllib.parse.urlencode({'l': local})}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshItem:
    """One lookup of a refresh.

    ``status``: ``updated``, ``unchanged``, ``not-found``, ``timeout``, ``error``, ``rejected``
    (the answer held nothing valid for this key) or ``skipped`` (the server had already failed).
    """

    fingerprint: str
    source: str
    url: str
    status: str
    detail: str | None = None

    @property
    def failed(self) -> bool:
        """The lookup did not complete."""
        return self.status in ("timeout", "error", "skipped", "rejected")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "source": self.source,
            "url": self.url,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshReport:
    """Every lookup of a refresh and the problems found in the store."""

    items: tuple[RefreshItem, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every lookup completed (found or not)."""
        return not any(i.failed for i in self.items)

    def __bool__(self) -> bool:
        raise TypeError("use report.ok")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "lookups": [i.to_dict() for i in self.items],
            "problems": list(self.problems),
        }


def refresh(
    store: Store,
    *,
    fetch: Fetcher,
    keyserver: str | None = None,
    wkd: str | None = None,
) -> RefreshReport:
    """Fetch newer copies of the store's certificates and merge them in.

    Steps:

    1. Load the store (no lock: the network is slow and must not block other writers).
    2. Build the lookups: one per certificate from an HKP keyserver
       (``/pks/lookup?op=get&options=mr&search=0x<FPR>``; ``hkp://`` means ``http://`` on port
       11371, ``hkps://`` and a bare host mean ``https://``), and one per e-mail address of the
       store's user IDs from a WKD directory (``<URL>/hu/<z-base-32 hash>?l=<local part>``; when
       the URL ends in ``.well-known/openpgpkey[/<domain>]`` only that domain's addresses).
    3. Fetch each; after a source's first timeout or connection failure, skip its remaining
       lookups (a dead server costs one timeout).
    4. Merge what came back with :func:`import_keys` (``only_known``: a refresh never adds a
       certificate), under the store lock.
    5. Report each lookup: updated, unchanged, not found, or why it failed.

    Args:
        store: The store.
        fetch: Fetches a URL (:class:`HTTPFetcher`).
        keyserver: The keyserver's URL or host name.
        wkd: The URL of a Web Key Directory (the directory holding ``hu/``).

    Returns:
        One item per lookup.

    Raises:
        ValueError: Neither ``keyserver`` nor ``wkd``.
        KeyringError: The store cannot be read, locked or written.
    """
    if keyserver is None and wkd is None:
        raise ValueError("give a keyserver or a WKD URL: pgpsig contacts no server by default")
    # (1)
    ring = store.load()
    # (2)
    lookups: list[tuple[str, str, str]] = []  # (fingerprint, source, url)
    for cert in ring:
        if keyserver is not None:
            lookups.append(
                (cert.fingerprint, "keyserver", _keyserver_url(keyserver, cert.fingerprint))
            )
    if wkd is not None:
        domain = _wkd_domain(wkd)
        for cert in ring:
            for email in _emails(cert):
                if domain is None or email.rsplit("@", 1)[1].lower() == domain:
                    lookups.append((cert.fingerprint, "wkd", _wkd_url(wkd, email)))
    # (3)
    dead: dict[str, str] = {}
    fetched: dict[tuple[str, str], bytes] = {}
    results: dict[tuple[str, str], RefreshItem] = {}
    for fpr, source, url in lookups:
        if source in dead:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status="skipped", detail=dead[source]
            )
            continue
        try:
            fetched[(fpr, url)] = fetch(url)
        except NetworkError as e:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status=e.kind, detail=str(e)
            )
            if e.kind in ("timeout", "error"):
                dead[source] = f"not tried: {source} failed before ({e.kind})"
        except LimitError as e:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status="error", detail=str(e)
            )
    # (4)
    report = (
        import_keys(store, [(url, data) for (_f, url), data in fetched.items()], only_known=True)
        if fetched
        else ImportReport(items=())
    )
    by_source: dict[tuple[str, str], list[ImportItem]] = {}
    for item in report.items:
        by_source.setdefault((item.source, item.fingerprint or ""), []).append(item)
    # (5)
    items = []
    for fpr, source, url in lookups:
        done = results.get((fpr, url))
        if done is None:
            mine = by_source.get((url, fpr), [])
            bad = [i for i in by_source.get((url, ""), []) if i.status == "rejected"]
            if any(i.status in ("updated", "new") for i in mine):
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="updated",
                    detail="; ".join(d for i in mine for d in i.details) or None,
                )
            elif any(i.status == "unchanged" for i in mine):
                done = RefreshItem(fingerprint=fpr, source=source, url=url, status="unchanged")
            elif any(i.status == "rejected" for i in mine) or (bad and not mine):
                details = [d for i in (mine or bad) for d in i.details]
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="rejected",
                    detail="; ".join(details) or None,
                )
            else:
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="not-found",
                    detail="the answer held no copy of this certificate",
                )
        items.append(done)
    return RefreshReport(items=tuple(items), problems=tuple(ring.problems))


# --------------------------------------------------------------------------------------------------
# Trust roots


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustRootInfo:
    """A trust root of the store: its fingerprint, and its first user ID if its certificate is there."""

    fingerprint: str
    user_id: str | None
    present: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"fingerprint": self.fingerprint, "user_id": self.user_id, "present": self.present}


def _resolve(ring: Keyring, ref: str) -> Cert:
    cert = ring.find(ref)
    if cert is None:
        raise KeyringError(
            f"{ref} is not in the store (or the key ID is ambiguous): import its certificate first"
        )
    return cert


def add_trust_root(store: Store, ref: str) -> TrustRootInfo:
    """Add a certificate of the store to its trust roots.

    Steps:

    1. Lock the store and find the certificate by fingerprint (or a unique key ID).
    2. Append its fingerprint to ``roots`` (with its user ID as a comment) unless it is there.

    Args:
        store: The store (a store home, not a plain keyring directory).
        ref: A fingerprint or key ID of a stored certificate.

    Returns:
        The root.

    Raises:
        KeyringError: Not in the store, ambiguous, or the roots file cannot be written.
    """
    with store.locked():
        # (1)
        ring = store.load()
        cert = _resolve(ring, ref)
        # (2)
        roots = store.roots()
        if cert.fingerprint not in roots:
            roots.append(cert.fingerprint)
        store.write_roots((f, _comment(ring, f)) for f in roots)
        return TrustRootInfo(
            fingerprint=cert.fingerprint, user_id=_first_user_id(cert), present=True
        )


def _comment(ring: Keyring, fpr: str) -> str:
    cert = ring.get(fpr)
    return (_first_user_id(cert) or "") if cert is not None else "certificate not in the store"


def remove_trust_root(store: Store, ref: str) -> str:
    """Remove a fingerprint from the store's trust roots (the certificate stays in the store).

    Args:
        store: The store.
        ref: The root's fingerprint, or a key ID of a stored certificate.

    Returns:
        The removed fingerprint.

    Raises:
        KeyringError: Not a trust root, or the roots file cannot be written.
    """
    with store.locked():
        ring = store.load()
        roots = store.roots()
        fpr = normalize_fingerprint(ref)
        if fpr is None or fpr not in roots:
            cert = ring.find(ref)
            fpr = cert.fingerprint if cert is not None else None
        if fpr is None or fpr not in roots:
            raise KeyringError(f"{ref} is not a trust root of this store")
        store.write_roots((f, _comment(ring, f)) for f in roots if f != fpr)
        return fpr


def list_trust_roots(store: Store) -> tuple[TrustRootInfo, ...]:
    """The store's trust roots, with their user IDs.

    Raises:
        KeyringError: The store cannot be read.
    """
    ring = store.load()
    out = []
    for fpr in store.roots():
        cert = ring.get(fpr)
        out.append(
            TrustRootInfo(
                fingerprint=fpr,
                user_id=_first_user_id(cert) if cert else None,
                present=cert is not None,
            )
        )
    return tuple(out)
