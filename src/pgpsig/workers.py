"""Whether this process may start worker processes: its cores, and whether a fork is safe here.

This module owns the process's state as the parallel code needs it: :func:`usable_cpus`, whether a
fork is safe (:func:`fork_is_safe`), whether this process is itself a worker (:func:`mark_worker`,
:func:`in_worker`: a worker never starts workers of its own), and how a process is forked
(:func:`fork_child`, the one way pgpsig forks). It is cheap to import (``os``, ``sys``; not even
``threading`` or ``signal``): a plain check asks it before hashing, and imports the workers
themselves (:mod:`pgpsig.fanout`: pickle, heapq, 3 ms) only when it starts them. Nothing here
reads the clock, prints or looks at the environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = ["LIVE_FDS", "fork_child", "fork_is_safe", "in_worker", "mark_worker", "usable_cpus"]

#: True in a process forked by :func:`fork_child`.
_IN_WORKER = False

#: Descriptors that a process forked by :func:`fork_child` closes first: this process's ends of
#: the pipes of :mod:`pgpsig.fanout`'s workers alive (which it keeps up to date).
LIVE_FDS: set[int] = set()


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


def fork_child(body: Callable[[], int]) -> int:
    """Fork a process that runs ``body`` and ends with what it returns; its pid, here.

    The one way pgpsig forks (the workers of :mod:`pgpsig.fanout`, :mod:`pgpsig.mapped`'s
    children). The child never runs a line of this process's code but ``body`` (and what was
    registered with :func:`os.register_at_fork` to run in a child, as any fork runs it, with the
    signals held off): it ends with :func:`os._exit` (exit code 1 if ``body`` raises), so no exit
    handler, finalizer or buffered output of this process runs twice. Nor does a signal handler
    of this process (a caller's SIGTERM handler that removes its pid file, say): every signal
    with a Python handler (not one set in C, outside :mod:`signal`) is held off while the child
    is forked, and in the child each such handler goes back to the system's default before any
    signal gets through; Ctrl-C is ignored there (it is this process's to handle: it stops the
    child). A handler of this process that raises as the signals come through here again (Ctrl-C
    while forking) has the mask restored, and the child killed and reaped, before it is raised.
    The child closes :data:`LIVE_FDS`, so that a fanout's worker sees the end of its commands
    when this process closes them, and it is marked a worker (:func:`mark_worker`): it forks no
    workers of its own.
    """
    import signal  # noqa: PLC0415 - 0.4 ms, for a process that forks: a small check never does

    # The mask as it is, changed by nothing yet: a pending handler that raises here (CPython runs
    # them as pthread_sigmask returns) leaves it so. One that raises as the signals are blocked,
    # or as the mask is restored, has it restored and no child left behind. Only the signals with
    # a Python handler are held off: no other runs a line of Python (and converting all 64 to
    # enums, twice, cost more than the fork's own 0.4 ms of this process's time).
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    handled = [s for s in range(1, signal.NSIG) if callable(signal.getsignal(s))]
    pid = -1
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, handled)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                for sig in handled:  # the parent's code: the default action here
                    signal.signal(sig, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                for fd in LIVE_FDS:
                    os.close(fd)
                LIVE_FDS.clear()
                mark_worker()
                code = body()
            finally:
                os._exit(code)
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        except BaseException:
            if pid > 0:  # a signal that came in while forking: the child is killed and reaped
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            raise
    return pid
