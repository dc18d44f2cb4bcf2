"""Describing the keys of a keyring: ``pgpsig key list``.

This module owns :func:`list_keys` and what it returns: :class:`KeyInfo` per certificate, with
:class:`SubkeyInfo` per subkey and :class:`CertificationInfo` per third-party certification, each
judged at one reference time under one policy (``to_dict`` is ``key list --json``'s, schema ``key-list``). The steps of
:func:`list_keys` are numbered in its docstring and marked ``# (n)`` in the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pgpsig._dataclass import dataclass
from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.revocation import RevocationInfo
from pgpsig.engine.signatures import judge_for
from pgpsig.engine.verdicts import KeyVerdict
from pgpsig.engine.view import CertView
from pgpsig.errors import CertificateError
from pgpsig.keys._common import _require_aware
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, KeyFlag, SignatureType
from pgpsig.openpgp.packets import Cert, Component, Signature
from pgpsig.policy import Policy
from pgpsig.report import iso

__all__ = [
    "CertificationInfo",
    "KeyInfo",
    "SubkeyInfo",
    "list_keys",
]

#: The key flags ``key list`` names, and their names there (JSON ``flags``), in this order.
_FLAG_NAMES = (
    (KeyFlag.CERTIFY, "certify"),
    (KeyFlag.SIGN, "sign"),
    (KeyFlag.ENCRYPT_COMMUNICATIONS, "encrypt-communications"),
    (KeyFlag.ENCRYPT_STORAGE, "encrypt-storage"),
    (KeyFlag.AUTHENTICATE, "authenticate"),
)


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

    ``status`` is :class:`pgpsig.engine.certification.CertificationVerdict`'s (the rules ``check`` applies to a
    trust root's certification): ``valid``, ``revoked``, ``expired``, ``policy``, ``malformed``,
    ``issuer-revoked``, ``issuer-invalid``, ``uid-invalid``, ``bad`` or ``unverified``.
    """

    issuer: str
    user_id: str
    created: datetime | None
    status: str
    #: Why it does not count, when the judge says (a revocation's reason, time and message).
    reason: str | None = None
    trust: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "issuer": self.issuer,
            "user_id": self.user_id,
            "created": iso(self.created),
            "status": self.status,
            "reason": self.reason,
            "trust_depth": self.trust[0] if self.trust else None,
            "trust_amount": self.trust[1] if self.trust else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyInfo:
    """One certificate as ``key list`` shows it (``to_dict`` is its ``key list --json`` object)."""

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
    #: The primary key's flags from its binding in force; None when it states none (any use).
    flags: tuple[str, ...] | None
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
        """The JSON form (schema ``key-list``): the first version's fields, then the later ones."""
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
            "flags": None if self.flags is None else list(self.flags),
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


def _certifications(judge: Judge, cert: Cert) -> list[CertificationInfo]:
    """Third-party certifications of each user ID, as the judge sees them (made after it: none)."""
    p = cert.primary
    out: list[CertificationInfo] = []
    for comp in cert.uids:
        for sig in comp.signatures:
            if sig.sig_type not in CERTIFICATION_TYPES or sig.may_be_issued_by(p):
                continue  # not a certification, or a self-signature
            v = judge.certification(cert, comp, sig)
            if v.status == "future":
                continue  # made after the reference time: it did not exist then
            out.append(
                CertificationInfo(
                    issuer=v.issuer,
                    user_id=v.user_id,
                    created=v.created,
                    status=v.status,
                    reason=v.reason,
                    trust=v.trust,
                )
            )
    return out


def _subkey_info(view: CertView, comp: Component, at: datetime, primary: KeyVerdict) -> SubkeyInfo:
    key = comp.key
    assert key is not None
    binding: Signature | None = None
    try:
        binding = view.subkey_binding(comp, at)
    except CertificateError:
        bindings = [
            s for s in comp.signatures if s.sig_type == SignatureType.SUBKEY_BINDING and s.created
        ]
        binding = max(bindings, key=lambda s: s.created or at, default=None)
    flags = binding.key_flags if binding is not None else None
    exp = binding.key_expires_after if binding is not None else None
    state = (
        primary
        if not primary.ok
        else view.subkey_state(comp, at, signing=flags is not None and bool(flags & KeyFlag.SIGN))
    )
    return SubkeyInfo(
        fingerprint=key.fingerprint,
        algorithm=key.algorithm_name,
        bits=key.bits,
        created=key.created,
        expires=key.created + timedelta(seconds=exp) if exp else None,
        validity=state.status,
        flags=_flag_names(flags),
        reason=state.reason,
    )


def list_keys(
    keyring: Keyring,
    *,
    now: datetime,
    policy: Policy,
    roots: Iterable[str] | None = None,
) -> tuple[KeyInfo, ...]:
    """Describe every certificate of a keyring as of ``now``.

    Steps, per certificate:

    1. Validity of the primary key at ``now`` (:meth:`CertView.primary_state`): ``valid``,
       ``expired``, ``revoked`` (with the verified revocation and its reason) or ``invalid``
       (no valid self-signature in force, or a key the policy rejects).
    2. Expiry: the earliest the self-signatures in force state (:meth:`CertView.primary_expiry`).
    3. User IDs (with a valid self-signature), and those their owner revoked.
    4. Each subkey: flags from its binding in force, and its validity: the primary's when that is
       not valid, else the subkey's own (a signing subkey also needs its back-signature).
    5. Third-party certifications of each user ID, as :meth:`Judge.certification` judges them
       for ``check`` too (:class:`CertificationInfo`); ``certified_by`` lists the valid ones'
       issuers.

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
    judge = judge_for(keyring, policy, now)
    root_set = {r.upper() for r in roots} if roots is not None else None
    out = []
    for cert in keyring:
        v = judge.view(cert)
        p = cert.primary
        # (1)
        state = v.primary_state(now)
        # (2)
        expires = v.primary_expiry(now)
        pflags = v.primary_flags(now)
        # (3)
        bound = v.bound_components()
        uids = tuple(c.uid for c in cert.uids if id(c) in bound)
        revoked = tuple(c.uid for c in cert.uids if id(c) in bound and v.uid_revoked_at(c, now))
        # (4)
        subs = tuple(_subkey_info(v, c, now, state) for c in cert.subkeys)
        # (5)
        certs = tuple(_certifications(judge, cert))
        out.append(
            KeyInfo(
                fingerprint=cert.fingerprint,
                user_ids=uids,
                revoked_user_ids=revoked,
                algorithm=p.algorithm_name,
                bits=p.bits,
                created=p.created,
                expires=expires,
                validity=state.status,
                reason=state.reason,
                revocation=state.revocation,
                subkeys=subs,
                flags=None if pflags is None else _flag_names(pflags),
                certifications=certs,
                trust_root=None if root_set is None else cert.fingerprint in root_set,
            )
        )
    return tuple(out)
