"""One declaration of each command's options, and the two parsers derived from it.

A command is a plain function registered with :func:`command`. Each parameter is declared once, as
``Annotated[TYPE, Opt(...)]`` (an option) or ``Annotated[TYPE, Arg(...)]`` (a positional
argument): the names, the help and the choices are in :class:`Opt` and :class:`Arg`,
the kind of value is the parameter's type (``bool`` a flag, ``int``, ``float``, ``str``, ``Path``,
``list[...]`` repeatable), whether it is required is whether it has a default. From that one
declaration this module derives

* the typer command (:func:`typer_command`, :func:`help_class`), built only when typer is needed:
  help (listing each option's choices), completion (offering them), usage errors and every
  command line without a fast path; and
* the fast path (:func:`fast_parse`): a plain command line parsed without importing typer (typer
  0.29 imports pydantic; with its option adapters, about half of a small ``check``). It takes only
  what it parses exactly as typer would; anything else (``--help``, an unknown or misspelt option,
  a missing or dash-leading value, a repeated single option, a bad number, a wrong count of
  arguments, a missing required option, an existing path that cannot be read) it leaves to typer,
  which says what is wrong.

``tests/cli/test_cli_fast.py`` holds the two to the same results on the same command lines. This
module leaves out what a command does (its module's) and how a command line is run (:mod:`.app`).
"""

import importlib
import os
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

__all__ = [
    "COMMANDS",
    "Arg",
    "At",
    "Command",
    "Context",
    "FastSpec",
    "Json",
    "Keyrings",
    "Opt",
    "Param",
    "PassphraseEnv",
    "PassphraseFile",
    "PolicyName",
    "choices",
    "command",
    "fast_parse",
    "fast_spec",
    "help_class",
    "params",
    "typer_command",
]


class Opt:
    """An option: its names (``"--keyring", "-k"``), its help and its choices.

    ``complete`` is the option's fixed set of values, if it has one: a tuple, or ``"module:NAME"``
    naming the library's collection of them (read only when ``--help`` shows them or a shell asks
    for them, so a command never imports it to start; see :func:`choices`). ``callback`` and
    ``eager`` are typer's (an option acting at once, as ``--version``; such an option is never on
    a fast path). ``metavar`` is the value's name in ``--help`` (default: by its kind, ``PATH``,
    ``TEXT``, ``N``; none for a flag).
    """

    __slots__ = ("callback", "complete", "eager", "help", "metavar", "names")

    def __init__(
        self,
        *names: str,
        help: str,  # noqa: A002 (typer's name for it)
        complete: tuple[str, ...] | str = (),
        callback: Callable[[Any], None] | None = None,
        eager: bool = False,
        metavar: str | None = None,
    ) -> None:
        self.names = names
        self.help = help
        self.complete = complete
        self.callback = callback
        self.eager = eager
        self.metavar = metavar


class Arg:
    """A positional argument: its help and choices, as :class:`Opt`'s, and its name in ``--help``.

    ``metavar`` defaults to the parameter's name in capitals (``CERT``).
    """

    __slots__ = ("complete", "help", "metavar")

    def __init__(
        self,
        help: str,  # noqa: A002 (typer's name for it)
        complete: tuple[str, ...] | str = (),
        metavar: str | None = None,
    ) -> None:
        self.help = help
        self.complete = complete
        self.metavar = metavar


class Context:
    """The type of a parameter that receives the command's context (``.args``: what is left).

    What ``typer.Context`` is, without importing typer; :func:`typer_command` puts typer's in its
    place.
    """

    args: list[str]


class Param:
    """One parameter of a command, as declared.

    ``kind`` is one of ``flag int float str path strs paths context``; ``annotation`` the declared
    type (without its :class:`Opt` or :class:`Arg`); ``decl`` that declaration (None for the
    context).
    """

    __slots__ = ("annotation", "decl", "kind", "name", "required")

    def __init__(
        self, name: str, kind: str, annotation: Any, decl: Opt | Arg | None, *, required: bool
    ) -> None:
        self.name = name
        self.kind = kind
        self.annotation = annotation
        self.decl = decl
        self.required = required


_F = TypeVar("_F", bound=Callable[..., Any])


class Command:
    """A registered command: its group (``""`` top level, ``key``, ``trust-root``, ``sop``)."""

    __slots__ = ("func", "group", "name", "settings")

    def __init__(
        self, group: str, name: str, func: Callable[..., Any], settings: Mapping[str, Any]
    ) -> None:
        self.group = group
        self.name = name
        self.func = func
        self.settings = settings


#: Every command, in the order its module registered it (typer lists them in that order).
COMMANDS: list[Command] = []


def command(group: str, name: str, **settings: Any) -> Callable[[_F], _F]:
    """Register a command of ``group`` named ``name``; ``settings`` go to typer's ``command()``."""

    def register(func: _F) -> _F:
        COMMANDS.append(Command(group, name, func, settings))
        return func

    return register


_KINDS: dict[Any, str] = {bool: "flag", int: "int", float: "float", str: "str", Path: "path"}
_LIST_KINDS: dict[Any, str] = {str: "strs", Path: "paths"}


def _kind(annotation: Any) -> str:
    """The kind of a declared type.

    Raises:
        TypeError: a type no declaration uses (the fast path would not know how typer reads it).
    """
    if annotation is Context:
        return "context"
    base = annotation
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"unsupported parameter type {annotation!r}")
        base = rest[0]
    if get_origin(base) is list:
        (item,) = get_args(base)
        if item in _LIST_KINDS:
            return _LIST_KINDS[item]
    elif base in _KINDS:
        return _KINDS[base]
    raise TypeError(f"unsupported parameter type {annotation!r}")


def params(func: Callable[..., Any]) -> tuple[Param, ...]:
    """The declared parameters of a command, in order.

    Raises:
        TypeError: a parameter is declared with no :class:`Opt` or :class:`Arg`, or with a type
            no declaration may use.
    """
    out = []
    for name, declared, required in _signature(func):
        decl: Opt | Arg | None = None
        annotation = declared
        if get_origin(annotation) is Annotated:
            annotation, *meta = get_args(annotation)
            found = [m for m in meta if isinstance(m, (Opt, Arg))]
            if len(found) != 1:
                raise TypeError(f"{func.__name__}({name}): declare one Opt or Arg")
            decl = found[0]
        kind = _kind(annotation)
        if (decl is None) != (kind == "context"):
            raise TypeError(f"{func.__name__}({name}): declare one Opt or Arg")
        out.append(Param(name, kind, annotation, decl, required=required))
    return tuple(out)


def _signature(func: Callable[..., Any]) -> list[tuple[str, Any, bool]]:
    """(name, annotation, required) of each parameter of ``func``, in order.

    What ``inspect.signature`` says of a plain function, read from the function itself: importing
    :mod:`inspect` (with ``ast``, ``dis`` and ``tokenize``) cost every fast command line 7 ms.

    Raises:
        TypeError: ``func`` takes ``*args`` or ``**kwargs`` (no declaration may).
    """
    code = func.__code__
    if code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
        raise TypeError(f"{func.__name__}: declare each parameter")
    positional = code.co_argcount
    names = code.co_varnames[: positional + code.co_kwonlyargcount]
    first_default = positional - len(func.__defaults__ or ())
    keyword_defaults = func.__kwdefaults__ or {}
    return [
        (
            name,
            func.__annotations__.get(name),
            i < first_default if i < positional else name not in keyword_defaults,
        )
        for i, name in enumerate(names)
    ]


# --------------------------------------------------------------------------------------------------
# typer, built from the declaration


def choices(values: tuple[str, ...] | str) -> tuple[str, ...]:
    """The values of a ``complete`` declaration as the command line spells them (lower case).

    A ``"module:NAME"`` is read now (its module imported): a collection of names, or a mapping
    whose keys are the names.
    """
    found: Iterable[str] = values
    if isinstance(values, str):
        module, _, name = values.partition(":")
        found = getattr(importlib.import_module(module), name)
    return tuple(str(v).lower() for v in found)


def _completion(values: tuple[str, ...] | str) -> Callable[[str], list[str]]:
    """Typer's completion callback offering the :func:`choices` of ``values``."""

    def complete(incomplete: str) -> list[str]:
        return [v for v in choices(values) if v.startswith(incomplete)]

    return complete


def _listed(help: str, values: tuple[str, ...] | str) -> str:  # noqa: A002 (typer's name)
    """``help`` followed by the choices of ``values``."""
    return f"{help} Choices: {', '.join(choices(values))}."


def _plain_help(command: Any, ctx: Any) -> None:
    """No value name after ``--help`` (typer 0.29 shows ``<bool>``)."""
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        help_option.metavar = ""


def _plain_arguments(command: Any) -> None:
    """Each positional argument shown by its name alone, as click does.

    The name is :class:`Arg`'s ``metavar`` (else the parameter's in capitals, given when the
    typer argument is made, so that usage errors say it too); typer 0.29 adds a Python type
    (``<list[Path]>``) in ``--help`` and writes a required argument ``{CERT}`` in the usage
    line, which reads as a set of choices: here ``CERT``, ``[MODULE_DIR]...``.
    """
    for param in command.params:
        if getattr(param, "param_type_name", None) != "argument":
            continue
        name = param.metavar or (param.name or "").upper()
        piece = (name if param.required else f"[{name}]") + ("..." if param.nargs != 1 else "")
        param.display_type_rich = lambda ctx: None
        param.get_usage_pieces = lambda ctx, piece=piece: [piece]


def help_class(func: Callable[..., Any]) -> type[Any]:
    """Typer's command class for ``func``: a readable ``--help`` that lists each choice.

    The choices are read when the help is shown (reading them all to build every command would
    import half the library on each command line typer parses, each TAB of a shell's completion
    too); arguments and ``--help`` are shown as :func:`_plain_arguments` and :func:`_plain_help`
    say.
    """
    from typer.core import TyperCommand

    declared = {p.name: p.decl for p in params(func) if p.decl is not None and p.decl.complete}

    class Listing(TyperCommand):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _plain_arguments(self)

        def format_help(self, ctx: Any, formatter: Any) -> None:
            for param in self.params:
                decl = declared.get(param.name or "")
                if decl is not None and hasattr(param, "help"):
                    param.help = _listed(decl.help, decl.complete)
            _plain_help(self, ctx)
            super().format_help(ctx, formatter)

    return Listing


def group_class() -> type[Any]:
    """Typer's group class: ``--help`` without ``<bool>`` (:func:`_plain_help`)."""
    from typer.core import TyperGroup

    class PlainGroup(TyperGroup):
        def format_help(self, ctx: Any, formatter: Any) -> None:
            _plain_help(self, ctx)
            super().format_help(ctx, formatter)

    return PlainGroup


#: The value's name in ``--help`` for each kind of option (typer 0.29 shows ``<list[Path]>``).
_METAVARS = {"flag": "", "int": "N", "float": "NUMBER", "str": "TEXT", "path": "PATH",
             "strs": "TEXT", "paths": "PATH"}  # fmt: skip


def _typer_param(decl: Opt | Arg, kind: str, name: str) -> Any:
    """The typer ``Option`` or ``Argument`` of a declaration of ``kind`` for parameter ``name``."""
    import typer

    if isinstance(decl, Arg):
        extra_arg: dict[str, Any] = {"metavar": decl.metavar or name.upper()}
        if decl.complete:
            extra_arg["autocompletion"] = _completion(decl.complete)
        return typer.Argument(help=decl.help, **extra_arg)
    extra: dict[str, Any] = {
        "metavar": decl.metavar if decl.metavar is not None else _METAVARS.get(kind)
    }
    if decl.callback is not None:
        extra.update(callback=decl.callback, is_eager=decl.eager)
    if decl.complete:
        extra["autocompletion"] = _completion(decl.complete)
    return typer.Option(*decl.names, help=decl.help, **extra)


def typer_command(
    func: Callable[..., Any], call: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """``func`` as typer wants it: the same parameters, annotated with typer's metadata.

    Typer reads the returned function's signature; when run, it calls ``call`` (``func`` unless
    given: tests pass a recorder) with the parsed keyword arguments.
    """
    import inspect

    import typer

    target = func if call is None else call
    signature = inspect.signature(func)
    annotations: dict[str, Any] = {}
    new = []
    for p, declared in zip(signature.parameters.values(), params(func), strict=True):
        if declared.decl is None:
            annotation: Any = typer.Context
        else:
            annotation = Annotated[
                declared.annotation, _typer_param(declared.decl, declared.kind, declared.name)
            ]
        annotations[p.name] = annotation
        new.append(p.replace(annotation=annotation))

    def run(**kwargs: Any) -> Any:
        return target(**kwargs)

    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=new, return_annotation=None
    )
    run.__annotations__ = annotations
    run.__name__ = func.__name__
    run.__qualname__ = func.__qualname__
    run.__doc__ = func.__doc__
    run.__module__ = func.__module__
    return run


# --------------------------------------------------------------------------------------------------
# The fast path, derived from the declaration


class FastSpec:
    """What the fast parser knows of a command: every option name, the positional, what is needed.

    ``options`` maps each name an option is known by to (parameter, kind); ``positional`` is
    (parameter, kind, many, required) of the one positional parameter, if any; ``required`` the
    options without a default.
    """

    __slots__ = ("options", "positional", "required")

    def __init__(
        self,
        options: Mapping[str, tuple[str, str]],
        positional: tuple[str, str, bool, bool] | None,
        required: tuple[str, ...],
    ) -> None:
        self.options = options
        self.positional = positional
        self.required = required


#: Kinds the fast parser converts as typer does.
_FAST_KINDS = frozenset({"flag", "int", "str", "path", "strs", "paths"})


def fast_spec(func: Callable[..., Any]) -> FastSpec | None:
    """The fast parser's view of ``func``, or None if it has no fast path.

    It has none with more than one positional parameter, a kind the fast parser does not convert
    (``float``, the context) or an option acting at once (``--version``).
    """
    options: dict[str, tuple[str, str]] = {}
    positional: list[tuple[str, str, bool, bool]] = []
    required = []
    for p in params(func):
        if p.kind not in _FAST_KINDS:
            return None
        if isinstance(p.decl, Arg):
            positional.append((p.name, p.kind, p.kind in ("strs", "paths"), p.required))
            continue
        assert isinstance(p.decl, Opt)
        if p.decl.callback is not None:
            return None
        options.update(dict.fromkeys(p.decl.names, (p.name, p.kind)))
        if p.required:
            required.append(p.name)
    if len(positional) > 1:
        return None
    return FastSpec(options, positional[0] if positional else None, tuple(required))


def fast_parse(func: Callable[..., Any], argv: list[str]) -> dict[str, Any] | None:
    """The keyword arguments typer would give ``func`` for ``argv``, or None: leave it to typer.

    ``argv`` follows the command's name. Given arguments only: the function's defaults apply.
    """
    spec = fast_spec(func)
    if spec is None:
        return None
    kwargs: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
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
        if name not in spec.options:
            return None
        param, kind = spec.options[name]
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
        converted = _convert(kind, value)
        if converted is None:
            return None
        if kind in ("paths", "strs"):
            kwargs.setdefault(param, []).append(converted)
        elif param in kwargs:
            return None
        else:
            kwargs[param] = converted
    if spec.positional is None:
        if positional:
            return None
    else:
        pname, pkind, many, required = spec.positional
        if (required and not positional) or (not many and len(positional) > 1):
            return None
        single = pkind.removesuffix("s")
        values = [_convert(single, p) for p in positional]
        if any(v is None for v in values):
            return None
        if many and values:
            kwargs[pname] = values
        elif values:
            kwargs[pname] = values[0]
    if any(name not in kwargs for name in spec.required):
        return None
    return kwargs


def _convert(kind: str, value: str) -> Any:
    """``value`` as typer converts it for ``kind`` (one item of a list), or None if unsure."""
    if kind == "int":
        # int() refuses more than 4,300 digits (typer then says so); 9 digits is plenty here.
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            return None
        return int(value)
    if kind.startswith("path"):
        return Path(value) if _readable_or_absent(value) else None
    return value


def _readable_or_absent(path: str) -> bool:
    """Whether typer's path parameters take ``path`` (click's ``Path(readable=True)``)."""
    return path == "-" or not os.path.exists(path) or os.access(path, os.R_OK)  # noqa: PTH110


# --------------------------------------------------------------------------------------------------
# Options several commands share (one declaration each)

_CACHE_HELP = (
    "Keep SHA-1 collision verdicts in DIR (default: $XDG_CACHE_HOME/pgpsig or ~/.cache/pgpsig)."
)

#: ``--json``.
Json = Annotated[bool, Opt("--json", help="Print one JSON document on stdout.")]
#: ``--require-fresh`` of ``check`` and ``verify``.
RequireFresh = Annotated[
    bool,
    Opt(
        "--require-fresh",
        help="Fail unless the store's keyring feeds are in force (pgpsig key update): a trust root"
        " without one certifies no one.",
    ),
]
#: ``--cache-dir`` and ``--no-cache`` of ``check`` and ``verify``.
CacheDirOption = Annotated[Path | None, Opt("--cache-dir", metavar="DIR", help=_CACHE_HELP)]
NoCache = Annotated[bool, Opt("--no-cache", help="Keep no verdict: scan SHA-1 data every time.")]
#: ``--at``.
At = Annotated[
    str | None, Opt("--at", help="Judge as of this ISO 8601 time instead of now.", metavar="TIME")
]
#: ``--policy`` of the commands that judge.
PolicyName = Annotated[
    str,
    Opt(
        "--policy",
        metavar="NAME",
        help="Policy profile.",
        complete="pgpsig.policy:PROFILES",
    ),
]
#: ``--keyring`` of the commands that read certificates, the store by default.
Keyrings = Annotated[
    list[Path] | None,
    Opt(
        "--keyring",
        "-k",
        help="Certificate file or directory (repeatable). Default: the user's store.",
    ),
]
#: ``--passphrase-file`` of the key commands.
PassphraseFile = Annotated[
    Path | None,
    Opt("--passphrase-file", help="File whose first line is the secret key's passphrase."),
]
#: The default of ``--passphrase-env``: the variable that holds a secret key's passphrase.
PASSPHRASE_ENV = "PGPSIG_PASSPHRASE"  # noqa: S105 (the name of a variable, not a passphrase)
#: ``--passphrase-env``.
PassphraseEnv = Annotated[
    str,
    Opt(
        "--passphrase-env",
        help="Environment variable holding the passphrase (used when no --passphrase-file).",
        metavar="VAR",
    ),
]
