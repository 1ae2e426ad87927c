"""``record`` behaves as ``@dataclass(frozen=True)``: each class body here is made both ways and
every behaviour a caller can see is compared, then every record of the package is checked to be one."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from nhi_toolkit.model import Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.recordtype import cached, record, stored


def _bodies() -> dict[str, Callable[[], type]]:
    """Class bodies covering every field shape the package uses, each made fresh on call."""

    def plain() -> type:
        class Plain:
            """Fields with and without defaults."""

            a: int
            b: str = "x"
            c: tuple[int, ...] = ()

        return Plain

    def shaped() -> type:
        class Shaped:
            """compare=False, repr=False, hash=, default_factory."""

            a: int
            meta: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
            b: int | None = dataclasses.field(default=None, compare=False)
            c: int = dataclasses.field(default=0, hash=False)
            d: list[int] = dataclasses.field(default_factory=list, repr=False, compare=False)

        return Shaped

    def one() -> type:
        class One:
            """A single field."""

            a: int

        return One

    def empty() -> type:
        class Empty:
            """No field at all."""

        return Empty

    return {"plain": plain, "shaped": shaped, "one": one, "empty": empty}


def _both(name: str, order: bool) -> tuple[type, type]:
    body = _bodies()[name]
    return dataclasses.dataclass(frozen=True, order=order)(body()), record(order=order)(body())


def _args(name: str) -> list[tuple[Any, ...]]:
    return {"plain": [(1,), (1, "y"), (2, "x", (3,)), (1, "x", ())],
            "shaped": [(1,), (1, {"k": 1}), (1, {}, 5), (2, {}, None, 3), (1, {}, None, 3, [1])],
            "one": [(1,), (2,), (1,)],
            "empty": [(), ()]}[name]


@pytest.mark.parametrize("order", [False, True])
@pytest.mark.parametrize("name", ["plain", "shaped", "one", "empty"])
def test_a_record_behaves_as_the_frozen_dataclass_of_the_same_body(name: str, order: bool) -> None:
    dc, rec = _both(name, order)
    assert [(f.name, f.default, f.compare, f.repr, f.hash) for f in dataclasses.fields(rec)] == [
        (f.name, f.default, f.compare, f.repr, f.hash) for f in dataclasses.fields(dc)]
    assert str(inspect.signature(rec)) == str(inspect.signature(dc))
    assert rec.__match_args__ == dc.__match_args__  # type: ignore[attr-defined]
    pairs = [(dc(*a), rec(*a)) for a in _args(name)]
    for d1, r1 in pairs:
        assert repr(r1).replace(rec.__qualname__, "X") == repr(d1).replace(dc.__qualname__, "X")
        assert dataclasses.asdict(r1) == dataclasses.asdict(d1)
        assert dataclasses.astuple(r1) == dataclasses.astuple(d1)
        assert dataclasses.is_dataclass(r1)
        try:
            expected: Any = hash(d1)
        except TypeError as exc:
            expected = type(exc)
        if expected is TypeError:
            with pytest.raises(TypeError):
                hash(r1)
        else:
            assert hash(r1) == hash(d1)  # the hash of the same tuple of fields
        for d2, r2 in pairs:
            assert (r1 == r2) == (d1 == d2)
            assert (r1 != r2) == (d1 != d2)
            if order:
                for op in ("__lt__", "__le__", "__gt__", "__ge__"):
                    assert getattr(r1, op)(r2) == getattr(d1, op)(d2)
        assert r1 != d1 and r1.__eq__(d1) is NotImplemented  # another class is never equal
        if order:
            assert r1.__lt__(d1) is NotImplemented
        else:
            assert "__lt__" not in vars(rec)
        for field in dataclasses.fields(rec):
            with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field '{field.name}'"):
                setattr(r1, field.name, 1)
            with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot delete field '{field.name}'"):
                delattr(r1, field.name)
        with pytest.raises(dataclasses.FrozenInstanceError):
            r1.other = 1  # type: ignore[attr-defined]
        if dataclasses.fields(rec):
            first = dataclasses.fields(rec)[0].name
            moved = dataclasses.replace(r1, **{first: 9})
            assert getattr(moved, first) == 9 and type(moved) is rec
        assert copy.deepcopy(r1) == r1 and copy.copy(r1) == r1


def test_records_of_the_package_survive_pickle_and_copy() -> None:
    where = Location("main.tf", 3, input="plan.json")
    res = Resource("aws_iam_user.u", "aws_iam_user", "u", where, InputKind.PLAN, values={"name": "u"})
    ident = Identity(res, "user", "team-a", "2030-01-01", None, tags={"owner": "team-a"})
    found = Finding(res.address, "NHI001", "missing-owner", Severity.ERROR, "m", where)
    for item in (where, res, ident, found):
        for again in (pickle.loads(pickle.dumps(item)), copy.deepcopy(item), copy.copy(item)):
            assert again == item and repr(again) == repr(item) and type(again) is type(item)
    assert pickle.loads(pickle.dumps(ident)).address == "aws_iam_user.u"
    assert pickle.loads(pickle.dumps(res)).values == {"name": "u"}


def test_default_factories_give_each_instance_its_own_value() -> None:
    _dc, rec = _both("shaped", order=False)
    one, two = rec(1), rec(1)
    assert one.meta == {} and one.meta is not two.meta
    assert rec(1, {"k": 1}).meta == {"k": 1}


def test_a_subclass_of_a_record_may_set_attributes_the_record_does_not_have() -> None:
    _dc, rec = _both("plain", order=False)

    class Loose(rec):  # type: ignore[misc, valid-type]
        pass

    loose = Loose(1)
    loose.extra = 2
    assert loose.extra == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        loose.a = 3


def test_a_dataclass_may_inherit_from_a_record_as_from_a_frozen_dataclass() -> None:
    _dc, rec = _both("plain", order=True)
    params = rec.__dataclass_params__  # type: ignore[attr-defined]
    assert (params.init, params.repr, params.eq, params.order, params.frozen) == (True, True, True, True, True)

    @dataclasses.dataclass(frozen=True)
    class Wider(rec):  # type: ignore[misc, valid-type]
        extra: int = 0

    wider = Wider(1, extra=2)
    assert (wider.a, wider.b, wider.extra) == (1, "x", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        wider.a = 2
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        dataclasses.dataclass(type("Loose", (rec,), {"__annotations__": {"more": "int"}, "more": 0}))


def test_a_mutable_record_runs_post_init_and_is_unhashable() -> None:
    @record(frozen=False)
    class Counter:
        """Mutable, with a field set by __post_init__ and one outside __init__."""

        start: int
        seen: list[int] = dataclasses.field(default_factory=list, init=False)
        double: int = dataclasses.field(default=0, init=False)

        def __post_init__(self) -> None:
            self.double = self.start * 2

    counter = Counter(3)
    assert (counter.seen, counter.double) == ([], 6)
    assert "seen" not in inspect.signature(Counter).parameters
    counter.start = 4
    assert counter.start == 4 and counter != Counter(4)  # double is still 6
    counter.double = 8
    assert counter == Counter(4) and counter != Counter(5)
    with pytest.raises(TypeError):
        hash(counter)


def test_stored_and_cached_attributes_are_worked_out_once() -> None:
    calls: list[str] = []

    @record(derived=(("twice", "a * 2"),))
    class Derived:
        """A stored and a cached value from the fields."""

        a: int

        @stored
        def plus(self) -> int:
            calls.append("plus")
            return self.a + 1

        @cached
        def minus(self) -> int:
            calls.append("minus")
            return self.a - 1

    item = Derived(4)
    assert calls == ["plus"]
    assert (item.twice, item.plus, item.minus, item.minus) == (8, 5, 3, 3)  # type: ignore[attr-defined]
    assert calls == ["plus", "minus"]
    assert item == Derived(4) and repr(item).endswith("Derived(a=4)")


def test_a_record_refuses_what_it_would_silently_get_wrong() -> None:
    with pytest.raises(TypeError, match="defines __eq__"):
        @record()
        class OwnEq:
            """Defines a method a record makes."""

            a: int

            def __eq__(self, other: object) -> bool:
                return True

    with pytest.raises(TypeError, match="keyword-only"):
        @record()
        class KwOnly:
            """A keyword-only field."""

            a: int = dataclasses.field(kw_only=True)


ON_PATH = ("nhi_toolkit.addresses", "nhi_toolkit.catalog.schema", "nhi_toolkit.checks", "nhi_toolkit.config",
           "nhi_toolkit.model", "nhi_toolkit.native_expiry", "nhi_toolkit.records", "nhi_toolkit.reporters",
           "nhi_toolkit.rules.base", "nhi_toolkit.suppress")


def test_every_record_nhi_check_imports_is_made_by_record() -> None:
    """The records on ``nhi check``'s path are made by ``record`` (dataclasses' own methods cost
    start-up); a dataclass added there shows here."""
    checked = []
    for name in ON_PATH:
        module = importlib.import_module(name)
        checked += [obj for obj in vars(module).values()
                    if isinstance(obj, type) and obj.__module__ == name and dataclasses.is_dataclass(obj)]
    assert len(checked) >= 20
    for cls in checked:
        assert cls.__repr__.__module__ == "nhi_toolkit.recordtype", cls
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"


@pytest.mark.parametrize("name", ["__le__", "__gt__", "__ge__"])
def test_a_record_with_order_refuses_a_comparison_of_its_own(name: str) -> None:
    """``@dataclass(order=True)`` refuses a class defining any of the four comparisons; a record
    would otherwise replace the class's own one without a word."""
    body = {"__annotations__": {"a": "int"}, "__doc__": "Defines one comparison.", name: lambda s, o: True}
    with pytest.raises(TypeError):
        dataclasses.dataclass(frozen=True, order=True)(type("Own", (), dict(body)))
    with pytest.raises(TypeError, match=f"defines {name}"):
        record(order=True)(type("Own", (), dict(body)))


def test_a_record_may_inherit_from_a_record_and_not_across_frozenness() -> None:
    """As between frozen dataclasses: a frozen record extends a frozen record; a frozen record over
    a mutable dataclass, or a mutable one over a frozen record, is refused."""
    _dc, rec = _both("plain", order=False)

    @record()
    class Wider(rec):  # type: ignore[misc, valid-type]
        """One more field."""

        extra: int = 0

    wider = Wider(1, extra=2)
    assert (wider.a, wider.b, wider.extra) == (1, "x", 2) and wider == Wider(1, "x", (), 2)
    assert repr(wider).endswith("Wider(a=1, b='x', c=(), extra=2)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        wider.extra = 3  # type: ignore[misc]

    @dataclasses.dataclass
    class Mutable:
        """A mutable dataclass."""

        a: int

    with pytest.raises(TypeError, match="cannot inherit frozen dataclass from a non-frozen one"):
        record()(type("Frozen", (Mutable,), {"__doc__": "Frozen over mutable."}))
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        record(frozen=False)(type("Loose", (rec,), {"__doc__": "Mutable over frozen."}))


def test_a_field_may_be_named_self() -> None:
    """dataclasses names ``__init__``'s first parameter otherwise when a field is called ``self``."""

    def body() -> type:
        class Named:
            """A field named self, with a stored value read through the instance."""

            self: int
            other: int = 2

        return Named

    dc: Any = dataclasses.dataclass(frozen=True)(body())
    rec: Any = record()(body())
    assert str(inspect.signature(rec)) == str(inspect.signature(dc))
    assert (rec(1).self, rec(1).other, rec(self=3).self) == (1, 2, 3)
    assert repr(rec(1)).endswith("Named(self=1, other=2)")


def test_a_record_without_a_docstring_is_given_its_signature_as_one() -> None:
    def body() -> type:
        class Bare:
            a: int
            b: str = "x"

        return Bare

    dc: Any = dataclasses.dataclass(frozen=True)(body())
    rec: Any = record()(body())
    assert rec.__doc__ == dc.__doc__ == "Bare(a: 'int', b: 'str' = 'x')"
