"""Where check says a file is (issue #14): installed paths, dangling links, unlisted links.

Library-level: :func:`pgpsig.modules.check.check_modules` on small modules signed here.

* A framework file is named where it was looked for (``amp_conf/bin/fwconsole`` in AMPBIN,
  ``amp_conf/htdocs/X`` in the webroot), in the details and in ``files.problems`` beside its
  manifest entry; an ordinary module's file is named below the module directory.
* A listed symbolic link whose target does not exist is missing (FreePBX: a dangling link is
  "missing"), wherever it pointed; one that reaches an existing file outside the module escapes.
* An unlisted link is reported with its target (``files.unlisted_links``).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from keyfactory import write_tree as write
from pgpsig.certs.keyring import load_keyring
from pgpsig.engine.trust import TrustRoots
from pgpsig.errors import InputError
from pgpsig.keys import generate_key
from pgpsig.modules.check import CheckOptions, check_modules, module_targets
from pgpsig.modules.freepbx import FreePBXLayout
from pgpsig.modules.sign import sign_module
from pgpsig.openpgp.secretkey import load_signing_keys
from pgpsig.policy import policy_named
from pgpsig.report import ModuleReport, Status

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=1)
OK = Status.GOOD | Status.TRUSTED
XML = {"module.xml": b"<module>m</module>\n"}


class Keys:
    def __init__(self, base: Path) -> None:
        root = generate_key("root <root@example.org>", now=T0)
        (base / "root.asc").write_bytes(root.certificate)
        self.secret = root.secret_key
        ring = load_keyring([base / "root.asc"])
        self.opts = CheckOptions(
            keyring=ring,
            roots=TrustRoots.resolve([root.fingerprint], ring),
            policy=policy_named("default"),
            now=NOW,
        )

    def sign(self, module: Path) -> None:
        sign_module(module, load_signing_keys(self.secret), now=T0, secret_key_data=self.secret)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys"))


def one(name: str, module: Path, opts: CheckOptions) -> ModuleReport:
    [report] = check_modules([(name, module)], opts)
    return report


def problems(r: ModuleReport) -> set[tuple[str, str, str]]:
    return set(r.files.problems)


def test_framework_files_are_named_where_they_are_installed(keys: Keys, tmp_path: Path) -> None:
    web, ampbin = tmp_path / "html", tmp_path / "asterisk-bin"
    fw = write(
        web / "admin/modules/framework",
        {
            **XML,
            "amp_conf/bin/fwconsole": b"#!/usr/bin/env php\n",
            "amp_conf/htdocs/admin/config.php": b"<?php // config\n",
            "amp_conf/htdocs/index.php": b"<?php // index\n",
            "install.php": b"<?php // stays in the module\n",
        },
    )
    keys.sign(fw)
    write(ampbin, {"fwconsole": b"#!/usr/bin/env php\n"})
    write(web, {"admin/config.php": b"<?php // config\n", "index.php": b"<?php // index\n"})
    layout = FreePBXLayout(webroot=web, paths={"AMPBIN": str(ampbin), "AMPSBIN": "/nonexistent",
                                               "ASTAGIDIR": "/nonexistent",
                                               "ASTVARLIBDIR": "/nonexistent"})  # fmt: skip
    opts = CheckOptions(
        keyring=keys.opts.keyring, roots=keys.opts.roots, policy=keys.opts.policy, now=NOW,
        freepbx=layout,
    )  # fmt: skip
    assert one("framework", fw, opts).status == OK

    (ampbin / "fwconsole").unlink()
    (web / "index.php").write_bytes(b"<?php system($_GET['c']);\n")
    (fw / "install.php").write_bytes(b"<?php // changed\n")
    r = one("framework", fw, opts)
    assert r.status == Status.TAMPERED | Status.TRUSTED, r
    assert r.files.missing == ("amp_conf/bin/fwconsole",)
    assert set(r.files.altered) == {"amp_conf/htdocs/index.php", "install.php"}
    want = {
        ("amp_conf/bin/fwconsole", str(ampbin / "fwconsole"), "missing"),
        ("amp_conf/htdocs/index.php", str(web / "index.php"), "altered"),
        ("install.php", str(fw / "install.php"), "altered"),
    }
    assert problems(r) == want
    assert set(r.details) == {f"{p} {what}" for _e, p, what in want}
    # Nothing names the framework directory for a file installed elsewhere.
    assert not any("modules/framework/amp_conf" in d for d in r.details), r.details
    doc = r.to_dict()["files"]["problems"]
    assert {"entry": "amp_conf/bin/fwconsole", "path": str(ampbin / "fwconsole"),
            "problem": "missing"} in doc  # fmt: skip


def test_a_dangling_listed_link_is_missing(keys: Keys, tmp_path: Path) -> None:
    """A copy of a module moved elsewhere: its absolute link now points at nothing."""
    first = tmp_path / "first" / "m"
    write(first, {**XML, "images/real.png": b"png\n"})
    (first / "images/logo.png").symlink_to(first / "images/real.png")  # absolute, as installed
    keys.sign(first)
    assert one("m", first, keys.opts).status == OK
    moved = tmp_path / "moved" / "m"
    moved.parent.mkdir()
    shutil.copytree(first, moved, symlinks=True)
    shutil.rmtree(tmp_path / "first")
    r = one("m", moved, keys.opts)
    assert r.status == Status.TAMPERED | Status.TRUSTED, r
    assert r.files.missing == ("images/logo.png",) and r.files.altered == ()
    assert f"{moved / 'images/logo.png'} missing" in r.details


def test_a_listed_link_to_an_existing_file_outside_still_escapes(
    keys: Keys, tmp_path: Path
) -> None:
    outside = write(tmp_path / "outside", {"real.png": b"png\n"})
    m = write(tmp_path / "m", {**XML, "images/real.png": b"png\n"})
    keys.sign(m)
    (m / "images/real.png").unlink()
    (m / "images/real.png").symlink_to(outside / "real.png")  # same contents, outside
    r = one("m", m, keys.opts)
    assert r.status == Status.TAMPERED | Status.TRUSTED, r
    assert r.files.altered == ("images/real.png",) and r.files.missing == ()
    assert problems(r) == {("images/real.png", str(m / "images/real.png"), "escapes")}
    assert f"{m / 'images/real.png'} symlink leaves the module" in r.details


def test_unlisted_links_are_reported_with_their_targets(keys: Keys, tmp_path: Path) -> None:
    m = write(tmp_path / "pms", {**XML, "Pms.class.php": b"<?php\n"})
    keys.sign(m)
    (m / "pms_data").symlink_to("/nonexistent/spool/asterisk/pms")  # FreePBX makes these
    (m / "ucp").mkdir()
    (m / "ucp/Cdr").symlink_to(tmp_path / "elsewhere")
    (m / "Alias.php").symlink_to("Pms.class.php")  # inside the module
    r = one("pms", m, keys.opts)
    assert r.status == OK, r
    assert set(r.files.unlisted_links) == {
        ("pms_data", "/nonexistent/spool/asterisk/pms"),
        ("ucp/Cdr", str(tmp_path / "elsewhere")),
        ("Alias.php", "Pms.class.php"),
    }
    assert {"pms_data", "ucp/Cdr", "Alias.php"} <= set(r.files.unlisted)
    doc = r.to_dict()["files"]
    assert {"path": "pms_data", "target": "/nonexistent/spool/asterisk/pms"} in doc[
        "unlisted_links"
    ]
    assert doc["problems"] == []


def test_unlisted_dot_files_are_reported_and_fail_only_strict(keys: Keys, tmp_path: Path) -> None:
    m = write(tmp_path / "m", {**XML, "index.php": b"<?php\n"})
    keys.sign(m)
    write(m, {".htaccess": b"php_value auto_prepend_file x\n", "a/.user.ini": b"x=1\n"})
    r = one("m", m, keys.opts)
    assert r.status == OK and set(r.files.unlisted) == {".htaccess", "a/.user.ini"}, r
    strict = one("m", m, replace(keys.opts, strict=True))
    assert strict.status == Status.TAMPERED | Status.TRUSTED, strict
    assert f"{m / '.htaccess'} unlisted" in strict.details


def test_no_unlisted_walk_reports_none(keys: Keys, tmp_path: Path) -> None:
    m = write(tmp_path / "m", {**XML, "index.php": b"<?php\n", "lib/a.php": b"<?php\n"})
    keys.sign(m)
    write(m, {"evil.php": b"<?php\n", ".htaccess": b"x\n"})
    (m / "lib/a.php").write_bytes(b"<?php // changed\n")
    r = one("m", m, replace(keys.opts, unlisted=False))
    assert r.files.unlisted == () and r.files.altered == ("lib/a.php",), r
    with pytest.raises(ValueError, match="strict"):
        replace(keys.opts, strict=True, unlisted=False)


def test_an_unlisted_link_loop_is_unlisted_and_fails_strict(keys: Keys, tmp_path: Path) -> None:
    m = write(tmp_path / "m", {**XML, "index.php": b"<?php\n"})
    keys.sign(m)
    (m / "loop").symlink_to("loop")
    (m / "up").symlink_to(".")  # a directory loop back to the module
    r = one("m", m, keys.opts)
    assert r.status == OK and {"loop", "up"} <= set(r.files.unlisted), r
    assert one("m", m, replace(keys.opts, strict=True)).status == Status.TAMPERED | Status.TRUSTED


def test_a_module_that_is_a_link_loop_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "loopy").symlink_to("loopy")
    with pytest.raises(InputError, match="loopy"):
        module_targets([tmp_path / "loopy"], None)
