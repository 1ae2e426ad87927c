"""Terraform JSON syntax rewritten as python-hcl2 writes native HCL, so that one module folder may mix
``.tf`` and ``.tf.json`` files as Terraform allows, and be evaluated as one module.

In JSON syntax every string is a template (``"x-${var.a}"``) and an object key is a template too;
python-hcl2 writes a native string with its quotes and escapes (``'"x-${var.a}"'``), a bare
expression as ``'${...}'`` and an identifier key bare. The meta-arguments that name something
rather than hold a value (``depends_on``, ``provider``, a module call's ``providers``) are plain
references in JSON (``"aws.east"``) and expressions in native syntax. A variable's ``default`` is a
literal in JSON syntax: ``${`` there is text, not an interpolation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.expression_text import split_template
from nhi_toolkit.loaders.modules import Block, ModuleConfig
from nhi_toolkit.model import UNKNOWN

__all__ = ["body", "literal", "merge", "value"]

_IDENT = re.compile(r"[^\W\d][\w-]*\Z")
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_REFERENCE_LISTS = ("depends_on",)
_REFERENCES = ("provider",)


def _quoted(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def literal(raw: Any) -> Any:
    """A JSON literal (a variable's default): strings are text, ``${`` included."""
    if isinstance(raw, str):
        return _quoted(raw.replace("${", "$${").replace("%{", "%%{"))
    if isinstance(raw, list):
        return [literal(v) for v in raw]
    if isinstance(raw, dict):
        return {_key(k, template=False): literal(v) for k, v in raw.items()}
    return raw


def value(raw: Any) -> Any:
    """A JSON expression value: strings are templates, object keys too."""
    if isinstance(raw, str):
        return _template(raw)
    if isinstance(raw, list):
        return [value(v) for v in raw]
    if isinstance(raw, dict):
        return {_key(k): value(v) for k, v in raw.items()}
    return raw


def body(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A resource or module block's body: argument names stay names, ``//`` comments are dropped,
    and references in meta-arguments become expressions."""
    out: dict[str, Any] = {}
    for name, item in raw.items():
        if name == "//":
            continue
        if name in _REFERENCE_LISTS and isinstance(item, list):
            out[name] = [_reference(v) for v in item]
        elif name in _REFERENCES:
            out[name] = _reference(item)
        elif name == "providers" and isinstance(item, dict):
            out[name] = {k: _reference(v) for k, v in item.items()}
        elif name == "lifecycle" and isinstance(item, (dict, list)):
            out[name] = item  # names and literals (prevent_destroy, ignore_changes): kept as written
        else:
            out[name] = value(item)
    return out


def _reference(raw: Any) -> Any:
    if isinstance(raw, str) and not raw.startswith("${"):
        return "${" + raw + "}"
    return value(raw)


def _template(text: str) -> Any:
    parts = split_template(text)
    if parts is None:
        return UNKNOWN  # braces that do not balance: Terraform refuses the file
    if len(parts) == 1 and parts[0][0]:
        return "${" + parts[0][1] + "}"
    return '"' + "".join("${" + t + "}" if is_expr else t.translate(_ESCAPES) for is_expr, t in parts) + '"'


def _key(key: str, template: bool = True) -> Any:
    if _IDENT.match(key) and (not template or "${" not in key):
        return key
    if not template:
        return _quoted(key.replace("${", "$${").replace("%{", "%%{"))
    converted = _template(key)
    # A key whose braces do not balance names nothing: null as a key reads as unknown.
    if not isinstance(converted, str):
        return "${null}"
    # An expression key, parenthesised as native syntax needs it (`{ var.k = 1 }` is refused there)
    return f"${{({converted[2:-1]})}}" if converted.startswith("${") else converted


def merge(native: ModuleConfig, written: ModuleConfig) -> ModuleConfig:
    """One module from a folder's ``.tf`` files (``native``) and its ``.tf.json`` files (``written``,
    read in JSON syntax), the JSON declarations rewritten in native syntax. A name declared in both
    is refused, as Terraform refuses it."""
    def once(kind: str, names: Mapping[str, Any], into: Mapping[str, Any]) -> None:
        for name in names:
            if name in into:
                raise InputError(written.directory, f'duplicate {kind} "{name}": declared in both a .tf and a '
                                                    ".tf.json file of this folder")

    once("variable", written.variables, native.variables)
    once("local value", written.locals, native.locals)
    once("output", written.outputs, native.outputs)
    once("provider configuration", written.providers, native.providers)
    once("module", {b.name: b for b in written.calls}, {b.name: b for b in native.calls})
    declared = {(b.type, b.name) for b in native.resources}
    for block in written.resources:
        if (block.type, block.name) in declared:
            raise InputError(block.file, f'duplicate resource "{block.type}" "{block.name}": declared in both '
                                         "a .tf and a .tf.json file of this folder")
    native.variables.update({k: (v if v is UNKNOWN else literal(v), s) for k, (v, s) in written.variables.items()})
    native.locals.update({k: value(v) for k, v in written.locals.items()})
    native.outputs.update({k: (value(v), s) for k, (v, s) in written.outputs.items()})
    native.providers.update({k: value(v) for k, v in written.providers.items()})
    native.calls.extend(Block(b.file, b.line, b.type, b.name, body(b.body)) for b in written.calls)
    native.resources.extend(Block(b.file, b.line, b.type, b.name, body(b.body)) for b in written.resources)
    native.shaping_types = native.shaping_types or written.shaping_types  # a type in either reshapes values
    native.not_null |= written.not_null
    native.plain_types.update(written.plain_types)
    return native
