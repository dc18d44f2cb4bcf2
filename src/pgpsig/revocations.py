"""Loose revocations: which certificate a revocation read on its own belongs to, and where in it.

This module owns one decision: given a revocation signature that sits outside any certificate (a
revocation certificate from ``pgpsig key revoke`` or ``gpg --gen-revoke``, a ``.rev`` file next to
the keys, a revocation kept pending in the store) and the certificates at hand, is it *attached*
(it verifies over a component of one of them), *pending* (the key it names is not at hand, so it
cannot be judged yet) or *unverified* (it names a key that is at hand but verifies over nothing it
could revoke)? :mod:`pgpsig.keyring` (every keyring file, directory and the store) and
:mod:`pgpsig.keys.importing` (``key import``) both ask it, so the two cannot disagree.

Where a revocation verifies decides where it goes:

* **0x20** (key revocation): over the primary key, by that primary key, or by a designated revoker
  (a key named by a Revocation Key subpacket 12 in one of the target's self-signatures that
  verify) whose certificate is at hand. It goes to :attr:`~pgpsig.packets.Cert.direct`.
* **0x28** (subkey revocation): over (primary, subkey) by the primary key; under that subkey.
* **0x30** (certification revocation): over (primary, user ID or attribute) by the certificate's
  own primary key, or by a third party that certified that user ID; under that user ID.

The issuer may be named by fingerprint (authoritative) or only by key ID (then every primary key
with that ID is tried). Placing a revocation is not judging it: the hash policy, its reason and its
time are :mod:`pgpsig.validity`'s and :mod:`pgpsig.trust`'s questions; this module only makes sure
that a revocation that verifies is where they look, and never lost. The signature check is the one
:class:`pgpsig.validity.CertValidator` makes (hash the key and component prefixes, then the
trailer, then :func:`pgpsig._crypto.check_signature`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from pgpsig._crypto import verifies_over
from pgpsig.packets import Cert, Component, PublicKey, Signature, signature_identity

__all__ = [
    "REVOCATION_TYPES",
    "LooseRevocation",
    "Outcome",
    "Resolution",
    "attach",
    "describe",
    "locate",
    "resolve",
]

#: The revocation signature types a loose signature may be, and their names for messages.
REVOCATION_TYPES: Mapping[int, str] = {
    0x20: "key revocation",
    0x28: "subkey revocation",
    0x30: "certification revocation",
}

_CERTIFICATIONS = range(0x10, 0x14)
_DIRECT_KEY = 0x1F


@dataclass(frozen=True, slots=True)
class LooseRevocation:
    """A revocation signature read outside any certificate, and where it was read (for messages)."""

    signature: Signature
    source: str


class Outcome(Enum):
    """What :func:`resolve` found for a loose revocation."""

    #: It verifies over a component of ``Resolution.cert`` and is not there yet.
    ATTACH = "attach"
    #: It verifies over a component of ``Resolution.cert`` and is already there.
    PRESENT = "present"
    #: The key it names is not at hand: it cannot be judged until that certificate is.
    PENDING = "pending"
    #: It names a key that is at hand but verifies over nothing it could revoke (or is unusable).
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer of :func:`resolve`: the outcome, the target (when found) and why, for messages.

    ``component`` is None for a key revocation (it goes to ``cert.direct``).
    """

    outcome: Outcome
    cert: Cert | None = None
    component: Component | None = None
    reason: str = ""


def _names(sig: Signature, key: PublicKey) -> bool:
    """Whether the signature names ``key`` as its issuer.

    A hintless revocation is never tried: each try costs a public-key operation per certificate.
    """
    return sig.has_issuer_hint and sig.may_be_issued_by(key)


def locate(sig: Signature, cert: Cert, signer: PublicKey | None = None) -> Component | Cert | None:
    """Where in ``cert`` the revocation ``sig`` by ``signer`` (default: its own primary) verifies.

    Args:
        sig: A revocation (0x20, 0x28 or 0x30).
        cert: The certificate it may revoke a part of.
        signer: The key that made it: ``cert``'s primary key (None), a designated revoker's
            primary key (0x20) or a third party's (0x30).

    Returns:
        ``cert`` itself for a key revocation over its primary key, the subkey, user ID or user
        attribute component it verifies over, or None.
    """
    p = cert.primary
    key = p if signer is None else signer
    if sig.sig_type == 0x20:
        return cert if verifies_over(sig, key, p.hash_prefix()) else None
    if sig.sig_type == 0x28:
        if key is not p:
            return None
        for comp in cert.subkeys:
            assert comp.key is not None
            if verifies_over(sig, p, p.hash_prefix() + comp.key.hash_prefix()):
                return comp
        return None
    if sig.sig_type == 0x30:
        for comp in (*cert.uids, *cert.uats):
            if verifies_over(sig, key, p.hash_prefix() + comp.hash_prefix()):
                return comp
    return None


def _issuers(sig: Signature, certs: Iterable[Cert]) -> tuple[list[Cert], list[Cert]]:
    """Certificates whose *primary* key ``sig`` names, and those of which it names a subkey."""
    primaries: list[Cert] = []
    by_subkey: list[Cert] = []
    for cert in certs:
        if _names(sig, cert.primary):
            primaries.append(cert)
        elif any(c.key is not None and _names(sig, c.key) for c in cert.subkeys):
            by_subkey.append(cert)
    return primaries, by_subkey


def _names_revoker(target: Cert, revoker: PublicKey) -> bool:
    """Whether a self-signature of ``target`` that verifies names ``revoker`` (subpacket 12)."""
    p = target.primary
    for sig in target.direct:
        if (
            sig.sig_type == _DIRECT_KEY
            and revoker.fingerprint in sig.revocation_keys
            and _names(sig, p)
            and verifies_over(sig, p, p.hash_prefix())
        ):
            return True
    for comp in (*target.uids, *target.uats):
        for sig in comp.signatures:
            if (
                sig.sig_type in _CERTIFICATIONS
                and revoker.fingerprint in sig.revocation_keys
                and _names(sig, p)
                and verifies_over(sig, p, p.hash_prefix() + comp.hash_prefix())
            ):
                return True
    return False


def _certified_by(target: Cert, issuer: PublicKey) -> list[Component]:
    """User IDs and attributes of ``target`` carrying a certification that names ``issuer``."""
    return [
        comp
        for comp in (*target.uids, *target.uats)
        if any(s.sig_type in _CERTIFICATIONS and _names(s, issuer) for s in comp.signatures)
    ]


def _by_other_key(sig: Signature, target: Cert, issuer: PublicKey) -> Component | Cert | None:
    """Where ``sig`` by ``issuer`` verifies in ``target``, for a key that may revoke there.

    A key revocation needs ``issuer`` named as designated revoker by ``target``; a certification
    revocation is tried over the user IDs ``issuer`` certified (there is nothing else to revoke).
    """
    if sig.sig_type == 0x20 and _names_revoker(target, issuer):
        return locate(sig, target, issuer)
    if sig.sig_type == 0x30:
        p = target.primary
        for comp in _certified_by(target, issuer):
            if verifies_over(sig, issuer, p.hash_prefix() + comp.hash_prefix()):
                return comp
    return None


def _holds(cert: Cert, component: Component | None, sig: Signature) -> bool:
    where = cert.direct if component is None else component.signatures
    ident = signature_identity(sig)
    return any(signature_identity(s) == ident for s in where)


def _found(sig: Signature, cert: Cert, where: Component | Cert) -> Resolution:
    component = None if isinstance(where, Cert) else where
    outcome = Outcome.PRESENT if _holds(cert, component, sig) else Outcome.ATTACH
    return Resolution(outcome, cert, component)


def resolve(sig: Signature, certs: Mapping[str, Cert]) -> Resolution:
    """Find the certificate and component a loose revocation verifies over (module docstring).

    Args:
        sig: A signature read outside any certificate.
        certs: The certificates at hand, by primary fingerprint.

    Returns:
        ``ATTACH`` or ``PRESENT`` with the target; ``PENDING`` when no key the signature names is
        at hand; ``UNVERIFIED`` (with the reason) when it is not a usable revocation or names a
        key at hand and verifies over nothing it could revoke.
    """
    if sig.sig_type not in REVOCATION_TYPES:
        return Resolution(
            Outcome.UNVERIFIED, reason=f"a type 0x{sig.sig_type:02X} signature is no revocation"
        )
    if sig.created is None or sig.created_count != 1:
        return Resolution(Outcome.UNVERIFIED, reason="it has no single hashed creation time")
    if not sig.issuer_fingerprints and not sig.issuer_key_ids:
        return Resolution(Outcome.UNVERIFIED, reason="it names no issuer")
    issuers, by_subkey = _issuers(sig, certs.values())
    # (1) Made by the primary key of the certificate it revokes a part of.
    for cert in issuers:
        where = locate(sig, cert)
        if where is not None:
            return _found(sig, cert, where)
    # (2) A designated revoker's key revocation, or a third party's certification revocation.
    for issuer in issuers:
        for target in certs.values():
            if target is not issuer:
                where = _by_other_key(sig, target, issuer.primary)
                if where is not None:
                    return _found(sig, target, where)
    if issuers:
        names = ", ".join(c.fingerprint for c in issuers)
        return Resolution(
            Outcome.UNVERIFIED, reason=f"it does not verify over anything {names} can revoke"
        )
    if by_subkey:
        return Resolution(
            Outcome.UNVERIFIED,
            reason=f"it was made by a subkey of {by_subkey[0].fingerprint} "
            "(revocations are made by primary keys)",
        )
    return Resolution(Outcome.PENDING, reason="no certificate of its issuer is at hand")


def attach(sig: Signature, resolution: Resolution) -> bool:
    """Append ``sig`` where ``resolution`` (``ATTACH``) says; return whether it was added."""
    if resolution.outcome is not Outcome.ATTACH or resolution.cert is None:
        return False
    if resolution.component is None:
        resolution.cert.direct.append(sig)
    else:
        resolution.component.signatures.append(sig)
    return True


def describe(rev: LooseRevocation, resolution: Resolution) -> str:
    """One line for people about a revocation that was not attached (pending or ignored)."""
    sig = rev.signature
    what = REVOCATION_TYPES.get(sig.sig_type, f"type 0x{sig.sig_type:02X} signature")
    head = f"{rev.source}: {what} by {sig.issuer_hint}"
    if resolution.outcome is Outcome.PENDING:
        return (
            f"{head} is pending: its issuer's certificate is not in the keyring "
            "(it applies as soon as that certificate is)"
        )
    return f"{head} ignored: {resolution.reason}"
