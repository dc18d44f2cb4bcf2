"""The validity engine's former single module, kept as a re-export of its names.

The engine was split by concept (issue #13); the code lives in:

- :mod:`pgpsig.engine.judge`: :class:`Judge` (policy, reference time, keyring, the one cache);
- :mod:`pgpsig.engine.view`: :class:`CertView`, the rules 1-6 for one certificate;
- :mod:`pgpsig.engine.certification`: :class:`CertificationVerdict`, third-party certifications;
- :mod:`pgpsig.engine.revocation`: :class:`RevocationInfo`, hard and soft reasons;
- :mod:`pgpsig.engine.verdicts`: :class:`KeyVerdict`, :class:`SigningKeyView` and the key errors;
- :mod:`pgpsig.engine.selfsig`: when a self-signature counts, and where signatures are found;
- :mod:`pgpsig.engine.signatures`: judging one data signature (``judge_for``, ``judge_signature``).

Importers should name those modules; this one only keeps ``from pgpsig.engine.validity import ...``
working until they do. It owns nothing.
"""

from __future__ import annotations

from pgpsig.engine.certification import CertificationVerdict
from pgpsig.engine.judge import Judge
from pgpsig.engine.revocation import HARD_REASONS, SOFT_REASONS, RevocationInfo
from pgpsig.engine.selfsig import self_signature_usable, usable_self_signatures
from pgpsig.engine.verdicts import (
    KeyExpiredError,
    KeyRevokedError,
    KeyVerdict,
    SigningKeyView,
    UnboundKeyError,
)
from pgpsig.engine.view import CertView

__all__ = [
    "HARD_REASONS",
    "SOFT_REASONS",
    "CertView",
    "CertificationVerdict",
    "Judge",
    "KeyExpiredError",
    "KeyRevokedError",
    "KeyVerdict",
    "RevocationInfo",
    "SigningKeyView",
    "UnboundKeyError",
    "self_signature_usable",
    "usable_self_signatures",
]
