"""The cache directory: small, recomputable verdicts on disk, each keyed by a SHA-256 digest.

This module owns the files of pgpsig's cache directory (``pgpsig check --cache-dir DIR``; by
default :func:`cache_home`, the user's cache directory): when a directory may be used at all
(:func:`open_cache`), where an entry lives (``<root>/<namespace>/<2 hex digits>/<62 hex
digits>``), how it is read (a regular file of at most :data:`MAX_ENTRY` bytes, a link never
followed) and how it is written (a temporary file beside it, renamed over it: forked workers
writing one entry at once never leave half of one).

An entry is only ever a result that can be computed again: losing one costs time, never
correctness. So writes are not fsync'ed (a crash may leave an empty or torn entry: the reader of
an entry checks its content, see :mod:`pgpsig.openpgp.sha1sig`), and every error reading or
writing an entry is a miss, never a failure of the command. What an entry must never be is
*planted*: a directory another user may write to would let them answer in our place. So
:func:`open_cache` refuses a root or namespace directory that this user does not own, or that its
group or others may write to, and makes the ones it creates private (``0700``).

Nothing here reads the environment (the CLI passes it to :func:`cache_home`), the clock, or prints.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NoReturn

from pgpsig.errors import InputError

__all__ = ["MAX_ENTRY", "CacheDir", "CacheError", "cache_home", "open_cache"]

#: Largest entry read, in bytes: anything longer is not an entry of ours (a miss).
MAX_ENTRY = 256


class CacheError(InputError):
    """A cache directory that cannot be used (created, or trusted to hold only our entries)."""


def cache_home(environ: Mapping[str, str], home: Callable[[], Path]) -> Path:
    """The user's cache directory for pgpsig: ``$XDG_CACHE_HOME/pgpsig``, else ``~/.cache/pgpsig``.

    An empty or relative variable counts as unset (the XDG base directory specification: a
    relative path is invalid); ``home`` is called only then (there may be no home at all: it
    raises ``RuntimeError`` or ``KeyError``, as :meth:`pathlib.Path.home` does).
    """
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "pgpsig"
    return home() / ".cache" / "pgpsig"


def _refused(path: Path, why: str) -> CacheError:
    return CacheError(f"cannot use the cache directory {path}: {why}")


def _private_directory(path: Path, *, dir_fd: int | None = None) -> int:
    """Create ``path`` (mode 0700) unless it exists, open it and vouch for it: its descriptor.

    With ``dir_fd``, ``path`` is one name in that directory and may not be a link; without it,
    ``path`` is created with its parents (as the umask says) and may be a link to a directory.
    The checks are made on the directory opened, which is the one used afterwards: renaming
    another directory to its name later changes nothing.

    Raises:
        CacheError: it cannot be created or opened, is not a directory (a link to one, with
            ``dir_fd``), or is not this user's alone to write.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | (os.O_NOFOLLOW if dir_fd is not None else 0)
    try:
        with contextlib.suppress(FileExistsError):  # a file there: opening it says what it is
            if dir_fd is None:
                path.mkdir(mode=0o700, parents=True)
            else:
                os.mkdir(path.name, 0o700, dir_fd=dir_fd)
        fd = os.open(path.name if dir_fd is not None else path, flags, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ENOTDIR, errno.ELOOP):
            raise _refused(path, "not a directory") from e
        raise _refused(path, e.strerror or str(e)) from e
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise _refused(path, "another user owns it")
        if st.st_mode & 0o022:
            raise _refused(path, "its group or others may write to it")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_cache(root: Path, namespace: str) -> CacheDir:
    """The cache of ``namespace`` under ``root``, both created if missing and checked.

    ``root`` may be a link to a directory (``~/.cache`` often is); the namespace directory in it
    may not be. The returned cache holds the namespace directory open: its entries are those of
    the directory checked here, whatever its path names later.

    Raises:
        CacheError: ``root`` or ``root/namespace`` cannot be created, is not a directory, or may
            be written by another user (see the module's docstring).
    """
    root_fd = _private_directory(root)
    try:
        fd = _private_directory(root / namespace, dir_fd=root_fd)
    finally:
        os.close(root_fd)
    return CacheDir(root / namespace, fd)


class CacheDir:
    """The entries of one namespace of a cache directory that :func:`open_cache` vouched for.

    It holds that directory open (``fd``, closed with the object; forked workers inherit it) and
    reaches entries only through it. ``directory`` is its path when it was opened, for messages.
    """

    __slots__ = ("_fd", "directory")

    def __init__(self, directory: Path, fd: int) -> None:
        self.directory = directory
        self._fd = fd

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self._fd)

    def __copy__(self) -> CacheDir:
        return self  # one descriptor, one owner: a copy would close it under the other

    def __deepcopy__(self, memo: object) -> CacheDir:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a CacheDir holds an open directory: it cannot be pickled")

    @staticmethod
    def _names(key: bytes) -> tuple[str, str]:
        """The entry's subdirectory and file name in the namespace directory."""
        if len(key) != 32:
            raise ValueError("a cache key is a SHA-256 digest (32 bytes)")
        name = key.hex()
        return name[:2], name[2:]

    def get(self, key: bytes) -> bytes | None:
        """The entry of ``key``, or None (none, not a regular file, too long, unreadable)."""
        sub, name = self._names(key)
        try:
            fd = os.open(
                f"{sub}/{name}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self._fd
            )
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY:
                return None
            return os.read(fd, MAX_ENTRY + 1)
        except OSError:
            return None
        finally:
            os.close(fd)

    def put(self, key: bytes, value: bytes) -> None:
        """Write ``value`` as the entry of ``key`` (best effort: an error leaves no entry).

        Raises:
            ValueError: ``value`` is longer than :data:`MAX_ENTRY` (a programming error).
        """
        if len(value) > MAX_ENTRY:
            raise ValueError(f"a cache entry holds at most {MAX_ENTRY} bytes")
        sub, name = self._names(key)
        # A name no other writer has, even one whose process id a killed writer had: a leftover
        # temporary file never blocks an entry.
        path, tmp = f"{sub}/{name}", f"{sub}/.{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(sub, 0o700, dir_fd=self._fd)
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=self._fd
            )
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fp:
                fp.write(value)
            os.replace(tmp, path, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self._fd)
