"""Result values: what a verification found, as frozen data with a JSON form.

This module owns the shapes the CLI prints and library users receive: per-signature findings
(:class:`SignatureResult`) and the verdict over a whole input (:class:`VerifyReport`). Reports
refuse to be used as booleans (``if report:`` raises ``TypeError``): ask ``report.ok`` or call
``report.raise_for_status()``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum, IntFlag
from typing import Any

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import VerificationError

__all__ = [
    "EMPTY_MODULE_SIG",
    "FileFindings",
    "ModuleReport",
    "ModuleSignature",
    "SigStatus",
    "SignatureResult",
    "Status",
    "VerifyReport",
    "iso",
]


def iso(t: datetime | None) -> str | None:
    """``2020-08-14T07:31:58Z`` for an aware datetime, None for None."""
    if t is None:
        return None
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The signature ``reason`` of a module whose ``module.sig`` is empty (a stock FreePBX 16 install
#: holds one): INVALID like any unreadable ``module.sig`` (see :attr:`ModuleReport.empty_module_sig`).
EMPTY_MODULE_SIG = "empty module.sig"


class SigStatus(str, Enum):
    """The verdict on one signature (the JSON ``status`` values)."""

    GOOD = "good"
    BAD = "bad"
    UNKNOWN_KEY = "unknown-key"
    INVALID_KEY = "invalid-key"
    UNTRUSTED = "untrusted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    POLICY = "policy"
    MALFORMED = "malformed"
    MISSING = "missing"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureResult:
    """One signature's verdict and the evidence for it.

    ``signer`` is the fingerprint of the key that made it, ``primary`` its certificate's, and
    ``user_id`` the user ID that names that certificate at the signature's time (as its owner wrote
    it: untrusted text; None when the signer is unknown or no user ID was bound then).
    """

    status: SigStatus
    signer: str | None = None
    primary: str | None = None
    user_id: str | None = None
    created: datetime | None = None
    hash_algorithm: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    block: int = 0

    @property
    def good(self) -> bool:
        """True only for a good signature."""
        return self.status is SigStatus.GOOD

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``verify --json``, ``pgpsig/schemas/verify.schema.json``): every key, always."""
        return {
            "status": self.status.value,
            "signer": self.signer,
            "primary": self.primary,
            "user_id": self.user_id,
            "created": iso(self.created),
            "hash_algorithm": self.hash_algorithm,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "block": self.block,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """The verdict over one input: every signature, per block, against a threshold.

    ``ok`` holds when every block carries at least ``min_signatures`` good signatures by distinct
    certificates (duplicates of one key or certificate count once) and no signature is bad: a bad
    signature is reported, never hidden by a good one.
    """

    signatures: tuple[SignatureResult, ...]
    min_signatures: int
    blocks: int
    warnings: tuple[str, ...] = ()
    #: The verified text (LF line ends, as gpgv writes it), when the library was asked to return
    #: it; only ever set on a report that is :attr:`ok`.
    text: bytes | None = None
    #: Why the revocation data is not fresh, when fresh data was required (``verify
    #: --require-fresh``): the input then does not verify, whatever its signatures.
    stale: tuple[str, ...] = ()

    def good_signers(self, block: int) -> tuple[str, ...]:
        """Distinct primary fingerprints with a good signature in ``block``."""
        seen: list[str] = []
        for s in self.signatures:
            if s.block == block and s.good and s.primary and s.primary not in seen:
                seen.append(s.primary)
        return tuple(seen)

    @property
    def ok(self) -> bool:
        """Whether the input verifies (see the class docstring)."""
        if self.blocks == 0 or self.min_signatures < 1 or self.stale:
            return False
        if any(s.status is SigStatus.BAD for s in self.signatures):
            return False
        return all(len(self.good_signers(b)) >= self.min_signatures for b in range(self.blocks))

    def raise_for_status(self) -> None:
        """Raise unless :attr:`ok`.

        Raises:
            VerificationError: with a one-line summary of what failed.
        """
        if not self.ok:
            raise VerificationError(self.summary())

    def summary(self) -> str:
        """A one-line human summary."""
        good = sum(1 for s in self.signatures if s.good)
        if self.ok:
            return f"{good} good signature(s)"
        reasons = [
            f"{s.status.value}: {s.reason}" for s in self.signatures if not s.good and s.reason
        ]
        need = f"need {self.min_signatures} good signature(s) by distinct keys"
        head = f"{good} good signature(s) of {len(self.signatures)}; {need}"
        if self.stale:
            return f"{head}; revocation data is not fresh ({self.stale[0]})"
        return head + (f" ({reasons[0]})" if reasons else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract: ``{"ok", "signatures", "text"}``, plus ``warnings``)."""
        return {
            "ok": self.ok,
            "signatures": [s.to_dict() for s in self.signatures],
            "text": None,
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        text = "" if self.text is None else f", text={len(self.text)} bytes"
        return f"<VerifyReport {'ok' if self.ok else 'FAILED'}: {self.summary()}{text}>"

    def __bool__(self) -> bool:
        raise TypeError("use report.ok or report.raise_for_status(), not the report as a bool")


class Status(IntFlag):
    """FreePBX-compatible module status bits (identical in every FreePBX version since 2014)."""

    GOOD = 1
    TAMPERED = 2
    INVALID = 4
    UNSIGNED = 8
    UNSUPPORTED = 16
    EXPIRED = 32
    REVOKED = 64
    TRUSTED = 128

    @property
    def names(self) -> list[str]:
        """The names of the set bits, lowest first (``["GOOD", "TRUSTED"]``)."""
        return [m.name for m in Status if m & self and m.name]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleSignature:
    """The signature verdict of a module, with the trust decision.

    ``trust_reason`` says why the signer of a good signature is not trusted (the trust decision's
    reason: a revoked certification with its reason and message, say); None when it is trusted.
    """

    result: SignatureResult
    trusted: bool = False
    trust_path: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    trust_reason: str | None = None

    @property
    def status(self) -> SigStatus:
        """The signature's verdict for the module.

        ``untrusted`` for a good signature by a signer no root vouches for, else its own.
        """
        if self.result.status is SigStatus.GOOD and not self.trusted:
            return SigStatus.UNTRUSTED
        return self.result.status

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract: ``check --json`` ``signature``).

        ``reason`` says why the status is not ``good``: the signature's own reason, else why its
        signer is not trusted.
        """
        d = self.result.to_dict()
        d.pop("block", None)
        d["status"] = self.status.value
        if d["reason"] is None:
            d["reason"] = self.trust_reason
        if d["hash_algorithm"] is None:
            d["hash_algorithm"] = ""  # no signature packet was read (malformed module.sig)
        d["trusted"] = self.trusted
        d["trust_path"] = list(self.trust_path)
        d["warnings"] = list(self.warnings)
        return d


#: The ``signature`` of a module without ``module.sig`` in the JSON: every key of a signature's,
#: status ``missing``, nothing read (see :meth:`ModuleReport.to_dict`).
_NO_SIGNATURE = ModuleSignature(result=SignatureResult(status=SigStatus.MISSING))


@dataclass(frozen=True, slots=True, kw_only=True)
class FileFindings:
    """What the file comparison found.

    The lists hold paths as listed in the manifest (``unlisted``: relative to the module
    directory). ``problems`` names each altered, missing or escaping entry where it was looked for:
    ``(entry, installed path, problem)`` with problem ``altered``, ``missing`` or ``escapes`` (a
    symbolic link leaving the module); the installed path is the module directory joined with the
    entry, but for FreePBX's framework mapping (``amp_conf/bin/fwconsole`` is looked for in
    AMPBIN). ``unlisted_links`` are the unlisted symbolic links met in the module, with their
    targets as stored.
    """

    checked: int = 0
    altered: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    symlinks: tuple[str, ...] = ()
    escaping: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    problems: tuple[tuple[str, str, str], ...] = ()
    unlisted_links: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract: ``check --json`` ``files``, plus ``problems``, ``unlisted_links``)."""
        return {
            "checked": self.checked,
            "altered": list(self.altered),
            "missing": list(self.missing),
            "unlisted": list(self.unlisted),
            "symlinks": list(self.symlinks),
            "escaping": list(self.escaping),
            "skipped": list(self.skipped),
            "problems": [{"entry": e, "path": p, "problem": what} for e, p, what in self.problems],
            "unlisted_links": [{"path": p, "target": t} for p, t in self.unlisted_links],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleReport:
    """The verdict on one module: FreePBX status bits, details, signature and files.

    ``ok`` holds only for status 129 (GOOD|TRUSTED): a good signature by a trusted signer and every
    listed file present and unaltered.
    """

    module: str
    path: str
    status: Status
    details: tuple[str, ...] = ()
    signature: ModuleSignature | None = None
    files: FileFindings = field(default_factory=FileFindings)
    checked_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """Whether the module is good and trusted with every file intact."""
        return self.status == Status.GOOD | Status.TRUSTED

    @property
    def empty_module_sig(self) -> bool:
        """Whether the module's ``module.sig`` is an empty file (status 4, nothing verified).

        Never :attr:`ok`; the FreePBX preset of ``pgpsig check`` lets such a module pass the run
        (reported as not verified) unless ``--strict``, as FreePBX's own stock installs hold one.
        """
        sig = self.signature
        return (
            sig is not None
            and sig.result.status is SigStatus.MALFORMED
            and sig.result.reason == EMPTY_MODULE_SIG
        )

    def raise_for_status(self) -> None:
        """Raise unless :attr:`ok`.

        Raises:
            VerificationError: naming the module, its status and the first detail.
        """
        if not self.ok:
            first = f": {self.details[0]}" if self.details else ""
            raise VerificationError(f"module {self.module}: status {int(self.status)}{first}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (contract: ``check --json`` ``modules[]``).

        A module without ``module.sig`` (no :attr:`signature`) has a ``signature`` of status
        ``missing`` with every key a signature has, so that a reader finds the same keys in each.
        """
        return {
            "module": self.module,
            "path": self.path,
            "status": int(self.status),
            "flags": self.status.names,
            "details": list(self.details),
            "signature": (self.signature or _NO_SIGNATURE).to_dict(),
            "files": self.files.to_dict(),
        }

    def __repr__(self) -> str:
        flags = "|".join(self.status.names) or "0"
        return (
            f"<ModuleReport {self.module}: {int(self.status)} ({flags}),"
            f" {self.files.checked} files checked, {len(self.details)} details>"
        )

    def __bool__(self) -> bool:
        raise TypeError("use report.ok or report.raise_for_status(), not the report as a bool")
