"""Describing the keys of a keyring: ``pgpsig key list``.

This module owns :func:`list_keys` and what it returns: :class:`KeyInfo` per certificate, with
:class:`SubkeyInfo` per subkey and :class:`CertificationInfo` per third-party certification, each
judged at one reference time under one policy (``to_dict`` is the contract's JSON). The steps of
:func:`list_keys` are numbered in its docstring and marked ``# (n)`` in the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pgpsig.errors import CertificateError, PolicyError
from pgpsig.keyring import Keyring
from pgpsig.keys._common import (
    _CERT_REVOCATION,
    _CERTIFICATIONS,
    _FLAG_NAMES,
    _FLAG_SIGN,
    _SUBKEY_BINDING,
    _names,
    _require_aware,
    _uid_revoked,
)
from pgpsig.packets import Component, Signature
from pgpsig.policy import Policy, SignatureKind
from pgpsig.report import iso
from pgpsig.validity import CertValidator, KeyExpiredError, KeyRevokedError, RevocationInfo

__all__ = [
    "CertificationInfo",
    "KeyInfo",
    "SubkeyInfo",
    "list_keys",
]


def _flag_names(flags: int | None) -> tuple[str, ...]:
    if flags is None:
        return ()
    return tuple(name for bit, name in _FLAG_NAMES if flags & bit)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubkeyInfo:
    """A subkey as ``key list`` shows it."""

    fingerprint: str
    algorithm: str
    bits: int
    created: datetime
    expires: datetime | None
    validity: str
    flags: tuple[str, ...]
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract fields first)."""
        return {
            "fingerprint": self.fingerprint,
            "validity": self.validity,
            "flags": list(self.flags),
            "algorithm": self.algorithm,
            "bits": self.bits,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificationInfo:
    """A third-party certification of one user ID (made at or before the reference time).

    ``status``: ``valid`` (verifies with a certificate of the keyring whose key could certify when
    it made it, is alive, is not revoked by its issuer), ``revoked`` (its issuer revoked it with a
    0x30), ``expired``, ``policy`` (its hash is not accepted), ``issuer-revoked`` (the issuer's key
    is hard-revoked, or was revoked when it certified), ``issuer-invalid`` (the issuer could not
    certify then: expired, not yet valid, no Certify flag), ``bad`` (does not verify),
    ``unverified`` (the issuer is not in the keyring).
    """

    issuer: str
    user_id: str
    created: datetime | None
    status: str
    trust: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "issuer": self.issuer,
            "user_id": self.user_id,
            "created": iso(self.created),
            "status": self.status,
            "trust_depth": self.trust[0] if self.trust else None,
            "trust_amount": self.trust[1] if self.trust else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyInfo:
    """One certificate as ``key list`` shows it (``to_dict`` is the contract's JSON)."""

    fingerprint: str
    user_ids: tuple[str, ...]
    revoked_user_ids: tuple[str, ...]
    algorithm: str
    bits: int
    created: datetime
    expires: datetime | None
    validity: str
    reason: str | None
    revocation: RevocationInfo | None
    subkeys: tuple[SubkeyInfo, ...]
    certifications: tuple[CertificationInfo, ...]
    trust_root: bool | None = None

    @property
    def certified_by(self) -> tuple[str, ...]:
        """Fingerprints of keyring certificates with a valid certification of this one."""
        out: list[str] = []
        for c in self.certifications:
            if c.status == "valid" and c.issuer not in out:
                out.append(c.issuer)
        return tuple(out)

    @property
    def unverified_certifiers(self) -> tuple[str, ...]:
        """Issuer hints of certifications whose issuer is not in the keyring."""
        out: list[str] = []
        for c in self.certifications:
            if c.status == "unverified" and c.issuer not in out:
                out.append(c.issuer)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the contract's fields, then pgpsig's additions."""
        rev = self.revocation
        return {
            "fingerprint": self.fingerprint,
            "user_ids": list(self.user_ids),
            "algorithm": self.algorithm,
            "bits": self.bits,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "validity": self.validity,
            "subkeys": [s.to_dict() for s in self.subkeys],
            "certified_by": list(self.certified_by),
            "unverified_certifiers": list(self.unverified_certifiers),
            "certifications": [c.to_dict() for c in self.certifications],
            "revoked_user_ids": list(self.revoked_user_ids),
            "reason": self.reason,
            "revocation": None
            if rev is None
            else {
                "reason": rev.reason_name,
                "code": rev.code,
                "message": rev.message,
                "created": iso(rev.created),
                "hard": rev.hard,
            },
            "trust_root": self.trust_root,
        }


def _judge(fn: Callable[[], object]) -> tuple[str, str | None]:
    """Run a validity check: ("valid", None) or (validity, reason)."""
    try:
        fn()
    except KeyRevokedError as e:
        return "revoked", str(e)
    except KeyExpiredError as e:
        return "expired", str(e)
    except (CertificateError, PolicyError) as e:
        return "invalid", str(e)
    return "valid", None


def _certifications(
    v: CertValidator, keyring: Keyring, policy: Policy, at: datetime
) -> list[CertificationInfo]:
    cert = v.cert
    p = cert.primary
    out: list[CertificationInfo] = []
    validators: dict[str, CertValidator] = {}
    for comp in cert.uids:
        prefix = p.hash_prefix() + comp.hash_prefix()
        for sig in comp.signatures:
            if sig.sig_type not in _CERTIFICATIONS or _names(sig, p):
                continue  # not a certification, or a self-signature
            created = sig.created
            issuers = [
                c
                for c, k in keyring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids)
                if k is c.primary and c.fingerprint != cert.fingerprint
            ]
            hint = sig.issuer_fingerprints[0] if sig.issuer_fingerprints else sig.issuer_hint
            if not issuers:
                out.append(
                    CertificationInfo(
                        issuer=hint,
                        user_id=comp.uid,
                        created=created,
                        status="unverified",
                        trust=sig.trust,
                    )
                )
                continue
            issuer = next((c for c in issuers if v.verify_over(sig, c.primary, prefix)), None)
            if issuer is None or created is None:
                out.append(
                    CertificationInfo(
                        issuer=issuers[0].fingerprint,
                        user_id=comp.uid,
                        created=created,
                        status="bad",
                        trust=sig.trust,
                    )
                )
                continue
            if created > at:
                continue  # made after the reference time: it did not exist then
            status = "valid"
            exp = sig.expires_after
            if exp is not None and created + timedelta(seconds=exp) <= at:
                status = "expired"
            try:
                policy.check_hash(sig.hash_algorithm, kind=SignatureKind.CERTIFICATION, at=created)
            except PolicyError:
                status = "policy"
            iv = validators.setdefault(
                issuer.fingerprint, CertValidator(issuer, policy, keyring.get)
            )
            try:
                iv.can_certify(created)  # the issuer could certify when it did
                if any(r.hard for r in iv.revocations(None)):
                    status = "issuer-revoked"
            except KeyRevokedError:
                status = "issuer-revoked"
            except (CertificateError, PolicyError):
                status = "issuer-invalid"
            if status == "valid":
                for r in comp.signatures:
                    if (
                        r.sig_type == _CERT_REVOCATION
                        and r.created is not None
                        and created <= r.created <= at
                        and _names(r, issuer.primary)
                        and v.verify_over(r, issuer.primary, prefix)
                    ):
                        status = "revoked"
                        break
            out.append(
                CertificationInfo(
                    issuer=issuer.fingerprint,
                    user_id=comp.uid,
                    created=created,
                    status=status,
                    trust=sig.trust,
                )
            )
    return out


def _subkey_info(
    v: CertValidator, comp: Component, at: datetime, primary_validity: tuple[str, str | None]
) -> SubkeyInfo:
    key = comp.key
    assert key is not None
    binding: Signature | None = None
    try:
        binding = v.subkey_binding(comp, at)
    except CertificateError:
        bindings = [s for s in comp.signatures if s.sig_type == _SUBKEY_BINDING and s.created]
        binding = max(bindings, key=lambda s: s.created or at, default=None)
    flags = binding.key_flags if binding is not None else None
    exp = binding.key_expires_after if binding is not None else None
    if primary_validity[0] != "valid":
        validity, reason = primary_validity
    elif flags is not None and flags & _FLAG_SIGN:
        validity, reason = _judge(lambda: v.check_signing_key(key, at))
    else:
        validity, reason = _judge(lambda: _check_other_subkey(v, comp, at))
    return SubkeyInfo(
        fingerprint=key.fingerprint,
        algorithm=key.algorithm_name,
        bits=key.bits,
        created=key.created,
        expires=key.created + timedelta(seconds=exp) if exp else None,
        validity=validity,
        flags=_flag_names(flags),
        reason=reason,
    )


def _check_other_subkey(v: CertValidator, comp: Component, at: datetime) -> None:
    """Binding, revocation and expiry of a subkey that does not sign (no back-signature needed).

    Raises:
        CertificateError: The subkey is unbound, revoked or expired at ``at``.
    """
    key = comp.key
    assert key is not None
    v.policy.check_key(key)
    binding = v.subkey_binding(comp, at)
    bcreated = binding.created
    assert bcreated is not None
    for r in v.revocations(key):
        if r.hard or bcreated <= r.created <= at:
            raise KeyRevokedError(f"subkey {key.fingerprint} is revoked ({r.reason_name})")
    exp = binding.key_expires_after
    if exp is not None and key.created + timedelta(seconds=exp) <= at:
        raise KeyExpiredError(f"subkey {key.fingerprint} expired")


def list_keys(
    keyring: Keyring,
    *,
    now: datetime,
    policy: Policy,
    roots: Iterable[str] | None = None,
) -> tuple[KeyInfo, ...]:
    """Describe every certificate of a keyring as of ``now``.

    Steps, per certificate:

    1. Validity of the primary key at ``now`` (:meth:`CertValidator.check_primary`): ``valid``,
       ``expired``, ``revoked`` (with the verified revocation and its reason) or ``invalid``
       (no valid self-signature in force, or a key the policy rejects).
    2. Expiry, from the self-signature in force.
    3. User IDs (with a valid self-signature), and those their owner revoked.
    4. Each subkey: flags from its binding in force, and its validity: the primary's when that is
       not valid, else the subkey's own (a signing subkey also needs its back-signature).
    5. Third-party certifications of each user ID, verified against the keyring
       (:class:`CertificationInfo`); ``certified_by`` lists the valid ones' issuers.

    Args:
        keyring: The certificates.
        now: The reference time.
        policy: The policy that judges hashes and key sizes.
        roots: Trust-root fingerprints (marks ``trust_root``), or None when unknown.

    Returns:
        One :class:`KeyInfo` per certificate, in keyring order.

    Raises:
        ValueError: A naive ``now``.
    """
    _require_aware(now)
    root_set = {r.upper() for r in roots} if roots is not None else None
    out = []
    for cert in keyring:
        v = CertValidator(cert, policy, keyring.get)
        p = cert.primary
        # (1)
        validity = _judge(partial(v.check_primary, now))
        revocation = None
        if validity[0] == "revoked":
            revs = v.revocations(None)
            revocation = next((r for r in revs if r.hard), None) or max(
                revs, key=lambda r: r.created, default=None
            )
        # (2)
        expires = None
        try:
            binding, _ = v.primary_binding(now)
            if binding.key_expires_after:
                expires = p.created + timedelta(seconds=binding.key_expires_after)
        except CertificateError:
            pass
        # (3)
        bound = {id(c) for _, c in v.self_signatures() if c is not None}
        uids = tuple(c.uid for c in cert.uids if id(c) in bound)
        revoked = tuple(c.uid for c in cert.uids if id(c) in bound and _uid_revoked(v, c, now))
        # (4)
        subs = tuple(_subkey_info(v, c, now, validity) for c in cert.subkeys)
        # (5)
        certs = tuple(_certifications(v, keyring, policy, now))
        out.append(
            KeyInfo(
                fingerprint=cert.fingerprint,
                user_ids=uids,
                revoked_user_ids=revoked,
                algorithm=p.algorithm_name,
                bits=p.bits,
                created=p.created,
                expires=expires,
                validity=validity[0],
                reason=validity[1],
                revocation=revocation,
                subkeys=subs,
                certifications=certs,
                trust_root=None if root_set is None else cert.fingerprint in root_set,
            )
        )
    return tuple(out)
