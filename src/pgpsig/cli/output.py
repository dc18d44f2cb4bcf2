"""What the commands print and write: exit codes, safe text, one-line errors, JSON, output files.

Exit codes are pgpsig's (0 success, 1 verification failed, 2 usage error or unreadable/malformed
input; SOP has its own, :mod:`.sop`). Untrusted text is escaped before it reaches a terminal
(:func:`safe`); diagnostics go to stderr, one line each; ``--json`` is one document on stdout,
printed whole (:func:`print_json`) or written as its longest list comes (:func:`stream_json`).
Files are written by :mod:`pgpsig.fsutil`'s one atomic-write rule (:func:`emit`,
:class:`AtomicOutput`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "EXIT_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "AtomicOutput",
    "Exit",
    "emit",
    "err",
    "print_json",
    "safe",
    "stdout_gone",
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
    """Escape control characters in untrusted text before printing (no terminal or status injection)."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def err(msg: str) -> None:
    """One line on stderr: ``pgpsig: MSG``."""
    print(f"pgpsig: {safe(msg)}", file=sys.stderr)


def usage(msg: str) -> NoReturn:
    """A usage error: say it, exit 2."""
    err(msg)
    raise Exit(EXIT_ERROR)


def print_json(doc: Any) -> None:
    """``--json``: one document on stdout."""
    import json

    print(json.dumps(doc, indent=2))


def write_stdout(text: str) -> None:
    """Write ``text`` on stdout at once (flushed): a reader that went away raises BrokenPipeError."""
    sys.stdout.write(text)
    sys.stdout.flush()


def stream_json(
    key: str,
    items: Iterable[Any],
    rest: Callable[[], Mapping[str, Any]],
    write: Callable[[str], None] = write_stdout,
) -> None:
    """``--json`` of a long list, written as it comes: ``{KEY: [ITEM, ...], **rest()}``.

    The text is the same, byte for byte, as :func:`print_json` of the whole document, which is
    never held, nor is one item's whole text: each item is written, in pieces of about
    :data:`_JSON_PIECE` characters, when ``items`` gives it, and ``rest`` is called after the last
    (so it may sum them up). Nothing is written before the first item (or the end of an empty
    list); an error after that leaves on stdout the start of a document that is never closed, so
    that no JSON parser takes it for a whole one.
    """
    import json

    encoder = json.JSONEncoder(indent=2)
    lead = "{\n  " + json.dumps(key) + ": ["
    n = 0
    for item in items:
        pieces = [",\n    " if n else lead + "\n    "]
        size = 0
        # Newlines in the encoder's output are its own (a string's are escaped): indent them.
        for chunk in encoder.iterencode(item):
            pieces.append(chunk.replace("\n", "\n    "))
            size += len(chunk)
            if size >= _JSON_PIECE:
                write("".join(pieces))
                pieces, size = [], 0
        write("".join(pieces))
        n += 1
    tail = "\n  ]" if n else lead + "]"
    for k, v in rest().items():
        tail += ",\n  " + json.dumps(k) + ": " + encoder.encode(v).replace("\n", "\n  ")
    write(tail + "\n}\n")


#: Characters of JSON text :func:`stream_json` gathers before it writes them.
_JSON_PIECE = 1 << 16


def emit(out: Path | None, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` atomically to ``out``, or to stdout when ``out`` is None.

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


class AtomicOutput:
    """``verify --output``: LF text staged beside ``path``, which only :meth:`commit` replaces.

    The staging is :class:`pgpsig.fsutil.Staged` (the one atomic-write rule); this class only turns
    the verified canonical text (CRLF line ends, blocks) into the LF text gpgv writes.
    """

    def __init__(self, path: Path) -> None:
        from pgpsig.fsutil import Staged

        self.path = path
        self._staged = Staged(path)
        self._pending_cr = False
        self._block = -1

    def _advance(self, block: int) -> None:
        """Close every block before ``block`` with its final LF (empty blocks send no chunks)."""
        if block == self._block:
            return
        self._flush_cr()
        count = block - self._block if self._block >= 0 else block
        self._staged.write(b"\n" * count)
        self._block = block

    def write_canonical(self, block: int, chunk: bytes) -> None:
        """Write canonical text (CRLF) as LF text; each block's text ends with one LF (as gpgv)."""
        self._advance(block)
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self._pending_cr = True
        self._staged.write(chunk.replace(b"\r\n", b"\n"))

    def _flush_cr(self) -> None:
        if self._pending_cr:
            self._staged.write(b"\r")
            self._pending_cr = False

    def commit(self, blocks: int) -> None:
        """Finish the last of ``blocks`` blocks and move the file into place.

        Raises:
            InputError: it cannot be written or moved (``path`` is a directory, the disk is full);
                the temporary file is removed.
        """
        self._advance(blocks)
        self._staged.commit()

    def discard(self) -> None:
        """Remove the staged file; ``path`` stays as it was."""
        self._staged.discard()
