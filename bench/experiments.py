"""Measure the changes proposed for pgpsig's figures, next to what pgpsig does today.

    python bench/experiments.py [--reps N] [--out bench/out/experiments.json] [--groups ...]

Where ``run.py`` compares pgpsig with its peers, this script measures *why* pgpsig's figures are
what they are and what the proposed changes would buy, on the inputs of ``run.py`` (built the
same way, in the same work directory). Nothing here edits pgpsig: proposals for modules outside
``bench/`` are prototyped from outside (``proto_check.py``, monkeypatching in this process).

Groups (``--groups``, default all):

* ``imports``: start-up of the check and sign paths, with and without typer.
* ``small``: case (b), ``pgpsig check`` of one module against a typer-free driver.
* ``install``: case (a), ``pgpsig check`` of the whole install against ``proto_check.py`` with
  each proposal (walk-based resolution, pipelined hashing, whole modules to forked workers,
  batches of modules).
* ``sign``: case (a), signing in one process: as ``sign_module`` does it, without ``fsync`` of
  each module.sig, and with every module's files hashed in one call (``proto_sign.py``).
* ``inproc``: per-file costs in this process: ``resolve_inside`` (fast path and portable path),
  ``manifest.parse`` against a one-regex lower bound, ``manifest.render`` (which parses its
  output again), the canonicalisation of (d)'s text against one regex substitution.
* ``stream``: SHA-256 of case (c)'s large file as ``verify_detached`` reads it today, with one
  reused buffer, and with a reader thread overlapping the reads.

Timings are medians of ``--reps`` fresh processes (after one unmeasured warm-up), measured as
``run.py`` does (wall time, CPU time, peak RSS through GNU time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fleet
import run

HERE = Path(__file__).resolve().parent


def _measure_group(
    ctx: run.Context, title: str, tools: list[run.Tool], reps: int
) -> dict[str, Any]:
    for t in tools:  # warm-up: bytecode, page cache
        run.measure(t, ctx.scratch)
    runs: dict[str, list[run.Run]] = {t.name: [] for t in tools}
    for _ in range(reps):
        for t in tools:
            runs[t.name].append(run.measure(t, ctx.scratch))
    rows = []
    print(f"\n{title}  (median of {reps}; load average {os.getloadavg()[0]:.1f})")
    print(f"  {'variant':44} {'wall':>8} {'min':>8} {'cpu':>8} {'peak RSS':>10}  status")
    for t in tools:
        rs = runs[t.name]
        bad = [r for r in rs if r.exit != 0]
        row: dict[str, Any] = {
            "name": t.name,
            "note": t.note,
            "argv": run._portable(t.argv),
            "runs": [run._run_json(r) for r in rs],
        }
        if bad:
            row["status"] = f"failed: {run._first_line(bad[0].stderr) or bad[0].exit}"
            print(f"  {t.name:44} {'-':>8} {'-':>8} {'-':>8} {'-':>10}  {row['status']}")
        else:
            row.update(
                status="ok",
                wall_s=statistics.median(r.wall_s for r in rs),
                wall_min_s=min(r.wall_s for r in rs),
                cpu_s=statistics.median(r.user_s + r.sys_s for r in rs),
                maxrss_mib=statistics.median(r.maxrss_kib for r in rs) / 1024,
            )
            print(
                f"  {t.name:44} {row['wall_s']:7.3f}s {row['wall_min_s']:7.3f}s "
                f"{row['cpu_s']:7.2f}s {row['maxrss_mib']:6.1f} MiB  ok"
            )
        rows.append(row)
    return {"title": title, "reps": reps, "results": rows}


def _py(name: str, code: str, note: str = "") -> run.Tool:
    return run.Tool(name, [sys.executable, "-c", code], note=note or code)


def group_imports(ctx: run.Context, reps: int) -> dict[str, Any]:
    tools = [
        _py("python -c pass", "pass"),
        _py("import typer", "import typer"),
        _py("import pgpsig.cli (typer, what every command pays)", "import pgpsig.cli"),
        _py(
            "import the check path without typer",
            "import pgpsig.check, pgpsig.keyring, pgpsig.trust, pgpsig.policy",
        ),
        _py(
            "import the sign path without typer (PGPy)",
            "import pgpsig.sign, pgpsig.signing, pgpy",
        ),
    ]
    return _measure_group(ctx, "start-up: imports", tools, reps)


def _install(ctx: run.Context) -> tuple[Path, list[fleet.ModulePlan]]:
    """The install of case (a), built (or reused) exactly as run.py builds it, signed."""
    shape = run._shape(ctx)
    if isinstance(shape, str):
        raise SystemExit(f"experiments: {shape}")
    modules, sizes, origin = shape
    scale, every = (4, 10) if ctx.quick else (1, 1)
    seed = 13
    plan = fleet.plan_install(modules, sizes, seed=seed, scale=scale, every=every)
    tag = hashlib.sha256(repr((plan, seed)).encode()).hexdigest()[:12]
    install = run.cached_dir(
        ctx.work / f"a-install-{tag}",
        {"origin": origin, "seed": seed, "scale": scale, "every": every},
        lambda p: fleet.write_install(p, plan, seed),
    )
    run.sign_install(ctx, install)
    return install, plan


def _checks(ctx: run.Context, where: list[str]) -> list[run.Tool]:
    keys = ctx.module_keys()
    args = [*where, "--keyring", str(keys.dev_cert), "--trust-root", str(keys.root_cert)]
    proto = [sys.executable, str(HERE / "proto_check.py")]
    return [
        ctx.pgpsig("check", *args),
        run.Tool("proto: no typer", [*proto, *args]),
        run.Tool("proto: no typer, walk-resolve", [*proto, "--walk-resolve", *args]),
        run.Tool(
            "proto: no typer, walk-resolve, pipeline",
            [*proto, "--walk-resolve", "--pipeline", *args],
        ),
        run.Tool(
            "proto: no typer, walk-resolve, fanout",
            [*proto, "--walk-resolve", "--fanout", *args],
        ),
        run.Tool(
            "proto: no typer, batches of 16 modules", [*proto, "--batch-modules", "16", *args]
        ),
    ]


def group_small(ctx: run.Context, reps: int) -> dict[str, Any]:
    prepared = run.build_small_module(ctx, run.VARIANTS[0])
    module = Path(prepared.good[0].argv[prepared.good[0].argv.index("check") + 1])  # type: ignore[union-attr]
    tools = _checks(ctx, [str(module)])[:2] + [_py("python -c pass", "pass")]
    return _measure_group(
        ctx, "(b) one small module: pgpsig check and a typer-free driver", tools, reps
    )


def group_install(ctx: run.Context, reps: int) -> dict[str, Any]:
    install, _plan = _install(ctx)
    keys = ctx.module_keys()
    pipe = run._pipeline(ctx, "gpg-pipe", "gpgv", keys.keyring, install)
    tools = _checks(ctx, ["--modules-dir", str(install)])
    if isinstance(pipe, run.Tool):
        tools.append(pipe)
    return _measure_group(ctx, "(a) check the whole install: the proposals", tools, reps)


def group_sign(ctx: run.Context, reps: int) -> dict[str, Any]:
    install, _plan = _install(ctx)
    keys = ctx.module_keys()
    d = ctx.work / "x-run"
    if d.exists():
        shutil.rmtree(d)
    key = str(keys.dev_secret)
    lib = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); {}"
        "import pgpsig_lib; from pathlib import Path; "
        "sys.exit(pgpsig_lib.sign_all(Path(sys.argv[2]), Path(sys.argv[3])))"
    )
    variants = [
        (
            "sign-all (as pgpsig-lib in run.py)",
            [sys.executable, "-c", lib.format(""), str(HERE), key],
        ),
        (
            "sign-all, no fsync of module.sig",
            [sys.executable, "-c", lib.format("os.fsync = lambda fd: None; "), str(HERE), key],
        ),
        (
            "proto: all modules hashed in one digest_files",
            [sys.executable, str(HERE / "proto_sign.py"), "--key", key],
        ),
        (
            "proto: ... and no fsync",
            [sys.executable, str(HERE / "proto_sign.py"), "--key", key, "--no-fsync"],
        ),
    ]
    tools = []
    for i, (name, argv) in enumerate(variants):
        tree = d / f"sign-{i}"
        fleet.mirror(install, tree, with_sig=False)
        tools.append(run.Tool(name, [*argv, str(tree)]))
    return _measure_group(ctx, "(a) sign every module in one process: the proposals", tools, reps)


def _per_call(label: str, fn: Callable[[], object], n: float) -> dict[str, Any]:
    best = float("inf")
    for _ in range(5):
        c = time.process_time()
        fn()
        best = min(best, time.process_time() - c)
    us = best / n * 1e6
    print(f"  {label:58} {us:7.1f} us CPU each")
    return {"label": label, "us_cpu_each": round(us, 2), "n": n}


def group_inproc(ctx: run.Context, reps: int) -> dict[str, Any]:
    from pgpsig import manifest, tree  # noqa: PLC0415 - measured in this process

    install, plan = _install(ctx)
    big = max(plan, key=lambda m: len(m.files))
    base = install / big.name
    rels = [rel for rel, _ in big.files]
    text = (base / "module.sig").read_bytes()
    body = text[text.index(b"\n\n") + 2 : text.index(b"-----BEGIN PGP SIGNATURE-----")]
    n_lines = body.count(b"\n")
    entry = re.compile(rb"^(.+) = ([0-9a-f]{64})$", re.MULTILINE)
    print(f"\nper-file costs in one process ({big.name}: {len(rels)} files; best of 5)")
    rows = [
        _per_call(
            "tree.resolve_inside (kernel fast path)",
            lambda: [tree.resolve_inside(base, r) for r in rels],
            len(rels),
        )
    ]
    fast = tree._resolve_fast
    tree._resolve_fast = lambda *a: None  # type: ignore[assignment]
    try:
        rows.append(
            _per_call(
                "tree.resolve_inside (portable path: realpath, as before)",
                lambda: [tree.resolve_inside(base, r) for r in rels],
                len(rels),
            )
        )
    finally:
        tree._resolve_fast = fast  # type: ignore[assignment]
    rows.append(
        _per_call(
            "pathlib.Path(str) (what each resolved file costs on top)",
            lambda: [Path(f"/x/{r}") for r in rels],
            len(rels),
        )
    )
    rows.append(
        _per_call("tree.walk_module (scandir), per file", lambda: tree.walk_module(base), len(rels))
    )
    from pgpsig import hashing  # noqa: PLC0415 - measured in this process

    names = [os.path.join(base, r) for r in rels]
    rows.append(
        _per_call(
            "hashing one small file, sequential (open, fstat, read, SHA-256, close)",
            lambda: hashing._digest_batch(names, "sha256"),
            len(names),
        )
    )
    rows.append(_per_call("manifest.parse, per line", lambda: manifest.parse(body), n_lines))
    parsed = manifest.parse(body)
    entries = [(e.path, e.sha256) for e in parsed.entries]
    rows.append(
        _per_call(
            "manifest.render (includes its read-back parse), per entry",
            lambda: manifest.render(entries, signedwith="0123456789ABCDEF"),
            len(entries),
        )
    )
    rows.append(
        _per_call(
            "one regex over the body + dict, per line (lower bound)",
            lambda: dict(entry.findall(body)),
            n_lines,
        )
    )
    from pgpsig import clearsign  # noqa: PLC0415 - measured in this process

    size = 200 * 1000 if ctx.quick else 200 * 1000 * 1000
    text = run.cached(
        ctx.work / f"d-text-{size}.txt",
        {"size": size, "seed": 5},
        lambda p: run.write_text(p, size, seed=5),
    )
    with text.open("rb") as f:
        sample = f.read(8 << 20)
    sample = sample[: sample.rfind(b"\n")]  # whole lines, the last LF left out, as _emit_text
    ws_lf = re.compile(rb"[ \t\r]+\n")

    def regex_canonical(t: bytes) -> bytes:
        t = ws_lf.sub(b"\n", t).rstrip(b" \t\r")
        return t.replace(b"\n", b"\r\n")

    assert regex_canonical(sample) == clearsign._canonical_lines(sample)
    mib = len(sample) / (1 << 20)
    print(f"canonical text of case (d), {mib:.1f} MiB of its text (CPU per MiB)")
    rows.append(
        _per_call(
            "clearsign._canonical_lines (split, rstrip, join)",
            lambda: clearsign._canonical_lines(sample),
            mib,
        )
    )
    rows.append(
        _per_call(
            "one regex substitution, then replace",
            lambda: regex_canonical(sample),
            mib,
        )
    )
    return {"title": "per-file costs in one process", "results": rows}


def _stream_read(path: Path) -> str:
    """What verify_detached does today: a buffered file read 1 MiB at a time (a new bytes each)."""
    h = hashlib.sha256()
    with path.open("rb") as fp:
        while chunk := fp.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _stream_readinto(path: Path) -> str:
    """pgpsig.hashing.feed: one reused 1 MiB buffer."""
    from pgpsig.hashing import feed  # noqa: PLC0415 - measured in this process

    h = hashlib.sha256()
    with path.open("rb", buffering=0) as fp:
        feed(fp, [h.update])
    return h.hexdigest()


def _stream_threaded(path: Path) -> str:
    """Two reused buffers: a reader thread fills one while the caller hashes the other (both
    release the GIL), so the copy out of the page cache overlaps the hashing."""
    import queue  # noqa: PLC0415
    import threading  # noqa: PLC0415

    size = 1 << 20
    bufs = [bytearray(size), bytearray(size)]
    free: queue.Queue[int] = queue.Queue()
    full: queue.Queue[tuple[int, int]] = queue.Queue()
    for i in range(2):
        free.put(i)
    fd = os.open(path, os.O_RDONLY)

    def reader() -> None:
        while True:
            i = free.get()
            n = os.readv(fd, [bufs[i]])
            full.put((i, n))
            if n == 0:
                return

    t = threading.Thread(target=reader)
    t.start()
    h = hashlib.sha256()
    views = [memoryview(b) for b in bufs]
    while True:
        i, n = full.get()
        if n == 0:
            break
        h.update(views[i][:n])
        free.put(i)
    t.join()
    os.close(fd)
    return h.hexdigest()


def group_stream(ctx: run.Context, reps: int) -> dict[str, Any]:
    size = run.MiB if ctx.quick else run.GiB
    data = run.cached(
        ctx.work / f"c-data-{size}.bin",
        {"size": size, "seed": 3},
        lambda p: run.write_binary(p, size, seed=3),
    )
    print(
        f"\nstreaming SHA-256 of the {run._size(size)} file of case (c), in one process (best of 3)"
    )
    rows = []
    want = None
    for label, fn in (
        ("fp.read(1 MiB) + update (verify_detached today)", _stream_read),
        ("readinto one reused buffer (hashing.feed)", _stream_readinto),
        ("reader thread, two reused buffers", _stream_threaded),
    ):
        best_wall = best_cpu = float("inf")
        for _ in range(3):
            w, c = time.perf_counter(), time.process_time()
            got = fn(data)
            best_wall = min(best_wall, time.perf_counter() - w)
            best_cpu = min(best_cpu, time.process_time() - c)
        want = want or got
        ok = "ok" if got == want else "DIGEST DIFFERS"
        print(f"  {label:52} wall {best_wall:6.3f}s  cpu {best_cpu:6.3f}s  {ok}")
        rows.append({"label": label, "wall_s": best_wall, "cpu_s": best_cpu, "status": ok})
    return {"title": "streaming hash of one large file", "results": rows}


GROUPS: dict[str, Callable[[run.Context, int], dict[str, Any]]] = {
    "imports": group_imports,
    "small": group_small,
    "install": group_install,
    "sign": group_sign,
    "inproc": group_inproc,
    "stream": group_stream,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="the small inputs of run.py --quick")
    ap.add_argument("--groups", default=",".join(GROUPS))
    ap.add_argument("--out", type=Path, default=HERE / "out" / "experiments.json")
    ap.add_argument("--work", type=Path, default=HERE / "out")
    ap.add_argument(
        "--fleet-shape",
        type=Path,
        default=run.ROOT.parent / "shared" / "bench" / "freepbx16-fleet-shape.json",
    )
    args = ap.parse_args(argv)
    gpg = shutil.which("gpg")
    if gpg is None:
        print("experiments: gpg is needed", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    args.work = args.work.resolve()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(args.work / "pycache")
    out: list[dict[str, Any]] = []
    with (
        run.temp_dir("pgpsig-x-") as scratch,
        run.temp_dir("pxg-") as home,
        run.temp_dir("pxe-") as empty,
    ):
        home.chmod(0o700)
        gnupg = run.GnuPG(gpg, home, scratch)
        ctx = run.Context(
            work=args.work,
            scratch=scratch,
            quick=args.quick,
            gnupg=gnupg,
            digest="SHA256",
            timeout=600.0,
            pgpy_timeout=300.0,
            empty_home=empty,
            fleet_shape=args.fleet_shape,
        )
        try:
            for name in [g.strip() for g in args.groups.split(",") if g.strip()]:
                result = GROUPS[name](ctx, args.reps)
                result["group"] = name
                out.append(result)
        finally:
            gnupg.close()
    doc = {
        "meta": {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "loadavg_end": os.getloadavg(),
            "versions": run.versions(),
            "rss_method": run.RSS_METHOD,
        },
        "groups": out,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
