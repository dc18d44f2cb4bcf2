"""An empty argument is a usage error, never the current directory (``pgpsig.cli.app.dispatch``).

Both parsers turn an empty path into ``.``: before this rule, ``--keyring "$KEYRING"`` with the
variable unset read the current directory as a keyring (``key list`` said "0 certificate(s)" and
exit 0, or listed what the directory held), and ``--cache-dir ""`` wrote there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgpsig.cli.app import dispatch

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["key", "list", "--keyring", ""], "an empty argument after --keyring"),
        (["key", "list", "--keyring="], "an empty value for --keyring"),
        (["key", "list", "-k", ""], "an empty argument after -k"),
        (["check", "mod", "--keyring", "k", "--cache-dir", ""], "after --cache-dir"),
        (["verify", "f", "--signature", ""], "after --signature"),
        (["check", ""], "an empty argument:"),
        (["sign", "--key", "", "mod"], "after --key"),
    ],
)
def test_an_empty_argument_is_a_usage_error(
    argv: list[str],
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alice.pgp").write_bytes((VECTORS / "keys" / "alice.pgp").read_bytes())
    assert dispatch(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and said in err and len(err.splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["alice.pgp"]  # nothing written here


def test_the_current_directory_is_still_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``.`` is a path like any other: only the empty string is refused."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alice.pgp").write_bytes((VECTORS / "keys" / "alice.pgp").read_bytes())
    assert dispatch(["key", "list", "--keyring", ".", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["keys"]) == 1


def test_json_says_it_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch(["key", "list", "--keyring", "", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["kind"] == "usage"


def test_sop_keeps_its_own_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """``pgpsig sop`` answers as ``pgpsig-sop`` does (the SOP draft's exit codes)."""
    dispatch(["sop", "verify", ""])
    assert "empty argument" not in capsys.readouterr().err
