"""A synthetic FreePBX 16 install, built deterministically from a fleet-shape description.

The shape (``freepbx16-fleet-shape.json`` in the workplace's shared bench directory) gives each real
module's name and the number of files its ``module.sig`` lists, and the sizes of 754 real module
files. :func:`plan_install` turns it into a list of modules, each with its real file count, a
directory tree shaped like a PHP module's (files cluster in recently made directories, up to six
levels deep), and for every file a size drawn from the real sizes with a fixed seed;
:func:`write_install` writes it with pseudo-random contents. The same shape and seed always give
byte-identical trees. ``copies`` (:func:`replicate`) makes the install several times over with
distinct module names (the benchmark's 10x case).

A module that lists no file in the shape gets one: pgpsig, like FreePBX's own sign.php output,
never writes an empty ``[hashes]`` section, and refuses to check one (fail closed).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ModulePlan",
    "fallback_shape",
    "load_shape",
    "mirror",
    "plan_install",
    "replicate",
    "write_install",
]

# fmt: off
DIR_WORDS = ("assets", "views", "js", "css", "i18n", "lib", "vendor", "src", "images", "fonts",
             "templates", "Api", "Console", "Job", "utests", "ucp", "functions", "install",
             "LC_MESSAGES", "modules", "widgets", "less", "Backup", "Restore", "bin", "page")
FILE_WORDS = ("index", "module", "functions", "page", "view", "Backup", "Restore", "install",
              "uninstall", "common", "main", "grid", "form", "bootstrap", "jquery", "helper",
              "api", "ajax", "settings", "config", "hooks", "rest", "graphql", "widget", "sounds")
EXTENSIONS = ("php", "php", "php", "js", "js", "css", "html", "po", "mo", "png", "svg", "xml",
              "json", "less", "sh", "txt")
# fmt: on


@dataclass(frozen=True)
class ModulePlan:
    """One module: its name and its files as (path relative to the module, size in bytes)."""

    name: str
    files: tuple[tuple[str, int], ...]

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.files)


def load_shape(path: Path) -> tuple[list[tuple[str, int]], list[int]]:
    """(modules as (name, file count), file sizes) from a fleet-shape JSON file."""
    doc = json.loads(path.read_text())
    modules = [(str(name), int(count)) for name, count in doc["modules"]]
    sizes = [int(s) for s in doc["file_sizes"]]
    if not modules or not sizes:
        raise ValueError(f"{path.name}: no modules or no file sizes")
    return modules, sizes


def fallback_shape(seed: int = 11) -> tuple[list[tuple[str, int]], list[int]]:
    """A small made-up shape for when the real one is absent (``--quick`` only, and said so)."""
    rng = random.Random(seed)
    modules = [(f"module{i:02d}", int(rng.lognormvariate(4.0, 1.2)) + 1) for i in range(12)]
    sizes = [int(rng.lognormvariate(7.3, 1.6)) for _ in range(300)]
    return modules, sizes


def _module_files(rng: random.Random, count: int, sizes: list[int]) -> tuple[tuple[str, int], ...]:
    dirs: list[tuple[str, int]] = [("", 0)]  # (path, depth)
    children: dict[str, set[str]] = {"": set()}
    files: list[tuple[str, int]] = [("module.xml", rng.choice(sizes))]
    for i in range(1, count):
        if rng.random() < 0.12:
            parent, depth = dirs[-1 - min(int(rng.expovariate(0.7)), len(dirs) - 1)]
            if depth < 6:
                word = rng.choice(DIR_WORDS)
                name = word if word not in children[parent] else f"{word}{i}"
                path = f"{parent}/{name}" if parent else name
                children[parent].add(name)
                children[path] = set()
                dirs.append((path, depth + 1))
        where, _ = dirs[-1 - min(int(rng.expovariate(0.5)), len(dirs) - 1)]
        name = f"{rng.choice(FILE_WORDS)}{i}.{rng.choice(EXTENSIONS)}"
        files.append((f"{where}/{name}" if where else name, rng.choice(sizes)))
    return tuple(files)


def plan_install(
    modules: list[tuple[str, int]],
    sizes: list[int],
    *,
    seed: int,
    scale: int = 1,
    every: int = 1,
    copies: int = 1,
) -> list[ModulePlan]:
    """The modules to write: every ``every``-th module of the shape, with ``count // scale`` files
    (at least one), each module's tree drawn from its own seeded generator; ``copies`` times over
    (:func:`replicate`: the first copy is the one-copy install, module for module)."""
    out = []
    for name, count in replicate(modules[::every], copies):
        rng = random.Random(f"{seed}:{name}")
        out.append(ModulePlan(name, _module_files(rng, max(1, count // scale), sizes)))
    return out


def replicate(modules: list[tuple[str, int]], copies: int) -> list[tuple[str, int]]:
    """``copies`` copies of the shape's modules with distinct names: the first copy as it is, copy
    ``k`` (from 2) with ``-k`` after each name (``core``, then ``core-2`` ... ``core-10``), so that
    each copy gets trees and contents of its own (they are seeded by name)."""
    out = [*modules]
    for k in range(2, copies + 1):
        out += [(f"{name}-{k}", count) for name, count in modules]
    names = {name for name, _ in out}
    if len(names) != len(out):
        raise ValueError("the copies' module names are not distinct")
    return out


def write_install(root: Path, plan: list[ModulePlan], seed: int) -> None:
    """Write every module of ``plan`` under ``root`` (one directory per module).

    Contents are pseudo-random bytes from a generator seeded by ``seed`` and the module's name.
    """
    for module in plan:
        rng = random.Random(f"{seed}:{module.name}:contents")
        base = root / module.name
        made: set[str] = set()
        for rel, size in module.files:
            parent = os.path.dirname(rel)
            if parent not in made:
                (base / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            (base / rel).write_bytes(rng.randbytes(size))


def mirror(src: Path, dst: Path, *, with_sig: bool) -> None:
    """Hard-link every file of the install ``src`` into ``dst`` (``module.sig`` only if asked)."""
    for dirpath, _dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst / rel
        target.mkdir(parents=True, exist_ok=True)
        top_of_module = rel != "." and os.sep not in rel
        for name in filenames:
            if name == "module.sig" and top_of_module and not with_sig:
                continue
            os.link(os.path.join(dirpath, name), target / name)
