"""How one argument names one path (or reference) or several: the one rule, for every layer.

A caller may give a single ``str`` or ``os.PathLike``, or an iterable of them. A ``str`` is
iterable too (of characters), so "is it one?" must be asked before iterating: :func:`one_or_many`
is that question, asked in one place (keyring paths, trust-root references, module directories,
exclude patterns).
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import TypeVar

__all__ = ["one_or_many"]

_T = TypeVar("_T", str, str | PathLike[str])  # no string: typing would compile it (3 ms, #16)


def one_or_many(value: _T | Iterable[_T]) -> list[_T]:
    """``[value]`` for a single ``str`` or ``os.PathLike``, else the items of ``value`` as a list.

    Raises:
        TypeError: ``value`` is ``bytes`` (neither a path here nor a list of them).
    """
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("a path or reference is a str or os.PathLike, not bytes")
    if isinstance(value, (str, PathLike)):
        return [value]
    return list(value)
