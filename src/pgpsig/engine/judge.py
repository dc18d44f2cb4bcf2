"""The judge: one policy, one reference time, one keyring, one cache of certificate views.

This module owns :class:`Judge`, built once per run (by :func:`pgpsig.engine.signatures.judge_for`
for the use cases that read a keyring, by :meth:`Judge.alone` for the key lifecycle), and its
lookups: certificates by fingerprint, issuers of a signature among the keyring's primary keys. Its
questions are asked through the per-certificate :class:`~pgpsig.engine.view.CertView` it caches
(the rules are there) and :meth:`Judge.certification` (:mod:`pgpsig.engine.certification`).
"""

from __future__ import annotations

from datetime import datetime

from pgpsig.certs.keyring import Keyring
from pgpsig.engine.certification import CertificationVerdict, judge_certification
from pgpsig.engine.view import CertView
from pgpsig.openpgp.packets import Cert, Component, Signature
from pgpsig.policy import Policy

__all__ = ["Judge"]


class Judge:
    """Judges certificates under one policy as of one reference time; owns the only cache.

    Args:
        policy: Which hashes and key sizes are acceptable, and the clock skew.
        as_of: The reference time (timezone-aware): what is known then is what counts.
        keyring: Where designated revokers and certifiers are found (None: nowhere).
    """

    __slots__ = ("_keyring", "_views", "as_of", "policy")

    def __init__(self, policy: Policy, as_of: datetime, keyring: Keyring | None = None) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError("the reference time must be a timezone-aware datetime")
        self.policy = policy
        self.as_of = as_of
        self._keyring = keyring
        self._views: dict[int, CertView] = {}

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"Judge.{name} cannot change: build another judge")
        object.__setattr__(self, name, value)

    @classmethod
    def alone(cls, cert: Cert, policy: Policy, at: datetime) -> CertView:
        """A view of one certificate judged on its own (no keyring) as of ``at``.

        For the key lifecycle (a key just generated, a master about to certify, a revocation just
        made, a signer choosing its key): nothing else is consulted.
        """
        return cls(policy, at).view(cert)

    def __reduce__(self) -> tuple[type[Judge], tuple[Policy, datetime, Keyring | None]]:
        # A judge sent to a worker process starts with an empty cache (its keys are object ids).
        return (Judge, (self.policy, self.as_of, self._keyring))

    @property
    def keyring(self) -> Keyring | None:
        """The certificates this judge looks others up in."""
        return self._keyring

    def lookup(self, fingerprint: str) -> Cert | None:
        """A certificate of the keyring by primary fingerprint."""
        return self._keyring.get(fingerprint) if self._keyring is not None else None

    def view(self, cert: Cert) -> CertView:
        """The (cached) view of ``cert``."""
        v = self._views.get(id(cert))
        if v is None or v.cert is not cert:
            v = self._views[id(cert)] = CertView(self, cert)
        return v

    def issuer_candidates(self, sig: Signature, exclude: Cert | None = None) -> list[Cert]:
        """Certificates of the keyring whose *primary* key the issuer hints name."""
        if self._keyring is None:
            return []
        out: list[Cert] = []
        for c, k in self._keyring.candidates(sig.issuer_fingerprints, sig.issuer_key_ids):
            if k is c.primary and c is not exclude and c not in out:
                out.append(c)
        return out

    def certification(self, cert: Cert, uid: Component, sig: Signature) -> CertificationVerdict:
        """Judge a third-party certification ``sig`` of ``uid`` of ``cert``, as of the reference time.

        The rules are :func:`~pgpsig.engine.certification.judge_certification`'s.
        """
        return judge_certification(self, cert, uid, sig)
