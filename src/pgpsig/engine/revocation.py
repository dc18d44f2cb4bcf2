"""Revocations as values: when, why, hard or soft, and which one is in effect at a time.

This module owns the hard/soft rule (rule 4 of :mod:`pgpsig.engine.view`): a revocation whose
reason is soft (:data:`~pgpsig.openpgp.ids.SOFT_REVOCATION_REASONS`: superseded, retired, user ID
no longer valid) takes effect from its own creation; any other reason, none, or a revocation whose
time cannot be read is hard and takes effect for all times. Which revocations verify, and over what,
is the view's question; this module only reads a verified one, and words it
(:meth:`RevocationInfo.describe`: what is revoked, why, when, and the revoker's message).
"""

from __future__ import annotations

from datetime import datetime

from pgpsig._dataclass import dataclass
from pgpsig.engine.selfsig import single_creation_time
from pgpsig.errors import quoted
from pgpsig.openpgp.ids import SOFT_REVOCATION_REASONS, RevocationReason
from pgpsig.openpgp.packets import PublicKey, Signature

__all__ = [
    "RevocationInfo",
    "is_hard",
    "revocation_in_effect",
    "revocation_info",
]


_REASON_NAMES: dict[int | None, str] = {
    None: "no reason given",
    RevocationReason.NO_REASON: "unspecified",
    RevocationReason.SUPERSEDED: "superseded",
    RevocationReason.COMPROMISED: "compromised",
    RevocationReason.RETIRED: "retired",
    RevocationReason.USER_ID_INVALID: "user ID no longer valid",
}


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
        return _REASON_NAMES.get(self.code, f"reason code {self.code}")

    def said(self, sentence: str) -> str:
        """``sentence``, then ``: "message"`` when the revocation gives one (quoted, bounded)."""
        return sentence + (f": {quoted(self.message)}" if self.message else "")

    def describe(self, what: str) -> str:
        """``key X is revoked (reason, date): "message"`` (``what`` names what is revoked)."""
        return self.said(f"{what} is revoked ({self.reason_name}, {self.created.isoformat()})")


def is_hard(sig: Signature) -> bool:
    """Whether a revocation's reason is hard: none given, or any reason that is not soft."""
    rr = sig.revocation_reason
    if rr is None:
        return True
    return rr[0] not in SOFT_REVOCATION_REASONS


def revocation_info(sig: Signature, key: PublicKey) -> RevocationInfo:
    """A verified revocation of ``key``, as a value.

    One whose time cannot be read (no creation time, two of them, a malformed time subpacket)
    is hard and dated from the key's creation: for a revocation, failing closed means applying
    it, and the date of a hard revocation does not matter (gpg applies such revocations too).
    """
    rr = sig.revocation_reason
    created = single_creation_time(sig)
    readable = created is not None and sig.defect() is None
    return RevocationInfo(
        created=created if readable and created is not None else key.created,
        code=None if rr is None else rr[0],
        message="" if rr is None else rr[1].decode("utf-8", "replace"),
        hard=is_hard(sig) or not readable,
    )


def revocation_in_effect(
    revs: list[RevocationInfo], bcreated: datetime, at: datetime
) -> RevocationInfo | None:
    """The revocation in effect at ``at``, given the binding in force was made at ``bcreated``.

    A hard one always; a soft one made at or before ``at`` and not older than that binding (a newer
    self-signature re-validates the key, as Sequoia does).
    """
    for r in revs:
        if r.hard:
            return r
    for r in revs:
        if r.created <= at and r.created >= bcreated:
            return r
    return None
