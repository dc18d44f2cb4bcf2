#!/usr/bin/env python3
"""Write pgpsig's OpenPGP signature test vectors, deterministically, from fixed keys and a fixed clock.

Usage::

    python vectors/generate.py            # (re)write the vectors into the folder of this file
    python vectors/generate.py OUT_DIR    # write them into OUT_DIR instead (the tests do this)
    python vectors/generate.py --table    # print the vector table that README.md carries

What it owns: a minimal, independent OpenPGP v4 writer (RFC 9580 packet formats: keys, user IDs,
signatures, subpackets, ASCII armor, the cleartext signature framework) built directly on
``cryptography`` and ``hashlib``, and one function per vector that writes the vector's files and
states its expected verdict. It deliberately does not import pgpsig: it is the independent
implementation that pgpsig is tested against. The vectors are cross-checked with sqop, sqv and gpg
(README.md records the commands and what they said).

What it leaves out: parsing (it only writes), secret-key packets, encryption, v6 keys.

Determinism: every timestamp is a constant (see the timeline below). Ed25519 keys come from fixed
32-byte seeds; RSA keys from primes found by a deterministic search seeded with SHA-256 of a label;
the ECDSA P-256 key from a fixed scalar. RSA PKCS#1 v1.5 (computed here) and Ed25519 signatures are
deterministic by construction; ECDSA uses RFC 6979 nonces (``deterministic_signing=True`` in
``cryptography``). Running this twice gives byte-identical files.
"""

from __future__ import annotations

import base64
import bz2
import dataclasses
import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

HERE = Path(__file__).resolve().parent

# The folders this generator owns inside its output directory; stale files in them are removed.
FOLDERS = ("keys", "data", "sig", "timeline", "clearsign", "packets", "message")


# ---------------------------------------------------------------------------------------------
# The fixed clock (README.md draws it as a timeline).


def utc(iso: str) -> int:
    """Seconds since the epoch of an ISO 8601 UTC time written with a trailing ``Z``."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


DAY = 86400
T_OLD = utc("2022-06-01T00:00:00Z")  # a key whose SHA-1 self-signature predates the cutoff
SHA1_CUTOFF = utc("2023-02-01T00:00:00Z")  # SHA-1 self-signatures are refused from this instant on
T_BEFORE_KEY = utc("2023-12-01T00:00:00Z")  # a data signature that claims to predate its key
T0 = utc("2024-01-01T00:00:00Z")  # key creation and self-signatures
T1 = utc("2024-03-01T00:00:00Z")  # revocations and expiries *before* the data signature
T2 = utc("2024-06-01T00:00:00Z")  # the data signature
T3 = utc("2024-09-01T00:00:00Z")  # revocations, expiries, late bindings *after* the data signature
AT_ISO = "2025-06-01T00:00:00Z"  # the reference time every vector is judged at (``--at``)
AT = utc(AT_ISO)
T_FUTURE = AT + DAY  # a data signature made one day after the reference time
T_AFTER_AT = utc("2025-09-01T00:00:00Z")  # a revocation dated three months after --at


# ---------------------------------------------------------------------------------------------
# Rows of THREATS.md (first column, verbatim) that the vectors exercise.

T_SELF_SIGS = "self-signatures and user-ID certifications (0x10-0x13) verified"
T_BINDING = "subkey binding (0x18) verified before a subkey is used"
T_BACKSIG = "primary-key back-signature (0x19) on signing subkeys"
T_KEY_FLAGS = "key flags (the signing key must carry Sign)"
T_REVOCATION = "key revocation (0x20), subkey revocation (0x28)"
T_PRIVATE_REASON = "revocation reason codes 100-110 (private use)"
T_CERTIFICATIONS = "certification revocation (0x30), third-party certifications"
T_KEY_EXPIRY = "key expiry"
T_SIG_TIME = (
    "signature expiry, creation time present/hashed/not in the future, signature newer than the key"
)
T_CRITICAL = "critical unknown subpacket or notation invalidates"
T_HASH_POLICY = "hash policy (MD5, SHA-1) and key-size policy (RSA < 2048)"
T_SIG_TYPE_CONTEXT = "signature type must fit the context (0x01 in a clear-signed frame)"
T_ISSUER_FPR = "issuer-fingerprint-only signatures (no key-ID subpacket)"
T_NO_CRC = "armor without the CRC24 line (optional since RFC 9580)"
T_WHITESPACE = "clear-signed text with trailing spaces/tabs or CRLF"
T_HASH_HEADER_CHECK = "`Hash:` header checked against the signature"
T_INJECTION = "status-line / output injection (CVE-2018-12020 SigSpoof, CVE-2022-34903)"
T_HASH_HEADER = "misleading `Hash:` header (CVE-2019-11841 in Go's clearsign)"
T_HEADERS = "`NotDashEscaped:` header, form-feed/long-line truncation (CVE-2025-68972)"
T_OUTSIDE = "text outside BEGIN/END shown as signed (CVE-2006-0049, gpgsync #67)"
T_CONCAT = "two concatenated clear-signed blocks, several signatures"
T_TYPE_CONFUSION = "signature-type confusion (CVE-2019-9153 OpenPGP.js)"
T_UNHASHED = "unhashed subpackets trusted (CVE-2019-9154)"
T_GRAFTING = "subkey grafting, unbound or encrypt-only subkeys (OpenPGP.js 2015, PGPy #331)"
T_REVOKED_EXPIRED = "revoked or expired keys still accepted (gpg exit code, PGPy)"
T_SHA1 = "SHA-1 collisions (SHAttered, chosen-prefix), MD5"
T_WEAK_KEYS = "weak keys"
T_PARSER = (
    "parser denial of service (huge armor, packet floods, deep nesting; "
    "PGPy takes 90 s on a 28 MiB flooded cert)"
)
# Not a THREATS.md row: positive and negative controls of the plain `pgpsig verify` contract.
T_BASELINE = "baseline: the verify contract of ARCHITECTURE.md (no THREATS.md row)"


# ---------------------------------------------------------------------------------------------
# Numbers of RFC 9580.

HASHES = {  # name: (algorithm ID, hashlib name, DER DigestInfo prefix for RSA PKCS#1 v1.5)
    "MD5": (1, "md5", "3020300c06082a864886f70d020505000410"),
    "SHA1": (2, "sha1", "3021300906052b0e03021a05000414"),
    "RIPEMD160": (3, "ripemd160", "3021300906052b2403020105000414"),
    "SHA256": (8, "sha256", "3031300d060960864801650304020105000420"),
    "SHA384": (9, "sha384", "3041300d060960864801650304020205000430"),
    "SHA512": (10, "sha512", "3051300d060960864801650304020305000440"),
}
PK_RSA, PK_ECDSA, PK_EDDSA = 1, 19, 22
TAG_SIGNATURE, TAG_PUBLIC_KEY, TAG_USER_ID, TAG_PUBLIC_SUBKEY = 2, 6, 13, 14
TAG_ONE_PASS, TAG_COMPRESSED, TAG_LITERAL = 4, 8, 11
COMPRESS_BZIP2 = 3

SIG_BINARY, SIG_TEXT = 0x00, 0x01
SIG_GENERIC_CERT, SIG_POSITIVE_CERT = 0x10, 0x13
SIG_SUBKEY_BINDING, SIG_PRIMARY_BINDING, SIG_DIRECT_KEY = 0x18, 0x19, 0x1F
SIG_KEY_REVOCATION, SIG_SUBKEY_REVOCATION, SIG_CERT_REVOCATION = 0x20, 0x28, 0x30
SIG_TIMESTAMP = 0x40

SP_CREATED, SP_SIG_EXPIRES, SP_KEY_EXPIRES, SP_REVOCATION_KEY = 2, 3, 9, 12
SP_ISSUER, SP_NOTATION, SP_KEY_FLAGS, SP_REASON = 16, 20, 27, 29
SP_PRIMARY_UID, SP_EMBEDDED_SIG, SP_ISSUER_FPR = 25, 32, 33
SP_EXPERIMENTAL = 101  # in the private/experimental range 100-110: unknown to every implementation

FLAG_CERTIFY, FLAG_SIGN, FLAG_ENCRYPT_COMMS, FLAG_ENCRYPT_STORAGE = 0x01, 0x02, 0x04, 0x08

REASON_UNSPECIFIED, REASON_SUPERSEDED, REASON_COMPROMISED, REASON_RETIRED = 0, 1, 2, 3

OID_ED25519 = bytes.fromhex("2b06010401da470f01")
OID_P256 = bytes.fromhex("2a8648ce3d030107")


# ---------------------------------------------------------------------------------------------
# Packet framing.


def old_packet(tag: int, body: bytes) -> bytes:
    """An old-format packet (RFC 9580 section 4.2.2), as GnuPG writes v4 keys and signatures."""
    n = len(body)
    if n < 0x100:
        return bytes([0x80 | tag << 2, n]) + body
    if n < 0x10000:
        return bytes([0x80 | tag << 2 | 1]) + n.to_bytes(2, "big") + body
    return bytes([0x80 | tag << 2 | 2]) + n.to_bytes(4, "big") + body


def new_length(n: int) -> bytes:
    """A new-format length: one, two or five octets (packets and subpackets alike)."""
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + n.to_bytes(4, "big")


def to_new_format(data: bytes) -> bytes:
    """Re-frame a run of old-format packets written by :func:`old_packet` with new-format headers."""
    out, i = [], 0
    while i < len(data):
        header = data[i]
        tag, width = (header >> 2) & 0x0F, (1, 2, 4)[header & 0x03]
        n = int.from_bytes(data[i + 1 : i + 1 + width], "big")
        body = data[i + 1 + width : i + 1 + width + n]
        out.append(bytes([0xC0 | tag]) + new_length(n) + body)
        i += 1 + width + n
    return b"".join(out)


def mpi(value: int) -> bytes:
    """A multiprecision integer: two-octet bit count, big-endian value without leading zeros."""
    octets = (value.bit_length() + 7) // 8
    return value.bit_length().to_bytes(2, "big") + value.to_bytes(octets, "big")


# ---------------------------------------------------------------------------------------------
# Keys.


@dataclass(frozen=True)
class Key:
    """A v4 public key with the secret to sign with. ``created`` is part of the fingerprint."""

    label: str
    created: int

    algorithm = 0

    def material(self) -> bytes:
        """The algorithm-specific public-key fields of the key packet."""
        raise NotImplementedError

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        """The algorithm-specific signature fields (MPIs) over a hash digest."""
        raise NotImplementedError

    @property
    def body(self) -> bytes:
        return (
            bytes([4]) + self.created.to_bytes(4, "big") + bytes([self.algorithm]) + self.material()
        )

    @property
    def hashed_form(self) -> bytes:
        """How the key enters a signature's hash and its fingerprint: 0x99, two-octet length, body."""
        return b"\x99" + len(self.body).to_bytes(2, "big") + self.body

    @property
    def fingerprint(self) -> bytes:
        return hashlib.sha1(self.hashed_form).digest()

    @property
    def key_id(self) -> bytes:
        return self.fingerprint[-8:]

    def primary_packet(self) -> bytes:
        return old_packet(TAG_PUBLIC_KEY, self.body)

    def subkey_packet(self) -> bytes:
        return old_packet(TAG_PUBLIC_SUBKEY, self.body)

    def at(self, created: int) -> Key:
        """The same secret with another creation time (so another fingerprint)."""
        return dataclasses.replace(self, created=created)


@dataclass(frozen=True)
class Ed25519Key(Key):
    """EdDSA (legacy, algorithm 22) on Ed25519, from a fixed 32-byte seed."""

    seed: bytes = b""

    algorithm = PK_EDDSA

    def _private(self) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.seed)

    def material(self) -> bytes:
        public = self._private().public_key().public_bytes_raw()
        point = int.from_bytes(b"\x40" + public, "big")  # 0x40: the native point format prefix
        return bytes([len(OID_ED25519)]) + OID_ED25519 + mpi(point)

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        sig = self._private().sign(digest)
        return mpi(int.from_bytes(sig[:32], "big")) + mpi(int.from_bytes(sig[32:], "big"))


@dataclass(frozen=True)
class RSAKey(Key):
    """RSA with PKCS#1 v1.5 signatures computed here (``pow``), from deterministic primes."""

    p: int = 0
    q: int = 0
    e: int = 65537

    algorithm = PK_RSA

    @property
    def n(self) -> int:
        return self.p * self.q

    def material(self) -> bytes:
        return mpi(self.n) + mpi(self.e)

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        k = (self.n.bit_length() + 7) // 8
        t = bytes.fromhex(HASHES[hash_name][2]) + digest
        em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        d = pow(self.e, -1, math.lcm(self.p - 1, self.q - 1))
        return mpi(pow(int.from_bytes(em, "big"), d, self.n))


@dataclass(frozen=True)
class ECDSAKey(Key):
    """ECDSA on NIST P-256 from a fixed scalar, with RFC 6979 deterministic nonces."""

    scalar: int = 0

    algorithm = PK_ECDSA

    def _private(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(self.scalar, ec.SECP256R1())

    def material(self) -> bytes:
        numbers = self._private().public_key().public_numbers()
        point = b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
        return bytes([len(OID_P256)]) + OID_P256 + mpi(int.from_bytes(point, "big"))

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        algorithm = {
            "SHA256": hashes.SHA256(),
            "SHA384": hashes.SHA384(),
            "SHA512": hashes.SHA512(),
        }
        der = self._private().sign(
            digest, ec.ECDSA(Prehashed(algorithm[hash_name]), deterministic_signing=True)
        )
        r, s = decode_dss_signature(der)
        return mpi(r) + mpi(s)


def seed(label: str) -> bytes:
    """The fixed 32-byte seed of a label."""
    return hashlib.sha256(b"pgpsig test vectors: " + label.encode()).digest()


SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]
MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53)


def is_probable_prime(n: int) -> bool:
    """Trial division, then Miller-Rabin with fixed bases (the candidates are not adversarial)."""
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def deterministic_prime(label: str, bits: int, e: int = 65537) -> int:
    """The first prime >= a start point drawn from SHA-256 of the label (counter mode), top two bits set."""
    stream = b"".join(seed(f"{label} #{i}") for i in range((bits + 255) // 256))
    candidate = int.from_bytes(stream, "big") >> (len(stream) * 8 - bits)
    candidate |= (3 << (bits - 2)) | 1
    while not (is_probable_prime(candidate) and math.gcd(e, candidate - 1) == 1):
        candidate += 2
    return candidate


def rsa_key(label: str, bits: int, created: int = T0) -> RSAKey:
    """An RSA key of exactly ``bits`` bits from two deterministic primes."""
    p = deterministic_prime(f"{label} p", bits // 2)
    q = deterministic_prime(f"{label} q", bits // 2)
    return RSAKey(label, created, p=p, q=q)


def ed25519_key(label: str, created: int = T0) -> Ed25519Key:
    return Ed25519Key(label, created, seed=seed(label))


def ecdsa_key(label: str, created: int = T0) -> ECDSAKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ECDSAKey(label, created, scalar=int.from_bytes(seed(label), "big") % (order - 1) + 1)


ALICE = ed25519_key("alice primary")
ALICE_SUB = ed25519_key("alice signing subkey")
ALICE_ENC = ed25519_key("alice encryption-flagged subkey")
BOB = ed25519_key("bob primary")
MALLORY = ed25519_key("mallory primary")
MALLORY_SUB = ed25519_key("mallory signing subkey")
ROB = rsa_key("rob rsa-2048", 2048)
WALT = rsa_key("walt rsa-1024", 1024)
ERIN = ecdsa_key("erin p-256")

ALICE_UID = "Alice Vector <alice@example.org>"
ALICE_UID2 = "Alice Second <alice2@example.org>"
BOB_UID = "Bob Vector <bob@example.org>"
MALLORY_UID = "Mallory Vector <mallory@example.org>"
ROB_UID = "Rob RSA-2048 <rob@example.org>"
WALT_UID = "Walt RSA-1024 <walt@example.org>"
ERIN_UID = "Erin P-256 <erin@example.org>"


# ---------------------------------------------------------------------------------------------
# Subpackets and signatures.


def subpacket(kind: int, data: bytes, *, critical: bool = False) -> bytes:
    """A signature subpacket: length (covering the type octet), type (bit 7 = critical), data."""
    return new_length(1 + len(data)) + bytes([kind | (0x80 if critical else 0)]) + data


def sp_created(t: int) -> bytes:
    return subpacket(SP_CREATED, t.to_bytes(4, "big"))


def sp_issuer(key: Key) -> bytes:
    return subpacket(SP_ISSUER, key.key_id)


def sp_issuer_fpr(key: Key) -> bytes:
    return subpacket(SP_ISSUER_FPR, b"\x04" + key.fingerprint)


def sp_key_flags(flags: int) -> bytes:
    return subpacket(SP_KEY_FLAGS, bytes([flags]))


def sp_key_expires(seconds_after_creation: int) -> bytes:
    return subpacket(SP_KEY_EXPIRES, seconds_after_creation.to_bytes(4, "big"))


def sp_sig_expires(seconds_after_creation: int) -> bytes:
    return subpacket(SP_SIG_EXPIRES, seconds_after_creation.to_bytes(4, "big"))


def sp_reason(code: int, text: str) -> bytes:
    return subpacket(SP_REASON, bytes([code]) + text.encode())


def sp_notation(name: str, value: str, *, critical: bool = False) -> bytes:
    """A human-readable notation (flag 0x80000000)."""
    n, v = name.encode(), value.encode()
    data = b"\x80\x00\x00\x00" + len(n).to_bytes(2, "big") + len(v).to_bytes(2, "big") + n + v
    return subpacket(SP_NOTATION, data, critical=critical)


def sp_revocation_key(revoker: Key) -> bytes:
    """Designates ``revoker`` as allowed to revoke this key (class 0x80)."""
    return subpacket(SP_REVOCATION_KEY, bytes([0x80, revoker.algorithm]) + revoker.fingerprint)


def sign(
    signer: Key,
    sig_type: int,
    payload: bytes,
    *,
    hashed: Sequence[bytes],
    unhashed: Sequence[bytes] = (),
    hash_name: str = "SHA256",
    corrupt: bool = False,
) -> bytes:
    """A v4 signature packet over ``payload`` with exactly the given subpacket areas.

    The digest covers ``payload``, the signature's first fields and hashed area, and the v4
    trailer (0x04 0xFF, four-octet length). ``corrupt`` flips a bit of the last signature octet, so
    the packet stays well formed (the left 16 bits of the digest still match) but does not verify.
    """
    return sign_hashed(
        signer,
        sig_type,
        hashlib.new(HASHES[hash_name][1], payload),
        hashed=hashed,
        unhashed=unhashed,
        hash_name=hash_name,
        corrupt=corrupt,
    )


def sign_hashed(
    signer: Key,
    sig_type: int,
    payload_hash: Any,
    *,
    hashed: Sequence[bytes],
    unhashed: Sequence[bytes] = (),
    hash_name: str = "SHA256",
    corrupt: bool = False,
) -> bytes:
    """:func:`sign`, the payload already fed to ``payload_hash`` (a ``hashlib`` object of
    ``hash_name``, updated in place): for payloads too large to hold."""
    hashed_area, unhashed_area = b"".join(hashed), b"".join(unhashed)
    head = bytes([4, sig_type, signer.algorithm, HASHES[hash_name][0]])
    head += len(hashed_area).to_bytes(2, "big") + hashed_area
    payload_hash.update(head + b"\x04\xff" + len(head).to_bytes(4, "big"))
    digest = payload_hash.digest()
    fields = signer.sign_digest(digest, hash_name)
    if corrupt:
        fields = fields[:-1] + bytes([fields[-1] ^ 0x01])
    body = head + len(unhashed_area).to_bytes(2, "big") + unhashed_area + digest[:2] + fields
    return old_packet(TAG_SIGNATURE, body)


def standard_sign(
    signer: Key,
    sig_type: int,
    payload: bytes,
    *,
    created: int,
    hashed: Sequence[bytes] = (),
    unhashed: Sequence[bytes] = (),
    hash_name: str = "SHA256",
    corrupt: bool = False,
) -> bytes:
    """A signature laid out as GnuPG 2.2 does: hashed creation time, extras, issuer fingerprint;
    the issuer key ID in the unhashed area."""
    return sign(
        signer,
        sig_type,
        payload,
        hashed=[sp_created(created), *hashed, sp_issuer_fpr(signer)],
        unhashed=[sp_issuer(signer), *unhashed],
        hash_name=hash_name,
        corrupt=corrupt,
    )


def uid_hashed_form(uid: str) -> bytes:
    data = uid.encode()
    return b"\xb4" + len(data).to_bytes(4, "big") + data


# ---------------------------------------------------------------------------------------------
# Certificates.


def user_id(
    primary: Key,
    uid: str,
    *,
    signer: Key | None = None,
    created: int | None = None,
    flags: int | None = FLAG_CERTIFY | FLAG_SIGN,
    key_expires: int | None = None,
    hash_name: str = "SHA256",
    extra_hashed: Sequence[bytes] = (),
    unhashed: Sequence[bytes] = (),
    corrupt: bool = False,
    sig_type: int = SIG_POSITIVE_CERT,
) -> bytes:
    """A user ID packet and its certification (a self-signature unless ``signer`` is another key).

    ``key_expires`` is an absolute time; ``flags=None`` leaves out the key-flags subpacket.
    """
    hashed = [*extra_hashed]
    if flags is not None:
        hashed.append(sp_key_flags(flags))
    if key_expires is not None:
        hashed.append(sp_key_expires(key_expires - primary.created))
    cert = standard_sign(
        signer or primary,
        sig_type,
        primary.hashed_form + uid_hashed_form(uid),
        created=primary.created if created is None else created,
        hashed=hashed,
        unhashed=unhashed,
        hash_name=hash_name,
        corrupt=corrupt,
    )
    return old_packet(TAG_USER_ID, uid.encode()) + cert


def certification(signer: Key, primary: Key, uid: str, *, sig_type: int, created: int) -> bytes:
    """A third-party certification (0x10-0x13) or certification revocation (0x30) of a user ID."""
    return standard_sign(
        signer, sig_type, primary.hashed_form + uid_hashed_form(uid), created=created
    )


def subkey(
    primary: Key,
    sub: Key,
    *,
    flags: int = FLAG_SIGN,
    bound_at: int | None = None,
    key_expires: int | None = None,
    backsig: bool = True,
    backsig_signer: Key | None = None,
    corrupt_binding: bool = False,
    binding: bool = True,
) -> bytes:
    """A subkey packet with its 0x18 binding by ``primary`` (embedding a 0x19 back-signature).

    ``backsig_signer`` makes the back-signature with another key than the subkey itself.
    """
    created = sub.created if bound_at is None else bound_at
    payload = primary.hashed_form + sub.hashed_form
    hashed = [sp_key_flags(flags)]
    if key_expires is not None:
        hashed.append(sp_key_expires(key_expires - sub.created))
    if backsig:
        back = standard_sign(backsig_signer or sub, SIG_PRIMARY_BINDING, payload, created=created)
        hashed.append(subpacket(SP_EMBEDDED_SIG, back[2:]))  # the packet body, without its header
    packets = sub.subkey_packet()
    if binding:
        packets += standard_sign(
            primary,
            SIG_SUBKEY_BINDING,
            payload,
            created=created,
            hashed=hashed,
            corrupt=corrupt_binding,
        )
    return packets


def key_revocation(
    primary: Key,
    *,
    created: int,
    reason: tuple[int, str] | None,
    signer: Key | None = None,
    corrupt: bool = False,
) -> bytes:
    """A 0x20 key revocation of ``primary`` (by itself unless ``signer`` is given)."""
    hashed = [] if reason is None else [sp_reason(*reason)]
    return standard_sign(
        signer or primary,
        SIG_KEY_REVOCATION,
        primary.hashed_form,
        created=created,
        hashed=hashed,
        corrupt=corrupt,
    )


def subkey_revocation(primary: Key, sub: Key, *, created: int, reason: tuple[int, str]) -> bytes:
    """A 0x28 subkey revocation made by the primary key."""
    return standard_sign(
        primary,
        SIG_SUBKEY_REVOCATION,
        primary.hashed_form + sub.hashed_form,
        created=created,
        hashed=[sp_reason(*reason)],
    )


def direct_key(primary: Key, *, created: int, hashed: Sequence[bytes]) -> bytes:
    """A 0x1F direct-key self-signature carrying ``hashed`` subpackets."""
    return standard_sign(
        primary, SIG_DIRECT_KEY, primary.hashed_form, created=created, hashed=hashed
    )


def self_signature(primary: Key, uid: str, **options: Any) -> bytes:
    """A self-signature over a user ID without the user ID packet: a further binding of a user ID
    already in the certificate (``options`` as for :func:`user_id`)."""
    return user_id(primary, uid, **options)[len(old_packet(TAG_USER_ID, uid.encode())) :]


def certificate(primary: Key, *parts: bytes) -> bytes:
    """A transferable public key: the primary key packet followed by ``parts`` in order."""
    return primary.primary_packet() + b"".join(parts)


def alice_cert(*parts: bytes, **uid_options: Any) -> bytes:
    """Alice's Ed25519 certificate: primary (sign+certify), one user ID self-signed with
    ``uid_options`` (see :func:`user_id`), then ``parts``."""
    return certificate(ALICE, user_id(ALICE, ALICE_UID, **uid_options), *parts)


def alice_with(*pre_uid: bytes, uid: bytes | None = None, post_uid: Sequence[bytes] = ()) -> bytes:
    """Alice's certificate with packets placed before the user ID (revocations, direct-key
    signatures), an optionally replaced user ID block, and packets after it (subkeys)."""
    return certificate(ALICE, *pre_uid, uid or user_id(ALICE, ALICE_UID), *post_uid)


# ---------------------------------------------------------------------------------------------
# Armor and the cleartext signature framework.


def crc24(data: bytes) -> int:
    """The CRC-24 of RFC 9580 section 6.1."""
    crc = 0xB704CE
    for octet in data:
        crc ^= octet << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(kind: str, data: bytes, *, crc: bool = True, headers: Sequence[str] = ()) -> str:
    """ASCII armor with 64-character lines and, unless ``crc`` is false, the CRC-24 line."""
    b64 = base64.b64encode(data).decode()
    lines = [f"-----BEGIN PGP {kind}-----", *headers, ""]
    lines += [b64[i : i + 64] for i in range(0, len(b64), 64)]
    if crc:
        lines.append("=" + base64.b64encode(crc24(data).to_bytes(3, "big")).decode())
    lines.append(f"-----END PGP {kind}-----")
    return "\n".join(lines) + "\n"


def dash_escape(text: str) -> str:
    """Prefix every line that starts with '-' with '- ' (RFC 9580 section 7.2)."""
    return "".join(
        "- " + line if line.startswith("-") else line for line in text.splitlines(keepends=True)
    )


def canonical_text(text: str) -> bytes:
    """What a 0x01 signature in a clear-signed frame covers: the text without its last line break,
    trailing spaces and tabs removed from every line, lines joined by CR LF."""
    assert text.endswith("\n"), "cleartext must end with the line break that precedes the armor"
    lines = text[:-1].split("\n")
    return "\r\n".join(line.removesuffix("\r").rstrip(" \t") for line in lines).encode()


def crlf(data: bytes) -> bytes:
    """What a detached 0x01 signature covers: the data with every line ending made CR LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def clearsigned(
    text: str,
    signatures: bytes,
    *,
    headers: Sequence[str] = ("Hash: SHA256",),
    blank_line: bool = True,
    escape: bool = True,
    crc: bool = True,
) -> str:
    """A cleartext-signed message: BEGIN line, armor headers, blank line, dash-escaped text, and the
    armored signature packets."""
    head = "-----BEGIN PGP SIGNED MESSAGE-----\n" + "".join(f"{h}\n" for h in headers)
    body = dash_escape(text) if escape else text
    return head + ("\n" if blank_line else "") + body + armor("SIGNATURE", signatures, crc=crc)


def text_sig(signer: Key, text: str, *, created: int = T2, hash_name: str = "SHA256") -> bytes:
    """A 0x01 signature over the canonical form of clear-signed ``text``."""
    return standard_sign(
        signer, SIG_TEXT, canonical_text(text), created=created, hash_name=hash_name
    )


# ---------------------------------------------------------------------------------------------
# Vectors: files plus expected verdicts.

MESSAGE = (
    "pgpsig test vector message\n"
    "This text is signed. Any change to it must make verification fail.\n"
)
MESSAGE_BYTES = MESSAGE.encode()
CLEARTEXT = (
    "pgpsig clear-signed test vector\n"
    "Only the text between the header block and the signature armor is signed.\n"
)


@dataclass(frozen=True)
class Vector:
    """One row of expected.json: how to run ``pgpsig verify`` on files and what it must answer."""

    name: str
    cert: tuple[str, ...]
    signature: str
    data: str | None
    exit: int
    threat: str
    defect: str
    args: tuple[str, ...] = ()
    max_good: int = 0
    origin: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "cert": list(self.cert),
            "signature": self.signature,
            "data": self.data,
            "args": list(self.args),
            "at": AT_ISO,
            "exit": self.exit,
            "max_good": self.max_good,
            "threat": self.threat,
            "defect": self.defect,
            "origin": self.origin,
        }


class Output:
    """The files of the vectors, by path relative to the vectors folder."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, content: bytes | str) -> str:
        data = content.encode() if isinstance(content, str) else content
        if self.files.get(path, data) != data:
            raise ValueError(f"two different contents for {path}")
        self.files[path] = data
        return path


Maker = Callable[[Output], Iterable[Vector]]
MAKERS: list[Maker] = []


def maker(fn: Callable[[Output], Iterable[Vector]]) -> Maker:
    """Register a vector-making function; its name becomes each vector's ``origin``."""

    def wrapped(out: Output) -> list[Vector]:
        return [dataclasses.replace(v, origin=fn.__name__) for v in fn(out)]

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    MAKERS.append(wrapped)
    return wrapped


# Shared files: the baseline certificates and the signed message.
KEY_ALICE = "keys/alice.pgp"
KEY_ALICE_ASC = "keys/alice.asc"
KEY_BOB = "keys/bob.pgp"
KEY_ROB = "keys/rob-rsa2048.pgp"
KEY_ERIN = "keys/erin-p256.pgp"
DATA_MESSAGE = "data/message.txt"


def write_shared(out: Output) -> None:
    """The certificates and data that many vectors share."""
    alice = alice_cert()
    out.add(KEY_ALICE, alice)
    out.add(KEY_ALICE_ASC, armor("PUBLIC KEY BLOCK", alice))
    out.add(KEY_BOB, certificate(BOB, user_id(BOB, BOB_UID)))
    out.add(KEY_ROB, certificate(ROB, user_id(ROB, ROB_UID)))
    out.add(KEY_ERIN, certificate(ERIN, user_id(ERIN, ERIN_UID)))
    out.add(DATA_MESSAGE, MESSAGE_BYTES)


def detached(
    out: Output,
    stem: str,
    *,
    sig: bytes,
    cert: bytes | Sequence[str] = (KEY_ALICE,),
    data: bytes | None = None,
    exit: int,  # noqa: A002 - the field name of expected.json
    threat: str,
    defect: str,
    name: str | None = None,
    args: Sequence[str] = (),
    max_good: int = 0,
    extra_certs: Sequence[str] = (),
    sig_suffix: str = ".sig",
) -> Vector:
    """Write ``STEM.sig`` (and ``STEM.cert.pgp`` / ``STEM.txt`` when given as bytes) as one vector."""
    certs = [out.add(f"{stem}.cert.pgp", cert)] if isinstance(cert, bytes) else list(cert)
    data_path = DATA_MESSAGE if data is None else out.add(f"{stem}.txt", data)
    return Vector(
        name=name or stem.rsplit("/", 1)[1],
        cert=(*certs, *extra_certs),
        signature=out.add(stem + sig_suffix, sig),
        data=data_path,
        exit=exit,
        threat=threat,
        defect=defect,
        args=tuple(args),
        max_good=max_good,
    )


def inline(
    out: Output,
    stem: str,
    *,
    message: str | bytes,
    cert: bytes | Sequence[str] = (KEY_ALICE_ASC,),
    exit: int,  # noqa: A002 - the field name of expected.json
    threat: str,
    defect: str,
    name: str | None = None,
    args: Sequence[str] = (),
    max_good: int = 0,
) -> Vector:
    """Write a clear-signed ``STEM.asc`` (and ``STEM.cert.pgp`` when the cert is bytes) as one vector."""
    certs = [out.add(f"{stem}.cert.pgp", cert)] if isinstance(cert, bytes) else list(cert)
    return Vector(
        name=name or stem.rsplit("/", 1)[1],
        cert=tuple(certs),
        signature=out.add(f"{stem}.asc", message),
        data=None,
        exit=exit,
        threat=threat,
        defect=defect,
        args=tuple(args),
        max_good=max_good,
    )


def data_sig(signer: Key, data: bytes = MESSAGE_BYTES, **options: object) -> bytes:
    """A 0x00 data signature at T2 over ``data`` (options go to :func:`standard_sign`)."""
    options.setdefault("created", T2)
    return standard_sign(signer, SIG_BINARY, data, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Good baselines.


@maker
def good_baselines(out: Output) -> Iterable[Vector]:
    """Good signatures: the positive controls (no defect) every verifier must accept."""
    yield inline(
        out,
        "clearsign/good-ed25519",
        message=clearsigned(CLEARTEXT, text_sig(ALICE, CLEARTEXT)),
        exit=0,
        threat=T_SIG_TYPE_CONTEXT,
        defect="none: Ed25519 primary key, 0x01 signature in a clear-signed frame, armored cert",
    )
    yield detached(
        out,
        "sig/good-binary",
        sig=data_sig(ALICE),
        exit=0,
        threat=T_SIG_TYPE_CONTEXT,
        defect="none: Ed25519 primary key, detached 0x00 (binary) signature",
    )
    yield detached(
        out,
        "sig/good-text",
        sig=standard_sign(ALICE, SIG_TEXT, crlf(MESSAGE_BYTES), created=T2),
        exit=0,
        threat=T_SIG_TYPE_CONTEXT,
        defect="none: detached 0x01 (text) signature over LF text, so CR LF canonicalisation is needed",
    )
    yield detached(
        out,
        "sig/good-armored",
        sig=armor("SIGNATURE", data_sig(ALICE)).encode(),
        cert=(KEY_ALICE_ASC,),
        sig_suffix=".sig.asc",
        exit=0,
        threat=T_SIG_TYPE_CONTEXT,
        defect="none: armored detached signature and armored certificate",
    )
    yield detached(
        out,
        "sig/good-sha512",
        sig=data_sig(ALICE, hash_name="SHA512"),
        exit=0,
        threat=T_HASH_POLICY,
        defect="none: SHA-512 data signature (GnuPG's choice for Ed25519)",
    )
    yield detached(
        out,
        "sig/good-rsa2048",
        sig=data_sig(ROB),
        cert=(KEY_ROB,),
        exit=0,
        threat=T_WEAK_KEYS,
        defect="none: RSA-2048 key, SHA-256 PKCS#1 v1.5 signature",
    )
    yield detached(
        out,
        "sig/good-ecdsa-p256",
        sig=data_sig(ERIN),
        cert=(KEY_ERIN,),
        exit=0,
        threat=T_BASELINE,
        defect="none: ECDSA P-256 key, SHA-256 signature with an RFC 6979 nonce",
    )
    yield detached(
        out,
        "sig/good-new-format-packets",
        sig=to_new_format(data_sig(ROB)),
        cert=to_new_format(certificate(ROB, user_id(ROB, ROB_UID))),
        exit=0,
        threat=T_PARSER,
        defect="none: new-format packet headers with two-octet lengths (the others are old-format)",
    )


@maker
def good_signing_subkey(out: Output) -> Iterable[Vector]:
    """A signing subkey with a proper 0x18 binding that embeds the 0x19 back-signature."""
    yield detached(
        out,
        "sig/good-signing-subkey",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB)),
        exit=0,
        threat=T_BACKSIG,
        defect="none: data signed by a properly bound signing subkey (0x18 with embedded 0x19)",
    )


@maker
def issuer_fingerprint_only(out: Output) -> Iterable[Vector]:
    """A signature that names its issuer only by fingerprint (no issuer key-ID subpacket)."""
    sig = sign(ALICE, SIG_BINARY, MESSAGE_BYTES, hashed=[sp_created(T2), sp_issuer_fpr(ALICE)])
    yield detached(
        out,
        "sig/issuer-fingerprint-only",
        sig=sig,
        exit=0,
        threat=T_ISSUER_FPR,
        defect="none: issuer fingerprint subpacket only, no issuer key ID anywhere",
    )


@maker
def noncritical_unknowns(out: Output) -> Iterable[Vector]:
    """Non-critical unknown subpacket and non-critical unknown notation: both must be ignored."""
    sig = data_sig(
        ALICE,
        hashed=[
            subpacket(SP_EXPERIMENTAL, b"ignore me"),
            sp_notation("unknown-notation@pgpsig.example.org", "ignore me"),
        ],
    )
    yield detached(
        out,
        "sig/noncritical-unknown-subpacket-and-notation",
        sig=sig,
        exit=0,
        threat=T_CRITICAL,
        defect="none: unknown subpacket 101 and unknown notation, both non-critical, in the hashed area",
    )


# ---------------------------------------------------------------------------------------------
# Data and signature types.


@maker
def altered_data(out: Output) -> Iterable[Vector]:
    """The signature is good for the message, but the data file was altered afterwards."""
    yield detached(
        out,
        "sig/altered-data",
        sig=data_sig(ALICE),
        data=MESSAGE_BYTES.replace(b"must", b"need not"),
        exit=1,
        threat=T_BASELINE,
        defect="data altered after signing (bad signature)",
    )
    altered = CLEARTEXT.replace("Only", "All")
    yield inline(
        out,
        "clearsign/altered-text",
        message=clearsigned(altered, text_sig(ALICE, CLEARTEXT)),
        exit=1,
        threat=T_BASELINE,
        defect="clear-signed text altered after signing (bad signature)",
    )


@maker
def unknown_signer(out: Output) -> Iterable[Vector]:
    """A good signature by a key that is not in the keyring."""
    yield detached(
        out,
        "sig/unknown-signer",
        sig=data_sig(BOB),
        exit=1,
        threat=T_BASELINE,
        defect="signed by Bob, keyring holds only Alice (unknown key)",
    )


@maker
def binary_sig_in_clearsigned_frame(out: Output) -> Iterable[Vector]:
    """A 0x00 (binary) signature over the canonical text inside a clear-signed frame."""
    sig = standard_sign(ALICE, SIG_BINARY, canonical_text(CLEARTEXT), created=T2)
    yield inline(
        out,
        "clearsign/sig-type-binary",
        message=clearsigned(CLEARTEXT, sig),
        exit=1,
        threat=T_TYPE_CONFUSION,
        defect="signature type 0x00 in a clear-signed frame (only 0x01 belongs there)",
    )


@maker
def non_data_sig_types(out: Output) -> Iterable[Vector]:
    """Key, certification and timestamp signature types used as detached data signatures."""
    names = {
        SIG_GENERIC_CERT: "generic certification",
        SIG_POSITIVE_CERT: "positive certification",
        SIG_SUBKEY_BINDING: "subkey binding",
        SIG_DIRECT_KEY: "direct-key signature",
        SIG_TIMESTAMP: "timestamp signature",
    }
    for sig_type, what in names.items():
        yield detached(
            out,
            f"sig/sig-type-0x{sig_type:02x}",
            sig=standard_sign(ALICE, sig_type, MESSAGE_BYTES, created=T2),
            exit=1,
            threat=T_TYPE_CONFUSION,
            defect=f"signature type 0x{sig_type:02X} ({what}) computed over the data",
        )


# ---------------------------------------------------------------------------------------------
# Signature creation and expiration times.


@maker
def creation_time_unhashed(out: Output) -> Iterable[Vector]:
    """The signature creation time sits only in the unhashed (unauthenticated) area."""
    sig = sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[sp_issuer_fpr(ALICE)],
        unhashed=[sp_created(T2), sp_issuer(ALICE)],
    )
    yield detached(
        out,
        "sig/creation-time-unhashed",
        sig=sig,
        exit=1,
        threat=T_UNHASHED,
        defect="creation time subpacket only in the unhashed area",
    )


@maker
def creation_time_missing(out: Output) -> Iterable[Vector]:
    """The signature has no creation time subpacket at all."""
    sig = sign(
        ALICE, SIG_BINARY, MESSAGE_BYTES, hashed=[sp_issuer_fpr(ALICE)], unhashed=[sp_issuer(ALICE)]
    )
    yield detached(
        out,
        "sig/creation-time-missing",
        sig=sig,
        exit=1,
        threat=T_SIG_TIME,
        defect="no creation time subpacket",
    )


@maker
def signature_times(out: Output) -> Iterable[Vector]:
    """Signature made after the reference time, before its key existed, or expired."""
    yield detached(
        out,
        "timeline/sig-created-after-at",
        sig=data_sig(ALICE, created=T_FUTURE),
        exit=1,
        threat=T_SIG_TIME,
        defect="signature created one day after --at (in the future)",
    )
    yield detached(
        out,
        "timeline/sig-older-than-key",
        sig=data_sig(ALICE, created=T_BEFORE_KEY),
        exit=1,
        threat=T_SIG_TIME,
        defect="signature created a month before its key",
    )
    yield detached(
        out,
        "timeline/sig-expired-before-at",
        sig=data_sig(ALICE, hashed=[sp_sig_expires(30 * DAY)]),
        exit=1,
        threat=T_SIG_TIME,
        defect="signature made at t2 expires 30 days later, long before --at",
    )
    yield detached(
        out,
        "timeline/sig-expires-after-at",
        sig=data_sig(ALICE, hashed=[sp_sig_expires(AT - T2 + 30 * DAY)]),
        exit=0,
        threat=T_SIG_TIME,
        defect="none: signature expiry 30 days after --at",
    )


# ---------------------------------------------------------------------------------------------
# Key expiry.


@maker
def key_expiry(out: Output) -> Iterable[Vector]:
    """Key expiry from the user ID self-signature, judged at the signature's creation time."""
    yield detached(
        out,
        "timeline/key-expired-before-sig",
        sig=data_sig(ALICE),
        cert=alice_cert(key_expires=T1),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="key expires at t1 (self-signature), signature made at t2",
    )
    yield detached(
        out,
        "timeline/key-expires-between-sig-and-at",
        sig=data_sig(ALICE),
        cert=alice_cert(key_expires=T3),
        exit=0,
        threat=T_KEY_EXPIRY,
        defect="none: key expires at t3, after the signature (t2) but before --at",
    )


@maker
def direct_key_expiry(out: Output) -> Iterable[Vector]:
    """A 0x1F direct-key signature gives the key an expiry before the data signature; the user ID
    self-signature says nothing about expiry."""
    cert = alice_with(direct_key(ALICE, created=T0, hashed=[sp_key_expires(T1 - T0)]))
    yield detached(
        out,
        "timeline/direct-key-expired-before-sig",
        sig=data_sig(ALICE),
        cert=cert,
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="direct-key signature (0x1F) expires the key at t1, signature made at t2",
    )


@maker
def subkey_expiry(out: Output) -> Iterable[Vector]:
    """The signing subkey's binding gives it an expiry before the data signature."""
    yield detached(
        out,
        "timeline/subkey-expired-before-sig",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, key_expires=T1)),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="signing subkey expires at t1 (binding signature), signature made at t2",
    )


@maker
def expiry_kept_across_components(out: Output) -> Iterable[Vector]:
    """A key expiry stated by one self-signature in force is not cancelled by a newer
    self-signature of another component (direct-key signature or user ID binding) that states
    none: the primary key expires at the earliest expiry of the self-signatures in force."""
    yield detached(
        out,
        "timeline/uid-expiry-t1-newer-direct-key-without-expiry",
        sig=data_sig(ALICE),
        cert=alice_with(
            direct_key(ALICE, created=T0 + DAY, hashed=[]),
            uid=user_id(ALICE, ALICE_UID, key_expires=T1),
        ),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="the user ID binding (t0) expires the key at t1; a newer direct-key signature "
        "(t0 + 1 day) states no expiry and does not cancel it",
    )
    yield detached(
        out,
        "timeline/direct-key-expiry-t1-newer-uid-without-expiry",
        sig=data_sig(ALICE),
        cert=alice_with(
            direct_key(ALICE, created=T0, hashed=[sp_key_expires(T1 - T0)]),
            uid=user_id(ALICE, ALICE_UID, created=T0 + DAY),
        ),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="the direct-key signature (t0) expires the key at t1; the only user ID binding is "
        "newer (t0 + 1 day) and states no expiry",
    )
    yield detached(
        out,
        "timeline/direct-key-expiry-t3-uid-without-expiry",
        sig=data_sig(ALICE),
        cert=alice_with(direct_key(ALICE, created=T0, hashed=[sp_key_expires(T3 - T0)])),
        exit=0,
        threat=T_KEY_EXPIRY,
        defect="none: the direct-key signature expires the key at t3, after the t2 signature; "
        "the user ID binding states no expiry",
    )


@maker
def expiry_on_one_of_two_user_ids(out: Output) -> Iterable[Vector]:
    """Two user IDs, one binding with a key expiry: the primary user ID's binding counts (when
    one is flagged primary), or every user ID's (when none is); a newer binding of another user ID
    without an expiry does not cancel it."""
    primary_flag = [subpacket(SP_PRIMARY_UID, b"\x01")]
    yield detached(
        out,
        "timeline/primary-uid-expiry-t1-other-uid-newer-without-expiry",
        sig=data_sig(ALICE),
        cert=certificate(
            ALICE,
            user_id(ALICE, ALICE_UID, key_expires=T1, extra_hashed=primary_flag),
            user_id(ALICE, ALICE_UID2, created=T0 + DAY),
        ),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="the user ID flagged primary expires the key at t1; a second user ID, bound later "
        "(t0 + 1 day) without an expiry, is not primary",
    )
    yield detached(
        out,
        "timeline/no-primary-uid-one-uid-expiry-t1",
        sig=data_sig(ALICE),
        cert=certificate(
            ALICE,
            user_id(ALICE, ALICE_UID, key_expires=T1),
            user_id(ALICE, ALICE_UID2, created=T0 + DAY),
        ),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="no user ID flagged primary; the first one's binding (t0) expires the key at t1, "
        "the second one's (t0 + 1 day) states no expiry",
    )


@maker
def expiry_extended(out: Output) -> Iterable[Vector]:
    """Within one component the newest binding in force replaces older ones: a newer self-signature
    on the same user ID without an expiry extends the key (the control of the two makers above)."""
    yield detached(
        out,
        "timeline/uid-expiry-t1-extended-by-newer-self-sig",
        sig=data_sig(ALICE),
        cert=alice_cert(self_signature(ALICE, ALICE_UID, created=T0 + DAY), key_expires=T1),
        exit=0,
        threat=T_KEY_EXPIRY,
        defect="none: the user ID binding (t0) expires the key at t1; a newer binding of the same "
        "user ID (t0 + 1 day) states no expiry, so the owner extended the key",
    )


@maker
def malformed_expiry_subpackets(out: Output) -> Iterable[Vector]:
    """A key-expiration (9) or signature-expiration (3) subpacket of 3 octets instead of 4: the
    signature that carries it is unusable, critical bit or not (fail closed; read as 0 or skipped,
    either would mean "never expires")."""
    for critical in (False, True):
        suffix, what = ("-critical", "critical") if critical else ("", "non-critical")
        wrong = subpacket(SP_KEY_EXPIRES, b"\x00\x00\x00", critical=critical)
        yield detached(
            out,
            f"sig/key-expiry-subpacket-3-octets{suffix}",
            sig=data_sig(ALICE),
            cert=alice_cert(extra_hashed=[wrong]),
            exit=1,
            threat=T_KEY_EXPIRY,
            defect=f"the only self-signature carries a {what} key-expiration subpacket of 3 "
            "octets (4 expected): no usable self-signature",
        )
    for critical in (False, True):
        suffix, what = ("-critical", "critical") if critical else ("", "non-critical")
        wrong = subpacket(SP_SIG_EXPIRES, b"\x00\x00\x00", critical=critical)
        yield detached(
            out,
            f"sig/sig-expiry-subpacket-3-octets{suffix}",
            sig=data_sig(ALICE, hashed=[wrong]),
            exit=1,
            threat=T_SIG_TIME,
            defect=f"the data signature carries a {what} signature-expiration subpacket of 3 "
            "octets (4 expected)",
        )


@maker
def duplicate_expiry_subpacket(out: Output) -> Iterable[Vector]:
    """Two key-expiration subpackets in one self-signature (t3, then t1): which one counts is not
    agreed (Sequoia takes the last, gpg the first), so the self-signature is unusable."""
    yield detached(
        out,
        "sig/key-expiry-subpacket-twice",
        sig=data_sig(ALICE),
        cert=alice_cert(extra_hashed=[sp_key_expires(T3 - T0), sp_key_expires(T1 - T0)]),
        exit=1,
        threat=T_KEY_EXPIRY,
        defect="the only self-signature states two key expirations (t3, then t1): no usable "
        "self-signature",
    )


@maker
def primary_flags_from_primary_user_id(out: Output) -> Iterable[Vector]:
    """The primary key's flags come from the self-signatures that state its properties (the
    primary user ID's binding, the direct-key signature), as its expiry does: a newer binding of
    another user ID that grants Sign does not make a certify-only key a signing key."""
    primary_flag = [subpacket(SP_PRIMARY_UID, b"\x01")]
    yield detached(
        out,
        "timeline/primary-uid-certify-only-newer-uid-signs",
        sig=data_sig(ALICE),
        cert=certificate(
            ALICE,
            user_id(ALICE, ALICE_UID, flags=FLAG_CERTIFY, extra_hashed=primary_flag),
            user_id(ALICE, ALICE_UID2, created=T0 + DAY),
        ),
        exit=1,
        threat=T_KEY_FLAGS,
        defect="the user ID flagged primary makes the key certify-only; a second user ID bound "
        "later (t0 + 1 day) grants Sign and is not primary",
    )


# ---------------------------------------------------------------------------------------------
# Critical subpackets.


@maker
def critical_unknowns(out: Output) -> Iterable[Vector]:
    """A critical unknown subpacket, and a critical unknown notation: each invalidates."""
    yield detached(
        out,
        "sig/critical-unknown-subpacket",
        sig=data_sig(ALICE, hashed=[subpacket(SP_EXPERIMENTAL, b"x", critical=True)]),
        exit=1,
        threat=T_CRITICAL,
        defect="critical unknown subpacket (type 101) in the hashed area",
    )
    notation = sp_notation("unknown-notation@pgpsig.example.org", "x", critical=True)
    yield detached(
        out,
        "sig/critical-unknown-notation",
        sig=data_sig(ALICE, hashed=[notation]),
        exit=1,
        threat=T_CRITICAL,
        defect="critical notation with an unknown name",
    )


# ---------------------------------------------------------------------------------------------
# Subkeys, key flags and user ID bindings.


@maker
def subkey_grafted(out: Output) -> Iterable[Vector]:
    """Mallory's signing subkey, with Mallory's own binding, grafted onto Alice's certificate."""
    yield detached(
        out,
        "sig/subkey-grafted",
        sig=data_sig(MALLORY_SUB),
        cert=alice_cert(subkey(MALLORY, MALLORY_SUB)),
        exit=1,
        threat=T_GRAFTING,
        defect="subkey bound by another primary (Mallory) attached to Alice's certificate",
    )


@maker
def subkey_no_backsig(out: Output) -> Iterable[Vector]:
    """A signing subkey bound by the primary, without the 0x19 back-signature."""
    yield detached(
        out,
        "sig/subkey-no-backsig",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, backsig=False)),
        exit=1,
        threat=T_BACKSIG,
        defect="signing subkey binding has no embedded 0x19 back-signature",
    )


@maker
def subkey_backsig_by_other_key(out: Output) -> Iterable[Vector]:
    """The embedded 0x19 back-signature is made by Bob's key instead of the subkey."""
    yield detached(
        out,
        "sig/subkey-backsig-by-other-key",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, backsig_signer=BOB)),
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=T_BACKSIG,
        defect="0x19 back-signature made by another key (Bob, whose cert is in the keyring)",
    )


@maker
def subkey_encrypt_only(out: Output) -> Iterable[Vector]:
    """A subkey flagged for encryption only (0x0C), with a back-signature, signs data."""
    yield detached(
        out,
        "sig/subkey-encrypt-only",
        sig=data_sig(ALICE_ENC),
        cert=alice_cert(subkey(ALICE, ALICE_ENC, flags=FLAG_ENCRYPT_COMMS | FLAG_ENCRYPT_STORAGE)),
        exit=1,
        threat=T_KEY_FLAGS,
        defect="data signed by a subkey whose key flags are 0x0C (encrypt only)",
    )


@maker
def primary_certify_only(out: Output) -> Iterable[Vector]:
    """The primary key's self-signature grants Certify only, yet the primary signs data."""
    yield detached(
        out,
        "sig/primary-certify-only",
        sig=data_sig(ALICE),
        cert=alice_cert(flags=FLAG_CERTIFY),
        exit=1,
        threat=T_KEY_FLAGS,
        defect="primary key flags are 0x01 (certify only) and the primary signs data",
    )


@maker
def sign_flag_unhashed(out: Output) -> Iterable[Vector]:
    """The self-signature grants Certify in its hashed area; Sign+Certify appears only unhashed."""
    cert = alice_cert(flags=FLAG_CERTIFY, unhashed=[sp_key_flags(FLAG_CERTIFY | FLAG_SIGN)])
    yield detached(
        out,
        "sig/uid-selfsig-sign-flag-unhashed",
        sig=data_sig(ALICE),
        cert=cert,
        exit=1,
        threat=T_UNHASHED,
        defect="Sign key flag only in the unhashed area of the self-signature (hashed: certify only)",
    )


@maker
def subkey_unbound(out: Output) -> Iterable[Vector]:
    """A subkey packet with no binding signature at all signs data."""
    yield detached(
        out,
        "sig/subkey-unbound",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, binding=False)),
        exit=1,
        threat=T_BINDING,
        defect="subkey without a binding signature",
    )


@maker
def subkey_binding_bad(out: Output) -> Iterable[Vector]:
    """The subkey binding signature does not verify."""
    yield detached(
        out,
        "sig/subkey-binding-bad-signature",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, corrupt_binding=True)),
        exit=1,
        threat=T_BINDING,
        defect="subkey binding signature with corrupted signature bytes",
    )


@maker
def subkey_bound_after_sig(out: Output) -> Iterable[Vector]:
    """The subkey (created at t0) was bound only at t3, after the data signature (t2)."""
    yield detached(
        out,
        "timeline/subkey-bound-after-sig",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(subkey(ALICE, ALICE_SUB, bound_at=T3)),
        exit=1,
        threat=T_BINDING,
        defect="binding (and back-signature) made at t3, data signature at t2",
    )


@maker
def uid_selfsig_bad(out: Output) -> Iterable[Vector]:
    """The only user ID self-signature does not verify, so nothing binds the key to a user ID."""
    yield detached(
        out,
        "sig/uid-selfsig-bad-signature",
        sig=data_sig(ALICE),
        cert=alice_cert(corrupt=True),
        exit=1,
        threat=T_SELF_SIGS,
        defect="the only user ID self-signature (0x13) has corrupted signature bytes",
    )


@maker
def uid_certified_by_third_party_only(out: Output) -> Iterable[Vector]:
    """Alice's user ID carries a 0x13 certification by Bob and no self-signature."""
    uid = user_id(ALICE, ALICE_UID, signer=BOB, flags=None)
    yield detached(
        out,
        "sig/uid-certified-only-by-third-party",
        sig=data_sig(ALICE),
        cert=alice_with(uid=uid),
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=T_SELF_SIGS,
        defect="the user ID's only certification is Bob's, not a self-signature",
    )


@maker
def certification_revocation(out: Output) -> Iterable[Vector]:
    """Bob certified Alice's user ID (0x10) and revoked that certification (0x30); neither touches
    Alice's own validity."""
    post = [
        certification(BOB, ALICE, ALICE_UID, sig_type=SIG_GENERIC_CERT, created=T0 + DAY),
        certification(BOB, ALICE, ALICE_UID, sig_type=SIG_CERT_REVOCATION, created=T1),
    ]
    cert = certificate(ALICE, user_id(ALICE, ALICE_UID), *post)
    yield detached(
        out,
        "sig/third-party-certification-revoked",
        sig=data_sig(ALICE),
        cert=cert,
        extra_certs=(KEY_BOB,),
        exit=0,
        threat=T_CERTIFICATIONS,
        defect="none: a third-party certification and its 0x30 revocation are not key revocations",
    )


@maker
def status_injection(out: Output) -> Iterable[Vector]:
    """A user ID and a notation that contain a newline and a fake GnuPG status line."""
    uid = "Ivy Vector <ivy@example.org>\n[GNUPG:] GOODSIG 0000000000000000 Trusted Signer"
    notation = sp_notation("note@pgpsig.example.org", "fine\n[GNUPG:] VALIDSIG 0000")
    yield detached(
        out,
        "sig/status-injection-uid-and-notation",
        sig=data_sig(ALICE, hashed=[notation]),
        cert=certificate(ALICE, user_id(ALICE, uid)),
        exit=0,
        threat=T_INJECTION,
        defect="none: user ID and notation with a newline and a fake [GNUPG:] status line",
    )


# ---------------------------------------------------------------------------------------------
# Revocations.

HARD_REASONS = {  # vector suffix: reason subpacket (None: no reason subpacket at all)
    "no-reason": None,
    "unspecified": (REASON_UNSPECIFIED, "unspecified"),
    "compromised": (REASON_COMPROMISED, "key material compromised"),
    "unknown-200": (200, "reason code 200 is not assigned"),
    "private-100": (100, "private-use reason code"),
}
SOFT_REASONS = {
    "superseded": (REASON_SUPERSEDED, "superseded by a new key"),
    "retired": (REASON_RETIRED, "key retired"),
}


@maker
def hard_revocations(out: Output) -> Iterable[Vector]:
    """Hard key revocations (no reason, unspecified, compromised, unknown, private) at t1 or t3:
    a hard revocation invalidates signatures made before it as well as after it."""
    for suffix, reason in HARD_REASONS.items():
        for when, t, relation in (("t1", T1, "before"), ("t3", T3, "after")):
            threat = T_PRIVATE_REASON if suffix == "private-100" else T_REVOCATION
            code = "no reason subpacket" if reason is None else f"reason {reason[0]}"
            yield detached(
                out,
                f"timeline/revoked-hard-{suffix}-{when}-sig-t2",
                sig=data_sig(ALICE),
                cert=alice_with(key_revocation(ALICE, created=t, reason=reason)),
                exit=1,
                threat=threat,
                defect=f"hard key revocation ({code}) at {when}, {relation} the t2 signature",
            )


@maker
def soft_revocations(out: Output) -> Iterable[Vector]:
    """Soft key revocations (superseded, retired): they invalidate only signatures made after them."""
    for suffix, reason in SOFT_REASONS.items():
        for when, t, exit_code in (("t1", T1, 1), ("t3", T3, 0)):
            relation = "before" if t < T2 else "after"
            yield detached(
                out,
                f"timeline/revoked-soft-{suffix}-{when}-sig-t2",
                sig=data_sig(ALICE),
                cert=alice_with(key_revocation(ALICE, created=t, reason=reason)),
                exit=exit_code,
                threat=T_REVOKED_EXPIRED,
                defect=f"soft key revocation (reason {reason[0]}) at {when}, {relation} the t2 signature",
            )


@maker
def revocation_bad_signature(out: Output) -> Iterable[Vector]:
    """A key revocation whose signature does not verify: it must be ignored."""
    revocation = key_revocation(ALICE, created=T1, reason=HARD_REASONS["compromised"], corrupt=True)
    yield detached(
        out,
        "timeline/revocation-bad-signature",
        sig=data_sig(ALICE),
        cert=alice_with(revocation),
        exit=0,
        threat=T_REVOCATION,
        defect="none: hard revocation at t1 with corrupted signature bytes is ignored",
    )


@maker
def revocation_by_unrelated_key(out: Output) -> Iterable[Vector]:
    """Bob, who is not a designated revoker, issues a 0x20 revocation of Alice's key."""
    revocation = key_revocation(ALICE, created=T1, reason=HARD_REASONS["compromised"], signer=BOB)
    yield detached(
        out,
        "timeline/revocation-by-unrelated-key",
        sig=data_sig(ALICE),
        cert=alice_with(revocation),
        extra_certs=(KEY_BOB,),
        exit=0,
        threat=T_REVOKED_EXPIRED,
        defect="none: hard revocation by Bob (not a designated revoker; his cert is in the keyring)",
    )


@maker
def revocation_by_designated_revoker(out: Output) -> Iterable[Vector]:
    """Alice's direct-key signature designates Bob as revoker; Bob revokes Alice's key (hard)."""
    designation = direct_key(ALICE, created=T0, hashed=[sp_revocation_key(BOB)])
    revocation = key_revocation(ALICE, created=T1, reason=HARD_REASONS["compromised"], signer=BOB)
    yield detached(
        out,
        "timeline/revoked-by-designated-revoker",
        sig=data_sig(ALICE),
        cert=alice_with(designation, revocation),
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=T_REVOKED_EXPIRED,
        defect="hard revocation at t1 by the designated revoker Bob (his cert is in the keyring)",
    )


@maker
def subkey_revocations(out: Output) -> Iterable[Vector]:
    """Subkey revocations (0x28) at t3, after the signature: hard invalidates, soft does not."""
    for suffix, reason, exit_code in (
        ("hard-compromised", HARD_REASONS["compromised"], 1),
        ("soft-superseded", SOFT_REASONS["superseded"], 0),
    ):
        revocation = subkey_revocation(ALICE, ALICE_SUB, created=T3, reason=reason)
        yield detached(
            out,
            f"timeline/subkey-revoked-{suffix}-t3-sig-t2",
            sig=data_sig(ALICE_SUB),
            cert=alice_cert(subkey(ALICE, ALICE_SUB) + revocation),
            exit=exit_code,
            threat=T_REVOCATION,
            defect=f"signing subkey revoked (0x28, reason {reason[0]}) at t3, after the t2 signature"
            + ("" if exit_code else "; soft, so the signature stands"),
        )


@maker
def revocations_dated_after_at(out: Output) -> Iterable[Vector]:
    """Key revocations dated after --at, of a signature made before it: a hard one counts whatever
    its date (whoever stole the key chooses the date), a soft one is not known yet at --at."""
    for kind, reason, exit_code in (
        ("hard-compromised", HARD_REASONS["compromised"], 1),
        ("soft-retired", SOFT_REASONS["retired"], 0),
    ):
        yield detached(
            out,
            f"timeline/revoked-{kind}-after-at-sig-t2",
            sig=data_sig(ALICE),
            cert=alice_with(key_revocation(ALICE, created=T_AFTER_AT, reason=reason)),
            exit=exit_code,
            threat=T_REVOKED_EXPIRED,
            defect=f"{kind.split('-')[0]} key revocation (reason {reason[0]}) dated "
            f"{iso(T_AFTER_AT)[:10]}, three months after --at"
            + ("" if exit_code else ": not known yet at --at, and after the signature anyway"),
        )


@maker
def designated_revoker_key_id_only(out: Output) -> Iterable[Vector]:
    """Bob, Alice's designated revoker, revokes her key with a revocation that names its issuer
    by key ID only (no issuer fingerprint subpacket), as older implementations write them."""
    designation = direct_key(ALICE, created=T0, hashed=[sp_revocation_key(BOB)])
    revocation = sign(
        BOB,
        SIG_KEY_REVOCATION,
        ALICE.hashed_form,
        hashed=[sp_created(T1), sp_reason(*HARD_REASONS["compromised"])],
        unhashed=[sp_issuer(BOB)],
    )
    yield detached(
        out,
        "timeline/revoked-by-designated-revoker-key-id-only",
        sig=data_sig(ALICE),
        cert=alice_with(designation, revocation),
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=T_REVOKED_EXPIRED,
        defect="hard revocation at t1 by the designated revoker Bob, naming him by issuer key ID "
        "only (no issuer fingerprint); his cert is in the keyring",
    )


def opaque_subkey(version: int, algorithm: int, material: bytes) -> bytes:
    """A subkey packet of a version or public-key algorithm that this writer does not implement,
    created at t0, with a 0x18 binding by Alice (encrypt-only flags, so no back-signature)."""
    created = T0.to_bytes(4, "big")
    if version == 5:  # the LibrePGP draft: a four-octet material length, hashed as 0x9A, len(4)
        body = bytes([5]) + created + bytes([algorithm]) + len(material).to_bytes(4, "big")
        hashed_form = b"\x9a" + len(body + material).to_bytes(4, "big") + body + material
    else:
        body = bytes([version]) + created + bytes([algorithm])
        hashed_form = b"\x99" + len(body + material).to_bytes(2, "big") + body + material
    binding = standard_sign(
        ALICE,
        SIG_SUBKEY_BINDING,
        ALICE.hashed_form + hashed_form,
        created=T0,
        hashed=[sp_key_flags(FLAG_ENCRYPT_COMMS | FLAG_ENCRYPT_STORAGE)],
    )
    return old_packet(TAG_PUBLIC_SUBKEY, body + material) + binding


@maker
def revocation_after_unparsable_subkey(out: Output) -> Iterable[Vector]:
    """A hard key revocation placed after a subkey packet a verifier cannot read (unknown
    algorithm, unknown key version): skipping the subkey must not skip the revocation."""
    hard = key_revocation(ALICE, created=T1, reason=HARD_REASONS["compromised"])
    for stem, packet, what in (
        (
            "unknown-algorithm-subkey",
            opaque_subkey(4, 99, mpi(int.from_bytes(seed("algorithm 99"), "big"))),
            "a v4 subkey of public-key algorithm 99 (unassigned)",
        ),
        (
            "v5-subkey",
            opaque_subkey(5, PK_EDDSA, ALICE_ENC.material()),
            "a v5 subkey packet (LibrePGP draft)",
        ),
    ):
        yield detached(
            out,
            f"sig/revocation-after-{stem}",
            sig=data_sig(ALICE),
            cert=alice_cert(packet, hard),
            exit=1,
            threat=T_REVOCATION,
            defect=f"a hard key revocation (0x20, compromised, t1) placed after {what}; the "
            "primary key signs",
        )


REVOCATION_CERT_COMMENT = "Comment: This is a revocation certificate"


def revocation_certificate_text(primary: Key, uid: str, armored: str, *, colon: bool) -> str:
    """A revocation certificate laid out as GnuPG stores it in openpgp-revocs.d/FPR.rev: text
    about the key and what the file is for, then the armor, its BEGIN line prefixed with ':'
    (``colon``) so that importing it by accident fails. The wording here is ours."""
    fpr = primary.fingerprint.hex().upper()
    intro = (
        "This is a revocation certificate for the OpenPGP key:\n"
        "\n"
        f"pub   ed25519 {iso(primary.created)[:10]} [SC]\n"
        f"      {fpr}\n"
        f"uid          {uid}\n"
        "\n"
        "Publishing this certificate declares the key above revoked, for good.\n"
        "\n"
        "A colon has been put before the five dashes of the BEGIN line below, so\n"
        "that nobody imports this file by mistake; remove it to use the certificate.\n"
        "\n"
    )
    return intro + (":" + armored if colon else armored)


@maker
def revocation_certificate_files(out: Output) -> Iterable[Vector]:
    """Alice's certificate in one keyring file, her hard key revocation (0x20, reason 0, t3: what
    ``gpg --gen-revoke`` makes by default) alone in another, in the forms such a revocation
    certificate takes: gpg's armored key block with its comment and text, a signature armor,
    binary, and the colon-escaped file of gpg's openpgp-revocs.d."""
    rev = key_revocation(ALICE, created=T3, reason=(REASON_UNSPECIFIED, ""))
    key_block = armor("PUBLIC KEY BLOCK", rev, headers=[REVOCATION_CERT_COMMENT])
    forms = (
        (
            "armored-key-block",
            ".rev.asc",
            revocation_certificate_text(ALICE, ALICE_UID, key_block, colon=False),
            "an armored PUBLIC KEY BLOCK in gpg's layout (explanatory text before it, "
            f"'{REVOCATION_CERT_COMMENT}' header)",
        ),
        (
            "armored-signature",
            ".rev.asc",
            armor("SIGNATURE", rev),
            "an armored PGP SIGNATURE",
        ),
        ("binary", ".rev.pgp", rev, "binary (the bare signature packet)"),
        (
            "gpg-colon-escaped",
            ".rev",
            revocation_certificate_text(ALICE, ALICE_UID, key_block, colon=True),
            "gpg's openpgp-revocs.d file as written, its BEGIN line escaped with ':' "
            "(pgpsig applies it)",
        ),
    )
    for stem, suffix, content, what in forms:
        name = f"revocation-certificate-{stem}"
        yield detached(
            out,
            f"sig/{name}",
            sig=data_sig(ALICE),
            cert=(KEY_ALICE,),
            extra_certs=(out.add(f"sig/{name}{suffix}", content),),
            exit=1,
            threat=T_REVOKED_EXPIRED,
            defect=f"Alice's hard revocation (reason 0, t3) in a second keyring file, {what}",
        )


@maker
def subkey_revocation_under_user_id(out: Output) -> Iterable[Vector]:
    """The signing subkey's hard revocation (0x28) sits under the user ID, before the subkey
    packet it revokes (``cert-subkey-revocation-under-other-subkey`` in attacks/ puts it under
    another subkey)."""
    revocation = subkey_revocation(ALICE, ALICE_SUB, created=T1, reason=HARD_REASONS["compromised"])
    yield detached(
        out,
        "sig/subkey-revocation-under-user-id",
        sig=data_sig(ALICE_SUB),
        cert=alice_cert(revocation, subkey(ALICE, ALICE_SUB)),
        exit=1,
        threat=T_REVOCATION,
        defect="the signing subkey's hard revocation (0x28, compromised, t1) sits under the user "
        "ID, before the subkey packet; the subkey signs",
    )


# ---------------------------------------------------------------------------------------------
# Hash and key-size policy.


@maker
def weak_hashes(out: Output) -> Iterable[Vector]:
    """Data signatures with MD5, SHA-1 and RIPEMD-160 (RSA-2048 key, as in FreePBX's world)."""
    for hash_name, stem in (("MD5", "hash-md5"), ("RIPEMD160", "hash-ripemd160")):
        yield detached(
            out,
            f"sig/{stem}",
            sig=data_sig(ROB, hash_name=hash_name),
            cert=(KEY_ROB,),
            exit=1,
            threat=T_SHA1,
            defect=f"{hash_name} data signature",
        )
    message = clearsigned(
        CLEARTEXT, text_sig(ROB, CLEARTEXT, hash_name="SHA1"), headers=["Hash: SHA1"]
    )
    yield inline(
        out,
        "clearsign/hash-sha1",
        message=message,
        cert=(KEY_ROB,),
        exit=1,
        threat=T_SHA1,
        defect="SHA-1 data signature (clear-signed 0x01, like FreePBX module.sig) under the default policy",
    )
    yield Vector(
        name="hash-sha1-freepbx-legacy",
        cert=(KEY_ROB,),
        signature="clearsign/hash-sha1.asc",
        data=None,
        exit=0,
        threat=T_SHA1,
        defect="none: SHA-1 data signature accepted under --policy freepbx-legacy",
        args=("--policy", "freepbx-legacy"),
    )


@maker
def sha1_self_signatures(out: Output) -> Iterable[Vector]:
    """SHA-1 user ID self-signatures made before and after the 2023-02-01 cutoff (data sig SHA-256)."""
    for year, created, exit_code in (("2022", T_OLD, 0), ("2024", T0, 1)):
        rob = ROB.at(created)
        cert = certificate(rob, user_id(rob, ROB_UID, hash_name="SHA1"))
        stem = f"sha1-selfsig-{year}"
        yield detached(
            out,
            f"sig/{stem}",
            sig=data_sig(rob),
            cert=cert,
            exit=exit_code,
            threat=T_HASH_POLICY,
            defect=f"RSA key whose only self-signature is SHA-1, made in {year}, "
            + ("before" if created < SHA1_CUTOFF else "after")
            + " the 2023-02-01 cutoff",
        )


@maker
def rsa1024(out: Output) -> Iterable[Vector]:
    """A SHA-256 signature by an RSA-1024 key."""
    yield detached(
        out,
        "sig/rsa1024-key",
        sig=data_sig(WALT),
        cert=certificate(WALT, user_id(WALT, WALT_UID)),
        exit=1,
        threat=T_WEAK_KEYS,
        defect="RSA-1024 signing key",
    )


# ---------------------------------------------------------------------------------------------
# The cleartext signature framework.


def good_frame(text: str = CLEARTEXT, **options: object) -> str:
    """Alice's clear-signed ``text`` with frame ``options`` (see :func:`clearsigned`)."""
    return clearsigned(text, text_sig(ALICE, text), **options)  # type: ignore[arg-type]


@maker
def clearsign_headers(out: Output) -> Iterable[Vector]:
    """Armor headers in the clear-signed header block other than a correct ``Hash:``."""
    cases = [
        (
            "header-notdashescaped",
            ["NotDashEscaped: You need GnuPG to verify this message", "Hash: SHA256"],
            2,
            T_HEADERS,
            "NotDashEscaped header in the clear-signed header block",
        ),
        (
            "header-charset",
            ["Hash: SHA256", "Charset: UTF-8"],
            2,
            T_HEADERS,
            "Charset header in the clear-signed header block (only Hash is allowed)",
        ),
        (
            "hash-header-unknown",
            ["Hash: SHA256, SHA999"],
            2,
            T_HASH_HEADER,
            "Hash header names an unknown algorithm (SHA999)",
        ),
        (
            "hash-header-mismatch",
            ["Hash: SHA512"],
            2,
            T_HASH_HEADER_CHECK,
            "Hash header says SHA512, the signature is SHA-256",
        ),
        (
            "hash-header-two-values",
            ["Hash: SHA512,SHA256"],
            0,
            T_HASH_HEADER_CHECK,
            "none: Hash header lists two algorithms (comma, no space), one of them the signature's",
        ),
    ]
    for stem, headers, exit_code, threat, defect in cases:
        yield inline(
            out,
            f"clearsign/{stem}",
            message=good_frame(headers=headers),
            exit=exit_code,
            threat=threat,
            defect=defect,
        )


@maker
def clearsign_framing(out: Output) -> Iterable[Vector]:
    """Broken clear-signed framing: dash escaping, blank line, armor truncation, CRC."""
    dashed = CLEARTEXT + "--not-escaped: a line that starts with a dash\n"
    yield inline(
        out,
        "clearsign/unescaped-dash-line",
        message=clearsigned(dashed, text_sig(ALICE, dashed), escape=False),
        exit=2,
        threat=T_HEADERS,
        defect="a text line starts with '-' but is not dash-escaped",
    )
    yield inline(
        out,
        "clearsign/missing-blank-line",
        message=good_frame(blank_line=False),
        exit=2,
        threat=T_HEADERS,
        defect="no blank line between the Hash header and the text",
    )
    lines = good_frame().splitlines(keepends=True)
    first_base64 = lines.index("-----BEGIN PGP SIGNATURE-----\n") + 2
    yield inline(
        out,
        "clearsign/truncated-armor",
        message="".join(lines[: first_base64 + 1]),
        exit=2,
        threat=T_PARSER,
        defect="signature armor cut off after its first base64 line (no CRC, no END line)",
    )
    message = good_frame()
    crc_line = next(line for line in message.splitlines() if line.startswith("="))
    wrong_crc = int.from_bytes(base64.b64decode(crc_line[1:]), "big") ^ 1
    wrong = "=" + base64.b64encode(wrong_crc.to_bytes(3, "big")).decode()
    yield inline(
        out,
        "clearsign/bad-crc",
        message=message.replace(crc_line, wrong),
        exit=2,
        threat=T_NO_CRC,
        defect="armor CRC-24 line does not match the data",
    )
    yield inline(
        out,
        "clearsign/no-crc",
        message=good_frame(crc=False),
        exit=0,
        threat=T_NO_CRC,
        defect="none: signature armor without the optional CRC-24 line",
    )


@maker
def clearsign_text_variants(out: Output) -> Iterable[Vector]:
    """Good clear-signed texts that need care: dash escaping, UTF-8, trailing whitespace with CR LF,
    a very long line, a form feed."""
    dashes = "- a dash-escaped line\n-----BEGIN PGP SIGNATURE----- (inside the text)\nFrom here\n"
    yield inline(
        out,
        "clearsign/dash-escaped",
        message=good_frame(dashes),
        exit=0,
        threat=T_HEADERS,
        defect="none: lines starting with '-' correctly dash-escaped, one looks like armor",
    )
    utf8 = "Grüße aus Köln, naïve café, 東京\n"
    yield inline(
        out,
        "clearsign/utf8-text",
        message=good_frame(utf8),
        exit=0,
        threat=T_BASELINE,
        defect="none: UTF-8 text",
    )
    spaced = "trailing spaces   \ntrailing tab\t\nno trailing whitespace\n \t \n"
    framed = good_frame(spaced).replace("\n", "\r\n")
    yield inline(
        out,
        "clearsign/trailing-whitespace-crlf",
        message=framed,
        exit=0,
        threat=T_WHITESPACE,
        defect="none: CR LF line endings and trailing spaces/tabs (not signed) in the text",
    )
    long_line = "".join(f"{i:05d} " for i in range(3400)) + "end\n"  # 20403 characters
    yield inline(
        out,
        "clearsign/long-line",
        message=good_frame(long_line),
        exit=0,
        threat=T_HEADERS,
        defect="none: a 20403-character line, signed in full",
    )
    truncated_sig = text_sig(ALICE, long_line[:19995] + "\n")
    yield inline(
        out,
        "clearsign/long-line-signed-truncated",
        message=clearsigned(long_line, truncated_sig),
        exit=1,
        threat=T_HEADERS,
        defect="signature covers only the first 19995 characters of a 20403-character line",
    )
    form_feed = "page one\f\npage two\n"
    yield inline(
        out,
        "clearsign/form-feed",
        message=good_frame(form_feed),
        exit=0,
        threat=T_HEADERS,
        defect="none: a line ending in a form feed, signed in full",
    )


@maker
def clearsign_outside_text(out: Output) -> Iterable[Vector]:
    """Text before BEGIN and after END: accepted, but never part of the signed text."""
    message = (
        "UNSIGNED PREFIX: this line is not signed\n\n"
        + good_frame()
        + "UNSIGNED SUFFIX: nor is this one\n"
    )
    yield inline(
        out,
        "clearsign/text-outside-frame",
        message=message,
        exit=0,
        threat=T_OUTSIDE,
        defect="none (warning): unsigned text before BEGIN and after END, never treated as signed",
    )


@maker
def clearsign_several(out: Output) -> Iterable[Vector]:
    """Several blocks and several signatures: bad ones are reported, duplicates don't count."""
    bad = clearsigned(CLEARTEXT + "appended after signing\n", text_sig(ALICE, CLEARTEXT))
    yield inline(
        out,
        "clearsign/two-blocks-good-then-bad",
        message=good_frame() + bad,
        exit=1,
        threat=T_CONCAT,
        defect="two concatenated clear-signed blocks; the second one's signature is bad",
        max_good=1,
    )
    two = text_sig(ALICE, CLEARTEXT) + text_sig(BOB, CLEARTEXT)
    yield inline(
        out,
        "clearsign/two-signers",
        message=clearsigned(CLEARTEXT, two),
        cert=(KEY_ALICE_ASC, KEY_BOB),
        args=("--min-signatures", "2"),
        exit=0,
        threat=T_CONCAT,
        defect="none: signatures by Alice and Bob in one block, --min-signatures 2",
        max_good=2,
    )
    twice = text_sig(ALICE, CLEARTEXT) + text_sig(ALICE, CLEARTEXT, created=T2 + 60)
    yield inline(
        out,
        "clearsign/same-signer-twice",
        message=clearsigned(CLEARTEXT, twice),
        args=("--min-signatures", "2"),
        exit=1,
        threat=T_CONCAT,
        defect="two good signatures by the same key with --min-signatures 2 (duplicates count once)",
        max_good=2,
    )


# ---------------------------------------------------------------------------------------------
# Malformed packets.


def packet_header_and_body(packet: bytes) -> tuple[int, bytes]:
    """Tag and body of one old-format packet written by :func:`old_packet`."""
    width = (1, 2, 4)[packet[0] & 0x03]
    return (packet[0] >> 2) & 0x0F, packet[1 + width :]


def mpi_offsets(body: bytes) -> list[int]:
    """Offsets of the MPIs in a v4 signature packet body."""
    hashed_len = int.from_bytes(body[4:6], "big")
    i = 6 + hashed_len
    i += 2 + int.from_bytes(body[i : i + 2], "big") + 2  # unhashed area, left 16 bits of the digest
    offsets = []
    while i < len(body):
        offsets.append(i)
        i += 2 + (int.from_bytes(body[i : i + 2], "big") + 7) // 8
    return offsets


@maker
def malformed_packets(out: Output) -> Iterable[Vector]:
    """Packet-level garbage: truncation, overlong MPI, bad subpacket lengths, huge declared length."""
    good = data_sig(ALICE)
    _, body = packet_header_and_body(good)
    yield detached(
        out,
        "packets/truncated-signature-packet",
        sig=good[:-10],
        exit=2,
        threat=T_PARSER,
        defect="signature packet header promises 10 more octets than the file holds",
    )
    # The last MPI (EdDSA 's') claims 2048 bits while only its own 32 or so octets follow.
    s_start = mpi_offsets(body)[-1]
    s_octets = len(body) - s_start - 2
    long_mpi = body[:s_start] + (2048).to_bytes(2, "big") + body[s_start + 2 :]
    yield detached(
        out,
        "packets/mpi-longer-than-packet",
        sig=old_packet(TAG_SIGNATURE, long_mpi),
        exit=2,
        threat=T_PARSER,
        defect=f"the last MPI declares 2048 bits but the packet ends {s_octets} octets later",
    )
    overflow = sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[sp_created(T2), sp_issuer_fpr(ALICE), bytes([60, SP_NOTATION]) + b"short"],
        unhashed=[sp_issuer(ALICE)],
    )
    yield detached(
        out,
        "packets/subpacket-length-overflow",
        sig=overflow,
        exit=2,
        threat=T_PARSER,
        defect="last hashed subpacket declares 60 octets, only 6 remain in the hashed area",
    )
    zero = sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[sp_created(T2), b"\x00", sp_issuer_fpr(ALICE)],
        unhashed=[sp_issuer(ALICE)],
    )
    yield detached(
        out,
        "packets/zero-length-subpacket",
        sig=zero,
        exit=2,
        threat=T_PARSER,
        defect="a hashed subpacket with length 0 (no room even for its type octet)",
    )
    huge = bytes([0x80 | TAG_SIGNATURE << 2 | 2]) + (0xFFFFFFF0).to_bytes(4, "big") + body
    yield detached(
        out,
        "packets/huge-declared-length",
        sig=huge,
        exit=2,
        threat=T_PARSER,
        defect="signature packet declares a length of 4 GiB; the file holds one small signature",
    )
    yield detached(
        out,
        "packets/truncated-certificate",
        sig=good,
        cert=alice_cert()[:-20],
        exit=2,
        threat=T_PARSER,
        defect="the certificate file ends 20 octets into its last signature packet",
    )


# ---------------------------------------------------------------------------------------------
# Inline-signed messages (message/): inputs of ``sop inline-verify``, not rows of expected.json.

#: The most zeros one bzip2 block (level 9) holds: the block takes 899,981 octets after bzip2's
#: first run-length step, which writes a run of 255 equal octets as 5, so 179,997 such runs.
BZ2_ZEROS_PER_BLOCK = 179_997 * 255
BZ2_BLOCK_MAGIC, BZ2_END_MAGIC = 0x314159265359, 0x177245385090


def bzip2_block(data: bytes) -> tuple[int, int, int]:
    """The one block of ``data`` compressed by bzip2 (level 9): its bits, their number, its CRC.

    A bzip2 stream is ``BZh9`` (32 bits), its blocks (bit-aligned, each starting with a 48-bit
    magic and the 32-bit CRC of its data), a 48-bit end magic, the stream's 32-bit CRC (combined
    from the blocks'), then zero bits to an octet boundary. Blocks are independent.
    """
    stream = bz2.compress(data, 9)
    n, total = int.from_bytes(stream, "big"), len(stream) * 8
    pad = next(p for p in range(8) if (n >> (p + 32)) & (2**48 - 1) == BZ2_END_MAGIC)
    bits_len = total - pad - 80 - 32
    bits = (n >> (pad + 80)) & ((1 << bits_len) - 1)
    crc = (bits >> (bits_len - 80)) & 0xFFFFFFFF
    if bits >> (bits_len - 48) != BZ2_BLOCK_MAGIC or (n >> pad) & 0xFFFFFFFF != crc:
        raise ValueError("not a stream of one bzip2 block")
    return bits, bits_len, crc


def bzip2_stream(blocks: Sequence[tuple[int, int, int]]) -> bytes:
    """A bzip2 stream of these blocks (:func:`bzip2_block`), in order."""
    acc, length, combined = int.from_bytes(b"BZh9", "big"), 32, 0
    for bits, bits_len, crc in blocks:
        acc, length = (acc << bits_len) | bits, length + bits_len
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ crc
    acc, length = (acc << 80) | (BZ2_END_MAGIC << 32) | combined, length + 80
    pad = -length % 8
    return (acc << pad).to_bytes((length + pad) // 8, "big")


def bzip2_bomb(zero_blocks: int, zeros_block: tuple[int, int, int]) -> bytes:
    """A binary message: one BZip2 Compressed Data packet holding a one-pass signature packet, a
    literal of ``zero_blocks`` * :data:`BZ2_ZEROS_PER_BLOCK` zeros and Alice's good signature over
    them (SHA-256, made at T2). Every block of zeros is ``zeros_block``, so the message stays
    small (about 40 octets a block) and is made without compressing the zeros again."""
    size = zero_blocks * BZ2_ZEROS_PER_BLOCK
    h = hashlib.sha256()
    zeros = bytes(1 << 20)
    for _ in range(size // len(zeros)):
        h.update(zeros)
    h.update(bytes(size % len(zeros)))
    sig = sign_hashed(
        ALICE,
        SIG_BINARY,
        h,
        hashed=[sp_created(T2), sp_issuer_fpr(ALICE)],
        unhashed=[sp_issuer(ALICE)],
    )
    one_pass = bytes([3, SIG_BINARY, HASHES["SHA256"][0], ALICE.algorithm]) + ALICE.key_id + b"\x01"
    literal_head = b"b\x00" + T2.to_bytes(4, "big")
    before = old_packet(TAG_ONE_PASS, one_pass)
    before += bytes([0xC0 | TAG_LITERAL]) + new_length(len(literal_head) + size) + literal_head
    blocks = [bzip2_block(before), *[zeros_block] * zero_blocks, bzip2_block(sig)]
    return old_packet(TAG_COMPRESSED, bytes([COMPRESS_BZIP2]) + bzip2_stream(blocks))


#: (file, blocks of zeros): the BZip2 bombs, each a good message of Alice's (keys/alice.pgp).
BOMBS = (
    ("message/bzip2-bomb-88mib.pgp", 2),  # 91,798,470 zeros: the quick test
    ("message/bzip2-bomb-875mib.pgp", 20),  # 917,984,700 zeros: just under 1 GiB (issue #16)
)


def write_messages(out: Output) -> None:
    """The inline-signed messages of ``message/`` (README.md, "Inline-signed messages")."""
    zeros_block = bzip2_block(bytes(BZ2_ZEROS_PER_BLOCK))
    for path, blocks in BOMBS:
        out.add(path, bzip2_bomb(blocks, zeros_block))


# ---------------------------------------------------------------------------------------------
# Driver.


def build() -> tuple[dict[str, bytes], list[Vector]]:
    """Run every maker: the files (path -> bytes, expected.json included) and the vectors."""
    out = Output()
    write_shared(out)
    write_messages(out)
    vectors = [v for make in MAKERS for v in make(out)]
    names = [v.name for v in vectors]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate vector names: {sorted(duplicates)}")
    for v in vectors:
        for path in (*v.cert, v.signature, *([v.data] if v.data else [])):
            if path not in out.files:
                raise ValueError(f"{v.name}: {path} is not written by the generator")
    expected = json.dumps([v.to_json() for v in vectors], indent=2, ensure_ascii=False) + "\n"
    out.add("expected.json", expected)
    return out.files, vectors


def write(files: dict[str, bytes], root: Path) -> None:
    """Write ``files`` under ``root``, first removing stale files from the folders this script owns."""
    for folder in FOLDERS:
        for stale in sorted((root / folder).glob("*")):
            if stale.is_file():
                stale.unlink()
    for path, data in sorted(files.items()):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


KEYS = [  # (key, algorithm as written in README.md, role)
    (ALICE, "Ed25519 (EdDSA legacy)", "Alice's primary: signs most vectors"),
    (ALICE_SUB, "Ed25519 (EdDSA legacy)", "Alice's signing subkey"),
    (ALICE_ENC, "Ed25519 (EdDSA legacy)", "Alice's subkey flagged encrypt-only (0x0C)"),
    (BOB, "Ed25519 (EdDSA legacy)", "second signer, third-party certifier, revoker"),
    (MALLORY, "Ed25519 (EdDSA legacy)", "owner of the grafted subkey"),
    (MALLORY_SUB, "Ed25519 (EdDSA legacy)", "Mallory's signing subkey, grafted onto Alice"),
    (ROB, "RSA-2048", "RSA and hash-policy vectors"),
    (ROB.at(T_OLD), "RSA-2048", "same primes, created 2022 (SHA-1 self-signature vector)"),
    (WALT, "RSA-1024", "weak key"),
    (ERIN, "ECDSA P-256", "ECDSA baseline"),
]


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def table(vectors: Sequence[Vector]) -> str:
    """The Markdown tables README.md carries: the keys, then one row per vector, every file named."""
    rows = [
        "| key label (seed) | algorithm | created | fingerprint | role |",
        "|---|---|---|---|---|",
    ]
    for key, algorithm, role in KEYS:
        rows.append(
            f"| `{key.label}` | {algorithm} | {iso(key.created)} | `{key.fingerprint.hex().upper()}` "
            f"| {role} |"
        )
    rows += [
        "",
        "| vector | files | made by | defect | THREATS.md row | exit |",
        "|---|---|---|---|---|---|",
    ]
    for v in vectors:
        files = [v.signature, *([v.data] if v.data else []), *v.cert]
        args = f" `{' '.join(v.args)}`" if v.args else ""
        threat = v.threat.replace("|", "\\|")
        rows.append(
            f"| `{v.name}`{args} | {', '.join(f'`{f}`' for f in files)} | `{v.origin}` "
            f"| {v.defect} | {threat} | {v.exit} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str]) -> int:
    files, vectors = build()
    if argv[:1] == ["--table"]:
        sys.stdout.write(table(vectors))
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.stderr.write(__doc__ or "")
        return 2
    root = Path(argv[0]) if argv else HERE
    write(files, root)
    print(f"wrote {len(files)} files, {len(vectors)} vectors, into {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
