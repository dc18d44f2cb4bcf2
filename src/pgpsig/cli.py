"""The ``pgpsig`` command line: options in, exit codes and output out.

This is the only module that imports typer, reads the clock or the environment, or prints. Every
command parses its options, takes ``now`` once, calls one use case, prints the result (JSON with
``--json``, a short human report otherwise; diagnostics on stderr) and picks the exit code:
0 success, 1 verification failed, 2 usage error or unreadable/malformed input. A
:class:`~pgpsig.errors.PgpsigError` becomes one line on stderr, never a traceback; so does any
unexpected exception (fail closed: exit 2, never a "good").
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
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
