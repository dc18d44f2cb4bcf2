"""The SHA-1 verdict cache of ``verify`` and ``check`` on real FreePBX signatures (all SHA-1).

Under ``freepbx-legacy`` the data of every SHA-1 signature is scanned for a collision attack, and
the verdict kept in the cache directory (``--cache-dir``, else ``$XDG_CACHE_HOME/pgpsig``). The
proof that a later run reads it instead of scanning: an entry turned into a collision verdict
(same SHA-1 digest) makes the next run refuse the signature, ``--no-cache`` does not read it, and a
garbled entry is scanned again and rewritten. A directory others may write to is never used.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run_pgpsig
from pgpsig.openpgp.sha1dc import COLLISION_REASON
from pgpsig.openpgp.sha1sig import NAMESPACE

Run = Callable[..., subprocess.CompletedProcess[bytes]]
ROOTS = ["0BDE0BFA09946D732091E26E1588A7366BD35B34", "2016349F5BC6F49340FCCAF99F9169F4B33B4659"]


@pytest.fixture(scope="module")
def real(conformance: Path) -> tuple[Path, Path, Path]:
    """(the keys, a good real module.sig, another one by the same key)."""
    base = conformance / "freepbx"
    by_key: dict[str, list[Path]] = {}
    for c in json.loads((base / "manifest.json").read_text()):
        gpg = c.get("gpg_with_bundled_keys", {})
        path = base / "cases" / c["case"] / "module.sig"
        if "GOODSIG" in gpg.get("status", []) and 8192 < path.stat().st_size < 65536:
            by_key.setdefault(gpg["primary_fpr"], []).append(path)
    one, other = sorted(max(by_key.values(), key=len))[:2]
    return base / "keys", one, other


def _verify(
    real: tuple[Path, Path, Path], *extra: str | Path, env: dict[str, str] | None = None
) -> Any:
    keys, sig, _ = real
    r = run_pgpsig(
        "verify", "--json", "--policy", "freepbx-legacy", "--keyring", keys, *extra, sig, env=env
    )
    doc = json.loads(r.stdout) if r.stdout else {}
    return r, doc


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / NAMESPACE).glob("*/*"))


def _data_entry(real: tuple[Path, Path, Path], cache: Path) -> Path:
    """The entry of the signed text of ``real``'s module.sig, not of its key's self-signatures:
    the one that verifying another module.sig by the same key does not make too."""
    keys, _, other = real
    scratch = cache.parent / "other-cache"
    r = run_pgpsig(
        "verify", "--policy", "freepbx-legacy", "--keyring", keys, "--cache-dir", scratch, other
    )
    assert r.returncode == 0
    shared = {p.relative_to(scratch) for p in _entries(scratch)}
    [entry] = [p for p in _entries(cache) if p.relative_to(cache) not in shared]
    return entry


def test_verdict_written_then_read(real: tuple[Path, Path, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    r, doc = _verify(real, "--cache-dir", cache)
    assert r.returncode == 0 and doc["signatures"][0]["status"] == "good"
    entry = _data_entry(real, cache)
    words = entry.read_bytes().split()
    assert words[0] == NAMESPACE.encode() and words[2] == b"clean" and len(words[1]) == 40
    assert b"cache" not in r.stderr

    # The same digest, said to carry a collision: the next run takes the verdict as it is.
    entry.write_bytes(b" ".join((words[0], words[1], b"collision")) + b"\n")
    r, doc = _verify(real, "--cache-dir", cache)
    assert r.returncode == 1
    assert doc["signatures"][0]["status"] == "bad"
    assert doc["signatures"][0]["reason"] == COLLISION_REASON

    # --no-cache reads nothing (and writes nothing).
    r, doc = _verify(real, "--no-cache", env={"XDG_CACHE_HOME": str(cache.parent)})
    assert r.returncode == 0
    assert entry.read_bytes().endswith(b" collision\n")

    # An entry that is not ours (torn, garbled) is scanned again and rewritten.
    entry.write_bytes(b"")
    r, doc = _verify(real, "--cache-dir", cache)
    assert r.returncode == 0
    assert entry.read_bytes() == b" ".join((words[0], words[1], b"clean")) + b"\n"


def test_default_directory(real: tuple[Path, Path, Path], tmp_path: Path) -> None:
    r, _ = _verify(real, env={"XDG_CACHE_HOME": str(tmp_path)})
    assert r.returncode == 0
    assert _data_entry(real, tmp_path / "pgpsig").is_file()
    # Under the default policy no SHA-1 data signature can pass: nothing is scanned or made.
    keys, sig, _ = real
    r = run_pgpsig("verify", "--keyring", keys, sig, env={"XDG_CACHE_HOME": str(tmp_path / "d")})
    assert r.returncode == 1
    assert not (tmp_path / "d").exists()


def test_a_directory_others_may_write_is_not_used(
    real: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    r, _ = _verify(real, "--cache-dir", shared)
    assert r.returncode == 2
    assert b"cannot use the cache directory" in r.stderr
    assert b"others may write to it" in r.stderr
    # The default directory so made: a warning, and the signature is judged all the same.
    (shared / "pgpsig").mkdir()
    (shared / "pgpsig").chmod(0o777)
    r, doc = _verify(real, env={"XDG_CACHE_HOME": str(shared)})
    assert r.returncode == 0 and doc["signatures"][0]["status"] == "good"
    assert b"warning: cannot use the cache directory" in r.stderr
    assert _entries(shared / "pgpsig") == []


def test_cache_dir_and_no_cache_together(real: tuple[Path, Path, Path], tmp_path: Path) -> None:
    r, _ = _verify(real, "--cache-dir", tmp_path, "--no-cache")
    assert r.returncode == 2
    assert b"--cache-dir and --no-cache" in r.stderr


def test_check_of_every_real_module_twice(conformance: Path, tmp_path: Path) -> None:
    """148 real module.sig files checked twice with one cache: the same verdicts, one entry each."""
    mods = tmp_path / "modules"
    for c in json.loads((conformance / "freepbx" / "manifest.json").read_text()):
        d = mods / c["case"].replace("/", "__")
        d.mkdir(parents=True)
        (d / "module.sig").write_bytes(
            (conformance / "freepbx" / "cases" / c["case"] / "module.sig").read_bytes()
        )
    args: list[str | os.PathLike[str]] = ["check", "--json", "--modules-dir", mods]
    args += ["--keyring", conformance / "freepbx" / "keys", "--policy", "freepbx-legacy"]
    for root in ROOTS:
        args += ["--trust-root", root]
    args += ["--cache-dir", tmp_path / "cache"]
    runs = []
    for _ in range(2):
        r = run_pgpsig(*args, timeout=600)
        assert r.returncode == 1  # the module trees are not shipped: files are missing
        runs.append(json.loads(r.stdout)["modules"])
        if len(runs) == 1:
            first_entries = _entries(tmp_path / "cache")
    assert runs[0] == runs[1]
    good = [m for m in runs[0] if m["signature"]["status"] == "good"]
    assert len(good) == 139
    # An entry per distinct signed text (every real one is over 512 bytes), and a few for the
    # SHA-1 certifications of the keys; every one clean.
    texts = {(mods / Path(m["path"]).name / "module.sig").read_bytes() for m in good}
    assert len(texts) <= len(first_entries) <= len(texts) + 8, (len(texts), len(first_entries))
    assert _entries(tmp_path / "cache") == first_entries
    assert all(p.read_bytes().endswith(b" clean\n") for p in first_entries)


def test_library_keeps_verdicts_only_where_told(
    real: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pgpsig

    keys, sig, _ = real
    module = tmp_path / "module"
    module.mkdir()
    (module / "module.sig").write_bytes(sig.read_bytes())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "env-cache"))  # never read below the CLI
    args: dict[str, Any] = {"keyring": keys, "roots": ROOTS, "policy": "freepbx-legacy"}
    plain = pgpsig.check_module(module, **args)
    assert plain.signature is not None and plain.signature.status.value == "good"
    assert not (tmp_path / "env-cache").exists()
    cached = [pgpsig.check_module(module, cache_dir=tmp_path / "c", **args) for _ in range(2)]
    assert [r.to_dict() for r in cached] == [plain.to_dict()] * 2
    assert _entries(tmp_path / "c")
    assert not (tmp_path / "env-cache").exists()
