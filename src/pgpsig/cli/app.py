"""How a command line runs: the entry points, the fast paths, the typer application, exit codes.

:func:`main` (``pgpsig``) runs a plain ``check``, ``verify`` or ``sign`` line through its fast
path (:func:`pgpsig.cli.options.fast_parse`, without importing typer) and everything else through
the typer application, built on first use from the same declarations (:func:`typer_apps`).
:func:`sop_main` (``pgpsig-sop``) and ``pgpsig sop`` run the SOP sub-application with the draft's
exit codes (:func:`run_sop`). Whatever happens becomes an exit code and at most one line on
stderr, never a traceback (:func:`run`): a
:class:`~pgpsig.errors.PgpsigError` by its kind, typer's usage errors as typer shows them, and
anything unexpected as an internal error (fail closed: exit 2, never a "good").
"""

import atexit
import contextlib
import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

from pgpsig.cli.options import (
    COMMANDS,
    Command,
    Opt,
    fast_parse,
    group_class,
    help_class,
    typer_command,
)
from pgpsig.cli.output import (
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_OK,
    Exit,
    UsageError,
    err,
    json_error,
    safe,
    stdout_gone,
    stdout_used,
    usage,
)
from pgpsig.errors import FormatError, InputError, PgpsigError, VerificationError

if TYPE_CHECKING:
    import typer

__all__ = [
    "FAST_PATHS",
    "commands",
    "dispatch",
    "empty_argument",
    "leave",
    "main",
    "run",
    "run_sop",
    "sop_main",
    "typer_apps",
]

#: The modules declaring commands, in the order typer lists them.
_COMMAND_MODULES = ("verify", "sign", "check", "keys", "feeds", "trust_root", "sop", "completion")
#: The commands with a fast path; each is declared in the module of its name.
FAST_PATHS = frozenset({"check", "sign", "verify"})


def _print_version(value: bool) -> None:
    """``--version``/``-V``: print the versions and leave (an eager option of the root)."""
    if value:
        from pgpsig.cli.inputs import versions

        print("\n".join(f"{name} {version}" for name, version in versions().items()))
        raise Exit(EXIT_OK)


def _root(
    version: Annotated[
        bool,
        Opt(
            "--version",
            "-V",
            help="Print the versions of pgpsig and of what it runs on, and exit.",
            callback=_print_version,
            eager=True,
        ),
    ] = False,
) -> None:
    """Sign and check software modules with OpenPGP, with no gpg binary."""


def commands() -> list[Command]:
    """Every command, its module imported (in the order typer lists them)."""
    for name in _COMMAND_MODULES:
        importlib.import_module(f"pgpsig.cli.{name}")
    return list(COMMANDS)


@functools.cache
def typer_apps() -> "dict[str, typer.Typer]":
    """The typer applications: "" (``pgpsig``) and "sop" (``pgpsig sop``, ``pgpsig-sop``)."""
    import typer

    from pgpsig.cli.completion import register as register_completion

    # -h as gpg and sq users expect; groups added to an app inherit it. "sop" also runs on its own
    # (pgpsig-sop), so it says it too.
    help_options = {"help_option_names": ["-h", "--help"]}
    group = group_class()
    apps = {
        "": typer.Typer(
            name="pgpsig",
            cls=group,
            context_settings=help_options,
            help="Sign and check software modules with OpenPGP, with no gpg binary.",
            no_args_is_help=True,
            add_completion=False,  # `pgpsig completion SHELL` instead (see pgpsig.cli.completion)
            pretty_exceptions_enable=False,
        ),
        "key": typer.Typer(
            help="Key lifecycle: generate, certify, revoke, and the certificate store.",
            cls=group,
            no_args_is_help=True,
        ),
        "trust-root": typer.Typer(
            help="The store's trust roots (the keys whose certifications make a signer trusted).",
            cls=group,
            no_args_is_help=True,
        ),
        "sop": typer.Typer(
            name="sop",
            cls=group,
            context_settings=help_options,
            help="Stateless OpenPGP (SOP): sign and verify through the draft's interface.",
            no_args_is_help=True,
            add_completion=False,
            pretty_exceptions_enable=False,
        ),
    }
    apps[""].callback()(typer_command(_root))
    for c in commands():
        apps[c.group].command(c.name, cls=help_class(c.func), **c.settings)(typer_command(c.func))
    apps[""].add_typer(apps["key"], name="key")
    apps["key"].add_typer(apps["trust-root"], name="trust-root")
    register_completion(sop=lambda: typer.main.get_command(apps["sop"]))
    return apps


def fast_command(argv: list[str]) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """(command, keyword arguments) of a plain ``check``, ``verify`` or ``sign`` line, else None."""
    if not argv or argv[0] not in FAST_PATHS:
        return None
    importlib.import_module(f"pgpsig.cli.{argv[0]}")
    (func,) = (c.func for c in COMMANDS if c.group == "" and c.name == argv[0])
    kwargs = fast_parse(func, argv[1:])
    return None if kwargs is None else (func, kwargs)


def _typer_code(e: Exception) -> int | None:
    """The exit code of one of typer's exceptions (a usage error said in one line), else None."""
    if "typer" not in sys.modules:  # before typer is imported, nothing can raise its exceptions
        return None
    import typer
    from typer._click.exceptions import ClickException  # the click typer 0.29 vendors

    if isinstance(e, typer.Exit):
        return e.exit_code  # --help, completion
    if isinstance(e, typer.Abort):
        return EXIT_ERROR
    if isinstance(e, ClickException):  # a usage error: one line, as every other error
        err(_typer_message(e))
        return EXIT_ERROR
    return None


def run(command: Callable[[], Any], *, as_json: bool = False) -> int:
    """Run ``command``; map its result and every error to an exit code (one line on stderr).

    With ``as_json`` (``--json`` on the command line), an error after which the command wrote
    nothing on stdout also prints ``{"error": {"kind", "message"}}`` there (:func:`json_error`).
    """
    code: int
    failure: tuple[str, str] | None = None
    from pgpsig.openpgp.runbudget import run_scope  # not at import: --help loads no openpgp

    stdout_used(reset=True)
    try:
        with run_scope():  # one run: the budgets of judging certificates for the command
            rv = command()
        code = rv if isinstance(rv, int) else EXIT_OK
    except UsageError as e:
        err(e.message)
        code, failure = e.code, ("usage", e.message)
    except Exit as e:
        code = e.code
    except (FormatError, InputError) as e:
        err(str(e))
        kind = "input" if isinstance(e, InputError) else "format"
        code, failure = EXIT_ERROR, (kind, str(e))
    except VerificationError as e:
        err(str(e))
        code, failure = EXIT_FAILED, ("verification", str(e))
    except PgpsigError as e:
        err(str(e))
        code, failure = EXIT_ERROR, ("error", str(e))
    except KeyboardInterrupt:
        err("interrupted")
        code, failure = 130, ("interrupted", "interrupted")
    except BrokenPipeError:
        stdout_gone()
        code = EXIT_FAILED  # what click does on a broken pipe, so both parsers agree
    except Exception as e:  # noqa: BLE001 (fail closed: no traceback, never a "good")
        typer_code = _typer_code(e)
        if typer_code is None:
            message = internal_error(e)
            err(message)
            code, failure = EXIT_ERROR, ("internal", message)
        else:
            code = typer_code
            if code == EXIT_ERROR:
                failure = ("usage", _typer_message(e))
    if as_json and failure is not None:
        with contextlib.suppress(OSError):
            json_error(*failure)
    return code


#: The environment variable that shows the traceback of an internal error.
DEBUG_VARIABLE = "PGPSIG_DEBUG"


def internal_error(e: BaseException) -> str:
    """The one line that reports a bug (an exception pgpsig did not expect).

    With ``PGPSIG_DEBUG`` set (to anything but ``0`` or nothing), the traceback is written to
    stderr first; without it, the line says how to see it.
    """
    line = f"internal error ({type(e).__name__}): {e}"
    if os.environ.get(DEBUG_VARIABLE, "") in ("", "0"):
        return f"{line} (run with {DEBUG_VARIABLE}=1 to see where; please report it)"
    import traceback

    traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
    return line


def _typer_message(e: Exception) -> str:
    """The one line of a usage error typer raised, saying where to read how to do it."""
    message = getattr(e, "format_message", None)
    text = str(message() if callable(message) else e)
    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        text = f"{text.rstrip('.')} ('{ctx.command_path} -h' shows the usage)"
    return text


def _wants_json(argv: list[str]) -> bool:
    """Whether ``--json`` is among the options of the command line (before any ``--``)."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in options


def empty_argument(argv: list[str]) -> str | None:
    """Why ``argv`` is refused if it holds an empty argument (``""``, ``--keyring=``), else None.

    No option or argument of pgpsig takes an empty value, and both parsers would turn an empty
    path into ``.``: ``--keyring "$KEYRING"`` with the variable unset would read the current
    directory as a keyring, ``--cache-dir ""`` write there. ``pgpsig sop`` keeps the SOP
    draft's rules and exit codes, as ``pgpsig-sop``.
    """
    if argv[:1] == ["sop"]:
        return None
    for i, arg in enumerate(argv):
        if arg == "":
            after = f" after {argv[i - 1]}" if i and argv[i - 1].startswith("-") else ""
            return f"an empty argument{after}: no option or argument takes an empty value"
        if arg.startswith("--") and arg.endswith("=") and len(arg) > 3:
            return f"an empty value for {arg[:-1]}: no option takes an empty value"
    return None


def dispatch(argv: list[str], *, fast: bool = True) -> int:
    """Run one command line: through a fast path when it has one (``fast``), else through typer.

    A line with an empty argument is a usage error (:func:`empty_argument`).
    """
    empty = empty_argument(argv)
    if empty is not None:
        return run(functools.partial(usage, empty), as_json=_wants_json(argv))
    try:
        parsed = fast_command(argv) if fast else None
    except Exception:  # noqa: BLE001 (whatever the fast parser cannot take, typer judges)
        parsed = None
    if parsed is not None:
        func, kwargs = parsed
        return run(lambda: func(**kwargs), as_json=_wants_json(argv))
    return run(lambda: _typer_main(argv), as_json=_wants_json(argv))


def _typer_main(argv: list[str]) -> Any:
    """Run ``argv`` through typer (or answer a shell's completion request, and exit)."""
    from pgpsig.cli.completion import COMPLETE_VAR

    # With standalone_mode=False, click returns the code of its Exit (--help) instead of raising.
    # The completion variable is pgpsig's however the program is named (python -m pgpsig).
    return typer_apps()[""](args=argv, standalone_mode=False, complete_var=COMPLETE_VAR)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run ``pgpsig``; map every error to an exit code and one line on stderr."""
    code = dispatch(sys.argv[1:] if argv is None else list(argv))
    try:
        sys.stdout.flush()
    except OSError:  # the report did not reach its reader: never a success
        stdout_gone()
        code = code or EXIT_FAILED
    leave(code)


def leave(code: int) -> NoReturn:
    """End the process with ``code``, without tearing the interpreter down when nothing needs it.

    A normal exit frees every object and module one by one: after a check, about 6 ms, more than
    checking a small module's files takes. When no exit handler is registered (multiprocessing's,
    a finalizer's) and no thread but this one would be waited for, nothing of that teardown is
    observable, so the process ends at once (``os._exit``, as mypy does), stderr flushed first;
    otherwise through ``sys.exit``. The caller has flushed stdout (and judged a failure to).
    """
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    if atexit._ncallbacks() == 0 and not _threads_to_join():
        os._exit(code)
    sys.exit(code)


def _threads_to_join() -> bool:
    """Whether a thread other than this one is alive and not a daemon (an exit waits for it)."""
    threading = sys.modules.get("threading")  # never imported: no thread was started through it
    if threading is None:
        return False
    me = threading.current_thread()
    return any(t is not me and not t.daemon and t.is_alive() for t in threading.enumerate())


# --------------------------------------------------------------------------------------------------
# SOP (``pgpsig sop``, ``pgpsig-sop``): the draft's exit codes (pgpsig.sop.SopExit), not pgpsig's


def _sop_say(prog: str, message: str) -> None:
    print(f"{prog}: {safe(message)}", file=sys.stderr)


def _sop_usage_code(e: Exception, argv: list[str], prog: str) -> int | None:
    """The SOP exit code of one of typer's usage errors (said on stderr), else None."""
    if "typer" not in sys.modules:  # before typer is imported, nothing can raise its errors
        return None
    import typer
    from typer._click.exceptions import MissingParameter, NoSuchOption, UsageError

    from pgpsig.sop import SopExit

    if isinstance(e, typer.Abort):
        return 1
    if not isinstance(e, UsageError):
        return None
    if not argv:
        _sop_say(prog, f"give a subcommand ('{prog} --help' lists them)")
        return int(SopExit.MISSING_ARG)
    message = e.format_message()
    _sop_say(prog, message)
    if isinstance(e, NoSuchOption):
        return int(SopExit.UNSUPPORTED_OPTION)
    if isinstance(e, MissingParameter):
        return int(SopExit.MISSING_ARG)
    if "No such command" in message:
        return int(SopExit.UNSUPPORTED_SUBCOMMAND)
    return int(SopExit.UNSUPPORTED_OPTION)  # a bad value, or an unexpected extra argument


def run_sop(argv: list[str], prog: str = "pgpsig sop") -> int:
    """Run the sop sub-app on ``argv``; return the SOP exit code (never raises, no traceback)."""
    from pgpsig.openpgp.runbudget import run_scope
    from pgpsig.sop import SopError, SopExit

    try:
        with run_scope():
            rv = typer_apps()["sop"](args=argv, prog_name=prog, standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except Exit as e:
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
        _sop_say(prog, internal_error(e))
        return 1


def sop_main(argv: list[str] | None = None) -> NoReturn:
    """Run ``pgpsig-sop``: the sop sub-app as a top-level program, with SOP exit codes."""
    code = run_sop(sys.argv[1:] if argv is None else argv, prog="pgpsig-sop")
    with contextlib.suppress(OSError):
        sys.stdout.flush()
    leave(code)
