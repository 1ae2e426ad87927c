"""A value converted through a variable's declared type, as Terraform converts what a variable is
given: ``object({...})`` keeps only the attributes it declares, fills a missing ``optional(T)`` one
with null (or the default of ``optional(T, default)``) and refuses a value missing a required one;
``list(T)``/``map(T)`` convert each element; primitives follow :func:`expression_functions.convert`.

A type read here is the text of a ``type`` argument (``object({owner = optional(string)})``). What
cannot be parsed or is not modelled (a set of anything but strings, ``tuple([...])``, a collection
of ``any`` whose elements Terraform would have to unify, an unknown keyword) makes the whole value
UNKNOWN: never the value as written, which the type could have reshaped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from nhi_toolkit.loaders.expression_functions import TfMap, TfSet, convert, one_primitive
from nhi_toolkit.loaders.expressions import Scope
from nhi_toolkit.model import UNKNOWN

__all__ = ["convert_type", "parse_type", "type_text"]

#: A parsed type: ("prim", name) for string/number/bool/any; ("list", T); ("map", T); ("set", string);
#: ("object", ((attribute, T, optional, default text or None), ...)).
TypeTree = tuple[Any, ...]

_TOKEN = re.compile(r'\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|(?P<str>"(?:[^"\\]|\\.)*")'
                    r'|(?P<punct>[(){}\[\],=:])|(?P<other>[^\s(){}\[\],=:"]+))')
_MAX_DEPTH = 64
_PRIMITIVES = frozenset({"string", "number", "bool", "any"})


class _Refused(Exception):
    """Terraform refuses the value (a required attribute missing, a wrong shape), or the type is not
    modelled here: the whole value is UNKNOWN."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos, self.depth = text, 0, 0

    def peek(self) -> tuple[str, str] | None:
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            return None
        kind = m.lastgroup or ""
        return kind, m.group(kind)

    def take(self, expected: str | None = None) -> tuple[str, str]:
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            raise _Refused(self.text)
        kind = m.lastgroup or ""
        if expected is not None and m.group(kind) != expected:
            raise _Refused(self.text)
        self.pos = m.end()
        return kind, m.group(kind)

    def type(self) -> TypeTree:
        self.depth += 1
        if self.depth > _MAX_DEPTH:  # deeper than any type written by hand: not followed
            raise _Refused(self.text)
        tree = self.one_type()
        self.depth -= 1
        return tree

    def one_type(self) -> TypeTree:
        kind, word = self.take()
        if kind != "name":
            raise _Refused(self.text)
        if word in _PRIMITIVES:
            return ("prim", word)
        self.take("(")
        if word in ("list", "map", "set"):
            item = self.type()
            self.take(")")
            if word == "set" and item != ("prim", "string"):  # a set of others: not modelled
                raise _Refused(self.text)
            return (word, item)
        if word != "object":  # tuple(), optional() out of an object, ...: not modelled
            raise _Refused(self.text)
        self.take("{")
        attrs: list[tuple[str, TypeTree, bool, str | None]] = []
        names: set[str] = set()
        while self.peek() not in (("punct", "}"), None):
            kind, name = self.take()
            if kind == "str":
                name = name[1:-1]
            elif kind != "name" or "\\" in name:
                raise _Refused(self.text)
            if name in names:
                raise _Refused(self.text)
            names.add(name)
            if self.take()[1] not in ("=", ":"):
                raise _Refused(self.text)
            attrs.append(self.attribute(name))
            if self.peek() == ("punct", ","):
                self.take()
        self.take("}")
        self.take(")")
        return ("object", tuple(attrs))

    def attribute(self, name: str) -> tuple[str, TypeTree, bool, str | None]:
        if self.peek() != ("name", "optional"):
            return (name, self.type(), False, None)
        self.take()
        self.take("(")
        item = self.type()
        if self.peek() == ("punct", ")"):
            self.take()
            return (name, item, True, None)
        self.take(",")
        start, depth = self.pos, 0
        while True:  # the default's text, up to the closing parenthesis of optional()
            kind, tok = self.take()
            if kind == "punct" and tok in "({[":
                depth += 1
            elif kind == "punct" and tok in ")}]":
                if depth == 0:
                    if tok != ")":
                        raise _Refused(self.text)
                    return (name, item, True, self.text[start:self.pos - 1].strip())
                depth -= 1


def type_text(raw: Any) -> str:
    """The text of a ``type`` argument as kept (``${...}`` dropped); one not written as text is
    never modelled (it converts to UNKNOWN)."""
    if not isinstance(raw, str):
        return "?"
    text = raw.strip()
    return text[2:-1].strip() if text.startswith("${") and text.endswith("}") else text


@lru_cache(maxsize=256)
def parse_type(text: str) -> TypeTree | None:
    """The type tree of a ``type`` argument's text (``${...}`` or bare); None when it cannot be
    parsed or holds a type not modelled here."""
    text = type_text(text)
    parser = _Parser(text)
    try:
        tree = parser.type()
    except _Refused:
        return None
    return tree if not text[parser.pos:].strip() else None


def convert_type(value: Any, text: str) -> Any:
    """``value`` converted through the type written ``text`` as Terraform converts what a variable
    is given; UNKNOWN when Terraform would refuse it or the type is not modelled here."""
    tree = parse_type(text)
    if tree is None:
        return UNKNOWN
    try:
        return _convert(value, tree)
    except _Refused:
        return UNKNOWN


def _convert(value: Any, tree: TypeTree) -> Any:
    if value is UNKNOWN or value is None:
        return value
    kind = tree[0]
    if kind == "prim":
        return convert(value, tree[1])
    if kind == "list":
        if not isinstance(value, list):
            raise _Refused("not a list")
        return _unified([_convert(v, tree[1]) for v in value], tree[1])
    if kind == "set":  # of strings: unique, in Terraform's (lexical) order, as toset() gives them
        strings = [convert(v, "string") for v in value] if isinstance(value, list) else [None]
        if any(not isinstance(v, str) for v in strings):
            raise _Refused("not a set of known strings")
        return TfSet(sorted({str(v) for v in strings}))
    if kind == "map":
        if not isinstance(value, dict):
            raise _Refused("not a map")
        items = {k: _convert(v, tree[1]) for k, v in value.items()}
        _unified(list(items.values()), tree[1])
        return TfMap(items)
    if not isinstance(value, dict):
        raise _Refused("not an object")
    out: dict[str, Any] = {}
    for name, item, optional, default in tree[1]:
        given = value.get(name)
        if name not in value and not optional:
            raise _Refused("a required attribute is missing")
        if given is None and default is not None:
            given = _default(default)
        out[name] = _convert(given, item)
    return out


def _unified(items: list[Any], item: TypeTree) -> Any:
    """``items`` when a collection of them has one element type; a collection of ``any`` holding
    values Terraform would have to unify (strings and numbers, objects, ...) is not modelled."""
    if item == ("prim", "any") and not one_primitive([v for v in items if v is not None]):
        raise _Refused("elements of any type to unify")
    return items


def _default(text: str) -> Any:
    """An ``optional()`` default's value (a constant expression); UNKNOWN when not worked out."""
    return Scope("hcl").resolve("${" + text + "}")

