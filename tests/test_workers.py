"""Tests of how pgpsig forks (pgpsig.workers.fork_child): what of this process a child never runs.

A library caller's process has its own signal handlers; a child forked for hashing or for a
fanout must not run them (a SIGTERM handler that removes the caller's pid file, say), and the
caller's handlers and signal mask must be as they were once the child is forked.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType

import pytest

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
