"""Plan JSON from ``terraform show -json PLANFILE`` (format_version 0.1 through 1.x)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nhi_toolkit.addresses import config_address, reference_target
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import Document, as_list, clean_values, collect_references
from nhi_toolkit.model import InputKind, Location, Resource

__all__ = ["is_plan", "load_plan"]


def is_plan(doc: Mapping[str, Any]) -> bool:
    """A ``show -json`` plan has planned_values, resource_changes or a configuration with a plan."""
    return any(k in doc for k in ("resource_changes", "planned_values", "resource_drift")) or (
        "format_version" in doc and "configuration" in doc and "values" not in doc
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _action(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return None
    acts = [a for a in actions if isinstance(a, str)]
    if "delete" in acts and "create" in acts:
        return "replace"
    return acts[0] if acts else None


def _module_refs(module: Mapping[str, Any], prefix: str, out: dict[str, tuple[str, ...]]) -> None:
    """Configuration references of every resource, keyed by config address (module-qualified)."""
    for res in as_list(module.get("resources")):
        if not isinstance(res, dict):
            continue
        addr = res.get("address")
        if not isinstance(addr, str):
            continue
        refs: set[str] = set()
        collect_references(res.get("expressions"), refs)
        collect_references(res.get("for_each_expression"), refs)
        collect_references(res.get("count_expression"), refs)
        targets = sorted({t for r in refs if (t := reference_target(r, prefix))})
        out[f"{prefix}.{addr}" if prefix else addr] = tuple(t for t in targets if t != addr)
    calls = module.get("module_calls")
    if isinstance(calls, dict):
        for name, call in calls.items():
            if isinstance(call, dict) and isinstance(call.get("module"), dict):
                child = f"{prefix}.module.{name}" if prefix else f"module.{name}"
                _module_refs(call["module"], child, out)


def _walk_planned(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    stack = [module]
    while stack:
        mod = stack.pop()
        yield from (r for r in as_list(mod.get("resources")) if isinstance(r, dict))
        stack.extend(c for c in as_list(mod.get("child_modules")) if isinstance(c, dict))


def _record(
    rc: Mapping[str, Any], values: Any, sensitive: Any, unknown: Any, action: str | None,
    refs: Mapping[str, tuple[str, ...]], path: str,
) -> Resource | None:
    address, rtype, name = rc.get("address"), rc.get("type"), rc.get("name")
    if not (isinstance(address, str) and isinstance(rtype, str) and isinstance(name, str)):
        return None
    index = rc.get("index")
    if not isinstance(index, (int, str)) or isinstance(index, bool):
        index = None
    module = rc.get("module_address")
    return Resource(
        address=address,
        type=rtype,
        name=name,
        source=Location(path),
        kind=InputKind.PLAN,
        module=module if isinstance(module, str) else "",
        index=index,
        mode="data" if rc.get("mode") == "data" else "managed",
        provider=_str(rc.get("provider_name")),
        values=clean_values(values, sensitive, unknown, rtype),
        references=refs.get(config_address(address), ()),
        action=action,
    )


def load_plan(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Read a plan: what will exist after apply, what it deletes, and what drifted outside Terraform.

    ``wanted`` selects resource types worth keeping (the identity catalog); others are skipped.
    """
    refs: dict[str, tuple[str, ...]] = {}
    config = doc.get("configuration")
    if isinstance(config, dict) and isinstance(config.get("root_module"), dict):
        _module_refs(config["root_module"], "", refs)

    resources: list[Resource] = []
    changes = doc.get("resource_changes")
    if changes is not None and not isinstance(changes, list):
        raise InputError(path, "'resource_changes' is not a list")
    if changes:
        for rc in changes:
            if not isinstance(rc, dict) or rc.get("mode") == "data" or not wanted(str(rc.get("type"))):
                continue
            change = _obj(rc.get("change"))
            action = _action(change.get("actions"))
            if action == "read":
                continue
            if action in ("delete", "forget"):
                rec = _record(rc, change.get("before"), change.get("before_sensitive"), None, action,
                              refs, path)
            else:
                rec = _record(rc, change.get("after"), change.get("after_sensitive"),
                              change.get("after_unknown"), action, refs, path)
            if rec:
                resources.append(rec)
    else:
        planned = doc.get("planned_values")
        root = planned.get("root_module") if isinstance(planned, dict) else None
        if isinstance(root, dict):
            for res in _walk_planned(root):
                if res.get("mode") == "data" or not wanted(str(res.get("type"))):
                    continue
                rec = _record(res, res.get("values"), res.get("sensitive_values"), None, "no-op",
                              refs, path)
                if rec:
                    resources.append(rec)

    drift: list[Resource] = []
    drifted = doc.get("resource_drift")
    if drifted is not None and not isinstance(drifted, list):
        raise InputError(path, "'resource_drift' is not a list")
    for rc in drifted or ():
        if not isinstance(rc, dict) or rc.get("mode") == "data" or not wanted(str(rc.get("type"))):
            continue
        change = _obj(rc.get("change"))
        action = _action(change.get("actions"))
        rec = _record(rc, change.get("after"), change.get("after_sensitive"), None, action, refs, path)
        if rec is None:
            continue
        before = clean_values(change.get("before"), change.get("before_sensitive"), rtype=rec.type)
        drift.append(_with_before(rec, before))

    version = doc.get("terraform_version")
    return Document(
        path=path,
        kind=InputKind.PLAN,
        resources=tuple(resources),
        drift=tuple(drift),
        refresh_only=bool(drift) and all(r.action in (None, "no-op") for r in resources),
        terraform_version=version if isinstance(version, str) else None,
    )


def _with_before(rec: Resource, before: Mapping[str, Any]) -> Resource:
    from dataclasses import replace

    return replace(rec, metadata={"before": before})
