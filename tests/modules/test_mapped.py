"""Tests of hashing large files through maps in forked children (pgpsig.mapped, and its use).

The windows and the size from which files go to children are made small here (a few pages), so
that small files take every path: several windows, a last short one, a file grown or cut short
while its child hashes it (a real SIGBUS, in the child only).
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from conftest import no_child_left
from pgpsig import hashing, mapped, workers
from pgpsig.hashing import FileDigest, digest_files

PAGE = mmap.ALLOCATIONGRANULARITY


def write(path: Path, size: int, seed: int) -> bytes:
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


@contextmanager
def small_maps(
    window: int = 2 * PAGE, map_min: int = 3 * PAGE, parallel_min: int = 1
) -> Iterator[None]:
    """Windows of a few pages, and files of a few pages hashed in children (and big enough for
    digest_files to look for a strategy for big files)."""
    with (
        mock.patch.object(mapped, "WINDOW", window),
        mock.patch.object(mapped, "MAP_MIN", map_min),
        mock.patch.object(hashing, "_PARALLEL_MIN_WEIGHT", parallel_min),
        mock.patch.object(hashing, "_BIG_FILE", map_min),
    ):
        yield


@contextmanager
def opened(paths: list[Path]) -> Iterator[tuple[list[int], list[int]]]:
    fds = [os.open(p, os.O_RDONLY) for p in paths]
    try:
        yield fds, [os.fstat(fd).st_size for fd in fds]
    finally:
        for fd in fds:
            os.close(fd)


@pytest.fixture(autouse=True)
def _fork_safe() -> None:
    assert workers.fork_is_safe(), "these tests expect to run without other threads"


@pytest.mark.parametrize("size", [0, 1, PAGE - 1, PAGE, 2 * PAGE, 2 * PAGE + 1, 7 * PAGE + 123])
def test_a_child_hashes_the_file_through_windows(tmp_path: Path, size: int) -> None:
    data = write(tmp_path / "f", size, size)
    with small_maps(), opened([tmp_path / "f"]) as (fds, sizes):
        assert mapped.hash_apart(fds, sizes, hashlib.sha256, 1) == [digest(data)]
    assert no_child_left()


def test_more_files_than_workers_keep_their_order(tmp_path: Path) -> None:
    sizes_wanted = [5 * PAGE, 3 * PAGE + 7, 9 * PAGE, 0, 4 * PAGE]
    paths = [tmp_path / f"f{i}" for i in range(len(sizes_wanted))]
    want = [
        digest(write(p, n, i)) for i, (p, n) in enumerate(zip(paths, sizes_wanted, strict=True))
    ]
    with small_maps(), opened(paths) as (fds, sizes):
        started: list[int] = []
        real = mapped._start

        def recording(fd: int, size: int, new: object) -> tuple[int, int]:
            started.append(size)
            return real(fd, size, new)  # type: ignore[arg-type]

        with mock.patch.object(mapped, "_start", recording):
            assert mapped.hash_apart(fds, sizes, hashlib.sha256, 2) == want
    assert started == sorted(sizes_wanted, reverse=True)  # the largest first
    assert no_child_left()


def test_a_file_cut_short_while_mapped_kills_only_its_child(tmp_path: Path) -> None:
    """A real SIGBUS: the child maps pages past the new end of the file and dies touching them.
    This process lives on, and digest_files reads the file itself: what it holds now."""
    path = tmp_path / "f"
    write(path, 8 * PAGE, 1)
    real = mapped._window

    def cut_first(fd: int, offset: int, length: int, h: object) -> None:
        os.truncate(path, 100)  # in the child, before its first window
        real(fd, offset, length, h)  # type: ignore[arg-type]

    with small_maps(), mock.patch.object(mapped, "_window", cut_first):
        with opened([path]) as (fds, sizes):
            assert mapped.hash_apart(fds, sizes, hashlib.sha256, 1) == [None]
        write(path, 8 * PAGE, 1)
        results = digest_files([path, path], workers=2)
    # Each child cut it again before dying; this process read what was left.
    assert results == [FileDigest(*digest(path.read_bytes()))] * 2
    assert path.stat().st_size == 100
    assert no_child_left()


def test_a_file_that_grew_is_hashed_to_its_end(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = write(path, 4 * PAGE + 5, 2)
    real = mapped._window
    grown = data + b"more after the size first seen" * 1000

    def grow_first(fd: int, offset: int, length: int, h: object) -> None:
        if offset == 0:
            path.write_bytes(grown)  # same inode: write_bytes truncates and rewrites in place
        real(fd, offset, length, h)  # type: ignore[arg-type]

    with small_maps(), mock.patch.object(mapped, "_window", grow_first), opened([path]) as o:
        assert mapped.hash_apart(*o, hashlib.sha256, 1) == [digest(grown)]


@pytest.mark.parametrize("how", ["killed", "raises", "says nothing"])
def test_a_child_that_fails_gives_none_and_the_file_is_read_here(tmp_path: Path, how: str) -> None:
    paths = [tmp_path / "a", tmp_path / "b"]
    want = [digest(write(p, 6 * PAGE + i, i)) for i, p in enumerate(paths)]

    def failing(fd: int, size: int, new: object) -> tuple[int, str]:
        if size == 6 * PAGE:  # file a only
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            if how == "raises":
                raise MemoryError
            os._exit(0)
        return real(fd, size, new)  # type: ignore[arg-type]

    real = mapped._hash_mapped
    with small_maps(), mock.patch.object(mapped, "_hash_mapped", failing):
        with opened(paths) as (fds, sizes):
            assert mapped.hash_apart(fds, sizes, hashlib.sha256, 2) == [None, want[1]]
        read_here = mock.patch.object(hashing, "_digest_open", wraps=hashing._digest_open)
        with read_here as fallback:
            assert digest_files(paths, workers=2) == [FileDigest(*w) for w in want]
        assert fallback.call_count == 1
    assert no_child_left()


def test_an_error_in_this_process_kills_and_reaps_the_children(tmp_path: Path) -> None:
    paths = [tmp_path / "a", tmp_path / "b"]
    for i, p in enumerate(paths):
        write(p, 64 * PAGE, i)
    pids: list[int] = []
    real = mapped._start
    slow = mapped._hash_mapped

    def recording(fd: int, size: int, new: object) -> tuple[int, int]:
        rfd, pid = real(fd, size, new)  # type: ignore[arg-type]
        pids.append(pid)
        return rfd, pid

    def stuck(fd: int, size: int, new: object) -> tuple[int, str]:
        signal.pause()  # until killed
        return slow(fd, size, new)  # type: ignore[arg-type]

    def interrupted() -> None:
        raise KeyboardInterrupt

    with (
        small_maps(),
        mock.patch.object(mapped, "_start", recording),
        mock.patch.object(mapped, "_hash_mapped", stuck),
        opened(paths) as (fds, sizes),
        pytest.raises(KeyboardInterrupt),
    ):
        mapped.hash_apart(fds, sizes, hashlib.sha256, 2, interrupted)
    assert len(pids) == 2
    assert no_child_left()


def test_digest_files_maps_large_files_in_children_and_hashes_the_rest_here(
    tmp_path: Path,
) -> None:
    sizes = [9 * PAGE, 10, 0, 12 * PAGE, 3 * PAGE - 1, 3 * PAGE]
    paths = [tmp_path / f"f{i}" for i in range(len(sizes))]
    want = [
        FileDigest(*digest(write(p, n, i)))
        for i, (p, n) in enumerate(zip(paths, sizes, strict=True))
    ]
    missing = tmp_path / "absent"
    fds_before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    # Small files weigh 6 KiB each (hashing._FILE_COST) and these are about 50 KB in all: less
    # than the job's least weight for parallel work, while the whole job is more.
    with (
        small_maps(parallel_min=100_000),
        mock.patch.object(mapped, "_start", wraps=mapped._start) as start,
        mock.patch.object(hashing, "_digest_threads") as threads,
    ):
        results = digest_files([*paths, missing, tmp_path], workers=2)
    assert results[: len(paths)] == want
    assert isinstance(results[-2], FileNotFoundError)
    assert isinstance(results[-1], IsADirectoryError)
    assert start.call_count == 3  # the three files of MAP_MIN bytes or more
    assert threads.call_count == 0
    assert no_child_left()
    if fds_before is not None:
        assert set(os.listdir("/proc/self/fd")) == fds_before  # every descriptor closed


def test_no_child_is_forked_while_another_thread_runs(tmp_path: Path) -> None:
    paths = [tmp_path / "a", tmp_path / "b"]
    want = [FileDigest(*digest(write(p, 9 * PAGE, i))) for i, p in enumerate(paths)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with small_maps(), mock.patch.object(mapped, "hash_apart") as apart:
            assert digest_files(paths, workers=2) == want
        assert apart.call_count == 0
    finally:
        stop.set()
        other.join()


def test_many_large_files_hold_few_descriptors_at_once(tmp_path: Path) -> None:
    """An honest module of more large files than this process may hold open at once (sparse
    files make such a module cheap to forge): each is hashed, none fails for want of a
    descriptor (all were opened before the first child was started, and the pipes then failed).
    """
    import resource  # noqa: PLC0415 - POSIX only, like fork

    paths = [tmp_path / f"f{i}" for i in range(120)]
    want = [FileDigest(*digest(write(p, 3 * PAGE + i, i))) for i, p in enumerate(paths)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 64
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 60, hard))
    try:
        with small_maps():
            results = digest_files(paths, workers=2)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert results == want
    assert no_child_left()


def test_a_pipe_numbered_past_select_s_limit_is_waited_for(tmp_path: Path) -> None:
    """select() takes no descriptor of 1024 or more (a library caller with many files open, a
    raised limit): the children's pipes are polled."""
    import resource  # noqa: PLC0415 - POSIX only, like fork

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this process may not hold 1100 descriptors")
    data = write(tmp_path / "f", 5 * PAGE + 1, 3)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held: list[int] = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        with small_maps(), opened([tmp_path / "f"]) as (fds, sizes):
            assert mapped.hash_apart(fds, sizes, hashlib.sha256, 1) == [digest(data)]
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert no_child_left()


def test_a_caller_s_signal_handler_raising_an_os_error_while_forking_is_raised(
    tmp_path: Path,
) -> None:
    """A caller's alarm handler raising TimeoutError (an OSError) as a child is forked is the
    caller's exception, not a fork that failed: it reaches the caller, no child left."""
    write(tmp_path / "f", 6 * PAGE, 1)
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:  # the parent, every signal held off: the alarm comes as the mask is restored
            os.kill(os.getpid(), signal.SIGALRM)
        return pid

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError("the caller's time is up")

    old = signal.signal(signal.SIGALRM, alarm)
    try:
        with (
            small_maps(),
            opened([tmp_path / "f"]) as (fds, sizes),
            mock.patch.object(os, "fork", fork),
            pytest.raises(TimeoutError, match="time is up"),
        ):
            mapped.hash_apart(fds, sizes, hashlib.sha256, 1)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert no_child_left()


def test_a_child_that_cannot_be_forked_leaves_its_file_to_be_read_here(tmp_path: Path) -> None:
    """fork() failing (EAGAIN: a limit of processes) is no error of the file's: it is read."""
    paths = [tmp_path / "a", tmp_path / "b"]
    want = [FileDigest(*digest(write(p, 6 * PAGE + i, i))) for i, p in enumerate(paths)]
    real = mapped.fork_child
    calls: list[int] = []

    def failing_once(body: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        return real(body)  # type: ignore[arg-type]

    with small_maps(), mock.patch.object(mapped, "fork_child", failing_once):
        assert digest_files(paths, workers=2) == want
    assert len(calls) == 2
    assert no_child_left()


def test_a_file_cut_short_inside_its_last_mapped_page_is_read_here(tmp_path: Path) -> None:
    """Cut short within the last page mapped, a file raises no SIGBUS: the bytes past its new end
    read as zeros. The child must not report them as the file's (bytes it never held)."""
    path = tmp_path / "f"
    size = 5 * PAGE + 100
    write(path, size, 4)

    class Cutting:
        """sha256, but the file is cut by 50 bytes once its last window is mapped."""

        def __init__(self, first: bytes) -> None:
            self.h = hashlib.sha256(first)

        def update(self, data: memoryview | bytes, /) -> None:
            if len(data) < 2 * PAGE:  # the last window: mapped, not yet read
                os.truncate(path, size - 50)
            self.h.update(data)

        def hexdigest(self) -> str:
            return self.h.hexdigest()

    with small_maps(), opened([path]) as (fds, sizes):
        assert mapped.hash_apart(fds, sizes, Cutting, 1) == [None]
    assert path.stat().st_size == size - 50
    assert no_child_left()


def test_ctrl_c_while_a_child_is_reaped_leaves_no_zombie(tmp_path: Path) -> None:
    paths = [tmp_path / "a", tmp_path / "b"]
    for i, p in enumerate(paths):
        write(p, 4 * PAGE, i)
    real = mapped._reap
    calls: list[int] = []

    def interrupted_once(pid: int) -> bool:
        calls.append(pid)
        if len(calls) == 1:
            raise KeyboardInterrupt  # before waitpid: the child is left to reap
        return real(pid)

    with (
        small_maps(),
        mock.patch.object(mapped, "_reap", interrupted_once),
        opened(paths) as (fds, sizes),
        pytest.raises(KeyboardInterrupt),
    ):
        mapped.hash_apart(fds, sizes, hashlib.sha256, 2)
    assert no_child_left()


def test_mapping_imports_nothing_of_the_fanout(tmp_path: Path) -> None:
    """Forking a child costs no import of the fanout's machinery (pickle, heapq: 3 ms, measured
    before the first fork of a ``check`` of two large files)."""
    paths = [tmp_path / "a", tmp_path / "b"]
    for i, p in enumerate(paths):
        write(p, 9 * PAGE, i)
    code = f"""
import sys
from unittest import mock
from pgpsig import hashing, mapped
with mock.patch.object(mapped, "MAP_MIN", {3 * PAGE}), \\
        mock.patch.object(hashing, "_BIG_FILE", {3 * PAGE}), \\
        mock.patch.object(hashing, "_PARALLEL_MIN_WEIGHT", 1), \\
        mock.patch.object(mapped, "_start", wraps=mapped._start) as start:
    hashing.digest_files({[str(p) for p in paths]!r}, workers=2)
assert start.call_count == 2, start.call_count
print(sorted(m for m in ("pgpsig.fanout", "pickle") if m in sys.modules))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
