"""Making OpenPGP signatures, v4 and v6, with ``cryptography`` (not PGPy).

This module owns the signer's side of OpenPGP signatures, for a :class:`SigningKey`
(:mod:`pgpsig.openpgp.signingkey`; loaded by :func:`pgpsig.openpgp.secretkey.load_signing_keys`):

* :func:`signature_packet` and :func:`signature_body`: a signature (RFC 9580 sections 5.2.3 and
  5.2.4) over any hashed data, of the key's version: v4 for v4 keys, v6 (salted) for v6 keys. The
  data comes as bytes or as a *feed*, a function that writes into the hash, so large files stream,
  and the key work (certifications 0x10-0x13, subkey bindings 0x18 with 0x19 back-signatures,
  revocations 0x20/0x28/0x30) reuses it with :func:`~pgpsig.openpgp.write.key_hash_input` and
  :func:`~pgpsig.openpgp.write.user_id_hash_input`. The octet layout is
  :func:`pgpsig.openpgp.write.signature_body`'s; here are the subpackets every signature carries,
  the checks and the private-key maths (:func:`sign_digest`).
* :func:`sign_cleartext` (a clear-signed message, RFC 9580 section 7, by one key or several) and
  :func:`sign_detached` (a binary or text detached signature).

Algorithms: RSA PKCS#1 v1.5 (1, 3), DSA (17), ECDSA (19; deterministic nonces, RFC 6979),
EdDSA-legacy Ed25519 (22: ``r`` and ``s`` as MPIs), Ed25519 (27: 64 raw octets) and Ed448 (28: 114
raw octets). Signatures use SHA-256, SHA-384 or SHA-512; nothing weaker is ever produced. A v6
signature carries a fresh random salt (RFC 9580 section 5.2.4: the salt is hashed first) and an
issuer fingerprint, and no issuer key ID. Every signature is verified with the public key before
it is returned (a fault in an RSA-CRT signature would otherwise leak the key).

Nothing here reads the clock: the creation time is an argument and must be timezone-aware. Nothing
here decides *whether* a key may sign (expiry, revocation, key flags, policy): that belongs to
:mod:`pgpsig.engine.signer` and :mod:`pgpsig.policy`.

Signing keys are :mod:`pgpsig.openpgp.signingkey`'s, read by :mod:`pgpsig.openpgp.secretkey`;
packets are laid out by :mod:`pgpsig.openpgp.write`.

Example::

    keys = secretkey.load_signing_keys(Path("secret.asc").read_bytes(), passphrase=b"...")
    signed = sign_cleartext(b"hello", keys[0], created=datetime.now(timezone.utc))
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from pgpsig.errors import SignatureError, UnsupportedError
from pgpsig.openpgp import _dsa, clearsign
from pgpsig.openpgp.ids import HashAlgorithm, PublicKeyAlgorithm, SignatureType, SubpacketType, Tag
from pgpsig.openpgp.signingkey import (
    SigningKey,
    best_hash,
)
from pgpsig.openpgp.write import (
    HashFeed,
    HashSink,
    mpi,
    packet,
    subpacket,
    timestamp,
    v6_salt_size,
)
from pgpsig.openpgp.write import signature_body as _layout

__all__ = [
    "MAX_CLEARTEXT_LINE",
    "SIGNING_HASHES",
    "sign_cleartext",
    "sign_detached",
    "sign_digest",
    "signature_body",
    "signature_packet",
]

#: Hash algorithms pgpsig signs with, by name, with their OpenPGP ids (RFC 9580 section 9.5).
#: Nothing weaker than SHA-256 is offered.
SIGNING_HASHES: dict[str, int] = {
    h.name: h for h in (HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512)
}

_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}

_RSA_SIGNING = (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_SIGN_ONLY)

# Bytes read at a time when a detached signature streams over a file.
_CHUNK = 1 << 20

#: Longest line (octets, after dash-escaping, without the line ending) that
#: :func:`sign_cleartext` writes. GnuPG 2.2 reads at most 19995 characters per line of a
#: clear-signed message ("input line longer than 19995 characters") and reports a BAD signature
#: on longer lines, so such a message could not be checked by gpg (nor by FreePBX, which uses it).
MAX_CLEARTEXT_LINE = 19995


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
    seconds = timestamp(created)
    key_created = struct.unpack(">I", key.public_packet_body[1:5])[0]
    if seconds < key_created:
        raise ValueError("the signature would be older than its key; verifiers reject that")
    _check_key(key)
    if key.algorithm == PublicKeyAlgorithm.ED448 and name != "SHA512":
        raise UnsupportedError(f"an Ed448 key needs SHA512, not {name} (RFC 9580 section 5.2.3.4)")
    if key.algorithm == PublicKeyAlgorithm.ECDSA and _HASH_CLASSES[name]().digest_size * 8 < min(
        key.bits, 512
    ):
        # GnuPG refuses such signatures ("General error"); RFC 9580 section 5.2.3.2 wants the
        # digest at least as long as the curve.
        raise UnsupportedError(
            f"an ECDSA {key.bits}-bit key needs a hash of at least {min(key.bits, 512)} bits, "
            f"not {name}"
        )
    # The issuer: a v4 signature names it by fingerprint (hashed) and key ID (unhashed, for
    # older verifiers); a v6 one by its v6 fingerprint only, and hashes a random salt first.
    hashed = subpacket(SubpacketType.SIGNATURE_CREATION_TIME, struct.pack(">I", seconds))
    hashed += subpacket(
        SubpacketType.ISSUER_FINGERPRINT, bytes([key.version]) + bytes.fromhex(key.fingerprint)
    )
    hashed += b"".join(extra_hashed_subpackets)
    if key.version == 6:
        unhashed = b""
        if salt is None:
            salt = secrets.token_bytes(v6_salt_size(hash_id))
    else:
        unhashed = subpacket(SubpacketType.ISSUER_KEY_ID, bytes.fromhex(key.key_id))
        if salt is not None:
            raise ValueError("only v6 signatures carry a salt")
    return _layout(
        version=key.version,
        sig_type=sig_type,
        pubkey_algorithm=key.algorithm,
        hash_algorithm=hash_id,
        hashed=hashed,
        unhashed=unhashed,
        data=hashed_data_feed,
        sign=lambda digest: sign_digest(key, digest, name),
        salt=salt or b"",
    )


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
    return packet(Tag.SIGNATURE, body)


def sign_cleartext(
    text: bytes,
    key: SigningKey | Sequence[SigningKey],
    *,
    created: datetime,
    hash_name: str | None = None,
) -> bytes:
    """A clear-signed message (RFC 9580 section 7) of ``text``, signature type 0x01.

    As ``gpg --clearsign`` does, the final line ending of ``text`` (LF or CRLF), if any, becomes
    the frame's line break before the signature armor and is not signed; the rest is signed in
    canonical form (:func:`pgpsig.openpgp.clearsign.canonicalize`: trailing spaces and tabs stripped,
    CRLF line endings) and framed, dash-escaped, by :func:`pgpsig.openpgp.clearsign.encode`. So a
    verifier's output of the message is ``text`` without trailing whitespace, with a final LF.
    The ``Hash:`` header names the hashes of the v4 signatures; a frame of v6 signatures only has
    none (v6 signatures name their hash themselves, as in the sample of RFC 9580 Appendix A.6).

    Args:
        text: The text to sign, as bytes (any encoding; it is signed as given).
        key: The key that signs, or several keys (one signature each, in order, in one frame).
        created: The signature creation time (timezone-aware).
        hash_name: The hash; default :func:`best_hash` of each key.

    Returns:
        The armored clear-signed message.

    Raises:
        ValueError: See :func:`signature_packet`; also a line longer than
            :data:`MAX_CLEARTEXT_LINE` octets once dash-escaped (gpg could not verify it), or no
            key.
        UnsupportedError: See :func:`signature_packet`.
        SignatureError: See :func:`signature_packet`.
    """
    keys = [key] if isinstance(key, SigningKey) else list(key)
    if not keys:
        raise ValueError("no key to sign with")
    names = [(hash_name or best_hash(k)).upper() for k in keys]
    for name in names:
        _hash_id(name)  # refuse an unsupported hash before any work
    if text.endswith(b"\r\n"):
        text = text[:-2]
    elif text.endswith(b"\n"):
        text = text[:-1]
    _check_line_lengths(text)
    canonical = clearsign.canonicalize(text)
    signatures = b"".join(
        signature_packet(k, canonical, sig_type=SignatureType.TEXT, created=created, hash_name=n)
        for k, n in zip(keys, names, strict=True)
    )
    v4_hashes = [n for k, n in zip(keys, names, strict=True) if k.version == 4]
    return clearsign.encode(text, signatures, v4_hashes)


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
        sig_type=SignatureType.TEXT if text else SignatureType.BINARY,
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


def _hash_id(hash_name: str) -> HashAlgorithm:
    hash_id = SIGNING_HASHES.get(hash_name.upper())
    if hash_id is None:
        raise UnsupportedError(
            f"signing with {hash_name!r} is not supported; use one of {', '.join(SIGNING_HASHES)}"
        )
    return HashAlgorithm(hash_id)


def _check_key(key: SigningKey) -> None:
    """The private key must fit the algorithm id the signature will carry."""
    private = key.private_key
    fits = (
        (key.algorithm in _RSA_SIGNING and isinstance(private, rsa.RSAPrivateKey))
        or (key.algorithm == PublicKeyAlgorithm.DSA and isinstance(private, _dsa.DSAPrivateKey))
        or (
            key.algorithm == PublicKeyAlgorithm.ECDSA
            and isinstance(private, ec.EllipticCurvePrivateKey)
        )
        or (
            key.algorithm in (PublicKeyAlgorithm.EDDSA_LEGACY, PublicKeyAlgorithm.ED25519)
            and isinstance(private, ed25519.Ed25519PrivateKey)
        )
        or (
            key.algorithm == PublicKeyAlgorithm.ED448 and isinstance(private, ed448.Ed448PrivateKey)
        )
    )
    if not fits:
        raise ValueError(
            f"a {type(private).__name__} cannot make algorithm {key.algorithm} signatures"
        )


def sign_digest(key: SigningKey, digest: bytes, hash_name: str) -> bytes:
    """Signature material over ``digest``, checked with the public key before it is returned.

    RSA gives one MPI, DSA, ECDSA and EdDSA-legacy two (``r``, ``s``), Ed25519 (27) and Ed448
    (28) their raw signature octets (RFC 9580 section 5.2.3).

    Raises:
        SignatureError: The new signature does not verify (a hardware or library fault).
    """
    private = key.private_key
    prehashed = Prehashed(_HASH_CLASSES[hash_name]())
    try:
        if isinstance(private, rsa.RSAPrivateKey):
            raw = private.sign(digest, padding.PKCS1v15(), prehashed)
            private.public_key().verify(raw, digest, padding.PKCS1v15(), prehashed)
            return mpi(int.from_bytes(raw, "big"))
        if isinstance(private, _dsa.DSAPrivateKey):
            der = private.sign(digest, prehashed)
            private.public_key().verify(der, digest, prehashed)
            r, s = decode_dss_signature(der)
            return mpi(r) + mpi(s)
        if isinstance(private, ec.EllipticCurvePrivateKey):
            der = private.sign(digest, _ecdsa(prehashed))
            private.public_key().verify(der, digest, ec.ECDSA(prehashed))
            r, s = decode_dss_signature(der)
            return mpi(r) + mpi(s)
        # EdDSA signs the digest, not the data (RFC 9580 section 5.2.4), in every encoding; Ed448
        # with an empty context string.
        raw = private.sign(digest)
        private.public_key().verify(raw, digest)
    except InvalidSignature as exc:
        raise SignatureError(f"the new signature by {key.fingerprint} does not verify") from exc
    if key.algorithm in (PublicKeyAlgorithm.ED25519, PublicKeyAlgorithm.ED448):
        return raw
    return mpi(int.from_bytes(raw[:32], "big")) + mpi(int.from_bytes(raw[32:], "big"))


def _ecdsa(prehashed: Prehashed) -> ec.ECDSA:
    """ECDSA with deterministic nonces (RFC 6979; ``cryptography`` 44 and newer)."""
    return ec.ECDSA(prehashed, deterministic_signing=True)
