"""Check modules: the use case behind ``pgpsig check`` and :func:`check_module`.

This module gathers the evidence and spreads the work; it decides nothing itself. The status bits
and details are :mod:`pgpsig.modules.verdict`'s (pure functions of the evidence), the framework
mapping and local signatures :mod:`pgpsig.modules.freepbx`'s.

Steps, for each module (numbered as in the code):

1. ``module.sig`` is read; absent: UNSIGNED (8).
2. Its clear-signed frame is decoded strictly and every signature judged
   (:mod:`pgpsig.verify`): a malformed file is INVALID (4) with nothing else checked.
3. The trust of each signer is decided, from the configured roots only
   (:mod:`pgpsig.engine.trust`), and the signature that counts chosen
   (:func:`~pgpsig.modules.verdict.signature_verdict`). A soft revocation after signing leaves
   the signature good, with a warning.
4. The manifest is parsed from the text that a *good* signature covers, never from anything else
   (:func:`~pgpsig.modules.verdict.manifest_verdict`: malformed, ``expiresafter``). A FreePBX
   local tag (``type=local``) is replaced by the secure copy it names
   (:func:`~pgpsig.modules.freepbx.local_manifest`), verified and trusted the same way.
5. Every listed file is resolved (FreePBX's framework mapping when asked), never outside its base
   directory, and hashed; a symbolic link is hashed by its target, one that leaves the module
   fails the check. Files are checked even when the signer is untrusted; they are not checked
   when no signature is good (the manifest is then not authentic). The module is walked once
   (step 6) before its files are resolved: a listed file that the walk reached as a regular file
   through no symbolic link, below the module directory itself, is taken as it is (the hashing
   opens it and refuses anything but a regular file); every other listed path goes through
   :func:`pgpsig.modules.tree.resolve_inside`. The findings go to
   :func:`~pgpsig.modules.verdict.module_verdict`.
6. Files present but not listed are reported (``unlisted``); with ``strict`` they fail the check,
   and so does a tree that cannot be walked (too deep, too many files, unreadable directory).

GOOD is set only with a good, trusted signature and all files intact: 129 is the only "ok".

How the work is spread (:func:`check_modules`): when several modules are checked, fork is safe and
there is enough work, whole modules (steps 1-6) go to a pool of forked worker processes
(:mod:`pgpsig.modules.fanout`), in groups balanced by the size of each ``module.sig``; each worker hashes
its modules' files itself, one after the other, and sends back the finished reports. Otherwise the
modules are checked in this process, in batches of about :data:`_BATCH_FILES` listed files whose
files are hashed together
(:func:`pgpsig.hashing.digest_files` may start its own pool for a big batch). Either way the
reports are the same, in the order of the modules given, and no process holds every module's file
list at once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pgpsig.certs.keyring import Keyring
from pgpsig.engine.judge import Judge
from pgpsig.engine.signatures import judge_for
from pgpsig.engine.trust import TrustRoots, decide_trust
from pgpsig.errors import FormatError, InputError, PgpsigError
from pgpsig.hashing import FileDigest, digest_files
from pgpsig.modules import fanout
from pgpsig.modules.manifest import Manifest, is_local_tag, parse_signed
from pgpsig.modules.tree import Tree, resolve_inside, walk_module, walk_would_list
from pgpsig.modules.verdict import (
    FileFindingTuple,
    FileState,
    JudgedSignature,
    SignatureVerdict,
    TreeFindings,
    malformed,
    manifest_verdict,
    module_verdict,
    signature_verdict,
    unsigned,
)
from pgpsig.openpgp.packets import Cert
from pgpsig.policy import Policy
from pgpsig.report import ModuleReport, SignatureResult, SigStatus
from pgpsig.verify import verify_clearsigned

if TYPE_CHECKING:
    from pgpsig.modules.freepbx import FreePBXLayout

__all__ = [
    "CheckOptions",
    "check_module",
    "check_modules",
    "module_targets",
]

MAX_SIG_BYTES = 64 * 1024 * 1024

#: Directory names in a modules directory that are not modules: what FreePBX's module listing
#: (``module_functions::getinfo``) passes over by name. ``_cache`` holds downloaded archives.
NOT_MODULES = frozenset({"_cache", "CVS", ".svn"})

#: Fewest modules sent to forked workers: one module gains nothing from the fanout (its files
#: are still hashed in parallel by :func:`pgpsig.hashing.digest_files` when there are many).
_FANOUT_MIN_MODULES = 2
#: Least work, in bytes of ``module.sig`` (plus :data:`_MODULE_WEIGHT` a module; about 120 bytes
#: a listed file), for which the fanout is started. The pool costs about 25 ms (15 ms of importing
#: multiprocessing and concurrent.futures, 10 ms to start and stop). Measured on 2 cores (small
#: modules of a FreePBX install): with a free core the fanout wins from about 1,000 listed files
#: (87 -> 74 ms), with the other core busy it ties at about 4,000 (142 -> 178 ms at 2,000).
_FANOUT_MIN_WEIGHT = 256 << 10
#: Fixed work of one module (read and verify ``module.sig``, judge the signer, walk the tree), in
#: bytes of ``module.sig`` that take as long to check (about 20 listed files).
_MODULE_WEIGHT = 2 << 10
#: Listed files of the modules checked together in this process before their files are hashed
#: (when there is no fanout): bounds the memory of the pending file lists.
_BATCH_FILES = 4096

_HASHED, _UNREADABLE = FileState.HASHED, FileState.UNREADABLE
_MISSING, _ESCAPES = FileState.MISSING, FileState.ESCAPES


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """How to check: trust roots, policy, reference time, strictness, FreePBX layout.

    ``judge`` is the run's :class:`~pgpsig.engine.judge.Judge`, made from the keyring, policy and time:
    every signature, key and certification of the run is judged by it (one cache for the run).

    Raises:
        ValueError: ``now`` is naive.
    """

    keyring: Keyring
    roots: TrustRoots
    policy: Policy
    now: datetime
    strict: bool = False
    freepbx: FreePBXLayout | None = None
    exclude: Sequence[str] = ()
    judge: Judge = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "judge", judge_for(self.keyring, self.policy, self.now))


def module_targets(modules: Sequence[Path], modules_dir: Path | None) -> list[tuple[str, Path]]:
    """The (name, directory) of each module to check: ``modules``, then ``modules_dir``'s.

    A module's name is its directory's (links resolved for ``modules``); the modules of
    ``modules_dir`` are its subdirectories, in bytewise order, but for :data:`NOT_MODULES`
    (a directory named explicitly in ``modules`` is always checked).

    Raises:
        InputError: ``modules_dir`` or a module is not a directory.
    """
    targets = [(p.resolve().name, p) for p in modules]
    if modules_dir is not None:
        if not modules_dir.is_dir():
            raise InputError(f"{modules_dir} is not a directory")
        targets += [
            (p.name, p)
            for p in sorted(modules_dir.iterdir())
            if p.name not in NOT_MODULES and p.is_dir()
        ]
    for _name, p in targets:
        if not p.is_dir():
            raise InputError(f"{p} is not a directory")
    return targets


@dataclass
class _Pending:
    """A module whose signature was judged, waiting for its files to be hashed."""

    name: str
    path: Path
    verdict: SignatureVerdict
    manifest: Manifest | None = None
    #: (listed path, real path to hash as ``str(Path)`` gives it, problem, via a symbolic link):
    #: strings, not :class:`~pathlib.Path` objects, which cost 2-3 us each to make, hash and print.
    files: list[tuple[str, str | None, str | None, bool]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    escaping: list[str] = field(default_factory=list)
    walk_error: str | None = None


def _judge_signature(
    data: bytes, opts: CheckOptions
) -> tuple[SignatureVerdict, list[bytes] | None]:
    """Steps 2-3: the verdict of the signatures, and the chunks of the text they cover.

    The chunks (the canonical text, CRLF, as it was verified) come back only when a good
    signature counts; :func:`~pgpsig.modules.manifest.parse_signed` makes the manifest of them
    once the caller has let go of ``data``.
    """
    texts: dict[int, list[bytes]] = {}

    def collect(block: int, chunk: bytes) -> None:
        texts.setdefault(block, []).append(chunk)

    try:
        report = verify_clearsigned(
            data, opts.keyring, policy=opts.policy, now=opts.now, output=collect, judge=opts.judge
        )
    except (FormatError, InputError) as e:
        return malformed(f"malformed module.sig: {e}", str(e)), None
    if report.blocks != 1:
        detail = "malformed module.sig: more than one clear-signed block"
        return malformed(detail, "more than one signed block"), None
    verdict = signature_verdict([_judged(s, opts) for s in report.signatures])
    return verdict, (texts.pop(0, []) if verdict.use_manifest else None)


def _judged(s: SignatureResult, opts: CheckOptions) -> JudgedSignature:
    """A signature with its signer's trust decided (good or bad signatures by a known signer)."""
    if s.primary is None or not (s.good or s.status is SigStatus.BAD):
        return JudgedSignature(result=s)
    cert = opts.keyring.get(s.primary)
    if cert is None:
        return JudgedSignature(result=s)
    trust = decide_trust(cert, roots=opts.roots, judge=opts.judge)
    warnings = _soft_revocation_warnings(s, cert, opts) if s.good else ()
    return JudgedSignature(result=s, trust=trust, warnings=warnings)


def _soft_revocation_warnings(
    s: SignatureResult, cert: Cert, opts: CheckOptions
) -> tuple[str, ...]:
    """A soft revocation made after the signature: the signature stays good, with a warning."""
    v = opts.judge.view(cert)
    out = []
    for key, _ in cert.all_keys():
        if key.fingerprint not in (s.signer, cert.fingerprint):
            continue
        for r in v.revocations(None if key is cert.primary else key):
            if not r.hard and r.created <= opts.now:
                out.append(
                    f"key {key.fingerprint} was revoked ({r.reason_name}) on "
                    f"{r.created.isoformat()}, after this signature was made"
                )
    return tuple(out)


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The contents of the regular file at ``path`` (links followed), None if over ``limit`` bytes.

    Opened without blocking and checked before reading: a FIFO would hang the check and a device
    such as ``/dev/zero`` (its size is 0) would be read until memory runs out.

    Raises:
        OSError: it cannot be opened or read, or it is not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fp:
            data = fp.read(st.st_size + 1)
            if len(data) > st.st_size:  # it grew since fstat
                data += fp.read(limit + 1 - len(data))
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def _prepare(name: str, module_dir: Path, opts: CheckOptions) -> _Pending:
    """Steps 1-5 up to hashing: judge the signature, parse the manifest, resolve every file."""
    path = module_dir
    sig_path = module_dir / "module.sig"
    # (1)
    try:
        if not sig_path.exists():
            return _Pending(name, path, unsigned())
        data = _read_regular(sig_path, MAX_SIG_BYTES)
        if data is None:
            return _Pending(name, path, malformed("module.sig too large", "module.sig too large"))
        if not data:  # FreePBX installs hold these (gpg says NODATA): say so, not "malformed"
            return _Pending(name, path, malformed("empty module.sig", "empty module.sig"))
    except OSError as e:
        return _Pending(name, path, malformed(f"cannot read module.sig: {e}", str(e)))
    # (2), (3)
    verdict, chunks = _judge_signature(data, opts)
    del data  # the raw module.sig: no longer needed (up to 64 MiB)
    if chunks is None:
        return _Pending(name, path, verdict)
    # (4)
    manifest: Manifest | str
    try:
        manifest = parse_signed(chunks)
    except FormatError as e:
        manifest = f"malformed manifest: {e}"
    if isinstance(manifest, Manifest) and is_local_tag(manifest):
        # FreePBX's local tags are rare: their module is imported only when one is met
        from pgpsig.modules.freepbx import local_manifest  # noqa: PLC0415

        manifest = local_manifest(
            manifest, opts.freepbx, lambda secure: _judge_signature(secure, opts)
        )
    verdict = manifest_verdict(verdict, manifest, now=opts.now)
    pending = _Pending(name, path, verdict)
    if not verdict.use_manifest or not isinstance(manifest, Manifest):
        return pending
    pending.manifest = manifest
    # (6, first half) walk the module (FreePBX's walk rules; dot-names are never signed by
    # sign.php): its files not listed are reported below, its plain files need no resolving.
    tree: Tree | None = None
    walk_error: PgpsigError | None = None
    try:
        tree = walk_module(module_dir, exclude=opts.exclude)
    except PgpsigError as e:
        walk_error = e
    direct = _reached_directly(tree) if tree is not None else frozenset()
    # With no link anywhere in the walked tree and nothing excluded, a listed path that the walk
    # did not reach and that has no dot-named component is no regular file of the module: missing
    # (what resolve_inside would find, one realpath and several stats later; a manifest listing
    # 200,000 absent files took 8 s).
    walked_all = tree is not None and not tree.symlinks and not opts.exclude
    module_real = os.path.realpath(module_dir) if direct else ""
    # (5) resolve files
    listed: set[str] = set()
    for entry in manifest.entries:
        listed.add(entry.path)
        if opts.freepbx is not None:
            dest = opts.freepbx.destination(name, module_dir, entry.path)
        else:
            dest = (module_dir, entry.path)
        if dest is None:
            pending.skipped.append(entry.path)
            continue
        base, rel = dest
        if rel in direct and base is module_dir:
            # What resolve_inside answers for a regular file with no link on its way, without its
            # realpath and stats; the hashing opens the file and refuses anything but a regular one.
            pending.files.append((entry.path, os.path.join(module_real, rel), None, False))  # noqa: PTH118
            continue
        if walked_all and base is module_dir and walk_would_list(rel):
            pending.files.append((entry.path, None, "missing", False))
            continue
        r = resolve_inside(base, rel)
        if r.via_symlink:
            pending.symlinks.append(entry.path)
        if r.problem == "escapes":
            pending.escaping.append(entry.path)
        real = None if r.path is None else str(r.path)
        pending.files.append((entry.path, real, r.problem, r.via_symlink))
    # (6) unlisted files
    if tree is not None:
        pending.unlisted = [f for f in tree.files if f not in listed]
        pending.symlinks.extend(s for s in tree.escaping if s not in pending.symlinks)
        # A link that leaves the module counts against it only when the manifest lists it or a
        # path through it; any other (FreePBX makes such links at install time) is an unlisted
        # entry like any other: reported, failing only with ``strict``.
        on_the_way = _listed_and_their_directories(listed) if tree.escaping else frozenset()
        for s in tree.escaping:
            if s in on_the_way:
                if s not in pending.escaping:
                    pending.escaping.append(s)
            elif s not in pending.unlisted:
                pending.unlisted.append(s)
    else:
        pending.walk_error = str(walk_error)
    return pending


def _listed_and_their_directories(listed: set[str]) -> frozenset[str]:
    """Every listed path and every directory on the way to one (``a/b/c`` gives ``a``, ``a/b``)."""
    out = set(listed)
    for p in listed:
        i = p.find("/")
        while i != -1:
            out.add(p[:i])
            i = p.find("/", i + 1)
    return frozenset(out)


def _reached_directly(tree: Tree) -> frozenset[str]:
    """The files of ``tree`` that the walk reached as regular files through no symbolic link.

    The walk lists a linked file under the link's own path and records every link it meets
    (followed or not) in ``symlinks``: a file is behind a link exactly when the file itself or
    one of the directories on its path is such a link.
    """
    if not tree.symlinks:
        return frozenset(tree.files)
    links = frozenset(tree.symlinks)

    def behind_link(rel: str) -> bool:
        if rel in links:
            return True
        i = rel.find("/")
        while i >= 0:
            if rel[:i] in links:
                return True
            i = rel.find("/", i + 1)
        return False

    return frozenset(f for f in tree.files if not behind_link(f))


def _finish(
    p: _Pending, digests: dict[str, FileDigest | OSError], opts: CheckOptions
) -> ModuleReport:
    """Steps 5-6 after hashing: what became of each listed file, then the verdict."""
    if p.manifest is None:
        return module_verdict(module=p.name, path=p.path, verdict=p.verdict, now=opts.now)
    # Plain tuples of FileFinding's fields: a FileFinding costs about 0.6 us a file to make.
    files: list[FileFindingTuple] = []
    add = files.append
    get = digests.get
    for rel, real, problem, _via in p.files:
        if problem is None and real is not None:
            d = get(real)
            if d is None or isinstance(d, OSError):
                add((rel, _UNREADABLE, real, None))
            else:
                add((rel, _HASHED, real, d.hexdigest))
        elif problem == "escapes":
            add((rel, _ESCAPES, None, None))
        else:
            add((rel, _MISSING, None, None))
    findings = TreeFindings(
        files=files,
        skipped=tuple(p.skipped),
        unlisted=tuple(p.unlisted),
        symlinks=tuple(p.symlinks),
        escaping=tuple(p.escaping),
        walk_error=p.walk_error,
    )
    return module_verdict(
        module=p.name,
        path=p.path,
        verdict=p.verdict,
        now=opts.now,
        manifest=p.manifest,
        files=findings,
        strict=opts.strict,
    )


_Progress = Callable[[str, int, int], None]


def check_modules(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None = None,
) -> list[ModuleReport]:
    """Check several modules (name, directory); reports in the order given.

    Whole modules go to forked worker processes when that pays (see the module docstring and
    :func:`_plan_fanout`); otherwise they are checked here in batches. The reports are the same
    either way.

    ``progress(stage, done, total)``, if given, is called in this process: with ``"signatures"``
    and the number of modules done out of all of them, as each module is judged here or each group
    of modules comes back from a worker; and with ``"files"`` before ``(0, n)`` and after
    ``(n, n)`` each batch of ``n`` files hashed here, or once ``(n, n)`` with the ``n`` files the
    workers checked.

    Raises:
        ValueError: ``opts.now`` is naive.
        PgpsigError: a worker process died (killed, out of memory): no report is returned.
        concurrent.futures.process.BrokenProcessPool: a process hashing files for this process
            died (see :func:`pgpsig.hashing.digest_files`).
    """
    if opts.now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    plan = _plan_fanout(modules)
    if plan is not None:
        workers, groups = plan
        return _check_fanout(modules, opts, workers, groups, progress)
    return _check_here(modules, opts, progress)


def _check_here(
    modules: Sequence[tuple[str, Path]], opts: CheckOptions, progress: _Progress | None
) -> list[ModuleReport]:
    """Check modules in this process, hashing the files of about :data:`_BATCH_FILES` at a time."""
    reports: list[ModuleReport] = []
    batch: list[_Pending] = []
    listed = 0
    for i, (name, d) in enumerate(modules):
        p = _prepare(name, Path(d).absolute(), opts)
        batch.append(p)
        listed += len(p.files)
        if progress is not None:
            progress("signatures", i + 1, len(modules))
        if listed >= _BATCH_FILES and i + 1 < len(modules):
            reports.extend(_hash_and_finish(batch, opts, progress))
            batch = []
            listed = 0
    reports.extend(_hash_and_finish(batch, opts, progress))
    return reports


def _hash_and_finish(
    batch: Sequence[_Pending],
    opts: CheckOptions,
    progress: _Progress | None,
    *,
    workers: int | None = None,
) -> list[ModuleReport]:
    """Steps 5-6 for prepared modules: hash their files together, then compare and report.

    The files go to one :func:`digest_files` call (``workers`` as there).
    """
    paths: list[str] = []
    seen: set[str] = set()
    for p in batch:
        for _rel, real, problem, _via in p.files:
            if real is not None and problem is None and real not in seen:
                seen.add(real)
                paths.append(real)
    if progress is not None:
        progress("files", 0, len(paths))
    results = digest_files(paths, workers=workers) if paths else []
    if progress is not None:
        progress("files", len(paths), len(paths))
    digests: dict[str, FileDigest | OSError] = dict(zip(paths, results, strict=True))
    return [_finish(p, digests, opts) for p in batch]


# --- fanout: whole modules to forked workers ------------------------------------------------------


def _plan_fanout(modules: Sequence[tuple[str, Path]]) -> tuple[int, list[list[int]]] | None:
    """(workers, groups of module indices, heaviest group first) for a fanout, or None.

    :func:`pgpsig.modules.fanout.plan` (fork must be safe, more than one core, one module must not hold
    most of the work) of at least :data:`_FANOUT_MIN_MODULES` modules and
    :data:`_FANOUT_MIN_WEIGHT` of work. The work of a module is the size of its ``module.sig``,
    which grows with its listed files, plus :data:`_MODULE_WEIGHT`.
    """
    if len(modules) < _FANOUT_MIN_MODULES or not fanout.possible():
        return None  # decided before stat'ing every module.sig
    weights = [_module_weight(Path(d)) for _name, d in modules]
    return fanout.plan(weights, min_total=_FANOUT_MIN_WEIGHT)


def _module_weight(module_dir: Path) -> int:
    """Planned work of a module: its ``module.sig`` size (0 if not stat'able) plus the fixed work."""
    try:
        return (module_dir / "module.sig").stat().st_size + _MODULE_WEIGHT
    except OSError:
        return _MODULE_WEIGHT


def _check_fanout(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    workers: int,
    groups: list[list[int]],
    progress: _Progress | None,
) -> list[ModuleReport]:
    """Check the ``groups`` of modules on ``workers`` forked processes; reports in input order.

    The workers inherit ``modules`` and ``opts`` (nothing but module numbers and reports is
    pickled) and check each module with :func:`_check_one`.

    Raises:
        PgpsigError: a worker died: the check fails closed, with no report.
    """
    done = 0

    def one(i: int) -> ModuleReport:
        name, module_dir = modules[i]
        return _check_one(name, module_dir, opts)

    def group_done(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("signatures", done, len(modules))

    reports = fanout.run(
        one, len(modules), workers, groups, what="checking modules", on_group=group_done
    )
    if progress is not None:
        files = sum(r.files.checked for r in reports)
        progress("files", files, files)
    return reports


def _check_one(name: str, module_dir: Path, opts: CheckOptions) -> ModuleReport:
    """Steps 1-6 for one module, its files hashed here one after the other (no nested pool)."""
    p = _prepare(name, Path(module_dir).absolute(), opts)
    return _hash_and_finish([p], opts, None, workers=1)[0]


def check_module(
    module_dir: Path,
    *,
    keyring: Keyring,
    roots: TrustRoots,
    policy: Policy,
    now: datetime,
    strict: bool = False,
    name: str | None = None,
    exclude: Sequence[str] = (),
) -> ModuleReport:
    """Check one module directory; see the module docstring for the steps.

    Example::

        report = check_module(Path("modules/core"), keyring=load_keyring([Path("keys")]),
                              roots=TrustRoots(frozenset({MASTER_FPR})),
                              policy=policy_named("default"), now=datetime.now(timezone.utc))
        report.raise_for_status()

    Raises:
        ValueError: ``now`` is naive.
    """
    opts = CheckOptions(
        keyring=keyring, roots=roots, policy=policy, now=now, strict=strict, exclude=exclude
    )
    return check_modules([(name or Path(module_dir).resolve().name, module_dir)], opts)[0]
