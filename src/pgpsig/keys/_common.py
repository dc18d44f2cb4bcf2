"""Small helpers the key use cases share.

This private module owns the helpers more than one module of :mod:`pgpsig.keys` needs: the
aware-time check, a certificate's first user ID, a signing key's public key and a shallow copy of a
certificate (issuer hints are :meth:`pgpsig.openpgp.packets.Signature.may_be_issued_by`'s, user-ID
revocations the validity engine's). No use case lives here. OpenPGP's numbers are
:mod:`pgpsig.openpgp.ids`'s (the ``_SP_*``, ``_FLAG_*`` and signature-type names below are
temporary aliases of its enums); the parameters of one job (S2K settings, size limits, armor
labels) stay in that job's module.
"""

from __future__ import annotations

from datetime import datetime

from pgpsig.openpgp.ids import (
    CERTIFICATION_TYPES,
    PRIMARY_KEY_TYPES,
    KeyFlag,
    SignatureType,
    SubpacketType,
)
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

# Aliases of :mod:`pgpsig.openpgp.ids`, kept only so that modules not yet moved to the enums
# (keys/generate.py, keys/material.py) still import: to be deleted once they name the enums.
_CERT_GENERIC = SignatureType.GENERIC_CERTIFICATION
_CERT_POSITIVE = SignatureType.POSITIVE_CERTIFICATION
_SUBKEY_BINDING = SignatureType.SUBKEY_BINDING
_BACK_SIGNATURE = SignatureType.PRIMARY_KEY_BINDING
_DIRECT_KEY = SignatureType.DIRECT_KEY
_KEY_REVOCATION = SignatureType.KEY_REVOCATION
_SUBKEY_REVOCATION = SignatureType.SUBKEY_REVOCATION
_CERT_REVOCATION = SignatureType.CERTIFICATION_REVOCATION
_CERTIFICATIONS = CERTIFICATION_TYPES
_PRIMARY_ONLY = PRIMARY_KEY_TYPES
_FLAG_CERTIFY = KeyFlag.CERTIFY
_FLAG_SIGN = KeyFlag.SIGN
_SP_TRUST = SubpacketType.TRUST_SIGNATURE
_SP_KEY_EXPIRATION = SubpacketType.KEY_EXPIRATION_TIME
_SP_PREFERRED_SYMMETRIC = SubpacketType.PREFERRED_SYMMETRIC
_SP_PREFERRED_HASH = SubpacketType.PREFERRED_HASH
_SP_PREFERRED_COMPRESSION = SubpacketType.PREFERRED_COMPRESSION
_SP_KEYSERVER_PREFERENCES = SubpacketType.KEY_SERVER_PREFERENCES
_SP_PRIMARY_USER_ID = SubpacketType.PRIMARY_USER_ID
_SP_KEY_FLAGS = SubpacketType.KEY_FLAGS
_SP_REVOCATION_REASON = SubpacketType.REASON_FOR_REVOCATION
_SP_FEATURES = SubpacketType.FEATURES
_SP_EMBEDDED_SIGNATURE = SubpacketType.EMBEDDED_SIGNATURE


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
