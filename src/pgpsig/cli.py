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
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from pgpsig.errors import FormatError, InputError, PgpsigError, VerificationError

app = typer.Typer(
    name="pgpsig",
    help="Sign and check software modules with OpenPGP, with no gpg binary.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Sign and check software modules with OpenPGP, with no gpg binary."""


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


# --------------------------------------------------------------------------------------------------
# Helpers: clock, environment, printing


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
    return t.astimezone(timezone.utc)


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
    raise typer.Exit(EXIT_ERROR)


def _policy(name: str) -> Any:
    from pgpsig.policy import policy_named

    try:
        return policy_named(name)
    except ValueError as e:
        _usage(str(e))


def _keyring(paths: list[Path] | None) -> Any:
    from pgpsig.keyring import Keyring, load_keyring

    if paths:
        ring = load_keyring(paths)
    else:
        store = _store_dir() / "certs"
        ring = load_keyring([store]) if store.is_dir() else Keyring()
    for p in ring.problems:
        _err(f"warning: skipped {p}")
    return ring


class _AtomicOutput:
    """Write to a temporary file beside ``path``; replace ``path`` only on :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        directory = path.parent if str(path.parent) else Path()
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        except OSError as e:
            raise InputError(f"cannot write {path}: {e.strerror or e}") from e
        self.tmp = Path(tmp)
        self.fp = os.fdopen(fd, "wb")
        self._pending_cr = False
        self._block = -1

    def _advance(self, block: int) -> None:
        """Close every block before ``block`` with its final LF (empty blocks send no chunks)."""
        if block == self._block:
            return
        self._flush_cr()
        count = block - self._block if self._block >= 0 else block
        self.fp.write(b"\n" * count)
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
        self.fp.write(chunk.replace(b"\r\n", b"\n"))

    def _flush_cr(self) -> None:
        if self._pending_cr:
            self.fp.write(b"\r")
            self._pending_cr = False

    def commit(self, blocks: int) -> None:
        """Finish the last of ``blocks`` blocks and move the file into place."""
        self._advance(blocks)
        self.fp.flush()
        os.fsync(self.fp.fileno())
        self.fp.close()
        self.tmp.replace(self.path)

    def discard(self) -> None:
        if not self.fp.closed:
            self.fp.close()
        self.tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------
# verify


@app.command()
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
            sig_bytes = _read(signature)
            data_src: Any = sys.stdin.buffer if stdin else _existing(file)
            report = verify_detached(
                data_src, sig_bytes, ring, policy=pol, now=now, min_signatures=min_signatures
            )
            out = None
        else:
            import io

            src: Any = io.BytesIO(sys.stdin.buffer.read()) if stdin else _existing(file)
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
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e


# --------------------------------------------------------------------------------------------------
# sign


def _passphrase(passphrase_file: Path | None, passphrase_env: str) -> bytes | None:
    """The passphrase: from a file (first line), else from the named environment variable."""
    if passphrase_file is not None:
        data = _read(passphrase_file)
        return data.split(b"\n", 1)[0].rstrip(b"\r")
    env = os.environ.get(passphrase_env)
    return env.encode() if env is not None else None


@app.command()
def sign(
    module_dir: Annotated[Path, typer.Argument(help="The module directory to sign.")],
    key: Annotated[Path, typer.Option("--key", help="Secret key file (armored or binary).")],
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
    """Hash every file of a module into module.sig and clear-sign it (FreePBX sign.php format)."""
    from pgpsig.report import iso
    from pgpsig.sign import sign_module
    from pgpsig.signing import load_signing_keys

    now = _now(None)
    pol = _policy(policy)
    if not module_dir.is_dir():
        raise InputError(f"{module_dir} is not a directory")
    data = _read(key)
    keys = load_signing_keys(data, _passphrase(passphrase_file, passphrase_env))
    result = sign_module(
        module_dir,
        keys,
        now=now,
        secret_key_data=data,
        policy=pol,
        hash_name=hash_name,
        exclude=exclude or (),
    )
    if as_json:
        print(
            json.dumps(
                {
                    "path": str(result.path),
                    "signer": result.signer,
                    "primary": result.primary,
                    "files": result.files,
                    "hash_algorithm": result.hash_algorithm,
                    "created": iso(result.created),
                },
                indent=2,
            )
        )
    else:
        print(
            f"signed {result.files} files of {_safe(str(module_dir))} with {result.signer} "
            f"({result.hash_algorithm}) -> {_safe(str(result.path))}"
        )
    raise typer.Exit(EXIT_OK)


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
    with Progress(transient=True, console=Console(stderr=True), redirect_stdout=False) as bar:
        task = bar.add_task("checking signatures", total=n_modules)

        def update(stage: str, done: int, total: int) -> None:
            if stage == "signatures":
                bar.update(task, completed=done, total=total)
            elif done == 0:
                bar.update(task, description=f"hashing {total} files", completed=0, total=None)
            else:
                bar.update(task, completed=total, total=total)

        yield update


def _root_refs(refs: list[str], ring: Any) -> list[str]:
    """Trust roots: fingerprints stay as they are; certificate files join the keyring."""
    from pgpsig.keyring import load_keyring

    out: list[str] = []
    for ref in refs:
        p = Path(ref)
        if p.is_file():
            extra = load_keyring([p])
            ring.add_all(extra)
            out.extend(extra.certs)
        else:
            out.append(ref)
    return out


def _stored_roots() -> list[str]:
    f = _store_dir() / "roots"
    if not f.is_file():
        return []
    return [
        ln.split("#", 1)[0].strip()
        for ln in _read(f).decode().splitlines()
        if ln.split("#", 1)[0].strip()
    ]


def _human_check(reports: list[Any], color: bool) -> None:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

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


@app.command()
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
    from pgpsig.check import (
        FREEPBX_DEFAULT_PATHS,
        FREEPBX_ROOTS,
        CheckOptions,
        FreePBXLayout,
        check_modules,
    )
    from pgpsig.keyring import load_keyring
    from pgpsig.trust import TrustRoots

    now = _now(at)
    targets: list[tuple[str, Path]] = [(p.resolve().name, p) for p in modules or []]
    key_paths = list(keyring or [])
    roots = list(trust_root or [])
    layout = None
    if freepbx_webroot is not None:
        bmo = freepbx_webroot / "admin" / "libraries" / "BMO"
        key_paths += [p for p in (bmo, bmo / "signatures") if p.is_dir()]
        roots += list(FREEPBX_ROOTS)
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
    if key_paths:
        ring = load_keyring(key_paths)
        for prob in ring.problems:
            _err(f"warning: skipped {prob}")
    else:
        ring = _keyring(None)
    roots += _stored_roots()
    root_fprs = _root_refs(roots, ring)
    if freepbx_webroot is not None:
        root_fprs = [r for r in root_fprs if ring.find(r) is not None or r not in FREEPBX_ROOTS]
    if not root_fprs:
        _err("warning: no trust root given (--trust-root): no signer can be trusted")
    opts = CheckOptions(
        keyring=ring,
        roots=TrustRoots.resolve(root_fprs, ring),
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
                },
                indent=2,
            )
        )
    else:
        _human_check(reports, sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    raise typer.Exit(EXIT_OK if good == len(reports) else EXIT_FAILED)


# --------------------------------------------------------------------------------------------------
# entry point


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; map every error to an exit code and one line on stderr."""
    code: int
    try:
        # With standalone_mode=False, click returns the code of a typer.Exit instead of raising.
        rv = app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else EXIT_OK
    except typer.Exit as e:
        code = e.exit_code
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
    except typer.Abort:
        code = EXIT_ERROR
    except Exception as e:  # noqa: BLE001 (fail closed: no traceback, never a "good")
        show = getattr(e, "show", None)
        if callable(show) and hasattr(e, "exit_code"):  # a click usage error: typer prints it
            show()
        else:
            _err(f"internal error ({type(e).__name__}): {e}")
        code = EXIT_ERROR
    sys.stdout.flush()
    sys.exit(code)
