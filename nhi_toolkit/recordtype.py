"""Records: what ``@dataclass(frozen=True)`` makes, at a fraction of its start-up cost.

dataclasses writes every method of a class as source text and compiles it: ``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__`` and, with ``order``, four
comparisons. That is about 1.5 ms a class here, and ``nhi check`` imports some twenty records before
it reads a byte of input. :func:`record` lets dataclasses process the fields as usual (so
``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work unchanged), compiles only
``__init__`` (one per class: it is called once per resource in a large check), and gives the other
methods as shared functions over the field tuple that dataclasses would compare, read by one
:func:`operator.attrgetter`. Behaviour is dataclasses' own, checked against it by
``tests/test_recordtype.py``: equality only with the same class, the hash of the compared fields
(fields declared ``hash=`` follow it), order by the compared fields as a tuple, ``repr`` of the
``repr`` fields by class ``__qualname__``, and ``FrozenInstanceError`` on assignment or deletion.

Derived attributes (:func:`cached`, :func:`stored`) are values worked out from the fields and read as
plain attributes.
"""

from __future__ import annotations

import inspect
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, Generic, TypeVar, dataclass_transform, overload

__all__ = ["cached", "record", "stored"]

_T = TypeVar("_T")


class _Derived(Generic[_T]):
    """An attribute of a frozen record worked out from its fields, read as a plain attribute: the
    value sits in the instance's ``__dict__`` (put there by ``__init__``, or on first read when
    ``cache``), and this descriptor, having no ``__set__``, is only asked for it when the instance
    does not hold it (then it works it out)."""

    def __init__(self, compute: Callable[[Any], _T], cache: bool):
        self.compute = compute
        self.cache = cache
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Derived[_T]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> _T | _Derived[_T]:
        if obj is None:
            return self
        value = self.compute(obj)
        if self.cache:
            obj.__dict__[self.name] = value
        return value


def cached(compute: Callable[[Any], _T]) -> _Derived[_T]:
    """A derived attribute kept in the instance once first read (its fields are frozen)."""
    return _Derived(compute, cache=True)


def stored(compute: Callable[[Any], _T]) -> _Derived[_T]:
    """A derived attribute ``__init__`` stores once the fields are set (by this same function);
    worked out again for an instance made otherwise."""
    return _Derived(compute, cache=False)


class _Factory:
    """The default an ``__init__`` shows for a field made by a default factory."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init(cls: type, flds: tuple[Field[Any], ...], derived: tuple[tuple[str, str], ...]) -> Callable[..., None]:
    """The ``__init__`` dataclasses would write, with the same signature, storing each field in the
    instance's ``__dict__`` directly rather than through one ``object.__setattr__`` call per field
    (a large check makes tens of thousands of records). The dict keeps sharing its keys between
    instances, as after attribute assignment. After the fields come the ``derived`` (name,
    expression) pairs, then each :func:`stored` attribute, then ``__post_init__`` if the class has
    one. Every name of its own starts with two underscores, which no field's can (a class body
    mangles it): a field named ``d`` or ``_d_x`` is still its parameter; ``self`` is renamed as
    dataclasses does when a field takes that name."""
    me = "__dataclass_self__" if any(f.name == "self" for f in flds) else "self"
    params, items = [], []
    env: dict[str, Any] = {"__MISSING": _FACTORY}
    for f in flds:
        if not f.init:  # set from its default, never a parameter
            if f.default_factory is not MISSING:
                env[f"__f_{f.name}"] = f.default_factory
                items.append(f"    __d[{f.name!r}] = __f_{f.name}()\n")
            elif f.default is not MISSING:
                env[f"__d_{f.name}"] = f.default
                items.append(f"    __d[{f.name!r}] = __d_{f.name}\n")
        elif f.default is not MISSING:
            env[f"__d_{f.name}"] = f.default
            params.append(f"{f.name}=__d_{f.name}")
            items.append(f"    __d[{f.name!r}] = {f.name}\n")
        elif f.default_factory is not MISSING:
            env[f"__f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=__MISSING")
            items.append(f"    __d[{f.name!r}] = __f_{f.name}() if {f.name} is __MISSING else {f.name}\n")
        else:
            params.append(f.name)
            items.append(f"    __d[{f.name!r}] = {f.name}\n")
    items += [f"    __d[{name!r}] = {expr}\n" for name, expr in derived]
    for name, attr in vars(cls).items():
        if isinstance(attr, _Derived) and not attr.cache:
            env[f"__c_{name}"] = attr.compute
            items.append(f"    __d[{name!r}] = __c_{name}({me})\n")
    if hasattr(cls, "__post_init__"):
        items.append(f"    {me}.__post_init__()\n")
    code = f"def __init__({', '.join([me, *params])}):\n    __d = {me}.__dict__\n{''.join(items)}"
    exec(code, env)  # noqa: S102 - generated from the class's own field list, as dataclasses does
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in flds if f.init}, "return": None}
    return init


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the named attributes (always a tuple, as dataclasses compares)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _methods(cls: type, flds: tuple[Field[Any], ...], order: bool, frozen: bool) -> dict[str, Any]:
    """Every method but ``__init__``, as dataclasses defines them."""
    compared = _key(tuple(f.name for f in flds if f.compare))
    shown = tuple(f.name for f in flds if f.repr)
    hashed = _key(tuple(f.name for f in flds if (f.compare if f.hash is None else f.hash)))
    names = frozenset(f.name for f in flds)
    base: Any = cls  # super() of the class itself, as dataclasses' frozen methods call it

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(compared(self) == compared(other))
        return NotImplemented

    made: dict[str, Any] = {"__repr__": __repr__, "__eq__": __eq__}
    if order:
        def compare(op: Callable[[Any, Any], bool], name: str) -> Callable[[Any, Any], Any]:
            def method(self: Any, other: Any) -> Any:
                if other.__class__ is self.__class__:
                    return op(compared(self), compared(other))
                return NotImplemented
            method.__name__ = method.__qualname__ = name
            return method

        made |= {"__lt__": compare(tuple.__lt__, "__lt__"), "__le__": compare(tuple.__le__, "__le__"),
                 "__gt__": compare(tuple.__gt__, "__gt__"), "__ge__": compare(tuple.__ge__, "__ge__")}
    if frozen:
        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(base, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(base, self).__delattr__(name)

        def __hash__(self: Any) -> int:
            return hash(hashed(self))

        made |= {"__setattr__": __setattr__, "__delattr__": __delattr__, "__hash__": __hash__}
    else:
        made["__hash__"] = None  # mutable and compared by value: unhashable, as dataclasses makes it
    for name, method in made.items():
        if method is not None:
            method.__qualname__ = f"{cls.__qualname__}.{name}"
    return made


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(*, order: bool = False, frozen: bool = True,
           derived: tuple[tuple[str, str], ...] = ()) -> Callable[[type[_T]], type[_T]]:
    """``@dataclass(frozen=frozen, order=order)``, made as the module docstring says. ``derived``
    names attributes ``__init__`` stores after the fields, each as (name, expression over the
    fields)."""

    def make(cls: type[_T]) -> type[_T]:
        for name in ("__init__", "__repr__", "__eq__", "__hash__", "__lt__", "__le__", "__gt__", "__ge__",
                     "__setattr__", "__delattr__"):
            if name in vars(cls):
                raise TypeError(f"{cls.__qualname__} defines {name}: a record makes its own")
        # dataclasses checks frozen against a dataclass base's (so a record extends a frozen
        # record); with none, frozen is not passed: it would compile the two methods made below.
        bare = not cls.__doc__  # dataclasses gives it its signature, once __init__ is made
        inherits = any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:])
        cls = dataclass(init=False, repr=False, eq=False, frozen=frozen and inherits)(cls)
        flds = fields(cls)  # type: ignore[arg-type]
        every = getattr(cls, "__dataclass_fields__")  # noqa: B009 - mypy does not know it
        if any(f.kw_only for f in flds) or any("InitVar" in str(f.type) for f in every.values()):
            raise TypeError(f"{cls.__qualname__}: a record takes neither keyword-only fields nor InitVar")
        # What dataclasses reads of a base when a dataclass inherits from this record.
        params = getattr(cls, "__dataclass_params__")  # noqa: B009 - mypy does not know it
        params.init = params.repr = params.eq = True
        params.order, params.frozen = order, frozen
        setattr(cls, "__init__", _init(cls, flds, derived))  # noqa: B010 - mypy refuses assigning a method
        if bare:
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        for name, method in _methods(cls, flds, order, frozen).items():
            setattr(cls, name, method)
        return cls

    return make
