"""Source mapping: plan and state identities located at the configuration block that declares them.

A plan or state names resources by address (``module.bot["x"].aws_iam_role.this``); reviewers look
at ``.tf`` lines. The configuration directory (``nhi check --source-dir``, by default the plan's or
state's own directory when it holds ``.tf`` or ``.tf.json`` files) is read with the module-aware
HCL reader (:mod:`nhi_toolkit.loaders.hcl`, :mod:`nhi_toolkit.loaders.modules`) and its
``resource`` blocks are indexed by configuration address: the module path without instance keys
plus ``type.name``, following local module calls. Every plan or state resource whose configuration
address is declared there gets that block as its location (file, line, column), the ``module``
blocks on the way as ``module_call`` (outermost first) and its input file as ``input``. A resource
no block declares keeps its input file as location; that is not an error and not a finding.

CDKTF resources carry their construct path (synthesized ``//.metadata.path``) in every case.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import decode_text, read_bytes
from nhi_toolkit.model import InputKind, Location, Resource, relocated
from nhi_toolkit.records import Document

__all__ = ["MAPPED_KINDS", "declared_locations", "default_source_dir", "map_documents", "shown_path"]

#: Inputs that name resources by address only, so their location is worth mapping.
MAPPED_KINDS = (InputKind.PLAN, InputKind.STATE, InputKind.SHOW_STATE)


def _has_config(directory: Path) -> bool:
    try:
        return any(p.name.endswith((".tf", ".tf.json")) and not p.is_dir() for p in directory.iterdir())
    except OSError:
        return False


def default_source_dir(input_path: str) -> str | None:
    """The input file's directory when it holds Terraform configuration; else None."""
    if input_path in ("", "-") or "://" in input_path:
        return None
    path = Path(input_path)
    if not path.is_file():
        return None
    return str(path.parent) if _has_config(path.parent) else None


def shown_path(path: str) -> str:
    """A configuration path as reports show it: normalised, relative to the working directory when
    it lies inside it (so a ``--source-dir`` given absolute does not put absolute paths in reports)."""
    norm = os.path.normpath(path)
    if os.path.isabs(norm):
        cwd = os.getcwd()
        if norm == cwd or norm.startswith(cwd.rstrip(os.sep) + os.sep):
            return os.path.relpath(norm, cwd)
    return norm


def _construct_path(body: Mapping[str, Any]) -> str | None:
    comment = body.get("//")
    md = comment.get("metadata") if isinstance(comment, dict) else None
    path = md.get("path") if isinstance(md, dict) else None
    return path if isinstance(path, str) else None


class _Positions:
    """Where blocks start: a ``.tf`` block's column (its header keyword starts the line after the
    indentation, as the reader finds it) and a JSON block's line and column."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}
        self._json: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}

    def column(self, file: str, line: int | None) -> int | None:
        if line is None or not file.endswith(".tf"):
            return None
        if file not in self._lines:
            self._lines[file] = decode_text(read_bytes(file), file).split("\n")
        lines = self._lines[file]
        if not 0 < line <= len(lines):
            return None
        text = lines[line - 1]
        return len(text) - len(text.lstrip(" \t")) + 1

    def json_block(self, file: str, rtype: str, name: str) -> tuple[int | None, int | None]:
        if not file.endswith(".json"):
            return None, None
        if file not in self._json:
            self._json[file] = json_block_positions(decode_text(read_bytes(file), file))
        return self._json[file].get((rtype, name), (None, None))

    def block(self, file: str, line: int | None, rtype: str, name: str) -> tuple[int | None, int | None]:
        if line is None:
            return self.json_block(file, rtype, name)
        return line, self.column(file, line)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


def json_block_positions(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(type, name) -> (line, column) of each ``resource`` block's key in Terraform JSON
    configuration (``cdk.tf.json``); the text was already parsed as JSON by the loader, so only the
    structure is followed here (strings and brackets; numbers and literals are skipped)."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    path: list[str | None] = []
    key: str | None = None
    key_at = 0
    last: tuple[str, int] | None = None
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            last = (tok, m.start())
        elif tok == ":" and last is not None:
            try:
                key, key_at = json.loads(last[0]), last[1]
            except ValueError:
                key = None
        elif tok in "{[":
            if tok == "{" and key is not None and len(path) == 3 and path[1] == "resource" and path[0] is None:
                type_name = (path[2] or "", key)
                out.setdefault(type_name, _line_column(text, key_at))
            path.append(key if tok == "{" else None)
            key = None
        elif tok in "}]":
            if path:
                path.pop()
            key = None
        else:
            key = None
    return out


def _line_column(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, len(text[start:offset].encode("utf-16-le")) // 2 + 1


def declared_locations(directory: str, wanted: Callable[[str], bool]) -> dict[str, Location]:
    """Configuration address -> location of the ``resource`` block declaring it, in the root module
    at ``directory`` and the local modules it calls (each call site a ``module_call`` entry).

    A local module folder that is missing, or a call that loops back, is not followed (the plan was
    made, so Terraform read it elsewhere); a file that cannot be parsed is an InputError.
    """
    from nhi_toolkit.loaders.hcl import module_tree
    from nhi_toolkit.loaders.modules import MAX_DEPTH, MAX_INSTANCES

    tree = module_tree(wanted, strict=False)
    positions = _Positions()
    out: dict[str, Location] = {}
    root = Path(directory)
    stack: list[tuple[Path, str, tuple[Location, ...], tuple[str, ...]]] = [
        (root, "", (), (os.path.realpath(root),))]
    budget = MAX_INSTANCES  # a diamond of calls grows exponentially with depth: bound the walk
    while stack:
        folder, prefix, calls, chain = stack.pop()
        mod = tree.module(folder)
        budget -= 1 + len(mod.resources)
        if budget < 0:
            raise InputError(directory, f"the module calls reach more than {MAX_INSTANCES} blocks")
        for block in mod.resources:
            local = f"{block.type}.{block.name}"
            address = f"{prefix}.{local}" if prefix else local
            if address not in out:
                line, column = positions.block(block.file, block.line, block.type, block.name)
                out[address] = Location(shown_path(block.file), line, column, calls or None,
                                        _construct_path(block.body))
        for call in reversed(mod.calls):
            target = tree.local_target(call, mod)
            if target is None or len(chain) > MAX_DEPTH:
                continue
            real = os.path.realpath(target)
            if real in chain:
                continue
            step = f"module.{call.name}"
            stack.append((target, f"{prefix}.{step}" if prefix else step,
                          (*calls, Location(shown_path(call.file), call.line)), (*chain, real)))
    return out


def _mapped(res: Resource, table: Mapping[str, Location]) -> Resource:
    if res.mode != "managed":
        return res
    found = table.get(res.config_address)
    if found is None:
        return _with_construct(res)
    construct = found.construct_path or _metadata_path(res)
    return relocated(res, replace(found, construct_path=construct, input=res.source.file))


def _metadata_path(res: Resource) -> str | None:
    path = res.metadata.get("construct_path")
    return path if isinstance(path, str) else None


def _with_construct(res: Resource) -> Resource:
    path = _metadata_path(res)
    if path is None or res.source.construct_path == path:
        return res
    return relocated(res, replace(res.source, construct_path=path))


def _with_column(res: Resource, positions: _Positions, moved: dict[int, tuple[Location, Location]]) -> Resource:
    """A resource read from ``.tf`` (already at its block's line) given the block's column; one from
    Terraform JSON configuration given its line and column. ``moved`` maps each source record met
    (by identity: the instances of one block share theirs) to its located copy, made once."""
    src = res.source
    if src.line is None:
        return _in_json(res, positions)
    hit = moved.get(id(src))
    if hit is None:
        try:
            column = positions.column(src.file, src.line)
        except InputError:
            column = None
        new = src if column is None or column == src.column else replace(src, column=column)
        moved[id(src)] = (src, new)  # ``src`` is kept: its id is not reused meanwhile
    else:
        new = hit[1]
    return res if new is src else relocated(res, new)


def _in_json(res: Resource, positions: _Positions) -> Resource:
    """A synthesized resource located at its block's key in the JSON file (line and column)."""
    if res.source.line is not None:
        return res
    try:
        line, column = positions.json_block(res.source.file, res.type, res.name)
    except InputError:
        return res
    if line is None:
        return res
    return relocated(res, replace(res.source, line=line, column=column))


def map_documents(docs: Sequence[Document], wanted: Callable[[str], bool],
                  source_dir: str | None = None) -> list[Document]:
    """Documents with plan and state resources located at their declaring blocks (see the module doc).

    ``source_dir`` is the configuration for every plan and state input; None: each input's own
    directory when it holds configuration. An explicit directory that cannot be parsed is an error;
    a default one that cannot be parsed is quietly not used (the check itself does not need it).
    """
    tables: dict[str, dict[str, Location]] = {}
    out: list[Document] = []
    for doc in docs:
        if doc.kind in MAPPED_KINDS:
            directory = source_dir if source_dir is not None else default_source_dir(doc.path)
            table: Mapping[str, Location] = {}
            if source_dir is None and not doc.resources and not doc.drift:
                directory = None  # nothing to locate: the folder's .tf files are not parsed for it
            if directory is not None:
                key = os.path.realpath(directory)
                if key not in tables:
                    try:
                        tables[key] = declared_locations(directory, wanted)
                    except InputError:
                        if source_dir is not None:
                            raise
                        tables[key] = {}
                table = tables[key]
            if table:
                doc = replace(doc, resources=tuple(_mapped(r, table) for r in doc.resources),
                              drift=tuple(_mapped(r, table) for r in doc.drift))
            elif any(_metadata_path(r) for r in doc.resources):
                # Nothing to map to (no configuration beside the input): leave the records as they
                # were read, rather than rebuilding every one of a large plan for nothing.
                doc = replace(doc, resources=tuple(_with_construct(r) for r in doc.resources))
        elif doc.kind is InputKind.CDKTF:
            positions = _Positions()
            doc = replace(doc, resources=tuple(_in_json(_with_construct(r), positions) for r in doc.resources))
        elif doc.kind is InputKind.HCL:
            positions = _Positions()
            moved: dict[int, tuple[Location, Location]] = {}
            doc = replace(doc, resources=tuple(_with_column(_with_construct(r), positions, moved)
                                               for r in doc.resources))
        elif any(_metadata_path(r) for r in doc.resources):
            doc = replace(doc, resources=tuple(_with_construct(r) for r in doc.resources))
        out.append(doc)
    return out
