"""Terraform resource addresses: written exactly as Terraform writes them, and taken apart again.

``module.bots["team \\"x\\" bot"].aws_iam_user.agent[0]``: module steps with optional instance keys,
then ``[data.]type.name`` with an optional key. String keys use HCL quoting, as Terraform does.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from nhi_toolkit.recordtype import record

__all__ = [
    "AddressError",
    "ParsedAddress",
    "config_address",
    "format_key",
    "is_identifier",
    "join_address",
    "parse_address",
    "reference_target",
    "within_module",
]


class AddressError(ValueError):
    """An address that is not a Terraform resource address."""


# Terraform (internal/addrs, toHCLQuotedString) escapes every rune Go's unicode.IsPrint rejects: all
# but letters, marks, numbers, punctuation, symbols and the ASCII space. So U+00A0, U+3000 and every
# other non-ASCII space (Zs), line and paragraph separators, controls, format characters, surrogates,
# private use and unassigned code points are written \uXXXX / \UXXXXXXXX. Terraform 1.x is built with
# Go's Unicode 15.0 tables; these are the code points Unicode 15.0 assigned as printable that an older
# Unicode database (Python 3.11 ships 14.0) still calls unassigned.
_PRINTABLE_SINCE_15_0 = (
    (0x0CF3, 0x0CF3), (0x0ECE, 0x0ECE), (0x10EFD, 0x10EFF), (0x1123F, 0x11241), (0x11B00, 0x11B09),
    (0x11F00, 0x11F10), (0x11F12, 0x11F3A), (0x11F3E, 0x11F59), (0x1342F, 0x1342F), (0x13440, 0x13455),
    (0x1B132, 0x1B132), (0x1B155, 0x1B155), (0x1D2C0, 0x1D2D3), (0x1DF25, 0x1DF2A), (0x1E030, 0x1E06D),
    (0x1E08F, 0x1E08F), (0x1E4D0, 0x1E4F9), (0x1F6DC, 0x1F6DC), (0x1F774, 0x1F776), (0x1F77B, 0x1F77F),
    (0x1F7D9, 0x1F7D9), (0x1FA75, 0x1FA77), (0x1FA87, 0x1FA88), (0x1FAAD, 0x1FAAF), (0x1FABB, 0x1FABD),
    (0x1FABF, 0x1FABF), (0x1FACE, 0x1FACF), (0x1FADA, 0x1FADB), (0x1FAE8, 0x1FAE8), (0x1FAF7, 0x1FAF8),
    (0x2B739, 0x2B739), (0x31350, 0x323AF),
)
# Assigned by Unicode 15.1 (Python 3.13), still unassigned, so escaped, in Go's Unicode 15.0.
_UNASSIGNED_IN_15_0 = ((0x2FFC, 0x2FFF), (0x31EF, 0x31EF), (0x2EBF0, 0x2EE5D))


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _printable(ch: str) -> bool:
    """Go's ``unicode.IsPrint`` over Unicode 15.0: categories L, M, N, P, S and the ASCII space."""
    if ch == " ":
        return True
    code = ord(ch)
    if unicodedata.category(ch)[0] in "LMNPS":
        return not (unicodedata.unidata_version != "15.0.0" and _in(code, _UNASSIGNED_IN_15_0))
    return unicodedata.unidata_version < "15.0.0" and _in(code, _PRINTABLE_SINCE_15_0)


def quote_string(s: str) -> str:
    """Quote a string instance key exactly as Terraform writes it in addresses.

    The one place addresses are quoted: HCL string syntax with ``\\n``, ``\\r``, ``\\t``, ``\\"`` and
    ``\\\\``; ``${`` and ``%{`` doubled to ``$${`` and ``%%{``; every other rune that is not printable
    to Go (see :func:`_printable`) as ``\\uXXXX`` (``\\UXXXXXXXX`` above U+FFFF).
    """
    if s.isascii() and s.isprintable() and not any(c in s for c in '"\\$%'):
        return f'"{s}"'  # the common key: nothing to escape
    out = ['"']
    for i, ch in enumerate(s):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "$%":
            out.append(ch)
            if s[i + 1 : i + 2] == "{":
                out.append(ch)
        elif not _printable(ch):
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_key(key: int | str | None) -> str:
    """``[0]``, ``["k"]`` or empty."""
    if key is None:
        return ""
    if isinstance(key, bool):  # bool is an int subclass; Terraform never uses it as a key
        raise AddressError("boolean instance key")
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{quote_string(str(key))}]"


def join_address(module: str, mode: str, rtype: str, name: str, key: int | str | None) -> str:
    """Build a full instance address from its parts."""
    local = f"{'data.' if mode == 'data' else ''}{rtype}.{name}{format_key(key)}"
    return f"{module}.{local}" if module else local


@record()
class ParsedAddress:
    """An address taken apart: ``module`` keeps its instance keys; ``key`` is the resource's own."""

    module: str
    mode: str
    type: str
    name: str
    key: int | str | None

    @property
    def config_address(self) -> str:
        """The address with every instance key removed."""
        mod = _strip_keys(self.module)
        local = f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"
        return f"{mod}.{local}" if mod else local


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ASCII_IDENT_RUN = re.compile(r"[A-Za-z0-9_-]*")

# Terraform's identifiers (hclsyntax): (ID_Start | "_") (ID_Continue | "-")*, Unicode's derived
# properties. ID_Start is the letters (L*) and letter numbers (Nl) plus Other_ID_Start, less
# Pattern_Syntax (U+2E2F is the one letter there); ID_Continue adds marks (Mn, Mc), decimal digits (Nd),
# connector punctuation (Pc) and Other_ID_Continue. Terraform 1.x uses Unicode 9.0's tables: ZWNJ, ZWJ,
# U+30FB and U+FF65 (ID_Continue since 15.1) are refused as it refuses them; letters assigned after 9.0
# are accepted (Terraform never writes them, so accepting them costs nothing).
_OTHER_ID_START = frozenset("\u1885\u1886\u2118\u212e\u309b\u309c")
_OTHER_ID_CONTINUE = frozenset("\u00b7\u0387\u1369\u136a\u136b\u136c\u136d\u136e\u136f\u1370\u1371\u19da")
_PATTERN_SYNTAX_LETTERS = frozenset("\u2e2f")


@functools.lru_cache(maxsize=4096)
def _id_start(ch: str) -> bool:
    if ch in _PATTERN_SYNTAX_LETTERS:
        return False
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl") or ch in _OTHER_ID_START


@functools.lru_cache(maxsize=4096)
def _id_continue(ch: str) -> bool:
    return (_id_start(ch) or ch in _OTHER_ID_CONTINUE
            or (unicodedata.category(ch) in ("Mn", "Mc", "Nd", "Pc") and ch not in _PATTERN_SYNTAX_LETTERS))


def _ident_end(text: str, pos: int) -> int | None:
    """Where the Terraform identifier starting at ``pos`` ends, or None when none starts there."""
    m = _IDENT.match(text, pos)
    if m:
        pos = m.end()
    elif pos < len(text) and _id_start(text[pos]):
        pos += 1
    else:
        return None
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch.isascii():
            end = _ASCII_IDENT_RUN.match(text, pos).end()  # type: ignore[union-attr]
            if end == pos:
                break
            pos = end
        elif _id_continue(ch):
            pos += 1
        else:
            break
    return pos


def is_identifier(text: str) -> bool:
    """True when ``text`` is one Terraform identifier (a resource, module or type name)."""
    return bool(text) and _ident_end(text, 0) == len(text)


def _read_key(text: str, pos: int) -> tuple[int | str, int]:
    """Read ``[...]`` starting at ``pos`` (which is ``[``); return the key and the position after."""
    pos += 1
    if pos < len(text) and text[pos] == '"':
        pos += 1
        buf: list[str] = []
        while pos < len(text):
            ch = text[pos]
            if ch == "\\":
                nxt = text[pos + 1 : pos + 2]
                simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
                if nxt in simple:
                    buf.append(simple[nxt])
                    pos += 2
                elif nxt == "u":
                    buf.append(chr(int(text[pos + 2 : pos + 6], 16)))
                    pos += 6
                elif nxt == "U":
                    buf.append(chr(int(text[pos + 2 : pos + 10], 16)))
                    pos += 10
                else:
                    raise AddressError("bad escape in instance key")
            elif ch in "$%" and text[pos + 1 : pos + 3] == ch + "{":
                buf.append(ch)
                pos += 2
            elif ch == '"':
                pos += 1
                break
            else:
                buf.append(ch)
                pos += 1
        else:
            raise AddressError("unterminated instance key")
        if text[pos : pos + 1] != "]":
            raise AddressError("instance key not closed")
        return "".join(buf), pos + 1
    end = text.find("]", pos)
    if end < 0:
        raise AddressError("instance key not closed")
    digits = text[pos:end]
    if not digits.isdigit():
        raise AddressError("instance key is neither a number nor a string")
    return int(digits), end + 1


def parse_address(address: str) -> ParsedAddress:
    """Parse a resource instance address (keys optional)."""
    pos = 0
    module_parts: list[str] = []
    text = address
    while text.startswith("module.", pos):
        end = _ident_end(text, pos + 7)
        if end is None:
            raise AddressError("bad module step")
        step = "module." + text[pos + 7 : end]
        pos = end
        if text[pos : pos + 1] == "[":
            key, pos = _read_key(text, pos)
            step += format_key(key)
        module_parts.append(step)
        if text[pos : pos + 1] != ".":
            raise AddressError("address ends after a module step")
        pos += 1
    mode = "managed"
    if text.startswith("data.", pos):
        mode = "data"
        pos += 5
    end = _ident_end(text, pos)
    if end is None:
        raise AddressError("missing resource type")
    rtype = text[pos:end]
    pos = end
    if text[pos : pos + 1] != ".":
        raise AddressError("missing resource name")
    end = _ident_end(text, pos + 1)
    if end is None:
        raise AddressError("missing resource name")
    name = text[pos + 1 : end]
    pos = end
    own_key: int | str | None = None
    if text[pos : pos + 1] == "[":
        own_key, pos = _read_key(text, pos)
    if pos != len(text):
        raise AddressError("trailing text after the address")
    return ParsedAddress(".".join(module_parts), mode, rtype, name, own_key)


_KEYS = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


def _strip_keys(text: str) -> str:
    return _KEYS.sub("", text)


def config_address(address: str) -> str:
    """``module.a["x"].aws_iam_user.u[0]`` -> ``module.a.aws_iam_user.u``."""
    return _strip_keys(address)


def reference_target(ref: str, module_prefix: str = "") -> str | None:
    """The resource a configuration reference points at, or None for var/local/each/etc.

    ``aws_iam_user.u.name`` -> ``aws_iam_user.u``; ``data.x.y.id`` -> ``data.x.y``; keys are dropped.
    ``module_prefix`` (``module.a``, no keys) qualifies references made inside a module.
    """
    ref = _strip_keys(ref.strip())
    parts = ref.split(".")
    if not parts or parts[0] in {
        "var", "local", "each", "count", "path", "terraform", "self", "module", "provider", "ephemeral",
    }:
        return None
    if parts[0] == "data":
        if len(parts) < 3:
            return None
        target = ".".join(parts[:3])
    else:
        if len(parts) < 2:
            return None
        target = ".".join(parts[:2])
    if not all(is_identifier(p) for p in target.split(".")):
        return None
    return f"{module_prefix}.{target}" if module_prefix else target


def within_module(module: str, instance: str) -> bool:
    """Whether module instance ``module`` is ``instance`` or a module it calls
    (``module.a["x"].module.b`` is within ``module.a["x"]``); the root holds only its own."""
    return module == instance or (bool(instance) and module.startswith(instance + "."))
