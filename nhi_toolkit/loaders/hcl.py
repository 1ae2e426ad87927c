"""HCL: ``.tf`` files read with python-hcl2, a directory tree evaluated root module by root module.

A root module is a directory with ``.tf`` files that no other directory in the tree calls as a local
module; its local module calls are followed (see :mod:`nhi_toolkit.loaders.modules`). Tags are
resolved statically where they are literal or come from variables, tfvars, locals and module
arguments; anything else is UNKNOWN. Provider ``default_tags`` with literal values are merged into AWS
resources' tags the way the provider's ``tags_all`` would be, in child modules too.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import decode_text, read_bytes
from nhi_toolkit.loaders.expressions import Scope, as_bool, is_sensitive
from nhi_toolkit.loaders.hcl_cache import Decls, declarations, record, storable
from nhi_toolkit.loaders.hcl_files import (
    is_override,
    json_tfvars,
    merge_override,
    module_dirs,
    tf_files,
    tf_json_files,
    top_level_lines,
)
from nhi_toolkit.loaders.modules import (
    Block,
    ModuleConfig,
    ModuleTree,
    body_references,
    is_local_source,
    redact_source,
)
from nhi_toolkit.loaders.type_convert import type_text
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource
from nhi_toolkit.records import Document

__all__ = ["load_hcl_dir", "load_hcl_files", "module_dirs", "module_tree", "parse_module", "read_module_dir", "tf_files",
           "tf_json_files"]

_LABEL = r'(?:[ \t]+("(?:[^"\\\n]|\\.)*"|[^\W\d][\w-]*))'
_BLOCK_LINE = re.compile(rf"^[ \t]*(resource|removed|module){_LABEL}?{_LABEL}?", re.MULTILINE)


def _parse(path: str, data: bytes | None = None) -> tuple[dict[str, Any], str]:
    import hcl2
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError, UnexpectedInput

    raw = read_bytes(path) if data is None else data
    if not raw.strip():
        return {}, ""  # Terraform reads an empty .tf/.tfvars file as declaring nothing
    text = decode_text(raw, path)
    options = SerializationOptions(with_comments=False)
    try:
        try:
            doc = _loads(hcl2.loads, text, options)
        except UnexpectedInput:
            # Terraform identifiers may hold any Unicode letter; python-hcl2 takes ASCII only.
            masked = _mask_identifiers(text)
            if masked == text:
                raise
            doc = _unmask(_loads(hcl2.loads, masked, options))
        except TypeError:
            # python-hcl2 cannot serialise a bare number as a for expression's value ([for s in x : 1]);
            # the same number in parentheses is the same expression.
            wrapped = _FOR_NUMBER.sub(r"\1\2(\3)", text)
            if wrapped == text:
                raise
            doc = _loads(hcl2.loads, wrapped, options)
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


_FOR_NUMBER = re.compile(r"(:|=>)([ \t]*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=[ \t]*(?:\]|\}|if\b|\n))")
_DEEP_STACK = 256 * 1024 * 1024
_DEEP_RECURSION = 100_000


def _loads(loads: Callable[..., Any], text: str, options: Any) -> Any:
    """python-hcl2's parse; nesting deeper than Python's default recursion limit (Terraform accepts
    it) is parsed again on a thread with a large stack."""
    try:
        return loads(text, serialization_options=options)
    except Exception as exc:
        # lark wraps a RecursionError raised inside a transformer callback in a VisitError
        if not isinstance(exc, RecursionError) and not isinstance(getattr(exc, "orig_exc", None),
                                                                    RecursionError):
            raise
    result: dict[str, Any] = {}

    def run() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(_DEEP_RECURSION)
        try:
            result["doc"] = loads(text, serialization_options=options)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            result["error"] = exc
        finally:
            sys.setrecursionlimit(limit)

    old = threading.stack_size(_DEEP_STACK)
    try:
        worker = threading.Thread(target=run, name="hcl-deep-parse")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old)
    if "error" in result:
        raise result["error"]
    return result["doc"]


_MASK = re.compile(r"__nhiu([0-9a-f]{1,6})__")


def _mask_identifiers(text: str) -> str:
    """Non-ASCII identifier letters outside strings and comments as ASCII markers (undone by _unmask)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif ch == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(text[i:j])
            i = j
        elif ord(ch) > 127 and ("a" + ch).isidentifier():
            out.append(f"__nhiu{ord(ch):x}__")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _unmask(value: Any) -> Any:
    if isinstance(value, str):
        return _MASK.sub(lambda m: chr(int(m.group(1), 16)), value) if "__nhiu" in value else value
    if isinstance(value, dict):
        return {_unmask(k): _unmask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmask(v) for v in value]
    return value


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


def _line_index(text: str) -> dict[tuple[str, str, str], list[int]]:
    """Lines of block headers by (kind, label, label), in file order (quoted or bare labels).

    Only lines that start at the top level count: a header inside a heredoc or a ``/* */`` comment
    (a commented-out block, an example in a description) is text, not the block."""
    index: dict[tuple[str, str, str], list[int]] = {}
    top = top_level_lines(text) if "/*" in text or "<<" in text else None
    for m in _BLOCK_LINE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if top is not None and line not in top:
            continue
        key = (m.group(1), _label(m.group(2)), _label(m.group(3)))
        index.setdefault(key, []).append(line)
    return index


def _label(text: str | None) -> str:
    if not text:
        return ""
    return text[1:-1] if text.startswith('"') else text


def _tfvars(directory: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    # Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) by name.
    autos = [*directory.glob("*.auto.tfvars"), *directory.glob("*.auto.tfvars.json")]
    files = [directory / "terraform.tfvars", directory / "terraform.tfvars.json",
             *sorted(autos, key=lambda p: p.name)]
    for f in files:
        # Chosen by name, not by "is a regular file": a FIFO, socket or dangling link named like a
        # tfvars file is an error naming it (read_bytes refuses it unopened), never skipped.
        if os.path.lexists(f):
            doc = json_tfvars(str(f)) if f.name.endswith(".json") else _parse(str(f))[0]
            values.update({k: v for k, v in doc.items() if not k.startswith("__")})
    if values and (rec := record()) is not None and not storable({**_NO_DECLS, "locals": list(values.items())}):
        rec["unstorable"] = True  # a literal under a secret field name: this load is not stored whole
    return values


#: Variable types that convert a value without changing its shape (which attributes, keys and
#: indexes it has): a missing one is then the error ``try()`` skips, as written.
_PLAIN_TYPES = frozenset({"any", "string", "number", "bool"} | {
    f"{kind}({item})" for kind in ("list", "map") for item in ("string", "number", "bool")})


def _plain_type(raw: Any) -> str | None:
    """A variable's ``type`` when it is one of :data:`_PLAIN_TYPES` (spaces dropped); None when it
    may reshape the value Terraform converts with it: ``object()`` drops attributes it does not
    name, ``optional()`` adds null ones, ``set()`` makes a list unindexable, ``map(any)`` unifies
    its elements; anything not plainly known counts."""
    if not isinstance(raw, str):
        return None
    text = "".join(raw.split())
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text if text in _PLAIN_TYPES else None


_NO_DECLS: Decls = {"variables": [], "locals": [], "outputs": [], "providers": [], "calls": [], "resources": [],
                    "shaping_types": False, "nullable": [], "plain_types": []}


def extract(path: str, data: bytes, wanted: Callable[[str], bool]) -> Decls:
    """What the loader keeps of one ``.tf`` file, as plain JSON data (cached by content).

    Resources of unwanted types keep only their labels and line (for the duplicate check); wanted
    ones lose their secret attributes (their references are kept aside), sensitive variables their
    default and sensitive outputs their value: nothing here is a value a report may not show.
    """
    from nhi_toolkit.catalog import secret_fields_for

    doc, text = _parse(path, data)
    lines = _line_index(text)

    def line_of(kind: str, a: str, b: str) -> int | None:
        queue = lines.get((kind, a, b))
        return queue.pop(0) if queue else None

    out: Decls = {"variables": [], "locals": [], "outputs": [], "providers": [], "places": [], "calls": [],
                  "resources": [], "removed": [], "types": {}, "shaping_types": False, "nullable": [],
                  "plain_types": []}
    for block in _blocks(doc, "variable"):
        for name, body in block.items():
            if isinstance(body, dict):
                if "type" in body:  # what Terraform converts a given value with (a reshaping one too)
                    plain = _plain_type(body["type"])
                    out["plain_types"].append([_unq(name), plain or type_text(body["type"])])
                    out["shaping_types"] = out["shaping_types"] or plain is None
                if "nullable" in body:  # false: a null given is replaced by the default
                    out["nullable"].append([_unq(name), as_bool(Scope("hcl").resolve(body["nullable"])) is not False])
                sensitive = is_sensitive(body.get("sensitive"), "hcl")
                has = "default" in body and not sensitive  # a sensitive default is never used
                out["variables"].append([_unq(name), sensitive, has, body["default"] if has else None])
    for block in _blocks(doc, "locals"):
        out["locals"].extend([k, v] for k, v in block.items() if not k.startswith("__"))
    for block in _blocks(doc, "output"):
        for name, body in block.items():
            if isinstance(body, dict):
                sensitive = is_sensitive(body.get("sensitive"), "hcl")
                out["outputs"].append([_unq(name), sensitive, None if sensitive else body.get("value")])
    for block in _blocks(doc, "provider"):
        for name, body in block.items():
            if _unq(name) == "aws" and isinstance(body, dict):
                alias = Scope("hcl").resolve(body.get("alias")) if "alias" in body else None
                dt = _first_block(body, "default_tags")
                out["providers"].append(["aws" if alias is None else f"aws.{alias}", dt.get("tags", {}) if dt else {}])
    for block in _blocks(doc, "module"):
        for name_q, body in block.items():
            if isinstance(body, dict):
                name = _unq(name_q)
                line = line_of("module", name, "")
                out["places"].append(["module", name, "", line])
                src = body.get("source")
                if isinstance(src, str) and len(src) > 1 and src[0] == src[-1] == '"' \
                        and not is_local_source(src[1:-1]):
                    # what a finding shows of a remote source: credentials in its URL never cached
                    body = {**body, "source": f'"{redact_source(src[1:-1])}"'}
                out["calls"].append([name, line, body])
    types: dict[str, bool] = out["types"]
    for block in _blocks(doc, "resource"):
        for rtype_q, named in block.items():
            if not isinstance(named, dict):
                continue
            rtype = _unq(rtype_q)
            for name_q, body in named.items():
                if not isinstance(body, dict):
                    continue
                name = _unq(name_q)
                line = line_of("resource", rtype, name)
                out["places"].append(["resource", rtype, name, line])
                if types.setdefault(rtype, bool(wanted(rtype))):
                    secrets = secret_fields_for(rtype)
                    kept = {k: v for k, v in body.items() if k not in secrets}
                    out["resources"].append([rtype, name, line, kept, sorted(body_references(body))])
    for block in _blocks(doc, "removed"):
        line = line_of("removed", "", "")
        lifecycle = _first_block(block, "lifecycle")
        out["removed"].append([line, block.get("from"), lifecycle.get("destroy", True) if lifecycle else True])
    return out


def parse_module(files: list[str], directory: str, wanted: Callable[[str], bool],
                 known: Mapping[str, Decls | InputError] | None = None) -> ModuleConfig:
    """The declarations of one module's ``.tf`` files; duplicate resource or call names are errors.

    ``known`` holds files already read, by real path (a whole tree is read at once, in parallel);
    the others are read here.
    """
    mod = ModuleConfig(directory, "hcl", shaping_types=False)
    seen: dict[tuple[str, str, str], tuple[str, int | None]] = {}
    real = {f: os.path.realpath(f) for f in files} if known else {}
    missing = [f for f in files if real.get(f) not in (known or {})]
    found = declarations(missing, wanted, extract, read_bytes) if missing else {}
    # Override files (override.tf, *_override.tf) come after every other file, as Terraform reads them,
    # and merge into the blocks they name instead of duplicating them.
    for path in sorted(files, key=is_override):
        override = is_override(path)
        decls = found[path] if path in found else (known or {})[real[path]]
        if isinstance(decls, InputError):  # named as this module reads it
            raise InputError(path, decls.message, decls.line, decls.column)
        mod.shaping_types = mod.shaping_types or decls.get("shaping_types", True) is not False
        for name, nullable in decls.get("nullable", ()):
            (mod.not_null.discard if nullable else mod.not_null.add)(name)
        for name, plain in decls.get("plain_types", ()):
            if plain is None:
                mod.plain_types.pop(name, None)
            else:
                mod.plain_types[name] = plain
        if override:
            merge_override(mod, decls, path)
            continue
        for kind, a, b, line in decls["places"]:
            if (kind, a, b) in seen:
                first, first_line = seen[(kind, a, b)]
                what = f'resource "{a}" "{b}"' if kind == "resource" else f'module "{a}"'
                raise InputError(path, f"duplicate {what}: also declared at "
                                       f"{first}{f':{first_line}' if first_line else ''}", line)
            seen[(kind, a, b)] = (path, line)
        for name, sensitive, has, default in decls["variables"]:
            mod.variables[name] = (default if has else UNKNOWN, sensitive)
        mod.locals.update((k, v) for k, v in decls["locals"])
        for name, sensitive, value in decls["outputs"]:
            mod.outputs[name] = (value, sensitive)
        mod.providers.update((k, v) for k, v in decls["providers"])
        for name, line, body in decls["calls"]:
            mod.calls.append(Block(path, line, "module", name, body))
        for rtype, name, line, body, refs in decls["resources"]:
            mod.resources.append(Block(path, line, rtype, name, body, tuple(refs)))
        for line, target, destroy in decls["removed"]:
            rec = _removed(path, target, destroy, line, wanted)
            if rec:
                mod.extra.append(rec)
    return mod


def load_hcl_files(files: list[str], wanted: Callable[[str], bool], label: str | None = None,
                   tfvars_dir: Path | None = None) -> Document:
    """Read the given ``.tf`` files as one root module, following its local module calls."""
    directory = str(Path(files[0]).parent) if files else "."
    tree = _tree(wanted, strict=label is not None)
    mod = parse_module(files, directory, wanted)
    for call in mod.calls:
        target = tree.local_target(call, mod)
        if target is not None:
            tree.check_cycles([target])
    return _root_document(tree, mod, label or (files[0] if len(files) == 1 else directory), tfvars_dir)


def _tree(wanted: Callable[[str], bool], strict: bool = True,
          known: Mapping[str, Decls | InputError] | None = None) -> ModuleTree:
    def parse_dir(d: Path) -> ModuleConfig:
        rec = record()
        if rec is not None:
            rec["dirs"].append(str(d))
            if tf_json_files(d):
                rec["unstorable"] = True  # read by the JSON loader: not cached as a whole load
        return read_module_dir(d, wanted, known)

    return ModuleTree(wanted, InputKind.HCL, parse_dir, strict=strict)


def read_module_dir(d: Path, wanted: Callable[[str], bool],
                    known: Mapping[str, Decls | InputError] | None = None) -> ModuleConfig:
    """One module folder's declarations: its ``.tf`` files and its ``.tf.json`` files, read as one
    module as Terraform reads them (the JSON ones rewritten in native syntax when both are there)."""
    files = tf_files(d)
    json_files = tf_json_files(d)
    if not json_files:
        return parse_module(files, str(d), wanted, known)
    from nhi_toolkit.loaders.cdktf_json import json_module

    written = json_module(json_files, str(d), wanted)
    if not files:
        return written
    from nhi_toolkit.loaders.json_syntax import merge

    return merge(parse_module(files, str(d), wanted, known), written)


def load_json_root(directory: str, wanted: Callable[[str], bool]) -> Document:
    """A root module written in Terraform JSON syntax alone, its ``.tf.json`` files read as one module
    (:func:`read_module_dir`), its module calls followed as from any root."""
    root = Path(directory)
    tree = _tree(wanted)
    tree.check_cycles([root])
    return _root_document(tree, tree.module(root), directory, root)


def module_tree(wanted: Callable[[str], bool], strict: bool = True) -> ModuleTree:
    """A module tree reading directories as the loader does (``.tf``, else ``.tf.json``), for callers
    that walk declarations without evaluating them (source mapping)."""
    return _tree(wanted, strict)


def _root_document(tree: ModuleTree, mod: ModuleConfig, label: str, tfvars_dir: Path | None) -> Document:
    tfvars = _tfvars(tfvars_dir) if tfvars_dir is not None else {}
    tree.take_notes()
    resources = tree.evaluate_root(mod, tfvars)
    return Document(label, InputKind.HCL, tuple(resources), notes=tree.take_notes())


def _removed(path: str, raw_from: Any, destroy: Any, line: int | None,
             wanted: Callable[[str], bool]) -> Resource | None:
    if not isinstance(raw_from, str):
        return None
    target = raw_from[2:-1] if raw_from.startswith("${") and raw_from.endswith("}") else raw_from
    parts = target.split(".")
    while parts and parts[0] == "module" and len(parts) > 2:
        parts = parts[2:]
    if len(parts) != 2 or not wanted(parts[0]):
        return None
    return Resource(
        address=target,
        type=parts[0],
        name=parts[1],
        source=Location(path, line),
        kind=InputKind.HCL,
        # destroy = false, "false" or !true: Terraform converts the static value (not true: forgotten)
        action="delete" if as_bool(Scope("hcl").resolve(destroy)) is True else "forget",
        metadata={"removed_block": True},
    )


def load_hcl_dir(directory: str, wanted: Callable[[str], bool]) -> list[Document]:
    """Every root module under ``directory``: a directory with ``.tf`` files no other one calls.

    Local module calls are followed from each root; a directory only ever called as a module is not
    checked again on its own.
    """
    root = Path(directory)
    dirs = module_dirs(root)
    # Every module folder of the tree is read anyway (cycle check): parse all its files at once.
    files = [f for d in dirs for f in tf_files(d)]
    read = declarations(files, wanted, extract, read_bytes)
    tree = _tree(wanted, known={os.path.realpath(f): read[f] for f in files})
    callers = list(dirs)
    if root not in dirs and any(p.is_file() for p in root.glob("*.tf.json")):
        # A Terraform JSON root (read by the JSON loader) calls its modules too.
        callers.append(root)
    tree.check_cycles(callers)
    called = tree.called_dirs(callers)
    docs = []
    for d in dirs:
        if os.path.realpath(d) not in called:
            docs.append(_root_document(tree, tree.module(d), str(d), d))
    return docs
