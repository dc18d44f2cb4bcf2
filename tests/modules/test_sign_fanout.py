"""``sign_modules`` with whole modules sent to forked workers (pgpsig.fanout) and without.

The fanout must change nothing but the speed: the same ``module.sig`` bytes (Ed25519 signatures
are deterministic, the time is fixed), the same all-or-nothing behaviour when a module cannot be
signed, and a worker that dies fails the run with nothing written.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from pgpsig import fanout
from pgpsig.errors import InputError, PgpsigError
from pgpsig.modules import sign
from pgpsig.openpgp.secretkey import load_signing_keys

EX = ROOT / "examples"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fanout needs fork")


def _fleet(base: Path) -> list[Path]:
    mods = []
    for m, n in (("alpha", 30), ("beta", 3), ("gamma", 12), ("delta", 1)):
        d = base / m
        for i in range(n):
            f = d / f"dir{i % 3}" / f"file{i}.php"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(f"<?php // {m} {i}\n".encode() * (i + 1))
        (d / "module.xml").write_bytes(f"<module>{m}</module>\n".encode())
        mods.append(d)
    return mods


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Force the fanout on (any amount of work) and count its runs."""
    runs: list[int] = []
    real_run = fanout.run

    def run(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(sign, "_FANOUT_MIN_FILES", 0)
    monkeypatch.setattr(fanout, "run", run)
    monkeypatch.setattr(fanout, "usable_cpus", lambda: 2)  # two workers even on one core
    yield runs


def _sign(mods: list[Path]) -> list[sign.SignResult]:
    data = (EX / "example-dev.sec.asc").read_bytes()
    keys = load_signing_keys(data, None)
    return sign.sign_modules(mods, keys, now=NOW, secret_key_data=data)


def test_same_bytes_with_and_without_fanout(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    fanned = _fleet(tmp_path / "fanned")
    results = _sign(fanned)
    assert spy == [1], "the fanout must have run"
    monkeypatch.setattr(sign, "_FANOUT_MIN_FILES", 10**9)
    here = _fleet(tmp_path / "here")
    results_here = _sign(here)
    assert spy == [1], "no fanout the second time"
    for a, b, ra, rb in zip(fanned, here, results, results_here, strict=True):
        assert (a / "module.sig").read_bytes() == (b / "module.sig").read_bytes(), a.name
        assert dataclasses.replace(ra, path=rb.path) == rb
    assert [r.files for r in results] == [31, 4, 13, 2]


def test_unreadable_file_in_a_worker_writes_nothing(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file gone between the walk and the hashing: InputError from the worker, nothing written."""
    mods = _fleet(tmp_path)
    real_walk = sign.walk_module

    def walk(root: Path, **kw: Any) -> Any:
        t = real_walk(root, **kw)
        return dataclasses.replace(t, files=(*t.files, "ghost.php")) if root.name == "gamma" else t

    monkeypatch.setattr(sign, "walk_module", walk)
    with pytest.raises(InputError, match="ghost.php"):
        _sign(mods)
    assert spy == [1]
    assert not list(tmp_path.rglob("module.sig"))
    assert not list(tmp_path.rglob("*.tmp"))


def test_dead_worker_fails_closed(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mods = _fleet(tmp_path)
    parent = os.getpid()
    real_render = sign.render

    def render(*args: Any, **kwargs: Any) -> bytes:
        if os.getpid() != parent:
            os._exit(3)  # a worker killed mid-run
        return real_render(*args, **kwargs)

    monkeypatch.setattr(sign, "render", render)
    with pytest.raises(PgpsigError, match="worker process signing modules died"):
        _sign(mods)
    assert spy == [1]
    assert not list(tmp_path.rglob("module.sig"))
    assert not list(tmp_path.rglob(".module.sig*"))


def test_interrupted_after_the_workers_filled_leaves_nothing(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C once every worker has filled its staged module.sig: no module.sig replaced, none of
    the temporary files left (the parent made them all, so it knows them all)."""
    mods = _fleet(tmp_path)
    for m in mods:
        (m / "module.sig").write_bytes(b"old\n")
    real_run = fanout.run

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real_run(*args, **kwargs)
        assert len(list(tmp_path.rglob(".module.sig.*"))) == len(mods)  # filled, not committed
        raise KeyboardInterrupt

    monkeypatch.setattr(fanout, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _sign(mods)
    for m in mods:
        assert (m / "module.sig").read_bytes() == b"old\n", m.name
    assert not list(tmp_path.rglob(".module.sig.*"))


def test_nothing_replaced_when_one_module_sig_cannot_be_written(tmp_path: Path) -> None:
    """beta's module.sig is a directory: no module.sig is replaced, no temporary file is left."""
    mods = _fleet(tmp_path)
    for m in mods:
        (m / "module.sig").write_bytes(b"old\n")
    (mods[1] / "module.sig").unlink()
    (mods[1] / "module.sig").mkdir()
    with pytest.raises(InputError, match="beta/module.sig"):
        _sign(mods)
    for m in (mods[0], mods[2], mods[3]):
        assert (m / "module.sig").read_bytes() == b"old\n", m.name
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failed_rename_names_what_was_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mods = _fleet(tmp_path)
    real_replace = Path.replace

    def replace(self: Path, target: Any) -> Path:
        if Path(target).parent.name == "gamma":
            raise OSError(5, "Input/output error")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(InputError, match=r"gamma/module.sig: .*2 already replaced: .*alpha.*beta"):
        _sign(mods)
    assert (mods[0] / "module.sig").exists() and (mods[1] / "module.sig").exists()
    assert not (mods[2] / "module.sig").exists() and not (mods[3] / "module.sig").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_workers_stage_and_the_parent_replaces_all_or_none(tmp_path: Path, spy: list[int]) -> None:
    """With the fanout, the parent stages every module.sig before the workers start (they fill
    them); one that cannot be staged (a directory in the way) stops the run before any work, with
    every old module.sig in place and no temporary file of the others."""
    mods = _fleet(tmp_path)
    for m in mods:
        (m / "module.sig").write_bytes(b"old\n")
    (mods[2] / "module.sig").unlink()
    (mods[2] / "module.sig").mkdir()
    with pytest.raises(InputError, match="gamma/module.sig"):
        _sign(mods)
    assert spy == []
    for m in (mods[0], mods[1], mods[3]):
        assert (m / "module.sig").read_bytes() == b"old\n", m.name
    assert not list(tmp_path.rglob("*.tmp"))
    (mods[2] / "module.sig").rmdir()
    _sign(mods)
    assert spy == [1]
    for m in mods:
        assert (m / "module.sig").read_bytes().startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")
    assert not list(tmp_path.rglob("*.tmp"))


def test_one_big_module_is_signed_by_one_worker(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module with enough work (one alone: no fanout plan) is signed in one forked worker, so
    that this process never holds its file list, digests or text: the same bytes as here."""
    (worker,) = _fleet(tmp_path / "worker")[:1]
    assert sign._plan([len(list(worker.rglob("*"))) + 1]) == (1, [[0]])
    (result,) = _sign([worker])
    assert spy == [1], "one worker must have signed it"
    monkeypatch.setattr(sign, "_FANOUT_MIN_FILES", 10**9)
    assert sign._plan([10**6]) is None
    (here,) = _fleet(tmp_path / "here")[:1]
    (result_here,) = _sign([here])
    assert spy == [1], "signed here the second time"
    assert (worker / "module.sig").read_bytes() == (here / "module.sig").read_bytes()
    assert dataclasses.replace(result, path=result_here.path) == result_here


def test_one_big_module_is_signed_here_while_threads_run(spy: list[int]) -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert sign._plan([10**6]) is None  # a fork with threads running can deadlock the child
    finally:
        stop.set()
        t.join()


def test_one_module_whose_worker_dies_fails_closed(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    (mod,) = _fleet(tmp_path)[:1]
    (mod / "module.sig").write_bytes(b"old\n")
    parent = os.getpid()
    real_render = sign.render

    def render(*args: Any, **kwargs: Any) -> bytes:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(sign, "render", render)
    with pytest.raises(PgpsigError, match="worker process signing modules died .*signal 9"):
        _sign([mod])
    assert spy == [1]
    assert (mod / "module.sig").read_bytes() == b"old\n"
    assert not list(tmp_path.rglob(".module.sig*"))


def test_one_module_with_a_file_gone_in_its_worker_writes_nothing(
    tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    (mod,) = _fleet(tmp_path)[:1]
    real_walk = sign.walk_module

    def walk(root: Path, **kw: Any) -> Any:
        t = real_walk(root, **kw)
        return dataclasses.replace(t, files=(*t.files, "ghost.php"))

    monkeypatch.setattr(sign, "walk_module", walk)
    with pytest.raises(InputError, match="cannot read .*ghost.php"):
        _sign([mod])
    assert spy == [1]
    assert not list(tmp_path.rglob("module.sig"))
    assert not list(tmp_path.rglob(".module.sig*"))
