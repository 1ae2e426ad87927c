"""State: raw ``terraform.tfstate`` (version 4, and the legacy versions 1 to 3 written by Terraform
0.11 and earlier) and ``terraform show -json`` state output."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nhi_toolkit.addresses import config_address, join_address
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import as_list, clean_values, sensitive_metadata
from nhi_toolkit.model import InputKind, Location, Resource
from nhi_toolkit.records import Document

__all__ = ["decode_dynamic", "is_raw_state", "is_show_state", "load_raw_state", "load_show_state", "state_lineage"]

_CTY_COLLECTIONS = {"object", "map", "list", "set", "tuple"}
_CTY_PRIMITIVES = {"string", "number", "bool", "dynamic"}


def is_raw_state(doc: Mapping[str, Any]) -> bool:
    """Raw state has an integer ``version`` and ``resources`` (v4) or ``modules`` (v1-3)."""
    return isinstance(doc.get("version"), int) and ("resources" in doc or "modules" in doc or "lineage" in doc)


def is_show_state(doc: Mapping[str, Any]) -> bool:
    """``terraform show -json`` of a state: ``format_version`` with ``values`` and no plan keys."""
    return "format_version" in doc and "values" in doc and "planned_values" not in doc


def _is_cty_type(t: Any) -> bool:
    if isinstance(t, str):
        return t in _CTY_PRIMITIVES
    return isinstance(t, list) and len(t) == 2 and t[0] in _CTY_COLLECTIONS


def decode_dynamic(value: Any) -> Any:
    """Raw state stores dynamically typed attributes as ``{"value": ..., "type": ...}``; unwrap them."""
    if isinstance(value, dict) and len(value) == 2 and "value" in value and _is_cty_type(value.get("type")):
        return value["value"]
    return value


def _sensitive_mask(paths: Any) -> Any:
    """Turn raw state ``sensitive_attributes`` (lists of path steps) into a nested mask."""
    if not isinstance(paths, list) or not paths:
        return None
    mask: dict[str, Any] = {}
    for path in paths:
        steps = path if isinstance(path, list) else [path]
        node: Any = mask
        keys: list[Any] = []
        for step in steps:
            if not isinstance(step, dict):
                keys = []
                break
            if step.get("type") == "get_attr":
                keys.append(step.get("value"))
            elif step.get("type") == "index":
                v = step.get("value")
                keys.append(v.get("value") if isinstance(v, dict) else v)
            else:
                keys = []
                break
        if not keys or not isinstance(keys[0], str):
            continue
        for i, k in enumerate(keys):
            last = i == len(keys) - 1
            if not isinstance(node, dict):
                break
            if last:
                node[str(k)] = True
            else:
                nxt = node.get(str(k))
                if nxt is True:
                    break
                if not isinstance(nxt, dict):
                    nxt = node[str(k)] = {}
                node = nxt
    return mask or None


def _mask_for_value(mask: Any, value: Any) -> Any:
    """Raw-state masks key list elements by number as strings; make them lists for list values."""
    if not isinstance(mask, dict):
        return mask
    if isinstance(value, list):
        out: list[Any] = [None] * len(value)
        for k, m in mask.items():
            if str(k).isdigit() and int(k) < len(value):
                out[int(k)] = _mask_for_value(m, value[int(k)])
        return out
    if isinstance(value, dict):
        return {k: _mask_for_value(m, value.get(k)) for k, m in mask.items()}
    return mask


class _Dependencies:
    """Terraform records an instance's ``dependencies`` transitively: a key of ``old`` that refers
    to nothing else lists ``old`` and everything ``old`` depends on, through resources of any type.
    References are what an instance depends on directly, as far as the file tells: a dependency
    every instance of another dependency also lists is reached through that one and dropped. A data
    source records no dependencies, so what is reached through one stays (it cannot be told apart).

    Only dependencies of the types the loader keeps are tested (no other can be a parent or a
    link), each against the instance's other dependencies: what each resource depends on is worked
    out once, when first asked.
    """

    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self.wanted = wanted
        self._lists: dict[str, list[Any]] = {}
        """config address -> the raw dependency list of each of its instances."""
        self._common: dict[str, frozenset[str]] = {}
        self._kept: dict[str, bool] = {}
        self._memo: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, config_addr: str, deps: Any) -> None:
        """One instance of ``config_addr`` and its (raw) dependency list."""
        self._lists.setdefault(config_addr, []).append(deps)

    def common(self, config_addr: str) -> frozenset[str]:
        """What every instance of ``config_addr`` depends on."""
        found = self._common.get(config_addr)
        if found is None:
            sets = [frozenset(d for d in raw if isinstance(d, str)) if isinstance(raw, list) else frozenset()
                    for raw in self._lists.get(config_addr, ())]
            found = self._common[config_addr] = frozenset.intersection(*sets) if sets else frozenset()
        return found

    def _tested(self, dep: str) -> bool:
        found = self._kept.get(dep)
        if found is None:
            steps = dep.split(".")
            data = len(steps) >= 3 and steps[-3] == "data" and (len(steps) == 3 or steps[-4] != "module")
            found = self._kept[dep] = len(steps) >= 2 and not data and self.wanted(steps[-2])
        return found

    def direct(self, deps: tuple[str, ...]) -> tuple[str, ...]:
        """``deps`` (sorted, unique) less those reached through another of them."""
        if len(deps) < 2:
            return deps
        found = self._memo.get(deps)
        if found is None:
            through = {d for d in deps if self._tested(d)
                       and any(n != d and d in self.common(n) for n in deps)}
            found = tuple(d for d in deps if d not in through) or deps
            self._memo[deps] = found
        return found


def _dependencies(inst: Mapping[str, Any], key: str) -> tuple[str, ...]:
    deps = inst.get(key)
    return tuple(sorted({d for d in deps if isinstance(d, str)})) if isinstance(deps, list) else ()


def _raw_dependencies(items: list[Any], wanted: Callable[[str], bool]) -> _Dependencies:
    """What each instance of each resource (any type, data sources too) in a v4 state depends on."""
    out = _Dependencies(wanted)
    for res in items:
        if not isinstance(res, dict):
            continue
        rtype, name, module = res.get("type"), res.get("name"), res.get("module")
        if not isinstance(rtype, str) or not isinstance(name, str):
            continue
        mode = "data" if res.get("mode") == "data" else "managed"
        cfg = config_address(join_address(module if isinstance(module, str) else "", mode, rtype, name, None))
        for inst in as_list(res.get("instances")):
            out.add(cfg, inst.get("dependencies") if isinstance(inst, dict) else None)
    return out


def load_raw_state(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Read a raw state file: version 4, or the legacy module-tree versions 1 to 3."""
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise InputError(path, f"state version {version} is not a Terraform state version (1 to 4)")
    if version < 4:
        return _load_legacy_state(doc, path, wanted)
    if version > 4:
        raise InputError(path, f"state version {version} is newer than this tool understands (4)")
    items = doc.get("resources")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise InputError(path, "'resources' is not a list")
    out: list[Resource] = []
    dependencies = _raw_dependencies(items, wanted)
    for res in items:
        if not isinstance(res, dict) or res.get("mode", "managed") != "managed":
            continue
        rtype, name = res.get("type"), res.get("name")
        if not isinstance(rtype, str) or not isinstance(name, str) or not wanted(rtype):
            continue
        module = str(res["module"]) if isinstance(res.get("module"), str) else ""
        provider = str(res["provider"]) if isinstance(res.get("provider"), str) else ""
        for inst in as_list(res.get("instances")):
            if not isinstance(inst, dict):
                continue
            key = inst.get("index_key")
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                key = None
            attrs = inst.get("attributes")
            if not isinstance(attrs, dict):
                attrs = _from_flat(inst.get("attributes_flat"))
            decoded = {k: decode_dynamic(v) for k, v in attrs.items()}
            mask = _mask_for_value(_sensitive_mask(inst.get("sensitive_attributes")), decoded)
            refs = dependencies.direct(_dependencies(inst, "dependencies"))
            out.append(
                Resource(
                    address=join_address(module, "managed", rtype, name, key),
                    type=rtype,
                    name=name,
                    source=Location(path),
                    kind=InputKind.STATE,
                    module=module,
                    index=key,
                    provider=provider,
                    values=clean_values(decoded, mask, rtype=rtype),
                    references=refs,
                    metadata=sensitive_metadata(mask, inst.get("deposed")),
                )
            )
    tv = doc.get("terraform_version")
    return Document(path, InputKind.STATE, tuple(out),
                    terraform_version=tv if isinstance(tv, str) else None)


def _from_flat(flat: Any) -> dict[str, Any]:
    """Pre-0.12 flatmap attributes kept in a v4 state (not yet upgraded by a refresh), decoded."""
    if not isinstance(flat, dict):
        return {}
    return _unflatten({k: v for k, v in flat.items() if isinstance(k, str) and isinstance(v, str)})


def _unflatten(flat: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Decode legacy flatmap attributes (``tags.% = 1``, ``tags.owner = a``, ``list.# = 2``).

    Map keys may contain dots (``kubernetes.io/name``): below a ``%`` counter the rest of the key is
    the map key. Values stay strings, as the legacy format stores them.
    """
    out: dict[str, Any] = {}
    heads: dict[str, None] = {}
    for key in flat:
        if key.startswith(prefix):
            heads.setdefault(key[len(prefix):].split(".", 1)[0], None)
    for head in heads:
        full = prefix + head
        if f"{full}.%" in flat:
            inner = f"{full}."
            out[head] = {k[len(inner):]: v for k, v in flat.items()
                         if k.startswith(inner) and k != f"{full}.%" and isinstance(v, str)}
        elif f"{full}.#" in flat:
            items = _unflatten(flat, f"{full}.")
            items.pop("#", None)
            out[head] = [items[k] for k in sorted(items, key=lambda i: (len(i), i))]
        elif full in flat:
            out[head] = flat[full]
        else:
            out[head] = _unflatten(flat, f"{full}.")
    return out


def _legacy_module(path_steps: Any) -> str | None:
    if not isinstance(path_steps, list) or not path_steps or path_steps[0] != "root":
        return None
    steps = path_steps[1:]
    if not all(isinstance(s, str) and s for s in steps):
        return None
    return "".join(f"module.{s}." for s in steps).rstrip(".")


def _legacy_target(module: str, dep: str) -> str | None:
    parts = dep.split(".")
    if parts and parts[0] == "module":
        return None
    if parts[-1] == "*" or parts[-1].isdigit():
        parts = parts[:-1]
    if len(parts) != 2:
        return None
    return f"{module}.{'.'.join(parts)}" if module else ".".join(parts)


def _load_legacy_state(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Versions 1 to 3 (Terraform 0.11 and earlier): a list of modules, each a map of resources."""
    out: list[Resource] = []
    for mod in as_list(doc.get("modules")):
        if not isinstance(mod, dict):
            continue
        module = _legacy_module(mod.get("path"))
        resources = mod.get("resources")
        if module is None or not isinstance(resources, dict):
            continue
        for key, res in sorted(resources.items()):
            if not isinstance(res, dict) or not isinstance(key, str) or key.startswith("data."):
                continue
            parts = key.split(".")
            index: int | None = None
            if len(parts) == 3 and parts[2].isdigit():
                index = int(parts[2])
                parts = parts[:2]
            if len(parts) != 2:
                continue
            rtype, name = parts
            if not wanted(rtype):
                continue
            primary = res.get("primary")
            attrs = primary.get("attributes") if isinstance(primary, dict) else None
            values = _unflatten(attrs) if isinstance(attrs, dict) else {}
            deps = res.get("depends_on")
            refs = {t for d in as_list(deps) if isinstance(d, str) and (t := _legacy_target(module, d))}
            provider = res.get("provider")
            out.append(
                Resource(
                    address=join_address(module, "managed", rtype, name, index),
                    type=rtype,
                    name=name,
                    source=Location(path),
                    kind=InputKind.STATE,
                    module=module,
                    index=index,
                    provider=provider if isinstance(provider, str) else "",
                    values=clean_values(values, rtype=rtype),
                    references=tuple(sorted(refs)),
                )
            )
    tv = doc.get("terraform_version")
    return Document(path, InputKind.STATE, tuple(out),
                    terraform_version=tv if isinstance(tv, str) else None)


def _walk(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    stack = [module]
    while stack:
        mod = stack.pop()
        yield from (r for r in as_list(mod.get("resources")) if isinstance(r, dict))
        stack.extend(c for c in as_list(mod.get("child_modules")) if isinstance(c, dict))


def load_show_state(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Read ``terraform show -json`` state output."""
    values = doc.get("values")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InputError(path, "'values' is not an object")
    root = values.get("root_module") or {}
    if not isinstance(root, dict):
        raise InputError(path, "'values.root_module' is not an object")
    out: list[Resource] = []
    dependencies = _Dependencies(wanted)
    for res in _walk(root):
        if isinstance(res.get("address"), str):
            dependencies.add(config_address(res["address"]), res.get("depends_on"))
    for res in _walk(root):
        rtype, name, address = res.get("type"), res.get("name"), res.get("address")
        if res.get("mode", "managed") != "managed" or not isinstance(rtype, str) or not wanted(rtype):
            continue
        if not isinstance(name, str) or not isinstance(address, str):
            continue
        index = res.get("index")
        if isinstance(index, bool) or not isinstance(index, (int, str)):
            index = None
        module = address.rsplit(f".{rtype}.{name}", 1)[0] if address.startswith("module.") else ""
        refs = dependencies.direct(_dependencies(res, "depends_on"))
        out.append(
            Resource(
                address=address,
                type=rtype,
                name=name,
                source=Location(path),
                kind=InputKind.SHOW_STATE,
                module=module,
                index=index,
                provider=str(res["provider_name"]) if isinstance(res.get("provider_name"), str) else "",
                values=clean_values(res.get("values"), res.get("sensitive_values"), rtype=rtype),
                references=refs,
                metadata=sensitive_metadata(res.get("sensitive_values"), res.get("deposed_key")),
            )
        )
    tv = doc.get("terraform_version")
    return Document(path, InputKind.SHOW_STATE, tuple(out),
                    terraform_version=tv if isinstance(tv, str) else None)


def state_lineage(doc: Mapping[str, Any]) -> tuple[str, int] | None:
    """(lineage, serial) of a raw state: which state it is and which write of it; None when either
    is missing or not of its type. Nothing else of the document is read."""
    lineage, serial = doc.get("lineage"), doc.get("serial")
    return (lineage, serial) if isinstance(lineage, str) and isinstance(serial, int) else None
