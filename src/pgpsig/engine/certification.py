"""Third-party certifications of a user ID, judged as of the judge's reference time.

This module owns the one certification rule (:func:`judge_certification`, asked through
:meth:`pgpsig.engine.judge.Judge.certification`): ``check``'s trust decision
(:mod:`pgpsig.engine.trust`) and ``key list`` give the same verdict for the same certification.
Whether the issuer could certify, and whether the user ID is bound, are the certificates' views'
questions (:mod:`pgpsig.engine.view`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pgpsig._dataclass import dataclass
from pgpsig.engine.revocation import revocation_info
from pgpsig.engine.selfsig import single_creation_time
from pgpsig.errors import PolicyError, quoted
from pgpsig.openpgp.packets import Cert, Component, Signature
from pgpsig.policy import SignatureKind

if TYPE_CHECKING:  # the judge calls this module; it is only named here
    from pgpsig.engine.judge import Judge

__all__ = ["CertificationVerdict", "judge_certification"]


@dataclass(frozen=True, slots=True)
class CertificationVerdict:
    """A third-party certification of one user ID, judged as of the reference time.

    ``status``: ``valid``; ``revoked`` (its issuer revoked it with a 0x30 made after it and at or
    before the reference time: ``reason`` gives the revocation's reason, time and message);
    ``expired``; ``policy`` (hash not accepted); ``malformed`` (no single creation time, a critical
    unknown or malformed subpacket); ``future`` (made after the reference time: it did not exist
    then); ``issuer-revoked`` (the issuer is hard-revoked, or was revoked when
    it certified); ``issuer-invalid`` (the issuer could not certify then: expired, not yet valid, no
    Certify flag); ``uid-invalid`` (the user ID is not bound, or its owner revoked it); ``bad`` (does
    not verify with any candidate issuer); ``unverified`` (no issuer in the keyring). ``issuer`` is the issuer's fingerprint when known, else its hint.
    """

    issuer: str
    user_id: str
    created: datetime | None
    status: str
    reason: str | None = None
    trust: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        """Whether the certification counts."""
        return self.status == "valid"


def judge_certification(
    judge: Judge, cert: Cert, uid: Component, sig: Signature
) -> CertificationVerdict:
    """Judge a third-party certification ``sig`` of ``uid`` of ``cert``, as of ``judge.as_of``.

    In order: an issuer among the keyring's primary keys named by the hints (``unverified``)
    for which it verifies (``bad``); made at or before the reference time (``future``); one
    creation time, no defect (``malformed``); alive (``expired``); hash accepted for
    certifications at its creation time (``policy``); the issuer could certify when it made it
    and is not hard-revoked (``issuer-invalid``, ``issuer-revoked``); the user ID is bound by its
    owner and not revoked by it at the reference time (``uid-invalid``); not revoked by its issuer
    with a 0x30 over the same user ID made at or after it and known at the reference time,
    wherever that revocation sits (``revoked``).
    """
    created = sig.created
    hint = sig.issuer_fingerprints[0] if sig.issuer_fingerprints else sig.issuer_hint

    def out(issuer: str, status: str, reason: str | None = None) -> CertificationVerdict:
        return CertificationVerdict(issuer, uid.uid, created, status, reason, sig.trust)

    issuers = judge.issuer_candidates(sig, exclude=cert)
    if not issuers:
        return out(hint, "unverified", f"certifier {hint} is not in the keyring")
    prefix = cert.primary.hash_prefix() + uid.hash_prefix()
    own = judge.view(cert)
    issuer = next((c for c in issuers if own.verify_over(sig, c.primary, prefix)), None)
    if issuer is None:
        return out(issuers[0].fingerprint, "bad", f"certification by {hint} does not verify")
    fpr = issuer.fingerprint
    if created is not None and created > judge.as_of + judge.policy.clock_skew:
        return out(fpr, "future", f"certification by {fpr} made after the reference time")
    defect = sig.defect()
    made = single_creation_time(sig)
    if made is None or defect is not None:
        why = defect or "no single hashed creation time"
        return out(fpr, "malformed", f"certification by {fpr} has a {why}")
    if not sig.alive_at(judge.as_of):
        return out(fpr, "expired", f"certification by {fpr} expired")
    try:
        judge.policy.check_hash(sig.hash_algorithm, kind=SignatureKind.CERTIFICATION, at=made)
    except PolicyError as e:
        return out(fpr, "policy", f"certification by {fpr}: {e}")
    iv = judge.view(issuer)
    then = iv.certifier(made)
    if then.status == "revoked":
        return out(fpr, "issuer-revoked", f"certifier {fpr} could not certify then: {then.reason}")
    if not then.ok:
        return out(fpr, "issuer-invalid", f"certifier {fpr} could not certify then: {then.reason}")
    hard = iv.hard_revocation()
    if hard is not None:
        return out(fpr, "issuer-revoked", hard.describe(f"key {fpr}"))
    if not own.uid_bound(uid, judge.as_of):
        return out(
            fpr,
            "uid-invalid",
            f"user ID {quoted(uid.uid)} of {cert.fingerprint} is not bound by a valid"
            " self-signature or was revoked by its owner",
        )
    rev = own.certification_revocation(uid, issuer.primary, made)
    if rev is not None:
        what = f"the certification of {cert.fingerprint} ({quoted(uid.uid)}) by {fpr}"
        return out(fpr, "revoked", revocation_info(rev, cert.primary).describe(what))
    return out(fpr, "valid")
