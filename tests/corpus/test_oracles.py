"""What gpg, sqv and sqop say about issue #12's vectors (vectors/oracles.py) is what README.md records.

(a) vectors/README.md carries ``python vectors/oracles.py --table``; every recorded row names a
    current vector or check case, and every row where an oracle differs from pgpsig's expected
    answer says why;
(b) ``oracle``: the installed gpg, sqv and sqop still answer as recorded (run each row again).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
sys.path.insert(0, str(VECTORS))

import oracles  # noqa: E402 - vectors/oracles.py, found through the path set just above

ROWS_VERIFY, ROWS_CHECK = oracles.expected_rows()


def test_readme_carries_the_oracle_tables() -> None:
    r = subprocess.run(
        [sys.executable, str(VECTORS / "oracles.py"), "--table"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    assert r.stdout.decode() in readme, "paste `python vectors/oracles.py --table` into README.md"


def test_every_recorded_row_exists_and_every_difference_is_explained() -> None:
    for name, record in oracles.VERIFY.items():
        row = ROWS_VERIFY[name]
        assert row["data"] is not None, (name, "sqv verifies detached signatures only")
        if oracles.verify_differs(row, record):
            assert record[3] and not record[3].startswith("("), (name, "say why it differs")
    for name, check in oracles.CHECK.items():
        if oracles.check_differs(ROWS_CHECK[name], check):
            assert check[3] and not check[3].startswith("("), (name, "say why gpg differs")


def test_split_clearsigned_gives_the_signed_canonical_text() -> None:
    message = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        "a line  \n- -dashed\nlast\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"
        "-----END PGP SIGNATURE-----\n"
    )
    text, sig = oracles.split_clearsigned(message.encode())
    assert text == b"a line\r\n-dashed\r\nlast"
    assert sig.startswith(b"-----BEGIN PGP SIGNATURE-----\n")


Oracle = Callable[[str], str]


@pytest.mark.oracle
@pytest.mark.parametrize("name", list(oracles.VERIFY))
def test_oracles_answer_verify_rows_as_recorded(name: str, oracle: Oracle) -> None:
    for tool in ("gpg", "sqv", "sqop"):
        oracle(tool)
    measured = oracles.measure_verify(ROWS_VERIFY[name])
    assert measured == oracles.VERIFY[name][:3], (name, "gpg, sqv, sqop now say", measured)


@pytest.mark.oracle
@pytest.mark.parametrize("name", list(oracles.CHECK))
def test_oracles_answer_check_rows_as_recorded(name: str, oracle: Oracle) -> None:
    for tool in ("gpg", "sqv"):
        oracle(tool)
    measured = oracles.measure_check(ROWS_CHECK[name])
    assert measured == oracles.CHECK[name][:3], (name, "gpg (2 ways), sqv now say", measured)
