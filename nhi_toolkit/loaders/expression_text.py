"""The text of HCL expressions: string escapes, template parts, splitting at the top level (outside
brackets and strings), object literals, and the resource references an expression mentions."""

from __future__ import annotations

import functools
import re
from typing import Any

from nhi_toolkit.model import UNKNOWN

__all__ = [
    "balanced",
    "closing_bracket",
    "find_references",
    "find_top",
    "heredoc_value",
    "one_string",
    "parse_object",
    "split_args",
    "split_template",
    "split_top",
    "unicode_target",
    "unquote",
]

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_REF = re.compile(r"(?<![\w.\"-])((?:data\.)?[^\W\d][\w-]*\.[^\W\d][\w-]*)")


@functools.lru_cache(maxsize=1 << 16)  # the same literals recur in every module instance
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


@functools.lru_cache(maxsize=1 << 16)
def split_template(text: str) -> tuple[tuple[bool, str], ...] | None:
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
    return tuple(parts)


def split_args(text: str) -> list[str]:
    """The comma-separated items of an argument or list text, split at the top level only."""
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
                for is_expr, part in split_template(item) or ():
                    if is_expr:
                        into.update(m.group(1) for m in _REF.finditer(part))
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if isinstance(k, str) and "${" in k)
        elif isinstance(item, list):
            stack.extend(item)


@functools.lru_cache(maxsize=4096)
def parse_object(text: str) -> Any:
    """An HCL object literal parsed by python-hcl2 (cached), or UNKNOWN when it does not parse."""
    try:
        import hcl2

        return hcl2.loads(f"x = {text}\n").get("x", UNKNOWN)
    except Exception:  # noqa: BLE001 - any parse failure only means "not statically known"
        return UNKNOWN


def find_top(text: str, token: str) -> int:
    """Offset of the first ``token`` outside brackets and strings, or -1."""
    return _scan(text, 0, token)


def _scan(text: str, i: int, token: str | None) -> int:
    """From offset ``i``, strings skipped: the first ``token`` outside brackets, or with no token the
    bracket closing one opened just before ``i``; -1 when there is none."""
    depth, in_str = 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0 and token is None:
                return i
        elif depth == 0 and token is not None and text.startswith(token, i):
            return i
        i += 1
    return -1


def split_top(text: str, token: str) -> list[str]:
    """``text`` split in two at the first top-level ``token`` (one item when there is none)."""
    pos = find_top(text, token)
    return [text] if pos < 0 else [text[:pos], text[pos + len(token):]]


def balanced(text: str) -> bool:
    """True when every bracket in ``text`` closes, and none closes before it opens."""
    depth = 0
    for c in text:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth < 0:
            return False
    return depth == 0


def one_string(expr: str) -> bool:
    """True when a quoted expression is one string literal (no unescaped quote inside)."""
    i = 1
    while i < len(expr) - 1:
        if expr[i] == "\\":
            i += 2
            continue
        if expr[i] == '"':
            return False
        i += 1
    return True


_UNICODE_REF = re.compile(r"((?:data\.)?[^\W\d][\w-]*\.[^\W\d][\w-]*)")


def unicode_target(ref: str, module: str) -> str | None:
    """A reference to a resource whose name holds non-ASCII letters (valid Terraform identifiers)."""
    if ref.isascii() or ref.split(".", 1)[0] in _NOT_RESOURCES:
        return None
    m = _UNICODE_REF.match(ref)
    if not m or (m.group(1).startswith("data.") and m.group(1).count(".") < 2):
        return None
    target = m.group(1)
    if target.startswith("data."):
        rest = ref[5:]
        m2 = _UNICODE_REF.match(rest)
        target = f"data.{m2.group(1)}" if m2 else target
    return f"{module}.{target}" if module else target


_NOT_RESOURCES = frozenset({"var", "local", "each", "count", "path", "terraform", "self", "module", "provider",
                            "ephemeral"})


_HEREDOC = re.compile(r'"<<(-?)([^\W\d][\w-]*)\n(.*?)\n?[ \t]*\2"', re.DOTALL)


def heredoc_value(raw: str) -> Any:
    """A heredoc's value as Terraform computes it (each line ends in a newline; ``<<-`` removes the
    lines' common indentation), or UNKNOWN when it interpolates."""
    m = _HEREDOC.fullmatch(raw)
    if not m:
        return UNKNOWN
    body = m.group(3)
    if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
        return UNKNOWN
    lines = body.split("\n") if body else []
    if m.group(1):
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        cut = min(indents, default=0)
        lines = [line[cut:] for line in lines]
    return "".join(line + "\n" for line in lines).replace("$${", "${").replace("%%{", "%{")


def closing_bracket(text: str, start: int) -> int:
    """Offset, from ``start + 1``, of the bracket closing the one at ``start`` (strings skipped), or -1."""
    end = _scan(text, start + 1, None)
    return end - start - 1 if end >= 0 else -1
