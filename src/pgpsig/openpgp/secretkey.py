"""The secret-key codec: transferable secret keys in and out, v4 and v6, with their protection.

This module owns secret-key packets (RFC 9580 section 5.5.3) in both directions:

* Read: :func:`load_signing_keys` turns a transferable secret key (armored or binary) into
  :class:`~pgpsig.openpgp.signingkey.SigningKey` values. A v4 key is read by PGPy through its
  adapter :mod:`pgpsig.openpgp._pgpy` (which checks PGPy's work); a v6 key (RFC 9580), which PGPy
  cannot read, by the code here. :func:`is_v6` and :func:`is_protected` answer without unlocking.
* Write: :func:`secret_key_packet_body`, the secret-key (or secret-subkey) packet of a v4 or v6
  key, unprotected or protected with a passphrase.
* Protection: the S2K derivation (RFC 9580 section 3.7) and AES in CFB mode, both ways.

Read here (v6 keys):

* signing algorithms only: RSA (1, 3), ECDSA (19; NIST P-256/384/521 and brainpool curves),
  Ed25519 (27) and Ed448 (28); encryption subkeys (X25519, X448, ECDH, ...) are skipped and
  never decrypted, and so are GnuPG stubs (S2K 101);
* protection: none (S2K usage 0; v6 keys carry no checksum then), or S2K usage 254 (AES-128/192/256
  in CFB mode with a SHA-1 check value) with a simple, salted or iterated-and-salted S2K.
  AEAD protection (usage 253, with Argon2) and the malleable usage 255 are refused as
  unsupported: nothing here could check them against another implementation;
* every private key must rebuild exactly the public key packet it came with (a wrong passphrase
  that slipped past the SHA-1 check, or a corrupt key, is refused).

Written: unprotected keys (v4 with their 2-octet checksum, v6 without), or usage 254 with
iterated-and-salted SHA-256 S2K (33,554,432 octets, what gpg 2.2 writes) and AES-256 CFB.

Self-signatures are not verified here (a secret key is the user's own input); the key flags it
returns are an unverified hint. Nothing here reads a file, the clock or the environment: the
caller reads the key file and passes its bytes.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from pgpsig.errors import FormatError, InputError, PacketError, UnsupportedError
from pgpsig.openpgp import _pgpy, armor, packets
from pgpsig.openpgp._pgpy import PassphraseError
from pgpsig.openpgp.ids import (
    CERTIFICATION_TYPES,
    HashAlgorithm,
    PublicKeyAlgorithm,
    SignatureType,
    SymmetricAlgorithm,
    Tag,
)
from pgpsig.openpgp.packets import SECRET_KEY_TAGS, PublicKey
from pgpsig.openpgp.signingkey import SigningKey, SigningPrivateKey, make_signing_key
from pgpsig.openpgp.write import mpi

__all__ = [
    "PassphraseError",
    "is_protected",
    "is_v6",
    "load_signing_keys",
    "secret_key_packet_body",
]


# Signing algorithms read here (RFC 9580 section 9.1); DSA and EdDSA-legacy cannot be v6.
_SIGNING_ALGORITHMS = frozenset(
    {
        PublicKeyAlgorithm.RSA,
        PublicKeyAlgorithm.RSA_SIGN_ONLY,
        PublicKeyAlgorithm.ECDSA,
        PublicKeyAlgorithm.ED25519,
        PublicKeyAlgorithm.ED448,
    }
)

_ECDSA_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}

# S2K usage octets (RFC 9580 section 3.7.2.1) and specifiers (section 3.7.1).
_USAGE_NONE = 0
_USAGE_AEAD = 253
_USAGE_CFB = 254
_S2K_SIMPLE = 0
_S2K_SALTED = 1
_S2K_ITERATED = 3
_S2K_ARGON2 = 4
_S2K_GNU = 101

# Ciphers for key protection: AES (block size 16), key size in octets by cipher.
_AES_KEY_SIZES: dict[int, int] = {
    SymmetricAlgorithm.AES128: 16,
    SymmetricAlgorithm.AES192: 24,
    SymmetricAlgorithm.AES256: 32,
}
# Hashes an S2K specifier may name when reading.
_S2K_HASHES = frozenset(
    {
        HashAlgorithm.SHA1,
        HashAlgorithm.SHA256,
        HashAlgorithm.SHA384,
        HashAlgorithm.SHA512,
        HashAlgorithm.SHA224,
    }
)
# 0xF0: 33,554,432 octets hashed, what gpg 2.2 writes (and pgpsig for v4 and v6 keys).
_CODED_COUNT = 0xF0
_SALT_SIZE = 8
_BLOCK = 16


def load_signing_keys(data: bytes, passphrase: bytes | None = None) -> tuple[SigningKey, ...]:
    """Load the secret keys that can sign from one transferable secret key.

    Args:
        data: A transferable secret key (``gpg --export-secret-keys``), armored or binary. A v4
            key is read by PGPy (:mod:`pgpsig.openpgp._pgpy`); a v6 key (RFC 9580), which PGPy
            cannot read, here.
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
    if is_v6(data):
        return _load_v6(data, passphrase)
    return tuple(
        SigningKey(
            primary_fingerprint=secret.primary_fingerprint,
            fingerprint=secret.public.fingerprint,
            key_id=secret.public.key_id,
            algorithm=secret.public.algorithm,
            bits=secret.public.bits,
            private_key=secret.private_key,
            public_packet_body=secret.public.body,
            key_flags=secret.key_flags,
        )
        for secret in _pgpy.load_secret_keys(data, passphrase)
    )


def _binary(data: bytes) -> bytes:
    """The packets of an armored (``PGP PRIVATE KEY BLOCK``) or binary secret key.

    Raises:
        ArmorError: Malformed armor.
        InputError: A public key block.
        PacketError: Another kind of armor block.
    """
    if not armor.is_armored(data):
        return bytes(data)
    block = armor.decode(data)
    if block.label == "PGP PUBLIC KEY BLOCK":
        raise InputError("this is a certificate (public key), not a secret key")
    if block.label != "PGP PRIVATE KEY BLOCK":
        raise PacketError(f"expected a PGP PRIVATE KEY BLOCK, found a {block.label}")
    return bytes(block.data)


def is_v6(data: bytes) -> bool:
    """Whether ``data`` (armored or binary) starts with a version 6 secret-key packet.

    Never raises: malformed input answers False, and the reader that takes it reports why.
    """
    try:
        binary = _binary(data)
        for packet in packets.iter_packets(binary):
            if packet.tag in (Tag.MARKER, Tag.PADDING):
                continue
            return packet.tag == Tag.SECRET_KEY and packet.body[:1] == b"\x06"
    except (FormatError, InputError):
        return False
    return False


def _key_packets(binary: bytes) -> list[tuple[int, bytes]]:
    """The secret-key and secret-subkey packets (tag, body) of one key, primary first.

    Raises:
        InputError: A certificate, or several keys.
        PacketError: Not a well-formed secret key.
    """
    out: list[tuple[int, bytes]] = []
    for packet in packets.iter_packets(binary):
        tag = packet.tag
        if not out:
            if tag in (Tag.MARKER, Tag.PADDING):
                continue
            if tag == Tag.PUBLIC_KEY:
                raise InputError("this is a certificate (public key), not a secret key")
            if tag != Tag.SECRET_KEY:
                raise PacketError(f"a secret key starts with a secret-key packet, not tag {tag}")
        elif tag in (Tag.SECRET_KEY, Tag.PUBLIC_KEY):
            raise InputError("the data holds more than one key; give one secret key")
        elif tag not in SECRET_KEY_TAGS:
            raise PacketError(f"unexpected packet (tag {tag}) in a secret key")
        if tag in (Tag.SECRET_KEY, Tag.SECRET_SUBKEY):
            out.append((tag, packet.body))
    if not out:
        raise PacketError("no secret-key packet found")
    return out


def _flags_by_key(binary: bytes) -> dict[str, int]:
    """Unverified key-flag hints from the self-signatures of the key, by fingerprint."""
    hints: dict[str, int] = {}
    try:
        (cert,) = packets.parse_certs(binary)
    except (FormatError, ValueError):
        return hints
    primary_sigs = list(cert.direct) + [s for c in cert.uids for s in c.signatures]
    for key, comp in cert.all_keys():
        sigs = primary_sigs if comp is None else comp.signatures
        wanted = (
            (SignatureType.DIRECT_KEY, *CERTIFICATION_TYPES)
            if comp is None
            else (SignatureType.SUBKEY_BINDING,)
        )
        dated = [
            (s.created, s.key_flags)
            for s in sigs
            if s.sig_type in wanted and s.key_flags is not None and s.created is not None
        ]
        if dated:
            flags = max(dated, key=lambda pair: pair[0])[1]
            assert flags is not None
            hints[key.fingerprint] = flags & 0xFF
    return hints


def _load_v6(data: bytes, passphrase: bytes | None) -> tuple[SigningKey, ...]:
    """Load and unlock the signing keys of one v6 transferable secret key (RFC 9580 10.2).

    Returns the primary key (unless it is a stub or cannot sign) followed by each secret signing
    subkey, in input order. Raises as :func:`load_signing_keys`; a v4 key packet inside is
    UnsupportedError.
    """
    binary = _binary(data)
    found = _key_packets(binary)
    hints = _flags_by_key(binary)
    primary, _ = packets.parse_public_key(found[0][1])
    loaded: list[SigningKey] = []
    for tag, body in found:
        public, used = packets.parse_public_key(body, is_subkey=tag == Tag.SECRET_SUBKEY)
        if public.version != 6:
            raise UnsupportedError(f"key {public.fingerprint}: a v{public.version} key packet")
        if public.algorithm not in _SIGNING_ALGORITHMS:
            continue  # an encryption key: never decrypted
        private = _unlock(public, body[used:], passphrase)
        if private is None:
            continue
        loaded.append(
            SigningKey(
                primary_fingerprint=primary.fingerprint,
                fingerprint=public.fingerprint,
                key_id=public.key_id,
                algorithm=public.algorithm,
                bits=public.bits,
                private_key=private,
                public_packet_body=public.body,
                key_flags=hints.get(public.fingerprint),
            )
        )
    if not loaded:
        raise InputError("no usable secret signing key (only stubs or encryption keys)")
    return tuple(loaded)


def is_protected(data: bytes) -> bool:
    """Whether any secret-key packet of ``data`` (binary) has protected material (S2K usage > 0).

    Never raises: packets that cannot be read count as unprotected.
    """
    try:
        for p in packets.iter_packets(data):
            if p.tag in (Tag.SECRET_KEY, Tag.SECRET_SUBKEY):
                try:
                    _, used = packets.parse_public_key(p.body)
                except FormatError:
                    continue
                if used < len(p.body) and p.body[used] != _USAGE_NONE:
                    return True
    except FormatError:
        return False
    return False


class _Reader:
    """A cursor over the secret part of a key packet."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise PacketError(f"key {self.name}: truncated secret key material")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def octet(self) -> int:
        return self.take(1)[0]

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


def _unlock(public: PublicKey, secret: bytes, passphrase: bytes | None) -> SigningPrivateKey | None:
    """Decode (and decrypt) the secret part of a v6 key packet; None for a GnuPG stub."""
    name = public.fingerprint
    r = _Reader(secret, name)
    usage = r.octet()
    if usage == _USAGE_NONE:
        return _private_key(public, r.rest())
    if usage == _USAGE_AEAD:
        raise UnsupportedError(f"key {name}: AEAD-protected secret keys (S2K usage 253)")
    if usage != _USAGE_CFB:
        raise UnsupportedError(f"key {name}: S2K usage {usage} is not allowed for v6 keys")
    count = r.octet()
    start = r.pos
    cipher = r.octet()
    s2k_len = r.octet()
    s2k = _Reader(r.take(s2k_len), name)
    spec = s2k.octet()
    if spec == _S2K_GNU:
        return None
    if cipher not in _AES_KEY_SIZES:
        raise UnsupportedError(f"key {name}: protection cipher {cipher} (only AES)")
    iv = r.take(_BLOCK)
    if r.pos - start != count:
        raise PacketError(f"key {name}: the S2K parameter count does not match its fields")
    if passphrase is None:
        raise PassphraseError(f"key {name} is protected; a passphrase is needed")
    session = _s2k(spec, s2k, passphrase, _AES_KEY_SIZES[cipher], name)
    plain = _cfb_decrypt(session, iv, r.rest())
    if len(plain) < 20:
        raise PacketError(f"key {name}: encrypted secret key material too short")
    material, check = plain[:-20], plain[-20:]
    if hashlib.sha1(material).digest() != check:  # noqa: S324 - the check value RFC 9580 prescribes
        raise PassphraseError(f"wrong passphrase for key {name}")
    try:
        return _private_key(public, material)
    except PacketError as e:
        raise PassphraseError(f"key {name}: wrong passphrase or corrupt key ({e})") from e


def _s2k(spec: int, r: _Reader, passphrase: bytes, size: int, name: str) -> bytes:
    """Derive a ``size``-octet key from a passphrase (RFC 9580 section 3.7.1)."""
    if spec == _S2K_ARGON2:
        raise UnsupportedError(f"key {name}: Argon2 S2K (only with AEAD protection)")
    if spec not in (_S2K_SIMPLE, _S2K_SALTED, _S2K_ITERATED):
        raise UnsupportedError(f"key {name}: S2K specifier {spec}")
    hash_id = r.octet()
    if hash_id not in _S2K_HASHES:
        raise UnsupportedError(f"key {name}: unsupported S2K hash")
    hash_name = HashAlgorithm(hash_id).name.lower()
    salt = r.take(_SALT_SIZE) if spec != _S2K_SIMPLE else b""
    count = 0
    if spec == _S2K_ITERATED:
        coded = r.octet()
        count = (16 + (coded & 15)) << ((coded >> 4) + 6)
    if r.pos != len(r.data):
        raise PacketError(f"key {name}: trailing octets in the S2K specifier")
    return _derive(hash_name, salt, passphrase, count, size)


def _derive(hash_name: str, salt: bytes, passphrase: bytes, count: int, size: int) -> bytes:
    """The (iterated) salted hash of the passphrase, as many rounds as ``size`` needs."""
    unit = salt + passphrase
    total = max(count, len(unit))
    out = b""
    round_ = 0
    while len(out) < size:
        h = hashlib.new(hash_name)
        h.update(b"\x00" * round_)
        if count:
            block = unit * max(1, 65536 // len(unit))
            done = 0
            while done + len(block) <= total:
                h.update(block)
                done += len(block)
            full, part = divmod(total - done, len(unit))
            h.update(unit * full + unit[:part])
        else:
            h.update(unit)
        out += h.digest()
        round_ += 1
    return out[:size]


def _cfb_keystream_cipher(key: bytes) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - one block at a time, as CFB is defined


def _cfb_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES in full-block CFB mode, built on the block cipher (``cryptography`` 48 deprecates CFB)."""
    encryptor = _cfb_keystream_cipher(key).encryptor()
    out = bytearray()
    previous = iv
    for i in range(0, len(data), _BLOCK):
        block = data[i : i + _BLOCK]
        stream = encryptor.update(previous)
        out += bytes(a ^ b for a, b in zip(block, stream, strict=False))
        previous = block
    return bytes(out)


def _cfb_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES in full-block CFB mode, encrypting."""
    encryptor = _cfb_keystream_cipher(key).encryptor()
    out = bytearray()
    previous = iv
    for i in range(0, len(data), _BLOCK):
        stream = encryptor.update(previous)
        block = bytes(a ^ b for a, b in zip(data[i : i + _BLOCK], stream, strict=False))
        out += block
        previous = block
    return bytes(out)


def _mpis(material: bytes, n: int, name: str) -> Iterator[int]:
    pos = 0
    for _ in range(n):
        if pos + 2 > len(material):
            raise PacketError(f"key {name}: truncated secret MPI")
        bits = (material[pos] << 8) | material[pos + 1]
        size = (bits + 7) // 8
        pos += 2
        if pos + size > len(material):
            raise PacketError(f"key {name}: secret MPI longer than the key material")
        yield int.from_bytes(material[pos : pos + size], "big")
        pos += size
    if pos != len(material):
        raise PacketError(f"key {name}: trailing octets after the secret key material")


def _private_key(public: PublicKey, material: bytes) -> SigningPrivateKey:
    """The private key from plain secret key material, checked against its public key."""
    name = public.fingerprint
    private: SigningPrivateKey
    try:
        if public.algorithm in (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_SIGN_ONLY):
            d, p, q, _u = _mpis(material, 4, name)
            n, e = public.params
            assert isinstance(n, int)
            assert isinstance(e, int)
            if p * q != n:
                raise PacketError(f"key {name}: the RSA primes do not match the modulus")
            private = rsa.RSAPrivateNumbers(
                p=p,
                q=q,
                d=d,
                dmp1=rsa.rsa_crt_dmp1(d, p),
                dmq1=rsa.rsa_crt_dmq1(d, q),
                iqmp=rsa.rsa_crt_iqmp(p, q),
                public_numbers=rsa.RSAPublicNumbers(e, n),
            ).private_key()
        elif public.algorithm == PublicKeyAlgorithm.ECDSA:
            curve = _ECDSA_CURVES.get(public.curve or "")
            if curve is None:
                raise UnsupportedError(f"key {name}: ECDSA curve {public.curve}")
            (scalar,) = _mpis(material, 1, name)
            private = ec.derive_private_key(scalar, curve)
        elif public.algorithm == PublicKeyAlgorithm.ED25519:
            if len(material) != 32:
                raise PacketError(f"key {name}: an Ed25519 secret is 32 octets")
            private = ed25519.Ed25519PrivateKey.from_private_bytes(material)
        elif public.algorithm == PublicKeyAlgorithm.ED448:
            if len(material) != 57:
                raise PacketError(f"key {name}: an Ed448 secret is 57 octets")
            private = ed448.Ed448PrivateKey.from_private_bytes(material)
        else:
            raise UnsupportedError(f"key {name}: {public.algorithm_name} keys cannot sign")
    except ValueError as e:
        if isinstance(e, FormatError):
            raise
        raise PacketError(f"key {name}: invalid secret key material ({e})") from e
    rebuilt = make_signing_key(
        private, created=public.created, algorithm=public.algorithm, version=6
    )
    if rebuilt.public_packet_body != public.body:
        raise PacketError(f"key {name}: the secret key does not match its public key")
    return private


def _secret_material(key: SigningKey) -> bytes:
    """The algorithm-specific secret fields of a key (RFC 9580 section 5.5.5)."""
    pk = key.private_key
    if key.algorithm == PublicKeyAlgorithm.EDDSA_LEGACY and isinstance(
        pk, ed25519.Ed25519PrivateKey
    ):  # EdDSA-legacy: an MPI
        seed = pk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return mpi(int.from_bytes(seed, "big"))
    if isinstance(pk, rsa.RSAPrivateKey):
        nums = pk.private_numbers()
        p, q = sorted((nums.p, nums.q))
        return b"".join(mpi(v) for v in (nums.d, p, q, pow(p, -1, q)))
    if isinstance(pk, ec.EllipticCurvePrivateKey):
        return mpi(pk.private_numbers().private_value)
    if isinstance(pk, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return pk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raise UnsupportedError(f"cannot write algorithm {key.algorithm} secret keys")


def secret_key_packet_body(
    key: SigningKey,
    passphrase: bytes | None = None,
    *,
    salt: bytes | None = None,
    iv: bytes | None = None,
) -> bytes:
    """The body of a secret-key (or secret-subkey) packet for ``key`` (v4 or v6).

    Unprotected without ``passphrase`` (S2K usage 0; a v4 key then ends with a 2-octet checksum,
    a v6 key with none: RFC 9580 section 5.5.3); otherwise S2K usage 254: iterated and salted
    SHA-256 S2K, AES-256 CFB, SHA-1 check value (a v6 packet also counts the S2K fields and the
    S2K specifier's length, in one octet each).

    Args:
        key: The key (RSA, ECDSA, EdDSA-legacy, Ed25519 or Ed448).
        passphrase: Protect the secret with it; None writes it unprotected.
        salt: The 8-octet S2K salt (default: random); for reproducible tests.
        iv: The 16-octet IV (default: random); for reproducible tests.

    Returns:
        The packet body (public part, then the secret part).

    Raises:
        UnsupportedError: An algorithm whose secret cannot be written here.
    """
    material = _secret_material(key)
    public = key.public_packet_body
    v6 = key.version == 6
    if passphrase is None:
        checksum = b"" if v6 else struct.pack(">H", sum(material) & 0xFFFF)
        return public + bytes([_USAGE_NONE]) + material + checksum
    salt = salt if salt is not None else secrets.token_bytes(_SALT_SIZE)
    iv = iv if iv is not None else secrets.token_bytes(_BLOCK)
    session = _derive(
        "sha256", salt, passphrase, (16 + (_CODED_COUNT & 15)) << ((_CODED_COUNT >> 4) + 6), 32
    )
    sealed = _cfb_encrypt(session, iv, material + hashlib.sha1(material).digest())  # noqa: S324 - the check value RFC 9580 prescribes
    s2k = bytes([_S2K_ITERATED, HashAlgorithm.SHA256]) + salt + bytes([_CODED_COUNT])
    if not v6:
        return public + bytes([_USAGE_CFB, SymmetricAlgorithm.AES256]) + s2k + iv + sealed
    fields = bytes([SymmetricAlgorithm.AES256, len(s2k)]) + s2k + iv
    return public + bytes([_USAGE_CFB, len(fields)]) + fields + sealed
