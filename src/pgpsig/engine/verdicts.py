"""What the judge answers about a key: verdict values, and the errors their raising wrappers throw.

Inside the engine a key's state travels as a :class:`KeyVerdict` (``valid``, ``expired``,
``revoked``, ``invalid``); the use cases that must stop (sign, certify) call
:meth:`KeyVerdict.raise_for_status`, which raises the typed :class:`KeyExpiredError`,
:class:`KeyRevokedError`, :class:`UnboundKeyError` (or the policy's
:class:`~pgpsig.errors.PolicyError`). The rules that produce them are :mod:`pgpsig.engine.view`'s;
a certification's verdict is :mod:`pgpsig.engine.certification`'s.
"""

from __future__ import annotations

from pgpsig._dataclass import dataclass
from pgpsig.engine.revocation import RevocationInfo
from pgpsig.errors import CertificateError, PgpsigError
from pgpsig.openpgp.packets import Cert, PublicKey, Signature

__all__ = [
    "KeyExpiredError",
    "KeyRevokedError",
    "KeyVerdict",
    "SigningKeyView",
    "UnboundKeyError",
    "key_verdict",
]


class KeyExpiredError(CertificateError):
    """The key (or its binding) had expired at the time in question."""


class KeyRevokedError(CertificateError):
    """The key was revoked at the time in question."""


class UnboundKeyError(CertificateError):
    """The key has no valid binding at the time in question, or may not sign."""


@dataclass(frozen=True, slots=True)
class SigningKeyView:
    """A key judged valid for signing at a time: which key, its binding, and any warnings."""

    cert: Cert
    key: PublicKey
    binding: Signature
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """The state of a key at a time: ``valid``, ``expired``, ``revoked`` or ``invalid``.

    ``binding`` is the self-signature in force (when one is), ``revocation`` the revocation in
    effect (when ``revoked``), ``reason`` says why it is not valid, ``error`` is the exception the
    raising wrappers throw.
    """

    status: str
    reason: str | None = None
    binding: Signature | None = None
    revocation: RevocationInfo | None = None
    error: PgpsigError | None = None

    @property
    def ok(self) -> bool:
        """Whether the key is valid."""
        return self.status == "valid"

    def raise_for_status(self) -> Signature:
        """The binding when valid; else raise the typed error."""
        if self.error is not None:
            raise self.error
        assert self.binding is not None
        return self.binding


def key_verdict(error: PgpsigError, revocation: RevocationInfo | None = None) -> KeyVerdict:
    """The verdict a failed rule gives: its status follows the error's type."""
    status = (
        "revoked"
        if isinstance(error, KeyRevokedError)
        else "expired"
        if isinstance(error, KeyExpiredError)
        else "invalid"
    )
    return KeyVerdict(status, str(error), None, revocation, error)
