"""``pgpsig check --freepbx-webroot`` on a webroot shaped like a real, stock FreePBX 16 install.

The fixture is built by ``bench/anatomy.py`` (shared with the benchmark's case (f); imported from
``bench/`` as other tests import ``vectors/`` and ``fuzz/``) from ``webroot-anatomy.json`` of the
conformance data, at a small scale: every module of the real install with its listed files (the
fleet shape's counts, scaled) signed by pgpsig's library with a test developer key certified by a
test master key (the keys are installed in ``admin/libraries/BMO`` where the preset reads them;
the master is named with ``--trust-root``), then what FreePBX adds after install and no
``module.sig`` lists: unlisted files (dot-files among them, ``node_modules`` nests), links inside
modules, every link that leaves its module (to elsewhere in the webroot, to ``/var/spool``, a
FIFO, ``/tftpboot``), ``_cache``, the module with an empty ``module.sig``, and the framework
installed where FreePBX installs it (``amp_conf/htdocs`` in the webroot, ``amp_conf/bin`` in
AMPBIN, listed links in the webroot). The same tests run on the builder's built-in miniature
anatomy, so that they run where the conformance data is absent (then the "real" ones skip).

Checked through the CLI (``--json``): the clean webroot (exit 0: every signed module 129;
``_cache`` not checked; the empty ``module.sig`` status 4, not verified but failing nothing, and
failing the run with ``--strict``; every link and every dot-file an unlisted entry, links with
their targets), a copy without the empty ``module.sig`` (exit 0, nothing unverified), a tampered
copy (one listed file altered, a framework file deleted from AMPBIN, ``evil.php`` and
``.htaccess`` dropped into a module: exactly those reported, the files at their installed paths
in the details and in ``files.problems``), and a relocated copy whose listed framework link
dangles (missing).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import ROOT, conformance_path, run_pgpsig
from jsonschemas import assert_valid

GOOD, TAMPERED, INVALID, TRUSTED = 1, 2, 4, 128
OK = GOOD | TRUSTED

#: (anatomy, scale): the real anatomy at 2 % (about 600 listed and 1,500 unlisted files), the
#: built-in miniature at 20 %.
SOURCES = {"real": 0.02, "builtin": 0.2}


def _bench(name: str) -> ModuleType:
    """``bench/anatomy.py`` or ``bench/fleet.py`` (bench/ goes on sys.path, as fuzz/ does)."""
    bench = str(ROOT / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    return importlib.import_module(name)


def _anatomy() -> ModuleType:
    return _bench("anatomy")


@dataclass
class Built:
    web: Any  # anatomy.Webroot
    master: str  # the test master's fingerprint
    tmp: Path


@dataclass
class Result:
    web: Any  # the Webroot checked
    code: int
    doc: dict[str, Any]

    @property
    def by(self) -> dict[str, dict[str, Any]]:
        return {m["module"]: m for m in self.doc["modules"]}


def _links(m: dict[str, Any]) -> dict[str, str]:
    """``files.unlisted_links`` of a module: path -> target."""
    return {link["path"]: link["target"] for link in m["files"]["unlisted_links"]}


def _check(built: Built, web: Any, *extra: str) -> Result:
    r = run_pgpsig("check", *web.check_args(), "--trust-root", built.master, "--json", *extra)
    assert r.returncode in (0, 1), r.stderr.decode(errors="replace")
    doc = json.loads(r.stdout)
    assert_valid(doc, "check")
    return Result(web, r.returncode, doc)


@pytest.fixture(scope="module", params=sorted(SOURCES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    anatomy = _anatomy()
    fleet = _bench("fleet")
    tmp = tmp_path_factory.mktemp(f"anatomy-{request.param}").resolve()
    shape = None
    if request.param == "real":
        conf = conformance_path()
        if conf is None or not (conf / "freepbx/webroot-anatomy.json").is_file():
            pytest.skip(
                "webroot-anatomy.json not found (set PGPSIG_CONFORMANCE or place the "
                "conformance data at ../shared/conformance)"
            )
        doc = anatomy.load_anatomy(conf / "freepbx/webroot-anatomy.json")
        fleet_shape = conf.parent / "bench" / "freepbx16-fleet-shape.json"
        if fleet_shape.is_file():
            shape = fleet.load_shape(fleet_shape)
    else:
        doc = anatomy.fallback_anatomy()
    keys = anatomy.make_keys()
    web = anatomy.build(doc, tmp / "clean", keys, scale=SOURCES[request.param], shape=shape)
    return Built(web, keys.master_fingerprint, tmp)


@pytest.fixture(scope="module")
def clean(built: Built) -> Result:
    return _check(built, built.web)


# --------------------------------------------------------------------------------------------------
# The clean webroot


def test_every_signed_module_is_good(clean: Result) -> None:
    by = clean.by
    for name in clean.web.signed:
        m = by[name]
        assert m["status"] == OK, (name, m["details"])
        assert m["flags"] == ["GOOD", "TRUSTED"]
        assert not m["files"]["altered"] and not m["files"]["missing"], m["files"]
        assert m["files"]["checked"] == len(clean.web.module(name).listed), name


def test_cache_is_not_a_module(clean: Result) -> None:
    assert "_cache" not in clean.by
    assert (clean.web.modules_dir / "_cache").is_dir()
    assert set(clean.by) == set(clean.web.signed) | set(clean.web.empty_sig)


def test_empty_module_sig(clean: Result) -> None:
    assert clean.web.empty_sig
    for name in clean.web.empty_sig:
        m = clean.by[name]
        assert m["status"] == INVALID, m
        assert m["details"] == ["module.sig check failed! empty module.sig"], m
        assert m["signature"]["status"] == "malformed", m
        assert m["signature"]["reason"] == "empty module.sig", m


def test_the_stock_webroot_exits_0(clean: Result) -> None:
    """What FreePBX itself counts against no module fails nothing: the run exits 0, the empty
    module.sig reported as not verified (never good)."""
    assert clean.code == 0, [
        (m["module"], m["details"]) for m in clean.doc["modules"] if m["status"] != OK
    ]
    n, empty = len(clean.web.signed), len(clean.web.empty_sig)
    assert clean.doc["summary"] == {
        "modules": n + empty, "good": n, "failed": 0, "not_verified": empty
    }  # fmt: skip


def test_the_operator_sees_the_empty_module_sig(built: Built) -> None:
    r = run_pgpsig("check", *built.web.check_args(), "--trust-root", built.master)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    out = r.stdout.decode()
    for name in built.web.empty_sig:
        line = next(ln for ln in out.splitlines() if ln.split()[1:2] == [name])
        assert line.startswith("WARN"), line
        assert "module.sig check failed! empty module.sig" in out
    assert "not verified, empty module.sig" in out.splitlines()[-1], out[-400:]
    assert "\nfailed:" not in out


@pytest.fixture(scope="module")
def emptied(built: Built) -> Any:
    """A copy whose module.sig files other than the empty ones are replaced: one with a line break
    only, one linked to an empty file (a truncated signature passes like the shipped one)."""
    anatomy = _anatomy()
    copy = anatomy.mirror(built.web, built.tmp / "emptied")
    victims = [n for n in copy.signed if n != "framework"][:2]
    whitespace, linked = (copy.modules_dir / n / "module.sig" for n in victims)
    whitespace.unlink()
    whitespace.write_bytes(b"\n")
    linked.unlink()
    (built.tmp / "empty-file").write_bytes(b"")
    linked.symlink_to(built.tmp / "empty-file")
    return copy, victims


def test_only_an_empty_module_sig_passes_unverified(built: Built, emptied: Any) -> None:
    copy, (whitespace, linked) = emptied
    r = _check(built, copy)
    assert r.code == 1
    assert r.by[whitespace]["status"] == INVALID
    assert r.by[whitespace]["signature"]["reason"] != "empty module.sig", r.by[whitespace]
    assert r.doc["summary"]["failed"] == 1
    assert r.by[linked]["details"] == ["module.sig check failed! empty module.sig"]
    assert r.doc["summary"]["not_verified"] == len(copy.empty_sig) + 1


def test_a_module_named_on_the_command_line_fails_when_empty(built: Built) -> None:
    for name in built.web.empty_sig:
        r = run_pgpsig(
            "check", *built.web.check_args(), str(built.web.modules_dir / name),
            "--trust-root", built.master, "--json",
        )  # fmt: skip
        assert r.returncode == 1, r.stderr
        doc = json.loads(r.stdout)
        assert [m["module"] for m in doc["modules"]] == [name]
        assert doc["summary"] == {"modules": 1, "good": 0, "failed": 1, "not_verified": 0}


def test_strict_fails_the_empty_module_sig(built: Built) -> None:
    strict = _check(built, built.web, "--strict")
    assert strict.code == 1
    summary = strict.doc["summary"]
    assert summary["not_verified"] == 0
    failed = {m["module"] for m in strict.doc["modules"] if m["status"] != OK}
    assert set(built.web.empty_sig) <= failed
    assert summary["failed"] == len(failed)


def test_links_leaving_modules_are_unlisted_entries(clean: Result) -> None:
    leaving = clean.web.links_of("leaving-webroot") + clean.web.links_of("leaving-outside")
    assert {link.kind for link in leaving} == {"leaving-webroot", "leaving-outside"}
    for link in leaving:
        m = clean.by[link.module]
        assert link.path in set(m["files"]["unlisted"]), (link, m["files"]["unlisted"])
        assert _links(m)[link.path] == clean.web.fixture_target(link.target), link
        assert os.path.exists(clean.web.modules_dir / link.module / link.path), link


def test_links_inside_modules_are_followed(clean: Result) -> None:
    files = clean.web.links_of("inside-file")
    dirs = clean.web.links_of("inside-dir")
    assert files and dirs
    for link in files:
        m = clean.by[link.module]
        assert link.path in set(m["files"]["unlisted"]), link
        assert _links(m)[link.path] == link.target, link
    for link in dirs:
        m = clean.by[link.module]
        assert any(u.startswith(link.path + "/") for u in m["files"]["unlisted"]), link
        assert _links(m)[link.path] == link.target, link


def test_planted_regular_files_are_unlisted_entries(clean: Result) -> None:
    for m in clean.web.modules:
        if not m.signed:
            continue
        unlisted = set(clean.by[m.name]["files"]["unlisted"])
        planted = {p for p, _ in m.unlisted if "/." not in "/" + p}
        assert planted <= unlisted, (m.name, sorted(planted - unlisted)[:5])


def _dotfiles(clean: Result) -> list[tuple[str, str]]:
    """(module, path) of every dot-file planted in a signed module."""
    return [(m.name, d) for m in clean.web.modules if m.signed for d in m.dotfiles]


def test_dotfiles_are_planted(clean: Result) -> None:
    dotted = _dotfiles(clean)
    for kind in (".htaccess", ".user.ini", ".gitattributes"):
        assert any(d.endswith(kind) for _, d in dotted), kind
    for name, d in dotted:
        assert (clean.web.modules_dir / name / d).is_file(), (name, d)


def test_dotfiles_are_unlisted_entries(clean: Result) -> None:
    for name, d in _dotfiles(clean):
        assert d in set(clean.by[name]["files"]["unlisted"]), (name, d)


def test_framework_checked_where_installed(clean: Result) -> None:
    web = clean.web
    fw = web.module("framework")
    mapped = web.framework_mapped()
    assert mapped["amp_conf/bin/fwconsole"] == web.paths["AMPBIN"] / "fwconsole"
    assert mapped["amp_conf/htdocs/index.php"] == web.webroot / "index.php"
    for entry, path in mapped.items():
        assert path.is_file() or path.is_symlink(), entry
    assert not (web.modules_dir / "framework" / "amp_conf").exists()
    for fl in web.framework_links:
        assert (web.webroot / fl.installed_at).is_symlink(), fl
        assert mapped[fl.entry] == web.webroot / fl.installed_at
    m = clean.by["framework"]
    assert m["status"] == OK, m["details"]
    assert m["files"]["checked"] == len(fw.listed)
    assert not m["files"]["skipped"]


# --------------------------------------------------------------------------------------------------
# A copy without the empty module.sig: the run's exit code


@pytest.fixture(scope="module")
def without_empty(built: Built) -> Result:
    anatomy = _anatomy()
    copy = anatomy.mirror(built.web, built.tmp / "without-empty", without=built.web.empty_sig)
    return _check(built, copy)


def test_webroot_without_empty_module_sig_exits_0(without_empty: Result) -> None:
    assert without_empty.code == 0, [
        (m["module"], m["details"]) for m in without_empty.doc["modules"] if m["status"] != OK
    ]
    assert all(m["status"] == OK for m in without_empty.doc["modules"])
    n = len(without_empty.web.signed)
    assert without_empty.doc["summary"] == {
        "modules": n, "good": n, "failed": 0, "not_verified": 0
    }  # fmt: skip


# --------------------------------------------------------------------------------------------------
# A tampered copy: exactly what was done is reported


@dataclass
class Tampering:
    result: Result
    altered_module: str
    altered_entry: str
    dropped_module: str
    deleted_entry: str


def _pick(names: Iterable[str], want: str) -> str:
    names = sorted(names)
    return want if want in names else names[0]


@pytest.fixture(scope="module")
def tampered(built: Built) -> Tampering:
    anatomy = _anatomy()
    web = anatomy.mirror(built.web, built.tmp / "tampered")
    # A PHP file of core altered (replaced: the copy's files are hard links to the clean one's);
    # one at its top, where no link of the fixture points.
    name = _pick((n for n in web.signed if n != "framework"), "core")
    entries = web.module(name).entries
    entry = next((e for e in entries if e.endswith(".php") and "/" not in e), "module.xml")
    path = web.installed(name, entry)
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data + b"\n<?php system($_GET['c']);\n")
    # A framework file deleted where FreePBX installed it.
    deleted = "amp_conf/bin/fwconsole"
    web.installed("framework", deleted).unlink()
    # An intruder's files in a module that holds no .htaccess at its top.
    drop = _pick(
        (
            n
            for n in web.signed
            if n not in (name, "framework") and ".htaccess" not in web.module(n).dotfiles
        ),
        "userman",
    )
    (web.modules_dir / drop / "evil.php").write_bytes(b"<?php eval($_POST['x']);\n")
    (web.modules_dir / drop / ".htaccess").write_bytes(b"php_value auto_prepend_file evil.php\n")
    return Tampering(_check(built, web), name, entry, drop, deleted)


def test_tampered_altered_file(tampered: Tampering) -> None:
    t = tampered
    m = t.result.by[t.altered_module]
    assert m["status"] == TAMPERED | TRUSTED, m
    assert set(m["files"]["altered"]) == {t.altered_entry}
    assert not m["files"]["missing"]
    where = str(t.result.web.installed(t.altered_module, t.altered_entry))
    assert f"{where} altered" in m["details"], m["details"]
    assert m["files"]["problems"] == [
        {"entry": t.altered_entry, "path": where, "problem": "altered"}
    ]


def test_tampered_framework_file_missing_where_installed(tampered: Tampering) -> None:
    web = tampered.result.web
    m = tampered.result.by["framework"]
    assert m["status"] == TAMPERED | TRUSTED, m
    assert set(m["files"]["missing"]) == {tampered.deleted_entry}
    assert not m["files"]["altered"]
    installed = str(web.installed("framework", tampered.deleted_entry))
    assert installed == str(web.paths["AMPBIN"] / "fwconsole")
    assert f"{installed} missing" in m["details"], m["details"]
    assert not any("admin/modules/framework/amp_conf" in d for d in m["details"]), m["details"]
    assert m["files"]["problems"] == [
        {"entry": tampered.deleted_entry, "path": installed, "problem": "missing"}
    ]


def test_tampered_only_those_modules_fail(tampered: Tampering, clean: Result) -> None:
    t = tampered
    failed = {n for n, m in t.result.by.items() if m["status"] != OK}
    assert failed == {t.altered_module, "framework", *t.result.web.empty_sig}
    for name, m in t.result.by.items():
        if name not in (t.altered_module, "framework"):
            assert m["status"] == clean.by[name]["status"], (name, m["details"])
            assert not m["files"]["altered"] and not m["files"]["missing"], name


def _new_unlisted(t: Tampering, clean: Result) -> dict[str, set[str]]:
    """By module: unlisted entries of the tampered copy that the clean webroot does not have."""
    out = {}
    for name, m in t.result.by.items():
        if "unlisted" in m["files"]:
            new = set(m["files"]["unlisted"]) - set(clean.by[name]["files"]["unlisted"])
            if new:
                out[name] = new
    return out


def test_tampered_unlisted_files(tampered: Tampering, clean: Result) -> None:
    new = _new_unlisted(tampered, clean)
    assert new == {tampered.dropped_module: {"evil.php", ".htaccess"}}
    assert tampered.result.by[tampered.dropped_module]["status"] == OK  # reported, not failed


# --------------------------------------------------------------------------------------------------
# A relocated copy whose listed framework link dangles


@pytest.fixture(scope="module")
def dangling(built: Built) -> tuple[Result, str, Path]:
    anatomy = _anatomy()
    web = anatomy.mirror(built.web, built.tmp / "dangling")
    fl = next(f for f in web.framework_links if f.target.startswith("/"))
    link = web.webroot / fl.installed_at
    link.unlink()
    link.symlink_to(str(built.tmp / "gone") + fl.target)  # where the install was before it moved
    return _check(built, web), fl.entry, link


def test_dangling_listed_framework_link_is_missing(dangling: tuple[Result, str, Path]) -> None:
    result, entry, link = dangling
    m = result.by["framework"]
    assert m["status"] == TAMPERED | TRUSTED, m
    assert set(m["files"]["missing"]) == {entry}, m["details"]
    assert not m["files"]["altered"], m["details"]
    assert m["files"]["problems"] == [{"entry": entry, "path": str(link), "problem": "missing"}]
    others = {n: x["status"] for n, x in result.by.items() if n != "framework"}
    assert all(s == OK for n, s in others.items() if n in result.web.signed), others
