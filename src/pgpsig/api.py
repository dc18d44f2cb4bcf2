"""The thin public facade: the use cases with the arguments callers have, re-exported by ``pgpsig``.

This module owns only how a library caller's arguments become the use cases' arguments:

* every path parameter takes ``str`` or ``os.PathLike``; every data parameter takes ``bytes``
  (the data itself), a path, or a binary file object;
* a keyring is a :class:`~pgpsig.certs.keyring.Keyring`, or one or several key files or
  directories, loaded with :func:`~pgpsig.certs.keyring.load_keyring`;
* trust roots are :class:`~pgpsig.engine.trust.TrustRoots`, or one or several fingerprints, key IDs
  or certificate files, as ``--trust-root`` takes them: a certificate file's certificates join
  the keyring, as ``--trust-root FILE`` joins ``--keyring`` (a :class:`Keyring` passed in gains
  them; pass :class:`TrustRoots` made beforehand to leave it as it is);
* ``policy`` is a :class:`~pgpsig.policy.Policy` or its name, ``"default"`` unless given;
* ``now`` is the current time unless given. This is the only place below the CLI that reads the
  clock: the use cases underneath always take an explicit time, as cryptography's ``decrypt``
  wraps ``decrypt_at_time``.

Nothing is decided here: every verdict comes from the same code as the CLI's, and a directory that
is not there raises the same :class:`~pgpsig.errors.InputError` the CLI reports.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import BinaryIO, cast

from pgpsig import verify as _verify
from pgpsig._dataclass import replace
from pgpsig.cachedir import open_cache
from pgpsig.certs.keyfile import MAX_KEYRING_FILE_BYTES
from pgpsig.certs.keyring import Keyring, keyring_from_bytes
from pgpsig.certs.keyring import load_keyring as _load_keyring
from pgpsig.engine.trust import TrustRoots
from pgpsig.errors import InputError
from pgpsig.modules import check as _check
from pgpsig.modules import sign as _sign
from pgpsig.modules.check import CheckOptions
from pgpsig.openpgp.armor import MAX_ARMOR_BYTES
from pgpsig.openpgp.runbudget import run_scope
from pgpsig.openpgp.sha1sig import NAMESPACE
from pgpsig.openpgp.signingkey import SigningKey
from pgpsig.pathargs import one_or_many
from pgpsig.policy import Policy, policy_named
from pgpsig.report import ModuleReport, VerifyReport

__all__ = [
    "Data",
    "KeyringLike",
    "PolicyLike",
    "RootsLike",
    "StrPath",
    "check_module",
    "check_modules",
    "iter_check_modules",
    "load_keyring",
    "load_signing_keys",
    "sign_module",
    "sign_modules",
    "verify_clearsigned",
    "verify_detached",
]

#: A path: ``str`` or ``os.PathLike`` (``pathlib.Path``).
StrPath = str | PathLike[str]
#: Data: the bytes themselves, a path to read them from, or a binary file object.
Data = bytes | StrPath | BinaryIO
#: A keyring; or one or several key files or directories to load it from; or the bytes or binary
#: file object of one key file.
KeyringLike = Keyring | bytes | BinaryIO | StrPath | Iterable[StrPath]
#: Trust roots, or one or several fingerprints, key IDs or certificate files.
RootsLike = TrustRoots | StrPath | Iterable[StrPath]
#: A policy, or its name (``"default"``, ``"freepbx-legacy"``).
PolicyLike = Policy | str


# --------------------------------------------------------------------------------------------------
# Arguments


def _now(now: datetime | None) -> datetime:
    # The facade's one effect (module docstring): the default reference time.
    return datetime.now(timezone.utc) if now is None else now  # noqa: TID251


def _policy(policy: PolicyLike) -> Policy:
    return policy_named(policy) if isinstance(policy, str) else policy


def load_keyring(source: bytes | BinaryIO | StrPath | Iterable[StrPath]) -> Keyring:
    """A keyring from one or several key files or directories, or from a key file's data.

    Files and directories are read as ``--keyring`` reads them
    (:func:`pgpsig.certs.keyring.load_keyring`: a directory's ``*.asc``, ``*.gpg``, ``*.pgp``,
    ``*.key`` and ``*.rev`` files, revocations attached); ``bytes`` or a binary file object are
    one key file's contents.

    Raises:
        InputError: A path does not exist or cannot be read (``KeyringError``).
        FormatError: A named file or the data holds no certificate or revocation, or is
            malformed; ``BudgetError`` past a run's budget (the call is one run, see
            :mod:`pgpsig.openpgp.runbudget`).
        TypeError: A ``str`` holding a key itself (give its bytes), or something else.
    """
    if isinstance(source, (bytes, bytearray, memoryview)) or hasattr(source, "read"):
        data = _read(cast("bytes | BinaryIO", source), "keyring", MAX_KEYRING_FILE_BYTES)
        with run_scope():  # one run (within a caller's, its): a file of 256 MiB is bounded
            return keyring_from_bytes(data)
    paths = one_or_many(source)
    for p in paths:
        if isinstance(p, str) and "-----BEGIN PGP" in p:
            raise TypeError("a str is a path: give a key's armored text as bytes (text.encode())")
    with run_scope():
        return _load_keyring(paths)


def _keyring(keyring: KeyringLike) -> Keyring:
    return keyring if isinstance(keyring, Keyring) else load_keyring(keyring)


def _roots(roots: RootsLike, keyring: Keyring) -> TrustRoots:
    """The roots in force; certificate files among ``roots`` join ``keyring`` (as the CLI's)."""
    return roots if isinstance(roots, TrustRoots) else TrustRoots.resolve(roots, keyring)


def _paths(paths: StrPath | Iterable[StrPath]) -> list[Path]:
    return [Path(p) for p in one_or_many(paths)]


def _patterns(exclude: str | Iterable[str]) -> tuple[str, ...]:
    """Exclude patterns: one glob or several (a lone ``str`` is one pattern, not its letters)."""
    return tuple(one_or_many(exclude))


def _is_path(value: object) -> bool:
    return isinstance(value, (str, PathLike))


def _is_bytes(value: object) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview))


def _binary(value: object, what: str, method: str) -> BinaryIO:
    """``value`` as a binary file object that has ``method`` (read or write), or a TypeError."""
    if not callable(getattr(value, method, None)):
        kind = "bytes, a path" if method == "read" else "a path"
        raise TypeError(f"{what}: give {kind} (str or os.PathLike) or a binary file object")
    mode = getattr(value, "mode", "b")
    if isinstance(value, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise TypeError(f"{what}: a text file object; open the file in binary mode")
    return cast("BinaryIO", value)


def _read(value: Data, what: str, limit: int) -> bytes:
    """All the bytes of ``value`` (bytes, a path or a binary file object), at most ``limit``.

    A file object is read to its end, however little each read returns (a pipe, an unbuffered
    file): a key or signature cut short could lose a revocation or a bad signature.

    Raises:
        InputError: A path or file object cannot be read, a non-blocking one has nothing ready,
            or the data is larger than ``limit``.
    """
    if _is_bytes(value):
        data = bytes(cast("bytes", value))
    else:
        try:
            if _is_path(value):
                with Path(cast("StrPath", value)).open("rb") as fp:
                    data = _read_all(fp, what, limit)
            else:
                data = _read_all(_binary(value, what, "read"), what, limit)
        except OSError as e:
            raise InputError(f"cannot read {what}: {e.strerror or e}") from e
    if len(data) > limit:
        raise InputError(f"{what} is larger than {limit} bytes")
    return data


def _read_all(fp: BinaryIO, what: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = fp.read(limit + 1 - size)
        if chunk is None:
            raise InputError(f"cannot read {what}: a non-blocking file with no data ready")
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _source(value: Data, what: str) -> BinaryIO | bytes | Path:
    """``value`` as the streaming use cases take it (bytes, a Path, or a binary stream)."""
    if _is_bytes(value):
        return bytes(cast("bytes", value))
    if _is_path(value):
        return Path(cast("StrPath", value))
    return _binary(value, what, "read")


def _passphrase(passphrase: bytes | str | None) -> bytes | None:
    return passphrase.encode() if isinstance(passphrase, str) else passphrase


# --------------------------------------------------------------------------------------------------
# Check


def check_modules(
    modules: StrPath | Iterable[StrPath] = (),
    *,
    keyring: KeyringLike,
    roots: RootsLike,
    modules_dir: StrPath | None = None,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    strict: bool = False,
    exclude: str | Iterable[str] = (),
    cache_dir: StrPath | None = None,
) -> list[ModuleReport]:
    """Check module directories, as ``pgpsig check`` does: a report for each, in order.

    ``modules`` (one directory or several) come first, then each module directory under
    ``modules_dir``. A module is named after its directory. ``cache_dir`` keeps the SHA-1
    collision verdicts of the signatures there (as ``pgpsig check --cache-dir``); without it,
    nothing is written and the data of SHA-1 signatures is scanned every time.

    Raises:
        InputError: A module directory or ``modules_dir`` is not a directory (missing, a file, a
            dangling link); a keyring or trust root file cannot be read; ``cache_dir`` cannot be
            used (:class:`~pgpsig.cachedir.CacheError`).
        KeyringError: A trust root names no certificate's primary key in the keyring.
        FormatError: A keyring or trust root file is malformed.
        ValueError: ``now`` is naive, ``policy`` names no policy, or there is no module to
            check (none given, none in ``modules_dir``), as ``pgpsig check`` refuses.
    """
    return list(
        iter_check_modules(
            modules,
            keyring=keyring,
            roots=roots,
            modules_dir=modules_dir,
            policy=policy,
            now=now,
            strict=strict,
            exclude=exclude,
            cache_dir=cache_dir,
        )
    )


def iter_check_modules(
    modules: StrPath | Iterable[StrPath] = (),
    *,
    keyring: KeyringLike,
    roots: RootsLike,
    modules_dir: StrPath | None = None,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    strict: bool = False,
    exclude: str | Iterable[str] = (),
    cache_dir: StrPath | None = None,
) -> Iterator[ModuleReport]:
    """:func:`check_modules`, each report as soon as it is ready (a big install, streamed).

    The arguments are checked, and the keyring and roots loaded, when it is called: the errors
    of :func:`check_modules` are raised here, not at the first report.
    """
    targets = _check.module_targets(
        _paths(modules), Path(modules_dir) if modules_dir is not None else None
    )
    if not targets:  # never an empty list that reads as "every module is good"
        raise ValueError("nothing to check: no module directory given or found in modules_dir")
    opts = _options(
        keyring, roots, policy=policy, now=now, strict=strict, exclude=exclude, cache_dir=cache_dir
    )
    return _check.iter_check_modules(targets, opts)


def _options(
    keyring: KeyringLike,
    roots: RootsLike,
    *,
    policy: PolicyLike,
    now: datetime | None,
    strict: bool,
    exclude: str | Iterable[str],
    cache_dir: StrPath | None,
) -> CheckOptions:
    """The use case's options from the facade's arguments (keyring first: roots may join it)."""
    ring = _keyring(keyring)
    return CheckOptions(
        keyring=ring,
        roots=_roots(roots, ring),
        policy=_policy(policy),
        now=_now(now),
        strict=strict,
        exclude=_patterns(exclude),
        verdicts=open_cache(Path(cache_dir), NAMESPACE) if cache_dir is not None else None,
    )


def check_module(
    module_dir: StrPath,
    *,
    keyring: KeyringLike,
    roots: RootsLike,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    strict: bool = False,
    name: str | None = None,
    exclude: str | Iterable[str] = (),
    cache_dir: StrPath | None = None,
) -> ModuleReport:
    """Check one module directory, as ``pgpsig check MODULE_DIR`` does.

    Status 129 (``report.ok``) is the only good result; ``report.raise_for_status()`` raises
    :class:`~pgpsig.errors.VerificationError` for any other. ``name`` defaults to the directory's.

    Raises:
        InputError, KeyringError, FormatError, ValueError: as :func:`check_modules`.
    """
    ((found, path),) = _check.module_targets([Path(module_dir)], None)
    opts = _options(
        keyring, roots, policy=policy, now=now, strict=strict, exclude=exclude, cache_dir=cache_dir
    )
    return _check.check_modules([(name or found, path)], opts)[0]


# --------------------------------------------------------------------------------------------------
# Sign


def load_signing_keys(key: Data, passphrase: bytes | str | None = None) -> tuple[SigningKey, ...]:
    """The secret keys that can sign, from a secret key file (see :func:`sign_module`).

    The key is unlocked in a forked process of its own, as ``pgpsig sign`` unlocks it
    (:func:`pgpsig.modules.sign.load_signing_keys_apart`): PGPy, which reads v4 secret keys, is
    not imported into the caller's process, nor into the workers that sign (unless no process
    may be forked: another thread running, or no ``fork``; then the key is unlocked here).

    Raises:
        InputError: ``key`` cannot be read, or is not one secret key that can sign.
        PassphraseError: The key is protected and ``passphrase`` is missing or wrong.
        FormatError, UnsupportedError: The key cannot be parsed or is not supported.
        PgpsigError: The process unlocking the key died (killed, out of memory).
    """
    return _sign.load_signing_keys_apart(
        _read(key, "secret key", MAX_ARMOR_BYTES), _passphrase(passphrase)
    )


def sign_modules(
    module_dirs: StrPath | Iterable[StrPath],
    key: Data,
    *,
    modules_dir: StrPath | None = None,
    passphrase: bytes | str | None = None,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    hash_name: str | None = None,
    exclude: str | Iterable[str] = (),
) -> list[_sign.SignResult]:
    """Sign module directories with the secret key ``key``, as ``pgpsig sign`` does.

    ``module_dirs`` (one directory or several; ``()`` for none) come first, then every module
    directory of ``modules_dir`` (its subdirectories but names starting with ``.``). Every module is hashed
    and signed before any ``module.sig`` is written; if one cannot be signed, none is written.
    ``hash_name`` is ``"SHA256"``, ``"SHA384"`` or ``"SHA512"`` (the key's best by default).
    The key is unlocked apart, as :func:`load_signing_keys` unlocks it.

    Raises:
        InputError: A module is not a directory, cannot be read, or holds a link that leaves
            it, a loop, a dangling link or a special file; ``module.sig`` cannot be written;
            ``key`` cannot be read or is not a secret key.
        PassphraseError: The key is protected and ``passphrase`` is missing or wrong.
        CertificateError: No key may sign now. PolicyError: the key is too weak for the policy.
        ValueError: ``now`` is naive, ``hash_name`` is not one of the above, ``policy``
            names no policy, or there is no module to sign.
        PgpsigError: A worker process (unlocking the key, or signing) died; nothing is written.
    """
    dirs = _paths(module_dirs)
    if modules_dir is not None:
        dirs += _sign.modules_to_sign(Path(modules_dir))
    if not dirs:
        raise ValueError("nothing to sign: no module directory given or found in modules_dir")
    _sign.require_directories(dirs)
    data = _read(key, "secret key", MAX_ARMOR_BYTES)
    keys = _sign.load_signing_keys_apart(data, _passphrase(passphrase))
    return _sign.sign_modules(
        dirs,
        keys,
        now=_now(now),
        secret_key_data=data,
        policy=_policy(policy),
        hash_name=hash_name,
        exclude=_patterns(exclude),
    )


def sign_module(
    module_dir: StrPath,
    key: Data,
    *,
    passphrase: bytes | str | None = None,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    hash_name: str | None = None,
    exclude: str | Iterable[str] = (),
) -> _sign.SignResult:
    """Sign one module directory: write its ``module.sig`` (FreePBX's format), atomically.

    Raises:
        As :func:`sign_modules`.
    """
    return sign_modules(
        [module_dir],
        key,
        passphrase=passphrase,
        policy=policy,
        now=now,
        hash_name=hash_name,
        exclude=exclude,
    )[0]


# --------------------------------------------------------------------------------------------------
# Verify


def verify_clearsigned(
    source: Data,
    keyring: KeyringLike,
    *,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    min_signatures: int = 1,
    output: StrPath | BinaryIO | None = None,
) -> VerifyReport:
    """Verify a clear-signed input, as ``pgpsig verify FILE`` does.

    The verified text (LF line ends, as gpgv writes it) is released only if the report is
    ``ok``: without ``output`` it is the report's ``text``; with a path, that file is written
    atomically; with a binary file object, the text is written to it. Otherwise nothing is
    written and ``text`` is None. Memory stays bounded with ``output``; without it the text is
    held in memory.

    Raises:
        ClearsignFormatError, FormatError: The input is malformed.
        InputError: The input cannot be read, or ``output`` cannot be written.
        ValueError: ``now`` is naive, or ``policy`` names no policy.
    """
    pol, at = _policy(policy), _now(now)
    src = _source(source, "clear-signed input")
    to = (
        None
        if output is None
        else Path(cast("StrPath", output))
        if _is_path(output)
        else _binary(output, "output", "write")
    )
    out = _verify.TextOutput(to)
    try:
        with run_scope():  # reading the keyring and judging: one run
            report = _verify.verify_clearsigned(
                src,
                _keyring(keyring),
                policy=pol,
                now=at,
                min_signatures=min_signatures,
                output=out.write_canonical,
            )
    except BaseException:
        out.discard()
        raise
    if not report.ok:
        out.discard()
        return report
    text = out.release(report.blocks)
    return report if text is None else replace(report, text=text)


def verify_detached(
    data: Data,
    signature: Data,
    keyring: KeyringLike,
    *,
    policy: PolicyLike = "default",
    now: datetime | None = None,
    min_signatures: int = 1,
) -> VerifyReport:
    """Verify a detached signature (armored or binary) over ``data``, as ``pgpsig verify -s``.

    Raises:
        FormatError: The signature is malformed.
        InputError: The data or the signature cannot be read.
        ValueError: ``now`` is naive, or ``policy`` names no policy.
    """
    with run_scope():  # reading the keyring and judging: one run
        return _verify.verify_detached(
            _source(data, "signed data"),
            _read(signature, "signature", MAX_ARMOR_BYTES),
            _keyring(keyring),
            policy=_policy(policy),
            now=_now(now),
            min_signatures=min_signatures,
        )
