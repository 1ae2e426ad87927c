"""Static resolution of the Terraform expressions that tags are usually written with.

Literal strings, ``var.x`` (defaults and tfvars), ``local.x``, attribute/index lookups on them,
string templates over those, and ``merge(...)`` of maps resolve; anything else is UNKNOWN, which the
rules report as info and never as missing.

Two syntaxes are read: python-hcl2's serialisation of native HCL (strings keep their quotes,
expressions are wrapped as ``${...}``) and Terraform JSON syntax (every string is a template).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from nhi_toolkit.loaders.expression_functions import call_function
from nhi_toolkit.loaders.expression_text import (
    balanced,
    closing_bracket,
    find_references,
    find_top,
    heredoc_value,
    one_string,
    parse_object,
    split_args,
    split_template,
    split_top,
    unicode_target,
    unquote,
)
from nhi_toolkit.model import UNKNOWN

__all__ = ["Scope", "as_bool", "declared_targets", "declared_values", "find_references", "is_sensitive", "unquote"]

_TRAVERSAL = re.compile(r"([^\W\d][\w-]*)((?:\.[^\W\d][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])*)")
_STEP = re.compile(r"\.([^\W\d][\w-]*)|\[\s*(?:\"([^\"]*)\"|(\d+))\s*\]")
_MAX_DEPTH = 20
_ROOT = re.compile(r"[^\W\d][\w-]*")
_REFERENCE = re.compile(r"(?<![\w.])(?:var|local|module|each)(?:\.[^\W\d][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])+")
_ATTR = re.compile(r"\.([^\W\d][\w-]*)")
_CALL = re.compile(r"([a-z]+)\((.*)\)", re.DOTALL)
_FOR = re.compile(r"\s*for\s+([^\W\d][\w-]*)\s*(?:,\s*([^\W\d][\w-]*)\s*)?in\s")
_MAX_ITEMS = 10_000
_OPERATOR_CHARS = re.compile(r"[?|&=!<>]")


ModuleLookup = Callable[[str], Any]


class _Fails(Exception):
    """An expression Terraform refuses with an error (an attribute or key a known value lacks, an
    index past a known list's end): raised only inside ``try()``/``can()``, which catch it, and only
    when the value's shape is known exactly (see ``Scope.exact``)."""


class Scope:
    """Variables and locals of one module (instance), resolved lazily.

    ``values`` are variables already resolved by the caller (a module call's arguments); ``variables``
    hold raw defaults and tfvars. ``modules`` looks up a child module call's outputs by call name.
    ``each``/``count`` are set inside an expanded resource or module instance.
    """

    def __init__(
        self, syntax: str, variables: Mapping[str, Any] | None = None, locals_: Mapping[str, Any] | None = None,
        *, values: Mapping[str, Any] | None = None, modules: ModuleLookup | None = None,
        exact: Callable[[], bool] | None = None, sensitive: frozenset[str] = frozenset(),
        module_marks: Callable[[str], frozenset[str]] | None = None,
    ):
        self.syntax = syntax
        self.variables: dict[str, Any] = dict(variables or {})
        self.values: dict[str, Any] = dict(values or {})
        self.locals_raw: dict[str, Any] = dict(locals_ or {})
        self.modules = modules
        self.each: tuple[Any, Any] | None = None
        self.count: int | None = None
        self.bindings: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._resolving: set[str] = set()
        self.exact = exact
        """Whether a known value's missing attribute is an error here (no variable type in the load
        could have reshaped a value); None: never decided, so ``try()`` is UNKNOWN on it."""
        self.trying = 0
        """Depth of ``try()``/``can()`` arguments being evaluated: where an error is caught."""
        self.sensitive = sensitive
        """Variables whose value Terraform marks sensitive here (declared so, or given a value derived
        from one): each reads as UNKNOWN and marks what it was read into (:meth:`marked`)."""
        self.module_marks = module_marks
        """A child module call's outputs Terraform marks sensitive, by call name."""
        self._mark = [False]  # shared by this scope's copies (instances, for-expression bindings)
        self.each_marked = False
        """``each.value`` is marked (an element of a for_each collection derived from a marked value)."""
        self._local_marks: dict[str, bool] = {}

    def iteration(self, *, each: tuple[Any, Any] | None = None, count: int | None = None,
                  unknown: bool = False, marked: bool = False) -> Scope:
        """The same module scope inside one instance (``each.key``/``count.index``); locals are shared.

        ``unknown``: the instance's key is not known statically (each/count resolve to UNKNOWN).
        ``marked``: the for_each collection is marked sensitive; its elements holding what is not
        known are (``each.value``), its keys are not.
        """
        inner = copy.copy(self)
        inner.each_marked = marked and each is not None and unknown_in(each[1])
        inner.each = (UNKNOWN, UNKNOWN) if unknown else each
        inner.count = -1 if unknown else count
        return inner

    def _bind(self, names: dict[str, Any]) -> Scope:
        inner = copy.copy(self)
        inner.bindings = {**self.bindings, **names}
        return inner

    # -- values -------------------------------------------------------------------------------
    def resolve(self, raw: Any, depth: int = 0) -> Any:
        """Resolve a raw value to plain Python, with UNKNOWN for what cannot be known statically."""
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if isinstance(raw, dict):
            out: dict[str, Any] = {}
            for k, v in raw.items():
                if k.startswith("__") and k.endswith("__"):
                    continue
                key = self._key(k, depth)
                if key is UNKNOWN:
                    return UNKNOWN
                out[key] = self.resolve(v, depth + 1)
            return out
        if isinstance(raw, list):
            return [self.resolve(v, depth + 1) for v in raw]
        if isinstance(raw, str):
            return self._string(raw, depth)
        return raw

    def _key(self, k: str, depth: int) -> Any:
        if self.syntax == "hcl":
            if len(k) >= 2 and k.startswith('"') and k.endswith('"'):
                return self._template(k[1:-1], depth)
            if k.startswith("${") and k.endswith("}"):
                inner = k[2:-1].strip()
                if inner.startswith("(") and inner.endswith(")"):
                    inner = inner[1:-1]
                v = self.expression(inner, depth)
                return v if isinstance(v, str) else UNKNOWN
            return k
        return self._template(k, depth, json_syntax=True)

    def _string(self, raw: str, depth: int) -> Any:
        if self.syntax == "hcl":
            if raw.startswith('"<<'):
                value = heredoc_value(raw)
                if value is UNKNOWN:  # it interpolates: what it reads may mark it
                    self._directive_marks(raw, depth)
                return value
            if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
                return self._template(raw[1:-1], depth)
            if raw.startswith("${") and raw.endswith("}"):
                parts = split_template(raw)
                if parts and len(parts) == 1 and parts[0][0]:
                    return self.expression(parts[0][1], depth)
            return UNKNOWN
        return self._template(raw, depth, json_syntax=True)

    def _template(self, text: str, depth: int, json_syntax: bool = False) -> Any:
        if "${" not in text and "%{" not in text:
            return text.replace("$${", "${") if json_syntax else unquote(text)
        if "%{" in text.replace("%%{", ""):
            self._directive_marks(text, depth)
            return UNKNOWN
        parts = split_template(text)
        if not parts:
            return UNKNOWN
        if len(parts) == 1 and parts[0][0]:
            return self.expression(parts[0][1], depth)
        out = []
        known = True
        for is_expr, part in parts:
            if not is_expr:
                out.append(part.replace("$${", "${") if json_syntax else unquote(part))
                continue
            v = self.expression(part, depth)  # every part, even past an unknown one: its marks count
            if isinstance(v, bool):
                v = "true" if v else "false"
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str):
                known = False
                continue
            out.append(v)
        return "".join(out) if known else UNKNOWN

    def _directive_marks(self, text: str, depth: int) -> None:
        """Mark what a template with directives (``%{ if }``) or a heredoc, never evaluated here,
        reads: each ``var.``/``local.``/``module.``/``each.`` reference in it, and ``sensitive()``."""
        if "sensitive(" in text.replace("nonsensitive(", ""):
            self._mark[0] = True
        for ref in _REFERENCE.findall(text):
            if self._mark[0]:
                return
            self._marks(ref, depth + 1)

    # -- expressions --------------------------------------------------------------------------
    def expression(self, expr: str, depth: int = 0) -> Any:
        """Resolve one expression's text."""
        expr = expr.strip()
        if depth > _MAX_DEPTH or not expr:
            return UNKNOWN
        if expr.startswith("(") and expr.endswith(")") and balanced(expr[1:-1]):
            return self.expression(expr[1:-1], depth + 1)
        if len(expr) >= 2 and expr.startswith('"') and expr.endswith('"') and one_string(expr):
            return self._template(expr[1:-1], depth + 1)
        operator = self._operators(expr, depth)
        if operator is not _NO_OPERATOR:
            return operator
        if expr == "null":
            return None
        if expr in ("true", "false", "True", "False"):  # python-hcl2 writes a parenthesised true as True
            return expr in ("true", "True")
        if expr.isdigit():
            return int(expr)
        if expr.startswith("!") and not expr.startswith("!="):
            v = as_bool(self.expression(expr[1:], depth + 1))
            return UNKNOWN if v is None else not v
        m = _TRAVERSAL.fullmatch(expr)
        if m:
            return self._traversal(m.group(1), m.group(2), depth)
        if "[" in expr and _ROOT.match(expr):
            found = self._dynamic_traversal(expr, depth)
            if found is not _NO_OPERATOR:
                return found
        call = _CALL.fullmatch(expr)
        if call and balanced(call.group(2)):
            return self._call(call.group(1), call.group(2), depth)
        if expr.startswith("{") and expr.endswith("}"):
            if _FOR.match(expr[1:]):
                return self._for(expr[1:-1], depth, as_object=True)
            return self._object_or_expr(expr, depth + 1)
        if expr.startswith("[") and expr.endswith("]") and balanced(expr[1:-1]):
            if _FOR.match(expr[1:]):
                return self._for(expr[1:-1], depth, as_object=False)
            return [self.expression(a, depth + 1) for a in split_args(expr[1:-1])]
        return UNKNOWN

    def _operators(self, expr: str, depth: int) -> Any:
        """``c ? a : b``, ``||``, ``&&``, ``==``, ``!=`` at the top level of an expression."""
        if not _OPERATOR_CHARS.search(expr):
            return _NO_OPERATOR
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
            chosen = self.expression(branches[0] if cond else branches[1], depth + 1)
            # Terraform's result carries the marks of both branches: the one not taken may mark it
            return UNKNOWN if self._marks(branches[1] if cond else branches[0], depth + 1) else chosen
        for op in ("||", "&&"):
            sides = split_top(expr, op)
            if len(sides) == 2:
                left = as_bool(self.expression(sides[0], depth + 1))
                # Terraform evaluates both sides, but a known deciding side decides. Inside try(),
                # whether an error on the other side still fails the whole is not settled here.
                if left is (op == "||"):
                    if self._marks(sides[1], depth + 1):  # both sides' marks, as Terraform's
                        return UNKNOWN
                    return UNKNOWN if self.trying and self._raises(sides[1], depth + 1) else left
                right = as_bool(self.expression(sides[1], depth + 1))
                if right is (op == "||"):
                    return right
                return UNKNOWN if left is None or right is None else right
        for op in ("==", "!=", ">=", "<=", ">", "<"):
            sides = split_top(expr, op)
            if len(sides) == 2:
                a, b = self.expression(sides[0], depth + 1), self.expression(sides[1], depth + 1)
                if a is UNKNOWN or b is UNKNOWN or _has_unknown(a) or _has_unknown(b):
                    return UNKNOWN
                if op in ("==", "!="):
                    return (a == b) == (op == "==")
                if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
                    return UNKNOWN
                return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]
        return _NO_OPERATOR

    def _traversal(self, root: str, steps: str, depth: int) -> Any:
        named, parsed = _steps(steps)
        keys: list[Any] = list(parsed)
        if root in self.bindings:
            base = self.bindings[root]
        elif root in ("var", "local", "module", "each", "count"):
            if not keys or not isinstance(keys[0], str) or not named:
                return UNKNOWN
            name, keys = keys[0], keys[1:]
            if root == "var":
                base = self._var(name, depth)
            elif root == "local":
                base = self._local(name, depth)
            elif root == "module":
                base = self.modules(name) if self.modules else UNKNOWN
                marks = self.module_marks(name) if self.module_marks else frozenset()
                # module.x.out, module.x["k"].out, module.x[0].out, or the whole call's value
                if marks and (not keys or any(k in marks for k in keys[:2] if isinstance(k, str))):
                    self._mark[0] = True
            elif root == "each":
                if self.each is None or name not in ("key", "value"):
                    return UNKNOWN
                base = self.each[0] if name == "key" else self.each[1]
                if name == "value" and self.each_marked:
                    self._mark[0] = True
            else:
                if self.count is None or name != "index" or self.count < 0:
                    return UNKNOWN
                base = self.count
        else:
            return UNKNOWN
        for key in keys:
            if base is UNKNOWN:
                return UNKNOWN
            if isinstance(base, dict) and isinstance(key, str):
                if key not in base:
                    return self._fails()
                base = base[key]
            elif isinstance(base, list) and isinstance(key, int) and not isinstance(key, bool):
                if key >= len(base):
                    return self._fails()
                base = base[key]
            elif base is None or isinstance(base, (str, int, float, bool)):
                return self._fails()  # an attribute or index of null, a string, a number or a bool
            else:
                return UNKNOWN
        return base

    def _marks(self, expr: str, depth: int) -> bool:
        """Whether ``expr``, not otherwise evaluated, reads a value Terraform marks sensitive (that
        mark stays set); its errors are not this expression's."""
        mark = self._mark
        outer, mark[0] = mark[0], False
        trying, self.trying = self.trying, 0
        try:
            self.expression(expr, depth)
        finally:
            self.trying = trying
            found, mark[0] = mark[0], outer or mark[0]
        return found

    def _raises(self, expr: str, depth: int) -> bool:
        """Whether evaluating ``expr`` inside ``try()`` meets an error."""
        try:
            self.expression(expr, depth)
        except _Fails:
            return True
        return False

    def _fails(self) -> Any:
        """What an expression Terraform refuses evaluates to: inside ``try()``/``can()``, with the
        value's shape known exactly, the error they catch; else UNKNOWN (a configuration Terraform
        refuses is not judged here, and an unconverted value may lack what Terraform fills in)."""
        if self.trying and self.exact is not None and self.exact():
            raise _Fails
        return UNKNOWN

    def _dynamic_traversal(self, expr: str, depth: int) -> Any:
        """A traversal indexed by expressions (``var.users[count.index]``, ``module.x[each.key].tags``):
        the keys worked out first. Not a traversal at all: ``_NO_OPERATOR``."""
        m = _ROOT.match(expr)
        if m is None:
            return _NO_OPERATOR
        steps: list[str] = []
        i = m.end()
        while i < len(expr):
            if expr[i] == ".":
                attr = _ATTR.match(expr, i)
                if attr is None:
                    return _NO_OPERATOR
                steps.append(attr.group(0))
                i = attr.end()
            elif expr[i] == "[":
                end = closing_bracket(expr, i)
                if end < 0:
                    return _NO_OPERATOR
                if expr[i + 1:i + 1 + end].strip() == "*":  # a splat (not worked out): what it reads marks it
                    self._splat_marks(m.group(0), steps, expr[i + end + 2:])
                    return UNKNOWN
                key = self.expression(expr[i + 1:i + 1 + end], depth + 1)
                if isinstance(key, str) and '"' not in key and "\\" not in key:
                    steps.append(f'["{key}"]')
                elif isinstance(key, int) and not isinstance(key, bool) and key >= 0:
                    steps.append(f"[{key}]")
                else:
                    return UNKNOWN
                i += end + 2
            else:
                return _NO_OPERATOR
        return self._traversal(m.group(0), "".join(steps), depth)

    def _splat_marks(self, root: str, steps: list[str], rest: str) -> None:
        """``module.x[*].out``: marked when that output of the call is (or ``module.x[*]`` whole, any)."""
        if root != "module" or len(steps) != 1 or not self.module_marks:
            return
        marks = self.module_marks(steps[0][1:])
        attr = _ATTR.match(rest)
        if marks and (attr is None or attr.group(1) in marks):
            self._mark[0] = True

    def _call(self, fn: str, inner: str, depth: int) -> Any:
        if fn in ("try", "can"):
            return self._try(fn, split_args(inner), depth)
        if fn == "sensitive":  # marked, whatever its argument: never read, nor cached
            value = self._object_or_expr(inner, depth + 1)
            if value is not UNKNOWN:
                from nhi_toolkit.loaders.hcl_cache import withhold

                withhold("${" + inner + "}", value)
            self._mark[0] = True
            return UNKNOWN
        if fn == "nonsensitive":  # the mark taken off a value (a collection keeps its elements')
            mark = self._mark
            outer, mark[0] = mark[0], False
            try:
                value = self._object_or_expr(inner, depth + 1)
            finally:
                inner_mark, mark[0] = mark[0], outer
            mark[0] = outer or (inner_mark and isinstance(value, (dict, list)))
            return value
        mark = self._mark
        outer, mark[0] = mark[0], False
        try:
            args = [self._object_or_expr(a, depth + 1) for a in split_args(inner)]
        finally:
            marked, mark[0] = mark[0], outer or mark[0]
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if marked and fn not in _KEEPS_ELEMENT_MARKS and any(unknown_in(a) for a in args):
            return UNKNOWN  # Terraform marks the whole result (index() of a list with a marked element)
        return call_function(fn, args)

    def _try(self, fn: str, args: list[str], depth: int) -> Any:
        """``try(a, b, ...)``: the first argument evaluated without an error; ``can(a)``: whether it
        is. As Terraform's: an argument that depends on what is not known makes the result unknown
        (whether it would fail is not known either), and all of them failing is an error."""
        if not args or (fn == "can" and len(args) != 1):
            return UNKNOWN
        for arg in args:
            self.trying += 1
            try:
                value = self._object_or_expr(arg, depth + 1)
            except _Fails:
                if fn == "can":
                    return False
                continue
            finally:
                self.trying -= 1
            if value is UNKNOWN or _has_unknown(value):
                return UNKNOWN
            return True if fn == "can" else value
        return self._fails()

    def _for(self, body: str, depth: int, as_object: bool) -> Any:
        m = _FOR.match(body)
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

    def _object_or_expr(self, arg: str, depth: int) -> Any:
        arg = arg.strip()
        if arg.startswith("{") and not _FOR.match(arg[1:]):
            if self.syntax != "hcl":
                return UNKNOWN
            parsed = parse_object(arg)
            return UNKNOWN if parsed is UNKNOWN else self.resolve(parsed, depth + 1)
        return self.expression(arg, depth)

    def marked(self, raw: Any) -> tuple[Any, bool]:
        """``raw`` resolved, and whether it holds a value Terraform marks sensitive (a sensitive
        variable, or what is computed from one). Such a value always reads UNKNOWN here: a known
        part of a partly marked value (``local.m.owner`` of ``{ owner = "x", key = var.s }``) is
        one Terraform leaves unmarked."""
        mark = self._mark
        outer, mark[0] = mark[0], False
        try:
            value = self.resolve(raw)
            return value, mark[0] and unknown_in(value)
        finally:
            mark[0] = outer or mark[0]

    def default_tags(self, raw: Any) -> Any:
        """A provider's ``default_tags`` resolved; where some derive from a marked value, as
        :class:`MarkedTags`."""
        value, hidden = self.marked(raw)
        if not hidden:
            return value
        if not isinstance(value, dict):
            return MarkedTags({}, frozenset(), whole=True)
        return MarkedTags({k: v for k, v in value.items() if not unknown_in(v)},
                          frozenset(k for k, v in value.items() if unknown_in(v)))

    def _var(self, name: str, depth: int) -> Any:
        if name in self.sensitive:
            self._mark[0] = True
            return UNKNOWN
        if name in self.values:
            return self.values[name]
        if name not in self.variables:
            return UNKNOWN
        v = self.variables[name]
        if v is UNKNOWN:
            return v
        trying, self.trying = self.trying, 0  # evaluated on its own: its errors are not try()'s
        try:
            return self.resolve(v, depth + 1)
        finally:
            self.trying = trying

    def _local(self, name: str, depth: int) -> Any:
        if name in self._locals:
            if self._local_marks.get(name):
                self._mark[0] = True
            return self._locals[name]
        if name not in self.locals_raw or name in self._resolving:
            return UNKNOWN
        self._resolving.add(name)
        trying, self.trying = self.trying, 0  # evaluated on its own: its errors are not try()'s
        outer, self._mark[0] = self._mark[0], False
        try:
            value = self.resolve(self.locals_raw[name], depth + 1)
        finally:
            self._resolving.discard(name)
            self.trying = trying
            marked = self._mark[0]
            self._mark[0] = outer or marked
        self._locals[name] = value
        self._local_marks[name] = marked
        return value


_NO_OPERATOR = object()

_KEEPS_ELEMENT_MARKS = frozenset({"merge", "lookup", "element", "concat", "tolist", "tomap", "keys", "length"})
"""Functions whose result keeps the marks of a collection's elements where they are (Terraform's
``terraform show -json`` leaves a known part unmarked); any other marks its whole result."""


@functools.lru_cache(maxsize=1 << 16)
def _steps(steps: str) -> tuple[bool, tuple[Any, ...]]:
    """A traversal's steps (``.a["b"][0]``) as keys, and whether the first is an attribute name."""
    found = [(sm.group(1), sm.group(2), sm.group(3)) for sm in _STEP.finditer(steps)]
    return bool(found and found[0][0]), tuple(a if a is not None else (b if b is not None else int(c))
                                                for a, b, c in found)


def unknown_in(value: Any) -> bool:
    """Whether ``value`` is, or holds, UNKNOWN (as a value marked sensitive always does here)."""
    return value is UNKNOWN or _has_unknown(value)


def _has_unknown(value: Any) -> bool:
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


def is_sensitive(raw: Any, syntax: str) -> bool:
    """A ``sensitive`` argument as Terraform reads it; anything not clearly false counts as sensitive."""
    if raw is None:
        return False
    value = Scope(syntax).resolve(raw)
    return value is not None and as_bool(value) is not False


class MarkedTags(dict[str, Any]):
    """Provider default tags some of which Terraform marks sensitive: the entries known and not
    marked, with the keys of those marked (``marked``), or ``whole``: no entry can be read."""

    def __init__(self, known: Mapping[str, Any], marked: frozenset[str], whole: bool = False):
        super().__init__(known)
        self.marked, self.whole = marked, whole

    def __bool__(self) -> bool:
        return True


_GONE = object()


def _unmarked_part(raw: Any, value: Any, path: tuple[str, ...], scope: Scope, marked: list[tuple[str, ...]]) -> Any:
    """What of ``value`` (``raw`` resolved, holding a marked value) Terraform leaves unmarked, the
    paths of the rest added to ``marked``; ``_GONE`` when it is marked whole. An object written out is
    split by entry, a nested block (a one-element list) by attribute; a map computed whole by key."""
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict) and isinstance(value, list) \
            and len(value) == 1 and isinstance(value[0], dict):
        inner = _unmarked_part(raw[0], value[0], path, scope, marked)
        return _GONE if inner is _GONE else [inner]
    if not isinstance(value, dict):
        marked.append(path)
        return _GONE
    kept: dict[str, Any] = {}
    if not isinstance(raw, dict):  # a map computed whole: its entries not known are marked
        for name in value:
            if unknown_in(value[name]):
                marked.append((*path, name))
            else:
                kept[name] = value[name]
        return kept
    found: list[tuple[str, ...]] = []
    for k, v in raw.items():  # written out: which of its entries are marked
        if k.startswith("__") and k.endswith("__"):
            continue  # the parser's own keys (line numbers), not entries
        name = scope._key(k, 0)
        if not isinstance(name, str) or name not in value:
            marked.append(path)
            return _GONE
        item, hidden = scope.marked(v)
        if not hidden:
            kept[name] = item
        elif (part := _unmarked_part(v, item, (*path, name), scope, found)) is not _GONE:
            kept[name] = part
    marked.extend(found)
    return kept


def declared_values(body: Mapping[str, Any], scope: Scope, skip: frozenset[str], rtype: str,
                    default_tags: Any, marked: list[tuple[str, ...]] | None = None) -> dict[str, Any]:
    """A resource block's attributes resolved statically, secrets and meta-arguments left out.

    AWS resources get ``tags_all`` as the provider computes it: ``default_tags`` under ``tags``.
    What derives from a value Terraform marks sensitive is left out as a plan leaves it out, and its
    path (attribute, then keys of objects and attributes of nested blocks) added to ``marked``.
    """
    from nhi_toolkit.catalog import secret_fields_for

    secrets = secret_fields_for(rtype)
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key in skip or key in secrets or key.startswith("__"):
            continue
        value, hidden = scope.marked(raw)
        if not hidden:
            values[key] = value
            continue
        if marked is not None and (kept := _unmarked_part(raw, value, (key,), scope, marked)) is not _GONE:
            values[key] = kept
    if rtype.startswith("aws_") and default_tags:
        tag_marks = [p for p in marked or () if p[0] == "tags"]
        tags = values.get("tags")
        if tags is None:  # omitted or null: tags_all is the default tags alone
            tags = {}
        defaults_marked = default_tags.marked if isinstance(default_tags, MarkedTags) else frozenset()
        if ("tags",) in tag_marks or (isinstance(default_tags, MarkedTags) and default_tags.whole):
            if marked is not None:
                marked.append(("tags_all",))  # the provider's copy is marked as the tags are
        elif default_tags is UNKNOWN or tags is UNKNOWN:
            values["tags_all"] = UNKNOWN
        elif isinstance(default_tags, dict) and isinstance(tags, dict):
            gone = {p[1] for p in tag_marks}  # a marked tag overrides the default: never the default's
            gone.update(k for k in defaults_marked if k not in tags)  # a marked default the tags leave
            values["tags_all"] = {k: v for k, v in {**default_tags, **tags}.items() if k not in gone}
            if marked is not None:
                marked.extend(("tags_all", k) for k in sorted(gone))
    return values


def declared_targets(refs: set[str], own_address: str, module: str = "") -> tuple[str, ...]:
    """The resources a block refers to (config addresses), itself excluded, sorted.

    ``module`` is the configuration path of the module the block is in (``module.a.module.b``):
    references inside a module name resources of that module.
    """
    from nhi_toolkit.addresses import reference_target

    own = f"{module}.{own_address}" if module else own_address
    return tuple(sorted({t for r in refs if (t := reference_target(r, module) or unicode_target(r, module))
                         and t != own}))
