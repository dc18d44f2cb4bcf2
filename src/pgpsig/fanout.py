"""Work to forked worker processes: planning and running a fanout, the one way pgpsig forks.

Checking or signing a FreePBX install is 122 modules of 20 to 8,000 small files. Hashing alone in
parallel leaves the rest of each module's work (reading and verifying ``module.sig``, parsing the
manifest, walking the tree, rendering and signing) on one core, and makes one process hold every
module's file list. A *fanout* sends whole modules to a pool of forked workers instead; the files
of one big module go to the same workers, in batches (:func:`pgpsig.hashing.digest_files`), and
so does unlocking a secret key (:func:`call_apart`, so that PGPy never enters the process that
signs):

* :func:`plan` splits the units into groups balanced by an estimated weight, or says the fanout
  does not pay (one core, fork unsafe, too little work, one unit holding most of it);
* :func:`run` runs ``task(i)`` for every unit ``i`` in the workers and returns the results in the
  order of the units. The task and everything it reads are *inherited* by the forked workers, never
  pickled; only group numbers go out and results come back. A worker that dies fails the whole
  run (:class:`~pgpsig.errors.PgpsigError`): never a partial result.

The workers are plain forks with two pipes each (:func:`start_workers`), not a
:class:`concurrent.futures.ProcessPoolExecutor`: no 15 ms of importing multiprocessing, no
management and feeder threads taking the cores' time from the workers. The workers are killed
and reaped when a run ends, however it ends (an error, a worker killed, Ctrl-C; nothing started
is waited for when the caller stops early), and a worker holds no pipe of another run's: runs may
go on at once. Whether this process may fork at all is :mod:`pgpsig.workers`'s to say.

Nothing here reads the clock, prints or looks at the environment.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import os
import pickle
import signal
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

from pgpsig.errors import PgpsigError
from pgpsig.workers import LIVE_FDS, fork_child, fork_is_safe, usable_cpus

__all__ = ["GROUPS_PER_WORKER", "plan", "possible", "run", "run_iter", "start_workers"]

T = TypeVar("T")

#: Groups of units per worker process: enough for the groups to even out, few enough that each
#: group's result is worth sending back.
GROUPS_PER_WORKER = 4


def possible() -> bool:
    """Whether a fanout may run here at all: two cores or more, and fork safe."""
    return usable_cpus() >= 2 and fork_is_safe()


def plan(
    weights: Sequence[int], *, min_total: int, ordered: bool = False
) -> tuple[int, list[list[int]]] | None:
    """(workers, groups of unit indices) for a fanout, or None.

    None (do the work in this process) when fork is not safe (see
    :func:`pgpsig.workers.fork_is_safe`), there is one core or one unit, the total weight is
    under ``min_total``, or one unit holds so much of the work that it alone would take a worker
    longer than the whole work takes here with its hashing spread over the cores. There is a
    worker a core, but no more than the total weight over the largest unit's. Units go, heaviest
    first, to the lightest of about :data:`GROUPS_PER_WORKER` groups a worker, heaviest group
    first. With ``ordered``, every unit is a group of its own, each started when it must be for its
    result to be ready about when those before it are (:func:`_in_time_order`): the results come
    back nearly in order and one unit at a time, so that a caller streaming them in order holds
    few of them (a group of FreePBX modules holding 75,000 unlisted paths came back as one 10 MiB
    result; started in order, framework held back 50,000 results done behind it).
    """
    if len(weights) < 2:
        return None
    if not possible():
        return None
    cpus = usable_cpus()
    total = sum(weights)
    if total < min_total or total <= 0:
        return None
    largest = max(weights)
    # More workers than total / largest would all wait for the worker of the largest unit.
    workers = min(cpus, len(weights), -(-total // largest))
    # Here, a file costs about as much to prepare and compare as to hash, and only the hashing is
    # spread over the cores: the largest unit's share must stay under (1 + 1/workers) / 2.
    if workers < 2 or 2 * workers * largest >= total * (workers + 1):
        return None
    count = min(len(weights), workers * GROUPS_PER_WORKER)
    if ordered:
        return workers, [[i] for i in _in_time_order(weights, workers)]
    groups: list[list[int]] = [[] for _ in range(count)]
    loads = [(0, k) for k in range(count)]  # a heap of (load, group)
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        load, k = heapq.heappop(loads)
        groups[k].append(i)
        heapq.heappush(loads, (load + weights[i], k))
    order = sorted(loads, key=lambda lk: -lk[0])
    return workers, [sorted(groups[k]) for _load, k in order if groups[k]]


def _in_time_order(weights: Sequence[int], workers: int) -> list[int]:
    """The units in the order to start them so that each is done about when those before it are.

    The units before unit ``i`` take about ``sum(weights[:i]) / workers`` on all the workers; to
    be done then, ``i`` must start ``weights[i]`` earlier: units are started by that latest start
    (the units' order among equals). A heavy unit is so started ahead of lighter ones before it
    and never holds back the results that follow it.
    """
    latest: list[float] = []
    done = 0
    for w in weights:
        latest.append(done / workers - w)
        done += w
    return sorted(range(len(weights)), key=lambda i: latest[i])


def run(
    task: Callable[[int], T],
    count: int,
    workers: int,
    groups: list[list[int]],
    *,
    what: str,
    on_group: Callable[[int], None] | None = None,
) -> list[T]:
    """``[task(0), ..., task(count - 1)]``, computed by ``workers`` forked processes by ``groups``.

    :func:`run_iter`, placed in order.

    Raises:
        PgpsigError: a worker died (killed, out of memory) or returned nothing for some unit.
        Exception: whatever ``task`` raised in a worker (re-raised here; the run stops).
    """
    results: list[Any] = [None] * count
    for i, result in run_iter(task, count, workers, groups, what=what, on_group=on_group):
        results[i] = result
    return results


def call_apart(task: Callable[[], T], *, what: str) -> T:
    """``task()`` in a forked process of its own, when one may be forked (else here).

    What the task imports and allocates stays in that process and ends with it; its result comes
    back pickled, and whatever it raises is raised here (:func:`run`). ``what`` names the work in
    the error message if the process dies.
    """
    if not fork_is_safe():
        return task()
    return run(lambda _i: task(), 1, 1, [[0]], what=what)[0]


def run_iter(
    task: Callable[[int], T],
    count: int,
    workers: int,
    groups: list[list[int]],
    *,
    what: str,
    on_group: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, T]]:
    """``(i, task(i))`` for every unit ``i < count``, as each group comes back from the workers.

    ``workers`` forked processes (:func:`start_workers`) run the ``groups``, each given the next
    group in the order of ``groups`` as soon as it is free; ``on_group(n)`` is called here as each
    group of ``n`` units comes back, before its results are yielded. ``what`` names the work in the
    error message. When the run ends, is closed early or fails, the workers are killed (idle or
    not: nothing started is waited for) and reaped; several runs may go on at once.

    Raises:
        PgpsigError: a worker died (killed, out of memory) or returned nothing for some unit
            (after the results that did come back).
        Exception: whatever ``task`` raised in a worker (re-raised here; the run stops).
    """
    import select  # noqa: PLC0415 - only a fanout needs it

    placed = [False] * count
    procs: list[_Worker] = []
    try:
        procs = start_workers(min(workers, len(groups)), task, groups)
        todo = iter(range(len(groups)))
        busy: dict[int, tuple[_Worker, int]] = {}
        poller = select.poll()  # no descriptor limit (select.select stops at 1024)
        for w in procs:
            g = next(todo, None)
            if g is not None:
                w.send(g, what)
                busy[w.results] = (w, g)
                poller.register(w.results, select.POLLIN)
        while busy:
            for fd, _event in poller.poll():
                w, g = busy.pop(fd)
                results = w.receive(what)
                nxt = next(todo, None)
                if nxt is not None:
                    w.send(nxt, what)
                    busy[fd] = (w, nxt)
                else:
                    poller.unregister(fd)
                group = groups[g]
                if on_group is not None:
                    on_group(len(group))
                for i, result in zip(group, results, strict=True):
                    placed[i] = True
                    yield i, result
    finally:
        _stop(procs)
    if not all(placed):  # every group's result is placed above, or an error raised
        raise PgpsigError(f"a worker process {what} returned nothing for some unit")


# --- the worker processes -------------------------------------------------------------------------

_NUMBER = struct.Struct(">I")
_LENGTH = struct.Struct(">Q")


class _Worker:
    """The parent's end of one forked worker: its process id and its two pipes."""

    __slots__ = ("commands", "pid", "reaped", "results")

    def __init__(self, pid: int, commands: int, results: int) -> None:
        self.pid, self.commands, self.results = pid, commands, results
        self.reaped = False  # its process id may then be another process's: never signalled

    def exit_status(self) -> str:
        """How the worker ended (it is reaped here), for an error message."""
        if self.reaped:
            return "already reaped"
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "already reaped"
        finally:
            self.reaped = True
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def send(self, group: int, what: str) -> None:
        """Ask the worker for ``group``'s results.

        Raises:
            PgpsigError: the worker is gone.
        """
        try:
            os.write(self.commands, _NUMBER.pack(group))
        except BrokenPipeError as e:
            raise PgpsigError(f"a worker process {what} died ({self.exit_status()})") from e

    def receive(self, what: str) -> list[Any]:
        """The results the worker sent back; its exception re-raised here.

        Raises:
            PgpsigError: the worker died before it sent them.
        """
        head = _read_exactly(self.results, _LENGTH.size)
        body = None if head is None else _read_exactly(self.results, _LENGTH.unpack(head)[0])
        if body is None:
            raise PgpsigError(f"a worker process {what} died ({self.exit_status()})")
        ok, payload = pickle.loads(body)  # noqa: S301 - our own forked worker's bytes
        if not ok:
            raise payload
        return cast(list[Any], payload)


def start_workers(
    workers: int, task: Callable[[int], Any], groups: Sequence[Sequence[int]]
) -> list[_Worker]:
    """Fork ``workers`` processes that run ``task`` for the units of the ``groups`` asked for.

    Nothing is imported or pickled to start them: each inherits this process as it is (``task``
    and ``groups`` included), and is sent group numbers on a pipe and sends results back on
    another (:func:`_serve`). As :func:`pgpsig.workers.fork_child` forks: a worker never runs a
    line of this process's code, its signal handlers included, and ignores Ctrl-C.
    """
    procs: list[_Worker] = []
    try:
        for _ in range(workers):
            procs.append(_fork_worker(task, groups))
    except BaseException:
        _stop(procs)
        raise
    return procs


def _fork_worker(task: Callable[[int], Any], groups: Sequence[Sequence[int]]) -> _Worker:
    """One worker (see :func:`start_workers`); its pipes closed here if it cannot be started."""
    fds: list[int] = []
    try:
        fds.extend(os.pipe())  # commands: read by the worker, written here
        fds.extend(os.pipe())  # results: written by the worker, read here
        cmd_r, cmd_w, res_r, res_w = fds

        def serve() -> int:
            os.close(cmd_w)
            os.close(res_r)
            return _serve(cmd_r, res_w, task, groups)

        pid = fork_child(serve)
        os.close(cmd_r)
        os.close(res_w)
        fds = []
        LIVE_FDS.update((cmd_w, res_r))
        return _Worker(pid, cmd_w, res_r)
    finally:
        for fd in fds:  # the worker was not started
            with contextlib.suppress(OSError):
                os.close(fd)


def _serve(
    commands: int, results: int, task: Callable[[int], Any], groups: Sequence[Sequence[int]]
) -> int:
    """In a forked worker: run each group asked for, until the parent closes the pipe; exit code."""
    gc.freeze()  # inherited objects: never scanned by this worker's collections, pages not copied
    while (head := _read_exactly(commands, _NUMBER.size)) is not None:
        number = _NUMBER.unpack(head)[0]
        try:
            if number >= len(groups):
                raise RuntimeError(f"a fanout worker was asked for group {number} of {len(groups)}")
            reply = pickle.dumps((True, [task(i) for i in groups[number]]), pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - sent back to be re-raised in the parent
            try:
                reply = pickle.dumps((False, e), pickle.HIGHEST_PROTOCOL)
                pickle.loads(reply)  # noqa: S301 - our own bytes; must load in the parent too
            except Exception:  # noqa: BLE001
                reply = pickle.dumps((False, PgpsigError(f"{type(e).__name__}: {e}")))
        _write_all(results, _LENGTH.pack(len(reply)) + reply)
    return 0


def _read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from ``fd``, or None at the end of the stream before them."""
    if n == 0:
        return b""
    chunks = []
    while n:
        chunk = os.read(fd, min(n, _READ_MAX))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


_READ_MAX = 1 << 20


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stop(procs: Sequence[_Worker]) -> None:
    """Kill the workers (busy or idle), close their pipes, and reap them."""
    for w in procs:
        if not w.reaped:
            with contextlib.suppress(OSError):
                os.kill(w.pid, signal.SIGKILL)
        for fd in (w.commands, w.results):
            LIVE_FDS.discard(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
    for w in procs:
        if not w.reaped:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(w.pid, 0)
            w.reaped = True
