"""The ``pgpsig`` command line: options in, exit codes and output out.

This is the only module that imports typer, reads the clock or the environment, or prints. Every
command parses its options, takes ``now`` once, calls one use case, prints the result (JSON with
``--json``, a short human report otherwise; diagnostics on stderr) and picks the exit code:
0 success, 1 verification failed, 2 usage error or unreadable/malformed input. A
:class:`~pgpsig.errors.PgpsigError` becomes one line on stderr, never a traceback; so does any
unexpected exception (fail closed: exit 2, never a "good").
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

from pgpsig.errors import FormatError, InputError, PgpsigError, VerificationError

if TYPE_CHECKING:
    from collections.abc import Callable

    import typer

    # What the option aliases declare for the type checker; at run time they are Annotated types
    # carrying typer's metadata, made by _declare_option_aliases when typer is first needed.
    _PassphraseFileOpt = Path | None
    _PassphraseEnvOpt = str
    _JsonOpt = bool
    _SopArmorOpt = bool
    _SopPasswordOpt = list[str] | None
    _SopNotBeforeOpt = str
    _SopNotAfterOpt = str
    _VersionOpt = bool

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


class _Exit(Exception):  # noqa: N818 (an exit, not an error)
    """Leave a command with this exit code (what typer.Exit is, without importing typer)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# --------------------------------------------------------------------------------------------------
# Commands are plain functions registered here; the typer application is built from them only when
# it is needed (help, completion, every command but the fast paths of check and verify): importing
# typer 0.29 (which imports pydantic) and running its option adapters costs about 0.1 s of CPU, half
# of a small check.

_F = TypeVar("_F", bound="Callable[..., Any]")
#: (group, name or None for the function's name, typer settings, function), in definition order.
_COMMANDS: list[tuple[str, str | None, dict[str, Any], Callable[..., Any]]] = []


def _command(group: str, name: str | None = None, **settings: Any) -> Callable[[_F], _F]:
    """Register a command of ``group`` ("" top level, "key", "trust-root", "sop")."""

    def register(func: _F) -> _F:
        _COMMANDS.append((group, name, settings, func))
        return func

    return register


def _root(version: _VersionOpt = False) -> None:
    """Sign and check software modules with OpenPGP, with no gpg binary."""


# --------------------------------------------------------------------------------------------------
# Helpers: clock, environment, printing


#: Reference times ``--at`` accepts: OpenPGP's v4 times run from 1970 to 2106; judging needs some
#: room after the time (clock skew), so the year 9999 would overflow.
_AT_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))


def _now(at: str | None) -> datetime:
    """The reference time: ``--at`` if given (ISO 8601, naive means UTC), else the clock."""
    if at is None:
        return datetime.now(timezone.utc)
    try:
        t = datetime.fromisoformat(at.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        _usage(f"--at: not an ISO 8601 time: {at!r}")
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    try:
        t = t.astimezone(timezone.utc)
    except OverflowError:
        _usage(f"--at: out of range: {at!r}")
    if not _AT_RANGE[0] <= t <= _AT_RANGE[1]:
        _usage(f"--at: {at!r} is outside {_AT_RANGE[0].year}-{_AT_RANGE[1].year}")
    return t


def _store_dir() -> Path:
    """The user's store: $PGPSIG_HOME, else $XDG_DATA_HOME/pgpsig, else ~/.local/share/pgpsig."""
    env = os.environ.get("PGPSIG_HOME")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "pgpsig"
    return Path.home() / ".local" / "share" / "pgpsig"


def _safe(text: str) -> str:
    """Escape control characters in untrusted text before printing (no terminal or status injection)."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _err(msg: str) -> None:
    print(f"pgpsig: {_safe(msg)}", file=sys.stderr)


def _usage(msg: str) -> NoReturn:
    _err(msg)
    raise _Exit(EXIT_ERROR)


def _policy(name: str) -> Any:
    from pgpsig.policy import policy_named

    try:
        return policy_named(name)
    except ValueError as e:
        _usage(str(e))


def _keyring(paths: list[Path] | None, *, warn: bool = True) -> Any:
    """The keyring of ``--keyring`` paths, else the store's, its warnings printed.

    ``warn=False`` when the caller adds more certificates first (they may resolve pending
    revocations) and prints the warnings itself.
    """
    from pgpsig.certs.keyring import Keyring, load_keyring

    if paths:
        ring = load_keyring(paths)
    else:
        store = _store_dir() / "certs"
        ring = load_keyring([store]) if store.is_dir() else Keyring()
    if warn:
        _ring_warnings(ring)
    return ring


def _ring_warnings(ring: Any) -> None:
    """Report a loaded keyring's skipped files and its warnings (pending revocations...)."""
    for p in ring.problems:
        _err(f"warning: skipped {p}")
    for w in ring.warnings:
        _err(f"warning: {w}")


class _AtomicOutput:
    """``verify --output``: LF text staged beside ``path``, which only :meth:`commit` replaces.

    The staging is :class:`pgpsig.fsutil.Staged` (the one atomic-write rule).
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
        self._staged.discard()


# --------------------------------------------------------------------------------------------------
# verify


@_command("")
def verify(
    file: Annotated[
        Path,
        typer.Argument(
            help="Clear-signed file, or the signed data with --signature. '-' reads stdin."
        ),
    ],
    signature: Annotated[
        Path | None,
        typer.Option("--signature", "-s", help="Detached signature file (armored or binary)."),
    ] = None,
    keyring: Annotated[
        list[Path] | None,
        typer.Option(
            "--keyring",
            "-k",
            help="Certificate file or directory (repeatable). Default: the user's store.",
        ),
    ] = None,
    min_signatures: Annotated[
        int,
        typer.Option(
            "--min-signatures", "-n", help="Good signatures by distinct certificates needed."
        ),
    ] = 1,
    policy: Annotated[
        str, typer.Option("--policy", help="Policy profile: default or freepbx-legacy.")
    ] = "default",
    at: Annotated[
        str | None, typer.Option("--at", help="Judge as of this ISO 8601 time instead of now.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the verified text here (clear-signed input only), only if it verifies.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Verify a clear-signed file, or data against a detached signature."""
    from pgpsig.verify import verify_clearsigned, verify_detached

    if min_signatures < 1:
        _usage("--min-signatures must be at least 1")
    now = _now(at)
    pol = _policy(policy)
    ring = _keyring(keyring)
    if output is not None and signature is not None:
        _usage(
            "--output is for clear-signed input; the signed data of a detached signature is FILE itself"
        )
    stdin = str(file) == "-"
    try:
        if signature is not None:
            from pgpsig.openpgp.armor import MAX_ARMOR_BYTES

            sig_bytes = _read(signature, limit=MAX_ARMOR_BYTES)
            data_src: Any = sys.stdin.buffer if stdin else _existing(file)
            report = verify_detached(
                data_src, sig_bytes, ring, policy=pol, now=now, min_signatures=min_signatures
            )
            out = None
        else:
            # stdin is spooled to a temporary file, not memory: it may be re-read (a second pass
            # for digests the Hash: header did not announce) and may be of any size.
            src: Any = _spool(sys.stdin.buffer) if stdin else _existing(file)
            out = _AtomicOutput(output) if output is not None else None
            try:
                report = verify_clearsigned(
                    src,
                    ring,
                    policy=pol,
                    now=now,
                    min_signatures=min_signatures,
                    output=out.write_canonical if out is not None else None,
                )
            except BaseException:
                if out is not None:
                    out.discard()
                raise
    except OSError as e:
        raise InputError(str(e)) from e
    if out is not None:
        if report.ok:
            out.commit(report.blocks)
        else:
            out.discard()
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for w in report.warnings:
            _err(f"warning: {w}")
        for s in report.signatures:
            line = f"{s.status.value}: signature by {s.signer or '?'}"
            if s.primary and s.primary != s.signer:
                line += f" (primary {s.primary})"
            if s.created:
                line += f", made {s.created.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            line += f", {s.hash_algorithm}"
            if s.reason:
                line += f": {s.reason}"
            for w in s.warnings:
                line += f" [warning: {w}]"
            print(_safe(line))
        print("OK" if report.ok else f"FAILED: {_safe(report.summary())}")
    raise _Exit(EXIT_OK if report.ok else EXIT_FAILED)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return path


def _read(path: Path, *, limit: int | None = None) -> bytes:
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


def _spool(stream: Any) -> Any:
    """Copy a binary stream into an anonymous temporary file, rewound (bounded memory)."""
    import shutil

    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process; returned open
    shutil.copyfileobj(stream, tmp, 1 << 20)
    tmp.seek(0)
    return tmp


# --------------------------------------------------------------------------------------------------
# sign


def _passphrase(passphrase_file: Path | None, passphrase_env: str) -> bytes | None:
    """The passphrase: from a file (first line), else from the named environment variable."""
    if passphrase_file is not None:
        data = _read(passphrase_file)
        return data.split(b"\n", 1)[0].rstrip(b"\r")
    env = os.environ.get(passphrase_env)
    return env.encode() if env is not None else None


@_command("")
def sign(
    key: Annotated[Path, typer.Option("--key", help="Secret key file (armored or binary).")],
    module_dirs: Annotated[
        list[Path] | None, typer.Argument(help="The module directories to sign.")
    ] = None,
    modules_dir: Annotated[
        Path | None,
        typer.Option("--modules-dir", help="Sign every module directory in DIR."),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option("--passphrase-file", help="File whose first line is the key's passphrase."),
    ] = None,
    passphrase_env: Annotated[
        str,
        typer.Option(
            "--passphrase-env",
            help="Environment variable holding the passphrase (used when no --passphrase-file).",
        ),
    ] = "PGPSIG_PASSPHRASE",  # noqa: S107 (the name of a variable, not a passphrase)
    hash_name: Annotated[
        str | None,
        typer.Option("--hash", help="sha256, sha384 or sha512 (default: the key's best)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude", help="Glob of files not to sign (repeatable), e.g. 'assets/less/cache/*'."
        ),
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help="Policy the signing key must satisfy.")
    ] = "default",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Hash every file of each module into its module.sig and clear-sign it (sign.php format).

    Several modules are signed in one pass; if one cannot be signed, none is written.
    """
    from pgpsig.modules.sign import sign_modules
    from pgpsig.openpgp.signing import load_signing_keys
    from pgpsig.report import iso

    now = _now(None)
    pol = _policy(policy)
    targets = list(module_dirs or [])
    if modules_dir is not None:
        targets += _modules_to_sign(modules_dir)
    if not targets:
        _usage("nothing to sign: give MODULE_DIR... or --modules-dir")
    for target in targets:
        if not target.is_dir():
            raise InputError(f"{target} is not a directory")
    data = _read(key)
    keys = load_signing_keys(data, _passphrase(passphrase_file, passphrase_env))
    results = sign_modules(
        targets,
        keys,
        now=now,
        secret_key_data=data,
        policy=pol,
        hash_name=hash_name,
        exclude=exclude or (),
    )
    if as_json:
        docs = [
            {
                "path": str(r.path),
                "signer": r.signer,
                "primary": r.primary,
                "files": r.files,
                "hash_algorithm": r.hash_algorithm,
                "created": iso(r.created),
            }
            for r in results
        ]
        single = modules_dir is None and len(docs) == 1
        print(json.dumps(docs[0] if single else {"modules": docs}, indent=2))
    else:
        for target, r in zip(targets, results, strict=True):
            print(
                f"signed {r.files} files of {_safe(str(target))} with {r.signer} "
                f"({r.hash_algorithm}) -> {_safe(str(r.path))}"
            )
    raise _Exit(EXIT_OK)


def _modules_to_sign(modules_dir: Path) -> list[Path]:
    """The module directories of ``--modules-dir DIR``: its subdirectories, in bytewise order.

    Names starting with ``.`` (``.git``) are not modules. A symbolic link is refused: signing
    through it would write a ``module.sig`` outside DIR; name its target to sign it.
    """
    if not modules_dir.is_dir():
        raise InputError(f"{modules_dir} is not a directory")
    out = []
    for p in sorted(modules_dir.iterdir()):
        if p.name.startswith(".") or not p.is_dir():
            continue
        if p.is_symlink():
            raise InputError(
                f"{p} is a symbolic link: signing it would write outside {modules_dir}; "
                "name its target as a MODULE_DIR to sign it"
            )
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------------
# check


@contextlib.contextmanager
def _progress(n_modules: int) -> Iterator[Any]:
    """A progress bar on stderr for long runs, only on a terminal (rich, if installed)."""
    if n_modules < 2 or not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        yield None
        return
    # No refresh thread (auto_refresh=False): check forks worker processes only while this
    # process runs no other thread, so the bar is redrawn by each update instead.
    with Progress(
        transient=True, console=Console(stderr=True), redirect_stdout=False, auto_refresh=False
    ) as bar:
        task = bar.add_task("checking modules", total=n_modules)

        def update(stage: str, done: int, total: int) -> None:
            if stage == "signatures":
                bar.update(task, description="checking modules", completed=done, total=total)
            elif done == 0:
                bar.update(task, description=f"hashing {total} files", completed=0, total=None)
            else:
                bar.update(task, completed=total, total=total)
            bar.refresh()

        yield update


def _root_refs(refs: list[str], ring: Any) -> list[str]:
    """``--trust-root`` values as references: fingerprints and key IDs stay as they are.

    A certificate file joins the keyring, and its certificates' primary fingerprints are roots.
    """
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.certs.store import normalize_fingerprint

    out: list[str] = []
    for ref in refs:
        p = Path(ref)
        if p.is_file():
            extra = load_keyring([p])
            if not extra.certs:  # e.g. a revocation file: it names no root (never "no root given")
                raise InputError(f"--trust-root {ref}: the file holds no certificate")
            ring.add_keyring(extra)
            out.extend(extra.certs)
            continue
        kid = ref.strip().replace(" ", "").upper().removeprefix("0X")
        is_kid = len(kid) == 16 and all(c in "0123456789ABCDEF" for c in kid)
        if normalize_fingerprint(ref) is None and not is_kid:
            raise InputError(
                f"--trust-root {ref}: not a certificate file, a fingerprint or a key ID"
            )
        out.append(ref)
    return out


def _trust_roots(
    ring: Any, given: list[str], preset: tuple[str, ...], *, explicit: bool = False
) -> Any:
    """The roots in force (TrustRoots.select: explicit ones, else the store's); warnings said.

    ``explicit``: the user named roots (``--trust-root`` or the FreePBX preset), so the store's
    never apply, even if the named ones resolve to nothing.
    """
    from pgpsig.certs.store import Store
    from pgpsig.engine.trust import TrustRoots

    store = Store.at(_store_dir())
    roots = TrustRoots.select(
        ring,
        given=given,
        preset=preset,
        stored=None if explicit else store.roots,
        stored_from=str(store.roots_file),
    )
    for w in roots.warnings:
        _err(f"warning: {w}")
    return roots


def _roots_line(roots: Any) -> str:
    """The human line naming the roots in force and where each came from."""
    named = ", ".join(f"{o.fingerprint} ({o.source})" for o in roots.origins)
    return f"trust roots: {named or 'none'}"


def _human_check(reports: list[Any], roots: Any, color: bool) -> None:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    print(_roots_line(roots))
    for r in reports:
        ok = r.ok
        head = paint("OK  " if ok else "FAIL", "32" if ok else "31;1")
        flags = "|".join(r.status.names) or "-"
        print(f"{head} {_safe(r.module)}  status {int(r.status)} ({flags})")
        sig = r.signature
        if sig is not None and sig.result.signer:
            trust = "trusted via " + " -> ".join(sig.trust_path) if sig.trusted else "not trusted"
            made = sig.result.created.strftime("%Y-%m-%d") if sig.result.created else "?"
            print(f"     signer {sig.result.signer} ({sig.result.hash_algorithm}, {made}), {trust}")
        f = r.files
        if r.signature is not None and (f.checked or f.missing or f.altered):
            print(
                f"     files: {f.checked} checked, {len(f.altered)} altered, "
                f"{len(f.missing)} missing, {len(f.unlisted)} unlisted"
            )
        for w in sig.warnings if sig else ():
            print(f"     warning: {_safe(w)}")
        for d in r.details[:20]:
            print(f"     {_safe(d)}")
        if len(r.details) > 20:
            print(f"     ... and {len(r.details) - 20} more")
    good = sum(1 for r in reports if r.ok)
    print(f"{good} of {len(reports)} module(s) good")


@_command("")
def check(
    modules: Annotated[
        list[Path] | None, typer.Argument(help="Module directories to check.")
    ] = None,
    modules_dir: Annotated[
        Path | None, typer.Option("--modules-dir", help="Check every module directory in DIR.")
    ] = None,
    keyring: Annotated[
        list[Path] | None,
        typer.Option("--keyring", "-k", help="Certificate file or directory (repeatable)."),
    ] = None,
    trust_root: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-root", help="Fingerprint in the keyring, or a certificate file (repeatable)."
        ),
    ] = None,
    freepbx_webroot: Annotated[
        Path | None,
        typer.Option(
            "--freepbx-webroot",
            help="FreePBX preset: keys, roots, modules and mappings of this webroot.",
        ),
    ] = None,
    freepbx_secure_dir: Annotated[
        Path, typer.Option("--freepbx-secure-dir", help="Secure directory of local signatures.")
    ] = Path("/etc/freepbx.secure"),
    freepbx_path: Annotated[
        list[str] | None,
        typer.Option(
            "--freepbx-path",
            help="NAME=DIR for the framework mapping: AMPBIN, AMPSBIN, ASTAGIDIR, ASTVARLIBDIR.",
        ),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="default or freepbx-legacy (the FreePBX preset's default)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Judge as of this ISO 8601 time instead of now.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Files present but not listed fail the check.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Check modules: signature, signer trust, and every listed file."""
    from pgpsig.modules.check import (
        FREEPBX_DEFAULT_PATHS,
        FREEPBX_ROOTS,
        CheckOptions,
        FreePBXLayout,
        check_modules,
    )

    now = _now(at)
    targets: list[tuple[str, Path]] = [(p.resolve().name, p) for p in modules or []]
    key_paths = list(keyring or [])
    layout = None
    if freepbx_webroot is not None:
        bmo = freepbx_webroot / "admin" / "libraries" / "BMO"
        key_paths += [p for p in (bmo, bmo / "signatures") if p.is_dir()]
        paths = dict(FREEPBX_DEFAULT_PATHS)
        for item in freepbx_path or []:
            name, sep, value = item.partition("=")
            if not sep or name not in paths:
                _usage(f"--freepbx-path: expected NAME=DIR with NAME in {', '.join(paths)}")
            paths[name] = value
        layout = FreePBXLayout(webroot=freepbx_webroot, paths=paths, secure_dir=freepbx_secure_dir)
        if modules_dir is None and not targets:
            modules_dir = freepbx_webroot / "admin" / "modules"
    if modules_dir is not None:
        if not modules_dir.is_dir():
            raise InputError(f"{modules_dir} is not a directory")
        targets += [(p.name, p) for p in sorted(modules_dir.iterdir()) if p.is_dir()]
    if not targets:
        _usage("nothing to check: give MODULE_DIR..., --modules-dir or --freepbx-webroot")
    for _name, p in targets:
        if not p.is_dir():
            raise InputError(f"{p} is not a directory")
    pol = _policy(policy or ("freepbx-legacy" if freepbx_webroot is not None else "default"))
    ring = _keyring(key_paths or None, warn=False)
    roots = _trust_roots(
        ring,
        _root_refs(list(trust_root or []), ring),
        FREEPBX_ROOTS if freepbx_webroot is not None else (),
        explicit=bool(trust_root) or freepbx_webroot is not None,
    )
    _ring_warnings(ring)  # after the roots' certificate files joined: they may resolve some
    if not roots.fingerprints:
        _err(
            "warning: no trust root in force (give --trust-root, or add one to the store with"
            " pgpsig key trust-root add): no signer can be trusted"
        )
    opts = CheckOptions(
        keyring=ring,
        roots=roots,
        policy=pol,
        now=now,
        strict=strict,
        freepbx=layout,
    )
    with _progress(len(targets)) as progress:
        reports = check_modules(targets, opts, progress)
    good = sum(1 for r in reports if r.ok)
    if as_json:
        print(
            json.dumps(
                {
                    "modules": [r.to_dict() for r in reports],
                    "summary": {
                        "modules": len(reports),
                        "good": good,
                        "failed": len(reports) - good,
                    },
                    "trust_roots": [o.to_dict() for o in roots.origins],
                },
                indent=2,
            )
        )
    else:
        _human_check(reports, roots, sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    raise _Exit(EXIT_OK if good == len(reports) else EXIT_FAILED)


# --------------------------------------------------------------------------------------------------
# key: generate, export, list, import, certify, revoke, revoke-certification, refresh, trust-root

_KEY_FILE_SUFFIXES = (".asc", ".gpg", ".pgp", ".key", ".rev")


def _key_store(keyring_dir: Path | None) -> Any:
    """The store of a key command: ``--keyring DIR`` as a plain keyring directory, else the user's."""
    from pgpsig.certs.store import Store

    if keyring_dir is not None:
        if keyring_dir.exists() and not keyring_dir.is_dir():
            _usage(f"--keyring {keyring_dir}: not a directory")
        return Store.directory(keyring_dir)
    return Store.at(_store_dir())


def _emit(out: Path | None, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` atomically to ``out``, or to stdout when ``out`` is None."""
    from pgpsig.fsutil import atomic_write

    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write(out, data, mode=mode)


def _key_value_error(e: ValueError) -> NoReturn:
    """A ValueError from the key use cases is a usage error (bad reason, expiry, user ID...)."""
    _usage(str(e))


def _key_files(paths: list[Path]) -> list[tuple[str, bytes]]:
    """The content of each named file, and of every key file in each named directory."""
    out: list[tuple[str, bytes]] = []
    for p in paths:
        if p.is_dir():
            try:
                names = sorted(p.iterdir())
            except OSError as e:
                raise InputError(f"cannot list {p}: {e.strerror or e}") from e
            out.extend(
                (str(f), _read(f))
                for f in names
                if f.is_file() and f.suffix.lower() in _KEY_FILE_SUFFIXES
            )
        else:
            out.append((str(p), _read(p)))
    return out


def _cert_input(ref: str) -> bytes:
    """CERT of certify/revoke-certification: a certificate file, or a key of the store."""
    from pgpsig.certs.keyring import cert_to_bytes
    from pgpsig.certs.store import Store

    p = Path(ref)
    if p.is_file():
        return _read(p)
    ring = Store.at(_store_dir()).load()
    cert = ring.find_primary(ref)  # a subkey's copy in another certificate is not this key
    if cert is None:
        raise InputError(
            f"{ref}: neither a certificate file nor the primary fingerprint or key ID of a key"
            " of the store"
        )
    data: bytes = cert_to_bytes(cert)
    return data


@_command("key", "generate")
def key_generate(
    uid: Annotated[
        str, typer.Option("--uid", help="The user ID, e.g. 'Jane Developer <jane@example.org>'.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the secret key (created with mode 0600).")
    ],
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="ed25519 (default), rsa3072 or rsa4096.")
    ] = "ed25519",
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires", help="Lifetime: 2y, 6m, 3w, 90d, a date (2027-01-31), or never (default)."
        ),
    ] = None,
    signing_subkey: Annotated[
        bool,
        typer.Option(
            "--signing-subkey",
            help="Make a certify-only primary key and a separate signing subkey.",
        ),
    ] = False,
    cert_out: Annotated[
        Path | None,
        typer.Option("--cert-out", help="Also write the public certificate to this file."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    passphrase_file: _PassphraseFileOpt = None,
    passphrase_env: _PassphraseEnvOpt = "PGPSIG_PASSPHRASE",  # noqa: S107 (a variable's name)
    as_json: _JsonOpt = False,
) -> None:
    """Generate a key: Ed25519 (or RSA), self-signed, passphrase-protected when one is given."""
    from pgpsig.keys import generate_key, parse_expiry

    now = _now(None)
    if out.exists() and not force:
        _usage(f"{out} exists; give --force to overwrite it")
    passphrase = _passphrase(passphrase_file, passphrase_env) or None  # empty: unprotected
    try:
        seconds = parse_expiry(expires, now=now) if expires is not None else None
        key = generate_key(
            uid,
            now=now,
            algorithm=algorithm,
            expires_after=seconds,
            passphrase=passphrase,
            signing_subkey=signing_subkey,
        )
    except ValueError as e:
        _key_value_error(e)
    _emit(out, key.secret_key, mode=0o600)
    if cert_out is not None:
        _emit(cert_out, key.certificate)
    if passphrase is None:
        _err(f"warning: the secret key in {out} is not protected by a passphrase")
    if as_json:
        print(json.dumps({**key.to_dict(), "out": str(out)}, indent=2))
    else:
        print(f"generated {key.algorithm} key {key.fingerprint}")
        print(f"  user ID  {_safe(key.user_id)}")
        if key.signing_fingerprint != key.fingerprint:
            print(f"  signing subkey {key.signing_fingerprint}")
        if key.expires is not None:
            print(f"  expires  {key.expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        print(f"  secret key written to {_safe(str(out))}")
    raise _Exit(EXIT_OK)


@_command("key", "export")
def key_export(
    secret_key: Annotated[Path, typer.Argument(help="The secret key file.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the certificate here (default: stdout).")
    ] = None,
) -> None:
    """Write the public certificate of a secret key (no passphrase needed)."""
    from pgpsig.keys import export_certificate

    result = export_certificate(_read(secret_key))
    for note in result.notes:
        _err(f"warning: {note}")
    _emit(out, result.certificate)
    if out is not None:
        print(f"certificate of {result.fingerprint} written to {_safe(str(out))}")
    raise _Exit(EXIT_OK)


def _print_key(info: dict[str, Any]) -> None:
    """One certificate of ``key list``, for people."""

    def day(t: str | None) -> str:
        return t[:10] if t else "-"

    marks = f"[{info['validity']}]"
    if info.get("trust_root"):
        marks += " [trust root]"
    if info["expires"]:
        marks += f" expires {day(info['expires'])}"
    print(f"pub   {info['algorithm']} {info['bits']}  {day(info['created'])}  {marks}")
    print(f"      {info['fingerprint']}")
    rev = info.get("revocation")
    if rev is not None:
        msg = f": {rev['message']}" if rev["message"] else ""
        print(f"      revoked {day(rev['created'])} ({rev['reason']}){_safe(msg)}")
    elif info["validity"] != "valid" and info.get("reason"):
        print(f"      {_safe(info['reason'])}")
    for u in info["user_ids"]:
        state = " [revoked]" if u in info["revoked_user_ids"] else ""
        print(f"uid   {_safe(u)}{state}")
    for s in info["subkeys"]:
        flags = ",".join(s["flags"]) or "-"
        print(
            f"sub   {s['algorithm']} {s['bits']}  {day(s['created'])}  [{s['validity']}]  {flags}"
            + (f"  expires {day(s['expires'])}" if s["expires"] else "")
        )
        print(f"      {s['fingerprint']}")
    for c in info["certifications"]:
        print(f"cert  by {c['issuer']} ({c['status']}, {day(c['created'])})")
    print()


@_command("key", "list")
def key_list(
    keyring: Annotated[
        list[Path] | None,
        typer.Option(
            "--keyring",
            "-k",
            help="Certificate file or directory (repeatable). Default: the user's store.",
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Judge as of this ISO 8601 time instead of now.")
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help="Policy profile: default or freepbx-legacy.")
    ] = "default",
    as_json: _JsonOpt = False,
) -> None:
    """List certificates: validity, expiry, revocation, subkeys, certifications."""
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.keys import list_keys

    now = _now(at)
    pol = _policy(policy)
    roots = None  # unknown for a --keyring: check may be given other roots
    if keyring:
        ring = load_keyring(keyring)
    else:
        ring = _key_store(None).load(strict_revocations=True)  # a judgement: fail closed
    _ring_warnings(ring)
    if not keyring:
        roots = _trust_roots(ring, [], ())
    fprs = None if roots is None else roots.fingerprints
    infos = [k.to_dict() for k in list_keys(ring, now=now, policy=pol, roots=fprs)]
    if as_json:
        doc = {
            "keys": infos,
            "problems": list(ring.problems),
            "trust_roots": None if roots is None else [o.to_dict() for o in roots.origins],
        }
        print(json.dumps(doc, indent=2))
    else:
        for info in infos:
            _print_key(info)
        print(f"{len(infos)} certificate(s)")
    raise _Exit(EXIT_OK)


@_command("key", "import")
def key_import(
    files: Annotated[
        list[Path],
        typer.Argument(help="Certificates, revocation certificates, or directories of them."),
    ],
    keyring: Annotated[
        Path | None,
        typer.Option("--keyring", help="Import into this keyring directory instead of the store."),
    ] = None,
    as_json: _JsonOpt = False,
) -> None:
    """Import certificates and revocations into the store (merged, verified, atomic)."""
    from pgpsig.keys import import_keys

    sources = _key_files(files)
    if not sources:
        _usage("no key file found in the given directories")
    report = import_keys(_key_store(keyring), sources)
    for prob in report.problems:
        _err(f"warning: skipped {prob}")
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for item in report.items:
            who = item.fingerprint or _safe(item.source)
            uid = f"  {_safe(item.user_id)}" if item.user_id else ""
            print(f"{item.status:<10} {who}{uid}")
            for d in item.details:
                print(f"           {_safe(d)}")
    raise _Exit(EXIT_OK if report.ok else EXIT_FAILED)


@_command("key", "certify")
def key_certify(
    cert: Annotated[str, typer.Argument(help="Certificate file, or a key of the store.")],
    with_key: Annotated[
        Path, typer.Option("--with", help="The master's secret key that certifies.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the certified certificate here (default: stdout)."),
    ] = None,
    trust_signature: Annotated[
        str | None,
        typer.Option(
            "--trust-signature",
            help="DEPTH:AMOUNT of a trust signature (FreePBX's masters write 1:60).",
        ),
    ] = None,
    policy: Annotated[str, typer.Option("--policy", help="Policy profile.")] = "default",
    passphrase_file: _PassphraseFileOpt = None,
    passphrase_env: _PassphraseEnvOpt = "PGPSIG_PASSPHRASE",  # noqa: S107 (a variable's name)
) -> None:
    """Certify every valid user ID of CERT with a master key (0x10 certifications)."""
    from pgpsig.keys import certify

    now = _now(None)
    trust = None
    if trust_signature is not None:
        depth, sep, amount = trust_signature.partition(":")
        if not sep or not depth.isdigit() or not amount.isdigit():
            _usage("--trust-signature: expected DEPTH:AMOUNT, e.g. 1:60")
        trust = (int(depth), int(amount))
    data = _cert_input(cert)
    master = _read(with_key)
    try:
        result = certify(
            data,
            master,
            passphrase=_passphrase(passphrase_file, passphrase_env),
            now=now,
            policy=_policy(policy),
            trust=trust,
        )
    except ValueError as e:
        _key_value_error(e)
    _emit(out, result.certificate)
    for uid in result.skipped:
        _err(f"note: {_safe(uid)} is already certified by {result.by}")
    for uid in result.user_ids:
        _err(f"certified {_safe(uid)} of {result.fingerprint} with {result.by}")
    raise _Exit(EXIT_OK)


_REASON_HELP = "compromised, superseded, retired or unspecified (also uid-invalid)."


@_command("key", "revoke")
def key_revoke(
    key: Annotated[Path, typer.Argument(help="The secret key to revoke.")],
    reason: Annotated[str, typer.Option("--reason", help=_REASON_HELP)],
    out: Annotated[Path, typer.Option("--out", help="Where to write the revocation certificate.")],
    message: Annotated[
        str, typer.Option("--message", help="One line saying why (part of the revocation).")
    ] = "",
    passphrase_file: _PassphraseFileOpt = None,
    passphrase_env: _PassphraseEnvOpt = "PGPSIG_PASSPHRASE",  # noqa: S107 (a variable's name)
) -> None:
    """Write a revocation certificate (0x20) for KEY; import it anywhere to revoke the key."""
    from pgpsig.keys import revoke_key

    now = _now(None)
    try:
        result = revoke_key(
            _read(key),
            passphrase=_passphrase(passphrase_file, passphrase_env),
            reason=reason,
            message=message,
            now=now,
        )
    except ValueError as e:
        _key_value_error(e)
    _emit(out, result.revocation)
    print(
        f"revocation certificate ({result.reason}) for {result.fingerprint} written to "
        f"{_safe(str(out))}; import it to revoke the key"
    )
    raise _Exit(EXIT_OK)


@_command("key", "revoke-certification")
def key_revoke_certification(
    cert: Annotated[str, typer.Argument(help="Certificate file, or a key of the store.")],
    with_key: Annotated[
        Path, typer.Option("--with", help="The master's secret key that certified CERT.")
    ],
    reason: Annotated[str, typer.Option("--reason", help=_REASON_HELP)] = "unspecified",
    message: Annotated[str, typer.Option("--message", help="One line saying why.")] = "",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the certificate with the revocation (default: stdout)."),
    ] = None,
    passphrase_file: _PassphraseFileOpt = None,
    passphrase_env: _PassphraseEnvOpt = "PGPSIG_PASSPHRASE",  # noqa: S107 (a variable's name)
) -> None:
    """Revoke the master's certifications of CERT (0x30); import the result to apply it."""
    from pgpsig.keys import revoke_certification

    now = _now(None)
    data = _cert_input(cert)
    try:
        result = revoke_certification(
            data,
            _read(with_key),
            passphrase=_passphrase(passphrase_file, passphrase_env),
            reason=reason,
            message=message,
            now=now,
        )
    except ValueError as e:
        _key_value_error(e)
    _emit(out, result.certificate)
    for uid in result.user_ids:
        _err(f"revoked the certification of {_safe(uid)} ({result.fingerprint}) by {result.by}")
    raise _Exit(EXIT_OK)


@_command("key", "refresh")
def key_refresh(
    keyserver: Annotated[
        str | None,
        typer.Option(
            "--keyserver", help="HKP keyserver: hkps://host, hkp://host, https://host or a host."
        ),
    ] = None,
    wkd: Annotated[
        str | None,
        typer.Option("--wkd", help="URL of a Web Key Directory (the directory holding hu/)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed for each lookup.")
    ] = 10.0,
    keyring: Annotated[
        Path | None,
        typer.Option("--keyring", help="Refresh this keyring directory instead of the store."),
    ] = None,
    as_json: _JsonOpt = False,
) -> None:
    """Fetch newer copies of the stored certificates (never run by check or verify)."""
    import time
    import urllib.request

    from pgpsig.keys import HTTPFetcher, refresh

    if keyserver is None and wkd is None:
        _usage("give --keyserver URL and/or --wkd URL (pgpsig contacts no server by default)")
    if not 0 < timeout <= 600:
        _usage("--timeout must be between 0 and 600 seconds")
    fetch = HTTPFetcher(timeout=timeout, clock=time.monotonic, proxies=urllib.request.getproxies())
    report = refresh(_key_store(keyring), fetch=fetch, keyserver=keyserver, wkd=wkd)
    for prob in report.problems:
        _err(f"warning: skipped {prob}")
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for item in report.items:
            line = f"{item.status:<10} {item.fingerprint} ({item.source})"
            if item.detail and item.status != "unchanged":
                line += f": {item.detail}"
            print(_safe(line))
        if not report.items:
            print("nothing to refresh: the store holds no certificate (or no matching address)")
    raise _Exit(EXIT_OK if report.ok else EXIT_FAILED)


@_command("trust-root", "add")
def trust_root_add(
    ref: Annotated[
        str, typer.Argument(help="Fingerprint or key ID of a stored key, or a certificate file.")
    ],
) -> None:
    """Make a key a trust root of the store (a certificate file is imported first)."""
    from pgpsig.keys import add_trust_root, import_keys

    store = _key_store(None)
    p = Path(ref)
    if p.is_file():
        report = import_keys(store, [(ref, _read(p))])
        fprs = [i.fingerprint for i in report.items if i.fingerprint and i.status != "rejected"]
        if len(fprs) != 1:
            reasons = "; ".join(d for i in report.items for d in i.details)
            raise InputError(f"{ref}: expected one valid certificate ({reasons or 'none found'})")
        ref = fprs[0]
    root = add_trust_root(store, ref)
    print(f"trust root {root.fingerprint}  {_safe(root.user_id or '')}")
    raise _Exit(EXIT_OK)


@_command("trust-root", "remove")
def trust_root_remove(
    ref: Annotated[str, typer.Argument(help="Fingerprint or key ID of a trust root.")],
) -> None:
    """Stop trusting a root (its certificate stays in the store)."""
    from pgpsig.keys import remove_trust_root

    fpr = remove_trust_root(_key_store(None), ref)
    print(f"removed trust root {fpr}")
    raise _Exit(EXIT_OK)


@_command("trust-root", "list")
def trust_root_list(as_json: _JsonOpt = False) -> None:
    """List the store's trust roots."""
    from pgpsig.keys import list_trust_roots

    roots = list_trust_roots(_key_store(None))
    if as_json:
        print(json.dumps({"roots": [r.to_dict() for r in roots]}, indent=2))
    else:
        for r in roots:
            state = "" if r.present else "  [certificate not in the store]"
            print(f"{r.fingerprint}  {_safe(r.user_id or '')}{state}")
    raise _Exit(EXIT_OK)


# --------------------------------------------------------------------------------------------------
# sop: the Stateless OpenPGP command line (draft-dkg-openpgp-stateless-cli), as `pgpsig sop` and as
# the `pgpsig-sop` program. Exit codes are the draft's (pgpsig.sop.SopExit), not pgpsig's 0/1/2;
# errors are one line on stderr. The use cases are pgpsig.sop; here: inputs (files, stdin, the
# @ENV: and @FD: special designators), outputs, the clock, and mapping click's usage errors.


def _sop_error(code: int, message: str) -> Exception:
    from pgpsig.sop import SopError, SopExit

    return SopError(SopExit(code), message)


def _sop_special(name: str) -> tuple[str, str] | None:
    """(prefix, rest) of a special designator such as ``@ENV:NAME`` or ``@FD:3``, else None."""
    import re

    m = re.fullmatch(r"@([A-Za-z0-9_]+):(.*)", name, flags=re.DOTALL)
    return (m.group(1), m.group(2)) if m else None


def _sop_input(name: str) -> bytes:
    """An indirect input: a file, ``@ENV:VAR`` (the variable's value) or ``@FD:N`` (read to EOF)."""
    special = _sop_special(name)
    if special is not None:
        if Path(name).exists():
            raise _sop_error(73, f"{name} is a special designator and also a file")
        prefix, rest = special
        if prefix == "ENV":
            value = os.environ.get(rest)
            if value is None:
                raise _sop_error(61, f"environment variable {rest} is not set")
            return value.encode("utf-8", "surrogateescape")
        if prefix == "FD":
            if not rest.isdigit():
                raise _sop_error(61, f"{name}: not a file descriptor")
            try:
                with os.fdopen(int(rest), "rb", closefd=False) as fp:
                    return fp.read()
            except OSError as e:
                raise _sop_error(61, f"cannot read {name}: {e.strerror or e}") from e
        raise _sop_error(71, f"unsupported special designator @{prefix}:")
    p = Path(name)
    if not p.exists():
        raise _sop_error(61, f"{name}: no such file")
    try:
        return p.read_bytes()
    except OSError as e:
        raise _sop_error(61, f"cannot read {name}: {e.strerror or e}") from e


def _sop_check_output(name: str) -> None:
    """Refuse an output that cannot be written, before any work (OUTPUT_EXISTS, special prefix)."""
    special = _sop_special(name)
    if special is not None:
        if special[0] != "FD" or not special[1].isdigit():
            raise _sop_error(71, f"{name}: outputs take only @FD:N")
        return
    if Path(name).exists():
        raise _sop_error(59, f"{name} exists")


def _sop_output(name: str, data: bytes) -> None:
    """Write an indirect output: a new file, or ``@FD:N``."""
    special = _sop_special(name)
    try:
        if special is not None:
            with os.fdopen(int(special[1]), "wb", closefd=False) as fp:
                fp.write(data)
            return
        with Path(name).open("xb") as fp:
            fp.write(data)
    except FileExistsError as e:
        raise _sop_error(59, f"{name} exists") from e
    except OSError as e:
        raise InputError(f"cannot write {name}: {e.strerror or e}") from e


def _sop_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _sop_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _sop_passwords(names: list[str] | None) -> list[bytes]:
    return [_sop_input(n) for n in names or []]


def _sop_bounds(not_before: str, not_after: str, now: datetime) -> tuple[Any, Any]:
    from pgpsig.sop import parse_date

    return parse_date(not_before, now=now), parse_date(not_after, now=now)


def _versions() -> dict[str, str]:
    """Versions of pgpsig and of what it runs on, for ``pgpsig --version`` and ``sop version``."""
    import platform
    from importlib import metadata

    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    from pgpsig import __version__

    versions = {"pgpsig": __version__, "Python": platform.python_version()}
    versions["cryptography"] = cryptography.__version__
    versions["OpenSSL"] = backend.openssl_version_text().removeprefix("OpenSSL ")
    # ``import pgpy`` comes from PGPym (PGPy's maintained continuation), or from PGPy itself.
    for name in ("PGPym", "pgpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            dist = metadata.distribution(name)
            versions[dist.metadata["Name"]] = f"{dist.version} (reads v4 secret keys)"
            break
    return versions


def _print_version(value: bool) -> None:
    """``--version``/``-V``: print the versions and leave (an eager option of the root)."""
    if value:
        print("\n".join(f"{name} {version}" for name, version in _versions().items()))
        raise _Exit(EXIT_OK)


@_command("sop", "version")
def sop_version(
    backend: Annotated[bool, typer.Option("--backend", help="The OpenPGP engine.")] = False,
    extended: Annotated[bool, typer.Option("--extended", help="Every component.")] = False,
    sop_spec: Annotated[
        bool, typer.Option("--sop-spec", help="The draft implemented (and how).")
    ] = False,
) -> None:
    """Print version information."""
    from pgpsig import sop

    if backend + extended + sop_spec > 1:
        raise _sop_error(83, "give at most one of --backend, --extended, --sop-spec")
    kind = "backend" if backend else "extended" if extended else "sop-spec" if sop_spec else ""
    _sop_stdout(sop.version(kind, _versions()).encode())


@_command("sop", "list-profiles")
def sop_list_profiles(
    subcommand: Annotated[str | None, typer.Argument(help="The subcommand (generate-key).")] = None,
) -> None:
    """List the profiles of a subcommand."""
    from pgpsig import sop

    if subcommand is None:
        raise _sop_error(19, "give the subcommand whose profiles to list")
    _sop_stdout(sop.list_profiles(subcommand).encode())


@_command("sop", "generate-key")
def sop_generate_key(
    userids: Annotated[list[str] | None, typer.Argument(help="User IDs.")] = None,
    no_armor: _SopArmorOpt = False,
    with_key_password: Annotated[
        str | None,
        typer.Option("--with-key-password", help="File (or @ENV:VAR, @FD:N) with a password."),
    ] = None,
    profile: Annotated[
        str, typer.Option("--profile", help="rfc4880 (v4, default) or rfc9580 (v6).")
    ] = "default",
    signing_only: Annotated[
        bool, typer.Option("--signing-only", help="No encryption subkey (always so).")
    ] = False,
) -> None:
    """Generate a secret key (Ed25519; it certifies and signs)."""
    from pgpsig import sop

    del signing_only  # pgpsig's keys never have an encryption subkey
    password = _sop_input(with_key_password) if with_key_password is not None else None
    key = sop.generate_key(
        userids or [],
        now=datetime.now(timezone.utc),
        profile=profile,
        password=password,
        armor_out=not no_armor,
    )
    _sop_stdout(key)


@_command("sop", "extract-cert")
def sop_extract_cert(no_armor: _SopArmorOpt = False) -> None:
    """Read secret keys on stdin, write their certificates."""
    from pgpsig import sop

    _sop_stdout(sop.extract_cert(_sop_stdin(), armor_out=not no_armor))


@_command("sop", "sign")
def sop_sign(
    keys: Annotated[list[str] | None, typer.Argument(help="Secret key files.")] = None,
    no_armor: _SopArmorOpt = False,
    as_: Annotated[str, typer.Option("--as", help="binary or text.")] = "binary",
    with_key_password: _SopPasswordOpt = None,
    micalg_out: Annotated[
        str | None, typer.Option("--micalg-out", help="Write the hash as pgp-<hash> here.")
    ] = None,
) -> None:
    """Make detached signatures of stdin."""
    from pgpsig import sop

    if as_ not in ("binary", "text"):
        raise _sop_error(37, f"--as={as_}: use binary or text")
    if micalg_out is not None:
        _sop_check_output(micalg_out)
    key_data = [_sop_input(k) for k in keys or []]
    passwords = _sop_passwords(with_key_password)
    sigs, micalg = sop.sign(
        _sop_stdin(),
        key_data,
        now=datetime.now(timezone.utc),
        passwords=passwords,
        as_text=as_ == "text",
        armor_out=not no_armor,
    )
    if micalg_out is not None:
        _sop_output(micalg_out, micalg.encode())
    _sop_stdout(sigs)


@_command("sop", "verify")
def sop_verify(
    signatures: Annotated[str | None, typer.Argument(help="The signature file.")] = None,
    certs: Annotated[list[str] | None, typer.Argument(help="Certificate files.")] = None,
    not_before: _SopNotBeforeOpt = "-",
    not_after: _SopNotAfterOpt = "now",
) -> None:
    """Verify detached signatures of stdin; print one line per acceptable signature."""
    from pgpsig import sop

    now = datetime.now(timezone.utc)
    before, after = _sop_bounds(not_before, not_after, now)
    if signatures is None:
        raise _sop_error(19, "give the SIGNATURES file and at least one certificate")
    sig_data = _sop_input(signatures)
    cert_data = [_sop_input(c) for c in certs or []]
    found = sop.verify(
        _sop_stdin(), sig_data, cert_data, now=now, not_before=before, not_after=after
    )
    _sop_stdout("".join(v.line() + "\n" for v in found).encode())


@_command("sop", "inline-sign")
def sop_inline_sign(
    keys: Annotated[list[str] | None, typer.Argument(help="Secret key files.")] = None,
    no_armor: _SopArmorOpt = False,
    as_: Annotated[str, typer.Option("--as", help="binary, text or clearsigned.")] = "binary",
    with_key_password: _SopPasswordOpt = None,
) -> None:
    """Make an inline-signed (or clear-signed) message of stdin."""
    from pgpsig import sop

    if as_ not in ("binary", "text", "clearsigned"):
        raise _sop_error(37, f"--as={as_}: use binary, text or clearsigned")
    if as_ == "clearsigned" and no_armor:
        raise _sop_error(83, "--as=clearsigned cannot be --no-armor")
    key_data = [_sop_input(k) for k in keys or []]
    passwords = _sop_passwords(with_key_password)
    _sop_stdout(
        sop.inline_sign(
            _sop_stdin(),
            key_data,
            now=datetime.now(timezone.utc),
            passwords=passwords,
            mode=as_,
            armor_out=not no_armor,
        )
    )


@_command("sop", "inline-verify")
def sop_inline_verify(
    certs: Annotated[list[str] | None, typer.Argument(help="Certificate files.")] = None,
    not_before: _SopNotBeforeOpt = "-",
    not_after: _SopNotAfterOpt = "now",
    verifications_out: Annotated[
        str | None, typer.Option("--verifications-out", help="Write VERIFICATIONS here.")
    ] = None,
) -> None:
    """Verify an inline-signed or clear-signed message on stdin; write its data."""
    from pgpsig import sop

    now = datetime.now(timezone.utc)
    before, after = _sop_bounds(not_before, not_after, now)
    if verifications_out is not None:
        _sop_check_output(verifications_out)
    cert_data = [_sop_input(c) for c in certs or []]
    data, found = sop.inline_verify(
        _sop_stdin(), cert_data, now=now, not_before=before, not_after=after
    )
    if verifications_out is not None:
        _sop_output(verifications_out, "".join(v.line() + "\n" for v in found).encode())
    _sop_stdout(data)


@_command("sop", "inline-detach")
def sop_inline_detach(
    signatures_out: Annotated[
        str | None, typer.Option("--signatures-out", help="Write the signatures here.")
    ] = None,
    no_armor: _SopArmorOpt = False,
) -> None:
    """Split an inline-signed message on stdin into data (stdout) and signatures."""
    from pgpsig import sop

    if signatures_out is None:
        raise _sop_error(19, "--signatures-out is required")
    _sop_check_output(signatures_out)
    data, sigs = sop.inline_detach(_sop_stdin(), armor_out=not no_armor)
    _sop_output(signatures_out, sigs)
    _sop_stdout(data)


@_command("sop", "armor")
def sop_armor(
    label: Annotated[
        str, typer.Option("--label", help="auto, sig, key, cert or message (deprecated).")
    ] = "auto",
) -> None:
    """ASCII-armor binary OpenPGP data on stdin."""
    from pgpsig import sop

    _sop_stdout(sop.armor(_sop_stdin(), label=label))


@_command("sop", "dearmor")
def sop_dearmor() -> None:
    """Remove the ASCII armor of OpenPGP data on stdin."""
    from pgpsig import sop

    _sop_stdout(sop.dearmor(_sop_stdin()))


def _sop_say(prog: str, message: str) -> None:
    print(f"{prog}: {_safe(message)}", file=sys.stderr)


def _sop_usage_code(e: Exception, argv: list[str], prog: str) -> int | None:
    """The SOP exit code of a click usage error (typer vendors click: matched by class name)."""
    from pgpsig.sop import SopExit

    kinds = {c.__name__ for c in type(e).__mro__}
    if "Abort" in kinds:
        return 1
    if "UsageError" not in kinds:
        return None
    if not argv:
        _sop_say(prog, f"give a subcommand ('{prog} --help' lists them)")
        return int(SopExit.MISSING_ARG)
    fmt = getattr(e, "format_message", None)
    message = str(fmt()) if callable(fmt) else str(e)
    _sop_say(prog, message)
    if "NoSuchOption" in kinds:
        return int(SopExit.UNSUPPORTED_OPTION)
    if "MissingParameter" in kinds:
        return int(SopExit.MISSING_ARG)
    if "No such command" in message:
        return int(SopExit.UNSUPPORTED_SUBCOMMAND)
    return int(SopExit.UNSUPPORTED_OPTION)  # a bad value, or an unexpected extra argument


def _run_sop(argv: list[str], prog: str = "pgpsig sop") -> int:
    """Run the sop sub-app on ``argv``; return the SOP exit code (never raises, no traceback)."""
    from pgpsig.sop import SopError, SopExit

    try:
        rv = _typer_apps()["sop"](args=argv, prog_name=prog, standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except _Exit as e:
        return e.code
    except SopError as e:
        _sop_say(prog, str(e))
        return int(e.code)
    except (FormatError, ValueError) as e:
        _sop_say(prog, f"bad data: {e}")
        return int(SopExit.BAD_DATA)
    except PgpsigError as e:
        _sop_say(prog, str(e))
        return 1
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        _sop_say(prog, "interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 (no traceback, a SOP failure code)
        code = _sop_usage_code(e, argv, prog)
        if code is not None:
            return code
        _sop_say(prog, f"internal error ({type(e).__name__}): {e}")
        return 1


@_command(
    "",
    "sop",
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "allow_interspersed_args": False,
    },
    add_help_option=False,
)
def sop_command(ctx: typer.Context) -> None:
    """Stateless OpenPGP (SOP) interface: 'pgpsig sop --help' lists its subcommands."""
    raise _Exit(_run_sop(list(ctx.args)))


def sop_main(argv: list[str] | None = None) -> NoReturn:
    """Run ``pgpsig-sop``: the sop sub-app as a top-level program, with SOP exit codes."""
    code = _run_sop(sys.argv[1:] if argv is None else argv, prog="pgpsig-sop")
    with contextlib.suppress(OSError):
        sys.stdout.flush()
    sys.exit(code)


# --------------------------------------------------------------------------------------------------
# The typer application, built on first use


def _declare_option_aliases() -> None:
    """Define the option aliases the commands' annotations name, with typer's metadata."""
    import typer

    globals().update(
        # The commands' string annotations name typer.Option and typer.Argument.
        typer=typer,
        _PassphraseFileOpt=Annotated[
            Path | None,
            typer.Option(
                "--passphrase-file", help="File whose first line is the secret key's passphrase."
            ),
        ],
        _PassphraseEnvOpt=Annotated[
            str,
            typer.Option(
                "--passphrase-env",
                help="Environment variable holding the passphrase (used when no --passphrase-file).",
            ),
        ],
        _JsonOpt=Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")],
        _VersionOpt=Annotated[
            bool,
            typer.Option(
                "--version",
                "-V",
                help="Print the versions of pgpsig and of what it runs on, and exit.",
                callback=_print_version,
                is_eager=True,
            ),
        ],
        _SopArmorOpt=Annotated[
            bool, typer.Option("--no-armor", help="Write binary, not ASCII armor.")
        ],
        _SopPasswordOpt=Annotated[
            list[str] | None,
            typer.Option(
                "--with-key-password",
                help="File (or @ENV:VAR, @FD:N) holding a password for the secret keys (repeatable).",
            ),
        ],
        _SopNotBeforeOpt=Annotated[
            str,
            typer.Option("--not-before", help="Ignore signatures made before: ISO 8601, - or now."),
        ],
        _SopNotAfterOpt=Annotated[
            str,
            typer.Option("--not-after", help="Ignore signatures made after: ISO 8601, - or now."),
        ],
    )


@functools.cache
def _typer_apps() -> dict[str, typer.Typer]:
    """The typer applications: "" (``pgpsig``) and "sop" (``pgpsig sop``, ``pgpsig-sop``)."""
    import typer

    _declare_option_aliases()
    # -h as gpg and sq users expect; groups added to an app inherit it. "sop" also runs on its own
    # (pgpsig-sop), so it says it too.
    help_options = {"help_option_names": ["-h", "--help"]}
    apps = {
        "": typer.Typer(
            name="pgpsig",
            context_settings=help_options,
            help="Sign and check software modules with OpenPGP, with no gpg binary.",
            no_args_is_help=True,
            add_completion=True,
            pretty_exceptions_enable=False,
        ),
        "key": typer.Typer(
            help="Key lifecycle: generate, certify, revoke, and the certificate store.",
            no_args_is_help=True,
        ),
        "trust-root": typer.Typer(
            help="The store's trust roots (the keys whose certifications make a signer trusted).",
            no_args_is_help=True,
        ),
        "sop": typer.Typer(
            name="sop",
            context_settings=help_options,
            help="Stateless OpenPGP (SOP): sign and verify through the draft's interface.",
            no_args_is_help=True,
            add_completion=False,
            pretty_exceptions_enable=False,
        ),
    }
    apps[""].callback()(_root)
    for group, name, settings, func in _COMMANDS:
        apps[group].command(name, **settings)(func)
    apps[""].add_typer(apps["key"], name="key")
    apps["key"].add_typer(apps["trust-root"], name="trust-root")
    return apps


# --------------------------------------------------------------------------------------------------
# entry point


#: Fast paths: argument lists of ``check``, ``verify`` and ``sign`` parsed without typer. Each
#: command's options, by every name typer knows them by: (parameter, kind).
#: ``tests/cli/test_cli_fast.py`` holds these tables to typer's own declarations and the parses to
#: typer's. Anything else on the command line (``--help``, an unknown or misspelt option, a missing or dash-leading value, a repeated
#: single option, a bad number, a wrong count of arguments, a missing required option) goes to
#: typer, which says what is wrong.
_FAST_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "verify": {
        "--signature": ("signature", "path"),
        "-s": ("signature", "path"),
        "--keyring": ("keyring", "paths"),
        "-k": ("keyring", "paths"),
        "--min-signatures": ("min_signatures", "int"),
        "-n": ("min_signatures", "int"),
        "--policy": ("policy", "str"),
        "--at": ("at", "str"),
        "--output": ("output", "path"),
        "-o": ("output", "path"),
        "--json": ("as_json", "flag"),
    },
    "sign": {
        "--key": ("key", "path"),
        "--modules-dir": ("modules_dir", "path"),
        "--passphrase-file": ("passphrase_file", "path"),
        "--passphrase-env": ("passphrase_env", "str"),
        "--hash": ("hash_name", "str"),
        "--exclude": ("exclude", "strs"),
        "--policy": ("policy", "str"),
        "--json": ("as_json", "flag"),
    },
    "check": {
        "--modules-dir": ("modules_dir", "path"),
        "--keyring": ("keyring", "paths"),
        "-k": ("keyring", "paths"),
        "--trust-root": ("trust_root", "strs"),
        "--freepbx-webroot": ("freepbx_webroot", "path"),
        "--freepbx-secure-dir": ("freepbx_secure_dir", "path"),
        "--freepbx-path": ("freepbx_path", "strs"),
        "--policy": ("policy", "str"),
        "--at": ("at", "str"),
        "--strict": ("strict", "flag"),
        "--json": ("as_json", "flag"),
    },
}
#: The positional parameter of each fast command: (name, kind, how many: 1 or any).
_FAST_POSITIONAL: dict[str, tuple[str, str, int | None]] = {
    "verify": ("file", "path", 1),
    "check": ("modules", "paths", None),
    "sign": ("module_dirs", "paths", None),
}
#: Options without which typer refuses the command line (it then says so).
_FAST_REQUIRED: dict[str, tuple[str, ...]] = {"sign": ("key",)}


def _fast_parse(argv: list[str]) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """(command, keyword arguments) for a plain ``check``, ``verify`` or ``sign`` line, else None."""
    if not argv or argv[0] not in _FAST_OPTIONS:
        return None
    options = _FAST_OPTIONS[argv[0]]
    kwargs: dict[str, Any] = {}
    positional: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positional += argv[i:]
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in options:
            return None
        param, kind = options[name]
        if kind == "flag":
            if eq:
                return None
            kwargs[param] = True
            continue
        if not eq:
            if i == len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                return None
            value = argv[i]
            i += 1
        if kind == "int":
            if not (value.isascii() and value.isdigit() and len(value) <= 9):
                return None
            converted: Any = int(value)
        elif kind.startswith("path"):
            if not _readable_or_absent(value):
                return None
            converted = Path(value)
        else:
            converted = value
        if kind in ("paths", "strs"):
            kwargs.setdefault(param, []).append(converted)
        elif param in kwargs:
            return None
        else:
            kwargs[param] = converted
    pname, pkind, count = _FAST_POSITIONAL[argv[0]]
    if count is not None and len(positional) != count:
        return None
    if not all(map(_readable_or_absent, positional)):
        return None
    if count == 1:
        kwargs[pname] = Path(positional[0]) if pkind == "path" else positional[0]
    elif positional:
        kwargs[pname] = [Path(p) for p in positional]
    if any(name not in kwargs for name in _FAST_REQUIRED.get(argv[0], ())):
        return None
    commands: dict[str, Callable[..., Any]] = {"verify": verify, "check": check, "sign": sign}
    return commands[argv[0]], kwargs


def _readable_or_absent(path: str) -> bool:
    """Whether typer's path parameters take ``path`` (click's ``Path(readable=True)``)."""
    return path == "-" or not os.path.exists(path) or os.access(path, os.R_OK)  # noqa: PTH110


def _stdout_gone() -> None:
    """Send what is left for stdout to /dev/null: its reader went away (``pgpsig ... | head``)."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run(command: Callable[[], Any]) -> int:
    """Run ``command``; map its result and every error to an exit code (one line on stderr)."""
    code: int
    try:
        rv = command()
        code = rv if isinstance(rv, int) else EXIT_OK
    except _Exit as e:
        code = e.code
    except (FormatError, InputError) as e:
        _err(str(e))
        code = EXIT_ERROR
    except VerificationError as e:
        _err(str(e))
        code = EXIT_FAILED
    except PgpsigError as e:
        _err(str(e))
        code = EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        code = 130
    except BrokenPipeError:
        _stdout_gone()
        code = EXIT_FAILED  # what click does on a broken pipe, so both parsers agree
    except Exception as e:  # noqa: BLE001 (fail closed: no traceback, never a "good")
        kinds = {c.__name__ for c in type(e).__mro__}
        show = getattr(e, "show", None)
        if "Exit" in kinds and isinstance(getattr(e, "exit_code", None), int):
            code = e.exit_code  # type: ignore[attr-defined]  # click's Exit (--help, completion)
        elif "Abort" in kinds:
            code = EXIT_ERROR
        elif callable(show) and hasattr(e, "exit_code"):  # a click usage error: typer prints it
            show()
            code = EXIT_ERROR
        else:
            _err(f"internal error ({type(e).__name__}): {e}")
            code = EXIT_ERROR
    return code


def _dispatch(argv: list[str], *, fast: bool = True) -> int:
    """Run one command line: through a fast path when it has one (``fast``), else through typer."""
    try:
        parsed = _fast_parse(argv) if fast else None
    except Exception:  # noqa: BLE001 (whatever the fast parser cannot take, typer judges)
        parsed = None
    if parsed is not None:
        func, kwargs = parsed
        return _run(lambda: func(**kwargs))
    # With standalone_mode=False, click returns the code of its Exit (--help) instead of raising.
    return _run(lambda: _typer_apps()[""](args=argv, standalone_mode=False))


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; map every error to an exit code and one line on stderr."""
    code = _dispatch(sys.argv[1:] if argv is None else list(argv))
    try:
        sys.stdout.flush()
    except OSError:  # the report did not reach its reader: never a success
        _stdout_gone()
        code = code or EXIT_FAILED
    sys.exit(code)
