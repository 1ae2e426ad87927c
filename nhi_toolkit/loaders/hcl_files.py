"""Terraform's file rules the HCL loader follows beyond parsing one file: which files and folders
make the modules of a tree (hidden files aside), which lines are top-level block headers (not text
in a heredoc or a ``/* */`` comment), ``.tfvars.json`` values, and how override files
(``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms) merge into the blocks they name."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes
from nhi_toolkit.loaders.hcl_cache import Decls
from nhi_toolkit.loaders.modules import Block, ModuleConfig
from nhi_toolkit.model import UNKNOWN

__all__ = ["is_override", "json_tfvars", "merge_block", "merge_override", "module_dirs", "override_output",
           "override_variable", "tf_files", "tf_json_files", "top_level_lines"]

_HEREDOC_START = re.compile(r"<<-?([^\W\d][\w-]*)[ \t]*\r?\n")


def top_level_lines(text: str) -> set[int]:
    """The 1-based lines that begin outside any bracket, string, comment or heredoc."""
    top, depth, line, i, n = {1}, 0, 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            if depth == 0:
                top.add(line)
            i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif c == '"':
            end = _string_end(text, i)
            line += text.count("\n", i, end)
            i = end
        elif (m := _HEREDOC_START.match(text, i)) is not None:
            close = re.compile(rf"^[ \t]*{re.escape(m.group(1))}[ \t]*\r?$", re.MULTILINE).search(text, m.end())
            end = n if close is None else close.end()
            line += text.count("\n", i, end)
            i = end
        else:
            depth += 1 if c in "{[(" else -1 if c in "}])" else 0
            i += 1
    return top


def _string_end(text: str, i: int) -> int:
    """The offset just past the quoted string starting at ``i`` (templates may hold quotes)."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == '"' or c == "\n":
            return i + 1
        elif text.startswith(("${", "%{"), i) and not text.startswith(("$${", "%%{"), i - 1):
            depth, i = 1, i + 2
            while i < len(text) and depth:
                if text[i] == '"':
                    i = _string_end(text, i)
                    continue
                depth += 1 if text[i] == "{" else -1 if text[i] == "}" else 0
                i += 1
        else:
            i += 1
    return i


def json_tfvars(path: str) -> dict[str, Any]:
    """A ``.tfvars.json`` file's values, written as python-hcl2 serialises literals (strings quoted,
    template sequences escaped: a JSON variable value is never a template)."""
    doc = parse_json(decode_text(read_bytes(path), path), path)
    if not isinstance(doc, dict):
        raise InputError(path, "a .tfvars.json file must hold one JSON object")
    return {k: _hcl_literal(v) for k, v in doc.items()}


def _hcl_literal(value: Any) -> Any:
    if isinstance(value, str):
        text = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r").replace("\t", "\\t").replace("${", "$${").replace("%{", "%%{"))
        return f'"{text}"'
    if isinstance(value, dict):
        return {_hcl_literal(str(k)): _hcl_literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hcl_literal(v) for v in value]
    return value


def is_override(path: str) -> bool:
    """An override file (``override.tf``, ``*_override.tf``; for the ``.tf.json`` forms, ask about
    the name without ``.json``)."""
    name = os.path.basename(path)
    return name == "override.tf" or name.endswith("_override.tf")


def override_variable(mod: ModuleConfig, name: str, has_default: bool, default: Any, sensitive: bool) -> None:
    """A variable block of an override file merged: it keeps its default unless the override gives
    one, and stays sensitive."""
    old_default, old_sensitive = mod.variables.get(name, (UNKNOWN, False))
    mod.variables[name] = (default if has_default else old_default, bool(sensitive or old_sensitive))


def override_output(mod: ModuleConfig, name: str, value: Any, sensitive: bool) -> None:
    """An output block of an override file merged: its value, and sensitive if either says so."""
    mod.outputs[name] = (value, bool(sensitive or mod.outputs.get(name, (None, False))[1]))


def merge_override(mod: ModuleConfig, decls: Decls, path: str) -> None:
    """One override file's blocks merged into the module: a named block's arguments replace the
    original's (a variable keeps its default unless the override gives one, and stays sensitive)."""
    for name, sensitive, has, default in decls["variables"]:
        override_variable(mod, name, has, default, sensitive)
    mod.locals.update((k, v) for k, v in decls["locals"])
    for name, sensitive, value in decls["outputs"]:
        override_output(mod, name, value, sensitive)
    mod.providers.update((k, v) for k, v in decls["providers"])
    for name, line, body in decls["calls"]:
        merge_block(mod.calls, Block(path, line, "module", name, body))
    for rtype, name, line, body, refs in decls["resources"]:
        merge_block(mod.resources, Block(path, line, rtype, name, body, tuple(refs)))


def _blocks(raw: Any) -> list[dict[str, Any]]:
    return [raw] if isinstance(raw, dict) else [p for p in raw if isinstance(p, dict)]


def merge_block(blocks: list[Block], new: Block) -> None:
    """``new`` (from an override file) merged into the block of the same type and name, else added."""
    for i, old in enumerate(blocks):
        if (old.type, old.name) == (new.type, new.name):
            refs = None if old.refs is None or new.refs is None else tuple(dict.fromkeys(old.refs + new.refs))
            body = {**old.body, **new.body}
            old_life, new_life = old.body.get("lifecycle"), new.body.get("lifecycle")
            if isinstance(old_life, (list, dict)) and isinstance(new_life, (list, dict)):
                # lifecycle merges argument by argument (an override setting create_before_destroy
                # keeps the original's prevent_destroy); native syntax writes it as a list of one block
                merged: dict[str, Any] = {}
                for part in (*_blocks(old_life), *_blocks(new_life)):
                    merged.update(part)
                body["lifecycle"] = [merged] if isinstance(old_life, list) else merged
            blocks[i] = Block(old.file, old.line, old.type, old.name, body, refs)
            return
    blocks.append(new)


def tf_files(directory: Path) -> list[str]:
    """The ``.tf`` files directly in a directory, sorted; one that cannot be read is an error later."""
    return _visible(directory, "*.tf")


def tf_json_files(directory: Path) -> list[str]:
    """The ``.tf.json`` files directly in a directory, sorted."""
    return _visible(directory, "*.tf.json")


def _visible(directory: Path, pattern: str) -> list[str]:
    # Terraform ignores hidden files (.#main.tf editor locks, .old.tf), as module_dirs does
    return sorted(str(p) for p in directory.glob(pattern) if not p.name.startswith(".") and not p.is_dir())


def module_dirs(root: Path) -> list[Path]:
    """Directories under ``root`` (itself included) holding ``.tf`` files, and those below it written
    in Terraform JSON alone (``root``'s own JSON is read by the folder loader; a synthesized CDKTF stack,
    a folder whose only JSON is ``cdk.tf.json``, by the CDKTF loader when named); each real
    directory once.

    Hidden directories (``.terraform``) are skipped; a symlink loop is visited once; a directory
    that cannot be listed is an error naming it.
    """
    out: list[Path] = []
    seen: set[str] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        real = os.path.realpath(d)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(str(d), f"cannot read this directory ({exc.strerror or type(exc).__name__})") from None
        has_tf = False
        json_names = []
        subdirs = []
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(Path(e.path))
            elif e.name.endswith(".tf"):
                has_tf = True
            elif e.name.endswith(".tf.json"):
                json_names.append(e.name)
        if has_tf or (d != root and json_names and json_names != ["cdk.tf.json"]):
            out.append(d)
        stack.extend(reversed(subdirs))
    return out[:1] + sorted(out[1:]) if out and out[0] == root else sorted(out)
