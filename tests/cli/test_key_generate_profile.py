"""``pgpsig key generate --profile``: the CLI reaches the one generator's v4 and v6 profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_pgpsig
from pgpsig.certs.keyring import read_certs
from pgpsig.openpgp.secretkey import load_signing_keys


@pytest.mark.parametrize(("profile", "version"), [("v4", 4), ("v6", 6)])
def test_profile_picks_the_key_version(tmp_path: Path, profile: str, version: int) -> None:
    out, cert = tmp_path / "dev.sec.asc", tmp_path / "dev.asc"
    r = run_pgpsig(
        "key",
        "generate",
        "--uid",
        "Dev <dev@example.org>",
        "--out",
        out,
        "--cert-out",
        cert,
        "--profile",
        profile,
        "--json",
        env={"PGPSIG_PASSPHRASE": ""},
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["profile"] == profile
    (parsed,) = read_certs(cert.read_bytes())
    assert parsed.primary.version == version
    assert parsed.primary.fingerprint == doc["fingerprint"]
    keys = load_signing_keys(out.read_bytes(), None)
    assert {k.fingerprint for k in keys} >= {doc["signing_key"]}


def test_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    r = run_pgpsig(
        "key",
        "generate",
        "--uid",
        "Dev <dev@example.org>",
        "--out",
        tmp_path / "k.asc",
        "--profile",
        "v5",
    )
    assert r.returncode == 2
    assert b"v5" in r.stderr
    assert not (tmp_path / "k.asc").exists()
