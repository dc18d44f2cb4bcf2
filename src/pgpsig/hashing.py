"""Streaming file digests with bounded memory, parallel across files.

This module owns turning file contents into digests, and nothing else: it opens files, reads them
in bounded chunks and feeds hash objects. It never reads the clock, never prints and never looks at
the environment. Which files a module holds is :mod:`pgpsig.modules.tree`'s; forking worker
processes is :mod:`pgpsig.fanout`'s (for whole modules, and here for the batches of a big job).

Public API:

* :func:`feed` streams a binary file object into one or more sinks (such as ``hash.update``).
* :func:`digest_file` hashes one file.
* :func:`digest_files` hashes many files, in the order given, choosing a strategy per job shape;
  a file that cannot be read yields its :class:`OSError` in its place instead of failing the job.

Files are opened by path with the usual semantics (symlinks are followed). Only regular files are
hashed: a directory gives :class:`IsADirectoryError` and any other kind of file (FIFO, device,
socket) an :class:`OSError` with ``errno.EINVAL``, so a FIFO planted in a module cannot hang a
check; files are opened with ``O_NONBLOCK`` for the same reason (no effect on regular files).

Strategies of :func:`digest_files`: :mod:`hashlib` releases the GIL only while hashing more than
2047 bytes, so the per-file work (open, fstat, read, close, result objects) is serialised by the
GIL. Threads help only when large files dominate, and lose badly against a plain loop on many
small files. Forked worker processes help in both cases but cost a few ms to start and stop, so
they are started only once the job is known to be big enough to repay it:

* *sequential*: small jobs, or one worker;
* *threads*: the bytes are in a few large files and the rest of the job is cheap; where fork is
  safe, files of :data:`pgpsig.mapped.MAP_MIN` bytes or more go to children that hash them
  through memory maps (:mod:`pgpsig.mapped`) while this process hashes the rest;
* *processes* (``fork``, :func:`pgpsig.fanout.run`: plain forks that inherit the paths): much
  per-file work; paths go in contiguous batches of about :data:`_BATCH_WEIGHT` bytes of work each
  (sized by stat'ing while the job's shape is unknown, by the average file seen so far once the
  job is known to be big enough). A worker that dies fails the job
  (:class:`~pgpsig.errors.PgpsigError`); Ctrl-C kills the workers.

Measured on 2 cores (SHA-256 with SHA-NI, warm page cache, best of 7; MB/s of file data):

===========================================  ==========  =======  =========
job                                          sequential  threads  processes
===========================================  ==========  =======  =========
FreePBX-shaped tree: 27,447 files, 247 MB    ~700        ~320     ~1,000
2 files of 512 MiB                           ~1,470      ~2,730   ~2,600
===========================================  ==========  =======  =========

The processes break even with the sequential loop at about 2,000 such files (30 MiB of work) and
are started at :data:`_PARALLEL_MIN_WEIGHT`: 15 % faster at 4,000 files, 30 % at 12,000.

Memory is bounded: a file smaller than :data:`CHUNK` is read whole, a larger one is streamed
through reused page-aligned buffers of :data:`CHUNK` bytes (:mod:`pgpsig.readahead`: one per
worker; three for a file of :data:`AHEAD_MIN` bytes or more hashed while a core is spare, read
on another thread while this one hashes).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

from pgpsig._dataclass import NamedTuple
from pgpsig.workers import fork_is_safe, in_worker, usable_cpus

if TYPE_CHECKING:
    from pathlib import Path

    from pgpsig import readahead

# pgpsig.fanout (pickle, signal, select) is imported only when workers are started: most jobs of
# a cold ``pgpsig check`` of a small module are sequential. threading, and pgpsig.readahead with
# mmap, only when threads are started or a file of CHUNK bytes or more is read (about 1 ms): a
# small module's files are read whole, on this thread.

__all__ = [
    "AHEAD_MIN",
    "CHUNK",
    "FileDigest",
    "Sink",
    "digest_file",
    "digest_files",
    "feed",
    "spare_core",
]

CHUNK: int = 1 << 20
"""Size in bytes of one read; also the largest file that is read whole rather than streamed."""

Sink = Callable[[memoryview], object]
"""Receives each chunk read by :func:`feed`, e.g. ``hashlib.sha256().update``.

The chunk is a read-only view of a buffer that is reused for the next chunk, released when the sink
returns: a sink that keeps data must copy it (``bytes(chunk)``).
"""

_FILE_COST = 6 << 10
"""Fixed work per file (open, fstat, read, close, result), in bytes of hashing that take as long.

Measured: about 4 microseconds per small file against about 1.4 GB/s for SHA-256 on one core.
"""

_BATCH_WEIGHT = 4 << 20
"""Target work of one batch hashed by a worker process, in bytes (sizes plus :data:`_FILE_COST`)."""

_PARALLEL_MIN_WEIGHT = 48 << 20
"""Below this much work (about 35 ms on one core) a job runs sequentially: parallelism won't pay."""

_MAX_BATCH_FILES = 1024
"""Most files in one batch a worker process hashes when paths are cut by count (sizes not known)."""

_BIG_FILE = CHUNK
"""A file at least this large is hashed with the GIL released most of the time (threads help)."""

AHEAD_MIN: int = 8 << 20
"""Fewest bytes of a file read ahead on another thread (:func:`pgpsig.readahead.pump`).

Starting, feeding and joining the reader costs about as much as hashing a few hundred KiB; from
this size on, the overlap of reading and hashing repays it many times over.
"""


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0)


class _Hash(Protocol):
    def update(self, data: memoryview | bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


_Result = tuple[int, str] | OSError


class FileDigest(NamedTuple):
    """The digest of one file's contents (a named tuple: made once for each of 27,000 files).

    Attributes:
        size: Number of bytes hashed (the file's size when it was read).
        hexdigest: Lower-case hexadecimal digest.
    """

    size: int
    hexdigest: str


def feed(fp: BinaryIO, sinks: Sequence[Sink], *, chunk: int = CHUNK, ahead: bool = True) -> int:
    """Read ``fp`` to its end in chunks and pass every chunk to every sink, in order.

    Memory use is bounded by ``chunk``: a file object with ``readinto`` is read into reused
    page-aligned buffers (:func:`pgpsig.readahead.pump`) and each sink gets a read-only
    :class:`memoryview` of the bytes read, released when the call returns (copy it to keep it). A file
    object without ``readinto`` is read with ``read(chunk)``. With ``ahead``, a regular file with at
    least :data:`AHEAD_MIN` bytes left is read on another thread while the sinks take the chunk
    before, when this process has a core to spare (:func:`spare_core`).

    Args:
        fp: A binary file object, positioned where reading should start.
        sinks: Callables that receive each chunk, e.g. ``[h.update for h in hashes]``.
        chunk: Largest number of bytes read at once.
        ahead: Whether a large regular file may be read ahead on another thread.

    Returns:
        The number of bytes read.

    Raises:
        ValueError: ``chunk`` is not positive.
        BlockingIOError: ``fp`` is non-blocking and has no data available.
        OSError: Reading failed.
    """
    if chunk <= 0:
        msg = f"chunk must be positive, not {chunk}"
        raise ValueError(msg)
    readinto = cast("readahead.ReadInto | None", getattr(fp, "readinto", None))
    if readinto is None:
        total = 0
        while True:
            data = cast("bytes | None", fp.read(chunk))
            if data is None:
                raise BlockingIOError(errno.EAGAIN, "no data available from a non-blocking file")
            if not data:
                return total
            view = memoryview(data)
            for sink in sinks:
                sink(view)
            total += len(data)
    from pgpsig import readahead  # noqa: PLC0415 - see the imports

    if len(sinks) == 1:
        sink = sinks[0]
    else:

        def sink(view: memoryview) -> None:
            for s in sinks:
                s(view)

    return readahead.pump(
        readinto, sink, chunk=chunk, ahead=ahead and _long_regular_file(fp) and spare_core()
    )


def _long_regular_file(fp: BinaryIO) -> bool:
    """Whether ``fp`` is a regular file with at least :data:`AHEAD_MIN` bytes left to read."""
    try:
        mode = os.fstat(fp.fileno())
        return stat.S_ISREG(mode.st_mode) and mode.st_size - fp.tell() >= AHEAD_MIN
    except (OSError, ValueError, AttributeError):  # no descriptor (BytesIO), closed, not seekable
        return False


def spare_core() -> bool:
    """Whether this process may keep a second core busy: two or more, and not a worker process."""
    return not in_worker() and usable_cpus() >= 2


def digest_file(path: Path, algorithm: str = "sha256") -> FileDigest:
    """Hash one file's contents.

    A file smaller than :data:`CHUNK` is read whole; a larger one is streamed through a buffer of
    :data:`CHUNK` bytes. (``hashlib.file_digest`` was measured and is not faster: it builds a
    buffered file object and reads 256 KiB at a time; the plain ``os`` calls here beat it on both
    small and large files.)

    Args:
        path: The file; symlinks are followed.
        algorithm: A :mod:`hashlib` algorithm name, e.g. ``"sha256"``.

    Returns:
        The size and hex digest of what was read.

    Raises:
        ValueError: ``algorithm`` is not supported by :mod:`hashlib`.
        OSError: The file cannot be opened or read, or is not a regular file.
    """
    new = _constructor(algorithm)
    size, hexdigest = _digest_path(os.fspath(path), new, ahead=spare_core())
    return FileDigest(size, hexdigest)


def digest_files(
    paths: Sequence[str | os.PathLike[str]],
    algorithm: str = "sha256",
    *,
    workers: int | None = None,
) -> list[FileDigest | OSError]:
    """Hash many files, choosing sequential, threaded or multi-process work by the job's shape.

    One unreadable file never stops the job: its :class:`OSError` takes its place in the result.
    Worker processes are forked only where :func:`pgpsig.workers.fork_is_safe` (``fork`` is
    available, the caller runs no other thread and is not itself a worker); otherwise large files
    still go to threads and small ones are hashed sequentially.

    Args:
        paths: The files, hashed as :func:`digest_file` does.
        algorithm: A :mod:`hashlib` algorithm name.
        workers: Most threads or processes to use; ``None`` means :func:`usable_cpus`.

    Returns:
        One entry per path, in the same order: a :class:`FileDigest`, or the :class:`OSError` raised
        while opening or reading that file.

    Raises:
        ValueError: ``algorithm`` is unknown, or ``workers`` is less than 1.
        PgpsigError: A worker process died (killed, out of memory); never raised for a file that
            cannot be read. The other workers are killed, as they are when the caller is
            interrupted (Ctrl-C).
    """
    new = _constructor(algorithm)
    if workers is None:
        workers = usable_cpus()
    if workers < 1:
        msg = f"workers must be at least 1, not {workers}"
        raise ValueError(msg)
    names = [os.fspath(p) for p in paths]
    if workers == 1 or len(names) <= 1:
        results = _digest_batch(names, algorithm, ahead=workers > 1 and spare_core())
    else:
        results = _digest_many(names, algorithm, new, workers, fork_ok=fork_is_safe())
    return [r if isinstance(r, OSError) else FileDigest(r[0], r[1]) for r in results]


# --- strategy -------------------------------------------------------------------------------------


class _Shape:
    """What a job looks like so far: file count and work, split into small and big files.

    Work is counted in bytes: a file's size plus :data:`_FILE_COST`. (A plain class: this module
    imports neither :mod:`dataclasses` nor :mod:`pathlib`, 10 to 15 ms of a fresh process that
    only hashes.)
    """

    __slots__ = ("big_files", "big_weight", "files", "small_weight")

    def __init__(self) -> None:
        self.files = 0
        self.small_weight = 0
        self.big_weight = 0
        self.big_files = 0

    def add(self, size: int) -> int:
        """Count one more file of ``size`` bytes; return its weight."""
        weight = size + _FILE_COST
        self.files += 1
        if size >= _BIG_FILE:
            self.big_weight += weight
            self.big_files += 1
        else:
            self.small_weight += weight
        return weight

    def strategy(self, workers: int, *, fork_ok: bool) -> str:
        """Pick ``"sequential"``, ``"threads"`` or ``"processes"`` for a job of this shape.

        Args:
            workers: Most workers allowed (at least 2 here).
            fork_ok: Whether worker processes may be forked.

        Returns:
            The strategy's name.
        """
        if self.big_weight + self.small_weight < _PARALLEL_MIN_WEIGHT:
            return "sequential"
        if self.small_weight < _PARALLEL_MIN_WEIGHT and self.big_files >= 2:
            # The work is in large files, whose hashing releases the GIL: threads do as well as
            # processes, without forking.
            return "threads"
        if fork_ok and self.files >= workers:
            return "processes"
        if self.big_files >= 2 and self.big_weight >= self.small_weight:
            return "threads"
        return "sequential"


def _digest_many(
    names: Sequence[str],
    algorithm: str,
    new: Callable[[bytes], _Hash],
    workers: int,
    *,
    fork_ok: bool,
) -> list[_Result]:
    """Plan while stat'ing the files, and run the job with the strategy its shape calls for.

    Planning wants every file's size, but stat'ing costs about 1.6 us a file in this process, as
    much as a third of the parent's work on a tree of small files. So files are stat'ed only until
    the small ones seen so far are enough work to repay worker processes (a few thousand typical
    files). Then the rest of the paths are cut without stat'ing, in runs of as many files as made
    one batch of work on average so far; a large file among them is still streamed with bounded
    memory, it just makes its batch longer.
    """
    shape = _Shape()
    sizes: list[int] = []
    runs: list[tuple[int, int, int]] = []  # (weight, start, stop)
    run_start = 0
    run_weight = 0
    early = fork_ok and len(names) >= workers
    for i, name in enumerate(names):
        sizes.append(_size_hint(name))
        run_weight += shape.add(sizes[-1])
        if run_weight >= _BATCH_WEIGHT:
            runs.append((run_weight, run_start, i + 1))
            run_start = i + 1
            run_weight = 0
        if early and shape.small_weight >= _PARALLEL_MIN_WEIGHT:
            weight = shape.small_weight + shape.big_weight
            per_run = max(1, min(_MAX_BATCH_FILES, shape.files * _BATCH_WEIGHT // weight))
            runs.extend(
                (0, start, min(start + per_run, len(names)))
                for start in range(run_start, len(names), per_run)
            )
            break
    else:
        if run_start < len(names):
            runs.append((run_weight, run_start, len(names)))
        strategy = shape.strategy(workers, fork_ok=fork_ok)
        if strategy == "sequential":  # one file at a time: a big one is read ahead
            return _digest_batch(names, algorithm, ahead=spare_core())
        if strategy == "threads":
            if fork_ok:
                from pgpsig import mapped  # noqa: PLC0415 - see the imports

                if max(sizes) >= mapped.MAP_MIN:
                    return _digest_mapped(names, algorithm, new, workers, sizes)
            return _digest_threads(names, new, min(workers, len(names)), sizes)
        runs.sort(key=lambda run: -run[0])  # heaviest first: a short tail
    return _digest_forked(names, algorithm, workers, [(a, b) for _w, a, b in runs])


def _digest_forked(
    names: Sequence[str], algorithm: str, workers: int, runs: Sequence[tuple[int, int]]
) -> list[_Result]:
    """Hash the ``runs`` of ``names`` (``(start, stop)``, in the order to start them) in workers.

    The workers are :mod:`pgpsig.fanout`'s plain forks: they inherit ``names`` (only run numbers go
    out, digests come back); one that dies fails the job, and every worker is killed when the job
    ends, however it ends.

    Raises:
        PgpsigError: a worker process died.
    """
    from pgpsig import fanout  # noqa: PLC0415 - see the imports

    def one(k: int) -> list[_Result]:
        start, stop = runs[k]
        return _digest_batch(names[start:stop], algorithm)

    batches = fanout.run(
        one, len(runs), workers, [[k] for k in range(len(runs))], what="hashing files"
    )
    results: list[_Result] = []
    for k in sorted(range(len(runs)), key=lambda k: runs[k][0]):
        results.extend(batches[k])
    if len(results) != len(names):  # never a digest in another file's place
        raise RuntimeError(f"hashed {len(results)} files of {len(names)}")
    return results


def _size_hint(name: str) -> int:
    """Size of a file for planning, 0 when it can't be stat'ed (the worker reports the error)."""
    try:
        return os.stat(name).st_size  # noqa: PTH116 - a str path; Path() would cost 1 us a file
    except OSError:
        return 0


def _digest_threads(
    names: Sequence[str], new: Callable[[bytes], _Hash], workers: int, sizes: Sequence[int]
) -> list[_Result]:
    """Hash files on ``workers`` threads, this one among them, largest first; results in order.

    Plain threads, not a :class:`concurrent.futures.ThreadPoolExecutor`: importing it (and
    :mod:`logging` with it) cost about 7 ms of the 0.4 s that a job of two files of 512 MiB takes.
    Each thread takes the next file not taken, the largest first (``sizes``, as stat'ed for the
    plan), so that a big file is not left for last. An :class:`OSError` takes its file's place;
    anything else stops the job and is raised here once every thread is done.
    """
    import threading  # noqa: PLC0415 - see the imports

    results: list[_Result | None] = [None] * len(names)
    todo = iter(sorted(range(len(names)), key=lambda i: -sizes[i]))  # next() holds the GIL
    failed: list[BaseException] = []

    def work() -> None:
        try:
            for i in todo:
                if failed:
                    return
                try:
                    results[i] = _digest_path(names[i], new)
                except OSError as exc:
                    results[i] = exc
        except BaseException as e:  # noqa: BLE001 - raised in the caller's thread below
            failed.append(e)

    threads: list[threading.Thread] = []
    try:
        for _ in range(workers - 1):
            t = threading.Thread(target=work, name="pgpsig-hash", daemon=True)
            try:
                t.start()
            except RuntimeError:  # no more threads to be had: fewer workers
                break
            threads.append(t)
        work()
    finally:
        for t in threads:
            t.join()
    if failed:
        raise failed[0]
    return cast(list[_Result], results)


def _digest_mapped(
    names: Sequence[str],
    algorithm: str,
    new: Callable[[bytes], _Hash],
    workers: int,
    sizes: Sequence[int],
) -> list[_Result]:
    """Big files through maps in children (:func:`pgpsig.mapped.digest_apart`), the rest here."""
    from pgpsig import mapped  # noqa: PLC0415 - see the imports

    big = [size >= mapped.MAP_MIN for size in sizes]
    rest: list[_Result] = []
    apart = mapped.digest_apart(
        [name for name, b in zip(names, big, strict=True) if b],
        new,
        workers,
        open_file=_open_regular,
        read_here=lambda fd, size: _digest_open(fd, size, new, ahead=spare_core()),
        meanwhile=lambda: rest.extend(
            _digest_batch([name for name, b in zip(names, big, strict=True) if not b], algorithm)
        ),
    )
    ins, outs = iter(apart), iter(rest)
    return [next(ins) if b else next(outs) for b in big]


# --- per file -------------------------------------------------------------------------------------


def _digest_batch(names: Sequence[str], algorithm: str, *, ahead: bool = False) -> list[_Result]:
    """Hash files one after the other; an :class:`OSError` takes the place of a failed file.

    ``ahead`` as for :func:`_digest_path`.
    """
    new = _constructor(algorithm)
    out: list[_Result] = []
    for name in names:
        try:
            out.append(_digest_path(name, new, ahead=ahead))
        except OSError as exc:
            out.append(exc)
    return out


def _constructor(algorithm: str) -> Callable[[bytes], _Hash]:
    """A constructor of ``algorithm``'s hash objects (taking the first data), checked once.

    Raises:
        ValueError: ``algorithm`` is not supported by :mod:`hashlib`.
    """
    name = algorithm.lower()
    if name.startswith("shake_"):
        msg = f"{algorithm} is an extendable-output function, not a fixed-size digest"
        raise ValueError(msg)
    named = getattr(hashlib, name, None) if name in hashlib.algorithms_guaranteed else None
    if named is not None:
        constructor = cast(Callable[[bytes], _Hash], named)
    else:
        hashlib.new(name)  # raises ValueError for an unknown name

        def constructor(data: bytes) -> _Hash:
            return hashlib.new(name, data)

    return constructor


def _open_regular(name: str) -> tuple[int, int]:
    """Open ``name`` for reading: (descriptor, size), if it is a regular file.

    Raises:
        OSError: It cannot be opened, or is not a regular file (:class:`IsADirectoryError` for a
            directory); nothing is left open.
    """
    fd = os.open(name, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            if stat.S_ISDIR(mode.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
            raise OSError(errno.EINVAL, "not a regular file", name)
    except BaseException:
        os.close(fd)
        raise
    return fd, mode.st_size


def _digest_path(
    name: str, new: Callable[[bytes], _Hash], *, ahead: bool = False
) -> tuple[int, str]:
    """Open, check and hash one file: ``(size, hexdigest)``.

    With ``ahead``, a file of :data:`AHEAD_MIN` bytes or more is read on another thread while
    this one hashes (for a caller with a core to spare: one file at a time).

    Raises:
        OSError: The file cannot be opened or read, or is not a regular file.
    """
    fd, size = _open_regular(name)
    try:
        return _digest_open(fd, size, new, ahead=ahead)
    finally:
        os.close(fd)


def _digest_open(
    fd: int, size: int, new: Callable[[bytes], _Hash], *, ahead: bool = False
) -> tuple[int, str]:
    """Hash the regular file open as ``fd`` (``size`` bytes when checked) from its offset to its end.

    ``ahead`` as for :func:`_digest_path`.
    """
    if size < CHUNK:
        # Ask for one byte more than the size: getting exactly the size means end of file.
        data = os.read(fd, size + 1)
        h = new(data)
        total = len(data)
        if total in (size, 0):
            return total, h.hexdigest()
    else:
        h = new(b"")
        total = 0
    from pgpsig import readahead  # noqa: PLC0415 - see the imports

    total += readahead.pump(
        lambda b: os.readv(fd, [b]), h.update, chunk=CHUNK, ahead=ahead and size >= AHEAD_MIN
    )
    return total, h.hexdigest()
