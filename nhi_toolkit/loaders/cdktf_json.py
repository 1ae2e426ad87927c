"""Synthesized CDKTF: ``cdktf.out/stacks/*/cdk.tf.json`` (Terraform JSON configuration syntax).

Also reads any hand-written ``*.tf.json`` with a top-level ``resource`` object. The construct path
from cdktf's ``//`` metadata and the toolkit's own ``//.nhi`` declarations (suppressions, revocation
path) travel with each resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from nhi_toolkit.addresses import join_address
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.declared import declared_targets, declared_values
from nhi_toolkit.loaders.expressions import Scope, as_bool, find_references, is_sensitive
from nhi_toolkit.loaders.modules import Block, ModuleConfig, ModuleTree, provider_ref
from nhi_toolkit.loaders.type_convert import type_text
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource
from nhi_toolkit.native_expiry import native_expressions
from nhi_toolkit.records import Document, Note

__all__ = ["is_json_config", "json_module", "load_json_config"]


def is_json_config(doc: Mapping[str, Any]) -> bool:
    """Terraform JSON configuration: ``resource`` at the top, or the other top-level block types."""
    return isinstance(doc.get("resource"), dict) or (
        "terraform" in doc and any(k in doc for k in ("provider", "variable", "locals", "output", "data", "module"))
    )


_GATED_MAP = re.compile(r"^\$\{\{\s*for\s+\w+\s*,\s*\w+\s+in\s+\{(?P<body>[^{}]*)\}\s*:")
_MAP_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=')


def literal_for_each_keys(raw: Any) -> list[str] | None:
    """Instance keys of a ``for_each`` over a literal map (plain, or filtered by the nhi_now gate).

    The gate may drop some of them at plan time; declared here means "exists while not expired".
    None when the keys cannot be known without Terraform.
    """
    if isinstance(raw, dict):
        return sorted(raw)
    if isinstance(raw, str):
        m = _GATED_MAP.match(raw)
        if m:
            from nhi_toolkit.loaders.expressions import unquote

            return sorted(unquote(k) for k in _MAP_KEY.findall(m.group("body")))
    return None


def _provider_tags(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``aws`` / ``aws.alias`` -> raw ``default_tags.tags`` of each AWS provider configuration."""
    out: dict[str, Any] = {}
    for name, body in _objects(doc, "provider"):
        if name == "aws":
            alias = body.get("alias")
            dt = body.get("default_tags")
            if isinstance(dt, list):
                dt = dt[0] if dt else {}
            tags = dt.get("tags", {}) if isinstance(dt, dict) else {}
            out["aws" if not isinstance(alias, str) else f"aws.{alias}"] = tags
    return out


def load_json_config(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Read one synthesized stack (or any Terraform JSON configuration file)."""
    variables: dict[str, Any] = {}
    hidden: set[str] = set()
    for name, body in _objects(doc, "variable"):
        # A sensitive variable's value must never reach a report ("true" counts, as in Terraform).
        sensitive = is_sensitive(body.get("sensitive"), "json")
        variables[name] = body["default"] if "default" in body and not sensitive else UNKNOWN
        if sensitive:
            hidden.add(name)
    locals_raw = _locals(doc)
    scope = Scope("json", variables, locals_raw, sensitive=frozenset(hidden))
    providers = {k: scope.default_tags(v) for k, v in _provider_tags(doc).items()}
    resources = doc.get("resource")
    if resources is not None and not isinstance(resources, dict):
        raise InputError(path, "'resource' is not an object")
    out: list[Resource] = []
    for rtype, named in sorted((resources or {}).items()):
        if not isinstance(named, dict) or not wanted(rtype):
            continue
        for name, body in sorted(named.items()):
            if isinstance(body, list):  # JSON syntax allows a list of one body
                body = body[0] if body and isinstance(body[0], dict) else {}
            if not isinstance(body, dict):
                continue
            # Each resource gets the default_tags of the provider configuration it names, none for
            # an alias that sets none (an unconfigured one included).
            defaults = providers.get(provider_ref(body.get("provider")), {})
            rec = _resource(path, rtype, name, body, scope, defaults)
            keys: list[Any] | None = literal_for_each_keys(body.get("for_each"))
            if keys is None and "count" in body:
                n = scope.resolve(body["count"])
                keys = list(range(n)) if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 100_000 \
                    else None
            if keys is None:
                if "for_each" in body or "count" in body:
                    # Judged once at its configuration address: the instances are not known statically.
                    rec = replace(rec, metadata={**rec.metadata, "unknown_instances": rec.metadata["expanded"]})
                out.append(rec)
            else:
                out.extend(replace(rec, address=join_address("", "managed", rtype, name, k), index=k)
                           for k in keys)
    out.extend(_removed_records(doc, path, wanted))
    notes: tuple[Note, ...] = ()
    if isinstance(doc.get("module"), dict) and doc["module"]:
        module_resources, notes = _follow_calls(doc, path, wanted)
        out.extend(module_resources)
    stack_meta = doc.get("//")
    stack = None
    if isinstance(stack_meta, dict):
        md = stack_meta.get("metadata")
        if isinstance(md, dict) and isinstance(md.get("stackName"), str):
            stack = md["stackName"]
    return Document(path, InputKind.CDKTF, tuple(out), metadata={"stack": stack} if stack else {},
                    notes=notes)


def json_module(files: list[str], directory: str, wanted: Callable[[str], bool]) -> ModuleConfig:
    """A module written in Terraform JSON syntax (``*.tf.json`` files), for the module evaluator."""
    from nhi_toolkit.loaders.common import check_depth, decode_text, parse_json, read_bytes
    from nhi_toolkit.loaders.hcl_files import is_override

    mod = ModuleConfig(directory, "json")
    seen: dict[tuple[str, str], str] = {}
    # Override files (override.tf.json, *_override.tf.json) are merged after all the others.
    for path in sorted(files, key=lambda f: (is_override(f.removesuffix(".json")), f)):
        doc = parse_json(decode_text(read_bytes(path), path), path)
        check_depth(doc, path)
        if not isinstance(doc, dict):
            raise InputError(path, "expected a JSON object")
        if is_override(path.removesuffix(".json")):
            _override(doc, path, wanted, mod)
        else:
            _declarations(doc, path, wanted, mod, seen)
    return mod


def _override(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool], mod: ModuleConfig) -> None:
    """One JSON override file merged into the module as the HCL loader merges a ``.tf`` override
    (:func:`nhi_toolkit.loaders.hcl_files.merge_override`)."""
    from nhi_toolkit.loaders.hcl_files import merge_block, override_output, override_variable

    for name, body in _objects(doc, "variable"):
        override_variable(mod, name, "default" in body, body.get("default"),
                          is_sensitive(body.get("sensitive"), "json"))
        _nullable(mod, name, body)
    mod.locals.update(_locals(doc))
    for name, body in _objects(doc, "output"):
        value = body["value"] if "value" in body else mod.outputs.get(name, (None, False))[0]
        override_output(mod, name, value, is_sensitive(body.get("sensitive"), "json"))
    mod.providers.update(_provider_tags(doc))
    for name, body in _objects(doc, "module"):
        merge_block(mod.calls, Block(path, None, "module", name, body))
    for rtype, named in (item for part in _parts(doc.get("resource")) for item in part.items()):
        for name, body in _named(named):
            if wanted(rtype):
                merge_block(mod.resources, Block(path, None, rtype, name, body))


def _nullable(mod: ModuleConfig, name: str, body: Mapping[str, Any]) -> None:
    """``nullable = false``: a null given to the variable is its default; its ``type``: what a
    value given is converted through (:func:`nhi_toolkit.loaders.type_convert.convert_type`)."""
    if "type" in body:
        mod.plain_types[name] = type_text(body["type"])
    if "nullable" in body:
        (mod.not_null.discard if as_bool(Scope("json").resolve(body["nullable"])) is not False
         else mod.not_null.add)(name)


def _parts(section: Any) -> list[dict[str, Any]]:
    """A block section of JSON syntax: an object, or an array of objects (Terraform reads both)."""
    if isinstance(section, dict):
        return [section]
    return [p for p in section if isinstance(p, dict)] if isinstance(section, list) else []


def _objects(doc: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for section in _parts(doc.get(key)):
        for name, body in section.items():
            if isinstance(body, list):  # JSON syntax allows a list of bodies
                out.extend((name, b) for b in body if isinstance(b, dict))
            elif isinstance(body, dict):
                out.append((name, body))
    return out


def _locals(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for part in _parts(doc.get("locals")) for k, v in part.items()}


def _declarations(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool], mod: ModuleConfig,
                  seen: dict[tuple[str, str], str]) -> None:
    for name, body in _objects(doc, "variable"):
        mod.variables[name] = (body.get("default", UNKNOWN), is_sensitive(body.get("sensitive"), "json"))
        _nullable(mod, name, body)
    mod.locals.update(_locals(doc))
    for name, body in _objects(doc, "output"):
        mod.outputs[name] = (body.get("value"), is_sensitive(body.get("sensitive"), "json"))
    mod.providers.update(_provider_tags(doc))
    for name, body in _objects(doc, "module"):
        if ("module", name) in seen:
            raise InputError(path, f'duplicate module "{name}": also declared in {seen[("module", name)]}')
        seen[("module", name)] = path
        mod.calls.append(Block(path, None, "module", name, body))
    for rtype, named in (item for part in _parts(doc.get("resource")) for item in part.items()):
        for name, body in _named(named):
            if (rtype, name) in seen:
                raise InputError(path, f'duplicate resource "{rtype}" "{name}": also declared in '
                                       f'{seen[(rtype, name)]}')
            seen[(rtype, name)] = path
            if wanted(rtype):
                mod.resources.append(Block(path, None, rtype, name, body))
    mod.extra.extend(_removed_records(doc, path, wanted))


def _removed_records(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> list[Resource]:
    """``removed`` blocks in JSON syntax, read as the HCL loader reads them (destroy = false: forgotten)."""
    from nhi_toolkit.loaders.hcl import _removed

    raw = doc.get("removed")
    out: list[Resource] = []
    for body in raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []:
        if not isinstance(body, dict):
            continue
        life = body.get("lifecycle")
        if isinstance(life, list):
            life = life[0] if life and isinstance(life[0], dict) else {}
        destroy = life.get("destroy", True) if isinstance(life, dict) else True
        rec = _removed(path, body.get("from"), as_bool(Scope("json").resolve(destroy)) is True, None, wanted)
        if rec is not None:
            out.append(rec)
    return out


def _named(named: Any) -> list[tuple[str, Any]]:
    return _objects({"x": named}, "x")


def _follow_calls(doc: Mapping[str, Any], path: str,
                  wanted: Callable[[str], bool]) -> tuple[list[Resource], tuple[Note, ...]]:
    """Resources of the stack's module calls: local sources relative to the stack folder."""
    from pathlib import Path


    directory = str(Path(path).parent)
    mod = ModuleConfig(directory, "json")
    _declarations({k: v for k, v in doc.items() if k != "resource"}, path, wanted, mod, {})

    def parse_dir(d: Path) -> ModuleConfig:
        from nhi_toolkit.loaders.hcl import read_module_dir

        return read_module_dir(d, wanted)

    tree = ModuleTree(wanted, InputKind.CDKTF, parse_dir)
    for call in mod.calls:
        target = tree.local_target(call, mod)
        if target is not None:
            tree.check_cycles([target])
    return tree.evaluate_calls(mod), tree.take_notes()


_META_KEYS = frozenset({"//", "lifecycle", "provisioner", "connection", "depends_on"})


def _resource(path: str, rtype: str, name: str, body: Mapping[str, Any], scope: Scope,
              defaults: Any) -> Resource:
    marked: list[tuple[str, ...]] = []
    values = declared_values(body, scope, _META_KEYS, rtype, defaults, marked)
    refs: set[str] = set()
    find_references({k: v for k, v in body.items() if k not in ("//", "lifecycle")}, refs)
    deps = body.get("depends_on")
    if isinstance(deps, list):
        refs.update(d[2:-1] if d.startswith("${") else d for d in deps if isinstance(d, str))
    targets = declared_targets(refs, f"{rtype}.{name}")
    raw_lifecycle = body.get("lifecycle")
    if isinstance(raw_lifecycle, list):  # JSON syntax allows a list of one block
        raw_lifecycle = raw_lifecycle[0] if raw_lifecycle else {}
    lifecycle: Mapping[str, Any] = raw_lifecycle if isinstance(raw_lifecycle, dict) else {}
    meta: dict[str, Any] = {}
    comment = body.get("//")
    if isinstance(comment, dict):
        md = comment.get("metadata")
        if isinstance(md, dict) and isinstance(md.get("path"), str):
            meta["construct_path"] = md["path"]
        nhi = comment.get("nhi")
        if isinstance(nhi, dict):
            meta["nhi"] = nhi
    if "count" in body or "for_each" in body:
        meta["expanded"] = "count" if "count" in body else "for_each"
    meta.update(native_expressions(rtype, body))
    if marked:  # where Terraform will mark the values sensitive (names and keys, never a value)
        meta["sensitive_paths"] = tuple(sorted(set(marked)))
    return Resource(
        address=f"{rtype}.{name}",
        type=rtype,
        name=name,
        source=Location(path),
        kind=InputKind.CDKTF,
        values=values,
        references=targets,
        prevent_destroy=as_bool(Scope("json").resolve(lifecycle.get("prevent_destroy"))) is True,  # "true" too
        metadata=meta,
    )
