"""Shared fixtures: where the conformance data and the vectors live, oracles, and running the CLI."""

from __future__ import annotations

import atexit
import bz2
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The tests never touch the user's cache directory (the SHA-1 verdicts of ``check`` and
# ``verify``): the CLI, in this process or run as a subprocess, gets one of its own for the session.
_TEST_CACHE = tempfile.mkdtemp(prefix="pgpsig-tests-cache-")
atexit.register(shutil.rmtree, _TEST_CACHE, True)
os.environ["XDG_CACHE_HOME"] = _TEST_CACHE


def conformance_path() -> Path | None:
    """The shared conformance folder, or None when it is absent."""
    env = os.environ.get("PGPSIG_CONFORMANCE")
    p = Path(env) if env else ROOT.parent / "shared" / "conformance"
    return p if p.is_dir() else None


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The conformance data folder; the test is skipped, saying why, when it is absent."""
    p = conformance_path()
    if p is None:
        pytest.skip(
            "conformance data not found (set PGPSIG_CONFORMANCE or place it at ../shared/conformance)"
        )
    return p


def require_oracle(name: str) -> str:
    """Path of an oracle binary. Missing: skip locally, fail in CI (CI must install every oracle)."""
    path = shutil.which(name)
    if path is None:
        msg = f"oracle {name!r} is not installed (Debian package gnupg/sqv/sqop)"
        if IN_CI:
            pytest.fail(msg + "; CI must install it")
        pytest.skip(msg)
    return path


@pytest.fixture
def oracle() -> Callable[[str], str]:
    """``oracle("sqv")`` gives the binary's path, or skips (fails in CI) when it is missing."""
    return require_oracle


def run_pgpsig(
    *args: str | os.PathLike[str],
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m pgpsig ARGS`` in a real process and assert it never prints a traceback."""
    full_env = dict(os.environ)
    full_env.setdefault("PGPSIG_HOME", str(ROOT / ".no-such-store"))
    if env:
        full_env.update(env)
    r = subprocess.run(
        [sys.executable, "-m", "pgpsig", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )
    assert b"Traceback" not in r.stderr, r.stderr.decode(errors="replace")
    assert r.returncode in (0, 1, 2), (r.returncode, r.stderr.decode(errors="replace"))
    return r


@pytest.fixture
def pgpsig() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run the CLI: ``pgpsig("verify", path, "--keyring", k)``."""
    return run_pgpsig


@pytest.fixture
def vector() -> Callable[[str], Path]:
    """``vector("clearsign/x.asc")`` is the path of a committed vector; missing is an error."""

    def get(name: str) -> Path:
        p = VECTORS / name
        assert p.exists(), f"vector {name} missing: run python vectors/generate.py"
        return p

    return get


def no_child_left() -> bool:
    """Whether every child process of this one is reaped (none running, none a zombie)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def compressed_body(algorithm: int, inner: bytes) -> bytes:
    """The body of a Compressed Data packet (RFC 9580 5.6) holding ``inner``: algorithm 0
    uncompressed, 1 ZIP (raw deflate), 2 ZLIB, 3 BZip2."""
    if algorithm == 1:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        payload = c.compress(inner) + c.flush()
    elif algorithm == 2:
        payload = zlib.compress(inner)
    elif algorithm == 3:
        payload = bz2.compress(inner)
    else:
        payload = inner
    return bytes([algorithm]) + payload


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every data scanned for a SHA-1 collision attack, in order, counted by
    wrapping :func:`pgpsig.openpgp.sha1sig._scan` (a copy's own bytes, the trailer, go on from
    the scan of the data it shares and are not counted)."""
    from pgpsig.openpgp import sha1sig

    seen: list[int] = []
    real = sha1sig._scan

    def counted(data: bytes | bytearray) -> object:
        seen.append(len(data))
        return real(data)

    monkeypatch.setattr(sha1sig, "_scan", counted)
    return seen


@pytest.fixture
def compressed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bytes of every run of blocks the SHA-1 collision detector compresses (padding
    included), counted by wrapping :func:`pgpsig.openpgp.sha1dc._expanded`."""
    from pgpsig.openpgp import sha1dc

    seen: list[int] = []
    real = sha1dc._expanded

    def counted(blocks: bytes) -> object:
        seen.append(len(blocks))
        return real(blocks)

    monkeypatch.setattr(sha1dc, "_expanded", counted)
    return seen
