"""``pgpsig check`` end to end on module.sig files made by gpg, the way FreePBX's sign.php makes them.

Keys come from the session's gpg key factory (``keyfactory.py``): a root, developer keys the root
certified (or not, or whose certification it revoked), revoked, expired and back-signature-less
keys. Every module.sig here is produced by gpg itself: the manifest body is rendered by the test
(``keyfactory.signphp_body``, written from the sign.php rules, not by pgpsig) and clear-signed with
``gpg --clearsign``. Then the CLI is run in a subprocess with ``--json`` and the FreePBX status
flags, details, signature verdict and file findings are asserted.

Covered: gpg-made manifests (SHA1 under ``freepbx-legacy``, SHA256 by default; RSA and Ed25519)
with altered, missing and unlisted files; trust and revocation; path safety (a manifest listing
paths outside the module must not make pgpsig open anything outside); symbolic links; several
modules in one run; a FreePBX-shaped webroot with the framework mapping and local signatures;
``expiresafter``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import keyfactory
from jsonschemas import assert_valid
from keyfactory import (
    Factory,
    days_ago,
    iso,
    sha256_file,
    signphp_body,
    signphp_hashes,
    write_tree,
)

pytestmark = pytest.mark.oracle

Run = Callable[..., subprocess.CompletedProcess[bytes]]

GOOD, TAMPERED, INVALID, UNSIGNED, EXPIRED, REVOKED, TRUSTED = 1, 2, 4, 8, 32, 64, 128

#: ``check(..., keyring=PRESET)``: no ``--keyring`` at all (the FreePBX preset reads BMO itself).
PRESET = "preset"


@pytest.fixture(scope="session")
def kf(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    return keyfactory.factory(tmp_path_factory)


# --------------------------------------------------------------------------------------------------
# Helpers


SAMPLE = {
    "module.xml": b"<module><rawname>sample</rawname></module>\n",
    "Sample.class.php": b"<?php class Sample {}\n",
    "functions.inc.php": b"<?php\nfunction sample_get_config() {}\n",
    "assets/js/sample.js": b"console.log('sample');\n",
    "assets/css/sample.css": b"body { color: red; }\n",
    "views/main.php": b"<h1>sample</h1>\n",
}


def sign_module(
    kf: Factory,
    mod: Path,
    *,
    signer: str = "dev",
    digest: str = "SHA256",
    at: Any = None,
    entries: Any = None,
    **body: Any,
) -> bytes:
    """Write mod/module.sig: the sign.php body of ``entries`` (default: the tree) clear-signed by gpg."""
    listed = signphp_hashes(mod) if entries is None else entries
    text = signphp_body(listed, signedwith=kf[signer].fpr[-16:], **body)
    signed = kf.clearsign(signer, text, digest=digest, at=at)
    (mod / "module.sig").write_bytes(signed)
    return signed


def module(kf: Factory, name: str = "sample", files: dict[str, bytes] | None = None) -> Path:
    """A fresh module directory with ``files`` (default: SAMPLE)."""
    return write_tree(kf.scratch(name) / name, SAMPLE if files is None else files)


def check(
    pgpsig: Run,
    kf: Factory,
    *args: str | Path,
    keyring: Path | str | None = None,
    roots: tuple[str, ...] | None = None,
    timeout: float = 120,
) -> tuple[int, dict[str, Any]]:
    """Run ``pgpsig check ARGS --json`` with the factory's keyring and root; (exit code, JSON)."""
    ring = [] if keyring == PRESET else ["--keyring", str(keyring or kf.keyring)]
    trust = [
        a for r in (roots if roots is not None else (kf.root.fpr,)) for a in ("--trust-root", r)
    ]
    r = pgpsig("check", *args, *ring, *trust, "--json", timeout=timeout)
    assert r.returncode in (0, 1), r.stderr.decode(errors="replace")
    doc = json.loads(r.stdout)
    assert_valid(doc, "check")
    statuses = [m["status"] for m in doc["modules"]]
    assert r.returncode == (0 if all(s == GOOD | TRUSTED for s in statuses) else 1), statuses
    return r.returncode, doc


def one(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["modules"]) == 1, doc
    return doc["modules"][0]


def flags(status: int) -> list[str]:
    names = [
        "GOOD",
        "TAMPERED",
        "INVALID",
        "UNSIGNED",
        "UNSUPPORTED",
        "EXPIRED",
        "REVOKED",
        "TRUSTED",
    ]
    return [n for i, n in enumerate(names) if status & (1 << i)]


def assert_good(m: dict[str, Any], kf: Factory, signer: str = "dev") -> None:
    assert m["status"] == GOOD | TRUSTED, m
    assert m["flags"] == ["GOOD", "TRUSTED"]
    assert m["details"] == []
    sig = m["signature"]
    assert sig["status"] == "good"
    assert sig["trusted"] is True
    assert sig["primary"] == kf[signer].fpr
    assert m["files"]["altered"] == [] and m["files"]["missing"] == []


# --------------------------------------------------------------------------------------------------
# 2. gpg-made manifests


@pytest.mark.parametrize("signer", ["dev", "devrsa"])
@pytest.mark.parametrize("digest", ["SHA1", "SHA256"])
def test_gpg_made_manifest_is_good(pgpsig: Run, kf: Factory, signer: str, digest: str) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer=signer, digest=digest)
    policy = ["--policy", "freepbx-legacy"] if digest == "SHA1" else []
    code, doc = check(pgpsig, kf, mod, *policy)
    m = one(doc)
    assert code == 0
    assert_good(m, kf, signer)
    assert m["module"] == "sample"
    assert m["signature"]["hash_algorithm"] == digest
    assert m["signature"]["signer"] == kf[signer].fpr
    assert m["signature"]["trust_path"] == [kf.root.fpr, kf[signer].fpr]
    assert m["files"]["checked"] == len(SAMPLE)
    assert m["files"]["unlisted"] == []
    assert doc["summary"] == {"modules": 1, "good": 1, "failed": 0, "not_verified": 0}
    if digest == "SHA1":
        assert any("SHA-1" in w or "SHA1" in w for w in m["signature"]["warnings"]), m
        # The default policy refuses SHA-1 data signatures: INVALID, nothing checked.
        code, doc = check(pgpsig, kf, mod)
        m = one(doc)
        assert m["status"] == INVALID, m
        assert m["signature"]["status"] == "policy"
        assert m["details"][0].startswith("module.sig check failed!")


def test_altered_missing_and_unlisted_files(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod)

    (mod / "views/main.php").write_bytes(b"<h1>owned</h1>\n")
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == TAMPERED | TRUSTED, m
    assert m["flags"] == ["TAMPERED", "TRUSTED"]
    assert m["files"]["altered"] == ["views/main.php"]
    assert m["files"]["missing"] == []
    assert len(m["details"]) == 1 and m["details"][0].endswith("views/main.php altered"), m
    assert m["signature"]["status"] == "good" and m["signature"]["trusted"] is True
    assert doc["summary"] == {"modules": 1, "good": 0, "failed": 1, "not_verified": 0}

    (mod / "views/main.php").write_bytes(SAMPLE["views/main.php"])
    (mod / "assets/js/sample.js").unlink()
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == TAMPERED | TRUSTED, m
    assert m["files"]["missing"] == ["assets/js/sample.js"]
    assert m["files"]["altered"] == []
    assert len(m["details"]) == 1 and m["details"][0].endswith("assets/js/sample.js missing"), m

    (mod / "assets/js/sample.js").write_bytes(SAMPLE["assets/js/sample.js"])
    (mod / "assets/js/extra.js").write_bytes(b"alert(1);\n")
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf)
    assert m["files"]["unlisted"] == ["assets/js/extra.js"]

    code, doc = check(pgpsig, kf, mod, "--strict")
    m = one(doc)
    assert code == 1
    assert m["status"] == TAMPERED | TRUSTED, m
    assert m["files"]["unlisted"] == ["assets/js/extra.js"]


# --------------------------------------------------------------------------------------------------
# 3. Trust and revocation


def test_certified_signer_trust_path(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="dev")
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf)
    assert m["signature"]["trust_path"] == [kf.root.fpr, kf["dev"].fpr]
    # Without the root as trust root, the same module is not trusted.
    _, doc = check(pgpsig, kf, mod, roots=())
    m = one(doc)
    assert m["status"] == INVALID, m
    assert m["signature"]["trusted"] is False


def test_uncertified_signer_is_untrusted_but_files_are_checked(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="stranger")
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == INVALID, m
    assert m["flags"] == ["INVALID"]
    sig = m["signature"]
    assert sig["status"] == "untrusted"
    assert sig["trusted"] is False
    assert sig["trust_path"] == []
    assert sig["primary"] == kf["stranger"].fpr
    assert m["details"][0].startswith("module.sig check failed!")
    assert m["files"]["checked"] == len(SAMPLE)
    assert m["files"]["altered"] == [] and m["files"]["missing"] == []

    (mod / "Sample.class.php").write_bytes(b"<?php system($_GET['c']);\n")
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == TAMPERED | INVALID, m
    assert m["files"]["altered"] == ["Sample.class.php"]
    assert any(d.endswith("Sample.class.php altered") for d in m["details"]), m


def test_revoked_certification_is_revoked(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="certrev")
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == REVOKED, m
    assert m["signature"]["trusted"] is False
    assert m["details"][0].startswith("module.sig check failed!")


def test_hard_revoked_signer_is_revoked_even_for_old_signatures(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="hardrev", at=days_ago(10))  # five days before the revocation
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == REVOKED, m
    assert m["signature"]["status"] == "revoked"
    assert m["signature"]["trusted"] is False
    assert m["details"][0].startswith("module.sig check failed!")


def test_soft_revoked_after_signing_stays_good_with_warning(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="softrev", at=days_ago(10))  # superseded five days later
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf, "softrev")
    assert m["signature"]["warnings"], m
    assert any("revoked" in w for w in m["signature"]["warnings"]), m
    # A module signed after the soft revocation is not good.
    mod2 = module(kf)
    sign_module(kf, mod2, signer="softrev", at=days_ago(2))
    _, doc = check(pgpsig, kf, mod2)
    m = one(doc)
    assert m["status"] == REVOKED, m


def test_key_expired_before_signature(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="expired", at=days_ago(10))  # the key expired at -18 days
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == EXPIRED, m
    assert m["signature"]["status"] == "expired"
    assert m["details"][0].startswith("module.sig check failed!")


def test_signing_subkey_without_backsig_is_invalid(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="subdev")
    subkey = kf["subdev"].subkeys[0]
    # Control: with gpg's certificate (back-signature present) the subkey signature is good.
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf, "subdev")
    assert m["signature"]["signer"] == subkey
    assert m["signature"]["trust_path"] == [kf.root.fpr, kf["subdev"].fpr]
    # The same certificate with the 0x19 back-signature stripped from the binding.
    _, doc = check(pgpsig, kf, mod, keyring=kf.keyring_nobacksig)
    m = one(doc)
    assert m["status"] == INVALID, m
    assert m["signature"]["status"] == "invalid-key"
    assert m["signature"]["trusted"] is False


def test_stripped_backsig_is_rejected_by_gpgv_too(
    kf: Factory, oracle: Callable[[str], str]
) -> None:
    """The factory's stripped certificate really lacks the back-signature (gpgv agrees)."""
    signed = kf.scratch("gpgv") / "t.asc"
    signed.write_bytes(kf.clearsign("subdev", b"hello\n"))
    gpgv = oracle("gpgv")
    ok = subprocess.run(
        [gpgv, "--keyring", kf["subdev"].cert_bin, signed],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [gpgv, "--keyring", kf["nobacksig"].cert_bin, signed],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode != 0, bad.stderr


def test_module_signed_by_root_itself(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod, signer="root")
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf, "root")
    assert m["signature"]["trust_path"] == [kf.root.fpr]


# --------------------------------------------------------------------------------------------------
# 4. Path safety and symbolic links


def _atime_works(d: Path) -> bool:
    """Whether reading a file updates its access time here (relatime: when atime <= mtime)."""
    probe = d / "atime-probe"
    probe.write_bytes(b"probe")
    os.utime(probe, (1, probe.stat().st_mtime))
    probe.read_bytes()
    return probe.stat().st_atime != 1


BAD_PATHS = {
    "dotdot": "../canary.txt",
    "dotdot-inner": "assets/../../canary.txt",
    "absolute-canary": "{abs}",
    "etc-passwd": "/etc/passwd",
    "backslash": "a\\b",
    "control-char": "a\x01b",
    "tab": "a\tb",
}


@pytest.mark.parametrize("case", [*BAD_PATHS, "duplicate"])
def test_unsafe_manifest_paths_are_malformed(pgpsig: Run, kf: Factory, case: str) -> None:
    base = kf.scratch("unsafe")
    canary = base / "canary.txt"
    canary.write_bytes(b"canary: must never be read\n")
    canary_hash = hashlib.sha256(canary.read_bytes()).hexdigest()
    mod = write_tree(base / "sample", SAMPLE)
    entries = list(signphp_hashes(mod).items())
    if case == "duplicate":
        entries.append(("views/main.php", dict(entries)["views/main.php"]))
    else:
        bad = BAD_PATHS[case].format(abs=canary)
        if not bad.startswith(("/", "..", "assets/..")):
            # The odd name exists in the module with the listed content: only the rule refuses it.
            (mod / bad).write_bytes(canary.read_bytes())
        entries.append((bad, canary_hash))
    sign_module(kf, mod, entries=entries)
    atime = _atime_works(base)
    os.utime(canary, (1, canary.stat().st_mtime))

    r = pgpsig("check", mod, "--keyring", kf.keyring, "--trust-root", kf.root.fpr, "--json")
    assert r.returncode == 1, r.stderr
    m = one(json.loads(r.stdout))
    assert len(m["details"]) == 1, m
    assert m["details"][0].startswith("module.sig check failed!"), m
    assert m["files"]["checked"] == 0
    for key in ("altered", "missing", "symlinks", "escaping"):
        assert not any("canary" in p for p in m["files"][key]), m
    if atime:
        assert canary.stat().st_atime == 1, "the canary outside the module was read"
    assert not m["status"] & GOOD, m
    assert m["status"] & INVALID, m
    assert m["status"] == INVALID, m


def test_malformed_manifest_status_is_exactly_invalid(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    entries = [*signphp_hashes(mod).items(), ("../escape.php", "0" * 64)]
    sign_module(kf, mod, entries=entries)
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["details"][0].startswith("module.sig check failed! ")
    assert m["status"] == INVALID, m
    assert m["flags"] == ["INVALID"]


def test_symlink_inside_module_is_followed(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    write_tree(mod, {"lib/real.php": b"<?php // real\n"})
    (mod / "link.php").symlink_to("lib/real.php")
    (mod / "libdir").symlink_to("lib")
    entries = signphp_hashes(mod)
    assert "link.php" in entries and "libdir/real.php" in entries
    sign_module(kf, mod, entries=entries)
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0
    assert_good(m, kf)
    assert set(m["files"]["symlinks"]) >= {"link.php", "libdir/real.php"}, m
    assert "lib/real.php" not in m["files"]["symlinks"]


def test_symlink_leaving_module_is_tampered_even_if_hash_matches(pgpsig: Run, kf: Factory) -> None:
    base = kf.scratch("escape")
    outside = base / "outside.php"
    outside.write_bytes(b"<?php // outside the module\n")
    mod = write_tree(base / "sample", SAMPLE)
    (mod / "ext.php").symlink_to(outside)
    entries = signphp_hashes(mod)  # sign.php follows the link: the outside file's hash is listed
    assert entries["ext.php"] == sha256_file(outside)
    sign_module(kf, mod, entries=entries)
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 1
    assert m["status"] != GOOD | TRUSTED
    assert m["status"] & TAMPERED, m
    assert not m["status"] & GOOD
    assert "ext.php" in m["files"]["altered"] + m["files"]["missing"] + m["files"]["escaping"]

    # A relative link climbing out, to a copy with the same content, is no better.
    (mod / "ext.php").unlink()
    (mod / "ext.php").symlink_to("../outside.php")
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] & TAMPERED and not m["status"] & GOOD, m


def test_symlink_loop_in_tree_does_not_hang(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    sign_module(kf, mod)
    (mod / "loop").symlink_to(".")
    (mod / "assets" / "up").symlink_to("..")
    (mod / "ping").symlink_to("pong")
    (mod / "pong").symlink_to("ping")
    code, doc = check(pgpsig, kf, mod, timeout=60)
    m = one(doc)
    assert m["files"]["checked"] == len(SAMPLE)
    assert m["files"]["altered"] == [] and m["files"]["missing"] == []
    assert code == 0, m


def test_dangling_listed_symlink_is_missing(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    entries = signphp_hashes(mod)
    entries["gone.php"] = hashlib.sha256(b"<?php // gone\n").hexdigest()
    (mod / "gone.php").symlink_to("nowhere.php")
    sign_module(kf, mod, entries=entries)
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == TAMPERED | TRUSTED, m
    assert m["files"]["missing"] == ["gone.php"]
    assert any(d.endswith("gone.php missing") for d in m["details"]), m


# --------------------------------------------------------------------------------------------------
# 5. Many modules, FreePBX webroot


def test_modules_dir_mixed(pgpsig: Run, kf: Factory) -> None:
    base = kf.scratch("modules")
    good = write_tree(base / "good", SAMPLE)
    sign_module(kf, good)
    tampered = write_tree(base / "tampered", SAMPLE)
    sign_module(kf, tampered)
    (tampered / "module.xml").write_bytes(b"<module>changed</module>\n")
    write_tree(base / "unsigned", SAMPLE)
    empty = write_tree(base / "empty", SAMPLE)
    (empty / "module.sig").write_bytes(b"")
    (base / "not-a-module.txt").write_bytes(b"files beside the modules are not modules\n")

    code, doc = check(pgpsig, kf, "--modules-dir", base)
    assert code == 1
    by = {m["module"]: m for m in doc["modules"]}
    assert set(by) == {"good", "tampered", "unsigned", "empty"}
    assert by["good"]["status"] == GOOD | TRUSTED
    assert by["tampered"]["status"] == TAMPERED | TRUSTED
    assert by["tampered"]["files"]["altered"] == ["module.xml"]
    assert by["unsigned"]["status"] == UNSIGNED
    assert by["unsigned"]["details"] == ["unsigned"]
    assert by["unsigned"]["flags"] == ["UNSIGNED"]
    assert by["empty"]["status"] == INVALID
    assert by["empty"]["details"][0].startswith("module.sig check failed!")
    for m in doc["modules"]:
        assert m["flags"] == flags(m["status"])
    assert doc["summary"] == {"modules": 4, "good": 1, "failed": 3, "not_verified": 0}


def _webroot(kf: Factory) -> tuple[Path, Path, Path]:
    """A FreePBX-shaped webroot: (webroot, AMPBIN dir, secure dir)."""
    base = kf.scratch("freepbx")
    web = base / "var/www/html"
    bmo = web / "admin/libraries/BMO"
    bmo.mkdir(parents=True)
    (bmo / f"{kf['dev'].fpr[-16:]}.key").write_bytes(kf["dev"].cert.read_bytes())
    (bmo / "root.key").write_bytes(kf.root.cert.read_bytes())
    ampbin = base / "var/lib/asterisk/bin"
    secure = base / "etc/freepbx.secure"
    secure.mkdir(parents=True)
    return web, ampbin, secure


FRAMEWORK_SOURCE = {
    "module.xml": b"<module><rawname>framework</rawname></module>\n",
    "install.php": b"<?php // install\n",
    "amp_conf/htdocs/admin/config.php": b"<?php // config\n",
    "amp_conf/htdocs/admin/images/spinner.gif": b"GIF89a spinner\n",
    "amp_conf/bin/fwconsole": b"#!/usr/bin/env php\n<?php // fwconsole\n",
    "amp_conf/astetc/extensions.conf": b"[default]\n",
    "upgrades/16.0.1/migration.php": b"<?php // upgrade\n",
}


def _install_framework(web: Path, ampbin: Path) -> dict[str, str]:
    """Put the framework where FreePBX installs it; return its sign.php hashes (source tree)."""
    src = write_tree(web.parent.parent.parent / "src/framework", FRAMEWORK_SOURCE)
    hashes = signphp_hashes(src)
    mod = web / "admin/modules/framework"
    write_tree(
        mod, {k: v for k, v in FRAMEWORK_SOURCE.items() if k in ("module.xml", "install.php")}
    )
    for rel, data in FRAMEWORK_SOURCE.items():
        if rel.startswith("amp_conf/htdocs/"):
            write_tree(web, {rel.removeprefix("amp_conf/htdocs/"): data})
        elif rel.startswith("amp_conf/bin/"):
            write_tree(ampbin, {rel.removeprefix("amp_conf/bin/"): data})
    # astetc and upgrades are not installed at all: FreePBX skips them when validating.
    return hashes


def test_freepbx_webroot(pgpsig: Run, kf: Factory) -> None:
    web, ampbin, secure = _webroot(kf)
    fw_hashes = _install_framework(web, ampbin)
    sign_module(kf, web / "admin/modules/framework", entries=fw_hashes)
    core = write_tree(web / "admin/modules/core", SAMPLE)
    sign_module(kf, core)
    args = (
        "--freepbx-webroot",
        web,
        "--freepbx-path",
        f"AMPBIN={ampbin}",
        "--freepbx-secure-dir",
        secure,
    )
    code, doc = check(pgpsig, kf, *args, keyring=PRESET)
    by = {m["module"]: m for m in doc["modules"]}
    assert set(by) == {"framework", "core"}
    assert code == 0, by
    fw = by["framework"]
    assert_good(fw, kf)
    assert sorted(fw["files"]["skipped"]) == [
        "amp_conf/astetc/extensions.conf",
        "upgrades/16.0.1/migration.php",
    ]
    assert fw["files"]["checked"] == len(FRAMEWORK_SOURCE) - 2
    assert_good(by["core"], kf)
    assert doc["summary"] == {"modules": 2, "good": 2, "failed": 0, "not_verified": 0}

    # The installed copies are what is checked: htdocs below the webroot, bin in AMPBIN.
    (web / "admin/config.php").write_bytes(b"<?php // altered\n")
    (ampbin / "fwconsole").unlink()
    _, doc = check(pgpsig, kf, *args, keyring=PRESET)
    fw = {m["module"]: m for m in doc["modules"]}["framework"]
    assert fw["status"] == TAMPERED | TRUSTED, fw
    assert fw["files"]["altered"] == ["amp_conf/htdocs/admin/config.php"]
    assert fw["files"]["missing"] == ["amp_conf/bin/fwconsole"]
    assert any(d.endswith("admin/config.php altered") for d in fw["details"]), fw
    assert any(d.endswith("fwconsole missing") for d in fw["details"]), fw


def test_freepbx_webroot_without_trust_root_trusts_nobody(pgpsig: Run, kf: Factory) -> None:
    """The preset's roots are the real FreePBX masters: the test's root is not one of them."""
    web, ampbin, secure = _webroot(kf)
    core = write_tree(web / "admin/modules/core", SAMPLE)
    sign_module(kf, core)
    r = pgpsig(
        "check",
        "--freepbx-webroot",
        web,
        "--freepbx-path",
        f"AMPBIN={ampbin}",
        "--freepbx-secure-dir",
        secure,
        "--json",
    )
    assert r.returncode == 1, r.stderr
    m = one(json.loads(r.stdout))
    assert m["status"] == INVALID, m
    assert m["signature"]["trusted"] is False
    assert m["files"]["checked"] == len(SAMPLE)


def _local_signature(kf: Factory, web: Path, secure: Path, name: str = "localmod") -> Path:
    """sign.php --local: the full manifest in SECURE/<name>.sig, a signed tag as module.sig."""
    mod = write_tree(web / "admin/modules" / name, SAMPLE)
    full = signphp_body(signphp_hashes(mod), signedwith=kf["dev"].fpr[-16:], type_="local")
    secure_file = secure / f"{name}.sig"
    secure_file.write_bytes(kf.clearsign("dev", full))
    tag = signphp_body(
        [(f"{name}.sig", sha256_file(secure_file))],
        signedwith=kf["dev"].fpr[-16:],
        repo="local",
        type_="local",
        end=False,
    )
    (mod / "module.sig").write_bytes(kf.clearsign("dev", tag))
    return mod


def test_freepbx_local_signature(pgpsig: Run, kf: Factory) -> None:
    if os.geteuid() != 0:
        pytest.skip("local signatures must be owned by uid 0; this test runs as root (as in CI)")
    web, ampbin, secure = _webroot(kf)
    mod = _local_signature(kf, web, secure)
    args = (
        "--freepbx-webroot",
        web,
        "--freepbx-path",
        f"AMPBIN={ampbin}",
        "--freepbx-secure-dir",
        secure,
    )
    keyring = PRESET
    code, doc = check(pgpsig, kf, *args, keyring=keyring)
    m = one(doc)
    assert code == 0, m
    assert_good(m, kf)
    assert m["files"]["checked"] == len(SAMPLE)

    # A file of the module altered: the secure manifest's hashes are the ones checked.
    (mod / "views/main.php").write_bytes(b"<h1>changed</h1>\n")
    _, doc = check(pgpsig, kf, *args, keyring=keyring)
    m = one(doc)
    assert m["status"] == TAMPERED | TRUSTED, m
    assert m["files"]["altered"] == ["views/main.php"]
    (mod / "views/main.php").write_bytes(SAMPLE["views/main.php"])

    # The secure file altered (still validly signed, but not the one the tag names).
    secure_file = secure / "localmod.sig"
    original = secure_file.read_bytes()
    full = signphp_body(
        {"module.xml": sha256_file(mod / "module.xml")},
        signedwith=kf["dev"].fpr[-16:],
        type_="local",
    )
    secure_file.write_bytes(kf.clearsign("dev", full))
    _, doc = check(pgpsig, kf, *args, keyring=keyring)
    m = one(doc)
    assert m["status"] != GOOD | TRUSTED and not m["status"] & GOOD, m
    assert m["details"], m

    # The secure file a symbolic link to the right content.
    real = secure.parent / "elsewhere.sig"
    real.write_bytes(original)
    secure_file.unlink()
    secure_file.symlink_to(real)
    _, doc = check(pgpsig, kf, *args, keyring=keyring)
    m = one(doc)
    assert m["status"] != GOOD | TRUSTED and not m["status"] & GOOD, m


# --------------------------------------------------------------------------------------------------
# 6. expiresafter


def test_expiresafter(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    expires = int(days_ago(3).timestamp())
    sign_module(kf, mod, at=days_ago(10), extra_config=[("expiresafter", str(expires))])
    _, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert m["status"] == REVOKED, m
    assert m["details"] == ["module.sig check failed! Module signature expired"]

    code, doc = check(pgpsig, kf, mod, "--at", iso(days_ago(5)))
    m = one(doc)
    assert code == 0, m
    assert_good(m, kf)


def test_unlisted_link_leaving_module_is_only_reported(pgpsig: Run, kf: Factory) -> None:
    """FreePBX makes links out of modules at install time (ucp/htdocs/modules/Cdr, pms/pms_data)
    that no module.sig lists: unlisted entries like any other, failing only with --strict."""
    base = kf.scratch("runtime-links")
    spool = base / "spool"
    spool.mkdir()
    mod = write_tree(base / "sample", SAMPLE)
    sign_module(kf, mod)
    (mod / "pms_data").symlink_to(spool)  # a directory outside, made after signing
    (mod / "lib").mkdir(exist_ok=True)
    (mod / "lib" / "Cdr").symlink_to("../../outside-module")  # dangling, climbing out
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0, m
    assert_good(m, kf)
    assert {"pms_data", "lib/Cdr"} <= set(m["files"]["unlisted"]), m
    assert not m["files"]["altered"] and not m["files"]["escaping"], m
    r = pgpsig(
        "check", mod, "--keyring", kf.keyring, "--trust-root", kf.root.fpr, "--json", "--strict"
    )
    assert r.returncode == 1, r.stderr
    m = one(json.loads(r.stdout))
    assert m["status"] & TAMPERED and not m["status"] & GOOD, m


def test_link_leaving_module_on_a_listed_path_still_fails(pgpsig: Run, kf: Factory) -> None:
    """A link that leaves the module on the way to a listed file is not an unlisted entry."""
    base = kf.scratch("listed-through-link")
    outside = base / "images"
    outside.mkdir()
    (outside / "a.png").write_bytes(b"png")
    mod = write_tree(base / "sample", SAMPLE)
    (mod / "images").symlink_to(outside)
    entries = signphp_hashes(mod)
    assert "images/a.png" in entries
    sign_module(kf, mod, entries=entries)
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 1, m
    assert m["status"] & TAMPERED and not m["status"] & GOOD, m
    assert "images" not in m["files"]["unlisted"], m


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_an_unlisted_fifo_is_an_unlisted_entry(pgpsig: Run, kf: Factory) -> None:
    """A FIFO (or socket, device) that no module.sig lists is reported, never opened, and fails
    --strict; it does not make the module tampered."""
    mod = module(kf, "fifo")
    sign_module(kf, mod)
    os.mkfifo(mod / "pipe")
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 0, m
    assert m["status"] == GOOD | TRUSTED, m
    assert m["files"]["unlisted"] == ["pipe"], m
    code, doc = check(pgpsig, kf, mod, "--strict")
    assert code == 1
    assert one(doc)["status"] & TAMPERED


def test_empty_module_sig_says_so(pgpsig: Run, kf: Factory) -> None:
    mod = module(kf)
    (mod / "module.sig").write_bytes(b"")
    code, doc = check(pgpsig, kf, mod)
    m = one(doc)
    assert code == 1
    assert m["status"] == INVALID, m
    assert m["details"] == ["module.sig check failed! empty module.sig"], m


def test_modules_dir_passes_over_what_freepbx_does_not_list(pgpsig: Run, kf: Factory) -> None:
    base = kf.scratch("modules-dir-cache")
    mod = write_tree(base / "modules" / "sample", SAMPLE)
    sign_module(kf, mod)
    write_tree(base / "modules" / "_cache", {"sample-1.0.tgz.gpg": b"archive"})
    write_tree(base / "modules" / "CVS", {"Root": b"x"})
    r = pgpsig(
        "check",
        "--modules-dir",
        base / "modules",
        "--keyring",
        kf.keyring,
        "--trust-root",
        kf.root.fpr,
        "--json",
    )
    assert r.returncode == 0, r.stdout
    assert [m["module"] for m in json.loads(r.stdout)["modules"]] == ["sample"]
    # named explicitly, it is checked (and is no signed module)
    r = pgpsig(
        "check",
        base / "modules" / "_cache",
        "--keyring",
        kf.keyring,
        "--trust-root",
        kf.root.fpr,
        "--json",
    )
    assert r.returncode == 1
    assert json.loads(r.stdout)["modules"][0]["status"] == 8
