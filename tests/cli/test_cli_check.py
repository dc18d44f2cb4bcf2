"""The operator's view of ``pgpsig check``: one line a module, details of failures, summary, JSON.

The modules are copies of a committed vector (``vectors/attacks``: a module signed with SHA-1 by
the RSA root Rob, good under ``--policy freepbx-legacy`` with a warning): good ones, one with an
unlisted file, one altered, one unsigned. Through the CLI: a good module is one line, details come
only under a failure (every module with ``--verbose``), the summary names the failures, a warning
carried by several modules is folded into one line with a count; ``--progress`` writes bounded
plain lines on stderr and leaves stdout as it was; ``--json`` is streamed but is, byte for byte,
the document written whole, and holds what the library reports; ``--no-unlisted`` reports nothing
unlisted and refuses ``--strict``; an error during the check and a reader that goes away end the
run as the README says. In process: the check's memory does not grow with the number of modules.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import VECTORS
from pgpsig.cli import check as check_cli
from pgpsig.cli.output import Exit, stream_json
from pgpsig.report import (
    FileFindings,
    ModuleReport,
    ModuleSignature,
    SignatureResult,
    SigStatus,
    Status,
)

Run = Callable[..., subprocess.CompletedProcess[bytes]]

EXPECTED = json.loads((VECTORS / "attacks/expected.json").read_text())
CASE = next(c for c in EXPECTED["check"] if c["name"] == "check-sha1-freepbx-legacy")
ROB = CASE["roots"][0]
#: How a module line names Rob: primary fingerprint and user ID.
BY_ROB = f'signed by {ROB} "Rob RSA-2048 <rob@example.org>"'
WARNING = "SHA1 accepted by policy freepbx-legacy"
ARGS = [
    "--keyring",
    str(VECTORS / "keys/rob-rsa2048.pgp"),
    "--trust-root",
    ROB,
    "--at",
    CASE["at"],
    *CASE["args"],
]
NAMES = ["altered", "extra", "good1", "good2", "unsigned"]
#: A head line: OK or FAIL, name, status, then the signer.
HEAD = re.compile(r"(OK  |FAIL)  (\S+) +(\d+)  (.*)")


def lay_out(d: Path, name: str, *, signed: bool = True) -> Path:
    """The vector's module as ``d/name`` (its ``module.sig`` unless not ``signed``)."""
    m = d / name
    for rel, text in EXPECTED["base"][CASE["tree"][0]["base"]].items():
        (m / rel).parent.mkdir(parents=True, exist_ok=True)
        (m / rel).write_text(text)
    if signed:
        (m / "module.sig").write_bytes((VECTORS / CASE["tree"][1]["copy"]).read_bytes())
    return m


@pytest.fixture(scope="module")
def mods(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("check-output") / "modules"
    for name in NAMES:
        lay_out(d, name, signed=name != "unsigned")
    (d / "extra/extra.php").write_text("<?php // not listed\n")
    (d / "altered/Sample.class.php").write_text("<?php system($_GET['c']);\n")
    return d


def run(pgpsig: Run, mods: Path, *extra: str, code: int = 1) -> tuple[str, str]:
    r = pgpsig("check", "--modules-dir", mods, *ARGS, *extra)
    assert r.returncode == code, r.stderr.decode(errors="replace")
    return r.stdout.decode(), r.stderr.decode()


def blocks(out: str) -> dict[str, tuple[re.Match[str], list[str]]]:
    """Each module's head line (parsed) and the indented lines under it, from the human output."""
    found: dict[str, tuple[re.Match[str], list[str]]] = {}
    current = None
    for line in out.splitlines()[1:]:
        if line.startswith(" "):
            assert current is not None, line
            found[current][1].append(line.strip())
            continue
        m = HEAD.fullmatch(line)
        if m is None:
            current = None
            continue
        current = m.group(2)
        found[current] = (m, [])
    return found


# --------------------------------------------------------------------------------------------------
# Human output


def test_one_line_per_good_module_details_only_for_failures(pgpsig: Run, mods: Path) -> None:
    out, _ = run(pgpsig, mods)
    lines = out.splitlines()
    assert lines[0] == f"trust roots: {ROB} (option)"
    found = blocks(out)
    assert list(found) == NAMES
    # The columns are aligned: every head line's status (right-aligned) ends at the same place.
    assert len({m.end(3) for m, _ in found.values()}) == 1
    for name in ("extra", "good1", "good2"):
        head, under = found[name]
        assert (head.group(1), head.group(3)) == ("OK  ", "129"), head.group(0)
        assert head.group(4).startswith(f"{BY_ROB} (trusted)"), head.group(0)
        assert under == [], (name, under)
    assert found["extra"][0].group(4).endswith(", 1 unlisted")
    assert "extra.php" not in out  # listed in --json, not here
    head, under = found["altered"]
    assert (head.group(1), head.group(3)) == ("FAIL", "130")
    assert head.group(4) == f"{BY_ROB} (trusted), 1 altered"
    assert under[0] == "status 130 (TAMPERED|TRUSTED), 5 file(s) checked"
    assert f"warning: {WARNING}" in under
    assert f"{mods / 'altered/Sample.class.php'} altered" in under
    head, under = found["unsigned"]
    assert (head.group(1), head.group(3), head.group(4)) == ("FAIL", "8", "no signature")
    assert under == ["status 8 (UNSIGNED)", "unsigned"]


def test_summary_names_failures_and_folds_warnings(pgpsig: Run, mods: Path) -> None:
    out, _ = run(pgpsig, mods)
    lines = out.splitlines()
    assert lines[-3:] == [
        f"warning: {WARNING} (4 modules)",
        "3 of 5 module(s) good",
        "failed: altered (130), unsigned (8)",
    ]
    # Once under the module that failed, once folded: not once a module.
    assert out.count(WARNING) == 2


def test_a_warning_of_one_module_names_it(pgpsig: Run, tmp_path: Path) -> None:
    lay_out(tmp_path, "solo")
    lay_out(tmp_path, "plain", signed=False)
    out, _ = run(pgpsig, tmp_path)
    assert f"warning: {WARNING} (solo)" in out.splitlines()


def test_failed_modules_named_up_to_twenty(pgpsig: Run, tmp_path: Path) -> None:
    for i in range(25):
        (tmp_path / f"m{i:02d}").mkdir()
    out, _ = run(pgpsig, tmp_path)
    named = ", ".join(f"m{i:02d} (8)" for i in range(20))
    assert out.splitlines()[-2:] == ["0 of 25 module(s) good", f"failed: {named}, and 5 more"]


def test_verbose_shows_every_module_details(pgpsig: Run, mods: Path) -> None:
    out, _ = run(pgpsig, mods, "--verbose")
    found = blocks(out)
    assert list(found) == NAMES
    for name, (head, under) in found.items():
        assert under[0].startswith(f"status {head.group(3)} "), (name, under)
        if name != "unsigned":
            assert f"warning: {WARNING}" in under, (name, under)
    assert found["good1"][1][0] == "status 129 (GOOD|TRUSTED), 5 file(s) checked"
    assert run(pgpsig, mods, "-v") == (out, "")


def test_progress_lines_on_stderr_leave_stdout_alone(pgpsig: Run, mods: Path) -> None:
    for extra in ([], ["--json"]):
        plain_out, plain_err = run(pgpsig, mods, *extra)
        assert plain_err == ""  # stderr is no terminal: no bar
        out, err = run(pgpsig, mods, *extra, "--progress")
        assert out == plain_out
        lines = err.splitlines()
        assert lines[0] == "pgpsig: checking 5 module(s)"
        assert lines[-1] == "pgpsig: checked 5/5 modules"
        assert all(re.fullmatch(r"pgpsig: checked [1-5]/5 modules", x) for x in lines[1:]), lines
        assert len(lines) <= 11


def test_progress_lines_are_bounded(pgpsig: Run, tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"m{i:02d}").mkdir()
    _, err = run(pgpsig, tmp_path, "--progress")
    lines = err.splitlines()
    assert lines[0] == "pgpsig: checking 40 module(s)"
    assert lines[-1] == "pgpsig: checked 40/40 modules"
    assert 2 <= len(lines) <= 11, lines


# --------------------------------------------------------------------------------------------------
# JSON


def test_json_is_streamed_as_the_whole_document(pgpsig: Run, mods: Path) -> None:
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.modules.check import CheckOptions, check_modules, module_targets
    from pgpsig.policy import policy_named

    out, _ = run(pgpsig, mods, "--json")
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2) + "\n"  # what print_json wrote of the whole
    assert list(doc) == ["modules", "summary", "trust_roots", "feeds", "warnings"]
    assert doc["feeds"] == [] and doc["warnings"] == []  # --keyring: the store's feeds do not apply
    assert doc["summary"] == {"modules": 5, "good": 3, "failed": 2, "not_verified": 0}
    assert doc["trust_roots"] == [{"fingerprint": ROB, "source": "option"}]
    ring = load_keyring([VECTORS / "keys/rob-rsa2048.pgp"])
    opts = CheckOptions(
        keyring=ring,
        roots=TrustRoots.resolve([ROB], ring),
        policy=policy_named("freepbx-legacy"),
        now=datetime.fromisoformat(CASE["at"].replace("Z", "+00:00")),
    )
    reports = check_modules(module_targets([], mods), opts)
    assert doc["modules"] == [r.to_dict() for r in reports]
    assert [m["module"] for m in doc["modules"]] == NAMES
    assert doc["modules"][1]["files"]["unlisted"] == ["extra.php"]


DOCS: list[tuple[list[Any], dict[str, Any]]] = [
    ([], {"summary": {"modules": 0}}),
    ([{}], {}),
    ([[]], {"empty": [], "none": None}),
    (
        [{"a": [1, {"b": "line\nbreak \u00e9 \x1b"}], "c": []}, {"d": {}}, 3, "s"],
        {"summary": {"x": [1, 2]}, "trust_roots": [{"fingerprint": "AB", "source": "option"}]},
    ),
]


@pytest.mark.parametrize(("items", "rest"), DOCS)
def test_stream_json_writes_what_print_json_writes(
    items: list[Any], rest: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    stream_json("modules", iter(items), lambda: rest)
    assert capsys.readouterr().out == json.dumps({"modules": items, **rest}, indent=2) + "\n"


def _random_json(rng: Any, depth: int = 0) -> Any:
    """A random document with every kind of value, key and list json_chunks treats apart."""
    import enum

    class Flag(enum.IntFlag):
        GOOD = 1
        TRUSTED = 128

    scalars = [
        None, True, False, 0, -7, 2**70, 1.5, -0.0, 1e300, float("nan"), float("inf"),
        float("-inf"), "", "plain", "\u00e9\u65e5\U0001f600", "quote\" back\\ nl\n tab\t \x00\x1b\x7f",
        Flag.GOOD | Flag.TRUSTED,
    ]  # fmt: skip
    kind = rng.randrange(6 if depth < 4 else 1)
    if kind == 0:
        return rng.choice(scalars)
    if kind == 1:  # a list of strings only (the fast path), long or short
        return [
            rng.choice(["a/b.php", "\u00e9", 'x"y', ""]) for _ in range(rng.choice([0, 1, 3, 2500]))
        ]
    if kind in (2, 3):
        seq = [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
        return tuple(seq) if kind == 3 else seq
    keys = ["k", "", "\u00e9", 'a"b', 1, 2.5, True, False, None]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_json_chunks_is_the_text_of_json_dumps() -> None:
    """Random documents: the same text as the standard library's, at every nesting level."""
    import random

    from pgpsig.cli.output import json_chunks

    rng = random.Random(20261205)
    for _ in range(3000):
        doc = _random_json(rng)
        assert "".join(json_chunks(doc)) == json.dumps(doc, indent=2), doc
    mixed = ["s"] * 1500 + [1, {"a": ["b", 2]}, None] + ["t\u00e9"] * 600 + [[]]
    for doc in (mixed, {"k": mixed, "l": [mixed, (1, "x")]}):
        assert "".join(json_chunks(doc)) == json.dumps(doc, indent=2)
    with pytest.raises(TypeError):
        "".join(json_chunks({"a": object()}))
    with pytest.raises(TypeError):
        "".join(json_chunks(["s"] * 2000 + [object()]))
    with pytest.raises(TypeError):
        "".join(json_chunks({(1, 2): 1}))


def test_stream_json_writes_an_item_in_pieces() -> None:
    big = {"unlisted": [f"node_modules/p{i}/index.js" for i in range(20_000)]}
    written: list[str] = []
    stream_json("modules", iter([big, big]), dict, written.append)
    assert max(map(len, written)) < 200_000  # one item is about 600,000 characters
    assert "".join(written) == json.dumps({"modules": [big, big]}, indent=2) + "\n"


def test_stream_json_error_leaves_no_valid_document() -> None:
    def failing(before: int) -> Iterator[dict[str, int]]:
        for i in range(before):
            yield {"i": i}
        raise RuntimeError("a worker died")

    calls: list[int] = []

    def rest() -> dict[str, Any]:
        calls.append(1)
        return {}

    for before in (0, 1, 3):
        written: list[str] = []
        with pytest.raises(RuntimeError):
            stream_json("modules", failing(before), rest, written.append)
        text = "".join(written)
        assert not calls
        if before == 0:
            assert text == ""  # nothing at all before the first item
            continue
        assert text.startswith('{\n  "modules": [\n    {\n      "i": 0\n    }')
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)


def test_stream_json_rest_comes_after_the_last_item() -> None:
    seen: list[int] = []

    def items() -> Iterator[int]:
        for i in range(3):
            seen.append(i)
            yield i

    written: list[str] = []
    stream_json("n", items(), lambda: {"count": len(seen)}, written.append)
    assert json.loads("".join(written)) == {"n": [0, 1, 2], "count": 3}


# --------------------------------------------------------------------------------------------------
# --no-unlisted, errors, a reader gone


def test_no_unlisted_reports_nothing_unlisted(pgpsig: Run, mods: Path) -> None:
    doc = json.loads(run(pgpsig, mods, "--json", "--no-unlisted")[0])
    assert [m["files"]["unlisted"] for m in doc["modules"]] == [[]] * 5
    assert [m["status"] for m in doc["modules"]] == [130, 129, 129, 129, 8]
    out, _ = run(pgpsig, mods, "--no-unlisted")
    assert "unlisted" not in out
    assert blocks(out)["extra"][0].group(4) == f"{BY_ROB} (trusted)"
    # The walk is what --strict fails on: with it, the unlisted file fails the module.
    doc = json.loads(run(pgpsig, mods, "--json", "--strict")[0])
    assert doc["modules"][1]["status"] == 130


def test_strict_with_no_unlisted_is_a_usage_error(pgpsig: Run, mods: Path) -> None:
    for order in (["--strict", "--no-unlisted"], ["--no-unlisted", "--strict", "--json"]):
        out, err = run(pgpsig, mods, *order, code=2)
        assert len(err.splitlines()) == 1 and "--no-unlisted" in err, err
        if "--json" in order:  # a program reading stdout gets a document saying what went wrong
            error = json.loads(out)["error"]
            assert error["kind"] == "usage" and "--no-unlisted" in error["message"], out
        else:
            assert out == ""


BROKEN = """
import sys
import pgpsig.modules.check as chk
from pgpsig.errors import PgpsigError

real = chk.iter_check_modules
after = int(sys.argv.pop(1))

def broken(targets, opts, progress=None, **kwargs):
    reports = real(targets, opts, progress, **kwargs)
    for _ in range(after):
        yield next(reports)
    raise PgpsigError("a worker process checking modules died: simulated")

chk.iter_check_modules = broken
from pgpsig.cli import main
main(sys.argv[1:])
"""


def broken_run(mods: Path, after: int, *extra: str) -> subprocess.CompletedProcess[bytes]:
    r = subprocess.run(
        [sys.executable, "-c", BROKEN, str(after), "check", "--modules-dir", mods, *ARGS, *extra],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert b"Traceback" not in r.stderr, r.stderr
    assert r.returncode == 2, r.stderr
    assert r.stderr.decode().splitlines() == [
        "pgpsig: a worker process checking modules died: simulated"
    ]
    return r


def test_an_error_mid_stream_exits_2_with_an_unclosed_json(mods: Path) -> None:
    # Before the first module: nothing of the report was written, the error's document is.
    assert json.loads(broken_run(mods, 0, "--json").stdout) == {
        "error": {"kind": "error", "message": "a worker process checking modules died: simulated"}
    }
    # After: the report's start stays, never closed, and no second document follows it.
    out = broken_run(mods, 2, "--json").stdout.decode()
    assert out.startswith('{\n  "modules": [\n    {\n      "module": "altered"')
    assert '"module": "extra"' in out and '"good1"' not in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_an_error_mid_stream_leaves_no_summary(mods: Path) -> None:
    lines = broken_run(mods, 2).stdout.decode().splitlines()
    assert lines[0].startswith("trust roots: ")
    assert list(blocks("\n".join(lines))) == ["altered", "extra"]
    assert not any("module(s) good" in x or x.startswith("failed:") for x in lines)


def test_a_reader_that_goes_away(tmp_path: Path) -> None:
    m = lay_out(tmp_path, "big")
    for i in range(200):
        (m / f"node_modules/p{i}").mkdir(parents=True)
        for j in range(50):
            (m / f"node_modules/p{i}/file{j}.js").write_bytes(b"")
    lay_out(tmp_path, "next")
    p = subprocess.Popen(
        [sys.executable, "-m", "pgpsig", "check", "--modules-dir", tmp_path, *ARGS, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.read(100).startswith(b'{\n  "modules": [')
    p.stdout.close()  # about 400 KB more are coming: far more than a pipe holds
    err = p.stderr.read()
    assert p.wait(timeout=120) == 1, err
    assert err == b""


# --------------------------------------------------------------------------------------------------
# Memory: the reports are let go of as they are written


def _report(i: int) -> ModuleReport:
    """A module with about 25 KB of unlisted names, made fresh each time."""
    sig = SignatureResult(status=SigStatus.GOOD, signer=ROB, primary=ROB, hash_algorithm="SHA1")
    return ModuleReport(
        module=f"m{i:04d}",
        path=f"/x/m{i:04d}",
        status=Status.GOOD | Status.TRUSTED,
        signature=ModuleSignature(result=sig, trusted=True, trust_path=(ROB,), warnings=(WARNING,)),
        files=FileFindings(
            checked=5, unlisted=tuple(f"node_modules/p{i}/f{j:04d}.js" for j in range(500))
        ),
    )


def _peak(
    monkeypatch: pytest.MonkeyPatch, d: Path, n: int, extra: dict[str, Any]
) -> tuple[int, int]:
    """(peak traced memory of one in-process ``check`` of ``n`` made-up modules, bytes written)."""
    import pgpsig.modules.check as chk

    def reports(
        targets: list[tuple[str, Path]],
        _opts: object,
        _progress: object = None,
        render: Callable[[ModuleReport], Any] | None = None,
    ) -> Iterator[Any]:
        if render is None:
            return (_report(i) for i in range(len(targets)))
        return (render(_report(i)) for i in range(len(targets)))

    for i in range(n):
        (d / f"m{i:04d}").mkdir(exist_ok=True)
    monkeypatch.setattr(chk, "iter_check_modules", reports)
    monkeypatch.setenv("PGPSIG_HOME", str(d / "home"))
    written = 0

    class Sink(io.TextIOBase):
        def write(self, s: str) -> int:
            nonlocal written
            written += len(s)
            return len(s)

    monkeypatch.setattr(sys, "stdout", Sink())
    tracemalloc.start()
    try:
        with pytest.raises(Exit):
            check_cli.check(
                modules=[d / f"m{i:04d}" for i in range(n)],
                keyring=[VECTORS / "keys/rob-rsa2048.pgp"],
                trust_root=[ROB],
                at=CASE["at"],
                **extra,
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, written


@pytest.mark.parametrize("extra", [{"as_json": True}, {}], ids=["json", "human"])
def test_memory_does_not_grow_with_the_modules(
    extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _peak(monkeypatch, tmp_path, 3, extra)  # imports and caches, outside the measure
    small, _ = _peak(monkeypatch, tmp_path, 40, extra)
    large, written = _peak(monkeypatch, tmp_path, 400, extra)
    if extra:
        assert written > 8_000_000  # the JSON of 400 reports: about 8 MB
    # Growing with the modules would make it about ten times more; the targets' names grow.
    assert large < 2 * small + 500_000, (small, large)
