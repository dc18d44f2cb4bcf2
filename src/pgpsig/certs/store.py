"""The on-disk certificate store: files a person can read, back up and diff.

This module owns the layout of the user's store and every write into it::

    <home>/certs/<FINGERPRINT>.asc   one armored certificate per primary key (upper-case hex)
    <home>/certs/<ISSUER>.rev        revocations whose certificate the store does not hold yet,
                                     by the issuer's fingerprint (or key ID when that is all
                                     they name): applied when the store is loaded, and written
                                     into the certificate (the file removed) when it is imported
    <home>/roots                     trust roots: one fingerprint per line, "# comment" allowed
    <home>/feeds/<ROOT>.pgp          the keyring feed in force from trust root ROOT
                                     (:mod:`pgpsig.certs.feeds`: read with ``certs/``)
    <home>/.lock                     advisory lock file (fcntl.flock), never holds data

``pgpsig check`` and ``pgpsig verify`` read ``certs/`` as an ordinary keyring directory and
``roots`` as trust roots; nothing else is needed to use a store, so a copy of the directory is a
complete backup. A plain keyring directory (``--keyring DIR``) is a store without ``roots``: its
certificates are ``DIR/<FINGERPRINT>.asc`` and its lock is ``DIR/.pgpsig.lock``.

Rules:

* **Atomic writes**, by :mod:`pgpsig.fsutil`'s one rule (temporary file beside the target,
  fsync, rename, fsync of the directory): a reader sees the old file or the new one, never half of
  one; a process killed mid-write leaves at most a stray temporary file, which the next writer
  removes.
* **One writer at a time.** Writers hold an exclusive ``flock`` on the lock file for the whole
  read-merge-write cycle (:meth:`Store.locked`), so two processes importing at once lose nothing:
  the second one merges into what the first one wrote. Readers take no lock.
* **Nothing that verifies is dropped.** A revocation imported before its certificate (or before
  the certificate it revokes, when it is a designated revoker's or a certifier's) waits in a
  ``.rev`` file (see :mod:`pgpsig.certs.revocations`); every reader applies it (``check`` and ``verify``
  read ``.rev`` files of a keyring directory too), and the import that brings the certificate
  writes it into the certificate's file. It leaves its ``.rev`` file only then, or when it can
  never apply.
* **Corruption is local.** A file that cannot be parsed is reported in
  :attr:`~pgpsig.certs.keyring.Keyring.problems` and skipped; the rest of the store loads. A ``.rev``
  file is the exception for a reader that judges keys (``load(strict_revocations=True)``, and
  every keyring directory ``check`` and ``verify`` read): skipping it would let a revoked key
  verify, so it is an error there. A file whose
  name is not the fingerprint of the one certificate it holds (one a person copied in) is loaded,
  as ``check`` would load it, and reported. A writer that replaces an unreadable file first moves it aside to
  ``<name>.corrupt`` so that nothing is silently lost.

What is *in* a certificate (which signatures are valid enough to store) is decided by
:mod:`pgpsig.keys`; this module only stores, loads and locks. It does not read the clock or the
environment: the CLI passes the environment to :func:`store_home`, the rule of where the user's
store is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path

from pgpsig import fsutil
from pgpsig._dataclass import dataclass, field
from pgpsig.certs.feeds import FEED_SUFFIX, FEEDS_DIR, AppliedFeed, add_applied, read_feed_file
from pgpsig.certs.keyring import (
    MAX_KEYRING_FILE_BYTES,
    KeyFile,
    Keyring,
    cert_to_bytes,
    read_key_file,
    revocation_file_error,
    signature_identity,
)
from pgpsig.certs.revocations import LooseRevocation
from pgpsig.errors import BudgetError, FormatError, KeyringError, LimitError, UnsupportedError
from pgpsig.openpgp import armor
from pgpsig.openpgp.ids import REVOCATION_TYPES, Tag
from pgpsig.openpgp.packets import Cert, Signature
from pgpsig.openpgp.publickey import normalize_fingerprint
from pgpsig.openpgp.write import packet_header

__all__ = [
    "CERTS_DIR",
    "LOCK_NAME",
    "ROOTS_FILE",
    "Store",
    "atomic_write",
    "store_home",
]

#: Directory of certificates inside a store home.
CERTS_DIR = "certs"
#: File of trust-root fingerprints inside a store home.
ROOTS_FILE = "roots"
#: Lock file of a store home.
LOCK_NAME = ".lock"
#: Lock file of a plain keyring directory (not a key suffix, so keyring readers ignore it).
DIR_LOCK_NAME = ".pgpsig.lock"

_CERT_SUFFIX = ".asc"
_PENDING_SUFFIX = ".rev"
_CORRUPT_SUFFIX = ".corrupt"
_HEX = frozenset("0123456789ABCDEF")


def store_home(environ: Mapping[str, str], home: Callable[[], Path]) -> Path:
    """The user's store home: ``$PGPSIG_HOME``, else ``$XDG_DATA_HOME/pgpsig``, else ``~/.local/share/pgpsig``.

    An empty variable counts as unset.

    Args:
        environ: The environment (the CLI passes ``os.environ``; nothing below it reads one).
        home: Gives the user's home directory; called only when neither variable is set (there
            may be no home directory at all).

    Returns:
        The store home, for :meth:`Store.at`.
    """
    env = environ.get("PGPSIG_HOME")
    if env:
        return Path(env)
    xdg = environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "pgpsig"
    return home() / ".local" / "share" / "pgpsig"


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """:func:`pgpsig.fsutil.atomic_write`, failing with :class:`KeyringError` (the store's error).

    Raises:
        KeyringError: The file cannot be written.
    """
    fsutil.atomic_write(path, data, mode=mode, error=KeyringError)


@dataclass(slots=True)
class Store:
    """A certificate store: a directory of ``<FPR>.asc`` files, an optional roots file, a lock.

    Build one with :meth:`at` (a store home with ``certs/`` and ``roots``) or :meth:`directory`
    (a plain keyring directory). Reading needs no lock; every write must happen inside
    :meth:`locked`.
    """

    certs_dir: Path
    roots_file: Path | None
    lock_file: Path
    feeds_dir: Path | None = None
    _lock_fd: int | None = field(default=None, repr=False)

    @classmethod
    def at(cls, home: Path) -> Store:
        """The store whose home is ``home`` (``$PGPSIG_HOME`` and friends)."""
        return cls(home / CERTS_DIR, home / ROOTS_FILE, home / LOCK_NAME, home / FEEDS_DIR)

    @classmethod
    def directory(cls, directory: Path) -> Store:
        """A plain keyring directory used as a store (no trust roots)."""
        return cls(directory, None, directory / DIR_LOCK_NAME)

    # -- locking --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold the store's exclusive lock; create the directories on first use.

        Stray temporary files (left by a writer that was killed) are removed once the lock is
        held: every writer holds the lock while it writes, so none of them can be in use.

        Raises:
            KeyringError: The store cannot be created or locked, or the lock is already held by
                this object (locks are not reentrant).
            UnsupportedError: The platform has no ``fcntl`` (pgpsig's store needs POSIX locks).
        """
        try:
            import fcntl  # noqa: PLC0415 - POSIX only; imported where it is needed
        except ImportError as e:  # pragma: no cover - not on Linux
            raise UnsupportedError("the certificate store needs POSIX file locks (fcntl)") from e
        if self._lock_fd is not None:
            raise KeyringError(f"the lock of {self.lock_file} is already held")
        try:
            self.certs_dir.mkdir(parents=True, exist_ok=True)
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise KeyringError(
                f"cannot open the store lock {self.lock_file}: {e.strerror or e}"
            ) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as e:
            os.close(fd)
            raise KeyringError(f"cannot lock {self.lock_file}: {e.strerror or e}") from e
        self._lock_fd = fd
        try:
            self._remove_stray_temporaries()
            yield self
        finally:
            self._lock_fd = None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _require_lock(self) -> None:
        if self._lock_fd is None:
            raise KeyringError("the store must be locked to be written (use Store.locked())")

    def _remove_stray_temporaries(self) -> None:
        """Remove the temporary files :func:`atomic_write` leaves when its process is killed."""
        places: list[tuple[Path, str, tuple[str, ...]]] = [
            (self.certs_dir, "", (f"{_CERT_SUFFIX}.", f"{_PENDING_SUFFIX}."))
        ]
        if self.roots_file is not None:
            prefix = f".{self.roots_file.name}."
            places.append((self.roots_file.parent, prefix, (prefix,)))
        if self.feeds_dir is not None:
            places.append((self.feeds_dir, "", (f"{FEED_SUFFIX}.",)))
        for directory, prefix, marks in places:
            try:
                stray = [
                    p
                    for p in directory.iterdir()
                    if p.name.startswith(prefix or ".")
                    and p.name.endswith(fsutil.TMP_SUFFIX)
                    and any(m in p.name for m in marks)
                ]
            except OSError:
                continue
            for p in stray:
                with contextlib.suppress(OSError):
                    p.unlink()

    # -- certificates -----------------------------------------------------------------------------

    def cert_path(self, fingerprint: str) -> Path:
        """Where the certificate with this primary fingerprint is (or would be) stored.

        Raises:
            KeyringError: ``fingerprint`` is not a fingerprint (no file name is made from it).
        """
        fpr = normalize_fingerprint(fingerprint)
        if fpr is None:
            raise KeyringError(f"not a fingerprint: {fingerprint!r}")
        return self.certs_dir / f"{fpr}{_CERT_SUFFIX}"

    def cert_files(self) -> list[Path]:
        """Every certificate file of the store, sorted (names ending in ``.asc``).

        Raises:
            KeyringError: The directory exists but cannot be listed.
        """
        return self._files(_CERT_SUFFIX)

    def pending_files(self) -> list[Path]:
        """Every file of revocations waiting for their certificate, sorted (``.rev``).

        Raises:
            KeyringError: The directory exists but cannot be listed.
        """
        return self._files(_PENDING_SUFFIX)

    def _files(self, suffix: str) -> list[Path]:
        if not self.certs_dir.is_dir():
            return []
        try:
            return sorted(
                p
                for p in self.certs_dir.iterdir()
                if p.suffix.lower() == suffix and not p.name.startswith(".")
            )
        except OSError as e:
            raise KeyringError(f"cannot list {self.certs_dir}: {e.strerror or e}") from e

    def _read_file(self, path: Path) -> KeyFile:
        try:
            if path.stat().st_size > MAX_KEYRING_FILE_BYTES:
                raise LimitError(f"larger than {MAX_KEYRING_FILE_BYTES} bytes")
            data = path.read_bytes()
        except OSError as e:
            raise KeyringError(f"cannot read: {e.strerror or e}") from e
        return read_key_file(data)

    def load(self, *, strict_revocations: bool = False, feeds: bool = True) -> Keyring:
        """Every certificate of the store, with the revocations of its ``.rev`` files applied.

        A file that cannot be read or parsed, or holds neither a certificate nor a revocation, is
        recorded in ``problems`` (with its path) and skipped; a certificate file whose name is not
        the fingerprint of the one certificate it holds is loaded and recorded in ``problems``.
        Revocations that cannot be applied are in the keyring's ``pending`` and ``warnings``.

        Args:
            strict_revocations: A ``.rev`` file that cannot be read or parsed is an error, as for
                every keyring directory a judgement reads (:func:`pgpsig.certs.keyring.load_keyring`);
                False (what ``key import`` needs: it must go on, and leaves such a file alone)
                records it in ``problems``.
            feeds: Add the certificates of the keyring feeds in force (what every reader needs);
                False for a writer of ``certs/`` (``key import``, ``key refresh``), which must
                not copy a feed's content into the store's own files.

        Returns:
            The keyring (possibly empty; a store that does not exist yet is empty).

        Raises:
            KeyringError: The certificate directory cannot be listed, or (``strict_revocations``)
                a ``.rev`` file cannot be read.
        """
        ring = Keyring()
        files: list[tuple[str, KeyFile]] = []
        for path in [*self.cert_files(), *self.pending_files()]:
            try:
                found = self._read_file(path)
            except BudgetError:  # says nothing of the file: skipped, it could hide a revocation
                raise
            except (FormatError, KeyringError) as e:
                if path.suffix.lower() == _PENDING_SUFFIX:
                    if strict_revocations:
                        raise revocation_file_error(path, e) from e
                    ring.problems.append(
                        f"{path}: revocation file cannot be read ({e}); "
                        "the revocations in it are not applied"
                    )
                    continue
                ring.problems.append(f"{path}: {e}")
                continue
            if not found.certs and not any(
                s.sig_type in REVOCATION_TYPES for s in found.signatures
            ):
                ring.problems.append(f"{path}: no certificate or revocation found")
                continue
            expected = path.name[: -len(_CERT_SUFFIX)].upper()
            certs = found.certs
            if path.suffix.lower() == _CERT_SUFFIX and (
                len(certs) != 1 or certs[0].fingerprint != expected
            ):
                # Still a keyring file (``check`` reads it), so its certificates count; the next
                # import of them writes them where they belong.
                names = ", ".join(c.fingerprint for c in certs) or "no certificate"
                ring.problems.append(
                    f"{path}: holds {names}, not (only) the certificate its name says; "
                    "loaded anyway (import it to store it under its fingerprint)"
                )
            files.append((str(path), found))
        ring.add_key_files(files)
        if feeds:
            add_applied(ring, self.feeds_dir)
        return ring

    def pending_path(self, sig: Signature, managed: Collection[Path] = ()) -> Path:
        """The ``.rev`` file where revocation ``sig`` waits: named by its issuer.

        ``<ISSUER>.rev``, unless a file of that name exists that is not in ``managed`` (the files
        :meth:`pending_revocations` returned: one a person put there is never overwritten); then
        ``<ISSUER>-1.rev``, ``<ISSUER>-2.rev``...

        Raises:
            KeyringError: ``sig`` names no issuer.
        """
        issuer = (sig.issuer_fingerprints or sig.issuer_key_ids or ("",))[0]
        if not issuer or not set(issuer) <= _HEX:
            raise KeyringError("a revocation that names no issuer cannot be kept")
        path = self.certs_dir / f"{issuer}{_PENDING_SUFFIX}"
        n = 0
        while path.exists() and path not in managed:
            n += 1
            path = self.certs_dir / f"{issuer}-{n}{_PENDING_SUFFIX}"
        return path

    def pending_revocations(self) -> dict[Path, list[LooseRevocation]]:
        """The revocations of every ``.rev`` file that holds nothing else, by file.

        Only such files are rewritten or removed by :meth:`write_pending`; a ``.rev`` file that
        cannot be read, or also holds certificates or other signatures (one a person put there),
        is left alone (:meth:`load` still reads it).

        Raises:
            KeyringError: The directory exists but cannot be listed.
        """
        out: dict[Path, list[LooseRevocation]] = {}
        for path in self.pending_files():
            try:
                found = self._read_file(path)
            except BudgetError:
                raise
            except (FormatError, KeyringError):
                continue  # reported by load()
            sigs = found.signatures
            if found.certs or not all(s.sig_type in REVOCATION_TYPES for s in sigs):
                continue
            out[path] = [LooseRevocation(s, str(path)) for s in sigs]
        return out

    def write_pending(self, path: Path, sigs: list[Signature]) -> None:
        """Replace the ``.rev`` file ``path`` with these revocations, or remove it if none.

        Needs the lock. Copies of one signature are written once. A file at that place that
        cannot be parsed is first moved aside to ``<name>.corrupt``.

        Raises:
            KeyringError: The store is not locked, or the file cannot be written or removed.
        """
        self._require_lock()
        self._set_aside_if_corrupt(path)
        if not sigs:
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                raise KeyringError(f"cannot remove {path}: {e.strerror or e}") from e
            fsutil.fsync_dir(path.parent)
            return
        seen: set[bytes] = set()
        body: list[bytes] = []
        for s in sigs:
            ident = signature_identity(s)
            if ident not in seen:
                seen.add(ident)
                body.append(packet_header(Tag.SIGNATURE, len(s.raw)) + s.raw)
        headers = [
            ("Comment", "Revocations waiting for their certificate (pgpsig key import)"),
        ]
        atomic_write(path, armor.encode("PGP PUBLIC KEY BLOCK", b"".join(body), headers))

    def write_cert(self, cert: Cert, *, comment: str | None = None) -> Path:
        """Write ``cert`` (armored) to its file, replacing what was there. Needs the lock.

        A file at that place that cannot be parsed is first moved aside to ``<name>.corrupt``.

        Args:
            cert: The certificate (already validated and merged by the caller).
            comment: An armor ``Comment:`` header (e.g. the primary user ID), for people.

        Returns:
            The path written.

        Raises:
            KeyringError: The store is not locked, or the file cannot be written.
        """
        self._require_lock()
        path = self.cert_path(cert.fingerprint)
        self._set_aside_if_corrupt(path)
        headers = [("Comment", _header_text(comment))] if comment else []
        atomic_write(path, armor.encode("PGP PUBLIC KEY BLOCK", cert_to_bytes(cert), headers))
        return path

    def _set_aside_if_corrupt(self, path: Path) -> None:
        """Move a file that cannot be parsed to ``<name>.corrupt`` before it is replaced."""
        if path.exists():
            try:
                self._read_file(path)
            except BudgetError:  # not corrupt: the run could not read it all
                raise
            except (FormatError, KeyringError):
                with contextlib.suppress(OSError):
                    path.replace(path.with_name(path.name + _CORRUPT_SUFFIX))

    # -- keyring feeds ----------------------------------------------------------------------------

    def applied_feed(self, root: str) -> AppliedFeed | None:
        """The feed in force from trust root ``root`` (a primary fingerprint), if any.

        Raises:
            KeyringError: ``root`` is no fingerprint, or its feed file cannot be read (then no
                feed can be applied over it: its version is unknown).
        """
        path = self.feed_path(root)
        if not os.path.lexists(path):
            return None
        return read_feed_file(path, path.name[: -len(FEED_SUFFIX)])

    def feed_path(self, root: str) -> Path:
        """Where the feed in force from trust root ``root`` is (or would be) stored.

        Raises:
            KeyringError: A plain keyring directory (feeds are applied to a store home), or
                ``root`` is not a fingerprint.
        """
        if self.feeds_dir is None:
            raise KeyringError("keyring feeds are applied to a store, not to a keyring directory")
        fpr = normalize_fingerprint(root)
        if fpr is None:
            raise KeyringError(f"not a fingerprint: {root!r}")
        return self.feeds_dir / f"{fpr}{FEED_SUFFIX}"

    def write_feed(self, root: str, data: bytes) -> Path:
        """Make ``data`` (a verified feed) the feed in force from ``root``: one atomic rename.

        Needs the lock.

        Raises:
            KeyringError: The store is not locked, or the file cannot be written.
        """
        self._require_lock()
        path = self.feed_path(root)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise KeyringError(f"cannot create {path.parent}: {e.strerror or e}") from e
        atomic_write(path, data)
        return path

    def remove_feed(self, root: str) -> None:
        """Remove the feed in force from ``root`` (none: nothing happens). Needs the lock.

        Raises:
            KeyringError: The store is not locked, or the file cannot be removed.
        """
        self._require_lock()
        path = self.feed_path(root)
        try:
            path.unlink(missing_ok=True)
            fsutil.fsync_dir(path.parent)
        except FileNotFoundError:
            return
        except OSError as e:
            raise KeyringError(f"cannot remove {path}: {e.strerror or e}") from e

    # -- trust roots ------------------------------------------------------------------------------

    def roots(self) -> list[str]:
        """The trust-root fingerprints (in file order, without comments or blank lines).

        Raises:
            KeyringError: The roots file exists but cannot be read or is not text.
        """
        if self.roots_file is None or not self.roots_file.is_file():
            return []
        try:
            text = self.roots_file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise KeyringError(f"cannot read {self.roots_file}: {e}") from e
        out = []
        for line in text.splitlines():
            value = line.split("#", 1)[0].strip()
            if value:
                out.append(value.upper())
        return out

    def write_roots(self, roots: Iterable[tuple[str, str]]) -> None:
        """Replace the roots file with these ``(fingerprint, comment)`` lines. Needs the lock.

        Raises:
            KeyringError: Not locked, a plain keyring directory (no roots), or not writable.
        """
        self._require_lock()
        if self.roots_file is None:
            raise KeyringError("a keyring directory has no trust roots; use the store")
        lines = ["# pgpsig trust roots: one fingerprint per line (see pgpsig key trust-root)"]
        for fpr, comment in roots:
            lines.append(f"{fpr}  # {_header_text(comment)}" if comment else fpr)
        atomic_write(self.roots_file, ("\n".join(lines) + "\n").encode("utf-8"))


def _header_text(text: str) -> str:
    """One line of printable text, for an armor header or a comment in the roots file."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text).strip()
    return clean[:200]
