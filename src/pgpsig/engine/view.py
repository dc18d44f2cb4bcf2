"""A certificate as the judge sees it: is a key valid, alive, unrevoked and allowed to sign at t?

This module owns the rules PGPy skips (THREATS.md) for one certificate, and is the only place they
are written: self-signatures and user-ID bindings, subkey bindings (0x18) with 0x19
back-signatures for signing subkeys, key flags, key expiry judged at the signature's own time,
revocations (0x20, 0x28, 0x30) and designated revokers. A :class:`CertView` is made and cached by
its :class:`~pgpsig.engine.judge.Judge` (policy, reference time R, keyring); its questions take
only the time t a signature was made. Answers are values (:class:`~pgpsig.engine.verdicts.KeyVerdict`);
``check_*`` wrappers raise for the use cases that must stop (sign, certify).

Rules, for a signature by key K of certificate C made at time t, judged as of the reference time R:

1. The primary key P passes the key-size policy and was created at or before t.
2. A *binding* for P is in force at t: the newest self-signature (direct-key 0x1F, or a user-ID
   certification 0x10-0x13 by P over a user ID not revoked at t) that verifies, has one hashed
   creation time at or after P's creation and at or before t, is not expired at t, has no defect
   (critical unknown subpacket, malformed time subpacket), and whose hash the policy accepts for
   self-signatures at its creation time (:func:`~pgpsig.engine.selfsig.self_signature_usable`).
   When every such signature was made after t but P existed, the oldest is taken as in force from
   P's creation (gpg's grace; FreePBX's mirror key needs it).
3. P is alive at t. It expires at the *earliest* key-expiration time stated by the self-signatures
   in force at t: the newest direct-key signature, and the binding of the primary user ID (the user
   ID whose binding carries the primary-user-ID flag; the newest such) or, when no user ID is marked
   primary, of every user ID. Within one component the newest signature replaces older ones; across
   components a signature without an expiration never cancels another's (gpg and Sequoia read
   direct-key and primary-user-ID expirations this way; the README cites them).
4. P is not revoked: a verified 0x20 by P, or by a designated revoker whose certificate is in the
   keyring (named by fingerprint or key ID), wherever it sits in the certificate. A *hard* reason
   (none, 0, 2, or any unknown code) revokes P for all times, whatever R: a thief chooses the date.
   A *soft* reason (1 superseded, 3 retired, 32 user ID no longer valid) revokes it from its own
   creation on, only if made at or before R (not yet known before), and only until a newer
   self-signature re-validates the key, as Sequoia does (:mod:`pgpsig.engine.revocation`).
5. If K is P: the flags the same stating self-signatures grant (those that carry key flags; every
   one of them must grant it) include Sign (0x02); none carries flags: any use.
6. If K is a subkey S: S was created at or before t; a binding 0x18 by P over S is in force at t (as
   in 2, without the grace); it carries the Sign flag; it embeds a 0x19 back-signature by S over
   (P, S) that verifies, is not expired at t, has no defect, and whose hash the policy accepts; S is
   alive at t (expiry from that binding); S is not revoked by a 0x28 from P (hard/soft as in 4).

A third-party certification of a user ID is :mod:`pgpsig.engine.certification`'s; it asks this
view whether the issuer could certify (rules 1-4 and the Certify flag) and whether the user ID is
bound.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pgpsig.engine.revocation import RevocationInfo, revocation_in_effect, revocation_info
from pgpsig.engine.selfsig import placed_anywhere, self_signature_usable, usable_self_signatures
from pgpsig.engine.verdicts import (
    KeyExpiredError,
    KeyRevokedError,
    KeyVerdict,
    SigningKeyView,
    UnboundKeyError,
    key_verdict,
)
from pgpsig.errors import PolicyError
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import KeyFlag, SignatureType
from pgpsig.openpgp.packets import Cert, Component, PublicKey, Signature
from pgpsig.openpgp.runbudget import charge_visits
from pgpsig.policy import SignatureKind

if TYPE_CHECKING:  # the judge makes and caches the views; it is only named here
    from pgpsig.engine.judge import Judge

__all__ = ["CertView"]


class CertView:
    """One certificate as a :class:`Judge` sees it: questions take the time a signature was made.

    Signature checks and derived facts are cached here, per shape of the certificate (a flooded
    certificate must not cost a scan of every signature for every signature).
    """

    def __init__(self, judge: Judge, cert: Cert) -> None:
        self.judge = judge
        self.cert = cert
        self.policy = judge.policy
        self._cache: dict[tuple[int, int, bytes], bool] = {}
        self._memo: dict[object, tuple[tuple[int, ...], object]] = {}

    # -- plumbing ------------------------------------------------------------------------------

    def _shape(self) -> tuple[int, ...]:
        c = self.cert
        return (
            len(c.direct),
            *(len(x.signatures) for x in (*c.uids, *c.uats, *c.subkeys, *c.unparsed)),
            len(c.uids),
            len(c.subkeys),
        )

    def _memoized(self, key: object, make: Callable[[], object]) -> object:
        shape = self._shape()
        hit = self._memo.get(key)
        if hit is None or hit[0] != shape:
            hit = (shape, make())
            self._memo[key] = hit
        return hit[1]

    def _verified(
        self, sig: Signature, signer: PublicKey, prefix: bytes, *, cache: bool = True
    ) -> bool:
        """:func:`verifies_over`, cached by object identity and prefix.

        ``cache=False`` for short-lived signature objects (embedded signatures are parsed anew on
        each access: a freed object's id can be reused).
        """
        k = (id(sig), id(signer), prefix)
        hit = self._cache.get(k) if cache else None
        if hit is not None:
            return hit
        ok = verifies_over(sig, signer, prefix)
        if cache:
            self._cache[k] = ok
        return ok

    def verify_over(self, sig: Signature, signer: PublicKey, prefix: bytes) -> bool:
        """Check ``sig`` by ``signer`` over ``prefix`` (cached); no other rule is applied."""
        return self._verified(sig, signer, prefix)

    def _self_sig_ok(
        self, sig: Signature, signer: PublicKey, prefix: bytes, not_before: datetime
    ) -> bool:
        return self_signature_usable(
            sig, signer, prefix, not_before, policy=self.policy, verify=self._verified
        )

    def placed_anywhere(self, sig_type: int) -> tuple[Signature, ...]:
        """Signatures of ``sig_type`` wherever they sit in the certificate.

        By what they verify over, not where they were found
        (:func:`~pgpsig.engine.selfsig.placed_anywhere`). Found once per shape: asked once per
        certification, the search of a certificate of 15,000 certifications took 7.9 s.
        """
        found = self._memoized(sig_type, lambda: tuple(placed_anywhere(self.cert, (sig_type,))))
        assert isinstance(found, tuple)
        return found

    # -- user IDs -----------------------------------------------------------------------------

    def _uid_revocation_times(self) -> dict[int, datetime]:
        """Earliest verified self-revocation (0x30 by P) of each bound user ID/attribute, by id().

        A 0x30 is tried first over the component it sits under, then (misplaced) over the other
        *bound* components only: user IDs without a self-signature are never candidates, so a
        third party who adds bare user IDs and forged revocations costs one check per signature
        per real user ID, not per user ID it added.
        """
        p = self.cert.primary
        bound = self.bound_components()
        comps = [c for c in (*self.cert.uids, *self.cert.uats) if id(c) in bound]
        out: dict[int, datetime] = {}
        home: dict[int, Component] = {}
        for c in (*self.cert.uids, *self.cert.uats):
            for sig in c.signatures:
                home[id(sig)] = c
        revs = [
            s
            for s in self.placed_anywhere(SignatureType.CERTIFICATION_REVOCATION)
            if s.created and s.may_be_issued_by(p)
        ]
        revs.sort(key=lambda s: s.created or p.created)
        for sig in revs:
            created = sig.created
            assert created is not None
            at_home = home.get(id(sig))
            order = [at_home] if at_home is not None and id(at_home) in bound else []
            order += [c for c in comps if c is not at_home]
            for comp in order:
                if id(comp) in out:
                    continue  # an earlier revocation already counts for it
                if self._verified(sig, p, p.hash_prefix() + comp.hash_prefix()):
                    out[id(comp)] = created
                    break
        return out

    def uid_revoked_at(self, uid: Component, at: datetime) -> bool:
        """Whether the owner revoked ``uid`` (a verified 0x30 by P) at or before ``at``."""
        times = self._memoized("uid-revocations", self._uid_revocation_times)
        assert isinstance(times, dict)
        t = times.get(id(uid))
        return t is not None and t <= at

    def uid_bound(self, uid: Component, at: datetime) -> bool:
        """A usable self-signature binds ``uid`` at ``at`` and its owner has not revoked it."""
        if self.uid_revoked_at(uid, at):
            return False
        sigs = self.self_signatures()
        charge_visits(len(sigs))  # asked once per certification: charged each time
        return any(
            comp is uid and sig.created is not None and sig.created <= at and sig.alive_at(at)
            for sig, comp in sigs
        )

    def bound_components(self) -> set[int]:
        """The ``id()`` of each user ID and attribute with at least one usable self-signature."""
        return {id(c) for _, c in self.self_signatures() if c is not None}

    def certification_revocation(
        self, uid: Component, issuer: PublicKey, made: datetime
    ) -> Signature | None:
        """A verified 0x30 by ``issuer`` over ``uid`` made at or after ``made`` and known at R."""
        prefix = self.cert.primary.hash_prefix() + uid.hash_prefix()
        limit = self.judge.as_of + self.policy.clock_skew
        revocations = self.placed_anywhere(SignatureType.CERTIFICATION_REVOCATION)
        charge_visits(len(revocations))  # asked once per certification: charged each time
        for sig in revocations:
            created = sig.created
            if created is None or created < made or created > limit:
                continue
            if sig.may_be_issued_by(issuer) and self._verified(sig, issuer, prefix):
                return sig
        return None

    # -- primary key --------------------------------------------------------------------------

    def self_signatures(self) -> list[tuple[Signature, Component | None]]:
        """Every usable self-signature over the primary: direct-key and user-ID bindings."""
        found = self._memoized("self-signatures", self._find_self_signatures)
        assert isinstance(found, list)
        return list(found)

    def _find_self_signatures(self) -> list[tuple[Signature, Component | None]]:
        return usable_self_signatures(self.cert, self.policy, self._verified)

    def _in_force(self, at: datetime) -> dict[int, Signature]:
        """The newest usable self-signature of each component (0 for direct-key) in force at ``at``."""
        best: dict[int, Signature] = {}
        sigs = self.self_signatures()
        charge_visits(len(sigs))  # asked at each certification's time (and more): charged each time
        for sig, comp in sigs:
            created = sig.created
            assert created is not None
            if created > at or not sig.alive_at(at):
                continue
            if comp is not None and self.uid_revoked_at(comp, at):
                continue
            k = 0 if comp is None else id(comp)
            have = best.get(k)
            if have is None or created > (have.created or created):
                best[k] = sig
        return best

    def primary_binding(self, at: datetime) -> tuple[Signature, bool]:
        """The self-signature in force for the primary key at ``at``, and whether it is backdated.

        Normally that is the newest valid self-signature made at or before ``at``. When the key
        existed at ``at`` but every valid self-signature was made later (its owner re-issued them,
        as FreePBX's mirror key did in 2016), the oldest one is taken as in force from the key's
        creation, as gpg does (Sequoia refuses; see the README). Subkey bindings get no such grace.

        Raises:
            UnboundKeyError: none is in force.
        """
        in_force = self._in_force(at)
        if in_force:
            return max(in_force.values(), key=lambda s: s.created or at), False
        later = [
            sig
            for sig, comp in self.self_signatures()
            if sig.created is not None
            and sig.created > at
            and not (comp is not None and self.uid_revoked_at(comp, sig.created))
        ]
        if later and self.cert.primary.created <= at:
            return min(later, key=lambda s: s.created or at), True
        raise UnboundKeyError(
            f"certificate {self.cert.fingerprint} has no valid self-signature "
            f"in force at {at.isoformat()}"
        )

    def stating_signatures(self, at: datetime) -> list[Signature]:
        """The self-signatures that state the primary key's properties at ``at`` (rule 3).

        The newest direct-key signature in force, and the binding in force of the primary user ID
        (the newest binding carrying the primary-user-ID flag) or, when no user ID is marked
        primary, of every user ID; only user attributes, then theirs. When none is in force but
        the key existed (rule 2's grace), the binding taken as in force.
        """
        in_force = self._in_force(at)
        if not in_force:
            try:
                return [self.primary_binding(at)[0]]
            except UnboundKeyError:
                return []
        uid_ids = {id(c) for c in self.cert.uids}
        direct = in_force.get(0)
        uid_sigs = [sig for k, sig in in_force.items() if k in uid_ids]
        primary = [sig for sig in uid_sigs if sig.primary_user_id]
        chosen = [max(primary, key=lambda sig: sig.created or at)] if primary else uid_sigs
        stating = ([direct] if direct is not None else []) + chosen
        return stating or list(in_force.values())

    def primary_user_id(self, at: datetime) -> Component | None:
        """The user ID that names the certificate at ``at``: the primary user ID of rule 3.

        Of the user-ID bindings among the stating signatures (the primary user ID's, else every
        bound user ID's, none revoked at ``at``), the newest's (gpg and Sequoia choose so); None
        when no user ID is bound then.
        """
        stating = {id(s) for s in self.stating_signatures(at)}
        uids = {id(c) for c in self.cert.uids}
        bound = [(s, c) for s, c in self.self_signatures() if id(s) in stating and id(c) in uids]
        return max(bound, key=lambda b: b[0].created or at)[1] if bound else None

    def primary_expiry(self, at: datetime) -> datetime | None:
        """When the primary key expires: the earliest the stating self-signatures say (rule 3)."""
        p = self.cert.primary
        ends = [
            p.created + timedelta(seconds=s.key_expires_after)
            for s in self.stating_signatures(at)
            if s.key_expires_after is not None
        ]
        return min(ends, default=None)

    def primary_flags(self, at: datetime) -> int | None:
        """The primary key's flags at ``at``: those granted by every stating self-signature.

        Only signatures that carry key flags count; None when none does (any use). Where they
        disagree, only what all of them grant is granted (fail closed).
        """
        stated = [s.key_flags for s in self.stating_signatures(at)]
        flags = [f for f in stated if f is not None]
        if not flags:
            return None
        out = flags[0]
        for f in flags[1:]:
            out &= f
        return out

    def revocations(self, target: PublicKey | None = None) -> list[RevocationInfo]:
        """Verified revocations of the primary key (``target`` None) or of a subkey, known at R.

        Hard revocations count whenever they are dated; soft ones only if made at or before the
        reference time (a retirement announced later was not known then).
        """
        got = self._memoized(
            ("revocations", None if target is None else id(target)),
            lambda: self._find_revocations(target),
        )
        assert isinstance(got, list)
        limit = self.judge.as_of + self.policy.clock_skew
        return [r for r in got if r.hard or r.created <= limit]

    def _find_revocations(self, target: PublicKey | None) -> list[RevocationInfo]:
        p = self.cert.primary
        out: list[RevocationInfo] = []
        if target is None:
            for sig in self.placed_anywhere(SignatureType.KEY_REVOCATION):
                if (
                    sig.may_be_issued_by(p) and self._verified(sig, p, p.hash_prefix())
                ) or self._designated_revoker_ok(sig):
                    out.append(revocation_info(sig, p))
            return out
        if not any(comp.key is target for comp in self.cert.subkeys):
            return out
        prefix = p.hash_prefix() + target.hash_prefix()
        for sig in self.placed_anywhere(SignatureType.SUBKEY_REVOCATION):
            if sig.may_be_issued_by(p) and self._verified(sig, p, prefix):
                out.append(revocation_info(sig, target))
        return out

    def hard_revocation(self) -> RevocationInfo | None:
        """A hard revocation of the primary key, if any."""
        return next((r for r in self.revocations(None) if r.hard), None)

    def _revokers(self) -> frozenset[str]:
        """Designated revokers named by the usable self-signatures."""
        out: set[str] = set()
        for s, _ in self.self_signatures():
            out.update(s.revocation_keys)
        return frozenset(out)

    def _designated_revoker_ok(self, sig: Signature) -> bool:
        """``sig`` was made by a designated revoker (named by fingerprint or key ID) and verifies."""
        for fpr in self._revokers():
            other = self.judge.lookup(fpr)
            if other is None or not sig.may_be_issued_by(other.primary):
                continue
            if not (sig.issuer_fingerprints or sig.issuer_key_ids):
                continue  # no hint at all: a revoker must name itself
            if self._verified(sig, other.primary, self.cert.primary.hash_prefix()):
                return True
        return False

    def primary_state(self, at: datetime) -> KeyVerdict:
        """Rules 1-4 for the primary key at ``at``."""
        p = self.cert.primary
        try:
            self.policy.check_key(p)
        except PolicyError as e:
            return key_verdict(e)
        if p.created > at:
            return key_verdict(
                UnboundKeyError(
                    f"key {p.fingerprint} was created {p.created.isoformat()}, "
                    f"after {at.isoformat()}"
                )
            )
        try:
            binding, backdated = self.primary_binding(at)
        except UnboundKeyError as e:
            rev = self.hard_revocation()
            if rev is not None:  # a hard revocation outranks a missing binding
                return key_verdict(KeyRevokedError(rev.describe(f"key {p.fingerprint}")), rev)
            return key_verdict(e)
        bcreated = p.created if backdated else binding.created
        assert bcreated is not None
        rev = revocation_in_effect(self.revocations(None), bcreated, at)
        if rev is not None:
            return key_verdict(KeyRevokedError(rev.describe(f"key {p.fingerprint}")), rev)
        end = self.primary_expiry(at)
        if end is not None and end <= at:
            return key_verdict(KeyExpiredError(f"key {p.fingerprint} expired {end.isoformat()}"))
        return KeyVerdict("valid", None, binding)

    def check_primary(self, at: datetime) -> Signature:
        """:meth:`primary_state`, raising: the binding in force.

        Raises:
            PolicyError: the primary key is too weak.
            UnboundKeyError: not created yet, or no binding in force.
            KeyExpiredError: expired at ``at``.
            KeyRevokedError: revoked at ``at``.
        """
        return self.primary_state(at).raise_for_status()

    def _primary_may(self, at: datetime, flag: int, what: str) -> KeyVerdict:
        """Rules 1-4 for the primary key, plus ``flag`` among its flags (when it states any)."""
        state = self.primary_state(at)
        if not state.ok:
            return state
        flags = self.primary_flags(at)
        if flags is not None and not flags & flag:
            return key_verdict(
                UnboundKeyError(f"key {self.cert.fingerprint} is not allowed to {what}")
            )
        return state

    def certifier(self, at: datetime) -> KeyVerdict:
        """Rules 1-4 plus the Certify flag (when key flags are present), at ``at``."""
        return self._primary_may(at, KeyFlag.CERTIFY, "certify")

    def can_certify(self, at: datetime) -> Signature:
        """:meth:`certifier`, raising (see :meth:`check_primary`)."""
        return self.certifier(at).raise_for_status()

    # -- subkeys ------------------------------------------------------------------------------

    def subkey_binding(self, comp: Component, at: datetime) -> Signature:
        """The subkey binding (0x18) in force for ``comp`` at ``at``.

        Raises:
            UnboundKeyError: none is in force.
        """
        p = self.cert.primary
        s = comp.key
        assert s is not None
        prefix = p.hash_prefix() + s.hash_prefix()
        best: Signature | None = None
        for sig in comp.signatures:
            if sig.sig_type != SignatureType.SUBKEY_BINDING or not sig.may_be_issued_by(p):
                continue
            if not self._self_sig_ok(sig, p, prefix, s.created):
                continue
            created = sig.created
            assert created is not None
            if created > at or not sig.alive_at(at):
                continue
            if best is None or created > (best.created or created):
                best = sig
        if best is None:
            raise UnboundKeyError(
                f"subkey {s.fingerprint} has no valid binding signature in force at {at.isoformat()}"
            )
        return best

    def _back_signature_ok(self, binding: Signature, comp: Component, at: datetime) -> bool:
        """A 0x19 back-signature by the subkey, embedded in ``binding``, valid and alive at ``at``."""
        p = self.cert.primary
        s = comp.key
        assert s is not None
        prefix = p.hash_prefix() + s.hash_prefix()
        for emb in binding.embedded_signatures:
            created = emb.created
            if (
                emb.sig_type != SignatureType.PRIMARY_KEY_BINDING
                or created is None
                or not emb.alive_at(at)
            ):
                continue
            if emb.defect() is not None:
                continue
            try:
                self.policy.check_hash(emb.hash_algorithm, kind=SignatureKind.SELF, at=created)
            except PolicyError:
                continue
            if self._verified(emb, s, prefix, cache=False):
                return True
        return False

    def subkey_state(self, comp: Component, at: datetime, *, signing: bool) -> KeyVerdict:
        """Rule 6 for a subkey at ``at`` (the primary's state first); ``signing`` asks for Sign."""
        primary = self.primary_state(at)
        if not primary.ok:
            return primary
        key = comp.key
        assert key is not None
        try:
            self.policy.check_key(key)
        except PolicyError as e:
            return key_verdict(e)
        if key.created > at:
            return key_verdict(
                UnboundKeyError(
                    f"subkey {key.fingerprint} was created {key.created.isoformat()}, "
                    f"after {at.isoformat()}"
                )
            )
        try:
            sb = self.subkey_binding(comp, at)
        except UnboundKeyError as e:
            return key_verdict(e)
        if signing:
            flags = sb.key_flags
            if flags is None or not flags & KeyFlag.SIGN:
                return key_verdict(
                    UnboundKeyError(f"subkey {key.fingerprint} is not bound as a signing key")
                )
            if not self._back_signature_ok(sb, comp, at):
                return key_verdict(
                    UnboundKeyError(
                        f"signing subkey {key.fingerprint} has no valid primary-key "
                        "back-signature (0x19)"
                    )
                )
        assert sb.created is not None
        rev = revocation_in_effect(self.revocations(key), sb.created, at)
        if rev is not None:
            return key_verdict(KeyRevokedError(rev.describe(f"subkey {key.fingerprint}")), rev)
        exp = sb.key_expires_after
        if exp is not None and key.created + timedelta(seconds=exp) <= at:
            end = key.created + timedelta(seconds=exp)
            return key_verdict(
                KeyExpiredError(f"subkey {key.fingerprint} expired {end.isoformat()}")
            )
        return KeyVerdict("valid", None, sb)

    def signing_key(self, key: PublicKey, at: datetime) -> KeyVerdict:
        """All rules for ``key`` (the primary or one of its subkeys) making a data signature at ``at``."""
        p = self.cert.primary
        if key is p:
            return self._primary_may(at, KeyFlag.SIGN, "sign (key flags)")
        comp = next((c for c in self.cert.subkeys if c.key is key), None)
        if comp is None:
            return key_verdict(
                UnboundKeyError(f"key {key.fingerprint} is not part of {p.fingerprint}")
            )
        return self.subkey_state(comp, at, signing=True)

    def check_signing_key(self, key: PublicKey, at: datetime) -> SigningKeyView:
        """:meth:`signing_key`, raising.

        Raises:
            PolicyError: a key is too weak.
            UnboundKeyError: no binding in force, no Sign flag, no back-signature, not created yet.
            KeyExpiredError: the primary or the subkey had expired at ``at``.
            KeyRevokedError: the primary or the subkey was revoked at ``at``.
        """
        binding = self.signing_key(key, at).raise_for_status()
        return SigningKeyView(self.cert, key, binding, ())

    def signing_keys(self, at: datetime) -> tuple[list[PublicKey], list[str]]:
        """Keys that may sign at ``at``, in the order a signer prefers them, and why others may not.

        The order: signing subkeys, newest first, then the primary key (as gpg and Sequoia choose).
        """
        keys = sorted(
            (k for k, c in self.cert.all_keys() if c is not None),
            key=lambda k: k.created,
            reverse=True,
        )
        keys.append(self.cert.primary)
        usable: list[PublicKey] = []
        problems: list[str] = []
        for key in keys:
            v = self.signing_key(key, at)
            if v.ok:
                usable.append(key)
            elif v.reason:
                problems.append(v.reason)
        return usable, problems
