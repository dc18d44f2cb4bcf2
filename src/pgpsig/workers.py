"""Whether this process may start worker processes: its cores, and whether a fork is safe here.

This module owns the process's state as the parallel code needs it: :func:`usable_cpus`, whether a
fork is safe (:func:`fork_is_safe`) and whether this process is itself a worker
(:func:`mark_worker`, :func:`in_worker`: a worker never starts workers of its own). It is cheap to
import (``os``, ``sys``; not even ``threading``): a plain check asks it before hashing, and imports
the workers themselves (:mod:`pgpsig.fanout`) only when it starts them. Nothing here reads the clock,
prints or looks at the environment.
"""

from __future__ import annotations

import os
import sys

__all__ = ["fork_is_safe", "in_worker", "mark_worker", "usable_cpus"]

#: True in a worker process forked by :mod:`pgpsig.fanout`.
_IN_WORKER = False


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one), at least 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1


def mark_worker() -> None:
    """In a worker process forked by :mod:`pgpsig.fanout`: it never starts workers of its own."""
    global _IN_WORKER  # noqa: PLW0603 - a per-process flag
    _IN_WORKER = True


def in_worker() -> bool:
    """Whether this process is a worker forked by :mod:`pgpsig.fanout` (:func:`mark_worker`)."""
    return _IN_WORKER


def fork_is_safe() -> bool:
    """Whether worker processes may be forked from here.

    Not in a worker of :mod:`pgpsig.fanout`, not in a multiprocessing daemon (a library caller's
    pool), not while another thread runs (a fork with threads running can deadlock the child),
    not where there is no ``fork``.
    """
    if _IN_WORKER or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")  # never imported: no thread was started through it
    if threading is not None and threading.active_count() > 1:
        return False
    # A daemonic multiprocessing worker has multiprocessing imported; without it, this process
    # is nobody's worker.
    mp = sys.modules.get("multiprocessing")
    return mp is None or not mp.current_process().daemon
