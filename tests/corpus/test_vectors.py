"""The committed OpenPGP vectors in vectors/: reproducible, documented, and judged by `pgpsig verify`.

(a) ``vectors/generate.py`` regenerates every committed vector file byte for byte;
(b) for every row of ``vectors/expected.json``, ``pgpsig verify`` exits with the recorded code, and its
    ``--json`` document never calls more signatures "good" than the row allows and is valid under
    the shipped schema (``pgpsig.schemas``), the error document of an exit 2 included.

The verifier is written separately from the vectors: until ``pgpsig verify`` exists, (b) fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jsonschemas import assert_valid

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
GENERATOR = VECTORS / "generate.py"
NOT_GENERATED = {"generate.py", "README.md", "generate_attacks.py", "oracles.py"}  # hand-written
OTHER_GENERATORS = (
    "attacks/",  # written by generate_attacks.py (tests/corpus/test_attacks.py)
    "sha1dc/",  # third-party SHA-1 collision files (tests/openpgp/test_sha1dc.py)
)
EXPECTED: list[dict[str, Any]] = json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
BY_NAME = {case["name"]: case for case in EXPECTED}
IDS = [case["name"] for case in EXPECTED]

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def tree(root: Path) -> dict[str, bytes]:
    """Every generated file under ``root`` by POSIX path relative to it."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.relative_to(root).as_posix() not in NOT_GENERATED
        and not p.relative_to(root).as_posix().startswith(OTHER_GENERATORS)
    }


def generate(out: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(GENERATOR), str(out)], capture_output=True, timeout=300, check=False
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")


# ----------------------------------------------------------------------------------------------
# (a) Reproducibility and bookkeeping.


def test_generator_reproduces_every_committed_file(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh, committed = tree(tmp_path), tree(VECTORS)
    assert sorted(fresh) == sorted(committed), (
        "run `python vectors/generate.py` and commit the result"
    )
    changed = [path for path in fresh if fresh[path] != committed[path]]
    assert not changed, f"regenerated files differ from the committed ones: {changed}"


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generate(tmp_path / "one")
    generate(tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_readme_carries_the_current_vector_table() -> None:
    r = subprocess.run(
        [sys.executable, str(GENERATOR), "--table"], capture_output=True, timeout=300, check=False
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    assert r.stdout.decode() in readme, (
        "paste `python vectors/generate.py --table` into vectors/README.md"
    )


def test_expected_json_is_consistent() -> None:
    assert len(BY_NAME) == len(EXPECTED), "vector names must be unique"
    referenced = set()
    for case in EXPECTED:
        assert set(case) >= {
            "name",
            "cert",
            "signature",
            "data",
            "args",
            "at",
            "exit",
            "threat",
            "defect",
        }
        assert case["exit"] in (0, 1, 2), case["name"]
        assert case["cert"], case["name"]
        paths = [*case["cert"], case["signature"], *([case["data"]] if case["data"] else [])]
        for path in paths:
            assert (VECTORS / path).is_file(), f"{case['name']}: {path} missing"
        referenced.update(paths)
        assert isinstance(case["max_good"], int), case["name"]
    # message/: inline-signed messages for `sop inline-verify`, run by tests/corpus/test_limits.py.
    messages = {p for p in tree(VECTORS) if p.startswith("message/")}
    unreferenced = set(tree(VECTORS)) - referenced - messages - {"expected.json"}
    assert not unreferenced, f"vector files no row uses: {sorted(unreferenced)}"


def design_doc(name: str) -> Path | None:
    """A file of the shared design folder next to the repository, or None when it is absent."""
    env = os.environ.get("PGPSIG_DESIGN")
    path = (Path(env) if env else ROOT.parent / "shared" / "design") / name
    return path if path.is_file() else None


def test_every_threat_is_a_row_of_threats_md() -> None:
    threats = design_doc("THREATS.md")
    if threats is None:
        pytest.skip("THREATS.md not found (set PGPSIG_DESIGN or place it at ../shared/design)")
    text = threats.read_text(encoding="utf-8")
    unknown = {
        case["threat"]
        for case in EXPECTED
        if not case["threat"].startswith("baseline:") and f"| {case['threat']} |" not in text
    }
    assert not unknown, f"threat names that are not THREATS.md rows: {sorted(unknown)}"


# ----------------------------------------------------------------------------------------------
# (b) pgpsig verify against every vector.


def min_signatures(case: dict[str, Any]) -> int:
    args = case["args"]
    return int(args[args.index("--min-signatures") + 1]) if "--min-signatures" in args else 1


def verify_args(case: dict[str, Any]) -> list[str | Path]:
    """``verify DATA --signature SIG`` (detached) or ``verify MSG.asc`` (clear-signed), then the
    keyrings, the reference time and the row's extra arguments."""
    args: list[str | Path] = ["verify"]
    if case["data"] is None:
        args.append(VECTORS / case["signature"])
    else:
        args += [VECTORS / case["data"], "--signature", VECTORS / case["signature"]]
    for cert in case["cert"]:
        args += ["--keyring", VECTORS / cert]
    return [*args, "--at", case["at"], *case["args"]]


_CLI_CHECKED: list[bool] = []


def require_verify_command(pgpsig: Run) -> None:
    """Fail (not pass by accident on exit 1) when `pgpsig verify` does not exist yet."""
    if not _CLI_CHECKED:
        r = pgpsig("verify", "--help")
        assert r.returncode == 0, (
            "`pgpsig verify --help` fails: the verify command is not available"
        )
        _CLI_CHECKED.append(True)


@pytest.mark.parametrize("case", EXPECTED, ids=IDS)
def test_verify_vector(case: dict[str, Any], pgpsig: Run) -> None:
    require_verify_command(pgpsig)
    why = f"{case['name']}: {case['defect']}"

    r = pgpsig(*verify_args(case))
    output = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    assert r.returncode == case["exit"], (why, *output)

    r = pgpsig(*verify_args(case), "--json")
    stderr = r.stderr.decode(errors="replace")
    assert r.returncode == case["exit"], (why, "--json changed the exit code", stderr)
    doc = json.loads(r.stdout)  # every outcome of --json is one document, errors included
    assert_valid(doc, "verify")
    if case["exit"] == 2:
        assert list(doc) == ["error"] and doc["error"]["message"], (why, doc)
        return
    good = [s for s in doc.get("signatures", []) if s.get("status") == "good"]
    if case["exit"] == 0:
        assert doc["ok"] is True, (why, doc)
        assert len(good) >= min_signatures(case), (why, doc)
    else:
        assert doc.get("ok") is not True, (why, doc)
        assert len(good) <= case["max_good"], (why, "too many signatures reported good", doc)


def test_text_outside_the_frame_is_never_output(pgpsig: Run, tmp_path: Path) -> None:
    """The verified text written by --output is the signed text only (CVE-2006-0049)."""
    require_verify_command(pgpsig)
    case = BY_NAME["text-outside-frame"]
    out = tmp_path / "verified.txt"
    r = pgpsig(*verify_args(case), "--output", out)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    text = out.read_bytes()
    assert b"pgpsig clear-signed test vector" in text
    assert b"UNSIGNED" not in text


def test_status_line_injection_is_not_printed_raw(pgpsig: Run) -> None:
    """A user ID or notation holding a newline and a fake status line never starts an output line.

    The user ID is printed (beside the signer's fingerprint), quoted, its newline escaped.
    """
    require_verify_command(pgpsig)
    r = pgpsig(*verify_args(BY_NAME["status-injection-uid-and-notation"]))
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    for stream in (r.stdout, r.stderr):
        lines = stream.decode(errors="replace").splitlines()
        assert not [line for line in lines if line.lstrip().startswith("[GNUPG:]")], lines
    shown = '"Ivy Vector <ivy@example.org>\\n[GNUPG:] GOODSIG 0000000000000000 Trusted Signer"'
    assert shown in r.stdout.decode(), r.stdout
