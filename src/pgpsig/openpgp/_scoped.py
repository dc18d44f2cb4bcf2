"""Setting a context variable for a block of code: the one way the per-run budgets are set.

This module owns :func:`scoped`, shared by :mod:`pgpsig.openpgp.sha1sig` (the verdict store, the
scan budgets, the deferred scans) and :mod:`pgpsig.openpgp.runbudget` (the run's budgets). A
context variable is this thread's (this context's) only: a block never sets, nor ends, another
thread's value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

__all__ = ["scoped"]

_T = TypeVar("_T")


@contextmanager
def scoped(var: ContextVar[_T], value: _T) -> Iterator[None]:
    """``var`` set to ``value`` within the block, restored after it (this context's only)."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)
