"""The fast paths of ``check``, ``verify`` and ``sign`` against typer, both derived from one declaration.

``pgpsig check``, ``verify`` and ``sign`` parse plain command lines without importing typer (which
imports pydantic: about half of a small check's time). Both parsers come from the commands' one
declaration (``pgpsig.cli.options``); these tests hold the derived fast path to typer: it knows each
option by the names and kinds typer gives it; on a matrix of command lines both give the command
the same arguments, and the same exit code and output; whatever the fast path does not take is
left to typer; and the fast path really imports neither typer nor pydantic.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from conftest import ROOT
from pgpsig.cli import app, options

EX = ROOT / "examples"
FAST = sorted(app.FAST_PATHS)


def _func(name: str) -> Any:
    (func,) = (c.func for c in app.commands() if c.group == "" and c.name == name)
    return func


def _kind(param: Any) -> str:
    """The fast path's kind of a click parameter, as typer built it."""
    annotation = param.type_descriptor.annotation
    if getattr(param, "is_flag", False):
        return "flag"
    if param.multiple or param.nargs == -1:
        return "paths" if "Path" in str(annotation) else "strs"
    return {Path: "path", int: "int", str: "str"}[annotation]


@pytest.mark.parametrize("name", FAST)
def test_fast_spec_is_what_typer_declares(name: str) -> None:
    """The fast path knows every option by each of typer's names, with typer's kind, and no more."""
    declared: dict[str, tuple[str, str]] = {}
    positional = None
    required = []
    group = typer.main.get_command(app.typer_apps()[""])
    for p in group.commands[name].params:  # type: ignore[attr-defined]
        if p.param_type_name == "argument":
            positional = (p.name, _kind(p), p.nargs == -1, p.required)
            continue
        assert not p.secondary_opts, f"{p.name}: a --no- form the fast path does not know"
        assert p.envvar is None, f"{p.name}: read from the environment, the fast path does not"
        declared.update(dict.fromkeys(p.opts, (p.name, _kind(p))))
        if p.required:
            required.append(p.name)
    spec = options.fast_spec(_func(name))
    assert spec is not None
    assert dict(spec.options) == declared
    assert spec.positional == positional
    assert list(spec.required) == required


def _typer_kwargs(name: str, argv: list[str]) -> dict[str, Any]:
    """What typer passes the command for ``pgpsig NAME ARGV...`` (the command itself not run)."""
    got: dict[str, Any] = {}
    cli = typer.Typer()
    cli.command(name)(options.typer_command(_func(name), call=got.update))
    cli.command("other")(lambda: None)
    rv = cli(args=[name, *argv], standalone_mode=False)
    assert rv in (None, 0), rv
    return got


def _fast_kwargs(name: str, argv: list[str]) -> dict[str, Any]:
    parsed = app.fast_command([name, *argv])
    assert parsed is not None, argv
    func, kwargs = parsed
    assert func is _func(name)
    defaults = {
        k: p.default
        for k, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return defaults | kwargs


PARSED = [
    ("sign", ["m", "--key", "k.asc"]),
    ("sign", ["--key=k", "m1", "m2", "--exclude", "a/*", "--exclude=*.po", "--hash", "sha512"]),
    ("sign", ["--modules-dir", "mods", "--key", "k", "--passphrase-file", "p", "--json"]),
    ("sign", ["m", "--key", "k", "--passphrase-env", "PW", "--policy", "freepbx-legacy"]),
    ("verify", ["f.asc"]),
    ("verify", ["-"]),
    ("verify", ["f.asc", "--keyring", "a.asc", "-k", "b", "--keyring=c d"]),
    ("verify", ["data", "-s", "data.sig", "-k", "-", "--json"]),
    ("verify", ["--json", "--policy", "freepbx-legacy", "f", "--at", "2025-01-01T00:00:00Z"]),
    ("verify", ["f", "-n", "2"]),
    ("verify", ["f", "--min-signatures=03", "-o", "out.txt"]),
    ("verify", ["--", "-f"]),
    ("verify", ["f", "--output=", "--policy="]),
    ("check", []),
    ("check", ["m1", "m2", "--keyring", "k1", "--trust-root", "ABCD", "--trust-root=r.asc"]),
    ("check", ["--modules-dir", "mods", "-k", "ring", "--strict", "--json"]),
    ("check", ["--freepbx-webroot", "/var/www/html", "--freepbx-path", "AMPBIN=/x"]),
    ("check", ["m", "--freepbx-secure-dir", "sec", "--freepbx-path=A=B", "--at", "2020-01-01"]),
    ("check", ["--", "--not-an-option", "m"]),
    ("check", ["m", "--policy", "default", "-k", "a", "-k", "b", "x"]),
    ("check", ["m", "-v", "--progress", "--no-unlisted"]),
    ("check", ["--modules-dir", "mods", "--verbose", "--strict", "--no-unlisted", "--json"]),
]


@pytest.mark.parametrize(("name", "argv"), PARSED)
def test_fast_parse_equals_typer(name: str, argv: list[str]) -> None:
    assert _fast_kwargs(name, argv) == _typer_kwargs(name, argv)


LEFT_TO_TYPER = [
    ["sign", "m"],
    ["sign", "m", "--key"],
    ["sign", "m", "--key", "a", "--key", "b"],
    ["sign", "--help"],
    [],
    ["key", "list"],
    ["verify"],
    ["verify", "a", "b"],
    ["verify", "--help"],
    ["verify", "f", "-h"],
    ["verify", "f", "--bogus"],
    ["verify", "f", "--keyring"],
    ["verify", "f", "--keyring", "--json"],
    ["verify", "f", "-kfile"],
    ["verify", "f", "-k=file"],
    ["verify", "f", "-n", "x"],
    ["verify", "f", "-n", "-1"],
    ["verify", "f", "--json=1"],
    ["verify", "f", "--policy", "a", "--policy", "b"],
    ["verify", "f", "--sig", "s"],
    ["check", "--help"],
    ["check", "m", "--strict=yes"],
    ["check", "m", "--trust-root"],
    ["check", "-x"],
]


@pytest.mark.parametrize("argv", LEFT_TO_TYPER)
def test_left_to_typer(argv: list[str]) -> None:
    assert app.fast_command(argv) is None


def _both_ways(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) through the fast path, then through typer."""
    assert app.fast_command(argv) is not None
    seen = []
    for fast in (True, False):
        code = app.dispatch(argv, fast=fast)
        out, err = capsys.readouterr()
        seen.append((code, re.sub(r'"created": "[^"]*"', "", out), err))
    return seen


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", str(EX / "hello.txt.asc"), "--keyring", str(EX / "example-dev.asc")],
        ["verify", str(EX / "hello.txt.asc"), "-k", str(EX / "example-master.asc"), "--json"],
        ["verify", str(EX / "hello.txt.asc"), "-k", str(EX / "example-dev.asc"), "-n", "2"],
        ["verify", str(EX / "hello.txt.asc"), "--at", "not a time"],
        ["verify", str(EX / "missing.asc"), "-k", str(EX / "example-dev.asc")],
        ["check", str(EX / "module"), "-k", str(EX / "example-dev.asc"), "--json"],
        ["check", str(EX / "module"), "--trust-root", str(EX / "example-master.asc")],
        ["check", "--modules-dir", str(EX / "nothing-here")],
        ["check", str(EX / "module"), "-k", str(EX / "example-dev.asc"), "-v", "--progress"],
        ["check", str(EX / "module"), "--strict", "--no-unlisted"],
    ],
)
def test_same_outcome_both_ways(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Exit code, stdout and stderr are the same through the fast path and through typer."""
    monkeypatch.setenv("PGPSIG_HOME", str(tmp_path / "home"))
    fast, slow = _both_ways(argv, capsys)
    assert fast == slow
    assert fast[0] in (0, 1, 2)


@pytest.mark.parametrize(
    ("extra", "module", "code"),
    [
        ([], "m", 0),
        (["--json"], "m", 0),
        (["--hash", "sha256", "--exclude", "*.txt"], "m", 0),
        (["--hash", "md5"], "m", 2),
        ([], "nothing-here", 2),
    ],
)
def test_sign_same_outcome_both_ways(
    extra: list[str],
    module: str,
    code: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PGPSIG_HOME", str(tmp_path / "home"))
    shutil.copytree(EX / "module", tmp_path / "m")
    argv = ["sign", str(tmp_path / module), "--key", str(EX / "example-dev.sec.asc"), *extra]
    fast, slow = _both_ways(argv, capsys)
    assert fast == slow
    assert fast[0] == code


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sign", "{m}", "--key", "{key}", "--hash", "md5"],
            "--hash md5: use sha256, sha384 or sha512",
        ),
        (["verify", "{m}"], "{m} is a directory, not a file"),
        (["check", "{tmp}/nosuch"], "{tmp}/nosuch: no such directory"),
        (["check", "--modules-dir", "{key}"], "{key} is a file, not a directory"),
    ],
)
def test_errors_say_what_is_wrong(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    """One line on stderr that names the problem (not an internal error), exit 2, both ways."""
    monkeypatch.setenv("PGPSIG_HOME", str(tmp_path / "home"))
    shutil.copytree(EX / "module", tmp_path / "m")
    values = {
        "m": str(tmp_path / "m"),
        "key": str(EX / "example-dev.sec.asc"),
        "tmp": str(tmp_path),
    }
    fast, slow = _both_ways([a.format(**values) for a in argv], capsys)
    assert fast == slow
    code, _out, err = fast
    assert code == 2
    assert err == f"pgpsig: {message.format(**values)}\n"


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["sign", "{m}", "--key", "{key}", "--hash", "md5", "--json"], "usage"),
        (["check", "{tmp}/nosuch", "--json"], "input"),
        (["verify", "{m}/module.xml", "--json"], "format"),
        (["check", "{m}", "--json", "--no-such-option"], "usage"),
    ],
)
def test_json_errors_are_one_document_on_stdout(
    argv: list[str], kind: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    """With --json, a command that fails before its report prints {"error": {kind, message}} on
    stdout, as well as its one line on stderr; exit 2."""
    monkeypatch.setenv("PGPSIG_HOME", str(tmp_path / "home"))
    shutil.copytree(EX / "module", tmp_path / "m")
    (tmp_path / "m" / "module.xml").write_text("<module/>")
    values = {
        "m": str(tmp_path / "m"),
        "key": str(EX / "example-dev.sec.asc"),
        "tmp": str(tmp_path),
    }
    args = [a.format(**values) for a in argv]
    for fast in (True, False):
        code = app.dispatch(args, fast=fast)
        out, err = capsys.readouterr()
        assert code == 2, err
        doc = json.loads(out)
        assert list(doc) == ["error"] and doc["error"]["kind"] == kind, doc
        assert doc["error"]["message"] and doc["error"]["message"] in err, (doc, err)
    # Without --json: nothing on stdout.
    code = app.dispatch([a for a in args if a != "--json"], fast=False)
    assert capsys.readouterr().out == ""


def test_fast_path_imports_no_typer(tmp_path: Path) -> None:
    """A plain check, verify or sign runs without importing typer, pydantic, click or rich."""
    script = (
        "import json, sys\n"
        "from pgpsig.cli import app\n"
        "code = app.dispatch(sys.argv[1:])\n"
        "loaded = sorted(m for m in ('typer', 'pydantic', 'rich', 'click') if m in sys.modules)\n"
        "print(json.dumps([code, loaded]))\n"
    )
    for argv in (
        ["check", str(EX / "module"), "-k", str(EX / "example-dev.asc")],
        ["verify", str(EX / "hello.txt.asc"), "-k", str(EX / "example-dev.asc")],
        ["sign", str(tmp_path / "nothing-here"), "--key", str(EX / "example-dev.sec.asc")],
    ):
        r = subprocess.run(
            [sys.executable, "-c", script, *argv],
            capture_output=True,
            env={"PGPSIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
            check=True,
        )
        code, loaded = json.loads(r.stdout.splitlines()[-1])
        assert loaded == [], r.stdout
        assert code == {"check": 1, "verify": 0, "sign": 2}[argv[0]], r  # check: no root given
    # and the same script does load typer for a command line the fast path leaves to it
    r = subprocess.run(
        [sys.executable, "-c", script, "key", "list", "--keyring", str(EX / "example-dev.asc")],
        capture_output=True,
        env={"PGPSIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert "typer" in json.loads(r.stdout.splitlines()[-1])[1]


def test_numbers_too_long_for_int_are_left_to_typer() -> None:
    """Python refuses int() of more than 4,300 digits: typer then says so, exit 2, no traceback."""
    argv = ["verify", "f.asc", "-n", "1" * 5000]
    assert app.fast_command(argv) is None
    assert app.fast_command(["verify", "f.asc", "-n", "1" * 10]) is None
    assert app.fast_command(["verify", "f.asc", "-n", "123456789"]) is not None


def test_unreadable_paths_are_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    """click's Path(readable=True) refuses an existing path it may not read: so does the fast path."""
    here = str(EX / "hello.txt.asc")
    assert app.fast_command(["verify", here, "-k", here]) is not None
    monkeypatch.setattr(options.os, "access", lambda path, mode: str(path) != here)
    assert app.fast_command(["verify", here]) is None
    assert app.fast_command(["verify", "other.asc", "-k", here]) is None
    assert app.fast_command(["check", here]) is None
    assert app.fast_command(["verify", "missing.asc", "-o", "missing.txt"]) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["check", str(EX / "module"), "-k", str(EX / "example-dev.asc"), "--json", "--trust-root",
         str(EX / "example-master.asc")],
        ["key", "list", "--keyring", str(EX / "example-dev.asc")],
    ],
)  # fmt: skip
def test_broken_pipe_on_stdout(argv: list[str], tmp_path: Path) -> None:
    """The reader of stdout gone: exit 1 quietly, never 0, fast path or typer alike."""
    p = subprocess.Popen(
        [sys.executable, "-m", "pgpsig", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PGPSIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=60) == 1
    assert err == b"", err


def test_every_command_is_declared_once() -> None:
    """Each parameter of every command (and of the root) is one Opt or Arg, of a kind typer knows."""
    names = [(c.group, c.name) for c in app.commands()]
    assert len(names) == len(set(names))
    for c in app.commands():
        for p in options.params(c.func):
            assert p.kind != "context" or (c.group, c.name) == ("", "sop"), (c.name, p.name)


def test_completion_values_come_from_the_library() -> None:
    """``--policy`` and ``--reason`` complete to the library's own names (read when asked)."""
    from pgpsig.keys import REVOCATION_REASONS
    from pgpsig.policy import PROFILES

    group = typer.main.get_command(app.typer_apps()[""])
    ctx = group.make_context("pgpsig", ["verify", "f"], resilient_parsing=True)
    verify = group.commands["verify"]  # type: ignore[attr-defined]
    policy = next(p for p in verify.params if p.name == "policy")
    assert [c.value for c in policy.shell_complete(ctx, "")] == list(PROFILES)
    assert [c.value for c in policy.shell_complete(ctx, "freepbx")] == ["freepbx-legacy"]
    key = group.commands["key"]  # type: ignore[attr-defined]
    reason = next(p for p in key.commands["revoke"].params if p.name == "reason")
    assert [c.value for c in reason.shell_complete(ctx, "")] == list(REVOCATION_REASONS)
