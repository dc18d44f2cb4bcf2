"""The cache directory (:mod:`pgpsig.cachedir`): which directories are used, and its entries.

A directory is used only if it is this user's alone to write (else an entry could be planted);
an entry that is not a small regular file (a link, a FIFO, a directory, a long file) is a miss;
a write that cannot be made leaves no entry and raises nothing.
"""

from __future__ import annotations

import copy
import os
import pickle
import stat
from pathlib import Path

import pytest

from pgpsig import cachedir
from pgpsig.cachedir import MAX_ENTRY, CacheError, cache_home, open_cache

KEY = bytes(range(32))


def test_cache_home() -> None:
    def no_home() -> Path:
        raise RuntimeError("no home")

    assert cache_home({"XDG_CACHE_HOME": "/x"}, no_home) == Path("/x/pgpsig")
    assert cache_home({"XDG_CACHE_HOME": ""}, lambda: Path("/h")) == Path("/h/.cache/pgpsig")
    # The XDG base directory spec: a relative path is invalid and ignored (else the cache would
    # be made in whatever directory pgpsig is run from).
    assert cache_home({"XDG_CACHE_HOME": "c"}, lambda: Path("/h")) == Path("/h/.cache/pgpsig")
    with pytest.raises(RuntimeError):
        cache_home({}, no_home)


def test_created_private_and_round_trip(tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "a" / "b", "ns")
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b" / "ns").stat().st_mode) == 0o700
    assert cache.get(KEY) is None
    cache.put(KEY, b"value")
    assert cache.get(KEY) == b"value"
    path = tmp_path / "a" / "b" / "ns" / KEY.hex()[:2] / KEY.hex()[2:]
    assert path.read_bytes() == b"value"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cache.put(KEY, b"other")  # replaced, no temporary file left
    assert cache.get(KEY) == b"other"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_root_others_may_write_is_refused(tmp_path: Path, mode: int) -> None:
    root = tmp_path / "c"
    root.mkdir()
    root.chmod(mode)
    with pytest.raises(CacheError, match="its group or others may write to it"):
        open_cache(root, "ns")


def test_a_namespace_others_may_write_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ns").mkdir(mode=0o700)
    (tmp_path / "ns").chmod(0o777)
    tmp_path.chmod(0o700)
    with pytest.raises(CacheError, match="may write to it"):
        open_cache(tmp_path, "ns")


def test_a_namespace_that_is_a_link_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir(mode=0o700)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (root / "ns").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CacheError, match="not a directory"):
        open_cache(root, "ns")


def test_a_root_that_is_a_link_to_a_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    open_cache(tmp_path / "link", "ns").put(KEY, b"v")
    assert open_cache(tmp_path / "real", "ns").get(KEY) == b"v"


def test_a_file_or_fifo_is_refused_as_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    os.mkfifo(tmp_path / "p")
    for name in ("f", "p"):
        with pytest.raises(CacheError, match=f"directory {tmp_path / name}: not a directory$"):
            open_cache(tmp_path / name, "ns")


def test_another_users_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "c").mkdir(mode=0o700)
    uid = os.geteuid()
    monkeypatch.setattr(cachedir.os, "geteuid", lambda: uid + 1)
    with pytest.raises(CacheError, match="another user owns it"):
        open_cache(tmp_path / "c", "ns")


def test_entries_that_are_not_small_regular_files_are_misses(tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "c", "ns")
    keys = [bytes([i]) * 32 for i in range(5)]
    paths = [tmp_path / "c" / "ns" / k.hex()[:2] / k.hex()[2:] for k in keys]
    for p in paths:
        p.parent.mkdir(mode=0o700)
    (tmp_path / "target").write_bytes(b"planted")
    paths[0].symlink_to(tmp_path / "target")  # a link is never followed
    os.mkfifo(paths[1])  # a FIFO never blocks the reader
    paths[2].mkdir()
    paths[3].write_bytes(b"x" * (MAX_ENTRY + 1))
    paths[4].write_bytes(b"x" * MAX_ENTRY)
    assert [cache.get(k) for k in keys] == [None, None, None, None, b"x" * MAX_ENTRY]


def test_a_write_that_fails_leaves_nothing_and_raises_nothing(tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "c", "ns")
    (tmp_path / "c" / "ns" / KEY.hex()[:2]).write_bytes(b"")  # a file where a directory goes
    cache.put(KEY, b"v")
    assert cache.get(KEY) is None
    assert sorted(p.name for p in (tmp_path / "c" / "ns").iterdir()) == [KEY.hex()[:2]]
    with pytest.raises(ValueError, match="at most"):
        cache.put(KEY, b"x" * (MAX_ENTRY + 1))
    with pytest.raises(ValueError, match="SHA-256"):
        cache.get(b"short")


def test_a_directory_swapped_in_after_the_checks_is_not_read_or_written(tmp_path: Path) -> None:
    # Whoever may rename entries of the root's parent (a shared directory, a user's home under a
    # root-owned run) can move the vouched-for root away once open_cache has checked it and put a
    # directory of theirs, holding an entry, in its place: the cache must keep using the
    # directory it checked, not whatever the path names later.
    root = tmp_path / "c"
    cache = open_cache(root, "ns")
    cache.put(KEY, b"ours")
    root.rename(tmp_path / "moved")
    planted = root / "ns" / KEY.hex()[:2]
    planted.mkdir(parents=True)
    (planted / KEY.hex()[2:]).write_bytes(b"planted")
    other = bytes(32)
    cache.put(other, b"written")
    assert cache.get(KEY) == b"ours"
    assert sorted(p.name for p in (root / "ns").iterdir()) == [KEY.hex()[:2]]
    assert open_cache(tmp_path / "moved", "ns").get(other) == b"written"


def test_a_copy_is_the_same_cache_and_none_is_pickled(tmp_path: Path) -> None:
    # The cache holds its directory open: a copy holding the same descriptor number would use
    # whatever the number names once the first closed it (another directory, another file).
    cache = open_cache(tmp_path / "c", "ns")
    assert copy.copy(cache) is cache
    assert copy.deepcopy({"c": cache})["c"] is cache
    with pytest.raises(TypeError, match="open directory"):
        pickle.dumps(cache)


def test_a_leftover_temporary_file_never_blocks_an_entry(tmp_path: Path) -> None:
    """A writer killed before its rename leaves a temporary file: a later one of the same process
    id still writes the entry."""
    cache = open_cache(tmp_path / "c", "ns")
    sub = tmp_path / "c" / "ns" / KEY.hex()[:2]
    sub.mkdir(mode=0o700)
    (sub / f".{KEY.hex()[2:]}.{os.getpid()}.tmp").write_bytes(b"")  # a pid-named leftover
    cache.put(KEY, b"v")
    assert cache.get(KEY) == b"v"
