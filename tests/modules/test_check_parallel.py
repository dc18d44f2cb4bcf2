"""How ``check_modules`` spreads its work, and that the spreading never changes a report.

Three ways of checking give the same reports, compared whole (status bits, details in order, file
findings, signature verdicts): whole modules sent to forked workers (the fanout), modules checked in
this process in batches of files, and a reference in which every listed path is resolved with
``resolve_inside`` (no walk reuse), as before the walk was reused. The tree of modules holds good,
altered, missing, unlisted, linked (file and directory links), escaping, FIFO, excluded, unsigned,
malformed and untrusted cases, and a FreePBX framework whose files map outside its directory.

Also: the reports come back in the order given; the fanout is not used when fork is unsafe (another
thread runs) or there is one CPU, and a worker that dies fails the whole check with an error, never
a report (exit 2 through the CLI).

Keys and signatures are made by pgpsig itself (no oracle needed): an Ed25519 root signs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import pgpsig.modules.check as chk
import pgpsig.modules.evidence as ev
from jsonschemas import assert_valid
from keyfactory import write_tree as write
from pgpsig import fanout
from pgpsig.certs.keyring import load_keyring
from pgpsig.engine.trust import TrustRoots
from pgpsig.errors import PgpsigError
from pgpsig.keys import generate_key
from pgpsig.modules.freepbx import FreePBXLayout
from pgpsig.modules.sign import sign_module
from pgpsig.modules.tree import resolve_inside
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.policy import policy_named
from pgpsig.report import ModuleReport, Status
from pgpsig.workers import LIVE_FDS

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=1)

FILES = {
    "module.xml": b"<module><rawname>m</rawname></module>\n",
    "Main.class.php": b"<?php class Main {}\n",
    "functions.inc.php": b"<?php function f() {}\n",
    "assets/js/a.js": b"console.log('a');\n",
    "assets/css/a.css": b"body { color: red; }\n",
    "views/main.php": b"<h1>main</h1>\n",
    "views/more/deep.php": b"<?php // deep\n",
    "lib/real.php": b"<?php // real\n",
}


class Setup:
    """Keys, options and a directory of modules in every state ``check`` distinguishes."""

    def __init__(self, base: Path) -> None:
        root = generate_key("root <root@example.org>", now=T0)
        stranger = generate_key("stranger <stranger@example.org>", now=T0)
        (base / "root.asc").write_bytes(root.certificate)
        (base / "stranger.asc").write_bytes(stranger.certificate)
        self.ring = load_keyring([base / "root.asc", base / "stranger.asc"])
        self.opts = chk.CheckOptions(
            keyring=self.ring,
            roots=TrustRoots.resolve([root.fingerprint], self.ring),
            policy=policy_named("default"),
            now=NOW,
        )
        secrets = {"root": root.secret_key, "stranger": stranger.secret_key}
        self.outside = base / "outside.php"
        self.outside.write_bytes(FILES["lib/real.php"])
        self.dir = base / "modules"
        names = [
            "good", "altered", "missing", "unlisted", "links", "escaping", "fifo", "excluded",
            "unsigned", "malformed", "untrusted", "many",
        ]  # fmt: skip
        for name in names:
            files = dict(FILES)
            if name == "many":
                files |= {f"data/{i // 50}/f{i}.txt": b"x%d\n" % i for i in range(400)}
            m = write(self.dir / name, files)
            if name == "links":
                (m / "link.php").symlink_to("lib/real.php")
                (m / "libdir").symlink_to("lib")
            if name == "unsigned":
                continue
            data = secrets["stranger" if name == "untrusted" else "root"]
            sign_module(m, load_signing_keys(data), now=T0, secret_key_data=data)
        d = self.dir
        (d / "altered/views/main.php").write_bytes(b"<h1>owned</h1>\n")
        (d / "untrusted/Main.class.php").write_bytes(b"<?php system($_GET['c']);\n")
        (d / "missing/assets/js/a.js").unlink()
        (d / "unlisted/extra.php").write_bytes(b"<?php // new\n")
        (d / "unlisted/.hidden").write_bytes(b"dot-files are never signed, so unlisted\n")
        (d / "escaping/lib/real.php").unlink()
        (d / "escaping/lib/real.php").symlink_to(self.outside)
        (d / "escaping/etc").symlink_to("/etc")
        (d / "escaping/loop").symlink_to("loop")
        (d / "fifo/views/main.php").unlink()
        os.mkfifo(d / "fifo/views/main.php")
        (d / "malformed/module.sig").write_bytes(b"-----BEGIN PGP SIGNED MESSAGE-----\ngarbage\n")
        # "links": the directory lib replaced by a link to a renamed copy (files behind a link).
        (d / "links/lib").rename(d / "links/lib-real")
        (d / "links/lib").symlink_to("lib-real")
        self.modules: list[tuple[str, Path]] = [(n, d / n) for n in names]
        # A FreePBX framework: amp_conf/htdocs/ maps to the webroot, outside the module directory.
        web = base / "web"
        fw = write(
            web / "admin/modules/framework",
            {"module.xml": b"<module>framework</module>\n", "amp_conf/htdocs/a.php": b"<?php\n"},
        )
        sign_module(fw, load_signing_keys(root.secret_key), now=T0, secret_key_data=root.secret_key)
        write(web, {"a.php": b"<?php // installed, altered\n"})
        # The mapped name also in the module directory, as signed: a.php must still be read from
        # the webroot (a file the walk found is taken as it is only below the module's own base).
        write(fw, {"a.php": b"<?php\n"})
        self.framework = [("framework", fw), ("good", d / "good")]
        self.freepbx = FreePBXLayout(webroot=web)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return Setup(tmp_path_factory.mktemp("parallel"))


class Spy:
    """Counts the fanout's pools and records the progress calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pools = 0
        self.calls: list[tuple[str, int, int]] = []
        real = fanout.start_workers

        def counting(*args: Any) -> Any:
            self.pools += 1
            return real(*args)

        monkeypatch.setattr(fanout, "start_workers", counting)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.calls.append((stage, done, total))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def fanout_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chk, "_FANOUT_MIN_WEIGHT", 0)
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 2)


def fanout_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chk, "_FANOUT_MIN_MODULES", 1 << 30)


def reference(
    monkeypatch: pytest.MonkeyPatch, modules: list[tuple[str, Path]], opts: chk.CheckOptions
) -> list[ModuleReport]:
    """Reports with every listed path resolved by resolve_inside, in this process."""
    with monkeypatch.context() as m:
        fanout_off(m)
        m.setattr(ev, "_reached_directly", lambda _tree: frozenset())
        m.setattr(ev, "walk_would_list", lambda _rel, **_kw: False)  # no "missing" without looking
        return chk.check_modules(modules, opts)


def option_sets(s: Setup) -> Iterator[tuple[list[tuple[str, Path]], chk.CheckOptions]]:
    yield s.modules, s.opts
    yield s.modules, replace(s.opts, strict=True)
    yield s.modules, replace(s.opts, exclude=("views/*", "*.txt"))
    yield s.framework, replace(s.opts, freepbx=s.freepbx)


# --------------------------------------------------------------------------------------------------
# The same reports every way


def test_the_tree_covers_every_finding(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: the modules really are in the states the comparisons below rely on."""
    by = {r.module: r for r in reference(monkeypatch, setup.modules, setup.opts)}
    ok = Status.GOOD | Status.TRUSTED
    assert by["good"].status == ok and by["many"].status == ok
    assert by["altered"].files.altered == ("views/main.php",)
    assert by["missing"].files.missing == ("assets/js/a.js",)
    assert by["unlisted"].files.unlisted == (".hidden", "extra.php")  # dot-files too (#14)
    assert by["unlisted"].status == ok
    assert set(by["links"].files.symlinks) == {"lib/real.php", "libdir/real.php", "link.php"}
    assert by["links"].status == ok
    assert by["escaping"].files.escaping == ("lib/real.php",)
    assert "etc" in by["escaping"].files.unlisted  # an unlisted link out: reported only (#14)
    assert by["escaping"].status & Status.TAMPERED
    assert by["fifo"].files.missing == ("views/main.php",)
    assert by["unsigned"].status == Status.UNSIGNED
    assert by["malformed"].status == Status.INVALID
    assert by["untrusted"].status == Status.INVALID | Status.TAMPERED
    fw = reference(monkeypatch, setup.framework, replace(setup.opts, freepbx=setup.freepbx))[0]
    assert fw.files.altered == ("amp_conf/htdocs/a.php",)


def test_walk_reuse_resolves_as_resolve_inside(setup: Setup) -> None:
    """Every listed file of every module: _prepare's answer is resolve_inside's, to the byte;
    but a path the walk shows cannot be a file of the module is "missing" without looking, where
    resolve_inside may say why (not-a-file, unreadable): a missing file in the report either way.
    """
    shortcut = 0
    for modules, opts in option_sets(setup):
        for name, d in modules:
            p = ev.prepare(name, d.absolute(), opts)
            for rel, real, problem, via, _where in p.files:
                dest = opts.freepbx.destination(name, d, rel) if opts.freepbx else (d, rel)
                assert dest is not None
                r = resolve_inside(*dest)
                want = None if r.path is None else str(r.path)
                if (real, problem, via) != (want, r.problem, r.via_symlink):
                    assert (real, problem, via) == (None, "missing", False), (name, rel)
                    assert r.path is None and r.problem in ("not-a-file", "unreadable"), (name, rel)
                    shortcut += 1
    assert shortcut == 2  # fifo's views/main.php, with and without strict


def test_a_manifest_of_absent_files_is_judged_without_resolving_each(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no link in the walked tree, listed paths it did not reach are missing at once."""
    calls: list[str] = []
    real_resolve = ev.resolve_inside

    def counting(base: Path, rel: str, **kw: Any) -> object:
        calls.append(rel)
        return real_resolve(base, rel, **kw)

    monkeypatch.setattr(ev, "resolve_inside", counting)
    d = setup.dir / "missing"
    p = ev.prepare("missing", d.absolute(), setup.opts)
    assert calls == []
    assert ("assets/js/a.js", None, "missing", False, None) in p.files
    p = ev.prepare("links", (setup.dir / "links").absolute(), setup.opts)
    assert calls, "a tree with links: paths behind them are resolved"


@pytest.mark.parametrize("way", ["fanout", "here", "tiny-batches"])
def test_every_way_gives_the_reference_reports(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, spy: Spy, way: str
) -> None:
    for modules, opts in option_sets(setup):
        want = reference(monkeypatch, modules, opts)
        with monkeypatch.context() as m:
            if way == "fanout":
                fanout_on(m)
            else:
                fanout_off(m)
            if way == "tiny-batches":
                m.setattr(chk, "_BATCH_FILES", 1)
            pools = spy.pools
            got = chk.check_modules(modules, opts)
            assert spy.pools == pools + (way == "fanout")
        assert got == want
        assert [r.to_dict() for r in got] == [r.to_dict() for r in want]


def test_fanout_keeps_the_order_and_reports_progress(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, spy: Spy
) -> None:
    modules = list(reversed(setup.modules)) + setup.modules[:3]  # "many" is heaviest: not first
    fanout_on(monkeypatch)
    got = chk.check_modules(modules, setup.opts, spy.progress)
    assert spy.pools == 1
    assert [r.module for r in got] == [n for n, _ in modules]
    assert [r.path for r in got] == [str(d.absolute()) for _, d in modules]
    sigs = [c for c in spy.calls if c[0] == "signatures"]
    assert [c[1] for c in sigs] == sorted(c[1] for c in sigs) and sigs[-1][1:] == (15, 15)
    files = sum(r.files.checked for r in got)
    assert spy.calls[-1] == ("files", files, files) and files > 400


def test_batches_report_progress_per_batch(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, spy: Spy
) -> None:
    fanout_off(monkeypatch)
    monkeypatch.setattr(chk, "_BATCH_FILES", 1)
    chk.check_modules(setup.modules, setup.opts, spy.progress)
    sigs = [c for c in spy.calls if c[0] == "signatures"]
    assert sigs == [("signatures", i + 1, 12) for i in range(12)]
    passes = [c for c in spy.calls if c[0] == "files" and c[1] == 0]
    # A pass after each module with listed files; "unsigned" and "malformed" (none) join the next.
    assert len(passes) == 10
    # With the default batch size, one pass: as before batches existed.
    spy.calls.clear()
    monkeypatch.setattr(chk, "_BATCH_FILES", 1 << 30)
    chk.check_modules(setup.modules, setup.opts, spy.progress)
    assert [c[0] for c in spy.calls] == ["signatures"] * 12 + ["files", "files"]


# --------------------------------------------------------------------------------------------------
# When the fanout is used


def test_no_fanout_while_another_thread_runs(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, spy: Spy
) -> None:
    fanout_on(monkeypatch)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        got = chk.check_modules(setup.modules, setup.opts)
    finally:
        stop.set()
        t.join()
    assert spy.pools == 0
    assert got == reference(monkeypatch, setup.modules, setup.opts)


def test_no_fanout_with_one_cpu_or_one_module_or_little_work(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    fanout_on(monkeypatch)
    assert chk._plan_fanout(setup.modules) is not None
    assert chk._plan_fanout(setup.modules[:1]) is None
    monkeypatch.setattr(fanout, "fork_is_safe", lambda: False)
    assert chk._plan_fanout(setup.modules) is None
    monkeypatch.undo()
    fanout_on(monkeypatch)
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 1)
    assert chk._plan_fanout(setup.modules) is None
    monkeypatch.undo()
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 2)
    assert chk._plan_fanout(setup.modules) is None  # a few kB of module.sig: not worth a pool


def test_plan_balances_groups_and_leaves_a_dominant_module_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 2)
    monkeypatch.setattr(chk, "_FANOUT_MIN_WEIGHT", 0)
    sizes = [30_000, 1_000, 20_000, 5_000, 5_000, 8_000, 12_000, 3_000, 9_000, 7_000]
    modules = []
    for i, size in enumerate(sizes):
        write(tmp_path / f"m{i}", {"module.sig": b"x" * size})
        modules.append((f"m{i}", tmp_path / f"m{i}"))
    weights = [size + chk._MODULE_WEIGHT for size in sizes]
    # check: a group a module, in order (streamed reports wait little for their turn, and come
    # back one at a time).
    plan = chk._plan_fanout(modules)
    assert plan is not None
    workers, groups = plan
    assert workers == 2
    assert all(len(g) == 1 for g in groups)
    order = [g[0] for g in groups]
    assert sorted(order) == list(range(len(sizes)))
    # Each started by the latest time it can start and still be done when those before it are.
    latest = [sum(weights[:i]) / 2 - weights[i] for i in range(len(sizes))]
    assert [latest[i] for i in order] == sorted(latest)
    assert order[0] == 0  # the heaviest, first anyway
    assert order[:3] == [0, 2, 1]  # 20,000 bytes after 1,000: started before it
    # Unordered (sign): the heaviest first to the lightest of 8 groups, heaviest group first.
    lpt = fanout.plan(weights, min_total=0)
    assert lpt is not None and lpt[0] == 2 and len(lpt[1]) == 8
    assert sorted(i for g in lpt[1] for i in g) == list(range(len(sizes)))
    loads = [sum(weights[i] for i in g) for g in lpt[1]]
    assert loads == sorted(loads, reverse=True)
    assert lpt[1][0] == [0]  # the largest module alone
    # Many cores: no more workers than the total work over the largest module's.
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 64)
    plan = chk._plan_fanout(modules)
    assert plan is not None and plan[0] == 4
    lpt = fanout.plan(weights, min_total=0)
    assert lpt is not None and lpt[0] == 4 and len(lpt[1]) == len(sizes)
    # One module holding most of the work: checked here, its files hashed in parallel there.
    write(tmp_path / "m0", {"module.sig": b"x" * 400_000})
    assert chk._plan_fanout(modules) is None


# --------------------------------------------------------------------------------------------------
# Failing closed


def _summary(r: ModuleReport) -> tuple[str, int, int]:
    return r.module, int(r.status), os.getpid()


def test_render_runs_where_each_report_is_made(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``render`` is applied in the worker that made the report (only its result comes back), or
    here without a fanout; either way, one result a module, in order."""
    fanout_on(monkeypatch)
    want = [(r.module, int(r.status)) for r in chk.check_modules(setup.modules, setup.opts)]
    there = list(chk.iter_check_modules(setup.modules, setup.opts, render=_summary))
    assert [(m, s) for m, s, _ in there] == want
    assert all(pid != os.getpid() for *_, pid in there)
    monkeypatch.setattr(chk, "_FANOUT_MIN_WEIGHT", 1 << 60)
    here = list(chk.iter_check_modules(setup.modules, setup.opts, render=_summary))
    assert here == [(m, s, os.getpid()) for m, s in want]


def _die(*_args: object) -> ModuleReport:
    os._exit(3)


def test_a_dead_worker_fails_the_check(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    fanout_on(monkeypatch)
    monkeypatch.setattr(chk, "_check_one", _die)
    with pytest.raises(PgpsigError, match="worker process checking modules died"):
        chk.check_modules(setup.modules, setup.opts)
    assert not LIVE_FDS


def test_an_error_in_a_worker_reaches_the_caller(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> ModuleReport:
        raise OSError(5, "simulated")

    fanout_on(monkeypatch)
    monkeypatch.setattr(chk, "_check_one", fail)
    with pytest.raises(OSError, match="simulated"):
        chk.check_modules(setup.modules, setup.opts)


def _slow_after_first(i: int) -> int:
    if i:
        import time

        time.sleep(3600)  # a module that takes long: never waited for once the caller stops
    return i


def test_stopping_early_kills_the_workers_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing the results (a reader gone, an error) kills the workers busy with a long unit and
    reaps them; nothing runs on."""
    import signal

    started: list[int] = []
    real = fanout.start_workers

    def recording(*args: Any) -> Any:
        procs = real(*args)
        started.extend(w.pid for w in procs)
        return procs

    monkeypatch.setattr(fanout, "start_workers", recording)

    def timeout(*_args: object) -> None:
        raise AssertionError("closing the fanout waited for a busy worker")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    try:
        results = fanout.run_iter(_slow_after_first, 3, 2, [[0], [1], [2]], what="testing")
        assert next(results) == (0, 0)
        results.close()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert len(started) == 2
    for pid in started:
        with pytest.raises(ChildProcessError):  # already reaped: no zombie, nothing running
            os.waitpid(pid, os.WNOHANG)
    assert not LIVE_FDS


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


def _square(i: int) -> int:
    return i * i


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_runs_at_once_leave_no_descriptor_and_no_process() -> None:
    """Two fanouts consumed together (zip over two installs) both finish: a run's workers hold no
    pipe of another run's. Every run ends with its pipes closed and its workers reaped, whether it
    ended, was closed early or failed."""
    import signal

    before = _open_fds()

    def timeout(*_args: object) -> None:
        raise AssertionError("a fanout hung")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    try:
        a = fanout.run_iter(_square, 6, 2, [[0, 1], [2, 3], [4, 5]], what="a")
        b = fanout.run_iter(_square, 4, 2, [[0], [1], [2], [3]], what="b")
        pairs = list(zip(b, a, strict=False))  # b ends first (4 units), a is left half done
        assert sorted(p[0] for p in pairs) == [(i, i * i) for i in range(4)]
        rest = list(a)
        assert sorted([p[1] for p in pairs] + rest) == [(i, i * i) for i in range(6)]
        c = fanout.run_iter(_square, 4, 2, [[0], [1], [2], [3]], what="c")
        next(c)
        c.close()
        with pytest.raises(OSError, match="simulated"):
            list(fanout.run_iter(_fail_on_2, 4, 2, [[0], [1], [2], [3]], what="d"))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert _open_fds() == before
    assert not LIVE_FDS
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left, not even a zombie


def _fail_on_2(i: int) -> int:
    if i == 2:
        raise OSError(5, "simulated")
    return i


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_fork_that_fails_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _open_fds()
    real_fork = os.fork
    forks = []

    def second_fails() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "simulated: no more processes")
        return real_fork()

    monkeypatch.setattr(os, "fork", second_fails)
    with pytest.raises(BlockingIOError):
        list(fanout.run_iter(_square, 3, 2, [[0], [1], [2]], what="testing"))
    monkeypatch.undo()
    assert _open_fds() == before
    assert not LIVE_FDS
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_dead_worker_exits_2_through_the_cli(setup: Setup, tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "import pgpsig.modules.check as chk\n"
        "chk._FANOUT_MIN_WEIGHT = 0\n"
        "import pgpsig.fanout\n"
        "pgpsig.fanout.usable_cpus = lambda: 2\n"
        "chk._check_one = lambda *a: os._exit(3)\n"
        "from pgpsig.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    root_fpr = next(iter(setup.opts.roots.fingerprints))
    r = subprocess.run(
        [sys.executable, "-c", script, "check", "--modules-dir", str(setup.dir), "--keyring",
         str(setup.dir.parent / "root.asc"), "--trust-root", root_fpr, "--json"],
        capture_output=True, timeout=120, check=False, cwd=tmp_path,
        env={**os.environ, "PGPSIG_HOME": str(tmp_path)},
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert b"worker process checking modules died" in r.stderr
    doc = json.loads(r.stdout)
    assert_valid(doc, "check")
    error = doc["error"]  # nothing else was written: the error's document
    assert error["kind"] == "error" and "worker process checking modules died" in error["message"]


def test_without_unlisted_the_listed_files_are_judged_the_same(setup: Setup) -> None:
    """unlisted=False walks only the directories of listed files: every verdict on a listed file
    is the full walk's; nothing present but unlisted is reported."""
    for modules, opts in option_sets(setup):
        if opts.strict:
            continue
        full = chk.check_modules(modules, opts)
        partial = chk.check_modules(modules, replace(opts, unlisted=False))
        for f, p in zip(full, partial, strict=True):
            assert p.files.unlisted == () and p.files.unlisted_links == (), p.module
            want = (f.status, f.files.altered, f.files.missing, f.files.problems, f.details)
            assert (p.status, p.files.altered, p.files.missing, p.files.problems, p.details) == want
