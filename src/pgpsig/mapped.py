"""Hashing a large file through a memory map, in a forked child process that may die of it.

This module owns one technique of :mod:`pgpsig.hashing`: a file of :data:`MAP_MIN` bytes or more
is hashed by a child process forked for it, which maps the file in windows of :data:`WINDOW`
bytes and hands each window to the hash whole. It never prints, reads the clock or looks at the
environment; which files go this way is :mod:`pgpsig.hashing`'s to decide, and whether this
process may fork is :mod:`pgpsig.workers`'s.

Why a map: read into a buffer, every byte is copied once from the page cache before it is
hashed. Measured on 2 cores (x86_64, Linux, SHA-256 with SHA-NI, 512 MiB from the page cache,
median of 5): 0.052 s of system time with reads into one reused page-aligned buffer of 1 MiB,
0.030-0.038 s through windows of 4 MiB; two such files on two cores, 0.388 s with a thread each
reading, 0.369 s with a map each. Through :func:`pgpsig.hashing.digest_files`, best of 7 in a warm
process: 0.348 s against 0.361 s with threads; a fresh ``pgpsig check`` of a module of those two
files, median of 15 on a quiet host, 0.395 s against 0.412-0.423 s (an independent run on a busier
host saw no gain in wall time: its user time rose as much as its system time fell).

Why a child: a file cut short while it is mapped (by anyone who may write it) makes the next
access to a page past its new end raise ``SIGBUS``, which kills the process that touched it; no
Python code can catch it. So the map is only ever touched in a child forked for the file: if it
dies, of ``SIGBUS`` or of anything else, or fails in any way, it writes nothing, and
:func:`hash_apart` says so (``None`` in the file's place); :func:`digest_apart` then has the
file read in this process (its ``read_here``), and gives the digest of what the file holds then,
or its error.
A child hashes the descriptor the parent opened and checked, never a path: what it hashes is the
file the caller chose. A file that grew while it was hashed is read on to its end, as a read
would: what a child reports is always every byte it found, in order. A file cut short inside its
last mapped page raises no ``SIGBUS`` (the bytes past its new end read as zeros): the child checks
the size once the maps are hashed, and reports nothing if it shrank.

The children are forked as :func:`pgpsig.workers.fork_child` forks (Ctrl-C is this process's,
a child never runs its code, its signal handlers included), and reaped before
:func:`hash_apart` returns or raises (an error, Ctrl-C): a child still running then is killed
first. A child that cannot be started (no fork, EAGAIN; no pipe, EMFILE) is a file to read here,
never an error (:data:`_NO_CHILD`). No thread is started, none may be running (a fork with a
thread running can deadlock the child): the caller checks :func:`pgpsig.workers.fork_is_safe`.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import select
import signal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from pgpsig.workers import fork_child

if TYPE_CHECKING:
    from pgpsig.hashing import _Hash  # the hash objects' protocol: hashing's, which calls here

__all__ = ["MAP_MIN", "WINDOW", "digest_apart", "hash_apart"]

MAP_MIN: int = 64 << 20
"""Fewest bytes of a file hashed through a map in a child of its own.

Forking a process of 30 MiB, starting the child and ending it cost about 1 ms; the map saves
about 0.03 ms a MiB (17 ms of 512 MiB, measured as below): the saving passes the cost from about
32 MiB, and this size leaves it a margin.
"""

WINDOW: int = 4 << 20
"""Bytes of a file mapped at a time: few maps to make, and a small part of the address space.

Measured as above: windows of 1 MiB cost twice the system time of 4 MiB; 16 MiB gain nothing.
"""

_NO_CHILD = frozenset({errno.EAGAIN, errno.ENOMEM, errno.EMFILE, errno.ENFILE})
"""Why a child could not be started (no process, no memory, no descriptor for its pipe): its
file is read here. Any other error raised as it was started is raised (an OSError that a caller's
signal handler raised while the child was forked, a TimeoutError, is the caller's)."""

_OPEN_MAX: int = 16
"""Most files open at once (their children started, or waiting to be), however many there are."""

_READ: int = 1 << 20
"""Bytes read at a time from a file that grew past its size as first seen."""


def digest_apart(
    names: Sequence[str],
    new: Callable[[bytes], _Hash],
    workers: int,
    *,
    open_file: Callable[[str], tuple[int, int]],
    read_here: Callable[[int, int], tuple[int, str]],
    meanwhile: Callable[[], object] | None = None,
) -> list[tuple[int, str] | OSError]:
    """Hash files, each through maps in a child forked for it; a file whose child failed, here.

    Args:
        names: The files.
        new: A hash constructor taking the first data (``hashlib.sha256``).
        workers: Most children at once (at least 1); the largest files are started first, of
            every :data:`_OPEN_MAX` files opened at a time (however many files there are).
        open_file: Opens a file for reading if it is a regular file: (descriptor, size), or
            raises :class:`OSError`.
        read_here: Hashes an open file by reading it, in this process: ``(bytes, hex digest)``.
            It gets the same descriptor (and size when opened) a child failed on.
        meanwhile: As for :func:`hash_apart`.

    Returns:
        One entry per file, in order: ``(bytes hashed, hex digest)``, or the :class:`OSError`
        of opening or reading it.
    """
    results: list[tuple[int, str] | OSError | None] = [None] * len(names)
    for start in range(0, len(names), _OPEN_MAX):  # a few descriptors at a time, however many
        part = range(start, min(start + _OPEN_MAX, len(names)))
        opened: list[tuple[int, int, int]] = []  # (index, descriptor, size)
        try:
            for i in part:
                try:
                    fd, size = open_file(names[i])
                except OSError as exc:
                    results[i] = exc
                    continue
                opened.append((i, fd, size))
            apart = hash_apart(
                [o[1] for o in opened], [o[2] for o in opened], new, workers, meanwhile
            )
            meanwhile = None
            for (i, fd, size), got in zip(opened, apart, strict=True):
                try:  # a file whose child failed is read here
                    results[i] = got if got is not None else read_here(fd, size)
                except OSError as exc:
                    results[i] = exc
        finally:
            for _i, fd, _size in opened:
                os.close(fd)
    if meanwhile is not None:  # no file at all
        meanwhile()
    return cast(list[tuple[int, str] | OSError], results)


def hash_apart(
    fds: Sequence[int],
    sizes: Sequence[int],
    new: Callable[[bytes], _Hash],
    workers: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[tuple[int, str] | None]:
    """Hash open regular files, each in a child forked for it, at most ``workers`` at once.

    Args:
        fds: Descriptors of regular files, open for reading, at offset 0 or anywhere: children
            read by offset. The caller keeps and closes them.
        sizes: Each file's size as the caller found it (``fstat``); the map covers this much.
        new: A hash constructor taking the first data (``hashlib.sha256``).
        workers: Most children at once (at least 1); the largest files are started first.
        meanwhile: Called once in this process, when the first children are started (or at once
            when there is no file), to do other work while they hash; whatever it raises is
            raised here, the children killed.

    Returns:
        One entry per file, in order: ``(bytes hashed, hex digest)``, or None when its child
        failed or died (the caller hashes that file another way).
    """
    results: list[tuple[int, str] | None] = [None] * len(fds)
    todo = sorted(range(len(fds)), key=lambda i: -sizes[i])
    running: dict[int, tuple[int, int]] = {}  # read end of a child's pipe -> (file, pid)
    ready = select.poll()  # not select(): it takes no descriptor numbered 1024 or more
    try:
        while todo or running:
            while todo and len(running) < max(1, workers):
                i = todo.pop(0)
                try:
                    rfd, pid = _start(fds[i], sizes[i], new)
                except OSError as e:  # no pipe or no fork (EMFILE, EAGAIN): the file is read here
                    if e.errno not in _NO_CHILD:  # a caller's handler's (TimeoutError): its own
                        raise
                    continue
                running[rfd] = (i, pid)
                ready.register(rfd, select.POLLIN)
            if meanwhile is not None:
                then = meanwhile
                meanwhile = None
                then()
            for rfd, _event in ready.poll() if running else ():
                i, pid = running[rfd]
                said = _read_all(rfd)
                ended_well = _reap(pid)
                del running[rfd]  # reaped: never signalled again (its pid may be reused)
                ready.unregister(rfd)
                os.close(rfd)
                results[i] = _parse(said) if ended_well else None
        if meanwhile is not None:
            meanwhile()
    finally:
        for rfd, (_i, pid) in running.items():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)
            os.close(rfd)
    return results


def _start(fd: int, size: int, new: Callable[[bytes], _Hash]) -> tuple[int, int]:
    """Fork a child that hashes ``fd`` and writes ``"<bytes> <hex>"`` to a pipe: (read end, pid)."""
    rfd, wfd = os.pipe()

    def child() -> int:
        os.close(rfd)
        total, hexdigest = _hash_mapped(fd, size, new)
        os.write(wfd, f"{total} {hexdigest}".encode())
        return 0

    try:
        pid = fork_child(child)
    except BaseException:
        os.close(rfd)
        raise
    finally:
        os.close(wfd)
    return rfd, pid


def _hash_mapped(fd: int, size: int, new: Callable[[bytes], _Hash]) -> tuple[int, str]:
    """``fd`` hashed: ``size`` bytes through maps of :data:`WINDOW`, then read on to its end."""
    h = new(b"")
    offset = 0
    while offset < size:
        n = min(WINDOW, size - offset)
        _window(fd, offset, n, h)
        offset += n
    if os.fstat(fd).st_size < size:
        # Cut short while mapped: the bytes past its new end in the last page read as zeros,
        # never the file's. Nothing is reported; the file is read in the parent.
        raise OSError("the file was cut short while it was hashed")
    while data := os.pread(fd, _READ, offset):  # it grew: read on, as reading it would have
        h.update(data)
        offset += len(data)
    return offset, h.hexdigest()


def _window(fd: int, offset: int, length: int, h: _Hash) -> None:
    """Hash ``length`` bytes of ``fd`` from ``offset`` (a multiple of the page size) through a map."""
    with (
        mmap.mmap(fd, length, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ, offset=offset) as m,
        memoryview(m) as view,
    ):
        h.update(view)


def _read_all(rfd: int) -> bytes:
    """What a child wrote to its pipe, to the end (it has ended, or is about to)."""
    data = b""
    while chunk := os.read(rfd, 256):
        data += chunk
    return data


def _parse(data: bytes) -> tuple[int, str] | None:
    """A child's ``"<bytes> <hex>"``; None unless it said that."""
    total, _, hexdigest = data.decode("ascii", "replace").partition(" ")
    if not total.isdigit() or not hexdigest:
        return None
    return int(total), hexdigest


def _reap(pid: int) -> bool:
    """Wait for child ``pid`` (EINTR is retried by Python); whether it exited with status 0.

    False too when it was reaped by someone else (a caller's own ``waitpid(-1)``): what it said
    is then not taken, and its file is read here.
    """
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0
