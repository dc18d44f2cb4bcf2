"""pgpsig on the interpreters and libraries its users have (no oracle: CI runs this on every Python).

Every command that reads a secret key goes through PGPy's packet parser (from PGPym, its
maintained continuation): ``sign``, ``key certify``, ``key revoke``, ``key revoke-certification``
and SOP ``sign``. On Python 3.13 PGPy 0.6.0 died importing ``imghdr``, and with cryptography 49
and newer it could not read Brainpool keys (its curve classes lack ``group_order``); these tests run
each of those commands with v4 RSA and Ed25519 keys, protected and not, and judge the results with
pgpsig's own verifier, which does not use PGPy. The version and help options that users of gpg
and sq reach for first are here too.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import run_pgpsig

PASSPHRASE = "correct horse battery staple"
GOOD_AND_TRUSTED = 129
REVOKED = 64


def _run(*args: str | Path, passphrase: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """``pgpsig ARGS`` with PGPSIG_PASSPHRASE set to ``passphrase`` (or unset)."""
    env = {"PGPSIG_PASSPHRASE": passphrase or ""}
    return run_pgpsig(*args, env=env)


def _ok(r: subprocess.CompletedProcess[bytes]) -> bytes:
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def _generate(tmp: Path, name: str, algorithm: str, passphrase: str | None) -> tuple[Path, Path]:
    """A new v4 key made by ``pgpsig key generate``: (secret key, certificate)."""
    sec, cert = tmp / f"{name}.sec.asc", tmp / f"{name}.asc"
    _ok(
        _run(
            "key",
            "generate",
            "--uid",
            f"{name} <{name.lower()}@example.org>",
            "--algorithm",
            algorithm,
            "--out",
            sec,
            "--cert-out",
            cert,
            passphrase=passphrase,
        )
    )
    return sec, cert


def _module(tmp: Path, name: str) -> Path:
    module = tmp / name
    (module / "lib").mkdir(parents=True)
    (module / "module.xml").write_text(f"<module><rawname>{name}</rawname></module>\n")
    (module / "lib" / "Thing.php").write_text("<?php\n// a file\n")
    return module


def _check(module: Path, *keyrings: Path, root: Path) -> tuple[int, int]:
    """``pgpsig check MODULE --keyring ... --trust-root ROOT --json``: (exit code, module status)."""
    rings = [arg for ring in keyrings for arg in ("--keyring", ring)]
    r = _run("check", module, *rings, "--trust-root", root, "--json")
    return r.returncode, int(json.loads(r.stdout)["modules"][0]["status"])


@pytest.mark.parametrize("protected", [False, True], ids=["plain", "protected"])
@pytest.mark.parametrize("algorithm", ["ed25519", "rsa3072"])
def test_secret_key_commands(tmp_path: Path, algorithm: str, protected: bool) -> None:
    """sign, certify, revoke-certification, revoke and SOP sign with one v4 key of each kind."""
    passphrase = PASSPHRASE if protected else None
    key_sec, key_cert = _generate(tmp_path, "Master", algorithm, passphrase)
    dev_sec, dev_cert = _generate(tmp_path, "Dev", "ed25519", None)

    # certify: the key, as a master, certifies a developer, whose module then checks as trusted.
    certified = tmp_path / "dev.certified.asc"
    _ok(
        _run(
            "key", "certify", dev_cert, "--with", key_sec, "--out", certified, passphrase=passphrase
        )
    )
    by_dev = _module(tmp_path, "bydev")
    _ok(_run("sign", by_dev, "--key", dev_sec))
    assert _check(by_dev, certified, key_cert, root=key_cert) == (0, GOOD_AND_TRUSTED)

    # revoke-certification: the master withdraws it; the developer's module stops checking good.
    withdrawn = tmp_path / "dev.withdrawn.asc"
    _ok(
        _run(
            "key",
            "revoke-certification",
            certified,
            "--with",
            key_sec,
            "--out",
            withdrawn,
            passphrase=passphrase,
        )
    )
    assert _check(by_dev, withdrawn, key_cert, root=key_cert) == (1, REVOKED)

    # sign: the key signs a module itself; as its own trust root, the module checks good.
    by_key = _module(tmp_path, "bykey")
    _ok(_run("sign", by_key, "--key", key_sec, passphrase=passphrase))
    assert _check(by_key, key_cert, root=key_cert) == (0, GOOD_AND_TRUSTED)

    # revoke: a revocation certificate imported next to the key; the module stops checking good.
    revocation = tmp_path / "key.rev.asc"
    _ok(
        _run(
            "key",
            "revoke",
            key_sec,
            "--reason",
            "compromised",
            "--out",
            revocation,
            passphrase=passphrase,
        )
    )
    ring = tmp_path / "ring"
    ring.mkdir()
    _ok(_run("key", "import", key_cert, revocation, "--keyring", ring))
    assert _check(by_key, ring, root=key_cert) == (1, REVOKED)

    # SOP sign: a detached signature that pgpsig's verifier (and SOP verify) accept.
    data = tmp_path / "data.txt"
    data.write_bytes(b"SOP data\n")
    password = tmp_path / "password"
    password.write_text(passphrase or "")
    sop_args = ["sop", "sign", str(key_sec)]
    if protected:
        sop_args[2:2] = ["--with-key-password", str(password)]
    signature = _ok(run_pgpsig(*sop_args, stdin=data.read_bytes()))
    sig_file = tmp_path / "data.txt.sig"
    sig_file.write_bytes(signature)
    verdict = _ok(
        run_pgpsig("verify", data, "--signature", sig_file, "--keyring", key_cert, "--json")
    )
    doc = json.loads(verdict)
    assert doc["ok"] is True
    assert [sig["status"] for sig in doc["signatures"]] == ["good"]
    _ok(run_pgpsig("sop", "verify", sig_file, key_cert, stdin=data.read_bytes()))


@pytest.mark.parametrize("algorithm", ["ed25519", "rsa3072"])
def test_protected_key_without_or_with_wrong_passphrase_is_one_line_error(
    tmp_path: Path, algorithm: str
) -> None:
    key_sec, _ = _generate(tmp_path, "Dev", algorithm, PASSPHRASE)
    module = _module(tmp_path, "mod")
    for passphrase in (None, "wrong"):
        r = _run("sign", module, "--key", key_sec, passphrase=passphrase)
        assert r.returncode == 2
        assert b"passphrase" in r.stderr
        assert r.stderr.count(b"\n") == 1, r.stderr
    assert not (module / "module.sig").exists()


def test_pgpy_comes_from_pgpym() -> None:
    """``import pgpy`` is PGPym's (PGPy 0.6.0 fails on Python 3.13, and on Brainpool keys with
    cryptography 49 and newer)."""
    assert metadata.version("PGPym")
    import pgpy

    files = metadata.files("PGPym") or []
    owned = {Path(str(f.locate())).resolve() for f in files if str(f).endswith(".py")}
    assert Path(pgpy.__file__).resolve() in owned


@pytest.mark.oracle
@pytest.mark.parametrize("curve", ["nistp256", "brainpoolP256r1", "brainpoolP384r1"])
def test_gpg_made_ecdsa_keys_sign(tmp_path: Path, curve: str) -> None:
    """ECDSA secret keys made by gpg sign (PGPy 0.6.0 with cryptography 49+ failed on Brainpool)."""
    from keyfactory import Gpg

    gpg = Gpg(tmp_path / "gnupg")
    uid = f"{curve} <{curve}@example.org>"
    secret = tmp_path / "key.sec.asc"
    cert = tmp_path / "key.asc"
    try:
        gpg("--quick-gen-key", uid, curve, "sign", "never")
        secret.write_bytes(gpg("--armor", "--export-secret-keys", uid))
        cert.write_bytes(gpg("--armor", "--export", uid))
    finally:
        gpg.close()
    module = _module(tmp_path, "mod")
    _ok(_run("sign", module, "--key", secret))
    assert _check(module, cert, root=cert) == (0, GOOD_AND_TRUSTED)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    r = run_pgpsig(flag)
    lines = _ok(r).decode().splitlines()
    from pgpsig import __version__

    assert lines[0] == f"pgpsig {__version__}"
    names = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in lines}
    assert names["Python"] == platform.python_version()
    assert names["cryptography"] == metadata.version("cryptography")
    assert names["PGPym"].startswith(metadata.version("PGPym"))


# Every command and group: -h works on each as --help does.
COMMANDS = [
    (),
    ("sign",),
    ("check",),
    ("verify",),
    ("key",),
    ("key", "generate"),
    ("key", "export"),
    ("key", "list"),
    ("key", "import"),
    ("key", "certify"),
    ("key", "revoke"),
    ("key", "revoke-certification"),
    ("key", "refresh"),
    ("key", "publish"),
    ("key", "update"),
    ("key", "trust-root"),
    ("key", "trust-root", "add"),
    ("key", "trust-root", "remove"),
    ("key", "trust-root", "list"),
    ("completion",),
    ("sop",),
    ("sop", "sign"),
    ("sop", "verify"),
    ("sop", "version"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pgpsig")
def test_short_help_on_every_command(command: tuple[str, ...]) -> None:
    short = run_pgpsig(*command, "-h", env={"COLUMNS": "100"})
    long = run_pgpsig(*command, "--help", env={"COLUMNS": "100"})
    assert short.returncode == long.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert b"Usage: " in short.stdout
    # Values are named for people (PATH, DIR, NAME, DURATION..., arguments by their names in
    # capitals), flags (--help too) take none: no Python type in angle brackets anywhere, and no
    # argument in lower case in the usage line.
    text = long.stdout.decode()
    assert not re.search(r"<(str|bool|int|float|path|Path|list\[\w+\])>", text), text
    usage = next(line for line in text.splitlines() if "Usage: " in line)
    assert not re.search(r"[\[{][a-z_]+[\]}]", usage), usage


def test_every_command_is_listed_for_short_help() -> None:
    """COMMANDS above names every registered command (a new one gets -h tested too)."""
    from pgpsig.cli import app

    prefix = {"": (), "key": ("key",), "trust-root": ("key", "trust-root"), "sop": ("sop",)}
    registered = {(*prefix[c.group], c.name) for c in app.commands()}
    # Of the SOP subcommands, a sample is enough: they share one app and its settings.
    missing = {c for c in registered if c not in COMMANDS and c[0] != "sop"}
    assert not missing, missing


def test_sop_program_takes_short_help() -> None:
    r = subprocess.run(
        [sys.executable, "-c", "from pgpsig.cli import sop_main; sop_main()", "-h"],
        capture_output=True,
        env={**os.environ, "COLUMNS": "100"},
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert b"Usage: pgpsig-sop" in r.stdout
