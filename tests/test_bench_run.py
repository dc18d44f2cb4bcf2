"""``bench/run.py``'s record of the versions it measured: each tool named as it is installed.

PGPy is installed as the distribution PGPym (the maintained continuation, same ``import pgpy``):
its version is found through the distribution that provides ``pgpy``, not the name "PGPy".
"""

from __future__ import annotations

import importlib.metadata
import sys
from types import ModuleType

import pytest

from conftest import ROOT


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
