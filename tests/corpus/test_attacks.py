"""The attack corpus (vectors/attacks/): reproducible, documented, and answered exactly.

(a) ``vectors/generate_attacks.py`` rewrites every file of vectors/attacks/ byte for byte, and
    vectors/README.md carries its current tables;
(b) every ``verify`` case exits with its recorded code, never reports more good signatures than it
    may, names the right signer when it must, and prints no raw control character or fake status
    line when untrusted strings are involved; its --json document is valid under the shipped
    schema (``pgpsig.schemas``);
(c) every ``check`` case, laid out in a temporary directory from its recipe (files, links, FIFOs,
    sparse files), gets exactly its recorded FreePBX status, exit code and file findings; a case
    whose status is null must be refused as a whole (its exit code, no module reported good);
    every --json document, report or error, is valid under the shipped schema.

The CLI runs in real processes (the ``pgpsig`` fixture). To stay within the test budget the
cases of a kind are started together on a small thread pool the first time one of them is asked
for; each test then asserts on its own case's result.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from jsonschemas import assert_valid

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
ATTACKS = VECTORS / "attacks"
GENERATOR = VECTORS / "generate_attacks.py"
EXPECTED: dict[str, Any] = json.loads((ATTACKS / "expected.json").read_text(encoding="utf-8"))
VERIFY: list[dict[str, Any]] = EXPECTED["verify"]
CHECK: list[dict[str, Any]] = EXPECTED["check"]
GOOD_TRUSTED = 129
WORKERS = 4
#: A control character other than LF, or a line that pretends to be a GnuPG status line.
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]|^\s*\[GNUPG:\]", re.MULTILINE)

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ----------------------------------------------------------------------------------------------
# (a) Reproducibility and bookkeeping.


def test_generator_reproduces_the_committed_corpus(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(GENERATOR), str(tmp_path)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    fresh, committed = files_under(tmp_path / "attacks"), files_under(ATTACKS)
    assert sorted(fresh) == sorted(committed), "run `python vectors/generate_attacks.py` and commit"
    changed = [p for p in fresh if fresh[p] != committed[p]]
    assert not changed, f"regenerated files differ from the committed ones: {changed}"


def test_readme_carries_the_current_attack_tables() -> None:
    r = subprocess.run(
        [sys.executable, str(GENERATOR), "--table"], capture_output=True, timeout=300, check=False
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    assert r.stdout.decode() in readme, (
        "paste `python vectors/generate_attacks.py --table` into vectors/README.md"
    )


def test_every_case_names_a_threats_row_and_existing_files() -> None:
    names = [c["name"] for c in (*VERIFY, *CHECK)]
    assert len(set(names)) == len(names)
    referenced = {"expected.json"}
    for c in VERIFY:
        paths = [*c["cert"], c["signature"], *([c["data"]] if c["data"] else [])]
        for path in paths:
            assert (VECTORS / path).is_file(), (c["name"], path)
        referenced.update(p.removeprefix("attacks/") for p in paths)
    for c in CHECK:
        paths = [*c["keyring"], *(op["copy"] for op in c["tree"] if "copy" in op)]
        for path in paths:
            assert (VECTORS / path).is_file(), (c["name"], path)
        referenced.update(p.removeprefix("attacks/") for p in paths)
        if c["status"] is None:  # refused as a whole: a usage error
            assert c["exit"] == 2, c["name"]
        else:
            assert c["exit"] == (0 if c["status"] == GOOD_TRUSTED else 1), c["name"]
    unreferenced = set(files_under(ATTACKS)) - referenced
    assert not unreferenced, f"corpus files no case uses: {sorted(unreferenced)}"
    threats = ROOT.parent / "shared" / "design" / "THREATS.md"
    if os.environ.get("PGPSIG_DESIGN"):
        threats = Path(os.environ["PGPSIG_DESIGN"]) / "THREATS.md"
    if not threats.is_file():
        pytest.skip("THREATS.md not found (set PGPSIG_DESIGN or place it at ../shared/design)")
    text = threats.read_text(encoding="utf-8")
    unknown = {
        c["threat"]
        for c in (*VERIFY, *CHECK)
        if not c["threat"].startswith("baseline:") and f"| {c['threat']} |" not in text
    }
    assert not unknown, f"threat names that are not THREATS.md rows: {sorted(unknown)}"


# ----------------------------------------------------------------------------------------------
# Running the cases (all of a kind at once, on a thread pool).


def verify_args(case: dict[str, Any]) -> list[str | Path]:
    args: list[str | Path] = ["verify"]
    if case["data"] is None:
        args.append(VECTORS / case["signature"])
    else:
        args += [VECTORS / case["data"], "--signature", VECTORS / case["signature"]]
    for cert in case["cert"]:
        args += ["--keyring", VECTORS / cert]
    return [*args, "--at", case["at"], *case["args"]]


def lay_out(case: dict[str, Any], scratch: Path) -> Path:
    """Build the case's module tree under ``scratch`` from its recipe; return the module path."""
    module = scratch / case.get("module", "sample")
    module.mkdir(parents=True)

    def at(rel: str) -> Path:
        p = module / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    for op in case["tree"]:
        if "base" in op:
            for rel, text in EXPECTED["base"][op["base"]].items():
                at(rel).write_bytes(text.encode())
        elif "remove" in op:
            gone = module / op["remove"]
            gone.unlink()
            while gone.parent != module and not any(gone.parent.iterdir()):
                gone = gone.parent
                gone.rmdir()
        elif "file" in op:
            if "text" in op:
                data = op["text"].encode()
            elif "base64" in op:
                data = base64.b64decode(op["base64"])
            else:
                data = (VECTORS / op["copy"]).read_bytes()
            at(op["file"]).write_bytes(data)
        elif "dir" in op:
            at(op["dir"]).mkdir()
        elif "symlink" in op:
            at(op["symlink"]).symlink_to(op["to"])
        elif "fifo" in op:
            os.mkfifo(at(op["fifo"]))
        elif "sparse" in op:
            with at(op["sparse"]).open("wb") as fp:
                fp.truncate(op["size"])
        else:
            raise AssertionError(f"{case['name']}: unknown recipe operation {op}")
    return module


def check_args(case: dict[str, Any], module: Path) -> list[str | Path]:
    args: list[str | Path] = ["check", module]
    for ring in case["keyring"]:
        args += ["--keyring", VECTORS / ring]
    for root in case["roots"]:
        args += ["--trust-root", root]
    return [*args, "--at", case["at"], *case["args"]]


class Results:
    """Runs every case of a kind on first request (in parallel) and hands out the results."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.lock = threading.Lock()
        self.verify: dict[str, tuple[subprocess.CompletedProcess[bytes], ...]] = {}
        self.check: dict[str, tuple[subprocess.CompletedProcess[bytes], ...]] = {}

    def _one_verify(self, pgpsig: Run, case: dict[str, Any]) -> Any:
        runs = [pgpsig(*verify_args(case), "--json", timeout=60)]
        if case["no_raw_output"]:
            runs.append(pgpsig(*verify_args(case), timeout=60))
        return tuple(runs)

    def _one_check(self, pgpsig: Run, case: dict[str, Any]) -> Any:
        module = lay_out(case, self.scratch / case["name"])
        try:
            runs = [pgpsig(*check_args(case, module), "--json", timeout=60)]
            if case["no_raw_output"]:
                runs.append(pgpsig(*check_args(case, module), timeout=60))
        finally:
            shutil.rmtree(module.parent, ignore_errors=True)
        return tuple(runs)

    @staticmethod
    def _guarded(
        one: Callable[[Run, dict[str, Any]], Any], pgpsig: Run, case: dict[str, Any]
    ) -> Any:
        try:
            return one(pgpsig, case)
        except BaseException as e:  # reported by the case's own test, not by the first one run
            return e

    def get(
        self, kind: str, name: str, pgpsig: Run
    ) -> tuple[subprocess.CompletedProcess[bytes], ...]:
        with self.lock:
            store = self.verify if kind == "verify" else self.check
            if not store:
                cases = VERIFY if kind == "verify" else CHECK
                one = self._one_verify if kind == "verify" else self._one_check
                with ThreadPoolExecutor(WORKERS) as pool:
                    done = pool.map(lambda c: (c["name"], self._guarded(one, pgpsig, c)), cases)
                    store.update(done)
            result = store[name]
            if isinstance(result, BaseException):
                raise result
            return result


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return Results(tmp_path_factory.mktemp("attacks"))


def assert_no_raw(case: dict[str, Any], r: subprocess.CompletedProcess[bytes]) -> None:
    for stream in (r.stdout, r.stderr):
        text = stream.decode(errors="replace")
        hit = RAW.search(text)
        assert hit is None, (case["name"], "raw untrusted text printed", text)


# ----------------------------------------------------------------------------------------------
# (b) verify.


@pytest.mark.parametrize("case", VERIFY, ids=[c["name"] for c in VERIFY])
def test_verify_attack(case: dict[str, Any], results: Results, pgpsig: Run) -> None:
    runs = results.get("verify", case["name"], pgpsig)
    r = runs[0]
    why = (case["name"], case["defect"], r.stderr.decode(errors="replace"))
    assert r.returncode == case["exit"], why
    doc = json.loads(r.stdout)  # every outcome of --json is one document, errors included
    assert_valid(doc, "verify")
    if case["exit"] == 2:
        assert list(doc) == ["error"] and doc["error"]["message"], (*why, doc)
        return
    good = [s for s in doc["signatures"] if s["status"] == "good"]
    if case["exit"] == 0:
        assert doc["ok"] is True, (*why, doc)
        assert good, (*why, doc)
        if case["good_primary"]:
            assert {s["primary"] for s in good} == {case["good_primary"]}, (*why, doc)
    else:
        assert doc["ok"] is False, (*why, doc)
    assert len(good) <= max(case["max_good"], 1 if case["exit"] == 0 else 0), (*why, doc)
    if case["no_raw_output"]:
        assert_no_raw(case, runs[1])


# ----------------------------------------------------------------------------------------------
# (c) check.


@pytest.mark.parametrize("case", CHECK, ids=[c["name"] for c in CHECK])
def test_check_attack(case: dict[str, Any], results: Results, pgpsig: Run) -> None:
    runs = results.get("check", case["name"], pgpsig)
    r = runs[0]
    why = (case["name"], case["defect"], r.stderr.decode(errors="replace"))
    assert r.returncode == case["exit"], (*why, r.stdout.decode(errors="replace"))
    if case["status"] is None:
        # Refused as a whole (exit 2): the error's document, or a report with no module good.
        doc = json.loads(r.stdout)
        assert_valid(doc, "check")
        modules = doc.get("modules", [])
        assert "modules" in doc or list(doc) == ["error"], (*why, doc)
        assert not [m for m in modules if m["status"] & 1], (*why, modules)
        return
    doc = json.loads(r.stdout)
    assert_valid(doc, "check")
    (module,) = doc["modules"]
    assert module["status"] == case["status"], (*why, module)
    if module["status"] & 1:
        assert module["status"] == GOOD_TRUSTED, (*why, "GOOD set with another bit", module)
    for key, want in case["files"].items():
        assert sorted(module["files"][key]) == sorted(want), (*why, key, module)
    if case["signature"] is not None:
        assert module["signature"]["status"] == case["signature"], (*why, module)
    if case["no_raw_output"]:
        assert_no_raw(case, runs[1])


# ----------------------------------------------------------------------------------------------
# An attack the CLI cannot stage reliably: the file changes between the two passes of verify.


def test_clear_signed_input_changing_between_passes_is_refused() -> None:
    """Without a Hash: header the digests come from a second pass over the file; the text written
    to --output comes from the first. Swapping the file in between must not yield "ok" with text
    that was never verified."""
    import io
    from datetime import datetime

    from pgpsig.certs.keyring import load_keyring
    from pgpsig.errors import InputError
    from pgpsig.policy import policy_named
    from pgpsig.verify import verify_clearsigned

    genuine = (ATTACKS / "verify" / "cs-no-hash-header.asc").read_bytes()
    forged = genuine.replace(b"Only the text", b"Evil the text")
    assert forged != genuine

    class Swapped(io.BytesIO):
        """Reads ``forged`` first; after a rewind, ``genuine``."""

        def seek(self, pos: int, whence: int = 0) -> int:
            if pos == 0 and whence == 0 and self.getvalue() is not genuine:
                self.__init__(genuine)  # type: ignore[misc]
            return super().seek(pos, whence)

    written: list[bytes] = []
    ring = load_keyring([VECTORS / "keys" / "alice.asc"])
    at = datetime.fromisoformat(EXPECTED["at"].replace("Z", "+00:00"))
    with pytest.raises(InputError, match="changed"):
        verify_clearsigned(
            Swapped(forged),
            ring,
            policy=policy_named("default"),
            now=at,
            output=lambda _block, chunk: written.append(chunk),
        )
    assert b"Evil" in b"".join(written)  # what the first pass saw, never to be trusted
