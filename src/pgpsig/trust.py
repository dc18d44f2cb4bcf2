"""Trust roots and certification paths: is this signer trusted, now?

This module owns one decision: a signer (a certificate whose signature already verified, see
:mod:`pgpsig.verify`) is *trusted* at the reference time T if

1. its primary fingerprint is a trust root that is not revoked at T; or
2. a trust root R validly certified one of its user IDs:

   a. the certification (0x10-0x13) is issued by R's primary key and verifies over the signer's
      primary key and that user ID;
   b. it has a hashed creation time at or before T, has not expired at T, carries no critical
      unknown subpacket, and its hash is accepted for certifications at its creation time
      (SHA-1 only before 2023-02-01: FreePBX's 2019 SHA-1 cross-certification by master v1 still
      counts; a keyring that holds master v2 trusts the mirror key through it either way);
   c. R could certify when it made it (valid, alive, unrevoked, Certify flag if flags are present);
      R is not hard-revoked at all;
   d. R has not revoked it: no verified certification revocation (0x30) by R over the same user ID
      made at or after the certification and at or before T;
   e. the user ID is bound to the signer by a valid self-signature and not revoked by the signer.

Only direct certification by a root counts (a path of length one, as FreePBX's masters do with
their depth-1 trust signatures); anything the admin may have marked "ultimate" elsewhere does not
(THREATS.md: trust confusion).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pgpsig.errors import CertificateError, KeyringError, PolicyError
from pgpsig.keyring import Keyring
from pgpsig.packets import Cert, Component, Signature
from pgpsig.policy import Policy, SignatureKind
from pgpsig.validity import CertValidator, RevocationInfo

__all__ = ["RootSource", "TrustDecision", "TrustRoot", "TrustRoots", "decide_trust"]

#: Where a trust root came from: a ``--trust-root`` of the command line (a fingerprint, key ID or
#: certificate file), the FreePBX preset's master keys, or the store's ``roots`` file.
RootSource = Literal["option", "freepbx-preset", "store"]


@dataclass(frozen=True, slots=True)
class TrustRoot:
    """One trust root in force: its primary fingerprint and where it came from."""

    fingerprint: str
    source: RootSource

    def to_dict(self) -> dict[str, str]:
        """The JSON form: ``{"fingerprint": ..., "source": "option" | "freepbx-preset" | "store"}``."""
        return {"fingerprint": self.fingerprint, "source": self.source}


@dataclass(frozen=True, slots=True)
class TrustRoots:
    """Fingerprints (upper-case hex) of the primary keys that are trusted to certify signers.

    :meth:`select` is the one rule for which roots are in force; ``origins`` says where each came
    from and ``warnings`` which references were set aside (empty when built from fingerprints).
    """

    fingerprints: frozenset[str] = field(default_factory=frozenset)
    origins: tuple[TrustRoot, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def resolve(cls, refs: Iterable[str], keyring: Keyring) -> TrustRoots:
        """Roots named explicitly: :meth:`select` with ``given=refs`` and nothing else.

        Raises:
            KeyringError: a reference names no certificate's primary key in ``keyring``.
        """
        return cls.select(keyring, given=refs)

    @classmethod
    def select(
        cls,
        keyring: Keyring,
        *,
        given: Iterable[str] = (),
        preset: Iterable[str] = (),
        stored: Callable[[], Iterable[str]] | None = None,
        stored_from: str = "the store's roots file",
    ) -> TrustRoots:
        """The roots in force: the explicit ones if there are any, else the stored ones.

        Explicit roots are those ``given`` (``--trust-root``) and the FreePBX ``preset``'s; when
        there is at least one, they are exactly the roots in force and ``stored`` is not even
        read. Only without any do the store's roots apply. Every reference must name a
        certificate's *primary* key in ``keyring`` (:meth:`Keyring.find_primary`): a subkey that
        carries a copy of a root's key never makes its certificate a root.

        Args:
            keyring: The certificates the check uses.
            given: Fingerprints or key IDs the user named.
            preset: The FreePBX preset's master fingerprints (when the preset is used).
            stored: Reads the store's roots (called only when nothing is explicit).
            stored_from: Where the stored roots come from, for warnings (the roots file).

        Returns:
            The roots, with ``origins`` in the order given and a warning for each preset or
            stored root that is not a certificate's primary key in the keyring.

        Raises:
            KeyringError: a *given* reference names no certificate's primary key.
        """
        refs: list[tuple[str, RootSource]] = [(r, "option") for r in given]
        refs += [(r, "freepbx-preset") for r in preset]
        if not refs and stored is not None:
            refs = [(r, "store") for r in stored()]
        origins: list[TrustRoot] = []
        warnings: list[str] = []
        for ref, source in refs:
            cert = keyring.find_primary(ref)
            if cert is None:
                why = _missing(ref, keyring)
                if source == "option":
                    raise KeyringError(f"trust root {ref} {why}")
                if source == "store":
                    warnings.append(f"trust root {ref} from {stored_from} {why}: ignored")
                else:
                    warnings.append(f"FreePBX preset trust root {ref} {why}: not a trust root")
                continue
            root = TrustRoot(cert.fingerprint, source)
            if root not in origins:
                origins.append(root)
        return cls(frozenset(o.fingerprint for o in origins), tuple(origins), tuple(warnings))

    def __contains__(self, fpr: object) -> bool:
        return isinstance(fpr, str) and fpr.upper() in self.fingerprints


def _missing(ref: str, keyring: Keyring) -> str:
    """Why ``ref`` names no certificate's primary key in ``keyring`` (the end of a sentence)."""
    norm = ref.upper().replace(" ", "").removeprefix("0X")
    hits = (
        keyring.candidates([norm], []) if len(norm) in (40, 64) else keyring.candidates([], [norm])
    )
    holders = sorted({c.fingerprint for c, key in hits if key is not c.primary})
    if len(norm) == 16 and sum(1 for c, key in hits if key is c.primary) > 1:
        return "is the key ID of several certificates in the keyring: give the fingerprint"
    if holders:
        return (
            f"is not the primary key of a certificate in the keyring (only a subkey of"
            f" {', '.join(holders)} matches, and a subkey is never a trust root)"
        )
    return "is not in the keyring"


@dataclass(frozen=True, slots=True)
class TrustDecision:
    """Whether a signer is trusted, through which root, and what was considered."""

    trusted: bool
    path: tuple[str, ...] = ()
    reason: str | None = None
    revoked: bool = False
    warnings: tuple[str, ...] = ()


def _issued_by(sig: Signature, cert: Cert) -> bool:
    fprs = sig.issuer_fingerprints
    if fprs:
        return cert.fingerprint in fprs
    return cert.primary.key_id in sig.issuer_key_ids


def _uid_bound(v: CertValidator, uid: Component, at: datetime) -> bool:
    """Rule 2e: the user ID has a valid self-signature and is not revoked by its owner."""
    p = v.cert.primary
    prefix = p.hash_prefix() + uid.hash_prefix()
    bound = False
    for sig in uid.signatures:
        created = sig.created
        if created is None or created > at or not _issued_by(sig, v.cert):
            continue
        if sig.sig_type == 0x30 and v.verify_over(sig, p, prefix):
            return False
        if 0x10 <= sig.sig_type <= 0x13 and sig.alive_at(at) and v.verify_over(sig, p, prefix):
            bound = True
    return bound


def _certification_revoked(
    root_v: CertValidator, signer: Cert, uid: Component, cert_sig: Signature, at: datetime
) -> Signature | None:
    """Rule 2d: a verified 0x30 by the root over this user ID, made after the certification."""
    prefix = signer.primary.hash_prefix() + uid.hash_prefix()
    made = cert_sig.created
    assert made is not None
    for sig in uid.signatures:
        if sig.sig_type != 0x30 or not _issued_by(sig, root_v.cert):
            continue
        created = sig.created
        if created is None or created < made or created > at:
            continue
        if root_v.verify_over(sig, root_v.cert.primary, prefix):
            return sig
    return None


def decide_trust(
    signer: Cert,
    *,
    roots: TrustRoots,
    keyring: Keyring,
    policy: Policy,
    now: datetime,
    validator: Callable[[Cert], CertValidator] | None = None,
) -> TrustDecision:
    """Decide whether ``signer`` is trusted at ``now`` (rules in the module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")

    def val(c: Cert) -> CertValidator:
        return (
            validator(c)
            if validator is not None
            else CertValidator(c, policy, keyring.get, reference_time=now)
        )

    signer_v = val(signer)
    warnings: list[str] = []
    if signer.fingerprint in roots:
        revs = [r for r in signer_v.revocations(None) if r.hard or r.created <= now]
        if revs:
            return TrustDecision(False, (), _revoked_text(signer.fingerprint, revs[0]), True)
        return TrustDecision(True, (signer.fingerprint,))
    reasons: list[str] = []
    revoked_cert = False
    for uid in signer.uids:
        if not _uid_bound(signer_v, uid, now):
            continue
        prefix = signer.primary.hash_prefix() + uid.hash_prefix()
        for sig in uid.signatures:
            if not 0x10 <= sig.sig_type <= 0x13:
                continue
            root = next(
                (keyring.get(f) for f in roots.fingerprints if _issued_by(sig, _cert(keyring, f))),
                None,
            )
            if root is None or root.fingerprint == signer.fingerprint:
                continue
            created = sig.created
            # (2b) creation time, expiry, critical subpackets, hash policy.
            if created is None or sig.created_count != 1 or created > now + policy.clock_skew:
                reasons.append(f"certification by {root.fingerprint} has no valid creation time")
                continue
            if not sig.alive_at(now):
                reasons.append(f"certification by {root.fingerprint} expired")
                continue
            crit = sig.critical_unknown()
            if crit is not None:
                reasons.append(f"certification by {root.fingerprint} has a {crit}")
                continue
            try:
                policy.check_hash(sig.hash_algorithm, kind=SignatureKind.CERTIFICATION, at=created)
            except PolicyError as e:
                reasons.append(f"certification by {root.fingerprint}: {e}")
                continue
            root_v = val(root)
            # (2a) it verifies.
            if not root_v.verify_over(sig, root.primary, prefix):
                reasons.append(f"certification by {root.fingerprint} does not verify")
                continue
            # (2c) the root could certify then, and is not hard-revoked.
            try:
                root_v.can_certify(created)
            except (CertificateError, PolicyError) as e:
                reasons.append(f"root {root.fingerprint} could not certify then: {e}")
                continue
            hard = [r for r in root_v.revocations(None) if r.hard]
            if hard:
                reasons.append(_revoked_text(root.fingerprint, hard[0]))
                continue
            # (2d) not revoked by the root.
            rev = _certification_revoked(root_v, signer, uid, sig, now)
            if rev is not None:
                revoked_cert = True
                reasons.append(
                    f"root {root.fingerprint} revoked its certification of {signer.fingerprint}"
                    f" ({uid.uid!r}) on {rev.created.isoformat() if rev.created else '?'}"
                )
                continue
            return TrustDecision(
                True, (root.fingerprint, signer.fingerprint), None, False, tuple(warnings)
            )
    if revoked_cert:
        return TrustDecision(False, (), reasons[-1], True)
    reason = (
        reasons[0]
        if reasons
        else (f"{signer.fingerprint} is not a trust root and no trust root certified it")
    )
    return TrustDecision(False, (), reason)


def _cert(keyring: Keyring, fpr: str) -> Cert:
    c = keyring.get(fpr)
    assert c is not None
    return c


def _revoked_text(fpr: str, r: RevocationInfo) -> str:
    return f"key {fpr} is revoked ({r.reason_name}, {r.created.isoformat()})"
