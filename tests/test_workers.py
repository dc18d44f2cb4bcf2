"""Tests of how pgpsig forks (pgpsig.workers.fork_child): what of this process a child never runs.

A library caller's process has its own signal handlers; a child forked for hashing or for a
fanout must not run them (a SIGTERM handler that removes the caller's pid file, say), and the
caller's handlers and signal mask must be as they were once the child is forked.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from unittest import mock

import pytest

from conftest import no_child_left
from pgpsig import workers

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def _status(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return status


def test_a_caller_s_signal_handler_never_runs_in_a_forked_child(tmp_path: Path) -> None:
    ran = tmp_path / "ran"

    def handler(signum: int, frame: FrameType | None) -> None:
        ran.write_text(f"{os.getpid()}")

    def body() -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # under the default action, the child is dead before this ends
        return 0

    old = signal.signal(signal.SIGTERM, handler)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        status = _status(workers.fork_child(body))
        assert signal.getsignal(signal.SIGTERM) is handler  # the caller's, here
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask
    finally:
        signal.signal(signal.SIGTERM, old)
    assert not ran.exists(), "the caller's handler ran in the child"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_ctrl_c_is_ignored_in_a_child_and_its_body_s_exit_code_comes_back() -> None:
    def body() -> int:
        os.kill(os.getpid(), signal.SIGINT)
        return 7

    status = _status(workers.fork_child(body))
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 7
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _Stop(Exception):
    """What the caller's signal handler raises (as KeyboardInterrupt or a SIGTERM's exit would)."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def test_a_signal_during_the_fork_whose_handler_raises_leaves_no_child_behind() -> None:
    """The signal is held off while forking, so the caller's handler runs (and raises) as the
    mask is restored: the child already forked is killed and reaped, never left running."""
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:  # the parent, SIGUSR1 held off (it has a handler): handled as the mask is restored
            os.kill(os.getpid(), signal.SIGUSR1)
        return pid

    def body() -> int:
        time.sleep(5)  # still running when the parent gives up on it, unless it is killed
        return 0

    old = signal.signal(signal.SIGUSR1, _raise_stop)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        with mock.patch.object(os, "fork", fork), pytest.raises(_Stop):
            workers.fork_child(body)
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert no_child_left()


def test_a_handler_that_raises_as_signals_are_held_off_leaves_the_mask_as_it_was() -> None:
    """A signal that came in just before the signals are held off has its handler run by that
    very call (CPython runs pending handlers on return from pthread_sigmask): if it raises,
    nothing is forked and the caller's mask is the one it had, not those signals blocked."""
    real_sigmask = signal.pthread_sigmask
    calls: list[int] = []

    def sigmask(how: int, mask: Iterable[int]) -> object:
        old = real_sigmask(how, mask)
        calls.append(how)
        if how == signal.SIG_BLOCK and list(mask):  # holding off the handled signals
            raise _Stop  # the pending handler, run as pthread_sigmask returns
        return old

    before = real_sigmask(signal.SIG_BLOCK, [])
    try:
        with mock.patch.object(signal, "pthread_sigmask", sigmask), pytest.raises(_Stop):
            workers.fork_child(lambda: 0)
        assert signal.SIG_BLOCK in calls
        assert real_sigmask(signal.SIG_BLOCK, []) == before
    finally:
        real_sigmask(signal.SIG_SETMASK, before)
    assert no_child_left()
