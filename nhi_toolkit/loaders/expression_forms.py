"""The expression forms that combine others, as Terraform evaluates them statically: operators and
conditionals, ``for`` expressions, ``try()`` and ``can()``. A mixin of
:class:`nhi_toolkit.loaders.expressions.Scope`, which provides evaluation itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from nhi_toolkit.loaders.expression_functions import TfSet, primitive, same_type
from nhi_toolkit.loaders.expression_text import find_top, split_top
from nhi_toolkit.model import UNKNOWN

__all__ = ["FOR", "NO_OPERATOR", "Fails", "Forms", "MarkedTags", "as_bool", "has_unknown"]

FOR = re.compile(r"\s*for\s+([^\W\d][\w-]*)\s*(?:,\s*([^\W\d][\w-]*)\s*)?in\s")
_MAX_ITEMS = 10_000
_OPERATOR_CHARS = re.compile(r"[?|&=!<>]")
NO_OPERATOR = object()
"""What :meth:`Forms._operators` gives for an expression with no operator at its top level."""


class Fails(Exception):
    """An expression Terraform refuses with an error (an attribute or key a known value lacks, an
    index past a known list's end): raised only inside ``try()``/``can()``, which catch it, and only
    when the value's shape is known exactly (see ``Scope.exact``)."""


class Forms:
    """Operators, conditionals, ``for``, ``try``/``can`` over a scope's own evaluation."""

    trying: int
    exact: Callable[[], bool] | None
    exact_here: bool

    def expression(self, expr: str, depth: int = 0) -> Any:
        raise NotImplementedError

    def _bind(self, names: dict[str, Any]) -> Forms:
        raise NotImplementedError

    def _object_or_expr(self, arg: str, depth: int) -> Any:
        raise NotImplementedError

    def _fails(self) -> Any:
        raise NotImplementedError

    def _marks(self, expr: str, depth: int) -> bool:
        raise NotImplementedError

    def _operators(self, expr: str, depth: int) -> Any:
        """``c ? a : b``, ``||``, ``&&``, ``==``, ``!=`` at the top level of an expression."""
        if not _OPERATOR_CHARS.search(expr):
            return NO_OPERATOR
        q = find_top(expr, "?")
        if q > 0:
            branches = split_top(expr[q + 1:], ":")
            if len(branches) != 2:
                return UNKNOWN
            cond = as_bool(self.expression(expr[:q], depth + 1))
            if cond is None:  # either branch may be the value: the marks of both count
                self._marks(branches[0], depth + 1)
                self._marks(branches[1], depth + 1)
                return UNKNOWN
            chosen, other = branches if cond else branches[::-1]
            value = self.expression(chosen, depth + 1)
            if self._marks(other, depth + 1):  # Terraform's result carries both branches' marks
                return UNKNOWN
            if self.trying and value is not UNKNOWN:
                return self._unified(value, chosen, other, depth)
            return value
        for op in ("||", "&&"):
            sides = split_top(expr, op)
            if len(sides) == 2:
                left = as_bool(self.expression(sides[0], depth + 1))
                # Terraform evaluates both sides, but a known deciding side decides. Inside try(),
                # an error or a value that is no bool on the other side fails the whole (Terraform
                # 1.11; later versions may not evaluate it): not settled here, so unknown.
                if left is (op == "||"):
                    if self._marks(sides[1], depth + 1):  # both sides' marks, as Terraform's
                        return UNKNOWN
                    return UNKNOWN if self.trying and self._not_bool(sides[1], depth + 1) else left
                right = as_bool(self.expression(sides[1], depth + 1))
                if right is (op == "||"):
                    return UNKNOWN if self.trying and left is None else right
                return UNKNOWN if left is None or right is None else right
        for op in ("==", "!=", ">=", "<=", ">", "<"):
            sides = split_top(expr, op)
            if len(sides) == 2:
                a, b = self.expression(sides[0], depth + 1), self.expression(sides[1], depth + 1)
                if has_unknown(a) or has_unknown(b):
                    return UNKNOWN
                if op in ("==", "!="):
                    if a is not None and b is not None and (
                            isinstance(a, (dict, list)) or isinstance(b, (dict, list))):
                        return UNKNOWN  # a map never equals an object, a list a tuple: only types say
                    kinds = {primitive(a), primitive(b)} - {None}
                    if str in kinds and len(kinds) == 2:
                        # "true" == true is false, but a variable's type converts what it is given
                        # (a bool typed variable given "true"), and that conversion is not made here
                        return UNKNOWN
                    if kinds == {bool, float}:
                        return op == "!="  # values of different types are never equal (true != 1)
                    return (a == b) == (op == "==")
                if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
                    return UNKNOWN
                return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]
        return NO_OPERATOR

    def _not_bool(self, expr: str, depth: int) -> bool:
        """Whether ``expr``, evaluated inside ``try()``, may fail as an operand of ``||``/``&&``: it
        meets an error, or is not known to be a bool."""
        try:
            return as_bool(self.expression(expr, depth)) is None
        except Fails:
            return True

    def _unified(self, value: Any, chosen: str, other: str, depth: int) -> Any:
        """A conditional's chosen result inside ``try()``: Terraform converts both results to one
        type, and results that have none are an error try() catches. The other result's own error
        is dropped (its value then has no type); a literal null converts to any type."""
        if chosen.strip() == "null" or other.strip() == "null":
            return value
        try:
            alt = self.expression(other, depth + 1)
        except Fails:
            return value
        return value if alt is not UNKNOWN and same_type(value, alt) else UNKNOWN

    def _try(self, fn: str, args: list[str], depth: int) -> Any:
        """``try(a, b, ...)``: the first argument evaluated without an error; ``can(a)``: whether it
        is. As Terraform's: an argument that depends on what is not known makes the result unknown
        (whether it would fail is not known either), and all of them failing is an error."""
        if not args or (fn == "can" and len(args) != 1):
            return UNKNOWN
        if (self.exact is None or not self.exact()) and not self.exact_here:
            # A variable type may have reshaped what the arguments read (object() drops attributes
            # not named, set() cannot be indexed): what succeeds on the value as written may fail
            # on the value Terraform converted, and then the fallback is Terraform's answer.
            return UNKNOWN
        for arg in args:
            self.trying += 1
            try:
                value = self._object_or_expr(arg, depth + 1)
            except Fails:
                if fn == "can":
                    return False
                continue
            finally:
                self.trying -= 1
            if has_unknown(value):
                return UNKNOWN
            return True if fn == "can" else value
        return self._fails()

    def _for(self, body: str, depth: int, as_object: bool) -> Any:
        m = FOR.match(body)
        if not m:
            return UNKNOWN
        first, second, rest = m.group(1), m.group(2), body[m.end():]
        parts = split_top(rest, ":")
        if len(parts) != 2:
            return UNKNOWN
        source = self.expression(parts[0], depth + 1)
        result_text, cond = parts[1], None
        pos = find_top(result_text, " if ")
        if pos >= 0:
            result_text, cond = result_text[:pos], result_text[pos + 4:]
        key_text = None
        if as_object:
            kv = split_top(result_text, "=>")
            if len(kv) != 2:
                return UNKNOWN
            key_text, result_text = kv
            if result_text.rstrip().endswith("..."):
                return UNKNOWN
        if isinstance(source, dict):
            items = [(k, source[k]) for k in sorted(source)]
        elif isinstance(source, TfSet) and second:
            return UNKNOWN  # a set's key is its element, a list's its index: which, only types say
        elif isinstance(source, list):
            items = list(enumerate(source))
        else:
            return UNKNOWN
        if len(items) > _MAX_ITEMS:
            return UNKNOWN
        out_map: dict[str, Any] = {}
        out_list: list[Any] = []
        for k, v in items:
            inner = self._bind({first: k, second: v} if second else {first: v})
            if cond is not None:
                keep = as_bool(inner.expression(cond, depth + 1))
                if keep is None:
                    return UNKNOWN
                if not keep:
                    continue
            value = inner.expression(result_text, depth + 1)
            if key_text is None:
                out_list.append(value)
                continue
            key = inner.expression(key_text, depth + 1)
            if not isinstance(key, str) or key in out_map:
                return UNKNOWN
            out_map[key] = value
        return out_map if as_object else out_list


def has_unknown(value: Any) -> bool:
    """Whether ``value`` is, or holds, UNKNOWN (as a value marked sensitive always does here)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is UNKNOWN:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def as_bool(value: Any) -> bool | None:
    """A value as Terraform converts it to bool (``"true"``/``"false"`` strings too); None otherwise."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    return None


class MarkedTags(dict[str, Any]):
    """Provider default tags some of which Terraform marks sensitive: the entries known and not
    marked, with the keys of those marked (``marked``), or ``whole``: no entry can be read."""

    def __init__(self, known: Mapping[str, Any], marked: frozenset[str], whole: bool = False):
        super().__init__(known)
        self.marked, self.whole = marked, whole

    def __bool__(self) -> bool:
        return True
