"""Tests of the streaming hash engine: correctness against hashlib, order, errors in place, memory."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import no_child_left
from pgpsig import fanout, hashing, workers
from pgpsig.errors import PgpsigError
from pgpsig.hashing import CHUNK, FileDigest, digest_file, digest_files, feed

EDGE_SIZES = [0, 1, 2047, 2048, CHUNK - 1, CHUNK, CHUNK + 1]
sizes = st.one_of(st.sampled_from(EDGE_SIZES), st.integers(min_value=0, max_value=70_000))


def content(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def expected(data: bytes, algorithm: str = "sha256") -> FileDigest:
    return FileDigest(len(data), hashlib.new(algorithm, data).hexdigest())


def write_tree(root: Path, file_sizes: list[int], seed: int) -> tuple[list[Path], list[FileDigest]]:
    """Files of these sizes spread over a few nested directories, and their expected digests."""
    paths: list[Path] = []
    digests: list[FileDigest] = []
    for i, size in enumerate(file_sizes):
        d = root / f"d{i % 3}" / f"e{i % 2}"
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"f{i}.php"
        data = content(size, seed * 100_003 + i)
        p.write_bytes(data)
        paths.append(p)
        digests.append(expected(data))
    return paths, digests


@contextmanager
def thresholds(parallel_min: int, batch: int) -> Iterator[None]:
    """Make tiny jobs look big enough for a process or thread pool."""
    with (
        mock.patch.object(hashing, "_PARALLEL_MIN_WEIGHT", parallel_min),
        mock.patch.object(hashing, "_BATCH_WEIGHT", batch),
    ):
        yield


def pgpsig_threads() -> list[str]:
    """The threads of pgpsig's still alive (readers, hashers): none once a call has returned."""
    return [t.name for t in threading.enumerate() if t.name.startswith("pgpsig-")]


def as_pairs(results: list[FileDigest | OSError]) -> list[object]:
    return [
        (type(r), r.errno, r.filename) if isinstance(r, OSError) else (r.size, r.hexdigest)
        for r in results
    ]


# --- feed ---------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(size=sizes, chunk=st.sampled_from([1, 7, 2048, CHUNK]))
def test_feed_passes_every_byte_to_every_sink(size: int, chunk: int) -> None:
    if chunk == 1:
        size = min(size, 5000)
    data = content(size, size)
    h1, h2 = hashlib.sha256(), hashlib.sha512()
    collected = bytearray()
    n = feed(io.BytesIO(data), [h1.update, h2.update, collected.extend], chunk=chunk)
    assert n == size
    assert bytes(collected) == data
    assert h1.hexdigest() == hashlib.sha256(data).hexdigest()
    assert h2.hexdigest() == hashlib.sha512(data).hexdigest()


def test_feed_reads_a_real_file_in_bounded_chunks(tmp_path: Path) -> None:
    data = content(3 * CHUNK + 5, 1)
    p = tmp_path / "f"
    p.write_bytes(data)
    lengths: list[int] = []
    h = hashlib.sha256()

    def sink(chunk: memoryview) -> None:
        assert chunk.readonly
        lengths.append(len(chunk))
        h.update(chunk)

    with p.open("rb") as fp:
        assert feed(fp, [sink]) == len(data)
    assert max(lengths) <= CHUNK
    assert sum(lengths) == len(data)
    assert h.hexdigest() == hashlib.sha256(data).hexdigest()


def test_feed_without_readinto_and_with_no_sinks() -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self._f = io.BytesIO(data)

        def read(self, n: int) -> bytes:
            return self._f.read(min(n, 3))  # short reads

    collected = bytearray()
    assert feed(ReadOnly(b"0123456789"), [collected.extend], chunk=4) == 10  # type: ignore[arg-type]
    assert collected == b"0123456789"
    assert feed(io.BytesIO(b"abc"), []) == 3


def test_feed_rejects_a_bad_chunk_and_a_would_block_stream() -> None:
    with pytest.raises(ValueError, match="chunk"):
        feed(io.BytesIO(b""), [], chunk=0)

    class WouldBlock(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: object) -> None:
            return None

    with pytest.raises(BlockingIOError):
        feed(WouldBlock(), [])  # type: ignore[arg-type]


# --- digest_file --------------------------------------------------------------------------------


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=sizes, algorithm=st.sampled_from(["sha256", "sha1", "sha384", "sha512", "blake2b"]))
def test_digest_file_matches_hashlib(tmp_path: Path, size: int, algorithm: str) -> None:
    data = content(size, size + 1)
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    assert digest_file(p, algorithm) == expected(data, algorithm)


def test_digest_file_edge_sizes(tmp_path: Path) -> None:
    for size in EDGE_SIZES + [3 * CHUNK + 17]:
        data = content(size, 7)
        p = tmp_path / f"f{size}"
        p.write_bytes(data)
        assert digest_file(p) == expected(data), size


def test_digest_file_reads_files_whose_size_is_not_known_in_advance() -> None:
    # A procfs file reports size 0 yet has content.
    proc = Path("/proc/self/cmdline")
    if not proc.is_file():
        pytest.skip("no procfs")
    assert digest_file(proc) == expected(proc.read_bytes())


def test_digest_file_follows_symlinks(tmp_path: Path) -> None:
    (tmp_path / "target").write_bytes(b"hello")
    (tmp_path / "link").symlink_to("target")
    assert digest_file(tmp_path / "link") == expected(b"hello")


def test_digest_file_errors(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        digest_file(tmp_path)
    (tmp_path / "dangling").symlink_to("nowhere")
    with pytest.raises(FileNotFoundError):
        digest_file(tmp_path / "dangling")
    with pytest.raises(ValueError, match="unsupported hash type|unknown"):
        digest_file(tmp_path, "no-such-hash")
    with pytest.raises(ValueError, match="extendable-output"):
        digest_file(tmp_path, "shake_128")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as info:
        digest_file(fifo)
    assert info.value.errno == errno.EINVAL


# --- digest_files -------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    file_sizes=st.lists(sizes, max_size=12),
    seed=st.integers(0, 2**16),
    workers=st.sampled_from([1, 2, 3, None]),
)
def test_digest_files_matches_hashlib_in_order(
    file_sizes: list[int], seed: int, workers: int | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths, digests = write_tree(Path(tmp), file_sizes, seed)
        order = list(range(len(paths)))
        random.Random(seed).shuffle(order)
        shuffled = [paths[i] for i in order]
        assert digest_files(shuffled, workers=workers) == [digests[i] for i in order]


@pytest.mark.parametrize("strategy", ["sequential", "threads", "processes"])
@settings(max_examples=8, deadline=None)
@given(file_sizes=st.lists(sizes, min_size=2, max_size=10), seed=st.integers(0, 2**16))
def test_every_strategy_gives_the_same_results(
    strategy: str, file_sizes: list[int], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths, digests = write_tree(root, file_sizes, seed)
        (root / "dangling").symlink_to("missing")
        names = [os.fspath(p) for p in [*paths[:1], root, root / "dangling", *paths[1:]]]
        with mock.patch.object(hashing._Shape, "strategy", lambda *_a, **_k: strategy):
            got = hashing._digest_many(names, "sha256", hashlib.sha256, 2, fork_ok=False)
        assert got[3:] == [(d.size, d.hexdigest) for d in digests[1:]]
        assert got[0] == (digests[0].size, digests[0].hexdigest)
        assert isinstance(got[1], IsADirectoryError)
        assert isinstance(got[2], FileNotFoundError)
        assert got[2].filename == names[2]


def test_unreadable_files_yield_their_error_in_place(tmp_path: Path) -> None:
    paths, digests = write_tree(tmp_path / "t", [10, 0, 5000], 3)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    inputs = [paths[0], tmp_path / "dangling", paths[1], tmp_path, paths[2], tmp_path / "absent"]
    for n in (1, 2):
        got = digest_files(inputs, workers=n)
        assert got[0] == digests[0]
        assert isinstance(got[1], FileNotFoundError)
        assert got[1].filename == os.fspath(tmp_path / "dangling")
        assert got[2] == digests[1]
        assert isinstance(got[3], IsADirectoryError)
        assert got[4] == digests[2]
        assert isinstance(got[5], FileNotFoundError)


def test_a_process_pool_keeps_order_and_errors(tmp_path: Path) -> None:
    """Thresholds lowered so a small tree starts the pool early (while stat'ing) and in batches."""
    file_sizes = [
        random.Random(i).choice([0, 1, 100, 3000, 20_000, 2 * CHUNK + 3]) for i in range(300)
    ]
    paths, digests = write_tree(tmp_path / "t", file_sizes, 11)
    inputs: list[Path] = list(paths)
    inputs.insert(17, tmp_path / "t")  # a directory
    inputs.insert(250, tmp_path / "absent")
    want = as_pairs(
        [
            *digests[:17],
            IsADirectoryError(errno.EISDIR, "", os.fspath(tmp_path / "t")),
            *digests[17:249],
            FileNotFoundError(errno.ENOENT, "", os.fspath(tmp_path / "absent")),
            *digests[249:],
        ]
    )
    assert workers.fork_is_safe(), "this test expects to run without other threads"
    for parallel_min in (1, 200_000):  # workers started at once / part-way through
        with (
            thresholds(parallel_min=parallel_min, batch=50_000),
            mock.patch.object(fanout, "run", wraps=fanout.run) as run,
        ):
            assert as_pairs(digest_files(inputs, workers=2)) == want
            assert run.call_count == 1


def test_threads_are_used_for_a_few_big_files(tmp_path: Path) -> None:
    paths, digests = write_tree(tmp_path, [3 * CHUNK, CHUNK, 10], 5)
    with (
        thresholds(parallel_min=2 * CHUNK, batch=CHUNK),
        mock.patch.object(hashing, "_digest_threads", wraps=hashing._digest_threads) as threads,
    ):
        assert digest_files(paths, workers=4) == digests
        assert threads.call_count == 1


def test_threads_take_the_largest_files_first_and_keep_the_order(tmp_path: Path) -> None:
    paths, digests = write_tree(tmp_path, [10, 3 * CHUNK, 0, CHUNK], 6)
    names = [os.fspath(p) for p in paths]
    sizes = [10, 3 * CHUNK, 0, CHUNK]
    order: list[str] = []
    real = hashing._digest_path

    def recording(name: str, new: object, **kw: bool) -> tuple[int, str]:
        order.append(name)
        return real(name, new, **kw)  # type: ignore[arg-type]

    with mock.patch.object(hashing, "_digest_path", recording):
        results = hashing._digest_threads(names, hashlib.sha256, 1, sizes)  # this thread alone
    assert order == [names[1], names[3], names[0], names[2]]
    assert [FileDigest(*r) for r in results] == digests  # type: ignore[misc]


def test_an_unexpected_error_in_a_hashing_thread_is_raised(tmp_path: Path) -> None:
    paths, _ = write_tree(tmp_path, [CHUNK, CHUNK, CHUNK, CHUNK], 8)
    names = [os.fspath(p) for p in paths]
    real = hashing._digest_path
    error = RuntimeError("boom")

    def failing(name: str, new: object, **kw: bool) -> tuple[int, str]:
        if name == names[2]:
            raise error
        return real(name, new, **kw)  # type: ignore[arg-type]

    with mock.patch.object(hashing, "_digest_path", failing), pytest.raises(RuntimeError) as info:
        hashing._digest_threads(names, hashlib.sha256, 3, [CHUNK] * 4)
    assert info.value is error
    assert not pgpsig_threads()


def test_strategy_by_shape() -> None:
    def shape(*file_sizes: int) -> hashing._Shape:
        s = hashing._Shape()
        for size in file_sizes:
            s.add(size)
        return s

    big = 512 << 20
    fleet = shape(*([9000] * 27_000))
    assert shape(100, 200, 5000).strategy(2, fork_ok=True) == "sequential"
    assert shape(big, big).strategy(2, fork_ok=True) == "threads"
    assert shape(big).strategy(2, fork_ok=False) == "sequential"
    assert fleet.strategy(2, fork_ok=True) == "processes"
    assert fleet.strategy(2, fork_ok=False) == "sequential"
    assert shape(big, big, *([9000] * 27_000)).strategy(2, fork_ok=False) == "threads"


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not workers.fork_is_safe()
    finally:
        stop.set()
        t.join()


def test_digest_files_arguments(tmp_path: Path) -> None:
    assert digest_files([]) == []
    with pytest.raises(ValueError, match="workers"):
        digest_files([tmp_path], workers=0)
    with pytest.raises(ValueError):
        digest_files([], "no-such-hash")


# --- memory -------------------------------------------------------------------------------------

MEMORY_PROBE = textwrap.dedent(
    """
    import hashlib, resource, sys
    from pathlib import Path
    from pgpsig.hashing import digest_file, digest_files, feed

    path = Path(sys.argv[1])
    size = path.stat().st_size
    zeros = hashlib.sha256(bytes(1 << 20))  # warm the import and the allocator
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert digest_file(path).size == size
    assert [d.size for d in digest_files([path, path], workers=2)] == [size, size]
    with path.open("rb") as fp:
        assert feed(fp, [hashlib.sha256().update]) == size
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) * 1024)  # ru_maxrss is in KiB on Linux
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss units differ")
def test_memory_stays_bounded_on_a_300_mb_file(tmp_path: Path) -> None:
    big = tmp_path / "sparse.bin"
    with big.open("wb") as f:
        f.truncate(300 * 10**6)
    r = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, os.fspath(big)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    growth = int(r.stdout.strip())
    assert growth < 16 << 20, f"peak RSS grew by {growth} bytes hashing a 300 MB file"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_worker_never_starts_workers_of_its_own() -> None:
    assert workers.fork_is_safe(), "this test expects to run without other threads"
    here = fanout.run(lambda _i: workers.fork_is_safe(), 2, 2, [[0], [1]], what="asking")
    assert here == [False, False]
    assert workers.fork_is_safe()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_worker_killed_while_hashing_fails_the_job(tmp_path: Path) -> None:
    """A worker that dies (killed, out of memory) is a typed error, never digests missing or in
    another file's place; the other worker is killed and reaped too."""
    paths, _digests = write_tree(tmp_path, [100] * 40, 1)
    real = hashing._digest_batch
    parent = os.getpid()

    def dying(names: list[str], algorithm: str, **kw: bool) -> object:
        if os.getpid() != parent and any(n.endswith(os.fspath(paths[30])) for n in names):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(names, algorithm, **kw)

    assert workers.fork_is_safe(), "this test expects to run without other threads"
    with (
        thresholds(parallel_min=1, batch=500),
        mock.patch.object(hashing, "_digest_batch", dying),
        mock.patch.object(fanout, "run", wraps=fanout.run) as run,
        pytest.raises(PgpsigError, match="worker process hashing files died .*signal 9"),
    ):
        digest_files(paths, workers=2)
    assert run.call_count == 1
    assert no_child_left()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_interrupted_while_hashing_leaves_no_worker(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to this process) while the workers hash: it reaches the caller, and every
    worker is killed and reaped (they ignore SIGINT themselves)."""
    paths, _digests = write_tree(tmp_path, [100] * 40, 1)
    real = hashing._digest_batch
    parent = os.getpid()

    def interrupting(names: list[str], algorithm: str, **kw: bool) -> object:
        if os.getpid() != parent and any(n.endswith(os.fspath(paths[30])) for n in names):
            os.kill(parent, signal.SIGINT)
        return real(names, algorithm, **kw)

    with (
        thresholds(parallel_min=1, batch=500),
        mock.patch.object(hashing, "_digest_batch", interrupting),
        pytest.raises(KeyboardInterrupt),
    ):
        digest_files(paths, workers=2)
    assert no_child_left()


# --- reading ahead ------------------------------------------------------------------------------


@contextmanager
def read_ahead_from(size: int) -> Iterator[list[str]]:
    """Read files of ``size`` bytes or more ahead, as with a spare core; yields the names of the
    threads that called ``os.readv`` (the reader's is ``pgpsig-readahead``)."""
    readers: list[str] = []
    real = os.readv

    def readv(fd: int, buffers: list[memoryview]) -> int:
        readers.append(threading.current_thread().name)
        return real(fd, buffers)

    with (
        mock.patch.object(hashing, "AHEAD_MIN", size),
        mock.patch.object(hashing, "spare_core", return_value=True),
        mock.patch.object(os, "readv", readv),
    ):
        yield readers


@pytest.mark.parametrize("size", [CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17])
def test_a_big_file_is_read_ahead_whole_and_in_order(tmp_path: Path, size: int) -> None:
    data = content(size, size)
    p = tmp_path / "big"
    p.write_bytes(data)
    with read_ahead_from(CHUNK) as readers:
        assert digest_file(p) == expected(data)
        assert set(readers) == {"pgpsig-readahead"}
        readers.clear()
        assert digest_files([p]) == [expected(data)]  # a job of one file, with a core to spare
        assert set(readers) == {"pgpsig-readahead"}
        readers.clear()
        assert digest_files([p], workers=1) == [expected(data)]  # no core to spare
        assert set(readers) == {"MainThread"}
        readers.clear()
        h = hashlib.sha256()
        with p.open("rb") as fp:
            assert feed(fp, [h.update]) == size
        assert h.hexdigest() == expected(data).hexdigest
        with p.open("rb") as fp:
            assert feed(fp, [h.update], ahead=False) == size
    assert not pgpsig_threads()


def test_small_files_and_other_streams_are_not_read_ahead(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"x" * (CHUNK + 1))
    with read_ahead_from(CHUNK + 2) as readers:
        assert digest_file(p) == expected(b"x" * (CHUNK + 1))
        got = bytearray()
        assert feed(io.BytesIO(b"y" * (3 * CHUNK)), [got.extend]) == 3 * CHUNK  # no descriptor
        assert set(readers) == {"MainThread"}
    with mock.patch.object(hashing, "AHEAD_MIN", CHUNK + 1), p.open("rb") as fp:
        assert hashing._long_regular_file(fp)
        fp.seek(1)  # what is left to read counts
        assert not hashing._long_regular_file(fp)


def test_a_read_error_of_the_reader_thread_takes_the_files_place(tmp_path: Path) -> None:
    paths, digests = write_tree(tmp_path, [3 * CHUNK, 10], 9)
    real = os.readv
    calls = 0

    def failing(fd: int, buffers: list[memoryview]) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(fd, buffers)

    with read_ahead_from(CHUNK), mock.patch.object(os, "readv", failing):
        results = digest_files(paths, workers=2)
    assert isinstance(results[0], OSError) and results[0].errno == errno.EIO
    assert results[1] == digests[1]
    assert not pgpsig_threads()


@pytest.mark.parametrize("change", ["grow", "shrink"])
def test_a_file_that_changes_size_while_read_ahead(tmp_path: Path, change: str) -> None:
    """What is hashed is what was read, and the size said is its length: as without a thread."""
    p = tmp_path / "f"
    p.write_bytes(b"a" * (3 * CHUNK))
    real = os.readv
    calls = 0

    def changing(fd: int, buffers: list[memoryview]) -> int:
        nonlocal calls
        n = real(fd, buffers)
        calls += 1
        if calls == 1:
            with p.open("r+b") as f:
                if change == "grow":
                    f.seek(0, os.SEEK_END)
                    f.write(b"b" * (CHUNK + 5))
                else:
                    f.truncate(CHUNK + 5)
        return n

    with read_ahead_from(CHUNK), mock.patch.object(os, "readv", changing):
        got = digest_file(p)
    want = b"a" * (3 * CHUNK) + b"b" * (CHUNK + 5) if change == "grow" else b"a" * (CHUNK + 5)
    assert got == expected(want)
