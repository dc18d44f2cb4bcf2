"""pgpsig._dataclass: each value class behaves as its twin made by ``dataclasses`` or ``typing``."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from typing import Any

import pytest

from pgpsig import _dataclass as ours


def _twins(*, compiled: bool = False, **options: Any) -> tuple[type, type]:
    """The same class made by pgpsig._dataclass and by dataclasses.

    ``compiled``: ours has made enough instances to have its own compiled ``__init__``.
    """

    def make(dataclass: Any, field: Any) -> type:
        class Value:
            a: int
            b: str = "b"
            c: list[int] = field(default_factory=list)
            hidden: bytes = field(default=b"h", repr=False, compare=False)
            later: int = field(init=False, default=0)

        return dataclass(**options)(Value)

    mine = make(ours.dataclass, ours.field)
    if compiled:
        shared = mine.__init__
        for _ in range(ours._COMPILE_AFTER):
            _make(mine, options, 1)
        assert mine.__init__ is not shared
    return mine, make(dataclasses.dataclass, dataclasses.field)


OPTIONS = [
    {},
    {"frozen": True, "slots": True},
    {"frozen": True, "slots": True, "kw_only": True},
    {"slots": True, "eq": False},
    {"frozen": True},
]


def _make(cls: type, options: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``cls(*args, **kwargs)``, the first three arguments passed by name to a kw_only class."""
    if options.get("kw_only"):
        kwargs.update(zip(("a", "b", "c"), args[:3], strict=False))
        args = args[3:]
    return cls(*args, **kwargs)


@pytest.mark.parametrize("compiled", [False, True], ids=["shared", "compiled"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_the_twins_agree(options: dict[str, Any], compiled: bool) -> None:
    mine, theirs = _twins(compiled=compiled, **options)
    for args, kwargs in [((1,), {}), ((1, "x", [2]), {}), ((2,), {"hidden": b"z"})]:
        m = _make(mine, options, *args, **kwargs)
        t = _make(theirs, options, *args, **kwargs)
        assert repr(m) == repr(t)
        assert (m == _make(mine, options, *args)) == (t == _make(theirs, options, *args))
        assert (m == _make(mine, options, 9)) == (t == _make(theirs, options, 9))
        assert (m.__eq__(t), t.__eq__(m)) == (NotImplemented, NotImplemented)
        assert (m.a, m.b, m.c, m.hidden, m.later) == (t.a, t.b, t.c, t.hidden, t.later)
    assert (mine.__hash__ is None) == (theirs.__hash__ is None)
    assert hasattr(mine, "__slots__") == hasattr(theirs, "__slots__")
    assert mine.__match_args__ == theirs.__match_args__
    assert [(f.name, f.init, f.repr, f.compare, f.kw_only) for f in dataclasses.fields(mine)] == [
        (f.name, f.init, f.repr, f.compare, f.kw_only) for f in dataclasses.fields(theirs)
    ]


@pytest.mark.parametrize("compiled", [False, True], ids=["shared", "compiled"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_the_twins_refuse_the_same_calls(options: dict[str, Any], compiled: bool) -> None:
    mine, theirs = _twins(compiled=compiled, **options)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),
        ((), {"b": "x"}),
        ((1,), {"nope": 1}),
        ((1,), {"later": 1}),
        ((1, "x", [], b"", 5), {}),
    ]
    if not options.get("kw_only"):
        calls.append(((1,), {"a": 1}))
    for args, kwargs in calls:
        with pytest.raises(TypeError):
            _make(theirs, options, *args, **kwargs)
        with pytest.raises(TypeError):
            _make(mine, options, *args, **kwargs)


def test_frozen_values_are_immutable_hashable_and_pickle() -> None:
    mine, theirs = _twins(frozen=True, slots=True)
    m, t = mine(1, "x", [2]), theirs(1, "x", [2])
    for value in (m, t):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.a = 2
        with pytest.raises(dataclasses.FrozenInstanceError):
            del value.a
    with pytest.raises(AttributeError):  # (the standard library's raises a TypeError here)
        m.other = 1
    m2, t2 = mine(1, "x", (2,), hidden=b"other"), theirs(1, "x", (2,), hidden=b"other")
    assert hash(m2) == hash(t2) == hash(mine(1, "x", (2,)))
    assert copy.copy(m) == copy.deepcopy(m) == m
    assert pickle.loads(pickle.dumps(Pickled(1, [2]))) == Pickled(1, [2])


def test_replace_makes_a_new_value() -> None:
    mine, _ = _twins(frozen=True, slots=True, kw_only=True)
    m = mine(a=1, c=[2])
    for replace in (ours.replace, dataclasses.replace):
        new = replace(m, b="y")
        assert (new.a, new.b, new.c, type(new)) == (1, "y", [2], mine)
        with pytest.raises((ValueError, TypeError), match="init=False"):  # TypeError from 3.13
            replace(m, later=1)
        with pytest.raises(TypeError):
            replace(m, nope=1)
    if hasattr(copy, "replace"):  # Python 3.13
        assert copy.replace(m, b="z") == ours.replace(m, b="z")
    assert dataclasses.asdict(m) == {"a": 1, "b": "b", "c": [2], "hidden": b"h", "later": 0}
    assert dataclasses.is_dataclass(m)


def test_post_init_runs_after_the_fields() -> None:
    @ours.dataclass(frozen=True, slots=True)
    class Doubled:
        a: int
        twice: int = ours.field(init=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "twice", 2 * self.a)

    assert [Doubled(i).twice for i in range(ours._COMPILE_AFTER + 2)][-3:] == [126, 128, 130]


def test_what_it_does_not_do_is_refused() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @ours.dataclass
        class Mutable:
            a: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="follows"):

        @ours.dataclass
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]

    class Base:
        pass

    with pytest.raises(TypeError, match="inherit"):

        @ours.dataclass
        class Child(Base):
            a: int

    with pytest.raises(TypeError, match="__setattr__"):

        @ours.dataclass(frozen=True)
        class Setter:
            a: int

            def __setattr__(self, name: str, value: Any) -> None: ...


@pytest.mark.parametrize("options", [{}, {"slots": True}, {"frozen": True}], ids=str)
def test_a_class_body_with_its_own_slots_is_refused(options: dict[str, Any]) -> None:
    """dataclasses keeps such a class (or refuses it with slots=True); ours would be made anew,
    its slots clashing with the fields or silently replaced: refused, whatever the options."""
    with pytest.raises(TypeError, match="cannot define __slots__"):

        @ours.dataclass(**options)
        class Slotted:
            __slots__ = ("a", "cache")
            a: int


def test_the_kw_only_marker_is_refused() -> None:
    """dataclasses makes the fields after ``_: KW_ONLY`` keyword-only; ours would take ``_`` for
    a field: refused, under any spelling of the annotation."""

    @dataclasses.dataclass
    class Theirs:
        a: int
        _: dataclasses.KW_ONLY
        b: int = 0

    assert Theirs.__match_args__ == ("a",)
    with pytest.raises(TypeError, match="KW_ONLY is not supported"):

        @ours.dataclass
        class Marked:
            a: int
            _: dataclasses.KW_ONLY
            b: int = 0

    with pytest.raises(TypeError, match="KW_ONLY is not supported"):
        ours.dataclass(type("Bare", (), {"__annotations__": {"a": "int", "_": "KW_ONLY"}}))
    with pytest.raises(TypeError, match="KW_ONLY is not supported"):  # not a string: the class
        ours.dataclass(type("Real", (), {"__annotations__": {"_": dataclasses.KW_ONLY}}))
    with pytest.raises(TypeError, match="ClassVar"):
        ours.dataclass(type("Var", (), {"__annotations__": {"a": "typing.ClassVar[int]"}}))


@ours.dataclass(frozen=True, slots=True)
class Pickled:
    a: int
    b: list[int]


class Mine(ours.NamedTuple):
    """A pair."""

    a: int
    b: str = "b"

    def twice(self) -> int:
        return 2 * self.a


class Theirs(typing.NamedTuple):
    """A pair."""

    a: int
    b: str = "b"

    def twice(self) -> int:
        return 2 * self.a


def test_named_tuples_are_typings() -> None:
    m, t = Mine(1), Theirs(1)
    assert (m, m._replace(b="c"), m._asdict(), m.twice()) == (t, t._replace(b="c"), t._asdict(), 2)
    assert repr(m).replace("Mine", "Theirs") == repr(t)
    assert (Mine._fields, Mine._field_defaults, Mine.__doc__) == (
        Theirs._fields,
        Theirs._field_defaults,
        Theirs.__doc__,
    )
    assert (Mine.__module__, Mine.__qualname__, list(Mine.__annotations__)) == (
        __name__,
        "Mine",
        ["a", "b"],
    )
    assert isinstance(m, tuple)
    assert hash(m) == hash(t)
    assert pickle.loads(pickle.dumps(Mine(2, "x"))) == Mine(2, "x")
    a, b = Mine(3)
    assert (a, b) == (3, "b")
    with pytest.raises(TypeError):
        Mine()  # type: ignore[call-arg]


def test_named_tuples_refuse_what_typing_refuses() -> None:
    with pytest.raises(TypeError, match="follows"):

        class Order(ours.NamedTuple):
            a: int = 0
            b: int  # type: ignore[misc]

    with pytest.raises(AttributeError, match="_replace"):

        class Overwrite(ours.NamedTuple):
            a: int

            def _replace(self, **kw: Any) -> Any:  # type: ignore[override]
                return self
