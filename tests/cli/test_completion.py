"""Choices in ``--help`` and in shell completion.

Every option with a fixed set of values (``--policy``, ``--reason``, ``--hash``, ``--algorithm``,
``--profile``...) lists them in its command's ``--help`` and completes them, both from the library's
own collection, read only when shown or asked for. ``pgpsig completion SHELL`` prints SHELL's
script: each is loaded in its shell (bash, zsh, fish; skipped where the shell is not installed,
failed in CI), whose completion is run on partial command lines against the ``pgpsig`` under test.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pgpsig
from conftest import IN_CI, run_pgpsig
from pgpsig.cli import app, completion, options

#: The words before a command's name, by its group.
_PREFIX = {"": (), "key": ("key",), "trust-root": ("key", "trust-root"), "sop": ("sop",)}


def _with_choices() -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(command words, parameter, choices) of every declared parameter with choices."""
    found = []
    for c in app.commands():
        for p in options.params(c.func):
            if p.decl is not None and p.decl.complete:
                found.append(
                    ((*_PREFIX[c.group], c.name), p.name, options.choices(p.decl.complete))
                )
    return found


def _help(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    """The ``--help`` of a command, its table borders and line breaks made single spaces."""
    assert app.dispatch([*words, "--help"]) == 0
    out = capsys.readouterr().out
    return " ".join(out.replace("│", " ").split())


def test_the_library_names_the_choices() -> None:
    """The options the issue names take their values from where the library defines them."""
    from pgpsig import sop
    from pgpsig.keys.certifying import REVOCATION_REASONS
    from pgpsig.keys.generate import ALGORITHMS, PROFILES
    from pgpsig.modules.sign import SIGN_HASHES
    from pgpsig.policy import PROFILES as POLICIES

    found = {(" ".join(words), name): values for words, name, values in _with_choices()}
    assert found[("sign", "hash_name")] == tuple(h.lower() for h in SIGN_HASHES)
    assert found[("key revoke", "reason")] == tuple(REVOCATION_REASONS)
    assert found[("key revoke-certification", "reason")] == tuple(REVOCATION_REASONS)
    assert found[("key generate", "algorithm")] == tuple(ALGORITHMS)
    assert found[("key generate", "profile")] == PROFILES
    for words in ("check", "verify", "sign", "key certify"):
        assert found[(words, "policy")] == tuple(POLICIES), words
    assert found[("sop generate-key", "profile")] == tuple(sop.PROFILES)
    assert found[("sop sign", "as_")] == sop.SIGN_AS
    assert found[("sop inline-sign", "as_")] == sop.INLINE_SIGN_AS
    assert found[("sop armor", "label")] == sop.ARMOR_LABELS


@pytest.mark.parametrize(
    ("words", "name", "values"),
    _with_choices(),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else v,
)
def test_help_lists_the_choices(
    words: tuple[str, ...],
    name: str,
    values: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert f"Choices: {', '.join(values)}." in _help(words, capsys)


def test_help_of_a_command_without_choices_lists_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert "Choices:" not in _help(("key", "export"), capsys)


def test_choices_are_read_only_when_shown() -> None:
    """Building the commands imports none of the modules that hold the choices.

    (Only the bottom layer's errors and value classes, which cli/ uses itself.)
    """
    code = (
        "import sys, typer.main; from pgpsig.cli import app; "
        "typer.main.get_command(app.typer_apps()['']); "
        "print(sorted(m for m in sys.modules if m.startswith('pgpsig.') "
        "and not m.startswith(('pgpsig.cli', 'pgpsig.errors', 'pgpsig._dataclass'))))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert r.stdout.strip() == "[]", r.stdout


def test_completion_callback_filters_by_prefix() -> None:
    complete = options._completion("pgpsig.modules.sign:SIGN_HASHES")
    assert complete("") == ["sha256", "sha384", "sha512"]
    assert complete("sha5") == ["sha512"]
    assert complete("SHA") == []
    assert options.choices(("A", "b")) == ("a", "b")


# --------------------------------------------------------------------------------------------------
# `pgpsig completion SHELL`, its scripts run by their shells


def test_completion_prints_each_shells_script() -> None:
    """Each script is its shell's, and calls back with that shell's instruction."""
    for shell in completion.SHELLS:
        r = run_pgpsig("completion", shell)
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        assert out == completion.script(shell)
        assert f"_PGPSIG_COMPLETE=complete_{shell}" in out
        for other in set(completion.SHELLS) - {shell}:
            assert f"complete_{other}" not in out
    assert "complete -o default -F _pgpsig_completion pgpsig" in completion.script("bash")
    assert completion.script("zsh").startswith("#compdef pgpsig\n")
    assert completion.script("fish").startswith("complete --command pgpsig ")


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    r = run_pgpsig("completion", "tcsh")
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr == b"pgpsig: completion: unknown shell 'tcsh' (use bash, zsh, fish)\n"


def test_typers_own_completion_options_are_gone() -> None:
    """typer's --show-completion printed bash whatever shell it was given: it is not offered."""
    r = run_pgpsig("--show-completion", "zsh")
    assert r.returncode == 2
    assert b"No such option" in r.stderr
    assert b"-completion" not in run_pgpsig("--help").stdout


def _shell(name: str) -> str:
    """The shell's path; missing, the test is skipped (failed in CI: scripts/setup installs it)."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed, so its completion script cannot be run"
        if IN_CI:
            pytest.fail(f"{msg}; CI must install it (scripts/setup)")
        pytest.skip(f"{msg} (apt-get install {name})")
    return path


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose ``pgpsig`` is the one under test, in an empty home holding one file.

    ``pgpsig`` runs ``python -m pgpsig`` from this source tree. The home (the working directory
    of the shells) holds ``module.zip``: the file name a shell offers where pgpsig offers nothing.
    """
    root = tmp_path_factory.mktemp("shells")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    src = Path(pgpsig.__file__).resolve().parent.parent
    wrapper = bin_dir / "pgpsig"
    wrapper.write_text(
        f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(src))}${{PYTHONPATH:+:$PYTHONPATH}} "
        f'exec {shlex.quote(sys.executable)} -m pgpsig "$@"\n'
    )
    wrapper.chmod(0o755)
    home = root / "home"
    home.mkdir()
    (home / "module.zip").write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_PGPSIG", "_TYPER", "COMP"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PGPSIG_HOME=str(home / "store"),
    )
    return env


def _run(argv: list[str], env: dict[str, str]) -> str:
    r = subprocess.run(
        argv, env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=300, check=False
    )
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout


def _script_file(shell: str, env: dict[str, str], path: Path) -> Path:
    """``pgpsig completion SHELL`` (the ``pgpsig`` of ``env``) written to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_run(["pgpsig", "completion", shell], env))
    return path


#: Command lines, ending where TAB is pressed, and what pgpsig offers there.
CASES = [
    ("pgpsig check --policy ", options.choices("pgpsig.policy:PROFILES")),
    (
        "pgpsig key revoke KEY --reason ",
        options.choices("pgpsig.keys.certifying:REVOCATION_REASONS"),
    ),
    ("pgpsig sign --hash ", ("sha256", "sha384", "sha512")),
    ("pgpsig sign --hash sha5", ("sha512",)),
    ("pgpsig key generate --algorithm ", options.choices("pgpsig.keys.generate:ALGORITHMS")),
    ("pgpsig completion ", ("bash", "zsh", "fish")),
    ("pgpsig ke", ("key",)),
    ("pgpsig key revoke KEY --rea", ("--reason",)),
    ("pgpsig sop sign --as ", options.choices("pgpsig.sop:SIGN_AS")),
]
#: A file argument, where pgpsig offers nothing: the shell offers file names.
FILES = ("pgpsig check mod", ("module.zip",))
#: The lines tried when the script is loaded the other way (autoloaded): the loading is tested.
LOADED = [CASES[0], FILES]


def test_cases_hold_the_issues_options() -> None:
    """The cases hold the choices of the options issue 15 names."""
    assert "freepbx-legacy" in CASES[0][1]
    assert "compromised" in CASES[1][1]
    assert "rsa4096" in CASES[4][1]


def _ids(cases: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    return [line for line, _ in cases]


# bash: the script sourced, its function called as bash calls it (COMP_WORDS, COMP_CWORD), once
# per line (each after a line "@@"); COMPREPLY printed. The function is the one `complete -F`
# registered for pgpsig, whose options are printed first.
_BASH = r"""
source "$1"
shift
spec=$(complete -p pgpsig) || exit 3
echo "$spec"
func=${spec##* -F }; func=${func%% *}
for line in "$@"; do
  eval "COMP_WORDS=($line)"
  [[ $line == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  "$func" pgpsig "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo @@
  if (( ${#COMPREPLY[@]} )); then printf '%s\n' "${COMPREPLY[@]}"; fi
done
"""


def _answers(out: str) -> list[list[str]]:
    """The lines after each line ``@@`` of ``out``, up to the next."""
    answers: list[list[str]] = []
    for line in out.splitlines():
        if line == "@@":
            answers.append([])
        elif answers:
            answers[-1].append(line)
    return answers


@pytest.fixture(scope="module")
def bash_results(
    shell_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, list[str]]]:
    """(the ``complete`` spec of pgpsig, COMPREPLY by line)."""
    bash = _shell("bash")
    script = _script_file("bash", shell_env, tmp_path_factory.mktemp("bash") / "pgpsig.bash")
    lines = _ids([*CASES, FILES])
    out = _run([bash, "--norc", "--noprofile", "-c", _BASH, "bash", str(script), *lines], shell_env)
    spec, _, rest = out.partition("\n")
    return spec, dict(zip(lines, _answers(rest), strict=True))


@pytest.mark.parametrize(("line", "expected"), CASES, ids=_ids(CASES))
def test_bash_completes(
    line: str, expected: tuple[str, ...], bash_results: tuple[str, dict[str, list[str]]]
) -> None:
    assert bash_results[1][line] == list(expected)


def test_bash_leaves_file_names_to_bash(bash_results: tuple[str, dict[str, list[str]]]) -> None:
    """Where pgpsig offers nothing, the function offers nothing: bash completes file names."""
    spec, found = bash_results
    assert spec.split()[:3] == ["complete", "-o", "default"], spec
    assert found[FILES[0]] == []


# zsh: an interactive zsh in a pseudo-terminal (zpty) for each line (argument 2 on): it is set up
# (argument 1), the line typed with TAB; what the terminal showed is printed after a line "@@".
# The set-up wraps compadd to print every match the completion system adds (a line "HIT:value")
# and ends the shell after the completion ("CAPTURE-END").
_ZSH_DRIVER = r"""
zmodload zsh/zpty zsh/zselect
setup=$1
shift
for line in "$@"; do
  zpty z zsh -f -i
  zpty -w z "source ${(q)setup}"
  zpty -n -w z "$line"$'\t'
  out=
  integer deadline=$(( SECONDS + 60 ))
  while (( SECONDS < deadline )); do
    if zpty -r -t z chunk; then
      out+=$chunk
      [[ $out == *CAPTURE-END* ]] && break
    else
      zselect -t 5
    fi
  done
  zpty -d z
  print -r -- @@
  print -r -- $out
done
"""
#: The set-up: the script sourced after compinit, or autoloaded by it from a directory of $fpath.
_ZSH_SETUP = r"""
PS1= PROMPT= RPROMPT=
[[ $PGPSIG_TEST_MODE == fpath ]] && fpath=($PGPSIG_TEST_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
[[ $PGPSIG_TEST_MODE == source ]] && source $PGPSIG_TEST_SCRIPT
bindkey '^I' complete-word
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a hits
  builtin compadd -A hits "$@"
  local h
  for h in $hits; do print -r -- "HIT:$h"; done
  builtin compadd "$@"
}
_capture_end() { print -r -- CAPTURE-END; exit }
comppostfuncs=(_capture_end)
"""


@pytest.fixture(scope="module")
def zsh_results(
    shell_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], list[str]]:
    """The matches zsh offers, by (mode, line).

    Modes: ``source`` (the script sourced after ``compinit``, as ``eval "$(pgpsig completion
    zsh)"`` does) and ``fpath`` (the script as ``_pgpsig`` in a directory of ``$fpath``, autoloaded
    by ``compinit`` at the first TAB).
    """
    zsh = _shell("zsh")
    tmp = tmp_path_factory.mktemp("zsh")
    script = _script_file("zsh", shell_env, tmp / "zfunc" / "_pgpsig")
    (tmp / "setup.zsh").write_text(_ZSH_SETUP)
    (tmp / "driver.zsh").write_text(_ZSH_DRIVER)
    found = {}
    for mode, cases in (("source", [*CASES, FILES]), ("fpath", LOADED)):
        env = {
            **shell_env,
            "PGPSIG_TEST_MODE": mode,
            "PGPSIG_TEST_SCRIPT": str(script),
            "PGPSIG_TEST_FPATH": str(script.parent),
        }
        lines = _ids(cases)
        out = _run([zsh, "-f", str(tmp / "driver.zsh"), str(tmp / "setup.zsh"), *lines], env)
        for line, answer in zip(lines, _answers(out), strict=True):
            text = "\n".join(answer)
            assert "CAPTURE-END" in text, text
            found[mode, line] = re.findall(r"HIT:([^\r\n]*)", text)
    return found


@pytest.mark.parametrize(("line", "expected"), [*CASES, FILES], ids=_ids([*CASES, FILES]))
def test_zsh_completes(
    line: str, expected: tuple[str, ...], zsh_results: dict[tuple[str, str], list[str]]
) -> None:
    assert zsh_results["source", line] == list(expected)


@pytest.mark.parametrize(("line", "expected"), LOADED, ids=_ids(LOADED))
def test_zsh_completes_at_the_first_tab_when_autoloaded(
    line: str, expected: tuple[str, ...], zsh_results: dict[tuple[str, str], list[str]]
) -> None:
    """From ``$fpath`` (typer's own script then only registered itself, offering nothing)."""
    assert zsh_results["fpath", line] == list(expected)


# fish: `complete -C LINE` for each line, after a line "@@". The script is sourced, or left in the
# user's completions directory for fish to load (the user's configuration then read: none).
_FISH = r"""
for line in $argv
  echo @@
  complete -C $line
end
"""


@pytest.fixture(scope="module")
def fish_results(
    shell_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], list[str]]:
    """The completions fish offers (their descriptions left out), by (mode, line)."""
    fish = _shell("fish")
    tmp = tmp_path_factory.mktemp("fish")
    script = _script_file("fish", shell_env, tmp / "pgpsig.fish")
    autoload = Path(shell_env["XDG_CONFIG_HOME"]) / "fish" / "completions" / "pgpsig.fish"
    _script_file("fish", shell_env, autoload)
    found = {}
    for mode, cases in (("source", [*CASES, FILES]), ("autoload", LOADED)):
        if mode == "source":
            argv = [fish, "--no-config", "-c", f"source {shlex.quote(str(script))}\n{_FISH}"]
        else:
            argv = [fish, "-c", _FISH]
        lines = _ids(cases)
        out = _run([*argv, *lines], shell_env)
        for line, answer in zip(lines, _answers(out), strict=True):
            found[mode, line] = sorted(v.split("\t")[0] for v in answer)
    return found


@pytest.mark.parametrize(("line", "expected"), [*CASES, FILES], ids=_ids([*CASES, FILES]))
def test_fish_completes(
    line: str, expected: tuple[str, ...], fish_results: dict[tuple[str, str], list[str]]
) -> None:
    assert fish_results["source", line] == sorted(expected)


@pytest.mark.parametrize(("line", "expected"), LOADED, ids=_ids(LOADED))
def test_fish_completes_when_autoloaded(
    line: str, expected: tuple[str, ...], fish_results: dict[tuple[str, str], list[str]]
) -> None:
    assert fish_results["autoload", line] == sorted(expected)
