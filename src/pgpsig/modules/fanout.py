"""Whole units of work (modules) to forked worker processes: planning and running a fanout.

Checking or signing a FreePBX install is 122 modules of 20 to 8,000 small files. Hashing alone in
parallel (:func:`pgpsig.hashing.digest_files`) leaves the rest of each module's work (reading and
verifying ``module.sig``, parsing the manifest, walking the tree, rendering and signing) on one
core, and makes one process hold every module's file list. A *fanout* sends whole modules to a pool
of forked workers instead:

* :func:`plan` splits the units into groups balanced by an estimated weight, or says the fanout
  does not pay (one core, fork unsafe, too little work, one unit holding most of it);
* :func:`run` runs ``task(i)`` for every unit ``i`` in the workers and returns the results in the
  order of the units. The task and everything it reads are *inherited* by the forked workers, never
  pickled; only group numbers go out and results come back. A worker that dies fails the whole
  run (:class:`~pgpsig.errors.PgpsigError`): never a partial result.

The workers are plain forks with two pipes each (:func:`start_workers`), not a
:class:`concurrent.futures.ProcessPoolExecutor`: no 15 ms of importing multiprocessing, no
management and feeder threads taking the cores' time from the workers, and the workers killed at
once when the caller stops early.

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
from pgpsig.hashing import fork_is_safe, mark_worker, usable_cpus

__all__ = ["GROUPS_PER_WORKER", "plan", "possible", "run", "run_iter", "start_workers"]

T = TypeVar("T")

#: Groups of units per worker process: enough for the groups to even out, few enough that each
#: group's result is worth sending back.
GROUPS_PER_WORKER = 4

#: The task of the running fanout, set by :func:`run` before its workers are forked and inherited
#: by them; None outside a fanout.
_TASK: Callable[[int], Any] | None = None
#: The groups of units of the running fanout, inherited with :data:`_TASK`: a worker is sent a
#: group's number only.
_GROUPS: list[list[int]] | None = None


def possible() -> bool:
    """Whether a fanout may run here at all: two cores or more, and fork safe."""
    return usable_cpus() >= 2 and fork_is_safe()


def plan(
    weights: Sequence[int], *, min_total: int, ordered: bool = False
) -> tuple[int, list[list[int]]] | None:
    """(workers, groups of unit indices) for a fanout, or None.

    None (do the work in this process) when fork is not safe (see
    :func:`pgpsig.hashing.fork_is_safe`), there is one core or one unit, the total weight is
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
    error message. Closing the iterator early, or an error, kills the workers at once (no unit
    started is waited for); they are always reaped.

    Raises:
        PgpsigError: a worker died (killed, out of memory) or returned nothing for some unit
            (after the results that did come back).
        Exception: whatever ``task`` raised in a worker (re-raised here; the run stops).
    """
    import select  # noqa: PLC0415 - only a fanout needs it

    global _TASK, _GROUPS  # noqa: PLW0603 - inherited by the forked workers, see _TASK
    placed = [False] * count
    _TASK, _GROUPS = task, groups
    procs: list[_Worker] = []
    finished = False
    try:
        procs = start_workers(min(workers, len(groups)))
        todo = iter(range(len(groups)))
        busy: dict[int, tuple[_Worker, int]] = {}
        for w in procs:
            g = next(todo, None)
            if g is not None:
                w.send(g, what)
                busy[w.results] = (w, g)
        while busy:
            ready, _, _ = select.select(list(busy), [], [])
            for fd in ready:
                w, g = busy.pop(fd)
                results = w.receive(what)
                nxt = next(todo, None)
                if nxt is not None:
                    w.send(nxt, what)
                    busy[fd] = (w, nxt)
                group = groups[g]
                if on_group is not None:
                    on_group(len(group))
                for i, result in zip(group, results, strict=True):
                    placed[i] = True
                    yield i, result
        finished = True
    finally:
        _TASK = _GROUPS = None
        _stop(procs, kill=not finished)
    if not all(placed):  # every group's result is placed above, or an error raised
        raise PgpsigError(f"a worker process {what} returned nothing for some unit")


# --- the worker processes -------------------------------------------------------------------------

_NUMBER = struct.Struct(">I")
_LENGTH = struct.Struct(">Q")


class _Worker:
    """The parent's end of one forked worker: its process id and its two pipes."""

    __slots__ = ("commands", "pid", "results")

    def __init__(self, pid: int, commands: int, results: int) -> None:
        self.pid, self.commands, self.results = pid, commands, results

    def send(self, group: int, what: str) -> None:
        """Ask the worker for ``group``'s results.

        Raises:
            PgpsigError: the worker is gone.
        """
        try:
            os.write(self.commands, _NUMBER.pack(group))
        except BrokenPipeError as e:
            raise PgpsigError(f"a worker process {what} died ({_exit_status(self.pid)})") from e

    def receive(self, what: str) -> list[Any]:
        """The results the worker sent back; its exception re-raised here.

        Raises:
            PgpsigError: the worker died before it sent them.
        """
        head = _read_exactly(self.results, _LENGTH.size)
        body = None if head is None else _read_exactly(self.results, _LENGTH.unpack(head)[0])
        if body is None:
            raise PgpsigError(f"a worker process {what} died ({_exit_status(self.pid)})")
        ok, payload = pickle.loads(body)  # noqa: S301 - our own forked worker's bytes
        if not ok:
            raise payload
        return cast(list[Any], payload)


def start_workers(workers: int) -> list[_Worker]:
    """Fork ``workers`` processes that run :data:`_TASK`'s groups (see :func:`_serve`).

    Nothing is imported or pickled to start them: each inherits this process as it is, and is
    sent group numbers on a pipe and sends results back on another.
    """
    procs: list[_Worker] = []
    try:
        for _ in range(workers):
            cmd_r, cmd_w = os.pipe()
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                code = 1
                try:
                    for fd in (cmd_w, res_r, *(f for w in procs for f in (w.commands, w.results))):
                        os.close(fd)
                    code = _serve(cmd_r, res_w)
                finally:
                    os._exit(code)
            os.close(cmd_r)
            os.close(res_w)
            procs.append(_Worker(pid, cmd_w, res_r))
    except BaseException:
        _stop(procs, kill=True)
        raise
    return procs


def _serve(commands: int, results: int) -> int:
    """In a forked worker: run each group asked for, until the parent closes the pipe; exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills the workers
    mark_worker()
    gc.freeze()  # inherited objects: never scanned by this worker's collections, pages not copied
    task = _TASK
    while (head := _read_exactly(commands, _NUMBER.size)) is not None:
        number = _NUMBER.unpack(head)[0]
        indices = _GROUPS[number] if _GROUPS is not None and number < len(_GROUPS) else None
        try:
            if task is None or indices is None:
                raise RuntimeError("a fanout worker runs only the task it was forked for")
            reply = pickle.dumps((True, [task(i) for i in indices]), pickle.HIGHEST_PROTOCOL)
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


def _stop(procs: Sequence[_Worker], *, kill: bool) -> None:
    """Close the workers' pipes (they exit), or kill them; reap them either way."""
    for w in procs:
        for fd in (w.commands, w.results):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            with contextlib.suppress(OSError):
                os.kill(w.pid, signal.SIGKILL)
    for w in procs:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(w.pid, 0)


def _exit_status(pid: int) -> str:
    """How the worker ``pid`` ended (it is reaped here), for the error message."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "already reaped"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
