"""HCL: the ``.tf`` files of one module directory, read with python-hcl2.

Tags are resolved statically where they are literal or come from variable defaults, tfvars and
locals; anything else is UNKNOWN. Provider ``default_tags`` with literal values are merged into AWS
resources' tags the way the provider's ``tags_all`` would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import Document, decode_text, read_bytes
from nhi_toolkit.loaders.expressions import Scope, declared_targets, declared_values, find_references
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource
from nhi_toolkit.native_expiry import native_expressions

__all__ = ["load_hcl_dir", "load_hcl_files"]

_BLOCK_LINE = re.compile(r'^[ \t]*(resource|removed)\b(?:[ \t]+"([^"]+)"[ \t]+"([^"]+)")?', re.MULTILINE)


def _parse(path: str) -> tuple[dict[str, Any], str]:
    import hcl2
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError, UnexpectedInput

    text = decode_text(read_bytes(path), path)
    try:
        doc = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
    except UnexpectedInput as exc:
        line = getattr(exc, "line", None)
        col = getattr(exc, "column", None)
        raise InputError(path, "HCL syntax error", line if isinstance(line, int) and line > 0 else None,
                         col if isinstance(col, int) and col > 0 else None) from None
    except (LarkError, RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise InputError(path, "cannot parse this HCL") from None
    if not isinstance(doc, dict):
        raise InputError(path, "cannot parse this HCL")
    return doc, text


def _unq(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label.startswith('"') and label.endswith('"') else label


def _blocks(doc: Mapping[str, Any], kind: str) -> Iterable[Mapping[str, Any]]:
    for item in doc.get(kind) or ():
        if isinstance(item, dict):
            yield item


def _first_block(body: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    blocks = body.get(name)
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict):
        return blocks[0]
    return {}


def _line_index(text: str) -> tuple[dict[tuple[str, str], int], list[int]]:
    resources: dict[tuple[str, str], int] = {}
    removed: list[int] = []
    for m in _BLOCK_LINE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m.group(1) == "resource" and m.group(2):
            resources.setdefault((m.group(2), m.group(3)), line)
        elif m.group(1) == "removed":
            removed.append(line)
    return resources, removed


def _tfvars(directory: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    files = [directory / "terraform.tfvars"] + sorted(directory.glob("*.auto.tfvars"))
    for f in files:
        if f.is_file():
            doc, _ = _parse(str(f))
            values.update({k: v for k, v in doc.items() if not k.startswith("__")})
    return values


def load_hcl_files(files: list[str], wanted: Callable[[str], bool], label: str | None = None,
                   tfvars_dir: Path | None = None) -> Document:
    """Read the given ``.tf`` files as one module."""
    parsed = [(f, *_parse(f)) for f in files]
    variables: dict[str, Any] = {}
    sensitive_vars: set[str] = set()
    locals_raw: dict[str, Any] = {}
    default_tags: Any = {}
    for _, doc, _ in parsed:
        for block in _blocks(doc, "variable"):
            for name, body in block.items():
                if isinstance(body, dict):
                    variables[_unq(name)] = body.get("default", UNKNOWN)
                    if body.get("sensitive") is True:
                        sensitive_vars.add(_unq(name))
        for block in _blocks(doc, "locals"):
            locals_raw.update({k: v for k, v in block.items() if not k.startswith("__")})
        for block in _blocks(doc, "provider"):
            for name, body in block.items():
                if _unq(name) == "aws" and isinstance(body, dict) and "alias" not in body:
                    dt = _first_block(body, "default_tags")
                    if dt:
                        default_tags = dt.get("tags", {})
    if tfvars_dir is not None:
        variables.update(_tfvars(tfvars_dir))
    # A sensitive variable's value must never reach a report, whether from its default or tfvars.
    variables.update(dict.fromkeys(sensitive_vars, UNKNOWN))
    scope = Scope("hcl", variables, locals_raw)
    defaults = scope.resolve(default_tags) if default_tags else {}

    out: list[Resource] = []
    for path, doc, text in parsed:
        lines, removed_lines = _line_index(text)
        for block in _blocks(doc, "resource"):
            for rtype_q, named in block.items():
                rtype = _unq(rtype_q)
                if not isinstance(named, dict) or not wanted(rtype):
                    continue
                for name_q, body in named.items():
                    if not isinstance(body, dict):
                        continue
                    name = _unq(name_q)
                    out.append(_resource(path, rtype, name, body, scope, defaults,
                                         lines.get((rtype, name))))
        for i, block in enumerate(_blocks(doc, "removed")):
            rec = _removed(path, block, removed_lines[i] if i < len(removed_lines) else None, wanted)
            if rec:
                out.append(rec)
    return Document(label or (files[0] if len(files) == 1 else str(Path(files[0]).parent)),
                    InputKind.HCL, tuple(out))


_META_KEYS = frozenset({"lifecycle", "provisioner", "connection", "dynamic"})


def _resource(path: str, rtype: str, name: str, body: Mapping[str, Any], scope: Scope,
              defaults: Any, line: int | None) -> Resource:
    values = declared_values(body, scope, _META_KEYS, rtype, defaults)
    refs: set[str] = set()
    find_references({k: v for k, v in body.items() if k != "lifecycle"}, refs)
    targets = declared_targets(refs, f"{rtype}.{name}")
    lifecycle = _first_block(body, "lifecycle")
    prevent = scope.resolve(lifecycle.get("prevent_destroy")) is True if lifecycle else False
    meta: dict[str, Any] = {}
    if "count" in body or "for_each" in body:
        meta["expanded"] = "count" if "count" in body else "for_each"
    meta.update(native_expressions(rtype, body))
    return Resource(
        address=f"{rtype}.{name}",
        type=rtype,
        name=name,
        source=Location(path, line),
        kind=InputKind.HCL,
        values=values,
        references=targets,
        prevent_destroy=prevent,
        metadata=meta,
    )


def _removed(path: str, block: Mapping[str, Any], line: int | None,
             wanted: Callable[[str], bool]) -> Resource | None:
    raw_from = block.get("from")
    if not isinstance(raw_from, str):
        return None
    target = raw_from[2:-1] if raw_from.startswith("${") and raw_from.endswith("}") else raw_from
    parts = target.split(".")
    while parts and parts[0] == "module" and len(parts) > 2:
        parts = parts[2:]
    if len(parts) != 2 or not wanted(parts[0]):
        return None
    lifecycle = _first_block(block, "lifecycle")
    destroy = lifecycle.get("destroy", True) if lifecycle else True
    return Resource(
        address=target,
        type=parts[0],
        name=parts[1],
        source=Location(path, line),
        kind=InputKind.HCL,
        action="forget" if destroy is False else "delete",
        metadata={"removed_block": True},
    )


def tf_files(directory: Path) -> list[str]:
    """The ``.tf`` files directly in a directory, sorted."""
    return sorted(str(p) for p in directory.glob("*.tf") if p.is_file())


def load_hcl_dir(directory: str, wanted: Callable[[str], bool]) -> list[Document]:
    """Every module directory under ``directory`` (itself included) that holds ``.tf`` files."""
    root = Path(directory)
    docs = []
    dirs = [root] + sorted(
        p for p in root.rglob("*")
        if p.is_dir() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    for d in dirs:
        files = tf_files(d)
        if files:
            docs.append(load_hcl_files(files, wanted, label=str(d), tfvars_dir=d))
    return docs
