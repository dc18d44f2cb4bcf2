"""OpenPGP packets as typed values: one import for framing, signatures, public keys and certificates.

This module re-exports, under the names importers have always used, the bytes-to-values step for
everything pgpsig verifies. It defines nothing; each concept lives in its own module:

* :mod:`pgpsig.openpgp.framing`: packet framing (old and new format headers, partial lengths),
  writing a packet header, and the MPI and time fields inside bodies.
* :mod:`pgpsig.openpgp.signature`: v4 and v6 signature packets and their subpackets (the raw hashed
  area kept, so a digest can be computed while streaming) and the hash objects of their digests
  (SHA-1 with collision detection).
* :mod:`pgpsig.openpgp.publickey`: v4 and v6 public-key and public-subkey packets (the public part
  of secret key packets too), fingerprints and key IDs.
* :mod:`pgpsig.openpgp.cert`: the grouping of packets into transferable public keys (:class:`Cert`).
* :mod:`pgpsig.openpgp.ids`: the OpenPGP numbers (:class:`~pgpsig.openpgp.ids.Tag`,
  ``HASH_NAMES``, ``ALGORITHM_NAMES``, ``KNOWN_SUBPACKETS``).

All of it is pure: bytes in, values out; it never decides whether anything is *valid* (that is
:mod:`pgpsig.engine`) and never checks a signature (that is
:mod:`pgpsig.openpgp._crypto`). PGPy is not used: it crashes on issuer-fingerprint-only signatures,
refuses private revocation reason codes and cannot read v6 packets (see THREATS.md). Parsing is
bounded: every length is checked against the remaining input and the limits, and only
:class:`~pgpsig.errors.PacketError` or :class:`~pgpsig.errors.LimitError` escape.
"""

from __future__ import annotations

from pgpsig.openpgp.cert import MAX_PACKETS_PER_CERT, SECRET_KEY_TAGS, Cert, Component, parse_certs
from pgpsig.openpgp.framing import MAX_PACKET_BYTES, Packet, iter_packets
from pgpsig.openpgp.ids import ALGORITHM_NAMES, HASH_NAMES, KNOWN_SUBPACKETS, Tag
from pgpsig.openpgp.publickey import PublicKey, parse_public_key
from pgpsig.openpgp.signature import (
    MAX_SUBPACKETS,
    Notation,
    Signature,
    SignatureHash,
    Subpacket,
    _parse_subpackets,  # noqa: F401 - tests/openpgp/test_signing.py reads it through this module
    new_hash,
    parse_signature,
    parse_signatures,
    signature_identity,
)

__all__ = [
    "ALGORITHM_NAMES",
    "HASH_NAMES",
    "KNOWN_SUBPACKETS",
    "MAX_PACKETS_PER_CERT",
    "MAX_PACKET_BYTES",
    "MAX_SUBPACKETS",
    "SECRET_KEY_TAGS",
    "Cert",
    "Component",
    "Notation",
    "Packet",
    "PublicKey",
    "Signature",
    "SignatureHash",
    "Subpacket",
    "Tag",
    "iter_packets",
    "new_hash",
    "parse_certs",
    "parse_public_key",
    "parse_signature",
    "parse_signatures",
    "signature_identity",
]
