"""Where the user's store is: ``$PGPSIG_HOME``, else ``$XDG_DATA_HOME/pgpsig``, else ~/.local/share."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgpsig.certs.store import store_home

HOME = Path("/home/u")


def _no_home() -> Path:
    raise AssertionError("the home directory is not needed")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PGPSIG_HOME": "/p", "XDG_DATA_HOME": "/x"}, Path("/p")),
        ({"PGPSIG_HOME": "", "XDG_DATA_HOME": "/x"}, Path("/x/pgpsig")),
        ({"XDG_DATA_HOME": "/x"}, Path("/x/pgpsig")),
    ],
)
def test_variables_first(environ: dict[str, str], expected: Path) -> None:
    assert store_home(environ, _no_home) == expected


@pytest.mark.parametrize("environ", [{}, {"PGPSIG_HOME": "", "XDG_DATA_HOME": ""}])
def test_else_the_home_directory(environ: dict[str, str]) -> None:
    assert store_home(environ, lambda: HOME) == HOME / ".local" / "share" / "pgpsig"
