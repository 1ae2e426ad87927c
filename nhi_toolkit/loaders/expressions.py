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

from nhi_toolkit.loaders.expression_forms import (
    FOR,
    NO_OPERATOR,
    Fails,
    Forms,
    MarkedTags,
    as_bool,
    has_unknown,
)
from nhi_toolkit.loaders.expression_functions import TfSet, call_function
from nhi_toolkit.loaders.expression_text import (
    balanced,
    closing_bracket,
    find_references,
    heredoc_value,
    one_string,
    parse_object,
    split_args,
    split_template,
    unquote,
)
from nhi_toolkit.model import UNKNOWN

__all__ = ["MarkedTags", "Scope", "as_bool", "find_references", "has_unknown", "is_sensitive", "unquote"]

_TRAVERSAL = re.compile(r"([^\W\d][\w-]*)((?:\.[^\W\d][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])*)")
_STEP = re.compile(r"\.([^\W\d][\w-]*)|\[\s*(?:\"([^\"]*)\"|(\d+))\s*\]")
_MAX_DEPTH = 20
_ROOT = re.compile(r"[^\W\d][\w-]*")
_REFERENCE = re.compile(r"(?<![\w.])(?:var|local|module|each)(?:\.[^\W\d][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])+")
_ATTR = re.compile(r"\.([^\W\d][\w-]*)")
_CALL = re.compile(r"([a-z]+)\((.*)\)", re.DOTALL)


ModuleLookup = Callable[[str], Any]


class Scope(Forms):
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
        self.exact_here = False
        """Whether what this scope reads is known exactly whatever ``exact`` says: a root module none of
        whose variable types reshapes and that reads no child module's outputs (a child's types
        shape only what it is given and what it outputs)."""
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
        inner.each_marked = marked and each is not None and has_unknown(each[1])
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
                elif "." in inner and _TRAVERSAL.fullmatch(inner):
                    return UNKNOWN  # `{ var.k = 1 }`: an "ambiguous attribute key" Terraform refuses
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
        if operator is not NO_OPERATOR:
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
            if found is not NO_OPERATOR:
                return found
        call = _CALL.fullmatch(expr)
        if call and balanced(call.group(2)):
            return self._call(call.group(1), call.group(2), depth)
        if expr.startswith("{") and expr.endswith("}"):
            if FOR.match(expr[1:]):
                return self._for(expr[1:-1], depth, as_object=True)
            return self._object_or_expr(expr, depth + 1)
        if expr.startswith("[") and expr.endswith("]") and balanced(expr[1:-1]):
            if FOR.match(expr[1:]):
                return self._for(expr[1:-1], depth, as_object=False)
            return [self.expression(a, depth + 1) for a in split_args(expr[1:-1])]
        return UNKNOWN

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
                base = self._module(name)
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
                if isinstance(base, TfSet):
                    return UNKNOWN  # a set: an error, unless a list(...) type made it a list again
                if key >= len(base):
                    return self._fails()
                base = base[key]
            elif base is None or isinstance(base, (str, int, float, bool)):
                return self._fails()  # an attribute or index of null, a string, a number or a bool
            else:
                return UNKNOWN
        return base

    def _module(self, name: str) -> Any:
        """A module call's outputs: its arguments and outputs are evaluated on their own, their
        errors are not a try()'s."""
        if self.modules is None:
            return UNKNOWN
        trying, self.trying = self.trying, 0
        try:
            return self.modules(name)
        finally:
            self.trying = trying

    def _fails(self) -> Any:
        """What an expression Terraform refuses evaluates to: inside ``try()``/``can()`` (evaluated
        only where values' shapes are known exactly), the error they catch; else UNKNOWN (a
        configuration Terraform refuses is not judged here)."""
        if self.trying:
            raise Fails
        return UNKNOWN

    def _dynamic_traversal(self, expr: str, depth: int) -> Any:
        """A traversal indexed by expressions (``var.users[count.index]``, ``module.x[each.key].tags``):
        the keys worked out first. Not a traversal at all: ``NO_OPERATOR``."""
        m = _ROOT.match(expr)
        if m is None:
            return NO_OPERATOR
        steps: list[str] = []
        i = m.end()
        while i < len(expr):
            if expr[i] == ".":
                attr = _ATTR.match(expr, i)
                if attr is None:
                    return NO_OPERATOR
                steps.append(attr.group(0))
                i = attr.end()
            elif expr[i] == "[":
                end = closing_bracket(expr, i)
                if end < 0:
                    return NO_OPERATOR
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
                return NO_OPERATOR
        return self._traversal(m.group(0), "".join(steps), depth)

    def _splat_marks(self, root: str, steps: list[str], rest: str) -> None:
        """``module.x[*].out``: marked when that output of the call is (or ``module.x[*]`` whole, any)."""
        if root != "module" or len(steps) != 1 or not self.module_marks:
            return
        marks = self.module_marks(steps[0][1:])
        attr = _ATTR.match(rest)
        if marks and (attr is None or attr.group(1) in marks):
            self._mark[0] = True

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
        if marked and fn not in _KEEPS_ELEMENT_MARKS and any(has_unknown(a) for a in args):
            return UNKNOWN  # Terraform marks the whole result (index() of a list with a marked element)
        return call_function(fn, args)

    def _object_or_expr(self, arg: str, depth: int) -> Any:
        arg = arg.strip()
        if arg.startswith("{") and not FOR.match(arg[1:]):
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
            return value, mark[0] and has_unknown(value)
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
        return MarkedTags({k: v for k, v in value.items() if not has_unknown(v)},
                          frozenset(k for k, v in value.items() if has_unknown(v)))

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


_KEEPS_ELEMENT_MARKS = frozenset({"merge", "lookup", "element", "concat", "tolist", "tomap", "keys", "length"})
"""Functions whose result keeps the marks of a collection's elements where they are (Terraform's
``terraform show -json`` leaves a known part unmarked); any other marks its whole result."""


@functools.lru_cache(maxsize=1 << 16)
def _steps(steps: str) -> tuple[bool, tuple[Any, ...]]:
    """A traversal's steps (``.a["b"][0]``) as keys, and whether the first is an attribute name."""
    found = [(sm.group(1), sm.group(2), sm.group(3)) for sm in _STEP.finditer(steps)]
    return bool(found and found[0][0]), tuple(a if a is not None else (b if b is not None else int(c))
                                                for a, b, c in found)


def is_sensitive(raw: Any, syntax: str) -> bool:
    """A ``sensitive`` argument as Terraform reads it; anything not clearly false counts as sensitive."""
    if raw is None:
        return False
    value = Scope(syntax).resolve(raw)
    return value is not None and as_bool(value) is not False
