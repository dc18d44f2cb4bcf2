"""``bench/``'s harness: the record of the versions it measured, targets, case (h)'s helpers.

PGPy is installed as the distribution PGPym (the maintained continuation, same ``import pgpy``):
its version is found through the distribution that provides ``pgpy``, not the name "PGPy".
A target can be a difference of seconds (case (h): "at most 3 s slower"). Case (h)'s baseline
wrapper (``sha1_plain.py``) replaces every binding of ``new_hash``, and ``pgpsig_lib.py
sign-sha1`` makes SHA-1 module signatures that ``--policy freepbx-legacy`` accepts, byte for byte
the same at a fixed clock.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import ROOT, run_pgpsig


def _run() -> ModuleType:
    bench = str(ROOT / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import run  # noqa: PLC0415 - bench/ is on the path only here

    return run


def test_the_pgpy_version_is_that_of_the_distribution_providing_pgpy() -> None:
    (dist,) = importlib.metadata.packages_distributions()["pgpy"]
    run = _run()
    expected = f"{dist} {importlib.metadata.version(dist)}"
    assert run.distribution_of("pgpy") == expected
    assert run.distribution_of("no_such_module_here") is None


def test_the_results_name_the_pgpy_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run()
    monkeypatch.setattr(run.shutil, "which", lambda _: None)
    found = run.versions()
    assert found["PGPy"] == run.distribution_of("pgpy")
    doc = {
        "meta": {
            "when": "2026-01-01T00:00:00",
            "cpus": 2,
            "machine": "x86_64",
            "system": "Linux",
            "reps": 5,
            "seconds": 1.0,
            "versions": found,
        },
        "cases": [],
    }
    first = run.markdown(doc).splitlines()[0]
    assert f", {found['PGPy']};" in first
    assert "PGPy ?" not in first


# --- case (h): SHA-1 signatures, the check without collision detection, targets in seconds ------


def _row(tool: str, wall: float, cpu: float) -> dict[str, object]:
    return {"tool": tool, "status": "ok", "wall_s": wall, "wall_min_s": wall, "cpu_s": cpu,
            "maxrss_mib": 30.0}  # fmt: skip


def test_a_difference_target_is_judged_in_seconds() -> None:
    run = _run()
    target = run.Target("first minus today", "pgpsig", "today", 3.0, 2.0, difference=True)
    rows = {"pgpsig": _row("pgpsig", 3.5, 2.5), "today": _row("today", 1.0, 0.75)}
    judged = run._judge(target, rows, {})
    assert judged["value"] == pytest.approx(2.5)
    assert (judged["met"], judged["stretch_met"]) == (True, False)
    assert judged["cpu_difference_s"] == pytest.approx(1.75)
    rows["pgpsig"] = _row("pgpsig", 4.5, 3.0)
    assert run._judge(target, rows, {})["met"] is False
    result = {"results": list(rows.values()), "targets": [run._judge(target, rows, {})]}
    (line,) = [ln for ln in run.summary_lines([result]) if ln.startswith("| first")]
    assert "| +3.50 s | <= +3 s | not met | <= +2 s | not met |" in line
    assert run._verdict(result["targets"][0]) == "<= +3 s not met, stretch +2 s not met"


def _bench_python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")])}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )


def test_the_baseline_wrapper_replaces_every_binding_of_new_hash() -> None:
    wrapper = str(ROOT / "bench" / "sha1_plain.py")
    r = _bench_python(wrapper, "--selftest")
    assert r.returncode == 0, r.stderr
    # A module that bound new_hash before the wrapper replaced it is found out.
    late = "import pgpsig.openpgp.packets, sys; import sha1_plain; sys.exit(sha1_plain.selftest())"
    r = _bench_python("-c", late)
    assert r.returncode == 1
    assert "pgpsig.openpgp.packets" in r.stderr


def test_sign_sha1_makes_the_same_sha1_module_sig_that_freepbx_legacy_accepts(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import anatomy  # noqa: PLC0415 - bench/ is on the path only here
    finally:
        sys.path.remove(str(ROOT / "bench"))
    keys = anatomy.make_keys(seed="test-sha1")
    (tmp_path / "dev.sec.asc").write_bytes(keys.dev_secret)
    (tmp_path / "dev.asc").write_bytes(keys.dev_cert)
    (tmp_path / "root.asc").write_bytes(keys.master_cert)
    sigs = []
    for copy in ("one", "two"):
        module = tmp_path / copy / "mod"
        (module / "sub").mkdir(parents=True)
        (module / "a.php").write_bytes(b"<?php\n")
        (module / "sub" / "b.js").write_bytes(b"x\n")
        r = _bench_python(
            str(ROOT / "bench" / "pgpsig_lib.py"),
            "sign-sha1",
            "--key",
            str(tmp_path / "dev.sec.asc"),
            "--at",
            anatomy.CLOCK.isoformat(),
            str(tmp_path / copy),
        )
        assert r.returncode == 0, r.stderr
        sigs.append((module / "module.sig").read_bytes())
    assert sigs[0] == sigs[1]  # a fixed clock and key: byte-identical
    assert sigs[0].startswith(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n")
    check = ["check", tmp_path / "one" / "mod", "--keyring", tmp_path / "dev.asc", "--json"]
    check += ["--trust-root", tmp_path / "root.asc"]
    legacy = run_pgpsig(*check, "--policy", "freepbx-legacy")
    assert legacy.returncode == 0, legacy.stderr
    (report,) = json.loads(legacy.stdout)["modules"]
    assert (report["status"], report["signature"]["hash_algorithm"]) == (129, "SHA1")
    assert run_pgpsig(*check).returncode == 1  # the default policy refuses SHA-1
