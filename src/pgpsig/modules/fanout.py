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
  pickled; only unit numbers go out and results come back. A worker that dies fails the whole run
  (:class:`~pgpsig.errors.PgpsigError`): never a partial result.

Nothing here reads the clock, prints or looks at the environment.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from pgpsig.errors import PgpsigError
from pgpsig.hashing import fork_is_safe, fork_pool, usable_cpus

__all__ = ["GROUPS_PER_WORKER", "plan", "possible", "run", "run_iter"]

T = TypeVar("T")

#: Groups of units per worker process: enough for the groups to even out, few enough that each
#: group's result is worth sending back.
GROUPS_PER_WORKER = 4

#: The task of the running fanout, set by :func:`run` before its workers are forked and inherited
#: by them; None outside a fanout.
_TASK: Callable[[int], Any] | None = None


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

    ``workers`` forked processes run the ``groups``; ``on_group(n)`` is called here as each group
    of ``n`` units comes back, before its results are yielded. ``what`` names the work in the
    error message. Closing the iterator early cancels the groups not started and waits for the
    workers to stop.

    Raises:
        PgpsigError: a worker died (killed, out of memory) or returned nothing for some unit
            (after the results that did come back).
        Exception: whatever ``task`` raised in a worker (re-raised here; the run stops).
    """
    from concurrent.futures import as_completed  # noqa: PLC0415 - loaded by fork_pool anyway
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    global _TASK  # noqa: PLW0603 - inherited by the forked workers, see _TASK
    placed = [False] * count
    _TASK = task
    try:
        pool = fork_pool(workers)
        try:
            futures = {pool.submit(_run_group, group): group for group in groups}
            for future in as_completed(futures):
                group = futures[future]
                results = future.result()
                if on_group is not None:
                    on_group(len(group))
                for i, result in zip(group, results, strict=True):
                    placed[i] = True
                    yield i, result
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    except BrokenProcessPool as e:
        raise PgpsigError(f"a worker process {what} died: {e}") from e
    finally:
        _TASK = None
    if not all(placed):  # every group's result is placed above, or an error raised
        raise PgpsigError(f"a worker process {what} returned nothing for some unit")


def _run_group(indices: list[int]) -> list[Any]:
    """In a forked worker: the inherited task's results for the units at ``indices``."""
    task = _TASK
    if task is None:
        raise RuntimeError("_run_group runs only in a fanout's worker process")
    return [task(i) for i in indices]
