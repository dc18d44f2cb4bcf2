"""The layer contract of ``src/pgpsig``, read from the source (AST), not from a running import.

The layers, lowest first (docs/development.md, "Layout, layers and rules"); a module imports only from its own
layer or lower ones, and two packages of one layer never import each other:

    errors | schemas/ | _dataclass < fsutil, hashing, readahead, mapped, fanout, workers < openpgp/ < policy, report < certs/ < engine/
           < verify, verify_inline < modules/ | keys/ < sop < cli/

(``schemas/`` holds the JSON Schemas of ``--json``: data, and a function that reads it.)

Also: no import cycle (imports inside functions count: a cycle broken by a lazy import is still a
cycle; only ``if TYPE_CHECKING:`` imports are left out of the cycle check), only the PGPy adapter
imports ``pgpy``, only ``cli/`` imports typer/click/rich, prints, writes to ``sys.stdout``/
``sys.stderr``, reads the environment or the wall clock, nothing runs a program, and no source
file is longer than :data:`MAX_LINES`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "pgpsig"
MAX_LINES = 600

#: (layer, unit) of each top-level part of the package; a unit is what may not import a sibling
#: unit of the same layer (modules/ and keys/; the single shared modules may use each other).
LAYERS: dict[str, tuple[int, str]] = {
    "errors": (0, "errors"),
    "schemas": (0, "schemas"),
    "_dataclass": (0, "_dataclass"),
    "cachedir": (1, "shared-io"),
    "fanout": (1, "shared-io"),
    "fsutil": (1, "shared-io"),
    "hashing": (1, "shared-io"),
    "mapped": (1, "shared-io"),
    "pathargs": (1, "shared-io"),
    "readahead": (1, "shared-io"),
    "workers": (1, "shared-io"),
    "openpgp": (2, "openpgp"),
    "policy": (3, "values"),
    "report": (3, "values"),
    "certs": (4, "certs"),
    "engine": (5, "engine"),
    "verify": (6, "verify"),
    "verify_inline": (6, "verify"),
    "modules": (7, "modules"),
    "keys": (7, "keys"),
    "sop": (8, "sop"),
    "cli": (9, "cli"),
}
#: The public facade (lazy re-exports of the use cases) and ``python -m pgpsig``: above everything.
FACADE = {"pgpsig", "pgpsig.__main__", "pgpsig.api"}
#: The one effect the facade may have: ``now`` defaults to the wall clock (docs/development.md: as
#: cryptography's ``decrypt`` wraps ``decrypt_at_time``); nothing below it reads the clock.
FACADE_EFFECTS = {("pgpsig.api", "datetime.now")}
#: Modules allowed to import a third-party package that only they may use.
ONLY_IMPORTERS = {
    "pgpy": {"pgpsig.openpgp._pgpy"},
    "typer": "cli",
    "click": "cli",
    "rich": "cli",
}
#: Calls and attributes that print or read the environment or the wall clock.
CLOCK_AND_ENV = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("os", "environ"),
    ("os", "getenv"),
    ("os", "environb"),
    ("sys", "stdout"),
    ("sys", "stderr"),
}
FORBIDDEN_EVERYWHERE = {"subprocess", "os.system", "os.popen", "pty", "multiprocessing.popen_spawn"}


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    imports: list[tuple[str, int, bool]] = field(
        default_factory=list
    )  # (target, line, typing only)
    effects: list[tuple[str, int]] = field(default_factory=list)  # (what, line)


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _scan(path: Path) -> Module:
    return _scan_source(path.read_text(encoding="utf-8"), _module_name(path), path)


def _scan_source(text: str, name: str, path: Path) -> Module:
    """Imports and effects of one module's source ``text``, as the module ``name``."""
    mod = Module(name, path, text.count("\n"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                mod.imports.append((alias.name, node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # "from pgpsig.openpgp import armor" imports the module pgpsig.openpgp.armor
                mod.imports.append((f"{base}.{alias.name}", node.lineno, typing_only))
                if base != "pgpsig":  # the facade's __init__ is lazy: importing it runs nothing
                    mod.imports.append((base, node.lineno, typing_only))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("print", "input", "breakpoint"):
                mod.effects.append((f"{node.func.id}()", node.lineno))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in CLOCK_AND_ENV
        ):
            mod.effects.append((f"{node.value.id}.{node.attr}", node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(text, filename=str(path)), False)
    return mod


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        m = _scan(path)
        found[m.name] = m
    assert len(found) > 20, f"found only {len(found)} modules under {SRC}"
    return found


def _part(name: str) -> str | None:
    """The top-level part of pgpsig a module belongs to (None for the facade)."""
    if name in FACADE:
        return None
    return name.split(".")[1]


def _resolve(target: str, known: dict[str, Module]) -> str | None:
    """The pgpsig module an import target names (a name imported from a module -> that module)."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


def test_every_part_has_a_layer(modules: dict[str, Module]) -> None:
    parts = {_part(n) for n in modules} - {None}
    assert parts <= set(LAYERS), f"parts without a layer in this test: {parts - set(LAYERS)}"


def test_imports_only_go_down(modules: dict[str, Module]) -> None:
    bad = []
    for m in modules.values():
        here = _part(m.name)
        if here is None:
            continue
        layer, unit = LAYERS[here]
        for target, line, _typing in m.imports:
            dep = _resolve(target, modules)
            if dep is None or dep == m.name:
                continue
            there = _part(dep)
            if there is None and target == "pgpsig.__version__":
                continue  # the version string, not a use case
            if there is None:
                bad.append(f"{m.name}:{line} imports the facade ({target})")
                continue
            dep_layer, dep_unit = LAYERS[there]
            if dep_layer > layer or (dep_layer == layer and dep_unit != unit and unit != "values"):
                bad.append(
                    f"{m.name}:{line} ({here}, layer {layer}) imports {dep} (layer {dep_layer})"
                )
    assert not sorted(set(bad)), "imports against the layers:\n" + "\n".join(sorted(set(bad)))


def test_no_import_cycles(modules: dict[str, Module]) -> None:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for m in modules.values():
        for target, _line, typing_only in m.imports:
            dep = _resolve(target, modules)
            if typing_only or dep is None or dep == m.name:
                continue
            # importing pgpsig.x.y runs pgpsig.x's __init__ too; the facade imports nothing eagerly
            graph[m.name].add(dep)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    assert not cycles, f"import cycles: {cycles}"


def test_third_party_imports_stay_where_they_belong(modules: dict[str, Module]) -> None:
    bad = []
    for m in modules.values():
        for target, line, _typing in m.imports:
            top = target.split(".")[0]
            allowed = ONLY_IMPORTERS.get(top)
            if allowed is None:
                continue
            ok = m.name in allowed if isinstance(allowed, set) else _part(m.name) == allowed
            if not ok:
                bad.append(f"{m.name}:{line} imports {target}")
    assert not bad, "\n".join(bad)


def test_nothing_runs_a_program(modules: dict[str, Module]) -> None:
    bad = [
        f"{m.name}:{line} imports {target}"
        for m in modules.values()
        for target, line, _typing in m.imports
        if target in FORBIDDEN_EVERYWHERE or target.split(".")[0] == "subprocess"
    ]
    assert not bad, "\n".join(bad)


def test_only_the_cli_prints_or_reads_clock_and_environment(modules: dict[str, Module]) -> None:
    bad = [
        f"{m.name}:{line} uses {what}"
        for m in modules.values()
        if _part(m.name) != "cli"
        for what, line in m.effects
        if (m.name, what) not in FACADE_EFFECTS
    ]
    assert not bad, "\n".join(bad)


def test_value_classes_come_from_pgpsig_dataclass(modules: dict[str, Module]) -> None:
    """Not from ``dataclasses`` nor ``typing.NamedTuple``: they cost each class 0.3-1 ms at import.

    ``dataclasses`` compiles each class's methods, ``typing`` each annotation's text (#16).
    """
    bad = [
        f"{m.name}:{line} imports {target}"
        for m in modules.values()
        if m.name != "pgpsig._dataclass"
        for target, line, typing_only in m.imports
        if (target.split(".")[0] == "dataclasses" or target == "typing.NamedTuple")
        and not typing_only
    ]
    assert not bad, "\n".join(bad)


def test_no_source_file_is_too_long(modules: dict[str, Module]) -> None:
    long = sorted(
        f"{m.path.relative_to(SRC)}: {m.lines}" for m in modules.values() if m.lines > MAX_LINES
    )
    assert not long, f"files over {MAX_LINES} lines: {long}"


def test_the_scanner_sees_violations() -> None:
    """The checks above can fail: the scanner finds each kind of violation in a sample module."""
    code = (
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "from pgpsig.engine import judge\n"
        "if TYPE_CHECKING:\n"
        "    from pgpsig.cli import app\n"
        "def f():\n"
        "    import subprocess\n"
        "    from . import armor\n"
        "    print(os.environ)\n"
    )
    m = _scan_source(code, "pgpsig.openpgp.probe", SRC / "openpgp" / "probe.py")
    assert ("pgpsig.engine.judge", 3, False) in m.imports
    assert ("pgpsig.cli.app", 5, True) in m.imports
    assert ("subprocess", 7, False) in m.imports
    assert ("pgpsig.openpgp.armor", 8, False) in m.imports
    assert ("print()", 9) in m.effects
    assert ("os.environ", 9) in m.effects
