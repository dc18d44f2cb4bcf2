"""Which key signs: the signer choice, one rule for ``pgpsig sign`` and ``sop sign``.

This module owns the choice of the secret key that makes a signature. The keys of a certificate
that may sign *now* are those :meth:`pgpsig.engine.view.CertView.signing_keys` accepts under
the policy (valid, alive, unrevoked, flagged for signing, with a valid back-signature for a subkey;
signing subkeys first, newest first, then the primary key, as gpg and Sequoia choose); the first of
them whose secret is at hand signs. So pgpsig never makes a signature it would itself refuse.

The hash a key signs with is a property of the key (:func:`pgpsig.openpgp.signingkey.best_hash`);
loading secret keys is :func:`pgpsig.openpgp.secretkey.load_signing_keys`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pgpsig._dataclass import dataclass
from pgpsig.engine.judge import Judge
from pgpsig.errors import CertificateError
from pgpsig.openpgp.packets import Cert, PublicKey
from pgpsig.openpgp.signingkey import SigningKey
from pgpsig.policy import Policy

__all__ = ["SignerChoice", "choose_signing_key", "signer_choice"]


@dataclass(frozen=True, slots=True)
class SignerChoice:
    """The keys of one certificate that may sign at one time, in the order they are preferred.

    Attributes:
        cert: The certificate.
        usable: The keys that may sign, best first (empty when none may).
        problems: Why the other keys may not (one line each).
    """

    cert: Cert
    usable: tuple[PublicKey, ...]
    problems: tuple[str, ...]

    def pick(self, keys: Sequence[SigningKey]) -> SigningKey:
        """The first usable key whose secret is among ``keys``.

        Raises:
            CertificateError: None of ``keys`` may sign (the reasons of the keys given, else all).
        """
        by_fpr = {k.fingerprint: k for k in keys}
        for key in self.usable:
            if key.fingerprint in by_fpr:
                return by_fpr[key.fingerprint]
        mine = [p for p in self.problems if any(f in p for f in by_fpr)] or list(self.problems)
        raise CertificateError(
            "no secret key may sign now" + (f": {'; '.join(mine)}" if mine else "")
        )


def signer_choice(cert: Cert, *, policy: Policy, now: datetime) -> SignerChoice:
    """The keys of ``cert`` that may sign at ``now`` under ``policy``, judged once.

    Useful before any secret is unlocked: ``usable`` empty means no passphrase can help.
    """
    usable, problems = Judge.alone(cert, policy, now).signing_keys(now)
    return SignerChoice(cert=cert, usable=tuple(usable), problems=tuple(problems))


def choose_signing_key(
    keys: Sequence[SigningKey], cert: Cert, *, policy: Policy, now: datetime
) -> SigningKey:
    """The key among ``keys`` (the secrets of ``cert``) that should sign at ``now``.

    Raises:
        CertificateError: No key of the certificate may sign at ``now``.
        PolicyError: The usable keys are too weak for the policy.
    """
    return signer_choice(cert, policy=policy, now=now).pick(keys)
