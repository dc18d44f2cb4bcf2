"""One atomic-write rule for every file pgpsig writes: the store, ``module.sig``, CLI outputs.

This module owns how a file is replaced: its new bytes go to a temporary file beside it (a hidden
name ending in :data:`TMP_SUFFIX`, which no keyring reader loads), are flushed and fsync'ed, the
temporary file is renamed over the target, and the directory is fsync'ed so that the rename
survives a crash. A reader sees the old file or the new one, never half of one; a process killed
midway leaves at most a temporary file (:func:`is_temporary` names them, for cleaning up).

:class:`Staged` is the rule in two steps (write, then :meth:`Staged.commit`), for writers that
stream their output or must replace several files all or none; :func:`atomic_write` is the one-shot
form. Errors are :class:`~pgpsig.errors.InputError` naming the file (``error`` picks a subclass).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from pgpsig.errors import InputError

__all__ = ["TMP_SUFFIX", "Staged", "atomic_write", "fsync_dir", "is_temporary"]

#: Suffix of the temporary files (hidden, prefixed with the target's name).
TMP_SUFFIX = ".tmp"


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_temporary(path: Path, target_name: str | None = None) -> bool:
    """Whether ``path`` is a temporary file this module makes (for ``target_name``, if given)."""
    name = path.name
    prefix = f".{target_name}." if target_name is not None else "."
    return name.startswith(prefix) and name.endswith(TMP_SUFFIX)


def _fail(path: Path, e: OSError, error: type[InputError]) -> InputError:
    return error(f"cannot write {path}: {e.strerror or e}")


def _special(path: Path) -> bool:
    """Whether ``path`` exists (links followed) and is neither a regular file nor a directory."""
    try:
        kind = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(kind) or stat.S_ISDIR(kind))


class Staged:
    """A temporary file beside ``path``; ``path`` is replaced only by :meth:`commit`.

    A ``path`` that is a device (``/dev/stdout``, ``/dev/null``), a FIFO or a link to one is
    never replaced: it is staged in the temporary directory and, at :meth:`commit`, written
    into (a rename over ``/dev/null`` run as root would put a regular file where the device was).

    Args:
        path: The file to create or replace.
        mode: Permission bits of the new file (``0o600`` for secret keys).
        error: The error class raised (an :class:`InputError` subclass).

    Raises:
        InputError: The temporary file cannot be made (no such directory, no permission).
    """

    def __init__(
        self, path: Path, *, mode: int = 0o644, error: type[InputError] = InputError
    ) -> None:
        self.path = path
        self._error = error
        self.directory = path.parent if str(path.parent) else Path()
        self._in_place = _special(path)
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.name}.",
                suffix=TMP_SUFFIX,
                dir=None if self._in_place else self.directory,
            )
        except OSError as e:
            raise _fail(path, e, error) from e
        self.tmp = Path(tmp)
        self.fp: BinaryIO | None = os.fdopen(fd, "wb")
        try:
            os.fchmod(fd, mode)
        except OSError as e:
            self.discard()
            raise _fail(path, e, error) from e

    def detach(self) -> None:
        """Close this process's handle of the (still empty) temporary file, without fsync.

        For a file another process fills (:meth:`fill`, in a forked worker) while this one keeps
        the decision to :meth:`commit` or :meth:`discard` it.
        """
        if self.fp is not None and not self.fp.closed:
            self.fp.close()
        self.fp = None

    def fill(self, data: bytes) -> None:
        """Write ``data`` as the whole temporary file, by its name, and fsync it.

        For a forked worker filling a file its parent staged and :meth:`detach`'ed; the parent
        commits or discards it. An error leaves the file for the parent to discard.

        Raises:
            InputError: it cannot be written (no space, the file is gone).
        """
        try:
            with self.tmp.open("r+b") as fp:  # made by mkstemp, with its mode: never created here
                fp.write(data)
                fp.truncate()
                fp.flush()
                os.fsync(fp.fileno())
        except OSError as e:
            raise _fail(self.path, e, self._error) from e

    def write(self, data: bytes) -> None:
        """Append ``data`` to the temporary file."""
        if self.fp is None:
            raise ValueError("the staged file was detached: fill it instead")
        try:
            self.fp.write(data)
        except OSError as e:
            self.discard()
            raise _fail(self.path, e, self._error) from e

    def flush(self) -> None:
        """Flush and fsync the temporary file (done by :meth:`commit` too)."""
        try:
            if self.fp is not None and not self.fp.closed:
                self.fp.flush()
                os.fsync(self.fp.fileno())
                self.fp.close()
        except OSError as e:
            self.discard()
            raise _fail(self.path, e, self._error) from e

    def commit(self) -> None:
        """Fsync, rename over ``path``, fsync the directory.

        Raises:
            InputError: It cannot be written or moved (``path`` is a directory, the disk is
                full); the temporary file is removed.
        """
        self.flush()
        if self._in_place:
            import shutil  # noqa: PLC0415 - devices and FIFOs only

            try:
                with self.tmp.open("rb") as src, self.path.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except OSError as e:
                raise _fail(self.path, e, self._error) from e
            finally:
                self.discard()
            return
        try:
            self.tmp.replace(self.path)
        except OSError as e:
            self.discard()
            raise _fail(self.path, e, self._error) from e
        fsync_dir(self.directory)

    def discard(self) -> None:
        """Close and remove the temporary file; ``path`` is left as it was."""
        with contextlib.suppress(OSError):
            if self.fp is not None and not self.fp.closed:
                self.fp.close()
        self.tmp.unlink(missing_ok=True)


def atomic_write(
    path: Path, data: bytes, *, mode: int = 0o644, error: type[InputError] = InputError
) -> None:
    """Write ``data`` to ``path`` atomically (the module's rule), with permission bits ``mode``.

    Raises:
        InputError: The file cannot be written (of class ``error``); ``path`` is unchanged.
    """
    staged = Staged(path, mode=mode, error=error)
    staged.write(data)
    staged.commit()
