"""Reading a stream in chunks into reused, page-aligned buffers, optionally one thread ahead.

This module owns how the bytes of a file get into memory to be hashed, and nothing else:
:func:`pump` reads to the end of a stream, chunk by chunk, and hands each chunk to a sink in order;
what the sink does with it (hashing, usually) is :mod:`pgpsig.hashing`'s, and which file is read
is the caller's. It never opens a file, prints or reads the clock.

Two measured facts shape it (2 cores, x86_64, Linux, SHA-256 with SHA-NI at about 1.7 GB/s a
core; 1 GiB from the page cache):

* **Alignment.** The kernel copies a read into memory about five times slower when the buffer
  starts 1 to 31 bytes past a 64-byte boundary: 0.40 s of system time for 1 GiB instead of
  0.08 s. A ``bytearray`` of 1 MiB is such a buffer (glibc maps a block that large and returns
  it 16 bytes into a page). :func:`buffer` gives page-aligned buffers (anonymous maps), reused.
* **Overlap.** On one thread, reading and hashing take turns: the copy from the page cache adds
  about an eighth to the hashing. With ``ahead``, a reader thread fills the next buffers while
  the caller's thread hashes this one; both release the GIL (reads always, :mod:`hashlib` for
  updates over 2 KiB), so a spare core takes the copies. It pays only with a core to spare and
  a stream long enough to repay starting a thread: the caller decides.

A chunk handed to the sink is a read-only :class:`memoryview` of a buffer that is filled again
once the sink returns: a sink that keeps data must copy it. Reuse never changes what a sink kept,
though: the view handed over is released when the sink returns (a sink that kept it gets
:class:`ValueError` on its next use, never other bytes), and a buffer that anything still holds a
view of (a slice the sink kept, say) is not filled again nor pooled: another takes its place. With
``ahead``, no buffer is filled while the sink holds it, the chunks come in the order of the stream,
and whatever the reader thread raised (an :class:`OSError`, say) is raised again, the same object,
in the caller's thread, after the chunks read before it. The reader thread is joined before
:func:`pump` returns or raises: nothing reads the stream afterwards, and no thread is left running
(a fork with a thread running can deadlock the child: :func:`pgpsig.workers.fork_is_safe`). Only
if that join is itself interrupted (Ctrl-C) may the reader still run: its buffers are then
dropped, never pooled, so no later :func:`pump` shares them with it.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import threading
from collections.abc import Callable

__all__ = ["DEPTH", "ReadInto", "buffer", "pump", "release"]

ReadInto = Callable[[memoryview], "int | None"]
"""Reads into the buffer given: the number of bytes read, 0 at the end, None when it would block."""

DEPTH = 3
"""Buffers of one :func:`pump` with ``ahead``: the sink's, the one being read, one read ahead."""

_SPARE_MAX = 4
"""Most buffers kept for reuse (each of the size last asked for); they stay resident."""

_spare: list[mmap.mmap] = []


def buffer(size: int) -> memoryview:
    """A writable, page-aligned buffer of ``size`` bytes; :func:`release` it for reuse.

    Raises:
        ValueError: ``size`` is not positive.
    """
    return memoryview(_take(size))


def _take(size: int) -> mmap.mmap:
    """A pooled map of ``size`` bytes, else a new one (see :func:`buffer`)."""
    if size <= 0:
        msg = f"chunk must be positive, not {size}"
        raise ValueError(msg)
    while _spare:
        try:
            m = _spare.pop()  # atomic: several threads may take buffers at once
        except IndexError:
            break
        if len(m) == size:
            return m
    return _anonymous(size)


def _anonymous(size: int) -> mmap.mmap:
    """Anonymous memory, page-aligned, private: a forked child writing to it gets its own copy.

    (``mmap.mmap(-1, size)`` alone maps *shared* memory on POSIX: a parent and its forked workers
    would fill the same buffer.)
    """
    private = getattr(mmap, "MAP_PRIVATE", None)
    if private is None:  # Windows: no fork, and no flags
        return mmap.mmap(-1, size)
    return mmap.mmap(-1, size, flags=private | mmap.MAP_ANONYMOUS)


def _held(m: mmap.mmap) -> bool:
    """Whether anything still holds a view of ``m`` (so it must not be filled again).

    A map refuses to be resized while it exports a buffer, and resizing it to its own size changes
    nothing else (``mremap`` of the same length, about a microsecond): that refusal is the only
    public sign of a view kept somewhere. Where resizing is not available at all (no ``mremap``),
    there is no telling: the map counts as held (never reused; correct, only slower).
    """
    try:
        m.resize(len(m))
    except BufferError:
        return True
    except (OSError, SystemError, TypeError, ValueError):  # no resizing here: cannot tell
        return True
    return False


def release(view: memoryview) -> None:
    """Give back a buffer from :func:`buffer` (and forget ``view``: the buffer may be reused)."""
    m = view.obj
    try:
        view.release()
    except BufferError:  # something still holds a buffer of it: not reused, left to the GC
        return
    if isinstance(m, mmap.mmap):
        _give(m)


def _give(m: mmap.mmap) -> None:
    """Pool ``m`` for reuse, unless the pool is full or a view of it is still held elsewhere."""
    if len(_spare) < _SPARE_MAX and not _held(m):
        _spare.append(m)


def pump(
    readinto: ReadInto, sink: Callable[[memoryview], object], *, chunk: int, ahead: bool = False
) -> int:
    """Read to the end of a stream, ``chunk`` bytes at most at a time, passing each chunk to ``sink``.

    Args:
        readinto: Reads from the stream into a buffer (see :data:`ReadInto`).
        sink: Receives each chunk read, in order, as a read-only view released when the call
            returns (a view made from it keeps its bytes: that buffer is not reused).
        chunk: Size of a buffer: the most bytes read at once.
        ahead: Read on another thread, up to :data:`DEPTH` - 1 chunks ahead of ``sink``.

    Returns:
        The number of bytes read.

    Raises:
        ValueError: ``chunk`` is not positive.
        BlockingIOError: ``readinto`` returned None (a non-blocking stream with no data).
        Exception: whatever ``readinto`` or ``sink`` raised, once the reader thread is stopped.
    """
    maps = [_take(chunk)]
    if not ahead:
        try:
            return _pump_here(readinto, sink, maps)
        finally:
            _give(maps[0])
    maps.extend(_take(chunk) for _ in range(DEPTH - 1))
    reader: list[threading.Thread] = []
    try:
        return _pump_ahead(readinto, sink, maps, reader)
    finally:
        if not (reader and reader[0].is_alive()):  # else it may still fill them: dropped
            for m in maps:
                _give(m)


def _would_block() -> BlockingIOError:
    return BlockingIOError(errno.EAGAIN, "no data available from a non-blocking file")


def _fill(readinto: ReadInto, m: mmap.mmap) -> int | None:
    """``readinto`` a writable view of all of ``m``, released once it returns."""
    view = memoryview(m)
    try:
        return readinto(view)
    finally:
        _forget(view)


def _hand(sink: Callable[[memoryview], object], maps: list[mmap.mmap], i: int, n: int) -> None:
    """Pass the first ``n`` bytes of ``maps[i]`` to ``sink`` as a read-only view, then release it.

    If a view of that buffer is still held then, a new buffer takes its place in ``maps``.
    """
    m = maps[i]
    with memoryview(m) as whole:
        view = whole.toreadonly()[:n]  # a view of its own: releasing it frees no other
    try:
        sink(view)
    finally:
        _forget(view)
    if _held(m):
        maps[i] = _anonymous(len(m))


def _forget(view: memoryview) -> None:
    """Release ``view``; one something holds a buffer of is left as it is (:func:`_held` sees it)."""
    with contextlib.suppress(BufferError):
        view.release()


def _pump_here(
    readinto: ReadInto, sink: Callable[[memoryview], object], maps: list[mmap.mmap]
) -> int:
    """:func:`pump` on the caller's thread: read, pass on, read again into the same buffer."""
    total = 0
    while True:
        n = _fill(readinto, maps[0])
        if n is None:
            raise _would_block()
        if n == 0:
            return total
        _hand(sink, maps, 0, n)
        total += n


def _pump_ahead(
    readinto: ReadInto,
    sink: Callable[[memoryview], object],
    maps: list[mmap.mmap],
    started: list[threading.Thread],
) -> int:
    """:func:`pump` with a reader thread filling ``maps`` ahead of ``sink``.

    Buffers go round two queues: the reader takes a free one, fills it and queues ``(index,
    count)``; the sink's thread takes that, passes the chunk on, and frees the buffer only once
    the sink has returned (a buffer still held then is replaced in ``maps`` first). The reader
    stops at the end of the stream, on an error (queued as ``(-1, error)``), or when told to
    (index -1 or ``stopping``) because the sink's side failed. The thread, once started, is put
    in ``started``: the caller pools the buffers only if it is no longer alive.
    """
    import queue  # noqa: PLC0415 - only a long stream read ahead needs it

    free: queue.SimpleQueue[int] = queue.SimpleQueue()
    filled: queue.SimpleQueue[tuple[int, int | BaseException | None]] = queue.SimpleQueue()
    for i in range(len(maps)):
        free.put(i)
    stopping = threading.Event()

    def read() -> None:
        try:
            while True:
                i = free.get()
                if i < 0 or stopping.is_set():
                    return
                n = _fill(readinto, maps[i])
                filled.put((i, n))
                if not n:  # the end, or would block: the sink's side raises
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the sink's thread, raised there
            filled.put((-1, e))

    reader = threading.Thread(target=read, name="pgpsig-readahead", daemon=True)
    try:
        reader.start()
    except RuntimeError:  # no thread to be had: read here
        return _pump_here(readinto, sink, maps)
    started.append(reader)
    total = 0
    try:
        while True:
            i, n = filled.get()
            if isinstance(n, BaseException):
                raise n
            if n is None:
                raise _would_block()
            if n == 0:
                return total
            _hand(sink, maps, i, n)
            total += n
            free.put(i)
    finally:
        stopping.set()
        free.put(-1)
        reader.join()
