"""``pgpsig verify`` as a user runs it: exit codes, one-line errors, --output, --at, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_pgpsig

EX = ROOT / "examples"
KEY = EX / "example-dev.asc"
SIGNED = EX / "hello.txt.asc"


def test_example_is_reproducible(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EX / "generate.py"), str(tmp_path)], check=True, capture_output=True
    )
    for name in ("example-master.asc", "example-dev.asc", "example-dev.sec.asc", "hello.txt.asc"):
        assert (tmp_path / name).read_bytes() == (EX / name).read_bytes(), name


def test_good_and_output(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    r = run_pgpsig("verify", SIGNED, "--keyring", KEY, "--output", out)
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == b"OK"
    text = out.read_bytes()
    assert text.startswith(b"Hello from pgpsig.\n")
    assert text.endswith(b"are not signed:\n")  # trailing spaces stripped, final LF as gpgv
    assert b"BEGIN PGP" not in text
    assert list(tmp_path.iterdir()) == [out], "no temporary file left behind"


def test_tampered_fails_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asc"
    bad.write_bytes(SIGNED.read_bytes().replace(b"Hello from", b"Hullo from"))
    out = tmp_path / "out.txt"
    r = run_pgpsig("verify", bad, "--keyring", KEY, "--output", out, "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert doc["signatures"][0]["status"] == "bad"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_json_contract_fields() -> None:
    r = run_pgpsig("verify", SIGNED, "--keyring", KEY, "--json")
    doc = json.loads(r.stdout)
    assert set(doc) >= {"ok", "signatures", "text"}
    (s,) = doc["signatures"]
    assert set(s) >= {"status", "signer", "primary", "created", "hash_algorithm", "reason"}
    assert s == s | {
        "status": "good",
        "created": "2025-06-01T12:00:00Z",
        "hash_algorithm": "SHA512",
    }


def test_stdin() -> None:
    r = run_pgpsig("verify", "-", "--keyring", KEY, stdin=SIGNED.read_bytes())
    assert r.returncode == 0


@pytest.mark.parametrize(
    ("at", "code"),
    [
        ("2025-06-01T12:00:00Z", 0),
        ("2025-06-01T11:50:00Z", 1),
        ("2025-06-01", 1),
        ("2030-01-01T00:00:00+02:00", 0),
    ],
)
def test_at(at: str, code: int) -> None:
    """Judged as of --at: a signature from the future (beyond 5 minutes of skew) is refused."""
    r = run_pgpsig("verify", SIGNED, "--keyring", KEY, "--at", at)
    assert r.returncode == code, r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["verify", str(SIGNED), "--keyring", "/nonexistent/keyring"],
        ["verify", "/nonexistent/file.asc", "--keyring", str(KEY)],
        ["verify", str(SIGNED), "--keyring", str(KEY), "--at", "yesterday"],
        ["verify", str(SIGNED), "--keyring", str(KEY), "--at", "9999-12-31T23:59:59Z"],
        ["verify", str(SIGNED), "--keyring", str(KEY), "--at", "0001-01-01T00:00:00+05:00"],
        ["key", "list", "--keyring", str(KEY), "--at", "9999-12-31T23:59:59Z"],
        ["verify", str(SIGNED), "--keyring", str(KEY), "--min-signatures", "0"],
        ["verify", str(SIGNED), "--keyring", str(KEY), "--policy", "lax"],
        ["verify", str(SIGNED), "--keyring", str(SIGNED)],
        ["verify", str(KEY), "--keyring", str(KEY)],
        ["verify", str(EX / "generate.py"), "--signature", str(KEY), "--keyring", str(KEY)],
        ["verify", "--no-such-option"],
    ],
)
def test_usage_and_input_errors_exit_2(args: list[str]) -> None:
    r = run_pgpsig(*args)
    assert r.returncode == 2, r.stdout
    assert r.stderr.strip(), "a reason on stderr"
    assert b"internal error" not in r.stderr and b"Traceback" not in r.stderr, r.stderr


def test_garbage_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    for i, data in enumerate(
        [b"", b"\0" * 100, b"-----BEGIN PGP SIGNED MESSAGE-----\n", SIGNED.read_bytes()[:-40]]
    ):
        p = tmp_path / f"g{i}.asc"
        p.write_bytes(data)
        r = run_pgpsig("verify", p, "--keyring", KEY)
        assert r.returncode == 2
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unknown_key_without_keyring(tmp_path: Path) -> None:
    r = run_pgpsig("verify", SIGNED, "--json", env={"PGPSIG_HOME": str(tmp_path)})
    assert r.returncode == 1
    assert json.loads(r.stdout)["signatures"][0]["status"] == "unknown-key"


def test_import_pgpsig_does_not_import_typer_or_pgpy() -> None:
    code = (
        "import sys, pgpsig, pgpsig.verify, pgpsig.certs.keyring; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'pgpy', 'rich')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_product_runs_no_external_program() -> None:
    """pgpsig never spawns a process: no subprocess/os.system/os.popen anywhere in the package."""
    src = ROOT / "src" / "pgpsig"
    for p in src.rglob("*.py"):
        text = p.read_text()
        for needle in ("import subprocess", "os.system(", "os.popen(", "os.exec", "os.spawn"):
            assert needle not in text, f"{p.name}: {needle}"


def test_output_that_cannot_be_replaced(tmp_path: Path) -> None:
    """--output naming a directory: exit 2 with one line, no traceback, no temporary file left."""
    (tmp_path / "d").mkdir()
    r = run_pgpsig("verify", SIGNED, "--keyring", KEY, "--output", tmp_path / "d")
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and b"cannot write" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    assert list((tmp_path / "d").iterdir()) == []
