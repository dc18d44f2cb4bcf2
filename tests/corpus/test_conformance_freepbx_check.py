"""The 148 real FreePBX module.sig files through ``pgpsig check``, one run for all of them.

With the bundled FreePBX keys and the two master fingerprints as roots, under freepbx-legacy:
139 good and trusted (every listed file reported missing: no module trees are shipped), 8 signed
by a key that is not bundled (INVALID, unknown-key), 1 empty module.sig (INVALID, malformed).
Under the default policy every SHA-1 signature is refused, with a reason that names SHA-1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import conformance_path, run_pgpsig
from jsonschemas import assert_valid

ROOTS = ["0BDE0BFA09946D732091E26E1588A7366BD35B34", "2016349F5BC6F49340FCCAF99F9169F4B33B4659"]


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    base = conformance_path()
    if base is None:
        pytest.skip("conformance data not found (set PGPSIG_CONFORMANCE)")
    out = tmp_path_factory.mktemp("modules")
    cases = {}
    for c in json.loads((base / "freepbx" / "manifest.json").read_text()):
        name = c["case"].replace("/", "__")
        (out / name).mkdir()
        shutil.copy(
            base / "freepbx" / "cases" / c["case"] / "module.sig", out / name / "module.sig"
        )
        cases[name] = c
    return out, cases


def _run(conformance: Path, mods: Path, policy: str) -> dict[str, dict]:
    args = [
        "check",
        "--modules-dir",
        str(mods),
        "--keyring",
        str(conformance / "freepbx" / "keys"),
        "--policy",
        policy,
        "--json",
    ]
    for r in ROOTS:
        args += ["--trust-root", r]
    r = run_pgpsig(*args, timeout=600)
    assert r.returncode == 1  # not every module is good: no trees are shipped
    doc = json.loads(r.stdout)
    assert_valid(doc, "check")
    assert doc["summary"]["modules"] == 148
    return {Path(m["path"]).name: m for m in doc["modules"]}


def test_legacy_policy_matches_gpg(
    conformance: Path, modules: tuple[Path, dict[str, dict]]
) -> None:
    mods, cases = modules
    got = _run(conformance, mods, "freepbx-legacy")
    counts = {"good": 0, "unknown": 0, "malformed": 0}
    for name, c in cases.items():
        m = got[name]
        gpg = c.get("gpg_with_bundled_keys", {}).get("status", [])
        sig = m["signature"]
        if "GOODSIG" in gpg and "TRUST_FULLY" in gpg:
            counts["good"] += 1
            assert sig["status"] == "good" and sig["trusted"], (name, sig)
            assert sig["trust_path"][-1] == c["gpg_with_bundled_keys"]["primary_fpr"]
            assert sig["trust_path"][0] in ROOTS
            assert m["status"] & 128 and not m["status"] & 1
            assert len(m["files"]["missing"]) == c["n_hashes"], name
            assert all(d.endswith(" missing") for d in m["details"])
        elif "NO_PUBKEY" in gpg:
            counts["unknown"] += 1
            assert sig["status"] == "unknown-key"
            assert m["status"] == 4
        else:
            counts["malformed"] += 1
            assert sig["status"] == "malformed"
            assert m["status"] == 4
            assert m["details"][0].startswith("module.sig check failed! ")
    assert counts == {"good": 139, "unknown": 8, "malformed": 1}


def test_default_policy_refuses_sha1(
    conformance: Path, modules: tuple[Path, dict[str, dict]]
) -> None:
    mods, cases = modules
    got = _run(conformance, mods, "default")
    refused = 0
    for name, c in cases.items():
        gpg = c.get("gpg_with_bundled_keys", {})
        if "GOODSIG" not in gpg.get("status", []):
            continue
        m = got[name]
        if gpg["hash_algo"] == "2":
            refused += 1
            assert m["status"] == 4
            assert m["signature"]["status"] == "policy"
            assert "SHA1" in m["details"][0]
        else:
            assert m["signature"]["status"] == "good"
    assert refused == 139  # every good FreePBX signature is SHA-1
