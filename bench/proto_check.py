"""Prototypes of changes proposed for ``pgpsig check``, measured by ``bench/experiments.py``.

    python bench/proto_check.py [--walk-resolve] [--pipeline | --fanout] [--batch-modules N]
                                --keyring CERT --trust-root CERT (--modules-dir DIR | MODULE...)

Does what ``pgpsig check`` does with those options (default policy, human report on stdout, exit 0
when every module is good, 1 otherwise), through pgpsig's library, without typer: the start-up
that a typer-free fast path for ``check`` would have. Each flag adds one proposal for
``pgpsig.check``, prototyped here from outside (nothing in ``src/`` is changed):

* ``--walk-resolve``: each module is walked once (step 6 already walks it) and a listed file that
  the walk reached through no symbolic link is taken as it is; only the others go through
  :func:`pgpsig.tree.resolve_inside` (one ``realpath`` and several ``stat`` per file otherwise).
* ``--pipeline``: the hashing pool is started first and each module's files are sent to it as
  soon as the module is prepared, so hashing overlaps the signature and manifest work.
* ``--batch-modules N``: modules are checked N at a time (bounded memory: no 27,000-entry lists).
* ``--fanout``: whole modules go to forked workers (signature, manifest, resolution and hashing
  all in parallel), in groups balanced by the size of each ``module.sig``.

Uses private helpers of :mod:`pgpsig.check` (``_prepare``, ``_finish``): a prototype only.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pgpsig.check as chk
from pgpsig import hashing, tree
from pgpsig.keyring import load_keyring
from pgpsig.policy import policy_named
from pgpsig.trust import TrustRoots


def parse_args(argv: list[str]) -> tuple[dict[str, object], list[Path]]:
    opts: dict[str, object] = {
        "walk": False,
        "pipeline": False,
        "fanout": False,
        "batch": 0,
        "keyring": [],
        "roots": [],
    }
    targets: list[Path] = []
    it = iter(argv)
    for a in it:
        if a == "--walk-resolve":
            opts["walk"] = True
        elif a == "--pipeline":
            opts["pipeline"] = True
        elif a == "--fanout":
            opts["fanout"] = True
        elif a == "--batch-modules":
            opts["batch"] = int(next(it))
        elif a == "--keyring":
            opts["keyring"].append(Path(next(it)))  # type: ignore[attr-defined]
        elif a == "--trust-root":
            opts["roots"].append(Path(next(it)))  # type: ignore[attr-defined]
        elif a == "--modules-dir":
            d = Path(next(it))
            targets += sorted(p for p in d.iterdir() if p.is_dir())
        else:
            targets.append(Path(a))
    return opts, targets


class WalkResolver:
    """``resolve_inside`` and ``walk_module`` sharing one walk per module directory."""

    def __init__(self) -> None:
        self.walks: dict[tuple[str, tuple[str, ...]], tree.Tree] = {}
        self.plain: dict[str, tuple[str, set[str]]] = {}

    def walk_module(self, root: Path, *, exclude: tuple[str, ...] = ()) -> tree.Tree:
        key = (os.fspath(root), tuple(exclude))
        t = self.walks.get(key)
        if t is None:
            t = self.walks[key] = tree.walk_module(root, exclude=exclude)
        return t

    def resolve_inside(self, base: Path, rel: str) -> tree.Resolved:
        b = os.fspath(base)
        known = self.plain.get(b)
        if known is None:
            t = self.walk_module(base)
            links = t.symlinks
            plain = {f for f in t.files if not any(f == s or f.startswith(s + "/") for s in links)}
            known = self.plain[b] = (os.path.realpath(b), plain)
        real, plain = known
        if rel in plain:
            # Seen by the walk as a regular file with no link on its way: re-checked when hashed
            # (the hashing opens it and refuses anything but a regular file).
            return tree.Resolved(Path(f"{real}/{rel}"), None, False)
        return tree.resolve_inside(base, rel)


def check_pipelined(modules: list[tuple[str, Path]], opts: chk.CheckOptions) -> list[object]:
    """check_modules with a pool started first and fed module by module."""
    pool = ProcessPoolExecutor(
        max_workers=os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=gc.freeze,
    )
    pending = []
    futures: list[tuple[list[Path], Future[list[object]]]] = []
    batch: list[Path] = []
    seen: set[Path] = set()

    def flush() -> None:
        if batch:
            names = [os.fspath(p) for p in batch]
            futures.append((list(batch), pool.submit(hashing._digest_batch, names, "sha256")))
            batch.clear()

    try:
        for name, d in modules:
            p = chk._prepare(name, Path(d).absolute(), opts)
            pending.append(p)
            for _rel, real, problem, _via in p.files:
                if real is not None and problem is None and real not in seen:
                    seen.add(real)
                    batch.append(real)
                    if len(batch) >= 512:
                        flush()
        flush()
        digests: dict[Path, object] = {}
        for paths, fut in futures:
            for path, r in zip(paths, fut.result(), strict=True):
                digests[path] = (
                    r if isinstance(r, OSError) else hashing.FileDigest(r[0], r[1])  # type: ignore[index]
                )
    finally:
        pool.shutdown(wait=True)
    return [
        chk._finish(p, digests, opts)
        if p.manifest is not None
        else chk._report_without_files(p, opts)  # type: ignore[arg-type]
        for p in pending
    ]


_FANOUT: tuple[list[tuple[str, Path]], chk.CheckOptions] | None = None


def _check_group(indices: list[int]) -> list[tuple[int, object]]:
    """In a forked worker: check some modules (inherited, not pickled), hashing sequentially."""
    assert _FANOUT is not None
    modules, opts = _FANOUT
    chk.digest_files = lambda paths: hashing.digest_files(paths, workers=1)  # type: ignore[assignment]
    reports = chk.check_modules([modules[i] for i in indices], opts)
    return list(zip(indices, reports, strict=True))


def check_fanout(modules: list[tuple[str, Path]], opts: chk.CheckOptions) -> list[object]:
    """Whole modules to forked workers: signature, manifest, resolution and hashing all run in
    parallel; groups balanced by the size of each module.sig (which grows with its entries)."""
    global _FANOUT  # noqa: PLW0603 - handed to the forked workers without pickling
    _FANOUT = (modules, opts)
    workers = os.cpu_count() or 1
    weights = []
    for i, (_name, d) in enumerate(modules):
        try:
            weights.append((os.stat(Path(d) / "module.sig").st_size, i))
        except OSError:
            weights.append((0, i))
    groups: list[list[int]] = [[] for _ in range(workers * 4)]
    loads = [0] * len(groups)
    for w, i in sorted(weights, reverse=True):  # longest first, to the lightest group
        k = loads.index(min(loads))
        groups[k].append(i)
        loads[k] += w + 2048
    out: list[object] = [None] * len(modules)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
    ) as pool:
        for done in pool.map(_check_group, [g for g in groups if g]):
            for i, report in done:
                out[i] = report
    return out


def main(argv: list[str]) -> int:
    o, targets = parse_args(argv)
    ring = load_keyring(o["keyring"])  # type: ignore[arg-type]
    root_fprs: list[str] = []
    for r in o["roots"]:  # type: ignore[attr-defined]
        extra = load_keyring([r])
        ring.add_all(extra)
        root_fprs.extend(extra.certs)
    opts = chk.CheckOptions(
        keyring=ring,
        roots=TrustRoots.resolve(root_fprs, ring),
        policy=policy_named("default"),
        now=datetime.now(timezone.utc),
    )
    if o["walk"]:
        w = WalkResolver()
        chk.resolve_inside = w.resolve_inside  # type: ignore[assignment]
        chk.walk_module = w.walk_module  # type: ignore[assignment]
    modules = [(p.resolve().name, p) for p in targets]
    size = int(o["batch"]) or len(modules)  # type: ignore[call-overload]
    good = total = 0
    out: list[str] = []
    for i in range(0, len(modules), size):
        group = modules[i : i + size]
        if o["fanout"]:
            reports = check_fanout(group, opts)
        elif o["pipeline"]:
            reports = check_pipelined(group, opts)
        else:
            reports = chk.check_modules(group, opts)
        for r in reports:
            total += 1
            good += r.ok  # type: ignore[attr-defined]
            out.append(f"{'OK  ' if r.ok else 'FAIL'} {r.module}  status {int(r.status)}\n")  # type: ignore[attr-defined]
        del reports
    out.append(f"{good} of {total} module(s) good\n")
    sys.stdout.write("".join(out))
    return 0 if good == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
