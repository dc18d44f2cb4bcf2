"""Shared plumbing of the fuzz targets: the seed corpus, the fixed clock and the atheris driver.

Every target module defines ``test_one_input(data: bytes) -> None``, which must return normally or
raise :class:`pgpsig.errors.PgpsigError`; anything else (another exception, a hang, a "good" verdict
on input that cannot be good) is a finding. The same function is driven by atheris (coverage-guided,
``python fuzz/<target>.py [libFuzzer flags] [CORPUS_DIR...]``) and, when atheris is missing, by
hypothesis in ``tests/corpus/test_fuzz_smoke.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"
#: The reference time of every vector (vectors/README.md).
AT = datetime(2025, 6, 1, tzinfo=timezone.utc)


def seed_files(patterns: Iterable[str]) -> list[Path]:
    """Committed vectors matching ``patterns`` (globs below vectors/), sorted: the seed corpus."""
    out: set[Path] = set()
    for pattern in patterns:
        out.update(p for p in VECTORS.glob(pattern) if p.is_file())
    return sorted(out)


def seeds(patterns: Iterable[str], *, limit: int = 1 << 20) -> list[bytes]:
    """The bytes of the seed files (each at most ``limit`` bytes)."""
    return [p.read_bytes()[:limit] for p in seed_files(patterns)]


def prepared_seeds(name: str, patterns: Iterable[str], transform: Callable[[bytes], bytes]) -> Path:
    """Write ``transform`` of each seed file into ``fuzz/.seeds/NAME/`` (git-ignored); return it.

    For targets whose input is something the vectors only hold inside another format (the
    manifest inside a clear-signed ``module.sig``). Seeds the transform rejects are left out.
    """
    folder = Path(__file__).resolve().parent / ".seeds" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for i, path in enumerate(seed_files(patterns)):
        try:
            data = transform(path.read_bytes())
        except Exception:  # noqa: BLE001 - a seed that does not transform is just not a seed
            continue
        (folder / f"{i:03d}-{path.name}").write_bytes(data)
    return folder


def run(
    test_one_input: Callable[[bytes], None],
    patterns: Iterable[str],
    *,
    name: str = "",
    transform: Callable[[bytes], bytes] | None = None,
) -> None:
    """Run atheris on ``test_one_input`` (never returns: libFuzzer exits the process).

    Arguments are libFuzzer's (``-runs=N``, ``-max_total_time=S``, corpus directories). The seed
    files are always given with ``-seed_inputs``, so the committed vectors are never written to;
    new inputs are kept only in a corpus directory named on the command line.
    """
    import atheris

    argv = list(sys.argv)
    if transform is not None:
        files = sorted(prepared_seeds(name, patterns, transform).iterdir())
    else:
        files = seed_files(patterns)
    if files and not any(a.startswith("-seed_inputs=") for a in argv[1:]):
        argv.insert(1, "-seed_inputs=" + ",".join(str(p) for p in files))
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
