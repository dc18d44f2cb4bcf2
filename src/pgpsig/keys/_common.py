"""The vocabulary the key use cases share: RFC 9580 numbers and small helpers.

This private module owns the signature types, key flags, subpacket types and packet tags that
:mod:`pgpsig.keys` writes and reads, and the helpers more than one of its modules needs: the
aware-time check, a certificate's first user ID, a signing key's public key and a shallow copy of a
certificate (issuer hints are :meth:`pgpsig.openpgp.packets.Signature.may_be_issued_by`'s, user-ID
revocations the validity engine's). No use case lives here. The RFC's type numbers stay together here whichever module uses them;
the parameters of one job (S2K settings, size limits, armor labels) stay in that job's module.
"""

from __future__ import annotations

from datetime import datetime

from pgpsig.openpgp.packets import Cert, Component, PublicKey, parse_public_key
from pgpsig.openpgp.signingkey import SigningKey

__all__ = [
    "_BACK_SIGNATURE",
    "_CERTIFICATIONS",
    "_CERT_GENERIC",
    "_CERT_POSITIVE",
    "_CERT_REVOCATION",
    "_DIRECT_KEY",
    "_FLAG_CERTIFY",
    "_FLAG_NAMES",
    "_FLAG_SIGN",
    "_KEY_REVOCATION",
    "_PRIMARY_ONLY",
    "_SP_EMBEDDED_SIGNATURE",
    "_SP_FEATURES",
    "_SP_KEYSERVER_PREFERENCES",
    "_SP_KEY_EXPIRATION",
    "_SP_KEY_FLAGS",
    "_SP_PREFERRED_COMPRESSION",
    "_SP_PREFERRED_HASH",
    "_SP_PREFERRED_SYMMETRIC",
    "_SP_PRIMARY_USER_ID",
    "_SP_REVOCATION_REASON",
    "_SP_TRUST",
    "_SUBKEY_BINDING",
    "_SUBKEY_REVOCATION",
    "_copy",
    "_first_user_id",
    "_public_key",
    "_require_aware",
]

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


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _first_user_id(cert: Cert) -> str | None:
    return cert.uids[0].uid if cert.uids else None


def _public_key(key: SigningKey, *, is_subkey: bool = False) -> PublicKey:
    return parse_public_key(key.public_packet_body, is_subkey=is_subkey)[0]


def _copy(cert: Cert) -> Cert:
    return Cert(
        primary=cert.primary,
        direct=list(cert.direct),
        uids=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.uids],
        uats=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.uats],
        subkeys=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.subkeys],
        unparsed=[Component(c.kind, c.value, c.key, list(c.signatures)) for c in cert.unparsed],
    )
