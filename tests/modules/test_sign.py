"""``pgpsig sign`` end to end: the module.sig it writes is what FreePBX's sign.php would write.

Keys come from the session's gpg key factory (``keyfactory.py``). For generated module trees
(nested and deep directories, spaces, a leading ``-``, dot names, ``.htaccess``, an old
module.sig, a 3 MB file, ``foo/bar`` next to ``foo.php``, non-ASCII names), the test checks:

* the signed text between the frame lines equals the test's own rendering of the sign.php rules
  (``keyfactory.signphp_body``/``signphp_hashes``), ``signedwith`` normalised;
* gpgv verifies the file, and PHP's ``parse_ini_string`` of gpgv's output gives the same hashes
  (what FreePBX does);
* ``pgpsig check`` finds the module good;
* ``--exclude``, passphrases (file, environment, none, wrong), links leaving the module, the
  atomic write, and refusal of expired and revoked keys.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import keyfactory
from keyfactory import PASSPHRASE, Factory, signphp_body, signphp_hashes, write_tree

pytestmark = pytest.mark.oracle

Run = Callable[..., subprocess.CompletedProcess[bytes]]
Oracle = Callable[[str], str]

BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----\n"
SIG = b"\n-----BEGIN PGP SIGNATURE-----\n"


@pytest.fixture(scope="session")
def kf(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    return keyfactory.factory(tmp_path_factory)


def _big() -> bytes:
    """3 MiB of deterministic, incompressible-looking data."""
    import hashlib

    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2048))
    return (block * 48)[: 3 * 1024 * 1024]


TREE: dict[str, bytes] = {
    "module.xml": b"<module><rawname>sample</rawname></module>\n",
    "Api.class.php": b"<?php class Api {}\n",
    "LICENSE": b"GPLv3+\n",
    "B.php": b"upper case sorts first\n",
    "a.php": b"lower case sorts after\n",
    "foo.php": b"foo.php\n",
    "foo-bar.php": b"foo-bar.php\n",
    "foo/bar": b"foo/bar: component order puts it before foo.php\n",
    "foo/bar.php": b"foo/bar.php\n",
    "-dash.php": b"a name starting with a dash is dash-escaped by the frame\n",
    "sub/-x.js": b"nested dash\n",
    "From here.txt": b"a line starting with 'From ' in the manifest\n",
    "with space/file name.php": b"spaces\n",
    "tools/sample bulk extension output.csv": b"a,b\n",
    "\u00fcn\u00efc\u00f6d\u00e9.php": b"non-ASCII name\n",
    "empty.txt": b"",
    "big.bin": b"",  # replaced by 3 MiB below
    "deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/leaf.txt": b"deep\n",
    "sub/module.sig": b"only the top-level module.sig is left out\n",
    "module.sig": b"an old module.sig, replaced and never listed\n",
    "i18n/de_DE/LC_MESSAGES/sample.po": b'msgid "x"\n',
    "assets/less/cache/lessphp_1.list": b"generated\n",
    "assets/js/app.js": b"app();\n",
    # Dot names: skipped at every depth by sign.php.
    ".htaccess": b"Deny from all\n",
    ".gitignore": b"*.swp\n",
    ".git/config": b"[core]\n",
    "assets/.hidden/x.js": b"hidden\n",
    "assets/js/.keep": b"",
    "deep/1/.cache/y": b"hidden\n",
}


def make_tree(kf: Factory, name: str = "sample") -> Path:
    mod = write_tree(kf.scratch(name) / name, {**TREE, "big.bin": _big()})
    assert (mod / "big.bin").stat().st_size == 3 * 1024 * 1024
    return mod


def frame_body(signed: bytes) -> tuple[str, bytes]:
    """(Hash header value, dash-unescaped signed text + final LF) of a clear-signed file."""
    assert signed.startswith(BEGIN), signed[:80]
    head, sep, rest = signed[len(BEGIN) :].partition(b"\n\n")
    assert sep, "no blank line after the armor headers"
    m = re.fullmatch(rb"Hash: ([A-Z0-9]+)", head)
    assert m, head
    text, sep, _ = rest.partition(SIG)
    assert sep, "no signature armor"
    lines = text.split(b"\n")
    for ln in lines:
        if ln.startswith(b"-"):
            assert ln.startswith(b"- "), f"unescaped dash line {ln!r}"
    return m.group(1).decode(), b"\n".join(
        ln[2:] if ln.startswith(b"- ") else ln for ln in lines
    ) + b"\n"


def normalise(text: bytes) -> bytes:
    return re.sub(rb"(?m)^signedwith=.*$", b"signedwith=X", text)


def sign(
    pgpsig: Run,
    mod: Path,
    key: Path,
    *args: str | Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return pgpsig("sign", mod, "--key", key, *args, env=env)


def one_line_error(r: subprocess.CompletedProcess[bytes]) -> str:
    err = r.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pgpsig: "), err
    return lines[0]


def gpgv_text(oracle: Oracle, cert_bin: Path, sig: Path) -> bytes:
    r = subprocess.run(
        [oracle("gpgv"), "--keyring", str(cert_bin), "--output", "-", str(sig)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def php_ini(oracle: Oracle, text: bytes) -> dict[str, Any]:
    code = "echo json_encode(parse_ini_string(stream_get_contents(STDIN), true));"
    r = subprocess.run(
        [oracle("php"), "-r", code], input=text, capture_output=True, check=False, timeout=60
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    out = json.loads(r.stdout)
    assert isinstance(out, dict), out
    return out


def check_json(pgpsig: Run, kf: Factory, mod: Path) -> dict[str, Any]:
    r = pgpsig("check", mod, "--keyring", kf.keyring, "--trust-root", kf.root.fpr, "--json")
    doc = json.loads(r.stdout)
    assert len(doc["modules"]) == 1
    return doc["modules"][0]


# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["dev", "devrsa"])
def test_sign_matches_signphp_and_verifies_in_gpgv_and_php(
    pgpsig: Run, kf: Factory, oracle: Oracle, label: str
) -> None:
    mod = make_tree(kf)
    expected = signphp_hashes(mod)
    # The walk of the test itself: dot names and the top module.sig out, order by component.
    assert "module.sig" not in expected and "sub/module.sig" in expected
    assert not any(p.startswith(".") or "/." in p for p in expected)
    order = list(expected)
    # scandir of the top: "foo" < "foo-bar.php" < "foo.php", and foo/ is walked where it sorts
    # (a plain string sort would give foo-bar.php, foo.php, foo/bar).
    assert order.index("foo/bar") < order.index("foo/bar.php") < order.index("foo-bar.php")
    assert order.index("foo-bar.php") < order.index("foo.php")
    assert order.index("B.php") < order.index("a.php")

    r = sign(pgpsig, mod, kf[label].secret, "--json")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    info = json.loads(r.stdout)
    assert info["files"] == len(expected)
    assert info["primary"] == kf[label].fpr

    signed = (mod / "module.sig").read_bytes()
    assert b"\r" not in signed
    hash_header, text = frame_body(signed)
    assert hash_header == info["hash_algorithm"]
    assert hash_header in ("SHA256", "SHA384", "SHA512")
    want = signphp_body(expected)
    assert normalise(text) == normalise(want)
    m = re.search(rb"(?m)^signedwith=(.+)$", text)
    assert m and m.group(1).strip(), "signedwith is empty"
    assert b"\n- -dash.php = " in signed  # dash-escaped in the frame

    # gpgv verifies it and prints the same text.
    out = gpgv_text(oracle, kf[label].cert_bin, mod / "module.sig")
    assert normalise(out) == normalise(want)

    # FreePBX reads gpg's output with parse_ini_string($text, true).
    ini = php_ini(oracle, out)
    assert ini["hashes"] == expected
    assert ini["config"]["version"] == "2"
    assert ini["config"]["hash"] == "sha256"
    assert ini["config"]["signedby"] == "sign.php"
    assert ini["config"]["repo"] == "manual"
    assert ini["config"]["type"] == "public"

    # And pgpsig check finds it good, every file checked.
    m2 = check_json(pgpsig, kf, mod)
    assert m2["status"] == 129, m2
    assert m2["files"]["checked"] == len(expected)
    # Only the dot-files sign.php never signs are present and not listed (reported since #14).
    assert sorted(m2["files"]["unlisted"]) == sorted(
        p for p in TREE if p.startswith(".") or "/." in p
    )


def test_sign_exclude_globs(pgpsig: Run, kf: Factory, oracle: Oracle) -> None:
    mod = make_tree(kf)
    globs = ["assets/less/cache/*", "*.po", "big.bin", "deep"]
    r = sign(pgpsig, mod, kf["dev"].secret, *[a for g in globs for a in ("--exclude", g)])
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    _, text = frame_body((mod / "module.sig").read_bytes())
    expected = signphp_hashes(mod, exclude=globs)
    for gone in (
        "assets/less/cache/lessphp_1.list",
        "i18n/de_DE/LC_MESSAGES/sample.po",
        "big.bin",
        "deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/leaf.txt",
    ):
        assert gone not in expected
        assert f"\n{gone} = ".encode() not in text
    assert "assets/js/app.js" in expected
    assert normalise(text) == normalise(signphp_body(expected))
    ini = php_ini(oracle, gpgv_text(oracle, kf["dev"].cert_bin, mod / "module.sig"))
    assert ini["hashes"] == expected


def test_sign_with_passphrase(
    pgpsig: Run, kf: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPSIG_PASSPHRASE", raising=False)
    key = kf["pp"].secret
    pwfile = tmp_path / "passphrase"
    pwfile.write_text(PASSPHRASE + "\n")

    mod = make_tree(kf)
    r = sign(pgpsig, mod, key, "--passphrase-file", pwfile)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert check_json(pgpsig, kf, mod)["status"] == 129

    mod = make_tree(kf)
    r = sign(pgpsig, mod, key, env={"PGPSIG_PASSPHRASE": PASSPHRASE})
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert check_json(pgpsig, kf, mod)["status"] == 129

    for args, env in (
        ((), None),
        (("--passphrase-file", tmp_path / "wrong"), None),
        ((), {"PGPSIG_PASSPHRASE": "wrong"}),
    ):
        (tmp_path / "wrong").write_text("wrong\n")
        mod = make_tree(kf)
        old = (mod / "module.sig").read_bytes()
        r = sign(pgpsig, mod, key, *args, env=env)
        assert r.returncode == 2, (args, r.stderr.decode(errors="replace"))
        one_line_error(r)
        assert (mod / "module.sig").read_bytes() == old


@pytest.mark.parametrize("kind", ["file", "dir", "relative"])
def test_sign_refuses_link_leaving_module(pgpsig: Run, kf: Factory, kind: str) -> None:
    base = kf.scratch("escape")
    outside = write_tree(base / "outside", {"secret.txt": b"outside\n"})
    mod = write_tree(base / "sample", {"module.xml": b"<module/>\n", "a.php": b"a\n"})
    if kind == "file":
        (mod / "ext.txt").symlink_to(outside / "secret.txt")
    elif kind == "dir":
        (mod / "ext").symlink_to(outside)
    else:
        (mod / "lib").mkdir()
        (mod / "lib" / "ext.txt").symlink_to("../../outside/secret.txt")
    before = sorted(os.listdir(mod))
    r = sign(pgpsig, mod, kf["dev"].secret)
    assert r.returncode == 2, r.stderr.decode(errors="replace")
    one_line_error(r)
    assert not (mod / "module.sig").exists()
    assert sorted(os.listdir(mod)) == before

    # An old module.sig is left as it was.
    (mod / "module.sig").write_bytes(b"old\n")
    r = sign(pgpsig, mod, kf["dev"].secret)
    assert r.returncode == 2
    assert (mod / "module.sig").read_bytes() == b"old\n"
    assert sorted(os.listdir(mod)) == sorted([*before, "module.sig"])


def test_sign_writes_atomically_with_mode_0644(pgpsig: Run, kf: Factory) -> None:
    mod = make_tree(kf)
    (mod / "module.sig").chmod(0o600)
    before = sorted(os.listdir(mod))
    r = sign(pgpsig, mod, kf["dev"].secret)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert sorted(os.listdir(mod)) == before  # no temporary file left behind
    st = (mod / "module.sig").stat()
    assert st.st_mode & 0o7777 == 0o644
    assert (mod / "module.sig").read_bytes().startswith(BEGIN)


@pytest.mark.parametrize("label", ["expired", "hardrev", "softrev"])
def test_sign_refuses_expired_or_revoked_key(pgpsig: Run, kf: Factory, label: str) -> None:
    mod = make_tree(kf)
    old = (mod / "module.sig").read_bytes()
    r = sign(pgpsig, mod, kf[label].secret)
    # A key that may not sign is a verification-class error in the CLI (exit 1).
    assert r.returncode == 1, r.stderr.decode(errors="replace")
    line = one_line_error(r)
    assert "expired" in line or "revoked" in line, line
    assert (mod / "module.sig").read_bytes() == old
    assert not [n for n in os.listdir(mod) if n.endswith(".tmp")]


# --------------------------------------------------------------------------------------------------
# Several modules in one process (``pgpsig sign MODULE... | --modules-dir DIR``)


def _fleet(kf: Factory, name: str) -> Path:
    base = kf.scratch(name)
    write_tree(base / "alpha", {**TREE})
    write_tree(base / "beta", {"module.xml": b"<module/>\n", "lib/x.php": b"x\n"})
    write_tree(base / "gamma", {"module.xml": b"<module>g</module>\n", "big.bin": _big()})
    return base


def test_sign_many_modules_in_one_pass(pgpsig: Run, kf: Factory, oracle: Oracle) -> None:
    """Each module.sig is what sign.php would write for that module alone, and checks good."""
    base = _fleet(kf, "fleet")
    r = pgpsig("sign", "--modules-dir", base, "--key", kf["dev"].secret, "--json")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    docs = json.loads(r.stdout)["modules"]
    assert [Path(d["path"]).parent.name for d in docs] == ["alpha", "beta", "gamma"]
    for d in docs:
        mod = Path(d["path"]).parent
        expected = signphp_hashes(mod)
        assert d["files"] == len(expected)
        _hash, text = frame_body((mod / "module.sig").read_bytes())
        assert normalise(text) == normalise(signphp_body(expected))
        out = gpgv_text(oracle, kf["dev"].cert_bin, mod / "module.sig")
        assert normalise(out) == normalise(signphp_body(expected))
    r = pgpsig(
        "check", "--modules-dir", base, "-k", kf.keyring, "--trust-root", kf.root.fpr, "--json"
    )
    assert r.returncode == 0, r.stdout.decode()
    assert [m["status"] for m in json.loads(r.stdout)["modules"]] == [129, 129, 129]

    # Named one by one: the same, and a human line per module.
    r = pgpsig("sign", base / "gamma", base / "alpha", "--key", kf["dev"].secret)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2
    assert "gamma" in lines[0] and "alpha" in lines[1]


@pytest.mark.parametrize("problem", ["dangling", "nested", "twice"])
def test_sign_many_modules_all_or_nothing(pgpsig: Run, kf: Factory, problem: str) -> None:
    """A module that cannot be signed (or a bad list of modules) stops the run; nothing written."""
    base = _fleet(kf, f"fleet-{problem}")
    for m in ("alpha", "beta", "gamma"):
        (base / m / "module.sig").write_bytes(b"old\n")
    args: list[str | Path] = [base / "alpha", base / "beta", base / "gamma"]
    if problem == "dangling":
        (base / "gamma" / "gone.php").symlink_to(base / "gamma" / "nowhere.php")
    elif problem == "nested":
        args.append(base / "beta" / "lib")
    else:
        args.append(Path(str(base / "alpha") + "/"))
    r = pgpsig("sign", *args, "--key", kf["dev"].secret)
    assert r.returncode == 2, r.stderr.decode(errors="replace")
    line = one_line_error(r)
    assert {"dangling": "dangling", "nested": "inside", "twice": "twice"}[problem] in line
    for m in ("alpha", "beta", "gamma"):
        assert (base / m / "module.sig").read_bytes() == b"old\n", m
        assert not [n for n in os.listdir(base / m) if n.endswith(".tmp")]


def test_sign_modules_dir_skips_dot_names_and_refuses_links(pgpsig: Run, kf: Factory) -> None:
    """--modules-dir never signs or writes outside DIR: a linked entry is refused, .git skipped."""
    base = _fleet(kf, "fleet-links")
    outside = write_tree(kf.scratch("fleet-outside") / "elsewhere", {"x.php": b"x\n"})
    write_tree(base / ".git", {"HEAD": b"ref: refs/heads/main\n"})
    r = pgpsig("sign", "--modules-dir", base, "--key", kf["dev"].secret, "--json")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    names = [Path(d["path"]).parent.name for d in json.loads(r.stdout)["modules"]]
    assert names == ["alpha", "beta", "gamma"]
    assert not (base / ".git" / "module.sig").exists()

    (base / "zz-link").symlink_to(outside)
    for m in ("alpha", "beta", "gamma"):
        (base / m / "module.sig").write_bytes(b"old\n")
    r = pgpsig("sign", "--modules-dir", base, "--key", kf["dev"].secret)
    assert r.returncode == 2
    assert "symbolic link" in one_line_error(r)
    assert not (outside / "module.sig").exists()
    assert all(
        (base / m / "module.sig").read_bytes() == b"old\n" for m in ("alpha", "beta", "gamma")
    )
