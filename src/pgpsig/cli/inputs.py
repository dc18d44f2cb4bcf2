"""What the commands read: the clock, the environment, files, and the store and roots they imply.

This is where ``--at`` becomes the reference time (the clock otherwise), where the user's store is
found (:func:`pgpsig.certs.store.store_home` over ``os.environ``), where ``--keyring`` paths
become a keyring and ``--trust-root`` values the roots in force
(:meth:`pgpsig.engine.trust.TrustRoots.from_values`), their warnings printed, and where input
files are read, bounded. The rules themselves are the library's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pgpsig.cli.output import err, usage
from pgpsig.errors import InputError

__all__ = [
    "existing",
    "fetcher",
    "freshness",
    "key_store",
    "keyring",
    "now",
    "passphrase",
    "policy",
    "read",
    "ring_warnings",
    "sha1_verdicts",
    "spool",
    "store_home",
    "trust_roots",
    "unlocked",
    "versions",
]

#: Reference times ``--at`` accepts: OpenPGP's v4 times run from 1970 to 2106; judging needs some
#: room after the time (clock skew), so the year 9999 would overflow.
_AT_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))


def now(at: str | None) -> datetime:
    """The reference time: ``--at`` if given (ISO 8601, naive means UTC), else the clock."""
    if at is None:
        return datetime.now(timezone.utc)
    try:
        t = datetime.fromisoformat(at.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        usage(f"--at: not an ISO 8601 time: {at!r}")
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    try:
        t = t.astimezone(timezone.utc)
    except OverflowError:
        usage(f"--at: out of range: {at!r}")
    if not _AT_RANGE[0] <= t <= _AT_RANGE[1]:
        usage(f"--at: {at!r} is outside {_AT_RANGE[0].year}-{_AT_RANGE[1].year}")
    return t


def store_home() -> Path:
    """The user's store (the library's rule, over this process's environment).

    Raises:
        KeyringError: No variable names it and the user has no home directory (a service
            with an arbitrary user ID, cron with a stripped environment).
    """
    from pgpsig.certs.store import store_home as home_of
    from pgpsig.errors import KeyringError

    try:
        return home_of(os.environ, Path.home)
    except (RuntimeError, KeyError) as e:
        raise KeyringError(
            "cannot find the store: no home directory, and neither PGPSIG_HOME nor XDG_DATA_HOME"
            " is set (set one, or give --keyring)"
        ) from e


def sha1_verdicts(cache_dir: Path | None, no_cache: bool, pol: Any) -> Any:
    """Where the SHA-1 collision verdicts of this run are kept: a cache directory, or None.

    None with ``--no-cache``, and when the policy ``pol`` accepts no SHA-1 data signature (the
    only data worth keeping a verdict for is then never scanned: no directory is made). The
    default directory (:func:`pgpsig.cachedir.cache_home`) is skipped with a warning when it
    cannot be used, silently when there is no home directory (a service).

    Raises:
        CacheError: ``--cache-dir`` cannot be used (see :func:`pgpsig.cachedir.open_cache`).
    """
    from pgpsig.openpgp.ids import HashAlgorithm
    from pgpsig.policy import SignatureKind

    if cache_dir is not None and no_cache:
        usage("--cache-dir and --no-cache: give one of them")
    if no_cache or not pol.may_accept(HashAlgorithm.SHA1, kind=SignatureKind.DATA):
        return None
    from pgpsig.cachedir import CacheError, cache_home, open_cache
    from pgpsig.openpgp.sha1sig import NAMESPACE

    if cache_dir is not None:
        return open_cache(cache_dir, NAMESPACE)
    try:
        root = cache_home(os.environ, Path.home)
    except (RuntimeError, KeyError):
        return None
    try:
        return open_cache(root, NAMESPACE)
    except CacheError as e:
        err(f"warning: {e}; SHA-1 signed data is scanned again for collision attacks")
        return None


def _is_dir(path: Path) -> bool:
    """Whether ``path`` is a directory; one that cannot be looked at is a KeyringError."""
    from pgpsig.errors import KeyringError

    try:
        return path.is_dir()
    except OSError as e:
        raise KeyringError(f"cannot use {path}: {e.strerror or e}") from e


def policy(name: str) -> Any:
    """The named policy profile; an unknown name is a usage error."""
    from pgpsig.policy import policy_named

    try:
        return policy_named(name)
    except ValueError as e:
        usage(str(e))


def keyring(
    paths: list[Path] | None,
    *,
    warn: bool = True,
    feeds: list[Any] | None = None,
    store_feeds: bool = False,
) -> Any:
    """The keyring of ``--keyring`` paths, else the store's (its applied feeds too), warnings printed.

    ``warn=False`` when the caller adds more certificates first (they may resolve pending
    revocations) and prints the warnings itself. ``feeds``, when given, receives the store's
    applied feeds (:class:`pgpsig.certs.feeds.AppliedFeed`). With ``store_feeds`` (the FreePBX
    preset's keyring), the platform's store, if it has one, joins ``paths``: its certificates and
    its feeds (what feeds delivered and later feeds left out is kept in ``certs/``).
    """
    from pgpsig.certs.keyring import Keyring, load_keyring
    from pgpsig.errors import KeyringError

    if paths and not store_feeds:  # a plain check's keyring: the store's modules stay unloaded
        ring = load_keyring(paths)
        if warn:
            ring_warnings(ring)
        return ring
    from pgpsig.certs.feeds import FEEDS_DIR, add_applied
    from pgpsig.certs.store import CERTS_DIR

    home: Path | None = None
    if paths:
        try:
            home = store_home()
        except KeyringError:
            home = None  # no store at all: the preset's keys alone
        extra = [home / CERTS_DIR] if home is not None and _is_dir(home / CERTS_DIR) else []
        ring = load_keyring([*paths, *extra])
    else:
        home = store_home()
        store = home / CERTS_DIR
        ring = load_keyring([store]) if _is_dir(store) else Keyring()
    if home is not None:
        applied = add_applied(ring, home / FEEDS_DIR)
        if feeds is not None:
            feeds.extend(applied)
    if warn:
        ring_warnings(ring)
    return ring


def freshness(
    applied: list[Any], roots: Any, now: datetime, *, require: bool
) -> tuple[Any, list[str]]:
    """The roots in force given the store's feeds, and the warnings to report (printed here).

    Without ``require``: every applied feed whose window has closed is a warning. With it: for
    ``check`` (``roots`` given), every root without a feed in force at ``now`` certifies no one
    (:meth:`pgpsig.engine.trust.TrustRoots.requiring_fresh`); for ``verify`` (``roots`` None),
    every applied feed must be in force, and there must be one. Each is a warning, returned (the
    caller reports them).
    """
    if not applied and not require:
        return roots, []  # nothing to judge: certs.feeds stays unloaded (a check's start-up)
    from pgpsig.certs.feeds import staleness

    if require and roots is not None:
        stale = staleness(applied, set(roots.fingerprints), now)
        roots = roots.requiring_fresh(stale)
        warnings = [
            f"{why}: its certifications do not count (--require-fresh)" for why in stale.values()
        ]
    elif require:
        warnings = list(staleness(applied, {a.root for a in applied}, now).values())
        if not applied:
            warnings.append("no keyring feed has been applied to the store (pgpsig key update)")
    else:
        expired = staleness(applied, {a.root for a in applied if not a.fresh(now)}, now)
        warnings = list(expired.values())
    return roots, warnings


def ring_warnings(ring: Any) -> None:
    """Report a loaded keyring's skipped files and its warnings (pending revocations...)."""
    for p in ring.problems:
        err(f"warning: skipped {p}")
    for w in ring.warnings:
        err(f"warning: {w}")


def key_store(keyring_dir: Path | None) -> Any:
    """The store of a key command: ``--keyring DIR`` as a plain keyring directory, else the user's."""
    from pgpsig.certs.store import Store

    if keyring_dir is not None:
        if keyring_dir.exists() and not keyring_dir.is_dir():
            usage(f"--keyring {keyring_dir}: not a directory")
        return Store.directory(keyring_dir)
    return Store.at(store_home())


def trust_roots(ring: Any, values: list[str], preset: tuple[str, ...] = ()) -> Any:
    """The roots in force (``--trust-root`` values, the preset's, else the store's); warnings said.

    Certificate files among ``values`` join ``ring``.
    """
    from pgpsig.engine.trust import TrustRoots

    store = None
    if not values and not preset:  # named roots: the store's never apply, so it is not opened
        from pgpsig.certs.store import Store

        store = Store.at(store_home())
    roots = TrustRoots.from_values(ring, values, preset=preset, store=store)
    for w in roots.warnings:
        err(f"warning: {w}")
    return roots


def fetcher(timeout: float, *, max_bytes: int | None = None) -> Any:
    """The HTTP(S) client of ``key refresh`` and ``key update``.

    The whole request is bounded by ``timeout`` (0 to 600 s, else a usage error); proxies come
    from the environment; at most ``max_bytes`` are read (default: the client's).
    """
    import time
    import urllib.request

    from pgpsig.keys import HTTPFetcher

    if not 0 < timeout <= 600:
        usage("--timeout must be between 0 and 600 seconds")
    extra = {} if max_bytes is None else {"max_bytes": max_bytes}
    return HTTPFetcher(
        timeout=timeout, clock=time.monotonic, proxies=urllib.request.getproxies(), **extra
    )


def existing(path: Path) -> Path:
    """``path``, which must be a file."""
    if not path.is_file():
        if path.is_dir():
            raise InputError(f"{path} is a directory, not a file")
        raise InputError(f"{path}: no such file")
    return path


def read(path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of ``path``; with ``limit``, more than ``limit`` bytes is a LimitError."""
    try:
        if limit is None:
            return path.read_bytes()
        with path.open("rb") as fp:
            data = fp.read(min(limit, max(path.stat().st_size, 1 << 16)) + 1)
            if len(data) <= limit:
                data += fp.read(limit + 1 - len(data))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    if len(data) > limit:
        from pgpsig.errors import LimitError

        raise LimitError(f"{path}: larger than {limit} bytes")
    return data


def spool(stream: Any) -> Any:
    """Copy a binary stream into an anonymous temporary file, rewound (bounded memory)."""
    import shutil
    import tempfile

    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process; returned open
    shutil.copyfileobj(stream, tmp, 1 << 20)
    tmp.seek(0)
    return tmp


def passphrase(passphrase_file: Path | None, passphrase_env: str) -> bytes | None:
    """The passphrase: from a file (first line), else from the named environment variable."""
    if passphrase_file is not None:
        data = read(passphrase_file)
        return data.split(b"\n", 1)[0].rstrip(b"\r")
    env = os.environ.get(passphrase_env)
    return env.encode() if env is not None else None


_T = TypeVar("_T")


def unlocked(
    use: Callable[[bytes | None], _T], passphrase_file: Path | None, passphrase_env: str
) -> _T:
    """``use(passphrase)`` of a secret key: the passphrase of :func:`passphrase`.

    When none was given and the key turns out to be protected, it is asked for on the terminal
    (not echoed) if stdin is one; else the error says how to give it.

    Raises:
        PassphraseError: the key is protected and no passphrase could be had, or it is wrong.
    """
    from pgpsig.openpgp.secretkey import PassphraseError

    given = passphrase(passphrase_file, passphrase_env)
    try:
        return use(given)
    except PassphraseError as e:
        if given is not None:
            raise
        if sys.stdin.isatty():
            import getpass

            return use(getpass.getpass("pgpsig: passphrase of the secret key: ").encode())
        raise PassphraseError(
            f"{e}: give it with --passphrase-file FILE, or in the environment variable"
            f" {passphrase_env} (not set; --passphrase-env names another), or run on a terminal"
            " to be asked"
        ) from e


def versions() -> dict[str, str]:
    """Versions of pgpsig and of what it runs on, for ``pgpsig --version`` and ``sop version``."""
    import contextlib
    import platform
    from importlib import metadata

    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    from pgpsig import __version__

    found = {"pgpsig": __version__, "Python": platform.python_version()}
    found["cryptography"] = cryptography.__version__
    found["OpenSSL"] = backend.openssl_version_text().removeprefix("OpenSSL ")
    # ``import pgpy`` comes from PGPym (PGPy's maintained continuation), or from PGPy itself.
    for name in ("PGPym", "pgpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            dist = metadata.distribution(name)
            found[dist.metadata["Name"]] = f"{dist.version} (reads v4 secret keys)"
            break
    return found
