"""FreePBX specifics (pgpsig.modules.freepbx): the preset, the framework mapping, local tags.

The signature of a secure copy is judged by a function given in: here a stand-in that says what
the test wants, so no key or signature is made. The secure directory is owned by whoever runs the
tests (``secure_owner`` set to that uid); FreePBX's own rule (root) is the default.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pgpsig.errors import InputError
from pgpsig.modules.freepbx import (
    FREEPBX_DEFAULT_PATHS,
    FREEPBX_ROOTS,
    FreePBXLayout,
    freepbx_preset,
    local_manifest,
)
from pgpsig.modules.manifest import Manifest, ManifestEntry, is_local_tag, parse
from pgpsig.modules.verdict import SignatureVerdict, malformed
from pgpsig.report import Status

H = "0" * 64
BODY = (
    b"[config]\r\nversion=2\r\ntype=local\r\n[hashes]\r\nviews/main.php = " + H.encode() + b"\r\n"
)


# --------------------------------------------------------------------------------------------------
# The preset


def test_preset_of_a_webroot(tmp_path: Path) -> None:
    web = tmp_path / "web"
    (web / "admin/libraries/BMO/signatures").mkdir(parents=True)
    p = freepbx_preset(web)
    assert p.keyring == (web / "admin/libraries/BMO", web / "admin/libraries/BMO/signatures")
    assert p.modules_dir == web / "admin/modules"
    assert p.policy == "freepbx-legacy"
    assert (
        p.roots
        == FREEPBX_ROOTS
        == (
            "0BDE0BFA09946D732091E26E1588A7366BD35B34",
            "2016349F5BC6F49340FCCAF99F9169F4B33B4659",
        )
    )
    assert p.layout == FreePBXLayout(webroot=web, secure_dir=Path("/etc/freepbx.secure"))
    assert p.layout.paths == FREEPBX_DEFAULT_PATHS


def test_preset_keyring_only_existing_directories(tmp_path: Path) -> None:
    assert freepbx_preset(tmp_path).keyring == ()
    (tmp_path / "admin/libraries/BMO").mkdir(parents=True)
    assert freepbx_preset(tmp_path).keyring == (tmp_path / "admin/libraries/BMO",)


def test_preset_paths_and_secure_dir(tmp_path: Path) -> None:
    p = freepbx_preset(
        tmp_path, secure_dir=tmp_path / "sec", paths=["AMPBIN=/opt/bin", "ASTVARLIBDIR=/v"]
    )
    assert p.layout.secure_dir == tmp_path / "sec"
    assert p.layout.paths == {**FREEPBX_DEFAULT_PATHS, "AMPBIN": "/opt/bin", "ASTVARLIBDIR": "/v"}
    assert FREEPBX_DEFAULT_PATHS["AMPBIN"] == "/var/lib/asterisk/bin"  # the defaults untouched


@pytest.mark.parametrize("item", ["AMPBIN", "NOPE=/x", "=/x", "ampbin=/x", "AMPBIN="])
def test_preset_refuses_a_bad_path_item(tmp_path: Path, item: str) -> None:
    msg = "--freepbx-path: expected NAME=DIR with NAME in AMPBIN, AMPSBIN, ASTAGIDIR, ASTVARLIBDIR"
    with pytest.raises(InputError) as e:
        freepbx_preset(tmp_path, paths=["AMPSBIN=/s", item])
    assert str(e.value) == msg


def test_preset_value_may_hold_an_equals_sign(tmp_path: Path) -> None:
    assert freepbx_preset(tmp_path, paths=["AMPBIN=/a=b"]).layout.paths["AMPBIN"] == "/a=b"


def test_a_plain_check_does_not_load_the_freepbx_module() -> None:
    """FreePBX specifics are imported only when a check meets them (start-up of a plain check)."""
    import subprocess
    import sys

    code = (
        "import sys; import pgpsig.modules.check, pgpsig.cli.check; "
        "print('pgpsig.modules.freepbx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------------
# The framework mapping (Installer::getDestination with validation on)

LAYOUT = FreePBXLayout(
    webroot=Path("/web"),
    paths={"AMPBIN": "/bin2", "AMPSBIN": "/sbin2", "ASTAGIDIR": "/agi", "ASTVARLIBDIR": "/lib"},
)
MOD = Path("/web/admin/modules/framework")


@pytest.mark.parametrize(
    ("rel", "want"),
    [
        ("amp_conf/htdocs/admin/config.php", (Path("/web"), "admin/config.php")),
        ("amp_conf/bin/fwconsole", (Path("/bin2"), "fwconsole")),
        ("amp_conf/sbin/amportal", (Path("/sbin2"), "amportal")),
        ("amp_conf/agi-bin/dialparties.agi", (Path("/agi"), "dialparties.agi")),
        ("amp_conf/sounds/beep.gsm", (Path("/lib/sounds"), "beep.gsm")),
        ("amp_conf/astetc/extensions.conf", None),
        ("amp_conf/moh/a.wav", None),
        ("upgrades/2.11/x.php", None),
        ("module.xml", (MOD, "module.xml")),
        ("amp_conf/other/x", (MOD, "amp_conf/other/x")),
    ],
)
def test_framework_destination(rel: str, want: tuple[Path, str] | None) -> None:
    assert LAYOUT.destination("framework", MOD, rel) == want


def test_other_modules_map_to_themselves() -> None:
    core = Path("/web/admin/modules/core")
    assert LAYOUT.destination("core", core, "amp_conf/htdocs/x") == (core, "amp_conf/htdocs/x")


# --------------------------------------------------------------------------------------------------
# Local tags


def tag(
    path: str, sha256: str, *, version: int | None = 2, type_: str | None = "local"
) -> Manifest:
    return Manifest(
        kind="module",
        config=(),
        entries=(ManifestEntry(path=path, sha256=sha256, line=12),),
        version=version,
        type=type_,
        expiresafter=None,
    )


@pytest.mark.parametrize(
    ("version", "type_", "want"),
    [(2, "local", True), (3, "local", True), (1, "local", False), (None, "local", False),
     (2, "public", False), (2, None, False)],
)  # fmt: skip
def test_is_local_tag(version: int | None, type_: str | None, want: bool) -> None:
    assert is_local_tag(tag("x.sig", H, version=version, type_=type_)) is want


class Secure:
    """A secure directory holding ``core.sig``, and a judge that says what it is told."""

    def __init__(self, base: Path, data: bytes = b"signed core.sig") -> None:
        self.dir = base / "secure"
        self.dir.mkdir()
        self.file = self.dir / "core.sig"
        self.file.write_bytes(data)
        self.layout = FreePBXLayout(webroot=base, secure_dir=self.dir, secure_owner=os.geteuid())
        self.tag = tag("core.sig", hashlib.sha256(data).hexdigest())
        self.verdict = SignatureVerdict(status=Status.GOOD | Status.TRUSTED, use_manifest=True)
        self.text: list[bytes] | None = [BODY[:20], BODY[20:]]
        self.judged: list[bytes] = []

    def judge(self, data: bytes) -> tuple[SignatureVerdict, list[bytes] | None]:
        self.judged.append(data)
        return self.verdict, self.text


def test_local_manifest_is_the_secure_copy(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    got = local_manifest(s.tag, s.layout, s.judge)
    assert got == parse(BODY)
    assert s.judged == [b"signed core.sig"]


def test_local_manifest_needs_the_preset() -> None:
    got = local_manifest(tag("core.sig", H), None, lambda _d: (malformed("x", "x"), None))
    assert got == "local signature (type=local) needs the FreePBX preset's secure directory"


def test_local_tag_must_list_one_file(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    two = Manifest(
        kind="module",
        config=(),
        entries=(*s.tag.entries, ManifestEntry(path="b.sig", sha256=H, line=13)),
        version=2,
        type="local",
        expiresafter=None,
    )
    assert (
        local_manifest(two, s.layout, s.judge) == "local signature tag must list exactly one file"
    )
    assert s.judged == []


def test_local_secure_file_absent(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    got = local_manifest(tag("other.sig", H), s.layout, s.judge)
    assert isinstance(got, str) and got.startswith(
        f"secure signature {s.dir / 'other.sig'} unavailable"
    )


def test_local_secure_file_must_not_be_a_link(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    (s.dir / "link.sig").symlink_to(s.file)
    got = local_manifest(tag("link.sig", s.tag.entries[0].sha256), s.layout, s.judge)
    assert got == (
        f"secure signature {s.dir / 'link.sig'} or its directory is a symbolic link or not a file"
    )
    assert s.judged == []


def test_local_secure_dir_must_not_be_a_link(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    (tmp_path / "linked").symlink_to(s.dir)
    layout = FreePBXLayout(webroot=tmp_path, secure_dir=tmp_path / "linked", secure_owner=None)
    got = local_manifest(s.tag, layout, s.judge)
    assert isinstance(got, str) and "is a symbolic link or not a file" in got


def test_local_secure_file_owner(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    layout = FreePBXLayout(webroot=tmp_path, secure_dir=s.dir, secure_owner=os.geteuid() + 1)
    got = local_manifest(s.tag, layout, s.judge)
    assert got == (
        f"secure signature {s.file} or its directory is not owned by uid {os.geteuid() + 1}"
    )
    assert s.judged == []


def test_local_secure_file_must_match_its_tag(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    got = local_manifest(tag("core.sig", H), s.layout, s.judge)
    assert got == f"secure signature {s.file} does not match its tag"
    assert s.judged == []


@pytest.mark.parametrize(
    ("verdict", "why"),
    [
        (malformed("malformed module.sig: bad", "bad"), "module.sig check failed! malformed module.sig: bad"),
        (SignatureVerdict(status=Status.INVALID, use_manifest=True), "not trusted"),
        (SignatureVerdict(status=Status.GOOD, use_manifest=True), "not trusted"),
    ],
)  # fmt: skip
def test_local_secure_copy_must_be_good_and_trusted(
    tmp_path: Path, verdict: SignatureVerdict, why: str
) -> None:
    s = Secure(tmp_path)
    s.verdict = verdict
    assert local_manifest(s.tag, s.layout, s.judge) == f"secure signature {s.file}: {why}"


def test_local_secure_copy_must_be_a_manifest(tmp_path: Path) -> None:
    s = Secure(tmp_path)
    s.text = [b"[config]\nversion=2\n"]
    got = local_manifest(s.tag, s.layout, s.judge)
    assert got == (
        f"secure signature {s.file}: malformed manifest: no [hashes] section: nothing would be checked"
    )
