"""Loose revocations: which certificate a revocation read on its own belongs to, and where in it.

This module owns one decision: given a revocation signature that sits outside any certificate (a
revocation certificate from ``pgpsig key revoke`` or ``gpg --gen-revoke``, a ``.rev`` file next to
the keys, a revocation kept pending in the store, one found inside a certificate it does not name)
and the certificates at hand, is it *attached* (it verifies over a component of one of them),
*pending* (nothing at hand is what it revokes, so it cannot be judged yet) or *unusable* (it can
never revoke anything, whatever certificates arrive)? :mod:`pgpsig.certs.keyring` (every keyring file,
directory and the store) and :mod:`pgpsig.keys.importing` (``key import``) both ask it, so the two
cannot disagree.

Where a revocation verifies decides where it goes:

* **0x20** (key revocation): over the primary key, by that primary key, or by a designated revoker
  (a key named by a Revocation Key subpacket 12 in one of the target's self-signatures that
  verify) whose certificate is at hand. It goes to :attr:`~pgpsig.openpgp.packets.Cert.direct`.
* **0x28** (subkey revocation): over (primary, subkey) by the primary key, for a subkey bound to
  it (a 0x18 binding that verifies); under that subkey.
* **0x30** (certification revocation): over (primary, user ID or attribute) by the certificate's
  own primary key, or by a third party that certified that user ID; under that user ID. Only user
  IDs and attributes bound by a self-signature that verifies are tried.

Revocations are made by primary keys: a certificate that merely carries the issuer's key as a
*subkey* is neither the issuer nor a target. The issuer may be named by fingerprint
(authoritative) or only by key ID (then every primary key with that ID is tried).

**Pending is the default.** A revocation does not name what it revokes, only who made it. A
designated revoker's 0x20 or a certifier's 0x30 whose issuer *is* at hand may revoke a certificate
that is not; a 0x28 or 0x30 by a key at hand may be over a subkey or user ID that a newer copy of
that certificate brings; a 0x20 that does not verify over its issuer's own key may be that issuer's
revocation of another key that designated it. So a revocation that verifies over nothing at hand is
*pending*, never "does not verify": no set of certificates proves that it cannot apply. Only a
signature that no certificate can ever make apply is *unusable*: not a revocation type, no single
hashed creation time, or no issuer named at all (a loose revocation must say who made it; trying
an anonymous one against every key of a keyring would cost a public-key operation per key). A
pending revocation is retried whenever certificates are added, and the store keeps it until it has
been written into its certificate.

Placing a revocation is not judging it: the hash policy, its reason and its time are
:mod:`pgpsig.engine`'s and :mod:`pgpsig.engine.trust`'s questions; this module only makes sure that a
revocation that verifies is where they look, and never lost. The signature check is
:func:`pgpsig.openpgp._crypto.verifies_over`, the engine's.

**Cost.** Each try is a signature check, and a third party may add any number of bare user IDs,
subkeys and forged self-signatures to a certificate. What a certificate offers as targets (its
bound components, its designated revokers, who certified which user ID) is worked out once per
certificate for a whole batch of revocations (:class:`Targets`), so a batch costs a number of
checks linear in the certificates' packets plus the revocations, never their product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import TypeVar

from pgpsig._dataclass import dataclass
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, REVOCATION_TYPES, SignatureType
from pgpsig.openpgp.packets import Cert, Component, PublicKey, Signature, signature_identity

__all__ = [
    "LooseRevocation",
    "Outcome",
    "Resolution",
    "Targets",
    "attach",
    "describe",
    "holds_anywhere",
    "locate",
    "resolve",
]

_T = TypeVar("_T")


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
    #: Nothing at hand is what it revokes (module docstring): kept, and tried again later.
    PENDING = "pending"
    #: No certificate can ever make it apply: not a revocation, no creation time, no issuer.
    UNUSABLE = "unusable"


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


class Targets:
    """What certificates offer loose revocations, worked out once per certificate per batch.

    Use one instance for one batch of :func:`resolve` calls over one set of certificates; a
    certificate replaced by another object (a merge, an import's cleaned copy) is worked out
    again. Attaching revocations does not change what a certificate offers.
    """

    def __init__(self) -> None:
        self._bound: dict[int, tuple[Cert, tuple[Component, ...]]] = {}
        self._revokers: dict[int, tuple[Cert, frozenset[str]]] = {}
        self._certifiers: dict[int, tuple[Cert, dict[tuple[str, str], list[Component]]]] = {}

    @staticmethod
    def _memo(table: dict[int, tuple[Cert, _T]], cert: Cert, make: Callable[[Cert], _T]) -> _T:
        hit = table.get(id(cert))
        if hit is not None and hit[0] is cert:
            return hit[1]
        value = make(cert)
        table[id(cert)] = (cert, value)  # the reference keeps id(cert) from being reused
        return value

    def bound(self, cert: Cert) -> tuple[Component, ...]:
        """User IDs, attributes and subkeys of ``cert`` with a self-signature that verifies.

        A user ID or attribute needs a certification (0x10-0x13) by the primary key over it, a
        subkey a binding (0x18) by the primary key; only these can be what a revocation revokes
        (an unbound component counts for nothing in :mod:`pgpsig.engine`).
        """
        return self._memo(self._bound, cert, _bound_components)

    def revokers(self, cert: Cert) -> frozenset[str]:
        """Fingerprints ``cert`` designates as revokers in self-signatures that verify."""
        return self._memo(self._revokers, cert, _designated_revokers)

    def certified_by(self, cert: Cert, issuer: PublicKey) -> list[Component]:
        """Bound user IDs and attributes of ``cert`` carrying a certification naming ``issuer``."""
        table = self._memo(self._certifiers, cert, _certifications)
        found = [*table.get(("F", issuer.fingerprint), ()), *table.get(("K", issuer.key_id), ())]
        bound = {id(c) for c in self.bound(cert)}
        seen: set[int] = set()
        out: list[Component] = []
        for comp in found:
            if id(comp) in bound and id(comp) not in seen:
                seen.add(id(comp))
                out.append(comp)
        return out


def _bound_components(cert: Cert) -> tuple[Component, ...]:
    p = cert.primary
    out: list[Component] = []
    for comps, types in (
        ((*cert.uids, *cert.uats), CERTIFICATION_TYPES),
        (cert.subkeys, frozenset({SignatureType.SUBKEY_BINDING})),
    ):
        for comp in comps:
            prefix = p.hash_prefix() + comp.hash_prefix()
            if any(
                s.sig_type in types and s.may_be_issued_by(p) and verifies_over(s, p, prefix)
                for s in comp.signatures
            ):
                out.append(comp)
    return tuple(out)


def _designated_revokers(cert: Cert) -> frozenset[str]:
    p = cert.primary
    out: set[str] = set()
    for sig in cert.direct:
        if (
            sig.sig_type == SignatureType.DIRECT_KEY
            and sig.revocation_keys
            and not set(sig.revocation_keys) <= out
            and _names(sig, p)
            and verifies_over(sig, p, p.hash_prefix())
        ):
            out.update(sig.revocation_keys)
    for comp in (*cert.uids, *cert.uats):
        for sig in comp.signatures:
            if (
                sig.sig_type in CERTIFICATION_TYPES
                and sig.revocation_keys
                and not set(sig.revocation_keys) <= out
                and _names(sig, p)
                and verifies_over(sig, p, p.hash_prefix() + comp.hash_prefix())
            ):
                out.update(sig.revocation_keys)
    return frozenset(out)


def _certifications(cert: Cert) -> dict[tuple[str, str], list[Component]]:
    """User IDs and attributes by the issuer hints of their certifications (fingerprints first)."""
    out: dict[tuple[str, str], list[Component]] = {}
    for comp in (*cert.uids, *cert.uats):
        for sig in comp.signatures:
            if sig.sig_type not in CERTIFICATION_TYPES:
                continue
            hints = (
                [("F", f) for f in sig.issuer_fingerprints]
                if sig.issuer_fingerprints
                else [("K", k) for k in sig.issuer_key_ids]
            )
            for hint in hints:
                comps = out.setdefault(hint, [])
                if not comps or comps[-1] is not comp:
                    comps.append(comp)
    return out


def locate(
    sig: Signature,
    cert: Cert,
    signer: PublicKey | None = None,
    *,
    within: Sequence[Component] | None = None,
) -> Component | Cert | None:
    """Where in ``cert`` the revocation ``sig`` by ``signer`` (default: its own primary) verifies.

    Args:
        sig: A revocation (0x20, 0x28 or 0x30).
        cert: The certificate it may revoke a part of.
        signer: The key that made it: ``cert``'s primary key (None), a designated revoker's
            primary key (0x20) or a third party's (0x30).
        within: The components to try, in this order (for 0x28, the subkeys among them; for
            0x30, the user IDs and attributes); None tries those :meth:`Targets.bound` gives.
            Components that are not bound are never worth a try (module docstring, Cost).

    Returns:
        ``cert`` itself for a key revocation over its primary key, the subkey, user ID or user
        attribute component it verifies over, or None.
    """
    p = cert.primary
    key = p if signer is None else signer
    if sig.sig_type == SignatureType.KEY_REVOCATION:
        return cert if verifies_over(sig, key, p.hash_prefix()) else None
    if sig.sig_type == SignatureType.SUBKEY_REVOCATION:
        if key is not p:
            return None
        kinds: tuple[str, ...] = ("subkey",)
    elif sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
        kinds = ("uid", "uat")
    else:
        return None
    comps = Targets().bound(cert) if within is None else within
    for comp in comps:
        if comp.kind in kinds and verifies_over(sig, key, p.hash_prefix() + comp.hash_prefix()):
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


def _by_other_key(
    sig: Signature, target: Cert, issuer: PublicKey, targets: Targets
) -> Component | Cert | None:
    """Where ``sig`` by ``issuer`` verifies in ``target``, for a key that may revoke there.

    A key revocation needs ``issuer`` named as designated revoker by ``target``; a certification
    revocation is tried over the bound user IDs ``issuer`` certified (there is nothing else to
    revoke).
    """
    if sig.sig_type == SignatureType.KEY_REVOCATION:
        if issuer.fingerprint in targets.revokers(target):
            return locate(sig, target, issuer)
        return None
    if sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
        return locate(sig, target, issuer, within=targets.certified_by(target, issuer))
    return None


def _holds(cert: Cert, component: Component | None, sig: Signature) -> bool:
    where = cert.direct if component is None else component.signatures
    ident = signature_identity(sig)
    return any(signature_identity(s) == ident for s in where)


def holds_anywhere(cert: Cert, sig: Signature) -> bool:
    """Whether ``sig`` sits anywhere in ``cert`` (direct-key area or under any component)."""
    ident = signature_identity(sig)
    comps = (*cert.uids, *cert.uats, *cert.subkeys, *cert.unparsed)
    return any(
        signature_identity(s) == ident
        for s in (*cert.direct, *(s for c in comps for s in c.signatures))
    )


def _found(sig: Signature, cert: Cert, where: Component | Cert) -> Resolution:
    component = None if isinstance(where, Cert) else where
    outcome = Outcome.PRESENT if _holds(cert, component, sig) else Outcome.ATTACH
    return Resolution(outcome, cert, component)


def resolve(
    sig: Signature,
    certs: Mapping[str, Cert],
    targets: Targets | None = None,
    *,
    place: str = "the keyring",
) -> Resolution:
    """Find the certificate and component a loose revocation verifies over (module docstring).

    Args:
        sig: A signature read outside any certificate.
        certs: The certificates at hand, by primary fingerprint.
        targets: What the certificates offer, shared by a batch of calls (:class:`Targets`);
            None works it out for this call alone.
        place: Where ``certs`` are, for the reason (``the keyring``, ``the store``).

    Returns:
        ``ATTACH`` or ``PRESENT`` with the target; ``PENDING`` (with the reason) when nothing at
        hand is what it revokes; ``UNUSABLE`` (with the reason) when nothing ever can be.
    """
    if sig.sig_type not in REVOCATION_TYPES:
        return Resolution(
            Outcome.UNUSABLE, reason=f"a type 0x{sig.sig_type:02X} signature is no revocation"
        )
    if sig.created is None or sig.created_count != 1:
        return Resolution(Outcome.UNUSABLE, reason="it has no single hashed creation time")
    if not sig.has_issuer_hint:
        return Resolution(Outcome.UNUSABLE, reason="it names no issuer")
    targets = Targets() if targets is None else targets
    issuers, by_subkey = _issuers(sig, certs.values())
    # (1) Made by the primary key of the certificate it revokes a part of.
    for cert in issuers:
        within = () if sig.sig_type == SignatureType.KEY_REVOCATION else targets.bound(cert)
        where = locate(sig, cert, within=within)
        if where is not None:
            return _found(sig, cert, where)
    # (2) A designated revoker's key revocation, or a third party's certification revocation.
    # A subkey revocation is its own primary key's.
    if sig.sig_type != SignatureType.SUBKEY_REVOCATION:
        for issuer in issuers:
            for target in certs.values():
                if target is not issuer:
                    where = _by_other_key(sig, target, issuer.primary, targets)
                    if where is not None:
                        return _found(sig, target, where)
    if issuers:
        names = ", ".join(c.fingerprint for c in issuers)
        return Resolution(
            Outcome.PENDING,
            reason=f"it revokes nothing in {place} that {names} can revoke "
            "(a revocation does not name what it revokes: that may not be there yet)",
        )
    no_issuer = f"its issuer's certificate is not in {place}"
    if by_subkey:
        return Resolution(
            Outcome.PENDING,
            reason=f"{no_issuer} ({by_subkey[0].fingerprint} only carries that key as a subkey; "
            "revocations are made by primary keys)",
        )
    return Resolution(Outcome.PENDING, reason=no_issuer)


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
    """One line for people about a revocation that was not attached (pending or unusable)."""
    sig = rev.signature
    what = (
        SignatureType(sig.sig_type).description
        if sig.sig_type in REVOCATION_TYPES
        else f"type 0x{sig.sig_type:02X} signature"
    )
    head = f"{rev.source}: {what} by {sig.issuer_hint}"
    if resolution.outcome is Outcome.PENDING:
        return (
            f"{head} is pending: {resolution.reason or 'nothing it revokes is in the keyring'} "
            "(it applies as soon as what it revokes is)"
        )
    return f"{head} ignored: {resolution.reason}"
