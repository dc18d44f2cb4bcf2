"""``pgpsig sop`` and ``pgpsig-sop``: the Stateless OpenPGP command line (draft-dkg-openpgp-stateless-cli).

Exit codes are the draft's (:class:`pgpsig.sop.SopExit`), not pgpsig's 0/1/2; errors are one line
on stderr. The use cases are :mod:`pgpsig.sop`'s; this module owns the inputs (files, stdin, the
``@ENV:`` and ``@FD:`` special designators), the outputs and the clock; how a SOP command line
runs, its errors mapped to the draft's codes, is :func:`pgpsig.cli.app.run_sop`.
"""

import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

from pgpsig.cli.options import Arg, Context, Opt, command
from pgpsig.cli.output import Exit
from pgpsig.errors import InputError

__all__ = ["sop_command"]

_NoArmor = Annotated[bool, Opt("--no-armor", help="Write binary, not ASCII armor.")]
_KeyPasswords = Annotated[
    list[str] | None,
    Opt(
        "--with-key-password",
        help="File (or @ENV:VAR, @FD:N) holding a password for the secret keys (repeatable).",
    ),
]
_NotBefore = Annotated[
    str, Opt("--not-before", help="Ignore signatures made before: ISO 8601, - or now.")
]
_NotAfter = Annotated[
    str, Opt("--not-after", help="Ignore signatures made after: ISO 8601, - or now.")
]


def _error(code: int, message: str) -> Exception:
    from pgpsig.sop import SopError, SopExit

    return SopError(SopExit(code), message)


def _special(name: str) -> tuple[str, str] | None:
    """(prefix, rest) of a special designator such as ``@ENV:NAME`` or ``@FD:3``, else None."""
    m = re.fullmatch(r"@([A-Za-z0-9_]+):(.*)", name, flags=re.DOTALL)
    return (m.group(1), m.group(2)) if m else None


def _input(name: str) -> bytes:
    """An indirect input: a file, ``@ENV:VAR`` (the variable's value) or ``@FD:N`` (read to EOF)."""
    special = _special(name)
    if special is not None:
        if Path(name).exists():
            raise _error(73, f"{name} is a special designator and also a file")
        prefix, rest = special
        if prefix == "ENV":
            value = os.environ.get(rest)
            if value is None:
                raise _error(61, f"environment variable {rest} is not set")
            return value.encode("utf-8", "surrogateescape")
        if prefix == "FD":
            if not rest.isdigit():
                raise _error(61, f"{name}: not a file descriptor")
            try:
                with os.fdopen(int(rest), "rb", closefd=False) as fp:
                    return fp.read()
            except OSError as e:
                raise _error(61, f"cannot read {name}: {e.strerror or e}") from e
        raise _error(71, f"unsupported special designator @{prefix}:")
    p = Path(name)
    if not p.exists():
        raise _error(61, f"{name}: no such file")
    try:
        return p.read_bytes()
    except OSError as e:
        raise _error(61, f"cannot read {name}: {e.strerror or e}") from e


def _check_output(name: str) -> None:
    """Refuse an output that cannot be written, before any work (OUTPUT_EXISTS, special prefix)."""
    special = _special(name)
    if special is not None:
        if special[0] != "FD" or not special[1].isdigit():
            raise _error(71, f"{name}: outputs take only @FD:N")
        return
    if Path(name).exists():
        raise _error(59, f"{name} exists")


def _output(name: str, data: bytes) -> None:
    """Write an indirect output: a new file, or ``@FD:N``."""
    special = _special(name)
    try:
        if special is not None:
            with os.fdopen(int(special[1]), "wb", closefd=False) as fp:
                fp.write(data)
            return
        with Path(name).open("xb") as fp:
            fp.write(data)
    except FileExistsError as e:
        raise _error(59, f"{name} exists") from e
    except OSError as e:
        raise InputError(f"cannot write {name}: {e.strerror or e}") from e


def _stdin() -> bytes:
    return sys.stdin.buffer.read()


def _stdin_stream() -> Any:
    """Standard input as a seekable binary stream: itself when it is a file, else spooled.

    Spooled to a temporary file, not memory: a message may be of any size, and its first octets
    are read twice (to tell what kind of message it is).
    """
    from pgpsig.cli import inputs

    stdin = sys.stdin.buffer
    return stdin if stdin.seekable() else inputs.spool(stdin)


def _stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _passwords(names: list[str] | None) -> list[bytes]:
    return [_input(n) for n in names or []]


def _bounds(not_before: str, not_after: str, now: datetime) -> tuple[Any, Any]:
    from pgpsig.sop import parse_date

    return parse_date(not_before, now=now), parse_date(not_after, now=now)


@command("sop", "version")
def sop_version(
    backend: Annotated[bool, Opt("--backend", help="The OpenPGP engine.")] = False,
    extended: Annotated[bool, Opt("--extended", help="Every component.")] = False,
    sop_spec: Annotated[bool, Opt("--sop-spec", help="The draft implemented (and how).")] = False,
) -> None:
    """Print version information."""
    from pgpsig import sop
    from pgpsig.cli.inputs import versions

    if backend + extended + sop_spec > 1:
        raise _error(83, "give at most one of --backend, --extended, --sop-spec")
    kind = "backend" if backend else "extended" if extended else "sop-spec" if sop_spec else ""
    _stdout(sop.version(kind, versions()).encode())


@command("sop", "list-profiles")
def sop_list_profiles(
    subcommand: Annotated[str | None, Arg(help="The subcommand (generate-key).")] = None,
) -> None:
    """List the profiles of a subcommand."""
    from pgpsig import sop

    if subcommand is None:
        raise _error(19, "give the subcommand whose profiles to list")
    _stdout(sop.list_profiles(subcommand).encode())


@command("sop", "generate-key")
def sop_generate_key(
    userids: Annotated[list[str] | None, Arg(help="User IDs.", metavar="USERID")] = None,
    no_armor: _NoArmor = False,
    with_key_password: Annotated[
        str | None,
        Opt("--with-key-password", help="File (or @ENV:VAR, @FD:N) with a password."),
    ] = None,
    profile: Annotated[
        str,
        Opt(
            "--profile",
            metavar="NAME",
            help="Key profile ('list-profiles generate-key' says what each is; default: the first).",
            complete="pgpsig.sop:PROFILES",
        ),
    ] = "default",
    signing_only: Annotated[
        bool, Opt("--signing-only", help="No encryption subkey (always so).")
    ] = False,
) -> None:
    """Generate a secret key (Ed25519; it certifies and signs)."""
    from pgpsig import sop

    del signing_only  # pgpsig's keys never have an encryption subkey
    password = _input(with_key_password) if with_key_password is not None else None
    key = sop.generate_key(
        userids or [],
        now=datetime.now(timezone.utc),
        profile=profile,
        password=password,
        armor_out=not no_armor,
    )
    _stdout(key)


@command("sop", "extract-cert")
def sop_extract_cert(no_armor: _NoArmor = False) -> None:
    """Read secret keys on stdin, write their certificates."""
    from pgpsig import sop

    _stdout(sop.extract_cert(_stdin(), armor_out=not no_armor))


@command("sop", "sign")
def sop_sign(
    keys: Annotated[list[str] | None, Arg(help="Secret key files.")] = None,
    no_armor: _NoArmor = False,
    as_: Annotated[
        str,
        Opt("--as", metavar="KIND", help="Kind of signature.", complete="pgpsig.sop:SIGN_AS"),
    ] = "binary",
    with_key_password: _KeyPasswords = None,
    micalg_out: Annotated[
        str | None, Opt("--micalg-out", help="Write the hash as pgp-<hash> here.")
    ] = None,
) -> None:
    """Make detached signatures of stdin."""
    from pgpsig import sop

    if as_ not in sop.SIGN_AS:
        raise _error(37, f"--as={as_}: use {', '.join(sop.SIGN_AS)}")
    if micalg_out is not None:
        _check_output(micalg_out)
    key_data = [_input(k) for k in keys or []]
    passwords = _passwords(with_key_password)
    sigs, micalg = sop.sign(
        _stdin(),
        key_data,
        now=datetime.now(timezone.utc),
        passwords=passwords,
        as_text=as_ == "text",
        armor_out=not no_armor,
    )
    if micalg_out is not None:
        _output(micalg_out, micalg.encode())
    _stdout(sigs)


@command("sop", "verify")
def sop_verify(
    signatures: Annotated[str | None, Arg(help="The signature file.")] = None,
    certs: Annotated[list[str] | None, Arg(help="Certificate files.")] = None,
    not_before: _NotBefore = "-",
    not_after: _NotAfter = "now",
) -> None:
    """Verify detached signatures of stdin; print one line per acceptable signature."""
    from pgpsig import sop

    now = datetime.now(timezone.utc)
    before, after = _bounds(not_before, not_after, now)
    if signatures is None:
        raise _error(19, "give the SIGNATURES file and at least one certificate")
    sig_data = _input(signatures)
    cert_data = [_input(c) for c in certs or []]
    found = sop.verify(_stdin(), sig_data, cert_data, now=now, not_before=before, not_after=after)
    _stdout("".join(v.line() + "\n" for v in found).encode())


@command("sop", "inline-sign")
def sop_inline_sign(
    keys: Annotated[list[str] | None, Arg(help="Secret key files.")] = None,
    no_armor: _NoArmor = False,
    as_: Annotated[
        str,
        Opt(
            "--as",
            metavar="KIND",
            help="Kind of message (clearsigned: the cleartext signature framework).",
            complete="pgpsig.sop:INLINE_SIGN_AS",
        ),
    ] = "binary",
    with_key_password: _KeyPasswords = None,
) -> None:
    """Make an inline-signed (or clear-signed) message of stdin."""
    from pgpsig import sop

    if as_ not in sop.INLINE_SIGN_AS:
        raise _error(37, f"--as={as_}: use {', '.join(sop.INLINE_SIGN_AS)}")
    if as_ == "clearsigned" and no_armor:
        raise _error(83, "--as=clearsigned cannot be --no-armor")
    key_data = [_input(k) for k in keys or []]
    passwords = _passwords(with_key_password)
    _stdout(
        sop.inline_sign(
            _stdin(),
            key_data,
            now=datetime.now(timezone.utc),
            passwords=passwords,
            mode=as_,
            armor_out=not no_armor,
        )
    )


@command("sop", "inline-verify")
def sop_inline_verify(
    certs: Annotated[list[str] | None, Arg(help="Certificate files.")] = None,
    not_before: _NotBefore = "-",
    not_after: _NotAfter = "now",
    verifications_out: Annotated[
        str | None, Opt("--verifications-out", help="Write VERIFICATIONS here.")
    ] = None,
) -> None:
    """Verify an inline-signed or clear-signed message on stdin; write its data."""
    from pgpsig import sop

    now = datetime.now(timezone.utc)
    before, after = _bounds(not_before, not_after, now)
    if verifications_out is not None:
        _check_output(verifications_out)
    cert_data = [_input(c) for c in certs or []]
    # The data, written to stdout only once it verified, then the VERIFICATIONS.
    _, found = sop.inline_verify(
        _stdin_stream(),
        cert_data,
        now=now,
        not_before=before,
        not_after=after,
        output=sys.stdout.buffer,
    )
    sys.stdout.buffer.flush()
    if verifications_out is not None:
        _output(verifications_out, "".join(v.line() + "\n" for v in found).encode())


@command("sop", "inline-detach")
def sop_inline_detach(
    signatures_out: Annotated[
        str | None, Opt("--signatures-out", help="Write the signatures here.")
    ] = None,
    no_armor: _NoArmor = False,
) -> None:
    """Split an inline-signed message on stdin into data (stdout) and signatures."""
    from pgpsig import sop

    if signatures_out is None:
        raise _error(19, "--signatures-out is required")
    _check_output(signatures_out)
    _, sigs = sop.inline_detach(_stdin_stream(), armor_out=not no_armor, output=sys.stdout.buffer)
    sys.stdout.buffer.flush()
    _output(signatures_out, sigs)


@command("sop", "armor")
def sop_armor(
    label: Annotated[
        str,
        Opt(
            "--label",
            metavar="LABEL",
            help="Armor label; auto: the packets' (the option is deprecated).",
            complete="pgpsig.sop:ARMOR_LABELS",
        ),
    ] = "auto",
) -> None:
    """ASCII-armor binary OpenPGP data on stdin."""
    from pgpsig import sop

    _stdout(sop.armor(_stdin(), label=label))


@command("sop", "dearmor")
def sop_dearmor() -> None:
    """Remove the ASCII armor of OpenPGP data on stdin."""
    from pgpsig import sop

    _stdout(sop.dearmor(_stdin()))


@command(
    "",
    "sop",
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "allow_interspersed_args": False,
    },
    add_help_option=False,
)
def sop_command(ctx: Context) -> NoReturn:
    """Stateless OpenPGP (SOP) interface: 'pgpsig sop --help' lists its subcommands."""
    from pgpsig.cli.app import run_sop

    raise Exit(run_sop(list(ctx.args)))
