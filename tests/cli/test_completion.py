"""Choices in ``--help`` and in shell completion.

Every option with a fixed set of values (``--policy``, ``--reason``, ``--hash``, ``--algorithm``,
``--profile``...) lists them in its command's ``--help`` and completes them, both from the library's
own collection, read only when shown or asked for.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pgpsig.cli import app, options

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
    """Building the commands imports none of the modules that hold the choices."""
    code = (
        "import sys, typer.main; from pgpsig.cli import app; "
        "typer.main.get_command(app.typer_apps()['']); "
        "print(sorted(m for m in sys.modules if m.startswith('pgpsig.') "
        "and not m.startswith(('pgpsig.cli', 'pgpsig.errors'))))"
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
