"""The OpenPGP packet writer: bytes out, no keys, no judgement.

This module owns every octet layout pgpsig *writes* (RFC 9580 sections 3 to 5), so that each
exists once:

* packet framing: :func:`packet_header` (new-format headers) and :func:`packet`;
* the value encodings: :func:`mpi` (multiprecision integers), :func:`timestamp` (4-octet
  times) and :func:`subpacket` (signature subpackets, with the critical bit);
* what stands for a key or a user ID in a signature hash: :func:`key_hash_input` (v4) and
  :func:`user_id_hash_input` (a v6 key's is :meth:`pgpsig.openpgp.packets.PublicKey.hash_prefix`);
* the layout of v4 and v6 signature packets: :func:`signature_digest` (salt, data, head,
  trailer) and :func:`signature_body` (head, hashed and unhashed areas, the digest's first two
  octets, the salt of a v6 signature, then the signature material).

It makes no signature itself: :func:`signature_body` takes the function that turns a digest into
signature material (:func:`pgpsig.openpgp.signing.sign_digest` with a private key), and the
choice of subpackets is the caller's. Reading is :mod:`pgpsig.openpgp.packets`' job.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pgpsig.openpgp.ids import V6_SALT_SIZES, HashAlgorithm

__all__ = [
    "HashFeed",
    "HashSink",
    "key_hash_input",
    "mpi",
    "packet",
    "packet_header",
    "signature_body",
    "signature_digest",
    "subpacket",
    "timestamp",
    "user_id_hash_input",
    "v6_salt_size",
]


class HashSink(Protocol):
    """What a hashed-data feed writes into: a hash object's ``update``."""

    def update(self, data: bytes, /) -> None:
        """Add ``data`` to the hash."""


HashFeed = Callable[[HashSink], None]
"""A function that writes the signed data into the hash it is given."""


def packet_header(tag: int, length: int) -> bytes:
    """A new-format packet header (RFC 9580 section 4.2.1) for a body of ``length`` octets."""
    if length < 192:
        ln = bytes([length])
    elif length < 8384:
        length -= 192
        ln = bytes([(length >> 8) + 192, length & 0xFF])
    else:
        ln = b"\xff" + struct.pack(">I", length)
    return bytes([0xC0 | tag]) + ln


def packet(tag: int, body: bytes) -> bytes:
    """A whole packet: the new-format header for ``body``, then ``body``."""
    return packet_header(tag, len(body)) + body


def mpi(value: int) -> bytes:
    """An OpenPGP multiprecision integer (RFC 9580 section 3.2): 2-octet bit count, then octets."""
    bits = value.bit_length()
    return struct.pack(">H", bits) + value.to_bytes((bits + 7) // 8, "big")


def timestamp(when: datetime) -> int:
    """Seconds since the epoch of an aware datetime, as a packet's 4-octet time stores them.

    Raises:
        ValueError: A naive datetime, or one outside 1970-2106.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("created must be timezone-aware (naive datetimes are ambiguous)")
    seconds = int(when.timestamp())
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise ValueError(f"{when.isoformat()} cannot be stored in a v4 packet")
    return seconds


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


def v6_salt_size(hash_algorithm: HashAlgorithm) -> int:
    """The salt size of a v6 signature made with ``hash_algorithm`` (RFC 9580 section 9.5).

    Raises:
        ValueError: A hash without a v6 salt size.
    """
    size = V6_SALT_SIZES.get(hash_algorithm)
    if size is None:
        raise ValueError(f"{hash_algorithm.display} has no v6 salt size")
    return size


def signature_digest(
    hash_algorithm: HashAlgorithm, data: HashFeed | bytes, head: bytes, *, salt: bytes = b""
) -> bytes:
    """The digest a signature signs: salt (v6), the data, the head, then the trailer.

    ``head`` is the signature from its version octet to the end of the hashed area; the trailer
    is ``version || 0xFF || 4-octet length of head`` (RFC 9580 section 5.2.4).
    """
    state = hashlib.new(hash_algorithm.name.lower())
    state.update(salt)
    if isinstance(data, bytes | bytearray | memoryview):
        state.update(data)
    else:
        data(state)
    state.update(head)
    state.update(bytes([head[0], 0xFF]) + struct.pack(">I", len(head)))
    return state.digest()


def signature_body(
    *,
    version: int,
    sig_type: int,
    pubkey_algorithm: int,
    hash_algorithm: HashAlgorithm,
    hashed: bytes,
    unhashed: bytes,
    data: HashFeed | bytes,
    sign: Callable[[bytes], bytes],
    salt: bytes = b"",
) -> bytes:
    """The body of a v4 or v6 signature packet (RFC 9580 sections 5.2.3 and 5.2.4).

    A v4 body: ``4, type, algorithms, 2-octet hashed length, hashed, 2-octet unhashed length,
    unhashed, the digest's first two octets, material``. A v6 body has 4-octet area lengths and
    the salt (with its length octet) before the material; its hash starts with the salt.

    Args:
        version: 4 or 6.
        sig_type: The signature type octet.
        pubkey_algorithm: The signing key's algorithm id.
        hash_algorithm: The hash.
        hashed: The encoded hashed subpackets (see :func:`subpacket`).
        unhashed: The encoded unhashed subpackets.
        data: The signed data, as bytes or as a feed that writes it into the hash.
        sign: Turns the digest into the signature material (MPIs, or raw octets for Ed25519 and
            Ed448).
        salt: v6 only: the salt (:func:`v6_salt_size` octets).

    Returns:
        The signature packet body.

    Raises:
        ValueError: A version other than 4 and 6, a type that is not an octet, an area too long
            for its length field, or a salt that does not fit the version and hash.
    """
    if not 0 <= sig_type <= 0xFF:
        raise ValueError(f"signature type {sig_type} is not an octet")
    if version == 6:
        size = v6_salt_size(hash_algorithm)
        if len(salt) != size:
            raise ValueError(
                f"a v6 {hash_algorithm.display} signature needs a {size}-octet salt, not {len(salt)}"
            )
        length = ">I"
    elif version == 4:
        if salt:
            raise ValueError("only v6 signatures carry a salt")
        if max(len(hashed), len(unhashed)) > 0xFFFF:
            raise ValueError("the hashed subpackets exceed 65535 octets")
        length = ">H"
    else:
        raise ValueError(f"signature version {version} is not 4 or 6")
    head = (
        bytes([version, sig_type, pubkey_algorithm, hash_algorithm])
        + struct.pack(length, len(hashed))
        + hashed
    )
    digest = signature_digest(hash_algorithm, data, head, salt=salt)
    material = sign(digest)
    salted = bytes([len(salt)]) + salt if version == 6 else b""
    return head + struct.pack(length, len(unhashed)) + unhashed + digest[:2] + salted + material
