"""The verdict on a module: FreePBX status bits, details and report fields, from values alone.

This module owns the *rules* of ``pgpsig check`` (the README's "Module status", the FreePBX bits):
which signature counts, which bits a signature, a manifest and the files set, and the words of
every detail. It is pure: it reads no file, no clock and no keyring, and knows nothing of how the
work is spread over processes. :mod:`pgpsig.modules.check` gathers the evidence (reads
``module.sig``, verifies it, decides the signers' trust, walks and hashes the files) and hands it
here in three steps, each a function of values:

1. :func:`signature_verdict` (or :func:`unsigned`, :func:`malformed`): from every signature of
   ``module.sig`` and its signer's trust decision, the status so far and whether the signed
   manifest may be used. The signature that counts is a good one by a trusted signer if any, else
   a good one, else the most telling failure; a bad signature is never hidden by a good one.
   Bad signature: TAMPERED|INVALID (2|4), TAMPERED alone when its signer is trusted; expired
   key: EXPIRED (32); revoked key or certification: REVOKED (64); any other failure: INVALID (4).
   A good signature by a trusted signer: GOOD|TRUSTED (129); by a signer whose certification was
   revoked: REVOKED (64); by an untrusted signer: INVALID (4); the trust decision's reason (the
   revocation's reason and message, say) is then the signature's ``reason`` and the detail. Only
   a good signature lets the manifest (and so the files) be checked, trusted or not.
2. :func:`manifest_verdict`: a manifest that cannot be used (malformed, an unusable FreePBX local
   tag) is INVALID (4); ``expiresafter`` in the past is REVOKED (64). Either way no file is
   checked.
3. :func:`module_verdict`: the files compared with the manifest. An altered or missing listed
   file, or a symbolic link leaving the module, sets TAMPERED and clears GOOD; with ``strict``, so
   do unlisted files and a tree that could not be walked. The result is the
   :class:`~pgpsig.report.ModuleReport`.

GOOD is never set together with TAMPERED or INVALID: 129 is the only "ok".

The values passed between the steps are named tuples, not dataclasses: a frozen dataclass costs
about 0.65 ms to define, paid by every ``pgpsig check`` run when the module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path

from pgpsig._dataclass import NamedTuple
from pgpsig.engine.trust import TrustDecision
from pgpsig.modules.manifest import Manifest
from pgpsig.report import (
    FileFindings,
    ModuleReport,
    ModuleSignature,
    SignatureResult,
    SigStatus,
    Status,
)

__all__ = [
    "FileFinding",
    "FileFindingTuple",
    "FileState",
    "JudgedSignature",
    "SignatureVerdict",
    "TreeFindings",
    "malformed",
    "manifest_verdict",
    "module_verdict",
    "signature_verdict",
    "unsigned",
]

_GOOD_TRUSTED = Status.GOOD | Status.TRUSTED
#: Failures of a signature, most telling first: the one reported when no good signature counts.
_MOST_TELLING = (
    SigStatus.BAD,
    SigStatus.REVOKED,
    SigStatus.EXPIRED,
    SigStatus.INVALID_KEY,
    SigStatus.POLICY,
    SigStatus.UNKNOWN_KEY,
    SigStatus.MALFORMED,
)
_RANK = {s: i for i, s in enumerate(_MOST_TELLING)}
#: Status bits of a failed signature; any failure not listed is INVALID.
_FAILURE_BITS = {
    SigStatus.BAD: Status.TAMPERED | Status.INVALID,
    SigStatus.EXPIRED: Status.EXPIRED,
    SigStatus.REVOKED: Status.REVOKED,
}


#: The words of a file's detail (FreePBX's: ``<path> altered``, ``<path> missing``), by problem.
_PROBLEM_WORDS = {
    "altered": "altered",
    "missing": "missing",
    "escapes": "symlink leaves the module",
}


def _failed(reason: str) -> tuple[str, ...]:
    """The one detail of a module whose ``module.sig`` failed (FreePBX's words)."""
    return (f"module.sig check failed! {reason}",)


class JudgedSignature(NamedTuple):
    """One signature of ``module.sig`` with what was decided about its signer.

    Attributes:
        result: The signature's verdict (:func:`pgpsig.verify.verify_clearsigned`).
        trust: The signer's trust decision: needed for a good signature and a bad one whose
            signer is known; None when it was not decided (then the signer is not trusted).
        warnings: More warnings for a good signature (a soft revocation made after it).
    """

    result: SignatureResult
    trust: TrustDecision | None = None
    warnings: tuple[str, ...] = ()


class SignatureVerdict(NamedTuple):
    """The verdict so far, before the files: status bits, details, the signature that counts.

    Attributes:
        status: The status bits so far.
        details: The details so far (``module.sig check failed! ...``, ``unsigned``).
        signature: The signature that counts and its trust, None without ``module.sig``.
        use_manifest: Whether the signed manifest is to be read and the files checked: only
            after a good signature (trusted or not) and a usable manifest.
    """

    status: Status
    details: tuple[str, ...] = ()
    signature: ModuleSignature | None = None
    use_manifest: bool = False


class FileState(Enum):
    """What became of one listed file."""

    #: Read and hashed: compared with the manifest.
    HASHED = "hashed"
    #: Found but could not be read (it vanished, it is not a regular file): missing, but checked.
    UNREADABLE = "unreadable"
    #: Not found as a regular file inside its base directory: missing.
    MISSING = "missing"
    #: A symbolic link on its way leaves the module: counted as altered.
    ESCAPES = "escapes"


class FileFinding(NamedTuple):
    """One listed file as the check saw it (a tuple: there may be 200,000 of them).

    Attributes:
        path: The path as listed in the manifest.
        state: What became of it.
        location: Where the file was looked for (its installed path) when that is not the
            module directory joined with ``path`` (FreePBX's framework mapping); None otherwise.
        sha256: Its SHA-256, lower-case hex (HASHED).
    """

    path: str
    state: FileState
    location: str | None = None
    sha256: str | None = None


#: What :class:`FileFinding` holds, as a plain tuple (cheaper to make, for 200,000 files).
FileFindingTuple = tuple[str, FileState, str | None, str | None]


class TreeFindings(NamedTuple):
    """What the walk, the resolving and the hashing of a module found.

    Attributes:
        files: One finding per listed file that was looked for, in manifest order
            (:class:`FileFinding` values or plain tuples of the same fields).
        skipped: Listed paths FreePBX does not validate (framework mapping), as listed.
        unlisted: Files present but not listed.
        symlinks: Listed files reached through a symbolic link, then links leaving the module.
        escaping: Listed symbolic links, or links on the way to a listed file, that leave the
            module.
        links: Unlisted symbolic links met by the walk, with their targets as stored.
        walk_error: Why the module could not be walked; None when it was.
    """

    files: Sequence[FileFindingTuple] = ()
    skipped: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    symlinks: tuple[str, ...] = ()
    escaping: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    walk_error: str | None = None


def unsigned() -> SignatureVerdict:
    """No ``module.sig``: UNSIGNED (8), detail ``unsigned``."""
    return SignatureVerdict(status=Status.UNSIGNED, details=("unsigned",))


def malformed(detail: str, reason: str) -> SignatureVerdict:
    """A ``module.sig`` that cannot be read or decoded: INVALID (4), nothing else checked.

    Args:
        detail: What failed, for the details (``malformed module.sig: ...``).
        reason: The same for the signature's ``reason``.
    """
    res = SignatureResult(status=SigStatus.MALFORMED, reason=reason)
    return SignatureVerdict(
        status=Status.INVALID, details=_failed(detail), signature=ModuleSignature(result=res)
    )


def _trusted(j: JudgedSignature) -> bool:
    return j.trust is not None and j.trust.trusted


def signature_verdict(signatures: Sequence[JudgedSignature]) -> SignatureVerdict:
    """Step 1: the verdict of the signatures of one clear-signed block (module docstring).

    Args:
        signatures: Every signature of the block, with its signer's trust decision.

    Returns:
        The verdict; ``use_manifest`` when a good signature counts.
    """
    best: JudgedSignature | None = None
    for j in signatures:
        if not j.result.good or j.result.primary is None:
            continue
        if best is None or (_trusted(j) and not _trusted(best)):
            best = j
    # A bad signature is reported, never hidden by a good one (THREATS.md: several signatures).
    if best is None or any(j.result.status is SigStatus.BAD for j in signatures):
        failures = [j for j in signatures if not j.result.good]
        if not failures:  # no signature at all: verify never reports that, but fail closed
            res = SignatureResult(status=SigStatus.MISSING, reason="no signature")
            return SignatureVerdict(
                status=Status.INVALID,
                details=_failed("no signature"),
                signature=ModuleSignature(result=res),
            )
        first = min(failures, key=lambda j: _RANK.get(j.result.status, len(_RANK)))
        s = first.result
        status = _FAILURE_BITS.get(s.status, Status.INVALID)
        if s.status is SigStatus.BAD and s.primary and _trusted(first):
            status = Status.TAMPERED
        return SignatureVerdict(
            status=status,
            details=_failed(s.reason or s.status.value),
            signature=ModuleSignature(result=s),
        )
    decision = best.trust or TrustDecision(False)
    why = None
    if not decision.trusted:
        why = decision.reason or ("revoked" if decision.revoked else "untrusted signer")
    sig = ModuleSignature(
        result=best.result,
        trusted=decision.trusted,
        trust_path=decision.path,
        warnings=(*best.result.warnings, *decision.warnings, *best.warnings),
        trust_reason=why,
    )
    if why is None:
        return SignatureVerdict(status=_GOOD_TRUSTED, signature=sig, use_manifest=True)
    return SignatureVerdict(
        status=Status.REVOKED if decision.revoked else Status.INVALID,
        details=_failed(why),
        signature=sig,
        use_manifest=True,
    )


def manifest_verdict(
    verdict: SignatureVerdict, manifest: Manifest | str, *, now: datetime
) -> SignatureVerdict:
    """Step 2: the verdict once the signed manifest is read.

    Args:
        verdict: The verdict of step 1, with ``use_manifest``.
        manifest: The manifest, or why it cannot be used (``malformed manifest: ...``, an
            unusable FreePBX local tag).
        now: The reference time (``expiresafter`` is compared with it).

    Returns:
        ``verdict`` itself when the files are to be checked, else the failed verdict.

    Raises:
        ValueError: ``verdict`` does not allow a manifest.
    """
    if not verdict.use_manifest:
        raise ValueError("no good signature: the manifest is not authentic")
    if isinstance(manifest, str):
        return verdict._replace(
            status=Status.INVALID, details=_failed(manifest), use_manifest=False
        )
    if manifest.expiresafter is not None and now.timestamp() > manifest.expiresafter:
        return verdict._replace(
            status=Status.REVOKED,
            details=_failed("Module signature expired"),
            use_manifest=False,
        )
    return verdict


def module_verdict(
    *,
    module: str,
    path: Path,
    verdict: SignatureVerdict,
    now: datetime,
    manifest: Manifest | None = None,
    files: TreeFindings | None = None,
    strict: bool = False,
) -> ModuleReport:
    """Step 3: the module's report.

    Args:
        module: The module's name.
        path: Its directory (absolute): the details name files below it.
        verdict: The verdict of steps 1-2.
        now: The reference time, echoed in the report.
        manifest: The manifest the files were checked against (with ``use_manifest``).
        files: What the walk and the hashing found (with ``use_manifest``).
        strict: Files present but not listed, or a tree that could not be walked, fail the check.

    Returns:
        The report: status bits, details, signature and file findings.

    Raises:
        ValueError: ``verdict`` asks for the files but ``manifest`` or ``files`` is missing.
    """
    if not verdict.use_manifest:
        return ModuleReport(
            module=module,
            path=str(path),
            status=Status(verdict.status),
            details=verdict.details,
            signature=verdict.signature,
            checked_at=now,
        )
    if manifest is None or files is None:
        raise ValueError("a good signature: the files must be checked against the manifest")
    status = verdict.status
    details = list(verdict.details)
    if files.walk_error is not None:
        details.append(f"{path}: cannot walk module: {files.walk_error}")
    altered: list[str] = []
    missing: list[str] = []
    problems: list[tuple[str, str, str]] = []
    checked = 0
    want = {e.path: e.sha256 for e in manifest.entries}
    hashed = FileState.HASHED

    def problem(rel: str, location: str | None, what: str) -> None:
        where = location or str(path / rel)
        problems.append((rel, where, what))
        details.append(f"{where} {_PROBLEM_WORDS[what]}")

    for rel, state, location, sha256 in files.files:
        if state is hashed and sha256 is not None:
            checked += 1
            if sha256 != want.get(rel):
                altered.append(rel)
                problem(rel, location, "altered")
        elif state is FileState.ESCAPES:
            altered.append(rel)
            problem(rel, location, "escapes")
        elif state is FileState.MISSING:
            missing.append(rel)
            problem(rel, location, "missing")
        else:  # unreadable, or hashed with no digest
            checked += 1
            missing.append(rel)
            problem(rel, location, "missing")
    for rel in files.escaping:
        if rel not in altered:
            altered.append(rel)
            problem(rel, None, "escapes")
    if altered or missing:
        status = (status | Status.TAMPERED) & ~Status.GOOD
    # A tree that could not be walked: unlisted files are not ruled out.
    if strict and (files.unlisted or files.walk_error is not None):
        status = (status | Status.TAMPERED) & ~Status.GOOD
        details.extend(f"{path / u} unlisted" for u in files.unlisted)
    return ModuleReport(
        module=module,
        path=str(path),
        status=Status(status),
        details=tuple(details),
        signature=verdict.signature,
        files=FileFindings(
            checked=checked,
            altered=tuple(altered),
            missing=tuple(missing),
            unlisted=tuple(files.unlisted),
            symlinks=tuple(files.symlinks),
            escaping=tuple(files.escaping),
            skipped=tuple(files.skipped),
            problems=tuple(problems),
            unlisted_links=files.links,
        ),
        checked_at=now,
    )
