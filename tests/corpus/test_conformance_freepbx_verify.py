"""The 148 real FreePBX module.sig files through ``pgpsig verify``: same signature verdict as gpg.

With the bundled FreePBX keys and policy freepbx-legacy: 139 good (signer = gpg's VALIDSIG
fingerprint), 8 by a key that is not bundled (unknown-key), 1 empty file (malformed, exit 2).
Under the default policy the SHA-1 signatures are refused with a reason that names SHA-1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import conformance_path, run_pgpsig
from jsonschemas import assert_valid


def _cases() -> list[dict[str, object]]:
    base = conformance_path()
    if base is None:
        return []
    cases: list[dict[str, object]] = json.loads((base / "freepbx" / "manifest.json").read_text())
    return cases


CASES = _cases()


@pytest.mark.skipif(not CASES, reason="conformance data not found (set PGPSIG_CONFORMANCE)")
@pytest.mark.parametrize("case", CASES, ids=[str(c["case"]) for c in CASES])
@pytest.mark.parametrize("policy", ["freepbx-legacy", "default"])
def test_signature_verdict_equals_gpg(conformance: Path, case: dict, policy: str) -> None:
    fb = conformance / "freepbx"
    sig = fb / "cases" / case["case"] / "module.sig"
    r = run_pgpsig("verify", sig, "--keyring", fb / "keys", "--policy", policy, "--json")
    gpg = case.get("gpg_with_bundled_keys", {})
    status = gpg.get("status", [])
    if sig.stat().st_size == 0:
        assert r.returncode == 2
        assert r.stderr.strip().count(b"\n") == 0, "one-line error"
        assert_valid(json.loads(r.stdout), "verify")  # the error document
        return
    doc = json.loads(r.stdout)
    assert_valid(doc, "verify")
    (s,) = doc["signatures"]
    if "GOODSIG" in status:
        assert s["signer"] == gpg["fpr"]
        assert s["primary"] == gpg["primary_fpr"]
        sha1 = gpg["hash_algo"] == "2"
        if policy == "default" and sha1:
            assert r.returncode == 1
            assert s["status"] == "policy"
            assert "SHA1" in s["reason"]
        else:
            assert r.returncode == 0, s
            assert s["status"] == "good"
            assert bool(s.get("warnings")) == sha1
    elif "NO_PUBKEY" in status:
        assert r.returncode == 1
        assert s["status"] == "unknown-key"
    else:
        pytest.fail(f"unexpected gpg verdict {status}")


def test_expected_totals() -> None:
    if not CASES:
        pytest.skip("conformance data not found")
    good = sum(
        1 for c in CASES if "GOODSIG" in c.get("gpg_with_bundled_keys", {}).get("status", [])
    )
    nokey = sum(
        1 for c in CASES if "NO_PUBKEY" in c.get("gpg_with_bundled_keys", {}).get("status", [])
    )
    assert (len(CASES), good, nokey) == (148, 139, 8)
