"""Certificate validity: is this key valid, alive, unrevoked and allowed to sign at time T?

This module owns the rules PGPy skips (THREATS.md): self-signatures and user-ID bindings verified,
subkey bindings (0x18) verified with the primary and 0x19 back-signatures required for signing
subkeys, key flags, key and signature expiry judged at the signature's own time, and revocations
(0x20, 0x28, 0x30) verified, hard ones invalidating every signature and soft ones only signatures
made after them (and only until a newer self-signature re-validates the key, as Sequoia does).

Judgement is always "as of time T under policy P": T and P are arguments, never read from a clock.
Cryptographic checks of certificate signatures are cached per :class:`CertValidator`, so judging the
same certificate at many times costs each signature check once.

Rules, for a signature by key K of certificate C made at time t:

1. The primary key P passes the key-size policy and was created at or before t.
2. A *binding* for P is in force at t: the newest self-signature (direct-key 0x1F, or a user-ID
   certification 0x10-0x13 by P over a user ID not revoked at t) that verifies, has a hashed creation
   time at or after P's creation and at or before t, is not expired at t, has no critical unknown
   subpacket, and whose hash the policy accepts for self-signatures at its creation time.
3. P is alive at t: no key-expiration subpacket in that binding, or P.created + expiry > t.
4. P is not revoked at t: a verified 0x20 by P (or by a designated revoker whose certificate is in the
   keyring) with a hard reason (none, 0, 2, or any unknown code) revokes P for all times; a soft
   reason (1 superseded, 3 retired, 32 user ID no longer valid) revokes it from its creation time on,
   unless the binding in force at t is newer than the revocation. A revocation counts wherever it
   sits in the certificate (after a user ID, under a subkey): what it verifies over decides.
5. If K is P: if the binding carries key flags, they include Sign (0x02).
6. If K is a subkey S: S was created at or before t; a binding 0x18 by P over S is in force at t (rules
   as in 2); it carries the Sign flag; it holds an embedded 0x19 back-signature by S over (P, S) that
   verifies, is not expired at t, and whose hash the policy accepts; S is alive at t (expiry from
   that binding); S is not revoked at t by a 0x28 from P (hard/soft as in 4, wherever it sits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pgpsig._crypto import check_signature
from pgpsig.errors import CertificateError, PgpsigError, PolicyError
from pgpsig.packets import Cert, Component, PublicKey, Signature
from pgpsig.policy import Policy, SignatureKind

__all__ = [
    "HARD_REASONS",
    "SOFT_REASONS",
    "CertValidator",
    "KeyExpiredError",
    "KeyRevokedError",
    "RevocationInfo",
    "SigningKeyView",
    "UnboundKeyError",
]

#: Revocation reasons that only take effect from the revocation's own creation time.
SOFT_REASONS = frozenset({1, 3, 32})
#: Named hard reasons (any unknown code is hard too).
HARD_REASONS = frozenset({0, 2})

_SIG_FLAG = 0x02
_CERTIFY_FLAG = 0x01


class KeyExpiredError(CertificateError):
    """The key (or its binding) had expired at the time in question."""


class KeyRevokedError(CertificateError):
    """The key was revoked at the time in question."""


class UnboundKeyError(CertificateError):
    """The key has no valid binding at the time in question, or may not sign."""


@dataclass(frozen=True, slots=True)
class RevocationInfo:
    """A verified revocation: when, why, and whether it is hard."""

    created: datetime
    code: int | None
    message: str
    hard: bool

    @property
    def reason_name(self) -> str:
        """A readable reason."""
        return {
            None: "no reason given",
            0: "unspecified",
            1: "superseded",
            2: "compromised",
            3: "retired",
            32: "user ID no longer valid",
        }.get(self.code, f"reason code {self.code}")


@dataclass(frozen=True, slots=True)
class SigningKeyView:
    """A key judged valid for signing at a time: which key, its binding, and any warnings."""

    cert: Cert
    key: PublicKey
    binding: Signature
    warnings: tuple[str, ...]


def _is_hard(sig: Signature) -> bool:
    rr = sig.revocation_reason
    if rr is None:
        return True
    return rr[0] not in SOFT_REASONS


def _revocation_info(sig: Signature) -> RevocationInfo:
    rr = sig.revocation_reason
    created = sig.created
    assert created is not None
    return RevocationInfo(
        created=created,
        code=None if rr is None else rr[0],
        message="" if rr is None else rr[1].decode("utf-8", "replace"),
        hard=_is_hard(sig),
    )


class CertValidator:
    """Judges one certificate under one policy, at any time, caching signature checks.

    ``lookup`` finds other certificates by fingerprint (for designated revokers); it may be None.
    ``reference_time``, when given, hides revocations made after it: judging "as of" a past time
    ignores what happened later.
    """

    def __init__(
        self,
        cert: Cert,
        policy: Policy,
        lookup: Callable[[str], Cert | None] | None = None,
        *,
        reference_time: datetime | None = None,
    ) -> None:
        self.cert = cert
        self.policy = policy
        self._lookup = lookup
        #: Revocations made after this time are not yet known (``--at`` replays an old check).
        self.reference_time = reference_time
        self._cache: dict[tuple[int, int, bytes], bool] = {}
        # Derived facts, computed once per shape of the certificate (a flooded certificate must
        # not cost a scan of every signature for every signature: that was quadratic).
        self._uid_revoked: dict[int, tuple[int, datetime | None]] = {}
        self._self_sigs: tuple[tuple[int, ...], list[tuple[Signature, Component | None]]] | None
        self._self_sigs = None
        self._revokers_of: tuple[tuple[int, ...], frozenset[str]] | None = None

    # -- signature checks over certificate components -----------------------------------------

    def _verified(
        self, sig: Signature, signer: PublicKey, prefix: bytes, *, cache: bool = True
    ) -> bool:
        """True if ``sig`` by ``signer`` verifies over ``prefix``.

        Cached by the identity of the signature and key objects and by ``prefix`` (one signature
        may be tried over several components). ``cache=False`` for short-lived signature objects
        (embedded signatures are parsed anew on each access: a freed object's id can be reused).
        """
        k = (id(sig), id(signer), prefix)
        hit = self._cache.get(k) if cache else None
        if hit is not None:
            return hit
        ok = False
        try:
            h = sig.new_hash()
            h.update(prefix)
            h.update(sig.trailer())
            check_signature(signer, sig, h.digest())
            ok = True
        except PgpsigError:
            ok = False
        if cache:
            self._cache[k] = ok
        return ok

    def _self_sig_ok(
        self, sig: Signature, signer: PublicKey, prefix: bytes, not_before: datetime
    ) -> bool:
        """A self-signature usable at all: well formed, policy-acceptable, verifies."""
        created = sig.created
        if created is None or sig.created_count != 1 or created < not_before:
            return False
        if sig.critical_unknown() is not None:
            return False
        try:
            self.policy.check_hash(sig.hash_algorithm, kind=SignatureKind.SELF, at=created)
        except PolicyError:
            return False
        return self._verified(sig, signer, prefix)

    def _issued_by(self, sig: Signature, key: PublicKey) -> bool:
        """Whether ``sig``'s issuer hints allow ``key`` (no hints: allowed, the check decides)."""
        fprs = sig.issuer_fingerprints
        if fprs:
            return key.fingerprint in fprs
        kids = sig.issuer_key_ids
        return not kids or key.key_id in kids

    # -- primary key ------------------------------------------------------------------------------

    def _uid_revoked_at(self, uid: Component, at: datetime) -> bool:
        """Whether a verified self-revocation (0x30) of ``uid`` was made at or before ``at``."""
        hit = self._uid_revoked.get(id(uid))
        if hit is None or hit[0] != len(uid.signatures):
            hit = (len(uid.signatures), self._earliest_uid_revocation(uid))
            self._uid_revoked[id(uid)] = hit
        return hit[1] is not None and hit[1] <= at

    def _earliest_uid_revocation(self, uid: Component) -> datetime | None:
        p = self.cert.primary
        prefix = p.hash_prefix() + uid.hash_prefix()
        candidates = []
        for sig in uid.signatures:
            if sig.sig_type != 0x30 or not self._issued_by(sig, p):
                continue
            created = sig.created
            if created is not None:
                candidates.append((created, sig))
        candidates.sort(key=lambda c: c[0])
        for created, sig in candidates:
            if self._verified(sig, p, prefix):
                return created
        return None

    def self_signatures(self) -> list[tuple[Signature, Component | None]]:
        """Every usable self-signature over the primary: direct-key and user-ID bindings."""
        shape = (
            len(self.cert.direct),
            *(len(c.signatures) for c in (*self.cert.uids, *self.cert.uats)),
        )
        if self._self_sigs is None or self._self_sigs[0] != shape:
            self._self_sigs = (shape, self._find_self_signatures())
        return list(self._self_sigs[1])

    def _find_self_signatures(self) -> list[tuple[Signature, Component | None]]:
        p = self.cert.primary
        out: list[tuple[Signature, Component | None]] = []
        for sig in self.cert.direct:
            if (
                sig.sig_type == 0x1F
                and self._issued_by(sig, p)
                and self._self_sig_ok(sig, p, p.hash_prefix(), p.created)
            ):
                out.append((sig, None))
        for comp in (*self.cert.uids, *self.cert.uats):
            prefix = p.hash_prefix() + comp.hash_prefix()
            for sig in comp.signatures:
                if (
                    0x10 <= sig.sig_type <= 0x13
                    and self._issued_by(sig, p)
                    and self._self_sig_ok(sig, p, prefix, p.created)
                ):
                    out.append((sig, comp))
        return out

    def primary_binding(self, at: datetime) -> tuple[Signature, bool]:
        """The self-signature in force for the primary key at ``at``, and whether it is backdated.

        Normally that is the newest valid self-signature made at or before ``at``. When the key
        existed at ``at`` but every valid self-signature was made later (its owner re-issued them,
        as FreePBX's mirror key did in 2016), the oldest one is taken as in force from the key's
        creation, as gpg does (Sequoia refuses; see the README). Subkey bindings get no such grace.

        Raises:
            UnboundKeyError: none is in force.
        """
        best: Signature | None = None
        oldest_later: Signature | None = None
        for sig, comp in self.self_signatures():
            created = sig.created
            assert created is not None
            if comp is not None and self._uid_revoked_at(comp, max(at, created)):
                continue
            if created > at:
                if oldest_later is None or created < (oldest_later.created or created):
                    oldest_later = sig
                continue
            if not sig.alive_at(at):
                continue
            if best is None or created > (best.created or created):
                best = sig
        if best is not None:
            return best, False
        if oldest_later is not None and self.cert.primary.created <= at:
            return oldest_later, True
        raise UnboundKeyError(
            f"certificate {self.cert.fingerprint} has no valid self-signature "
            f"in force at {at.isoformat()}"
        )

    def _placed_anywhere(self, sig_type: int) -> list[Signature]:
        """Signatures of ``sig_type`` wherever they sit in the certificate.

        A revocation is judged by what it verifies over, not by where it was found: a key
        revocation after a user ID, or a subkey revocation under another subkey (as keyservers
        and careless merges leave them), still revokes, as Sequoia and gpg's import decide.
        """
        comps = (*self.cert.uids, *self.cert.uats, *self.cert.subkeys)
        return [
            sig
            for sig in (*self.cert.direct, *(s for c in comps for s in c.signatures))
            if sig.sig_type == sig_type
        ]

    def revocations(self, target: PublicKey | None = None) -> list[RevocationInfo]:
        """Verified revocations of the primary key (``target`` None) or of a subkey."""
        p = self.cert.primary
        out: list[RevocationInfo] = []
        if target is None:
            for sig in self._placed_anywhere(0x20):
                if sig.created is None or self._after_reference(sig):
                    continue
                if (
                    self._issued_by(sig, p) and self._verified(sig, p, p.hash_prefix())
                ) or self._designated_revoker_ok(sig):
                    out.append(_revocation_info(sig))
            return out
        if not any(comp.key is target for comp in self.cert.subkeys):
            return out
        prefix = p.hash_prefix() + target.hash_prefix()
        for sig in self._placed_anywhere(0x28):
            if sig.created is None or self._after_reference(sig):
                continue
            if self._issued_by(sig, p) and self._verified(sig, p, prefix):
                out.append(_revocation_info(sig))
        return out

    def _after_reference(self, sig: Signature) -> bool:
        created = sig.created
        return (
            self.reference_time is not None
            and created is not None
            and created > self.reference_time + self.policy.clock_skew
        )

    def _revokers(self) -> frozenset[str]:
        """Designated revokers named by the usable self-signatures (computed once per shape)."""
        sigs = self.self_signatures()
        assert self._self_sigs is not None
        if self._revokers_of is None or self._revokers_of[0] != self._self_sigs[0]:
            allowed: set[str] = set()
            for s, _ in sigs:
                allowed.update(s.revocation_keys)
            self._revokers_of = (self._self_sigs[0], frozenset(allowed))
        return self._revokers_of[1]

    def _designated_revoker_ok(self, sig: Signature) -> bool:
        if self._lookup is None:
            return False
        allowed = self._revokers()
        for fpr in sig.issuer_fingerprints:
            if fpr not in allowed:
                continue
            other = self._lookup(fpr)
            if other is not None and self._verified(
                sig, other.primary, self.cert.primary.hash_prefix()
            ):
                return True
        return False

    @staticmethod
    def _revoked_at(
        revs: list[RevocationInfo], bcreated: datetime, at: datetime
    ) -> RevocationInfo | None:
        """The revocation in effect at ``at``, given the binding in force was made at ``bcreated``."""
        for r in revs:
            if r.hard:
                return r
        for r in revs:
            if r.created <= at and r.created >= bcreated:
                return r
        return None

    def check_primary(self, at: datetime) -> Signature:
        """Rules 1-4 for the primary key at ``at``; return the binding in force.

        Raises:
            PolicyError: the primary key is too weak.
            UnboundKeyError: not created yet, or no binding in force.
            KeyExpiredError: expired at ``at``.
            KeyRevokedError: revoked at ``at``.
        """
        p = self.cert.primary
        self.policy.check_key(p)
        if p.created > at:
            raise UnboundKeyError(
                f"key {p.fingerprint} was created {p.created.isoformat()}, after {at.isoformat()}"
            )
        binding, backdated = self.primary_binding(at)
        bcreated = p.created if backdated else binding.created
        assert bcreated is not None
        rev = self._revoked_at(self.revocations(None), bcreated, at)
        if rev is not None:
            raise KeyRevokedError(
                f"key {p.fingerprint} is revoked ({rev.reason_name}, {rev.created.isoformat()})"
                + (f": {rev.message}" if rev.message else "")
            )
        exp = binding.key_expires_after
        if exp is not None and p.created + timedelta(seconds=exp) <= at:
            raise KeyExpiredError(
                f"key {p.fingerprint} expired {(p.created + timedelta(seconds=exp)).isoformat()}"
            )
        return binding

    # -- subkeys ------------------------------------------------------------------------------------

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
            if sig.sig_type != 0x18 or not self._issued_by(sig, p):
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
            if emb.sig_type != 0x19 or created is None or not emb.alive_at(at):
                continue
            if emb.critical_unknown() is not None:
                continue
            try:
                self.policy.check_hash(emb.hash_algorithm, kind=SignatureKind.SELF, at=created)
            except PolicyError:
                continue
            if self._verified(emb, s, prefix, cache=False):
                return True
        return False

    def check_signing_key(self, key: PublicKey, at: datetime) -> SigningKeyView:
        """All rules for ``key`` (the primary or one of its subkeys) making a data signature at ``at``.

        Raises:
            PolicyError: a key is too weak.
            UnboundKeyError: no binding in force, no Sign flag, no back-signature, not created yet.
            KeyExpiredError: the primary or the subkey had expired at ``at``.
            KeyRevokedError: the primary or the subkey was revoked at ``at``.
        """
        binding = self.check_primary(at)
        p = self.cert.primary
        if key is p:
            flags = binding.key_flags
            if flags is not None and not flags & _SIG_FLAG:
                raise UnboundKeyError(f"key {p.fingerprint} is not allowed to sign (key flags)")
            return SigningKeyView(self.cert, p, binding, ())
        comp = next((c for c in self.cert.subkeys if c.key is key), None)
        if comp is None:
            raise UnboundKeyError(f"key {key.fingerprint} is not part of {p.fingerprint}")
        self.policy.check_key(key)
        if key.created > at:
            raise UnboundKeyError(
                f"subkey {key.fingerprint} was created {key.created.isoformat()}, after {at.isoformat()}"
            )
        sb = self.subkey_binding(comp, at)
        flags = sb.key_flags
        if flags is None or not flags & _SIG_FLAG:
            raise UnboundKeyError(f"subkey {key.fingerprint} is not bound as a signing key")
        if not self._back_signature_ok(sb, comp, at):
            raise UnboundKeyError(
                f"signing subkey {key.fingerprint} has no valid primary-key back-signature (0x19)"
            )
        assert sb.created is not None
        rev = self._revoked_at(self.revocations(key), sb.created, at)
        if rev is not None:
            raise KeyRevokedError(
                f"subkey {key.fingerprint} is revoked ({rev.reason_name}, {rev.created.isoformat()})"
                + (f": {rev.message}" if rev.message else "")
            )
        exp = sb.key_expires_after
        if exp is not None and key.created + timedelta(seconds=exp) <= at:
            raise KeyExpiredError(
                f"subkey {key.fingerprint} expired {(key.created + timedelta(seconds=exp)).isoformat()}"
            )
        return SigningKeyView(self.cert, key, sb, ())

    def can_certify(self, at: datetime) -> Signature:
        """Rules 1-4 plus the Certify flag (when key flags are present), for a certifier at ``at``.

        Raises:
            CertificateError: the primary key may not certify at ``at`` (or any error of
                :meth:`check_primary`).
        """
        binding = self.check_primary(at)
        flags = binding.key_flags
        if flags is not None and not flags & _CERTIFY_FLAG:
            raise UnboundKeyError(f"key {self.cert.fingerprint} is not allowed to certify")
        return binding

    def verify_over(self, sig: Signature, signer: PublicKey, prefix: bytes) -> bool:
        """Check ``sig`` by ``signer`` over ``prefix`` (cached); for certifications by other keys."""
        return self._verified(sig, signer, prefix)
