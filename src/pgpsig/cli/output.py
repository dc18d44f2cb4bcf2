"""What the commands print and write: exit codes, safe text, one-line errors, JSON, output files.

Exit codes are pgpsig's (0 success, 1 verification failed, 2 usage error or unreadable/malformed
input; SOP has its own, :mod:`.sop`). Untrusted text is escaped before it reaches a terminal
(:func:`safe`); diagnostics go to stderr, one line each; ``--json`` is one document on stdout,
printed whole (:func:`print_json`) or written as its longest list comes (:func:`stream_json`).
Files are written by :mod:`pgpsig.fsutil`'s one atomic-write rule (:func:`emit`; ``verify
--output`` by :class:`pgpsig.verify.TextOutput`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from pgpsig.errors import printable

try:  # json.encoder's own C function, without importing json (1.5 ms of every command's start-up)
    from _json import encode_basestring_ascii as _encode_str
except ImportError:  # pragma: no cover - CPython has it
    from json.encoder import encode_basestring_ascii as _encode_str

__all__ = [
    "EXIT_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "Exit",
    "UsageError",
    "emit",
    "err",
    "json_chunks",
    "json_error",
    "json_item",
    "print_json",
    "safe",
    "stdout_gone",
    "stdout_used",
    "stream_json",
    "usage",
    "write_stdout",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


class Exit(Exception):  # noqa: N818 (an exit, not an error)
    """Leave a command with this exit code (what typer.Exit is, without importing typer)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def safe(text: str) -> str:
    """Escape control characters in untrusted text before printing (no terminal or status injection).

    The one rule is :func:`pgpsig.errors.printable` (newlines and bidirectional overrides too).
    """
    return printable(text)


def err(msg: str) -> None:
    """One line on stderr: ``pgpsig: MSG``."""
    print(f"pgpsig: {safe(msg)}", file=sys.stderr)


class UsageError(Exit):
    """A usage error: exit 2; its message is said where the command's errors are (``run``)."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_ERROR)
        self.message = message


def usage(msg: str) -> NoReturn:
    """A usage error: say it, exit 2 (see :class:`UsageError`)."""
    raise UsageError(msg)


#: Whether this process has written anything on stdout through :func:`print_json` or
#: :func:`write_stdout` (an error then prints no JSON error document after it).
_STDOUT_USED = False


def stdout_used(*, reset: bool = False) -> bool:
    """Whether a command wrote on stdout (see :data:`_STDOUT_USED`); ``reset`` starts anew."""
    global _STDOUT_USED  # noqa: PLW0603 - one process, one stdout
    used = _STDOUT_USED
    if reset:
        _STDOUT_USED = False
    return used


def print_json(doc: Any) -> None:
    """``--json``: one document on stdout (the text of ``json.dumps(doc, indent=2)``)."""
    global _STDOUT_USED  # noqa: PLW0603 - one process, one stdout
    _STDOUT_USED = True
    print("".join(json_chunks(doc)))


def json_error(kind: str, message: str) -> None:
    """``--json``'s document for a command that failed before writing one: ``{"error": ...}``.

    ``kind``: ``usage`` (the command line), ``input`` (a file or directory that cannot be used),
    ``format`` (malformed input), ``verification``, ``error`` (another pgpsig error),
    ``interrupted`` or ``internal``. Written only if nothing was written on stdout before.
    """
    if not _STDOUT_USED:
        print_json({"error": {"kind": kind, "message": message}})


def write_stdout(text: str) -> None:
    """Write ``text`` on stdout at once (flushed): a reader that went away raises BrokenPipeError."""
    global _STDOUT_USED  # noqa: PLW0603 - one process, one stdout
    _STDOUT_USED = True
    sys.stdout.write(text)
    sys.stdout.flush()


def stream_json(
    key: str,
    items: Iterable[Any],
    rest: Callable[[], Mapping[str, Any]],
    write: Callable[[str], None] = write_stdout,
    *,
    encoded: bool = False,
) -> None:
    """``--json`` of a long list, written as it comes: ``{KEY: [ITEM, ...], **rest()}``.

    The text is the same, byte for byte, as :func:`print_json` of the whole document, which is
    never held, nor is one item's whole text (unless ``encoded``: the items are then their
    :func:`json_item` text): each item is written, in pieces of about :data:`_JSON_PIECE`
    characters, when ``items`` gives it, and ``rest`` is called after the last (so it may sum them
    up). Nothing is written before the first item (or the end of an empty list); an error after
    that leaves on stdout the start of a document that is never closed, so that no JSON parser
    takes it for a whole one.
    """
    lead = "{\n  " + _encode_str(key) + ": ["
    n = 0
    for item in items:
        pieces = [",\n    " if n else lead + "\n    "]
        size = 0
        for chunk in (item,) if encoded else json_chunks(item, 2):
            pieces.append(chunk)
            size += len(chunk)
            if size >= _JSON_PIECE:
                write("".join(pieces))
                pieces, size = [], 0
        write("".join(pieces))
        n += 1
    tail = "\n  ]" if n else lead + "]"
    for k, v in rest().items():
        tail += ",\n  " + _encode_str(k) + ": " + "".join(json_chunks(v, 1))
    write(tail + "\n}\n")


def json_item(o: Any) -> str:
    """The text of ``o`` as an item of :func:`stream_json`'s list (``encoded=True``)."""
    return "".join(json_chunks(o, 2))


def json_chunks(o: Any, level: int = 0) -> Iterator[str]:
    """The text of ``json.dumps(o, indent=2)`` in pieces, nested ``level`` levels deep.

    Byte for byte the standard library's text (``tests/cli/test_output.py`` holds them equal on
    random documents), but a list of strings (a FreePBX module's 27,000 unlisted paths) is
    joined in C, 1,024 at a time: ``json`` with an ``indent`` encodes item by item in Python
    (0.07 s of a 0.8 s check of a FreePBX install).

    Raises:
        TypeError: ``o`` holds something JSON has no text for, or a key of the wrong type.
        ValueError: ``o`` holds a dictionary key that is no string, number, bool or None.
    """
    if isinstance(o, str):
        yield _encode_str(o)
    elif isinstance(o, (list, tuple)):
        yield from _json_list(o, level)
    elif isinstance(o, dict):
        yield from _json_dict(o, level)
    else:
        yield _json_scalar(o)


def _json_scalar(o: Any) -> str:
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _json_float(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _json_float(o: float) -> str:
    if o != o:  # noqa: PLR0124 - NaN
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == float("-inf"):
        return "-Infinity"
    return float.__repr__(o)


def _json_list(o: list[Any] | tuple[Any, ...], level: int) -> Iterator[str]:
    if not o:
        yield "[]"
        return
    sep = ",\n" + "  " * (level + 1)
    lead = "[" + sep[1:]
    for i in range(0, len(o), 1024):
        part = o[i : i + 1024]
        try:  # strings only: joined in C (anything else raises TypeError, the json way for it)
            text = sep.join(map(_encode_str, part))
        except TypeError:
            for j, x in enumerate(part):
                yield lead if i + j == 0 else sep
                yield from json_chunks(x, level + 1)
        else:
            yield (lead if i == 0 else sep) + text
    yield "\n" + "  " * level + "]"


def _json_dict(o: dict[Any, Any], level: int) -> Iterator[str]:
    if not o:
        yield "{}"
        return
    sep = ",\n" + "  " * (level + 1)
    first = True
    for k, v in o.items():
        if isinstance(k, str):
            key = _encode_str(k)
        elif isinstance(k, float):
            key = _encode_str(_json_float(k))
        elif k is None or isinstance(k, int):  # True, False and None included
            key = _encode_str(_json_scalar(k))
        else:
            raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")
        head = ("{" + sep[1:] if first else sep) + key + ": "
        first = False
        if isinstance(v, str):
            yield head + _encode_str(v)
        elif isinstance(v, (list, tuple, dict)):
            yield head
            yield from json_chunks(v, level + 1)
        else:
            yield head + _json_scalar(v)
    yield "\n" + "  " * level + "}"


#: Characters of JSON text :func:`stream_json` gathers before it writes them.
_JSON_PIECE = 1 << 16


def emit(out: Path | None, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` atomically to ``out``, or to stdout when ``out`` is None.

    A device or FIFO is written into, never replaced (:class:`pgpsig.fsutil.Staged`).

    Raises:
        InputError: ``out`` cannot be written.
    """
    from pgpsig.fsutil import atomic_write

    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write(out, data, mode=mode)


def stdout_gone() -> None:
    """Send what is left for stdout to /dev/null: its reader went away (``pgpsig ... | head``)."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
