"""The README, run as written: its walk-through's commands and its library examples.

The walk-through (section "Five minutes with pgpsig") is read from README.md, its shell blocks
run line by line in one shell in an empty directory, with the ``pgpsig`` under test first on
``PATH``; a line ending in ``# exit N: S`` must exit N and print status S in its module line,
every other line must exit 0. The library examples (every ``python`` block of the section
"Library") are run as doctests from the repository's folder, as the README says.
"""

from __future__ import annotations

import doctest
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = text.find(f"\n{level} ", start)
    return text[start : end if end >= 0 else len(text)]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def _commands(section: str) -> list[str]:
    lines = [line for block in _blocks(section, "sh") for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _walkthrough() -> list[str]:
    return _commands(_section(README.read_text(encoding="utf-8"), "## Five minutes with pgpsig"))


def _samples() -> dict[str, str]:
    """The walk-through's sample outputs: each unmarked block after a shell block, keyed by the
    last command of that shell block (whose output it shows)."""
    section = _section(README.read_text(encoding="utf-8"), "## Five minutes with pgpsig")
    fences = re.findall(r"^```(\w*)\n(.*?)^```$", section, flags=re.M | re.S)
    samples = {}
    for (lang, body), (next_lang, sample) in itertools.pairwise(fences):
        if lang == "sh" and next_lang == "":
            samples[_commands(f"```sh\n{body}```\n")[-1]] = sample
    return samples


def _normal(text: str) -> str:
    """``text`` with what changes from run to run named by its order: fingerprints F1, F2, ...
    and times (a date, with or without its time of day) T."""
    seen: dict[str, str] = {}

    def fpr(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"F{len(seen) + 1}")

    text = re.sub(r"\b[0-9A-F]{40}\b", fpr, text)
    return re.sub(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\+00:00|Z)?)?", "T", text)


def _reference_examples() -> list[str]:
    """The shell examples of the reference, run in the walk-through's directory after it."""
    return _commands(_section(README.read_text(encoding="utf-8"), "### Commands"))


def test_the_walkthrough_covers_the_lifecycle() -> None:
    """What the issue asks of the walk-through is there (and the parser finds it)."""
    commands = _walkthrough()
    firsts = [" ".join(c.split()[:3]) for c in commands if c.startswith("pgpsig ")]
    for step in (
        "pgpsig key generate",
        "pgpsig key certify",
        "pgpsig sign hello",
        "pgpsig check hello",
        "pgpsig key revoke",
        "pgpsig key revoke-certification",
    ):
        assert step in firsts, f"the walk-through has no {step!r}"
    assert sum("# exit 1" in c for c in commands) >= 3


def _pgpsig_bin(tmp: Path) -> Path:
    """A directory holding a ``pgpsig`` that runs the pgpsig under test, and ``python3``: this
    Python."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pgpsig"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pgpsig "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    python = bin_dir / "python3"  # the Python that has pgpsig (and jsonschema, the dev extra)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    return bin_dir


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    commands = _walkthrough() + _reference_examples()
    samples = _samples()
    assert len(samples) >= 2, "the walk-through lost its sample outputs"
    assert any("jsonschema.validate" in c for c in commands), "the schema example is gone"
    work = tmp_path / "work"
    work.mkdir()
    # One shell for the whole walk-through; each command's exit code and output are marked.
    script = ["set -u"]
    for i, command in enumerate(commands):
        script += [
            f"echo '@@@ {i} start'",
            f"echo '@@@ {i} start' >&2",
            command,
            f'echo "@@@ {i} rc=$?"',
        ]
    env = dict(os.environ, PATH=f"{_pgpsig_bin(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    env.pop("PGPSIG_PASSPHRASE", None)
    env["PGPSIG_HOME"] = str(tmp_path / "store")  # never the user's store
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT / "src"), env.get("PYTHONPATH")] if p)
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )
    outputs = re.split(r"^@@@ (\d+) start\n", proc.stdout, flags=re.M)[1:]
    results = {int(i): body for i, body in zip(outputs[::2], outputs[1::2], strict=True)}
    assert len(results) == len(commands), proc.stdout + proc.stderr
    for i, command in enumerate(commands):
        body = results[i]
        m = re.search(rf"^@@@ {i} rc=(\d+)$", body, flags=re.M)
        assert m, (command, body)
        rc = int(m.group(1))
        want = re.search(r"# exit (\d+): (\d+)$", command)
        context = f"{command!r} exited {rc}:\n{body}\n{proc.stderr}"
        if want is None:
            assert rc == 0, context
        else:
            assert rc == int(want.group(1)), context
            assert re.search(rf"^FAIL\s+hello\s+{want.group(2)}\s", body, flags=re.M), context
        if command.startswith("pgpsig check") and want is None and ">" not in command:
            assert re.search(r"^OK\s+hello\s+129\s", body, flags=re.M), context
        if command in samples:
            shown = body[: body.rindex(f"@@@ {i} rc=")]
            assert _normal(shown) == _normal(samples.pop(command)), context
    assert not samples, f"sample outputs of no command: {samples}"
    assert "Traceback" not in proc.stderr


def test_the_library_examples_run_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    section = _section(README.read_text(encoding="utf-8"), "### Library")
    examples = "\n".join(_blocks(section, "python"))
    assert examples.count(">>> ") >= 15, "the Library section lost its examples"
    monkeypatch.chdir(ROOT)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "README.md#library", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
    assert runner.tries == len(test.examples) > 0


def test_the_documents_point_only_inside_the_repository() -> None:
    """Every relative link of README.md and docs/ names a file of the repository; nothing
    points at what a reader of the repository cannot see."""
    documents = [README, *sorted((ROOT / "docs").glob("*.md"))]
    assert len(documents) >= 6
    for doc in documents:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), f"{doc.name}: link to {target}"
        for outside in ("../shared", "design card", "ARCHITECTURE.md", "issue #"):
            assert outside not in text, f"{doc.name} names {outside!r}"
