"""Value classes: ``dataclass``, ``field``, ``replace`` and ``NamedTuple``, without their start-up cost.

The standard library's ``dataclasses.dataclass`` writes each generated method as source and
compiles it with ``exec``: about 1 ms a class, and ``import dataclasses`` imports ``inspect``
(with ``ast``, ``dis``, ``tokenize``). With some 35 value classes on the path of ``pgpsig check``
that was a third of its start-up. This decorator makes the same methods from shared functions,
with nothing compiled at import (only a class a run makes many instances of gets its own
``__init__`` compiled, at the 64th), for the subset pgpsig uses: ``frozen``, ``slots``,
``kw_only`` and ``eq``, and fields with ``default``, ``default_factory``, ``init``, ``repr`` and
``compare``.

What callers see is what ``dataclasses`` gives: ``__init__`` (then ``__post_init__``), a
``Name(field=value, ...)`` ``__repr__``, ``__match_args__``, ``__replace__`` (3.13's
``copy.replace``), ``__eq__`` over the compared fields of two instances of one class, ``__hash__``
for frozen classes (``None`` for mutable ones, unless ``eq=False``),
``dataclasses.FrozenInstanceError`` on assignment to a frozen instance, pickling of frozen slotted
ones, and ``__dataclass_fields__``, built by ``dataclasses`` itself on first use, so
``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` work (``replace`` here does
what ``dataclasses.replace`` does without importing it). A method the class defines itself is
kept. Anything else (``order``, ``unsafe_hash``, ``ClassVar``/``InitVar`` fields, the ``KW_ONLY``
marker, a class body's own ``__slots__``, inheritance between value classes) is refused with a
``TypeError`` when the class is made.

:class:`NamedTuple` is ``typing.NamedTuple`` less its checks of the annotations: under ``from
__future__ import annotations`` ``typing`` compiles each annotation's text (0.3 ms a class); here
the class is ``collections.namedtuple``'s with the class body's methods, and ``__annotations__``
keeps the text.
"""

from __future__ import annotations

import sys
from collections import namedtuple
from collections.abc import Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from dataclasses import replace  # mypy checks field names in calls of dataclasses.replace
    from typing import NamedTuple  # mypy knows it

    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Any:
        """Type checkers only: at run time, the decorated function as it is."""
        return lambda f: f


__all__ = ["NamedTuple", "dataclass", "field", "replace"]

_T = TypeVar("_T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: No default (a field's ``default`` or ``default_factory`` left out).
_MISSING: Any = _Missing()


class _Field:
    """What :func:`field` returns: a field's options, read by :func:`dataclass`."""

    __slots__ = ("compare", "default", "default_factory", "init", "repr")

    def __init__(
        self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


@overload
def field(*, default: _T, init: bool = True, repr: bool = True, compare: bool = True) -> _T: ...
@overload
def field(
    *, default_factory: Callable[[], _T], init: bool = True, repr: bool = True, compare: bool = True
) -> _T: ...
@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field's options, as ``dataclasses.field`` takes them."""
    return _Field(default, default_factory, init, repr, compare)


@overload
@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: type[_T], /) -> type[_T]: ...
@overload
def dataclass(
    *, frozen: bool = False, slots: bool = False, kw_only: bool = False, eq: bool = True
) -> Callable[[type[_T]], type[_T]]: ...
def dataclass(
    cls: type[_T] | None = None,
    /,
    *,
    frozen: bool = False,
    slots: bool = False,
    kw_only: bool = False,
    eq: bool = True,
) -> Any:
    """Make ``cls`` a value class, as ``dataclasses.dataclass`` with the same options would."""

    def wrap(cls: type[_T]) -> type[_T]:
        return _make(cls, frozen=frozen, slots=slots, kw_only=kw_only, eq=eq)

    return wrap if cls is None else wrap(cls)


def _make(cls: type[_T], *, frozen: bool, slots: bool, kw_only: bool, eq: bool) -> type[_T]:
    body = cls.__dict__
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__qualname__}: a value class cannot inherit")
    if "__slots__" in body:  # the class is made anew: its own slots would clash with ours
        raise TypeError(
            f"{cls.__qualname__}: a value class cannot define __slots__ (use slots=True)"
        )
    annotations: dict[str, Any] = body.get("__annotations__", {})
    specs: dict[str, _Field] = {}
    for name, kind in annotations.items():
        head = _head(kind)
        if head in ("ClassVar", "InitVar"):
            raise TypeError(f"{cls.__qualname__}.{name}: ClassVar and InitVar are not supported")
        if head == "KW_ONLY":
            raise TypeError(
                f"{cls.__qualname__}.{name}: KW_ONLY is not supported (use kw_only=True)"
            )
        value = body.get(name, _MISSING)
        spec = value if isinstance(value, _Field) else _Field(value, _MISSING, True, True, True)
        if spec.default is not _MISSING and type(spec.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(spec.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        specs[name] = spec
    names = tuple(specs)
    params = [n for n in names if specs[n].init]
    if not kw_only:
        required = [n for n in params if _no_default(specs[n])]
        if required and params.index(required[-1]) >= len(required):
            raise TypeError(f"{cls.__qualname__}: a field without a default follows one with one")

    ns = dict(body)
    ns.pop("__dict__", None)  # the new class makes its own (or none, with slots)
    ns.pop("__weakref__", None)
    for name in names:  # as dataclasses: the class attribute is the default, or none
        ns.pop(name, None)
        if not slots and specs[name].default is not _MISSING:
            ns[name] = specs[name].default
    if slots:
        ns["__slots__"] = names
    post_init = "__post_init__" in body
    ns.setdefault(
        "__init__",
        _init(cls.__qualname__, specs, kw_only=kw_only, frozen=frozen, post_init=post_init),
    )
    ns.setdefault("__repr__", _repr(tuple(n for n in names if specs[n].repr)))
    ns.setdefault("__match_args__", () if kw_only else tuple(params))
    ns.setdefault("__replace__", _replace)
    if eq:
        key = _key(tuple(n for n in names if specs[n].compare))
        ns.setdefault("__eq__", _eq(key))
        if "__hash__" not in body or (body["__hash__"] is None and "__eq__" in body):
            ns["__hash__"] = _hash(key) if frozen else None
    if frozen:
        for method in ("__setattr__", "__delattr__"):
            if method in body:
                raise TypeError(f"cannot overwrite attribute {method} in class {cls.__qualname__}")
        ns["__setattr__"] = _refuse_set
        ns["__delattr__"] = _refuse_delete
        if slots:
            ns.setdefault("__getstate__", _getstate(names))
            ns.setdefault("__setstate__", _setstate(names))
    meta: Any = type(cls)
    new: type[_T] = meta(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__
    new.__dataclass_fields__ = _Fields(new, specs, frozen=frozen, kw_only=kw_only, eq=eq)  # type: ignore[attr-defined]
    return new


def _head(kind: Any) -> str:
    """The name an annotation starts with: ``ClassVar`` for ``"typing.ClassVar[int]"``.

    Without ``from __future__ import annotations``, ``dataclasses.KW_ONLY`` is an instance (whose
    module its holder has imported), anything else its class or generic alias's ``__name__``.
    """
    if not isinstance(kind, str):
        known = sys.modules.get("dataclasses")
        if known is not None and kind is getattr(known, "KW_ONLY", None):
            return "KW_ONLY"
        kind = getattr(kind, "__name__", "")
    return str(kind).partition("[")[0].strip().rpartition(".")[2]


def _no_default(spec: _Field) -> bool:
    return spec.default is _MISSING and spec.default_factory is _MISSING


#: Instances a class makes with the shared ``__init__`` before it gets one compiled for it.
_COMPILE_AFTER = 64


def _init(
    qualname: str, specs: dict[str, _Field], *, kw_only: bool, frozen: bool, post_init: bool
) -> Callable[..., None]:
    """``__init__``: the arguments bound as the generated ``__init__`` of dataclasses binds them.

    The shared ``__init__`` costs nothing to make but 0.3 us more a call (3 fields) than one
    compiled for the class: a class gets its own compiled (:func:`_compiled_init`) at its
    :data:`_COMPILE_AFTER`-th instance, so that only the classes a run makes many of (``Packet``,
    ``Subpacket``, ``Signature``: many per key file) pay for it.
    """
    plan = tuple(
        (name, spec.init, spec.default, spec.default_factory) for name, spec in specs.items()
    )
    positional = 0 if kw_only else sum(s.init for s in specs.values())
    accepted = frozenset(n for n, s in specs.items() if s.init)
    setter = object.__setattr__ if frozen else setattr
    missing = _MISSING
    made = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal made
        made += 1
        if made == _COMPILE_AFTER:
            compiled = _compiled_init(specs, setter, kw_only=kw_only, post_init=post_init)
            for owner in type(self).__mro__:
                if owner.__dict__.get("__init__") is __init__:
                    owner.__init__ = compiled  # type: ignore[misc]
                    break
        given = len(args)
        if given > positional:
            raise TypeError(
                f"{qualname}.__init__() takes {positional + 1} positional arguments "
                f"but {given + 1} were given"
            )
        taken = 0  # positional arguments bound
        named = 0  # keyword arguments bound
        for name, init, default, factory in plan:
            if init and taken < given:
                value = args[taken]
                taken += 1
                if kwargs and name in kwargs:
                    raise TypeError(f"{qualname}.__init__() got multiple values for {name!r}")
            elif init and name in kwargs:
                value = kwargs[name]
                named += 1
            elif default is not missing:
                value = default
            elif factory is not missing:
                value = factory()
            elif init:
                raise TypeError(f"{qualname}.__init__() missing required argument {name!r}")
            else:
                continue
            setter(self, name, value)
        if named != len(kwargs):
            unknown = sorted(set(kwargs) - accepted)[0]
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {unknown!r}")
        if post_init:
            self.__post_init__()

    return __init__


def _compiled_init(
    specs: dict[str, _Field], setter: Any, *, kw_only: bool, post_init: bool
) -> Callable[..., None]:
    """The ``__init__`` dataclasses compiles: the same arguments, defaults and factories.

    Defaults and factories are globals of the function; an argument with a factory defaults to a
    marker that calls for it. Field names are identifiers; ``exec`` of source (unlike
    ``compile()``) does not build the AST types.
    """
    namespace: dict[str, Any] = {"__setter": setter, "__marker": _MISSING}
    params = []
    lines = []
    for i, (name, spec) in enumerate(specs.items()):
        value = name
        if spec.default is not _MISSING:
            namespace[f"__default_{i}"] = spec.default
            default = f"__default_{i}"
        elif spec.default_factory is not _MISSING:
            namespace[f"__factory_{i}"] = spec.default_factory
            default = "__marker"
            value = (
                f"__factory_{i}()"
                if not spec.init
                else f"__factory_{i}() if {name} is __marker else {name}"
            )
        else:
            default = ""
        if spec.init:
            params.append(f"{name}={default}" if default else name)
        elif spec.default is not _MISSING:
            value = default
        elif spec.default_factory is _MISSING:
            continue  # set by __post_init__, if at all
        lines.append(f"    __setter(__self, {name!r}, {value})")
    if post_init:
        lines.append("    __self.__post_init__()")
    star = "*, " if kw_only and params else ""
    source = f"def __init__(__self, {star}{', '.join(params)}):\n" + "\n".join(
        lines or ["    pass"]
    )
    exec(source, namespace)  # noqa: S102 - our own source, from field names
    init: Callable[..., None] = namespace["__init__"]
    return init


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    """``__repr__``: ``Name(field=value, ...)`` over the fields shown."""

    def __repr__(self: Any) -> str:
        shown = ", ".join([f"{n}={getattr(self, n)!r}" for n in names])
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the compared fields (as dataclasses compares and hashes them)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda _self: ()


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _frozen(name: str) -> AttributeError:
    from dataclasses import FrozenInstanceError  # noqa: PLC0415 - only when code breaks the rule

    return FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise _frozen(name)


def _refuse_delete(self: Any, name: str) -> None:
    raise _frozen(name)


def _getstate(names: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    """A frozen slotted instance's pickled state: its field values (as dataclasses has it)."""

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, n) for n in names]

    return __getstate__


def _setstate(names: tuple[str, ...]) -> Callable[[Any, list[Any]], None]:
    def __setstate__(self: Any, state: list[Any]) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    return __setstate__


class _Fields(Mapping[str, Any]):
    """``__dataclass_fields__``: made by ``dataclasses`` itself when first read.

    ``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` (and the tools built on
    them) find a value class by this attribute; they are the only readers, and have imported
    ``dataclasses`` already. The real ``Field`` objects come from a stand-in class with the same
    fields that ``dataclasses.dataclass`` processes, so they are what the standard library makes.
    """

    __slots__ = ("_cls", "_fields", "_options", "specs")

    def __init__(self, cls: type, specs: dict[str, _Field], **options: bool) -> None:
        self._cls = cls
        self.specs = specs
        self._options = options
        self._fields: dict[str, Any] | None = None

    def _real(self) -> dict[str, Any]:
        if self._fields is None:
            import dataclasses  # noqa: PLC0415 - its readers have imported it already

            ns: dict[str, Any] = {
                "__annotations__": dict(self._cls.__annotations__),
                "__module__": self._cls.__module__,
                "__qualname__": self._cls.__qualname__,
            }
            for name, s in self.specs.items():
                ns[name] = dataclasses.field(
                    default=s.default if s.default is not _MISSING else dataclasses.MISSING,
                    default_factory=(
                        s.default_factory
                        if s.default_factory is not _MISSING
                        else dataclasses.MISSING
                    ),
                    init=s.init,
                    repr=s.repr,
                    compare=s.compare,
                )
            stand_in: Any = dataclasses.dataclass(**self._options)(type(self._cls.__name__, (), ns))
            self._fields = dict(stand_in.__dataclass_fields__)
        return self._fields

    def __getitem__(self, name: str) -> Any:
        return self._real()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._real())

    def __len__(self) -> int:
        return len(self._real())


def _replace(obj: Any, /, **changes: Any) -> Any:
    """A copy of ``obj`` with ``changes``, as ``dataclasses.replace`` makes it."""
    fields = getattr(type(obj), "__dataclass_fields__", None)
    if not isinstance(fields, _Fields):
        raise TypeError("replace() should be called on value class instances")
    for name, spec in fields.specs.items():
        if not spec.init:
            if name in changes:
                raise ValueError(
                    f"field {name} is declared with init=False, it cannot be specified with replace()"
                )
            continue
        if name not in changes:
            changes[name] = getattr(obj, name)
    return type(obj)(**changes)


if not TYPE_CHECKING:  # (mypy sees dataclasses.replace and typing.NamedTuple, imported above)
    replace = _replace

    #: What a NamedTuple class body may not define (typing's rule), and what it does not copy.
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source"}
    )  # fmt: skip
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
            if bases != (_NamedTupleBase,):
                raise TypeError(f"{name}: a NamedTuple cannot inherit")
            annotations: dict[str, Any] = ns.get("__annotations__", {})
            defaults = [n for n in annotations if n in ns]
            if defaults and list(annotations)[-len(defaults) :] != defaults:
                raise TypeError(f"{name}: a field without a default follows one with one")
            made = namedtuple(
                name, annotations, defaults=[ns[n] for n in defaults], module=ns["__module__"]
            )
            made.__annotations__ = made.__new__.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
                if key not in _SPECIAL and key not in made._fields:
                    setattr(made, key, value)
            return made

    _NamedTupleBase = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})

    class _Base:
        """What a class naming ``NamedTuple`` as its base gets: :class:`_NamedTupleMeta`'s."""

        __slots__ = ()

        def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
            return (_NamedTupleBase,)

    NamedTuple = _Base()
