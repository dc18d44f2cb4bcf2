"""Module trees: which files a module holds, and safe resolution of listed paths.

This module owns the filesystem side of a module, separate from hashing file contents
(:mod:`pgpsig.hashing`):

* :func:`walk_module` lists a module's files the way FreePBX's ``sign.php`` does: a depth-first walk
  in bytewise (C-locale) order of each directory, every name starting with ``.`` skipped at every
  depth, ``module.sig`` at the top excluded, symbolic links followed (their *target* is hashed, as
  PHP's ``hash_file`` does). Unlike ``sign.php`` it never follows a link out of the module root or
  round a loop: such links are reported, not entered. A chain of more links than the kernel
  follows (40) counts as a loop, in the walk and in :func:`resolve_inside` alike.
* :func:`resolve_inside` turns a listed relative path into a file path that provably stays inside a
  base directory once every symbolic link is resolved, or says why not (missing, escapes, not a
  regular file).

Nothing here reads the clock, prints or looks at the environment; nothing is ever written.
"""

from __future__ import annotations

import errno
import fnmatch
import operator
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import InputError, LimitError, not_a_directory

__all__ = [
    "MAX_DEPTH",
    "MAX_FILES",
    "Resolved",
    "Tree",
    "excluded",
    "real_base",
    "resolve_inside",
    "walk_module",
    "walk_would_list",
]

#: Deepest directory nesting walked below a module root.
MAX_DEPTH = 64
#: Most files one module may hold.
MAX_FILES = 200_000


@dataclass(frozen=True, slots=True)
class Tree:
    """The files of a module, in ``sign.php`` order, and the links met on the way."""

    files: tuple[str, ...]
    symlinks: tuple[str, ...] = ()
    escaping: tuple[str, ...] = ()
    loops: tuple[str, ...] = ()
    dangling: tuple[str, ...] = ()
    special: tuple[str, ...] = ()
    #: The files of ``files`` listed below a followed link (reached through it, not directly).
    behind: frozenset[str] = frozenset()


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether ``rel`` (or one of its parent directories) matches a glob in ``patterns``."""
    if not patterns:
        return False
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(p, pat) for pat in patterns for p in prefixes)


@dataclass
class _Walk:
    root_real: str
    exclude: Sequence[str]
    skip_dot: bool
    only: frozenset[str] | None = None
    files: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    escaping: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)


def _too_many_links(path: str) -> bool:
    """Whether resolving ``path`` meets a loop or more links than the kernel follows (40).

    Checked before :func:`os.path.realpath`, which follows a chain of any length, one recursion
    level per link (3,000 chained links raised RecursionError) and one ``lstat`` per link for
    every path resolved through the chain.
    """
    try:
        os.stat(path)
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


_NAME = operator.attrgetter("name")


def _encoded_name(entry: os.DirEntry[str]) -> bytes:
    return os.fsencode(entry.name)


def _walk(
    w: _Walk, directory: str, rel: str, real: str, stack: tuple[str, ...], *, linked: bool
) -> None:
    """Walk ``directory`` (real path ``real``; ``stack`` the real paths of those above it).

    A plain directory's real path is its parent's joined with its name, with no system call; a
    link's is resolved. A link to a directory in ``stack`` (or to the one being walked) is a loop.
    (A mount point is a plain directory here: a directory bind-mounted below itself is walked
    once more there, its files listed again under the mount's path.)
    """
    if len(stack) > MAX_DEPTH:
        raise LimitError(f"module tree deeper than {MAX_DEPTH} directories at {rel or '.'}")
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except OSError as e:
        raise InputError(f"cannot list {directory}: {e.strerror or e}") from e
    # Bytewise order: for ASCII names (nearly all) the names' own order is the bytes' order,
    # without encoding each name (which took half the time of walking a node_modules tree).
    if all(e.name.isascii() for e in entries):
        entries.sort(key=_NAME)
    else:
        entries.sort(key=_encoded_name)
    files = w.files
    append = files.append
    prefix = f"{rel}/" if rel else ""
    skip_dot, top, exclude = w.skip_dot, not rel, w.exclude
    below = (*stack, real)
    real = real.rstrip("/")  # the root directory's children: "/x", not "//x"
    for entry in entries:
        name = entry.name
        if skip_dot and name.startswith("."):
            continue
        if top and name == "module.sig":
            continue
        r = prefix + name
        if exclude and excluded(r, exclude):
            continue
        # The directory entry's type needs no system call for a plain file or directory (most of
        # a tree): only links and unknown types are stat'ed. (Counted against MAX_FILES once a
        # directory is listed, and before each directory below it.)
        try:
            if entry.is_file(follow_symlinks=False):
                append(r)
                if linked:
                    w.behind.append(r)
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            is_link = not is_dir and entry.is_symlink()
        except OSError:
            continue
        if len(files) > MAX_FILES:
            raise LimitError(f"module holds more than {MAX_FILES} files")
        if is_dir:
            if w.only is None or r in w.only:
                _walk(w, entry.path, r, f"{real}/{name}", below, linked=linked)
            continue
        if not is_link:
            try:  # a FIFO, socket or device (or, where d_type is unknown, a name gone meanwhile)
                entry.stat(follow_symlinks=False)
            except OSError:
                continue
            w.special.append(r)
            continue
        path = entry.path
        w.symlinks.append(r)
        if _too_many_links(path):
            w.loops.append(r)
            continue
        target = os.path.realpath(path)
        if not _inside(target, w.root_real):
            # A link to nothing is dangling wherever it points; one to something outside escapes.
            (w.escaping if os.path.lexists(target) else w.dangling).append(r)
            continue
        try:
            st = os.stat(path)
        except OSError:
            w.dangling.append(r)
            continue
        if stat.S_ISDIR(st.st_mode):
            if w.only is not None and r not in w.only:
                continue
            if target in below:
                w.loops.append(r)
                continue
            _walk(w, path, r, target, below, linked=True)
        elif stat.S_ISREG(st.st_mode):
            w.files.append(r)
            w.behind.append(r)
            if len(w.files) > MAX_FILES:
                raise LimitError(f"module holds more than {MAX_FILES} files")
        else:
            w.special.append(r)
    if len(files) > MAX_FILES:
        raise LimitError(f"module holds more than {MAX_FILES} files")


def walk_would_list(rel: str, *, skip_dotfiles: bool = True) -> bool:
    """Whether :func:`walk_module` lists ``rel``, a regular file reached through no link.

    That is, with ``rel`` not excluded: not the top ``module.sig``, not absolute (a SYSTEM
    manifest's absolute path is looked up below the base directory), and with ``skip_dotfiles``
    not a name starting with ``.`` at any depth.
    """
    if rel.startswith("/") or rel == "module.sig":
        return False
    return not (skip_dotfiles and (rel.startswith(".") or "/." in rel))


def walk_module(
    root: Path,
    *,
    exclude: Sequence[str] = (),
    skip_dotfiles: bool = True,
    only: frozenset[str] | None = None,
) -> Tree:
    """List the files of the module at ``root`` (see the module docstring for the rules).

    With ``only``, the walk enters only the directories (relative paths) in it: the files of
    the others, and the links met in them, are not listed.

    Raises:
        InputError: ``root`` is not a readable directory.
        LimitError: the tree is deeper than :data:`MAX_DEPTH` or holds more than :data:`MAX_FILES`.
    """
    try:
        st = os.stat(root)
    except FileNotFoundError as e:
        raise not_a_directory(root) from e
    except OSError as e:
        raise InputError(f"{root}: {e.strerror or e}") from e
    if not stat.S_ISDIR(st.st_mode):
        raise not_a_directory(root)
    w = _Walk(os.path.realpath(root), exclude, skip_dotfiles, only)
    _walk(w, str(root), "", w.root_real, (), linked=False)
    return Tree(
        files=tuple(w.files),
        symlinks=tuple(w.symlinks),
        escaping=tuple(w.escaping),
        loops=tuple(w.loops),
        dangling=tuple(w.dangling),
        special=tuple(w.special),
        behind=frozenset(w.behind),
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a listed path leads: ``path`` to hash, or ``problem`` (missing, escapes, not-a-file)."""

    path: Path | None
    problem: str | None = None
    via_symlink: bool = False


_O_PATH = getattr(os, "O_PATH", 0)
_PROC_FD = "/proc/self/fd/"


def _kernel_resolve(path: str) -> tuple[str, os.stat_result] | None:
    """The real path and status of an existing ``path`` as the kernel resolves it, or None.

    Linux only (an ``O_PATH`` descriptor read back through ``/proc/self/fd``): four system calls
    where :func:`os.path.realpath` makes one ``lstat`` and several string operations per path
    component. None when the file does not exist, ``/proc`` is not mounted, or the answer is not
    a plain absolute path (a deleted file, a path outside this process's root): the caller then
    takes the portable way.
    """
    if not _O_PATH:
        return None
    try:
        fd = os.open(path, _O_PATH | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        real = os.readlink(_PROC_FD + str(fd))
        st = os.fstat(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if not real.startswith("/") or real.endswith(" (deleted)"):
        return None
    return real, st


def _resolve_fast(
    base: str, path: str, parts: list[str], base_real: str | None = None
) -> Resolved | None:
    """:func:`resolve_inside` for the common case, a file reached through no symbolic link.

    The file's real path is then exactly the base's real path joined with ``parts``; conversely,
    when it is, no part is a link (a link that resolves to its own location is a loop, which
    the kernel refuses). Anything else (links, missing files, no ``/proc``) returns None and is
    left to the portable way, so that the answers never differ.
    """
    if base_real is None:
        b = _kernel_resolve(base)
        if b is None:
            return None
        base_real = b[0]
    f = _kernel_resolve(path)
    if f is None:
        return None
    real, st = f
    if real != os.path.join(base_real, *parts):
        return None
    if not stat.S_ISREG(st.st_mode):
        return Resolved(None, "not-a-file", False)
    return Resolved(Path(real), None, False)


def real_base(base: Path) -> str | None:
    """The real path of the directory ``base`` as the kernel resolves it now.

    For :func:`resolve_inside`'s ``base_real``; None where that way is not available.
    """
    b = _kernel_resolve(os.fspath(base))
    return None if b is None else b[0]


def resolve_inside(base: Path, rel: str, *, base_real: str | None = None) -> Resolved:
    """Resolve ``rel`` below ``base``, following links only while they stay inside ``base``.

    ``rel`` must already be a safe relative path (see :func:`pgpsig.modules.manifest.check_path`).
    ``base_real``, :func:`real_base` of ``base`` made once for many files, spares resolving the
    base again for each: a file found exactly below it is inside the base as it was then.
    """
    parts = rel.split("/")
    path = os.path.join(base, *parts)
    fast = _resolve_fast(os.fspath(base), path, parts, base_real)
    if fast is not None:
        return fast
    base_real = os.path.realpath(base)
    via = False
    # Any symbolic link on the way (the file itself or a parent directory) counts.
    cur = str(base)
    for part in parts:
        cur = os.path.join(cur, part)
        try:
            if stat.S_ISLNK(os.lstat(cur).st_mode):
                via = True
                break
        except OSError:
            break
    if _too_many_links(path):
        return Resolved(None, "missing", via)
    real = os.path.realpath(path)
    if not _inside(real, base_real):
        # A link whose target does not exist is missing, wherever it points (FreePBX says so of
        # a dangling link); one that reaches something outside ``base`` escapes.
        return Resolved(None, "escapes" if os.path.lexists(real) else "missing", via)
    try:
        st = os.stat(real)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return Resolved(None, "missing", via)
        return Resolved(None, "unreadable", via)
    if not stat.S_ISREG(st.st_mode):
        return Resolved(None, "not-a-file", via)
    return Resolved(Path(real), None, via)
