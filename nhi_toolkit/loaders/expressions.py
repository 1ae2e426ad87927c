"""Static resolution of the Terraform expressions that tags are usually written with.

Literal strings, ``var.x`` (defaults and tfvars), ``local.x``, attribute/index lookups on them,
string templates over those, and ``merge(...)`` of maps resolve; anything else is UNKNOWN, which the
rules report as info and never as missing.

Two syntaxes are read: python-hcl2's serialisation of native HCL (strings keep their quotes,
expressions are wrapped as ``${...}``) and Terraform JSON syntax (every string is a template).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nhi_toolkit.model import UNKNOWN

__all__ = ["Scope", "declared_targets", "declared_values", "find_references", "unquote"]

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_TRAVERSAL = re.compile(r"(var|local)\.([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])*)")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\s*(?:\"([^\"]*)\"|(\d+))\s*\]")
_REF = re.compile(r"(?<![\w.\"-])((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)")
_MAX_DEPTH = 20


def unquote(text: str) -> str:
    """Undo HCL string escapes (the text without its surrounding quotes)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
        if ch in "$%" and text[i + 1 : i + 3] == ch + "{":
            out.append(ch + "{")
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split_template(text: str) -> list[tuple[bool, str]] | None:
    """Split a template into (is_expression, text) parts; None when braces do not balance."""
    parts: list[tuple[bool, str]] = []
    i, start = 0, 0
    while i < len(text):
        if text.startswith("$${", i):
            i += 3
            continue
        if text.startswith("${", i):
            if i > start:
                parts.append((False, text[start:i]))
            depth, j, in_str = 1, i + 2, False
            while j < len(text) and depth:
                c = text[j]
                if in_str:
                    if c == "\\":
                        j += 1
                    elif c == '"':
                        in_str = False
                elif c == '"':
                    in_str = True
                elif c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                j += 1
            if depth:
                return None
            parts.append((True, text[i + 2 : j - 1]))
            i = start = j
            continue
        i += 1
    if start < len(text):
        parts.append((False, text[start:]))
    return parts


def _split_args(text: str) -> list[str]:
    args, depth, cur, in_str, i = [], 0, [], False, 0
    while i < len(text):
        c = text[i]
        if in_str:
            cur.append(c)
            if c == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c in "([{":
            depth += 1
            cur.append(c)
        elif c in ")]}":
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        args.append("".join(cur).strip())
    return args


def find_references(value: Any, into: set[str]) -> None:
    """Collect ``type.name`` references from every expression inside a raw value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                for is_expr, part in _split_template(item) or ():
                    if is_expr:
                        into.update(m.group(1) for m in _REF.finditer(part))
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if isinstance(k, str) and "${" in k)
        elif isinstance(item, list):
            stack.extend(item)


class Scope:
    """Variables and locals of one module, resolved lazily."""

    def __init__(
        self, syntax: str, variables: Mapping[str, Any] | None = None, locals_: Mapping[str, Any] | None = None
    ):
        self.syntax = syntax
        self.variables: dict[str, Any] = dict(variables or {})
        self.locals_raw: dict[str, Any] = dict(locals_ or {})
        self._locals: dict[str, Any] = {}
        self._resolving: set[str] = set()

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
                return UNKNOWN if "${" in raw else raw
            if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
                return self._template(raw[1:-1], depth)
            if raw.startswith("${") and raw.endswith("}"):
                parts = _split_template(raw)
                if parts and len(parts) == 1 and parts[0][0]:
                    return self.expression(parts[0][1], depth)
            return UNKNOWN
        return self._template(raw, depth, json_syntax=True)

    def _template(self, text: str, depth: int, json_syntax: bool = False) -> Any:
        if "${" not in text and "%{" not in text:
            return text.replace("$${", "${") if json_syntax else unquote(text)
        if "%{" in text.replace("%%{", ""):
            return UNKNOWN
        parts = _split_template(text)
        if not parts:
            return UNKNOWN
        if len(parts) == 1 and parts[0][0]:
            return self.expression(parts[0][1], depth)
        out = []
        for is_expr, part in parts:
            if not is_expr:
                out.append(part.replace("$${", "${") if json_syntax else unquote(part))
                continue
            v = self.expression(part, depth)
            if isinstance(v, bool):
                v = "true" if v else "false"
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str):
                return UNKNOWN
            out.append(v)
        return "".join(out)

    # -- expressions --------------------------------------------------------------------------
    def expression(self, expr: str, depth: int = 0) -> Any:
        """Resolve one expression's text."""
        expr = expr.strip()
        if depth > _MAX_DEPTH or not expr:
            return UNKNOWN
        if expr.startswith("(") and expr.endswith(")") and _balanced(expr[1:-1]):
            return self.expression(expr[1:-1], depth + 1)
        if len(expr) >= 2 and expr.startswith('"') and expr.endswith('"') and _one_string(expr):
            return self._template(expr[1:-1], depth + 1)
        if expr in ("null",):
            return None
        if expr in ("true", "false"):
            return expr == "true"
        m = _TRAVERSAL.fullmatch(expr)
        if m:
            kind, name, steps = m.groups()
            base = self._var(name, depth) if kind == "var" else self._local(name, depth)
            for sm in _STEP.finditer(steps):
                if base is UNKNOWN:
                    return UNKNOWN
                key: Any = sm.group(1) if sm.group(1) is not None else (
                    sm.group(2) if sm.group(2) is not None else int(sm.group(3)))
                if isinstance(base, dict) and isinstance(key, str):
                    if key not in base:
                        return UNKNOWN
                    base = base[key]
                elif isinstance(base, list) and isinstance(key, int) and key < len(base):
                    base = base[key]
                else:
                    return UNKNOWN
            return base
        if expr.startswith("merge(") and expr.endswith(")"):
            merged: dict[str, Any] = {}
            for arg in _split_args(expr[6:-1]):
                v = self._object_or_expr(arg, depth + 1)
                if not isinstance(v, dict):
                    return UNKNOWN
                merged.update(v)
            return merged
        if expr.startswith("{") and expr.endswith("}"):
            return self._object_or_expr(expr, depth + 1)
        return UNKNOWN

    def _object_or_expr(self, arg: str, depth: int) -> Any:
        arg = arg.strip()
        if arg.startswith("{"):
            if self.syntax != "hcl":
                return UNKNOWN
            try:
                import hcl2

                parsed = hcl2.loads(f"x = {arg}\n")
            except Exception:  # noqa: BLE001 - any parse failure only means "not statically known"
                return UNKNOWN
            return self.resolve(parsed.get("x"), depth + 1)
        return self.expression(arg, depth)

    def _var(self, name: str, depth: int) -> Any:
        if name not in self.variables:
            return UNKNOWN
        v = self.variables[name]
        return v if v is UNKNOWN else self.resolve(v, depth + 1)

    def _local(self, name: str, depth: int) -> Any:
        if name in self._locals:
            return self._locals[name]
        if name not in self.locals_raw or name in self._resolving:
            return UNKNOWN
        self._resolving.add(name)
        try:
            value = self.resolve(self.locals_raw[name], depth + 1)
        finally:
            self._resolving.discard(name)
        self._locals[name] = value
        return value


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _one_string(expr: str) -> bool:
    i = 1
    while i < len(expr) - 1:
        if expr[i] == "\\":
            i += 2
            continue
        if expr[i] == '"':
            return False
        i += 1
    return True


def declared_values(body: Mapping[str, Any], scope: Scope, skip: frozenset[str], rtype: str,
                    default_tags: Any) -> dict[str, Any]:
    """A resource block's attributes resolved statically, secrets and meta-arguments left out.

    AWS resources get ``tags_all`` as the provider computes it: ``default_tags`` under ``tags``.
    """
    from nhi_toolkit.catalog import secret_fields_for

    secrets = secret_fields_for(rtype)
    values = {key: scope.resolve(raw) for key, raw in body.items()
              if key not in skip and key not in secrets and not key.startswith("__")}
    if rtype.startswith("aws_") and default_tags:
        tags = values.get("tags", {})
        if default_tags is UNKNOWN or tags is UNKNOWN:
            values["tags_all"] = UNKNOWN
        elif isinstance(default_tags, dict) and isinstance(tags, dict):
            values["tags_all"] = {**default_tags, **tags}
    return values


def declared_targets(refs: set[str], own_address: str) -> tuple[str, ...]:
    """The resources a block refers to (config addresses), itself excluded, sorted."""
    from nhi_toolkit.addresses import reference_target

    return tuple(sorted({t for r in refs if (t := reference_target(r)) and t != own_address}))
