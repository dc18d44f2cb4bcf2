"""Check modules: the use case behind ``pgpsig check`` and :func:`pgpsig.check_module`.

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
(:mod:`pgpsig.fanout`), one after the other as a worker gets free; each worker walks and
hashes a module's files itself and sends back the finished report, which
:func:`iter_check_modules` passes on in order. Otherwise the
modules are checked in this process, in batches of about :data:`_BATCH_FILES` listed files whose
files are hashed together
(:func:`pgpsig.hashing.digest_files` may start its own pool for a big batch). Either way the
reports are the same, in the order of the modules given, and no process holds every module's file
list at once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from pgpsig.errors import InputError, PgpsigError, not_a_directory
from pgpsig.hashing import FileDigest, digest_files
from pgpsig.modules.evidence import CheckOptions, Pending, finish, prepare
from pgpsig.report import ModuleReport

__all__ = [
    "NOT_MODULES",
    "CheckOptions",
    "check_modules",
    "iter_check_modules",
    "module_targets",
]

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


def _resolved_name(p: Path) -> str:
    """The name of the directory ``p`` leads to (links resolved).

    Raises:
        InputError: ``p`` cannot be resolved (a link loop).
    """
    try:
        return p.resolve().name
    except (OSError, RuntimeError) as e:  # Python < 3.13 raises RuntimeError for a loop
        raise InputError(f"{p}: cannot resolve: {e}") from e


def module_targets(modules: Sequence[Path], modules_dir: Path | None) -> list[tuple[str, Path]]:
    """The (name, directory) of each module to check: ``modules``, then ``modules_dir``'s.

    A module's name is its directory's (links resolved for ``modules``); the modules of
    ``modules_dir`` are its subdirectories, in bytewise order, but for :data:`NOT_MODULES`
    (a directory named explicitly in ``modules`` is always checked).

    Raises:
        InputError: ``modules_dir`` or a module is not a directory.
    """
    targets = [(_resolved_name(p), p) for p in modules]
    if modules_dir is not None:
        if not modules_dir.is_dir():
            raise not_a_directory(modules_dir)
        targets += [
            (p.name, p)
            for p in sorted(modules_dir.iterdir())
            if p.name not in NOT_MODULES and p.is_dir()
        ]
    for _name, p in targets:
        if not p.is_dir():
            raise not_a_directory(p)
    return targets


_Progress = Callable[[str, int, int], None]
T = TypeVar("T")


def check_modules(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None = None,
) -> list[ModuleReport]:
    """Check several modules (name, directory); every report, in the order given.

    :func:`iter_check_modules`, collected: see there.

    Raises:
        ValueError: ``opts.now`` is naive.
        PgpsigError: a worker process (checking modules, or hashing files for this process:
            :func:`pgpsig.hashing.digest_files`) died (killed, out of memory): no report is
            returned.
    """
    return list(iter_check_modules(modules, opts, progress))


@overload
def iter_check_modules(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None = None,
) -> Generator[ModuleReport, None, None]: ...


@overload
def iter_check_modules(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None = None,
    *,
    render: Callable[[ModuleReport], T],
) -> Generator[T, None, None]: ...


def iter_check_modules(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None = None,
    *,
    render: Callable[[ModuleReport], Any] | None = None,
) -> Generator[Any, None, None]:
    """Check several modules (name, directory): each report as soon as it and those before it are done.

    Whole modules go to forked worker processes when that pays (see the module docstring and
    :func:`_plan_fanout`); otherwise they are checked here in batches. The reports are the same
    either way, in the order of the modules given; a caller that writes each one out and lets
    go of it holds only the reports done ahead of their turn (streamed ``--json``). Closing the
    generator early stops the workers.

    ``render``, if given, is applied to each report where it is made (in the worker process under
    a fanout) and what it returns is yielded instead of the report: what a caller keeps of a report
    (its line of text, its JSON text) then travels and waits instead of the whole report (27,000
    unlisted paths of one FreePBX module). It must return something picklable.

    ``progress(stage, done, total)``, if given, is called in this process: with ``"signatures"``
    and the number of modules done out of all of them, as each module is judged here or each group
    of modules comes back from a worker; and with ``"files"`` before ``(0, n)`` and after
    ``(n, n)`` each batch of ``n`` files hashed here, or once ``(n, n)`` with the ``n`` files the
    workers checked.

    Raises:
        ValueError: ``opts.now`` is naive (at once, before the first report).
        PgpsigError: a worker process (checking modules, or hashing files for this process:
            :func:`pgpsig.hashing.digest_files`) died (killed, out of memory): no more reports
            come.
    """
    if opts.now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    plan = _plan_fanout(modules)
    if plan is not None:
        workers, groups = plan
        return _check_fanout(modules, opts, workers, groups, progress, render=render)
    return _check_here(modules, opts, progress, render)


def _check_here(
    modules: Sequence[tuple[str, Path]],
    opts: CheckOptions,
    progress: _Progress | None,
    render: Callable[[ModuleReport], Any] | None,
) -> Generator[Any, None, None]:
    """Check modules in this process, hashing the files of about :data:`_BATCH_FILES` at a time."""
    batch: list[Pending] = []
    listed = 0
    for i, (name, d) in enumerate(modules):
        p = prepare(name, Path(d).absolute(), opts)
        batch.append(p)
        listed += len(p.files)
        if progress is not None:
            progress("signatures", i + 1, len(modules))
        if listed >= _BATCH_FILES and i + 1 < len(modules):
            yield from _rendered(_hash_and_finish(batch, opts, progress), render)
            batch = []
            listed = 0
    yield from _rendered(_hash_and_finish(batch, opts, progress), render)


def _rendered(
    reports: list[ModuleReport], render: Callable[[ModuleReport], Any] | None
) -> list[Any]:
    return reports if render is None else [render(r) for r in reports]


def _hash_and_finish(
    batch: Sequence[Pending],
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
        for _rel, real, problem, _via, _where in p.files:
            if real is not None and problem is None and real not in seen:
                seen.add(real)
                paths.append(real)
    if progress is not None:
        progress("files", 0, len(paths))
    results = digest_files(paths, workers=workers) if paths else []
    if progress is not None:
        progress("files", len(paths), len(paths))
    digests: dict[str, FileDigest | OSError] = dict(zip(paths, results, strict=True))
    return [finish(p, digests, opts) for p in batch]


# --- fanout: whole modules to forked workers ------------------------------------------------------


def _plan_fanout(modules: Sequence[tuple[str, Path]]) -> tuple[int, list[list[int]]] | None:
    """(workers, one group a module, in order) for a fanout, or None.

    :func:`pgpsig.fanout.plan` (fork must be safe, more than one core, one module must not hold
    most of the work) of at least :data:`_FANOUT_MIN_MODULES` modules and
    :data:`_FANOUT_MIN_WEIGHT` of work. The work of a module is the size of its ``module.sig``,
    which grows with its listed files, plus :data:`_MODULE_WEIGHT`.
    """
    if len(modules) < _FANOUT_MIN_MODULES:
        return None  # and the fanout's machinery (pickle, signal, ...) is never imported
    from pgpsig import fanout  # noqa: PLC0415 - see above

    if not fanout.possible():
        return None  # decided before stat'ing every module.sig
    weights = [_module_weight(Path(d)) for _name, d in modules]
    return fanout.plan(weights, min_total=_FANOUT_MIN_WEIGHT, ordered=True)


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
    *,
    render: Callable[[ModuleReport], Any] | None,
) -> Generator[Any, None, None]:
    """Check the ``groups`` of modules on ``workers`` forked processes; reports in input order.

    The workers inherit ``modules``, ``opts`` and ``render`` (nothing but group numbers and what
    becomes of the reports is pickled) and check each module with :func:`_check_one`. A report
    that comes back before those ahead of it waits here for its turn.

    Raises:
        PgpsigError: a worker died: the check fails closed, with no more reports.
    """
    from pgpsig import fanout  # noqa: PLC0415 - imported only for a fanout

    done = 0
    files = 0
    waiting: dict[int, bytes] = {}
    nxt = 0

    def one(i: int) -> bytes:
        name, module_dir = modules[i]
        report = _check_one(name, module_dir, opts)
        return _packed(report.files.checked, report if render is None else render(report))

    def group_done(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("signatures", done, len(modules))

    for i, packed in fanout.run_iter(
        one, len(modules), workers, groups, what="checking modules", on_group=group_done
    ):
        waiting[i] = packed
        while nxt in waiting:
            checked, r = _unpacked(waiting.pop(nxt))
            if render is None and not isinstance(r, ModuleReport):
                raise PgpsigError("a worker process checking modules sent back no report")
            files += checked
            nxt += 1
            yield r
    if progress is not None:
        progress("files", files, files)


def _packed(checked: int, result: Any) -> bytes:
    """A worker's result (a report, or what ``render`` made of it) with its files checked.

    Pickled and compressed, as it travels and waits for its turn.

    A FreePBX module's report may list 27,000 unlisted paths (3 MiB as objects, 1.5 MiB
    pickled, 140 kB compressed, in 5 ms); the reports that wait for a slow module before them
    would otherwise hold their paths as objects here.
    """
    import pickle  # noqa: PLC0415 - imported only for a fanout
    import zlib  # noqa: PLC0415

    return zlib.compress(pickle.dumps((checked, result), protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpacked(data: bytes) -> tuple[int, Any]:
    """:func:`_packed`'s (files checked, result), from this run's own forked worker.

    Raises:
        PgpsigError: it is not what a worker sends.
    """
    import pickle  # noqa: PLC0415 - imported only for a fanout
    import zlib  # noqa: PLC0415

    got = pickle.loads(zlib.decompress(data))  # noqa: S301 - our own worker's bytes
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], int)):
        raise PgpsigError("a worker process checking modules sent back no report")
    return got[0], got[1]


def _check_one(name: str, module_dir: Path, opts: CheckOptions) -> ModuleReport:
    """Steps 1-6 for one module, its files hashed here one after the other (no nested pool)."""
    p = prepare(name, Path(module_dir).absolute(), opts)
    return _hash_and_finish([p], opts, None, workers=1)[0]
