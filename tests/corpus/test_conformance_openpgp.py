"""Every row of the conformance EXPECTED.md table, through ``pgpsig verify``, read in place.

Rows: the interop suite's 104 revocation cases, SHAttered, short RSA signatures, and rPGP's
clear-signed edge cases. "accept" must exit 0; "reject" must exit non-zero, except rPGP's "junk
before BEGIN / after END" rows, where pgpsig verifies the signed part and reports the unsigned text
as a warning (README: "Text outside the signed block").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import conformance_path, run_pgpsig
from jsonschemas import assert_valid

AT_NOW = None  # the revoked-key vectors use fixed historic times; verdicts do not drift


def _rows() -> list[tuple[str, str]]:
    base = conformance_path()
    if base is None:
        return []
    rows = []
    for line in (base / "openpgp" / "EXPECTED.md").read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("| vector", "|---")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0], cells[1]))
    return rows


def _paths(base: Path, vec: str) -> tuple[Path, Path, Path | None]:
    """(cert, signature, data or None) for a row of the table."""
    v = re.sub(r"^rpgp ", "", vec)
    parts = [p.strip() for p in v.split(" / ")]
    if vec.startswith("rpgp "):
        root = base / "openpgp" / "rpgp"
        cert = next(root.rglob(Path(parts[0]).name))
        sig = next(root.rglob(Path(parts[1]).name))
        return cert, sig, None
    cert = base / "openpgp" / parts[0]
    sig = next((base / "openpgp").rglob(parts[1]))
    data = sig.parent / parts[2]
    return cert, sig, data


ROWS = _rows()


@pytest.mark.skipif(not ROWS, reason="conformance data not found (set PGPSIG_CONFORMANCE)")
@pytest.mark.parametrize(("vec", "expect"), ROWS, ids=[r[0][-70:] for r in ROWS])
def test_expected_verdict(conformance: Path, vec: str, expect: str) -> None:
    cert, sig, data = _paths(conformance, vec)
    args = ["verify", "--keyring", str(cert), "--json"]
    args += [str(data), "--signature", str(sig)] if data else [str(sig)]
    r = run_pgpsig(*args)
    e = expect.lower()
    if "junk after end" in e or "junk before begin" in e:
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert_valid(doc, "verify")
        assert doc["warnings"], "unsigned text outside the frame must be reported"
        return
    if e.startswith("accept"):
        assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    else:
        assert r.returncode != 0, r.stdout.decode()
        if r.returncode == 1:
            doc = json.loads(r.stdout)
            assert_valid(doc, "verify")
            assert not doc["ok"]


def test_table_is_complete(conformance: Path) -> None:
    """The table holds what the issue promises: 104 revocation cases among the rest."""
    assert sum(1 for v, _ in ROWS if "revoked-key/" in v) == 104
    assert len(ROWS) >= 130


@pytest.mark.parametrize(
    ("at", "code"),
    [("2018-06-01T00:00:00Z", 1), ("2019-01-02T00:00:00Z", 1), (None, 1)],
)
def test_hard_revocation_counts_whatever_the_reference_time(
    conformance: Path, at: str | None, code: int
) -> None:
    """A key revoked as compromised on 2019-01-01 never verifies again, even ``--at`` mid-2018:
    whoever holds the stolen key chooses the dates (README: Revocations and ``--at``)."""
    d = conformance / "openpgp" / "interop-suite" / "revoked-key"
    args = [
        "verify",
        str(d / "message.txt"),
        "--signature",
        str(d / "revoked-key-sig-t1-t2.pgp"),
        "--keyring",
        str(d / "revoked-key-cert-revoked-compromised.pgp"),
    ]
    r = run_pgpsig(*args, *(["--at", at] if at else []))
    assert r.returncode == code, r.stdout
