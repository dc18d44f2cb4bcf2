"""Tests of chunked reading: every byte once and in order, buffers never filled while a sink holds
them, the reader thread's errors raised as they are, and no thread left behind. No timing."""

from __future__ import annotations

import ctypes
import errno
import io
import os
import random
import struct
import threading
from pathlib import Path

import pytest

from pgpsig import readahead
from pgpsig.readahead import DEPTH, buffer, pump, release

CHUNK = 7
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 3, 1000]


class Stream:
    """A stream of ``data`` whose reads return at most ``most`` bytes (short reads)."""

    def __init__(self, data: bytes, most: int | None = None) -> None:
        self._f = io.BytesIO(data)
        self._most = most
        self.calls = 0
        self.threads: set[str] = set()

    def readinto(self, b: memoryview) -> int | None:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self._most is not None:
            b = b[: self._most]
        return self._f.readinto(b)


def no_reader_left() -> bool:
    return not any(t.name == "pgpsig-readahead" for t in threading.enumerate())


@pytest.mark.parametrize("ahead", [False, True])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("most", [None, 3])
def test_every_byte_once_in_order(ahead: bool, size: int, most: int | None) -> None:
    data = random.Random(size).randbytes(size)
    got: list[bytes] = []

    def sink(chunk: memoryview) -> None:
        assert chunk.readonly
        assert 0 < len(chunk) <= CHUNK
        got.append(bytes(chunk))

    stream = Stream(data, most)
    assert pump(stream.readinto, sink, chunk=CHUNK, ahead=ahead) == size
    assert b"".join(got) == data
    assert stream.threads == ({"pgpsig-readahead"} if ahead else {"MainThread"})
    assert no_reader_left()


def test_ahead_never_fills_the_buffer_the_sink_holds() -> None:
    """The sink holds each chunk until the reader has filled every other buffer it may (it then
    waits for a free one): none of those reads went into the buffer the sink holds."""
    data = random.Random(1).randbytes(20 * CHUNK)
    f = io.BytesIO(data)
    cond = threading.Condition()
    targets: list[object] = []  # the buffer of each read, in order

    def readinto(b: memoryview) -> int:
        with cond:
            targets.append(b.obj)
            cond.notify_all()
        return f.readinto(b)

    seen = 0
    got = bytearray()

    def sink(chunk: memoryview) -> None:
        nonlocal seen
        seen += 1
        before = bytes(chunk)
        want = min(seen + DEPTH - 1, 21)  # the reads of the free buffers (21: the last, at the end)
        with cond:
            assert cond.wait_for(lambda: len(targets) >= want, timeout=60)
            held = chunk.obj
            assert all(t is not held for t in targets[seen:])
        assert bytes(chunk) == before
        got.extend(chunk)

    assert pump(readinto, sink, chunk=CHUNK, ahead=True) == len(data)
    assert got == data
    assert len({id(t) for t in targets}) == DEPTH


@pytest.mark.parametrize("ahead", [False, True])
def test_an_error_while_reading_is_raised_as_it_is_after_the_chunks_before(ahead: bool) -> None:
    data = bytes(range(5 * CHUNK))
    f = io.BytesIO(data)
    error = OSError(errno.EIO, "Input/output error")
    calls = 0

    def readinto(b: memoryview) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise error
        return f.readinto(b)

    got = bytearray()
    with pytest.raises(OSError) as info:
        pump(readinto, got.extend, chunk=CHUNK, ahead=ahead)
    assert info.value is error
    assert got == data[: 2 * CHUNK]
    assert calls == 3  # the reader stops at the error
    assert no_reader_left()


@pytest.mark.parametrize("ahead", [False, True])
def test_a_stream_that_would_block(ahead: bool) -> None:
    results = iter([CHUNK, None])
    got: list[int] = []
    with pytest.raises(BlockingIOError):
        pump(lambda b: next(results), lambda c: got.append(len(c)), chunk=CHUNK, ahead=ahead)
    assert got == [CHUNK]
    assert no_reader_left()


def test_a_failing_sink_stops_an_endless_reader() -> None:
    calls = 0

    def endless(b: memoryview) -> int:
        nonlocal calls
        calls += 1
        return len(b)

    error = ValueError("sink")

    def sink(chunk: memoryview) -> None:
        raise error

    with pytest.raises(ValueError) as info:
        pump(endless, sink, chunk=CHUNK, ahead=True)
    assert info.value is error
    assert no_reader_left()
    assert calls <= DEPTH + 1  # the buffers it had, and perhaps the one freed as it stopped


def test_no_thread_to_be_had_reads_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    stream = Stream(b"x" * 50)
    got = bytearray()
    assert pump(stream.readinto, got.extend, chunk=CHUNK, ahead=True) == 50
    assert got == b"x" * 50 and stream.threads == {"MainThread"}


def test_a_file_that_grows_or_shrinks_while_read_ahead(tmp_path: Path) -> None:
    p = tmp_path / "f"
    for change in ("grow", "shrink"):
        with open(p, "wb") as out:
            out.write(b"a" * (4 * CHUNK))
        fd = os.open(p, os.O_RDONLY)
        calls = 0

        def readinto(b: memoryview, fd: int = fd, change: str = change) -> int:
            nonlocal calls
            n = os.readv(fd, [b])
            calls += 1
            if calls == 1:
                with open(p, "r+b") as f:
                    if change == "grow":
                        f.seek(0, os.SEEK_END)
                        f.write(b"b" * (3 * CHUNK + 2))
                    else:
                        f.truncate(CHUNK + 3)
            return n

        got = bytearray()
        try:
            total = pump(readinto, got.extend, chunk=CHUNK, ahead=True)
        finally:
            os.close(fd)
        want = (
            b"a" * (4 * CHUNK) + b"b" * (3 * CHUNK + 2) if change == "grow" else b"a" * (CHUNK + 3)
        )
        assert (total, bytes(got)) == (len(want), want), change


def test_buffers_are_page_aligned_and_reused() -> None:
    a = buffer(3 * 4096)
    b = buffer(3 * 4096)
    for v in (a, b):
        assert not v.readonly and len(v) == 3 * 4096
        address = ctypes.addressof(ctypes.c_char.from_buffer(v))
        assert address % mmap_page() == 0
    objects = (a.obj, b.obj)
    release(a)
    release(b)
    c = buffer(3 * 4096)
    assert any(c.obj is o for o in objects)
    release(c)
    with pytest.raises(ValueError, match="positive"):
        buffer(0)


def mmap_page() -> int:
    import mmap

    return mmap.PAGESIZE


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_buffers_are_private_to_a_forked_child() -> None:
    """A pooled buffer inherited by a forked worker is the worker's own (not shared memory)."""
    v = buffer(4096)
    v[:5] = b"ready"
    release(v)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: fill the buffer it inherited, then say done
        try:
            child = buffer(4096)
            child[:5] = b"child"
            os.write(w, b"1")
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    again = buffer(4096)
    assert bytes(again[:5]) == b"ready"
    release(again)
    assert readahead._spare  # reused, not lost


def test_a_buffer_still_held_elsewhere_is_not_reused() -> None:
    v = buffer(4096)
    held = struct.iter_unpack("B", v)  # holds a buffer of v: v cannot be released
    obj = v.obj
    release(v)
    assert all(m is not obj for m in readahead._spare)
    del held


@pytest.mark.parametrize("ahead", [False, True])
def test_a_view_the_sink_keeps_is_released_not_refilled(ahead: bool) -> None:
    """The view handed over is dead once the sink returns: using it later raises, it never shows
    the bytes of a later chunk."""
    kept: list[memoryview] = []
    data = bytes(range(4 * CHUNK))
    assert pump(Stream(data).readinto, kept.append, chunk=CHUNK, ahead=ahead) == len(data)
    assert len(kept) == 4
    for view in kept:
        with pytest.raises(ValueError, match="released"):
            bytes(view)


@pytest.mark.parametrize("ahead", [False, True])
@pytest.mark.parametrize("keep", ["slice", "memoryview", "export"])
def test_what_the_sink_makes_of_a_chunk_keeps_its_bytes(ahead: bool, keep: str) -> None:
    """A slice of a chunk, a view of it or a buffer taken from it (numpy-style) outlives the call:
    its buffer is then never filled again, so it keeps that chunk's bytes (no copy is made)."""
    data = random.Random(7).randbytes(6 * CHUNK + 2)
    kept: list[tuple[object, bytes]] = []

    def sink(chunk: memoryview) -> None:
        made: object
        if keep == "slice":
            made = chunk[1:]
            want = bytes(chunk[1:])
        elif keep == "memoryview":
            made = memoryview(chunk)
            want = bytes(chunk)
        else:
            made = struct.iter_unpack("B", chunk)  # holds a buffer of the chunk's view itself
            want = bytes(chunk)
        kept.append((made, want))

    got = pump(Stream(data).readinto, sink, chunk=CHUNK, ahead=ahead)
    assert got == len(data)
    for made, want in kept:
        now = bytes(made) if isinstance(made, memoryview) else bytes(b for (b,) in made)  # type: ignore[attr-defined]
        assert now == want
    assert b"".join(w for _, w in kept) == (
        data
        if keep != "slice"
        else b"".join(data[i + 1 : i + CHUNK] for i in range(0, len(data), CHUNK))
    )
    kept.clear()
    assert no_reader_left()


def test_buffers_of_a_reader_still_running_after_an_interrupted_join_are_not_pooled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the reader thread is joined leaves it running, perhaps filling a buffer: none
    of its buffers goes back to the pool (a later pump would share it with the reader)."""
    readahead._spare.clear()
    reading, go = threading.Event(), threading.Event()
    seen: list[object] = []
    calls = 0

    def readinto(b: memoryview) -> int:
        nonlocal calls
        calls += 1
        seen.append(b.obj)
        if calls == 2:  # the reader stays in here until the test lets it go
            reading.set()
            assert go.wait(timeout=60)
        return len(b)

    def sink(chunk: memoryview) -> None:
        assert reading.wait(timeout=60)
        raise ValueError("sink")

    real_join = threading.Thread.join

    def interrupted(self: threading.Thread, timeout: float | None = None) -> None:
        if self.name == "pgpsig-readahead":
            raise KeyboardInterrupt
        real_join(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pump(readinto, sink, chunk=CHUNK, ahead=True)
    monkeypatch.undo()
    assert len(seen) >= 2
    assert all(m is not s for m in readahead._spare for s in seen)
    go.set()
    for t in threading.enumerate():
        if t.name == "pgpsig-readahead":
            t.join(timeout=60)
    assert no_reader_left()


def test_buffers_are_pooled_after_a_finished_pump() -> None:
    """The other side of the two tests above: buffers nobody holds are reused."""
    readahead._spare.clear()
    seen: list[object] = []
    stream = Stream(bytes(3 * CHUNK))

    def readinto(b: memoryview) -> int | None:
        seen.append(b.obj)
        return stream.readinto(b)

    pump(readinto, lambda c: None, chunk=CHUNK, ahead=True)
    assert readahead._spare
    assert all(any(m is s for s in seen) for m in readahead._spare)
