"""Small helpers the key use cases share.

This private module owns the helpers more than one module of :mod:`pgpsig.keys` needs: the
aware-time check, a certificate's first user ID, a signing key's public key and a shallow copy of a
certificate (issuer hints are :meth:`pgpsig.openpgp.packets.Signature.may_be_issued_by`'s, user-ID
revocations the validity engine's). No use case lives here. OpenPGP's numbers are
:mod:`pgpsig.openpgp.ids`'s; the parameters of one job (S2K settings, size limits, armor
labels) stay in that job's module.
"""

from __future__ import annotations

from datetime import datetime

from pgpsig.openpgp.packets import Cert, Component, PublicKey, parse_public_key
from pgpsig.openpgp.signingkey import SigningKey

__all__ = [
    "_copy",
    "_first_user_id",
    "_public_key",
    "_require_aware",
]


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
