"""A short run of every fuzz target in fuzz/ (the long runs are ``make fuzz``; see fuzz/README.md).

* Each target's ``test_one_input`` accepts all of its seed files (the committed vectors): only
  ``PgpsigError`` escapes, and its false-good oracles hold on real data.
* With atheris installed (the dev extra installs it on Linux x86-64): each target runs under
  libFuzzer for :data:`RUNS` executions from its seeds, with a fixed libFuzzer seed so a failure
  reproduces; any crash, timeout (10 s for one input) or memory blow-up fails the test.
* Without atheris, the same targets are driven by hypothesis instead (random bytes and mutated
  seeds), so the smoke test still runs, less deeply.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
TARGETS = ["armor", "clearsign", "packets", "cert", "manifest"]
RUNS = {"armor": 5000, "clearsign": 5000, "packets": 5000, "cert": 5000, "manifest": 5000}
HAVE_ATHERIS = importlib.util.find_spec("atheris") is not None


def target(name: str) -> ModuleType:
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    return importlib.import_module(f"fuzz_{name}")


def seed_inputs(name: str) -> list[bytes]:
    module = target(name)
    transform: Callable[[bytes], bytes] | None = getattr(module, "signed_text", None)
    from _harness import seeds  # noqa: PLC0415 - fuzz/ is on sys.path once target() ran

    out = []
    for raw in seeds(module.SEEDS):
        if transform is None:
            out.append(raw)
            continue
        try:
            out.append(transform(raw))
        except Exception:  # a seed the transform rejects is no seed
            continue
    return out


@pytest.mark.parametrize("name", TARGETS)
def test_target_accepts_its_seeds(name: str) -> None:
    inputs = seed_inputs(name)
    assert len(inputs) >= 10, f"fuzz_{name}: too few seeds ({len(inputs)})"
    for data in inputs:
        target(name).test_one_input(data)


@pytest.mark.skipif(not HAVE_ATHERIS, reason="atheris not installed: hypothesis runs instead")
def test_atheris_smoke_run_of_every_target() -> None:
    def run(name: str) -> tuple[str, int, str]:
        r = subprocess.run(
            [
                sys.executable,
                f"fuzz_{name}.py",
                f"-runs={RUNS[name]}",
                "-seed=1",
                "-max_len=8192",
                "-timeout=10",
                "-rss_limit_mb=2048",
            ],
            cwd=FUZZ,
            capture_output=True,
            timeout=120,
            check=False,
        )
        return name, r.returncode, r.stderr.decode(errors="replace")

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, TARGETS))
    for name, code, log in results:
        done = re.search(r"Done (\d+) runs", log)
        assert code == 0 and done, f"fuzz_{name} failed (exit {code}):\n{log[-3000:]}"
        assert int(done.group(1)) >= RUNS[name], log[-500:]


@pytest.mark.skipif(HAVE_ATHERIS, reason="atheris is installed: the libFuzzer smoke run is used")
@pytest.mark.parametrize("name", TARGETS)
def test_hypothesis_smoke_run(name: str) -> None:
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    inputs = seed_inputs(name)
    one = target(name).test_one_input

    def mutate(args: tuple[bytes, list[tuple[int, int]], int]) -> bytes:
        data, flips, cut = args
        buf = bytearray(data)
        for pos, value in flips:
            if buf:
                buf[pos % len(buf)] = value
        return bytes(buf[: max(1, len(buf) - cut)])

    mutated = st.tuples(
        st.sampled_from(inputs),
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
        st.integers(0, 64),
    ).map(mutate)

    @settings(
        max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.one_of(st.binary(max_size=2048), mutated))
    def prop(data: bytes) -> None:
        one(data)

    prop()
