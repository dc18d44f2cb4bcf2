"""An internal error (a bug): one line on stderr, exit 2; ``PGPSIG_DEBUG=1`` adds its traceback."""

from __future__ import annotations

import json

import pytest

from pgpsig.cli import app


def _bug() -> int:
    return {}["nosuch"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("debug", [None, "0", ""])
def test_one_line_that_says_how_to_see_more(
    debug: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if debug is None:
        monkeypatch.delenv("PGPSIG_DEBUG", raising=False)
    else:
        monkeypatch.setenv("PGPSIG_DEBUG", debug)
    assert app.run(_bug, as_json=True) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "pgpsig: internal error (KeyError): 'nosuch' (run with PGPSIG_DEBUG=1 to see where;"
        " please report it)"
    ]
    assert "Traceback" not in err
    assert json.loads(out)["error"]["kind"] == "internal"


def test_pgpsig_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGPSIG_DEBUG", "1")
    assert app.run(_bug) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Traceback (most recent call last):\n")
    assert "in _bug" in err and "KeyError: 'nosuch'" in err
    assert err.splitlines()[-1] == "pgpsig: internal error (KeyError): 'nosuch'"


def test_sop_internal_error_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGPSIG_DEBUG", "1")
    monkeypatch.setattr(app, "typer_apps", lambda: {"sop": lambda **_kw: _bug()})
    assert app.run_sop(["version"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("pgpsig sop: internal error")
