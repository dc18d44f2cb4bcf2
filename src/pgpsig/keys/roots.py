"""The store's trust roots: ``pgpsig key trust add``, ``remove`` and ``list``.

This module owns :func:`add_trust_root`, :func:`remove_trust_root` and :func:`list_trust_roots`:
the fingerprints in the store's ``roots`` file (each with its user ID as a comment), changed under
the store lock. What a root means when a signature is judged is :mod:`pgpsig.engine.trust`'s.
"""

from __future__ import annotations

from typing import Any

from pgpsig._dataclass import dataclass
from pgpsig.certs.keyring import Keyring
from pgpsig.certs.store import Store
from pgpsig.engine.trust import TrustRoots
from pgpsig.errors import KeyringError
from pgpsig.keys._common import _first_user_id
from pgpsig.openpgp.packets import Cert
from pgpsig.openpgp.publickey import normalize_fingerprint

__all__ = [
    "TrustRootInfo",
    "add_trust_root",
    "list_trust_roots",
    "remove_trust_root",
]


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
    """The stored certificate whose primary key ``ref`` names (TrustRoots' rule: never a subkey)."""
    try:
        (fpr,) = TrustRoots.resolve([ref], ring).fingerprints
    except KeyringError as e:
        raise KeyringError(f"{e}: import its certificate first") from e
    cert = ring.get(fpr)
    assert cert is not None
    return cert


def add_trust_root(store: Store, ref: str) -> TrustRootInfo:
    """Add a certificate of the store to its trust roots.

    Steps:

    1. Lock the store and find the certificate by its primary fingerprint (or a key ID that
       names exactly one primary key; a subkey never matches).
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
        ring = store.load(feeds=False)
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

    Its keyring feed, if one is in force, is retired: what it delivered is carried into the
    store's own certificates (a revocation is never dropped), then its file is removed, so that
    it no longer counts for freshness.

    Args:
        store: The store.
        ref: The root's fingerprint, or a key ID of a stored certificate.

    Returns:
        The removed fingerprint.

    Raises:
        KeyringError: Not a trust root, or the roots file cannot be written.
    """
    with store.locked():
        ring = store.load(feeds=False)
        roots = store.roots()
        fpr = normalize_fingerprint(ref)
        if fpr is None or fpr not in roots:
            cert = ring.find_primary(ref)
            fpr = cert.fingerprint if cert is not None else None
        if fpr is None or fpr not in roots:
            raise KeyringError(f"{ref} is not a trust root of this store")
        if store.feeds_dir is not None:  # first: a crash then leaves a root without a feed
            from pgpsig.keys.feeding import retire_feed  # noqa: PLC0415

            retire_feed(store, fpr)
        store.write_roots((f, _comment(ring, f)) for f in roots if f != fpr)
        return fpr


def list_trust_roots(store: Store) -> tuple[TrustRootInfo, ...]:
    """The store's trust roots, with their user IDs.

    Raises:
        KeyringError: The store cannot be read.
    """
    ring = store.load(feeds=False)
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
