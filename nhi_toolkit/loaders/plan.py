"""Plan JSON from ``terraform show -json PLANFILE`` (format_version 0.1 through 1.x).

``tags_all`` that is known only after apply can add keys to ``tags`` only through the provider's
``default_tags``. The provider configuration each resource uses is read from
``configuration.provider_config`` (keys ``aws``, ``aws.east``, ``module.x:aws``) and the resource's
``provider_config_key``, so that ``tags_all`` is replaced by what it will be: ``tags`` alone when the
provider sets no default tags, their constant values merged under ``tags`` when it does. Only default
tags written as expressions (references) leave the missing keys unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping
from typing import Any

from nhi_toolkit.addresses import config_address, reference_target
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import as_list, clean_values, collect_references, sensitive_metadata
from nhi_toolkit.loaders.module_outputs import OutputTargets, plan_output_targets
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource, Unknown
from nhi_toolkit.records import Document

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
    if len(actions) == 1 and isinstance(actions[0], str):  # the common case: one action
        return actions[0]
    acts = [a for a in actions if isinstance(a, str)]
    if "delete" in acts and "create" in acts:
        return "replace"
    return acts[0] if acts else None


def _module_refs(module: Mapping[str, Any], prefix: str, out: dict[str, tuple[str, ...]],
                 provider_keys: dict[str, str] | None = None, needed: Container[str] | None = None,
                 through: OutputTargets | None = None) -> None:
    """Configuration references of every resource, keyed by config address (module-qualified).

    ``provider_keys`` receives each resource's ``provider_config_key`` under the same key. With
    ``needed``, only the resources at those config addresses are read: the expressions of a
    resource no kept record is an instance of are never looked at, so they are not walked. A
    reference to a module output (``module.bot.user_name``) stands for what that output refers to
    (:mod:`nhi_toolkit.loaders.module_outputs`).
    """
    calls = module.get("module_calls")
    if not isinstance(calls, dict):
        calls = None
    if through is None:
        through = plan_output_targets()
    for res in as_list(module.get("resources")):
        if not isinstance(res, dict):
            continue
        addr = res.get("address")
        if not isinstance(addr, str):
            continue
        own = f"{prefix}.{addr}" if prefix else addr
        if needed is not None and own not in needed:
            continue
        key = res.get("provider_config_key")
        if provider_keys is not None and isinstance(key, str):
            provider_keys[own] = key
        refs: set[str] = set()
        collect_references(res.get("expressions"), refs)
        collect_references(res.get("for_each_expression"), refs)
        collect_references(res.get("count_expression"), refs)
        found = {t for r in refs if (t := reference_target(r, prefix))}
        # Only a module that calls others has outputs to follow (a flat configuration asks nothing).
        if calls and any(r.startswith("module.") for r in refs):
            found.update(through.of(module, prefix, refs))
            found.discard(own)
        targets = sorted(found)
        out[own] = tuple(t for t in targets if t != addr)
    if calls:
        for name, call in calls.items():
            if isinstance(call, dict) and isinstance(call.get("module"), dict):
                child = f"{prefix}.module.{name}" if prefix else f"module.{name}"
                _module_refs(call["module"], child, out, provider_keys, needed, through)


def _default_tags(entry: Mapping[str, Any]) -> dict[str, Any] | Unknown:
    """The default tags one ``provider_config`` entry sets: {} for none, UNKNOWN when not constant."""
    blocks = _obj(entry.get("expressions")).get("default_tags")
    if blocks is None:
        return {}
    out: dict[str, Any] = {}
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if not isinstance(block, dict):
            return UNKNOWN
        tags = block.get("tags")
        if tags is None:
            continue
        if not isinstance(tags, dict) or "constant_value" not in tags:
            return UNKNOWN  # an expression (var.tags, merge(...)): its value is not in the plan
        value = tags["constant_value"]
        if value is None:
            continue
        if not isinstance(value, dict):
            return UNKNOWN
        out.update(value)
    return out


def _module_path(config_addr: str, rtype: str, name: str) -> str:
    """``module.a.module.b.aws_iam_role.r`` -> ``module.a.module.b`` (the module's config path)."""
    tail = f"{rtype}.{name}"
    if config_addr == tail:
        return ""
    return config_addr[: -len(tail) - 1] if config_addr.endswith("." + tail) else ""


def _ancestors(path: str) -> set[str]:
    """A module config path and every enclosing one, root ("") included."""
    out = {""}
    parts = path.split(".") if path else []
    for i in range(2, len(parts) + 1, 2):
        out.add(".".join(parts[:i]))
    return out


class _ProviderDefaults:
    """Which provider configuration a resource uses, and the default tags it sets.

    Terraform 1.1 and later write each resource's ``provider_config_key`` as the key of the
    configuration it really uses (a provider passed into a module, or inherited by it, names the
    caller's key). Older plans write ``call:aws`` for module resources and do not record which
    configuration a module call passed; then every configuration of that provider in the module or
    an enclosing one is a candidate, and the default tags count only when all candidates agree.
    """

    def __init__(self, doc: Mapping[str, Any], keys: Mapping[str, str]):
        config = doc.get("configuration")
        self.known = isinstance(config, dict) and isinstance(config.get("root_module"), dict)
        pcs = config.get("provider_config") if isinstance(config, dict) else None
        self.configs: dict[str, dict[str, Any]] = {
            k: v for k, v in (pcs.items() if isinstance(pcs, dict) else ()) if isinstance(v, dict)
        }
        self.keys = keys
        self._cache: dict[tuple[str, str, str], dict[str, Any] | Unknown] = {}

    def for_resource(self, config_addr: str, rtype: str, name: str,
                     provider_name: str) -> dict[str, Any] | Unknown:
        """Default tags of the provider configuration ``config_addr`` uses (UNKNOWN when unknowable)."""
        if not self.known:
            return UNKNOWN
        key = self.keys.get(config_addr, "")
        path = _module_path(config_addr, rtype, name)
        local = key.rsplit(":", 1)[-1] if key else provider_name.rsplit("/", 1)[-1]
        cache_key = (key, path, local)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(key, path, local)
        return self._cache[cache_key]

    def _resolve(self, key: str, path: str, local: str) -> dict[str, Any] | Unknown:
        entry = self.configs.get(key) if key else None
        if entry is not None and (not entry.get("module_address") or entry.get("expressions")):
            return _default_tags(entry)
        # The key names no configuration: an older plan's ``call:aws``, a module's requirement with
        # no block of its own (inherited or passed in), or a provider with no block at all.
        base = local.split(".", 1)[0]
        scopes = _ancestors(path)
        candidates = [
            e for e in self.configs.values()
            if e.get("name") == base and _str(e.get("module_address")) in scopes
            and (not e.get("module_address") or e.get("expressions"))
        ]
        if not candidates:
            return {}  # no configuration block anywhere: the provider's defaults, no default tags
        found = [_default_tags(e) for e in candidates]
        first = found[0]
        return first if all(f == first for f in found) and first is not UNKNOWN else UNKNOWN


def _with_default_tags(values: dict[str, Any], defaults: dict[str, Any] | Unknown) -> dict[str, Any]:
    """Replace a ``tags_all`` unknown until apply by what the provider's default tags make it."""
    if values.get("tags_all") is not UNKNOWN or not isinstance(defaults, dict):
        return values
    tags = values.get("tags")
    if tags is UNKNOWN:
        return values
    own = tags if isinstance(tags, dict) else {}
    return {**values, "tags_all": {**defaults, **own}}


def _walk_planned(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    return (res for _, res in _walk_modules(module))


def _keyless(address: str) -> str:
    """:func:`config_address` of ``address``, without a regular expression for the shapes a plan
    writes most: no instance key, or one number or quoted key (no quote or backslash inside) at the
    end. Anything else goes to :func:`config_address`."""
    i = address.find("[")
    if i < 0:
        return address
    if address.endswith("]") and address.find("[", i + 1) < 0:
        key = address[i + 1:-1]
        if key.isdecimal() or (len(key) > 1 and key[0] == '"' and key[-1] == '"'
                               and '"' not in key[1:-1] and "\\" not in key):
            return address[:i]
    return config_address(address)


_Kept = tuple[Mapping[str, Any], str, str, str, str, Any, Any, Any, "str | None", bool]
"""(change, address, type, name, config address, values, sensitive, unknown, action, defaults)."""


def _pending(rc: Any, values: Any, sensitive: Any, unknown: Any, action: str | None,
             defaults: bool) -> _Kept | None:
    """What :func:`_record` needs to make the record of ``rc`` once the configuration is read, or
    None when ``rc`` names no resource (address, type and name are not all text)."""
    address, rtype, name = rc.get("address"), rc.get("type"), rc.get("name")
    if not (isinstance(address, str) and isinstance(rtype, str) and isinstance(name, str)):
        return None
    return rc, address, rtype, name, _keyless(address), values, sensitive, unknown, action, defaults


def _record(
    rc: Mapping[str, Any], address: str, rtype: str, name: str, cfg: str, values: Any, sensitive: Any,
    unknown: Any, action: str | None, defaults: bool, refs: Mapping[str, tuple[str, ...]], where: Location,
    providers: _ProviderDefaults, metadata: dict[str, Any] | None = None,
) -> Resource:
    """The record of one resource: ``defaults`` when a ``tags_all`` unknown until apply is what the
    provider's default tags make it; ``metadata`` in place of what ``sensitive`` marks (drift)."""
    cleaned = clean_values(values, sensitive, unknown, rtype)
    if metadata is None:
        # A deposed object (a create_before_destroy replacement that failed) shares its address with
        # the current object: told apart, each is judged on its own tags.
        metadata = sensitive_metadata(sensitive, rc.get("deposed"))
    provider = rc.get("provider_name")
    if not isinstance(provider, str):
        provider = ""
    if defaults and cleaned.get("tags_all") is UNKNOWN:
        cleaned = _with_default_tags(cleaned, providers.for_resource(cfg, rtype, name, provider))
    index = rc.get("index")
    if not isinstance(index, (int, str)) or isinstance(index, bool):
        index = None
    module = rc.get("module_address")
    # The fields in Resource's order (address, type, name, source, kind, module, index, mode,
    # provider, values, references, action, prevent_destroy, metadata): a call by position costs
    # less than by keyword, and a plan makes one per resource.
    rec = Resource(address, rtype, name, where, InputKind.PLAN, module if isinstance(module, str) else "",
                   index, "data" if rc.get("mode") == "data" else "managed", provider, cleaned,
                   refs.get(cfg, ()), action, False, metadata)
    rec.__dict__["config_address"] = cfg  # worked out above: Resource.config_address's cache
    return rec


def _with_deferred(doc: Mapping[str, Any], path: str) -> Any:
    """The resource changes, with what Terraform left out of them (judged alike):

    - ``deferred_changes`` (each with its ``resource_change``): a deferred create will exist too; a
      deferred update, replace or delete is not made by this apply, so the object stays as it is
      (``before``, a no-op);
    - in an incomplete plan (``-target``: ``'complete': false``), the ``prior_state`` objects that
      no change names: they stay as they are;
    - without ``resource_changes``, the ``planned_values`` objects that the changes above would
      otherwise take the place of.
    """
    changes, deferred = doc.get("resource_changes"), doc.get("deferred_changes")
    if deferred is not None and not isinstance(deferred, list):
        raise InputError(path, "'deferred_changes' is not a list")
    if changes is not None and not isinstance(changes, list):
        return changes  # refused by the caller
    later: list[Any] = []
    for d in deferred or ():
        rc = d.get("resource_change") if isinstance(d, dict) else None
        if not isinstance(rc, dict):
            continue
        change = rc.get("change")
        if isinstance(change, dict) and isinstance(change.get("before"), dict):
            rc = {**rc, "change": _unchanged(change.get("before"), change.get("before_sensitive"))}
        later.append(rc)
    if doc.get("complete") is False or (changes is None and later):
        named = {(rc.get("address"), rc.get("deposed") or None) for rc in (*(changes or ()), *later)
                 if isinstance(rc, dict)}
        state = doc.get("prior_state")
        values = state.get("values") if isinstance(state, dict) else None
        roots = [values.get("root_module") if isinstance(values, dict) else None] if doc.get("complete") is False else []
        if changes is None:
            planned = doc.get("planned_values")
            roots.append(planned.get("root_module") if isinstance(planned, dict) else None)
        for root in roots:
            for module, res in _walk_modules(root):
                key = (res.get("address"), res.get("deposed_key") or None)
                if res.get("mode") == "data" or key in named:
                    continue
                named.add(key)
                later.append({**res, "module_address": module, "deposed": res.get("deposed_key"),
                              "change": _unchanged(res.get("values"), res.get("sensitive_values"))})
    if not later:
        return changes
    return [*(changes or ()), *later]


def _unchanged(values: Any, sensitive: Any) -> dict[str, Any]:
    return {"actions": ["no-op"], "before": values, "after": values, "after_unknown": {},
            "before_sensitive": sensitive, "after_sensitive": sensitive}


def _walk_modules(root: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(module address, resource) of a values tree (``prior_state``/``planned_values``)."""
    stack = [root] if isinstance(root, dict) else []
    while stack:
        mod = stack.pop()
        address = mod.get("address")
        module = address if isinstance(address, str) else ""
        yield from ((module, r) for r in as_list(mod.get("resources")) if isinstance(r, dict))
        stack.extend(c for c in as_list(mod.get("child_modules")) if isinstance(c, dict))


def load_plan(doc: Mapping[str, Any], path: str, wanted: Callable[[str], bool]) -> Document:
    """Read a plan: what will exist after apply, what it deletes, and what drifted outside Terraform.

    ``wanted`` selects resource types worth keeping (the identity catalog); others are skipped.
    """
    if doc.get("errored") is True:
        raise InputError(path, "Terraform could not finish this plan ('errored': true), so its list of changes "
                               "is incomplete; fix the plan's errors and check the new plan")
    changes = _with_deferred(doc, path)
    drifted = doc.get("resource_drift")
    if changes is not None and not isinstance(changes, list):
        raise InputError(path, "'resource_changes' is not a list")
    if drifted is not None and not isinstance(drifted, list):
        raise InputError(path, "'resource_drift' is not a list")

    # First what to keep, then the configuration of those resources only, then the records.
    kept: list[_Kept] = []
    if changes:
        for rc in changes:
            if not isinstance(rc, dict) or rc.get("mode") == "data" or not wanted(str(rc.get("type"))):
                continue
            change = _obj(rc.get("change"))
            action = _action(change.get("actions"))
            if action == "read":
                continue
            if action in ("delete", "forget"):
                item = _pending(rc, change.get("before"), change.get("before_sensitive"), None, action, False)
            else:
                item = _pending(rc, change.get("after"), change.get("after_sensitive"),
                                change.get("after_unknown"), action, True)
            if item is not None:
                kept.append(item)
    else:
        planned = doc.get("planned_values")
        root = planned.get("root_module") if isinstance(planned, dict) else None
        if isinstance(root, dict):
            for res in _walk_planned(root):
                if res.get("mode") == "data" or not wanted(str(res.get("type"))):
                    continue
                item = _pending(res, res.get("values"), res.get("sensitive_values"), None, "no-op", False)
                if item is not None:
                    kept.append(item)
    drifts: list[tuple[_Kept, Mapping[str, Any]]] = []
    for rc in drifted or ():
        if not isinstance(rc, dict) or rc.get("mode") == "data" or not wanted(str(rc.get("type"))):
            continue
        change = _obj(rc.get("change"))
        item = _pending(rc, change.get("after"), change.get("after_sensitive"), None,
                        _action(change.get("actions")), False)
        if item is not None:
            drifts.append((item, change))

    refs: dict[str, tuple[str, ...]] = {}
    provider_keys: dict[str, str] = {}
    config = doc.get("configuration")
    if isinstance(config, dict) and isinstance(config.get("root_module"), dict) and (kept or drifts):
        needed = {item[4] for item in kept}
        needed.update(item[4] for item, _ in drifts)
        _module_refs(config["root_module"], "", refs, provider_keys, needed)
    providers = _ProviderDefaults(doc, provider_keys)
    where = Location(path)  # one record for every resource read from this plan (it is frozen)
    resources = [_record(*item, refs, where, providers) for item in kept]
    drift: list[Resource] = []
    for item, drifted_change in drifts:
        before = clean_values(drifted_change.get("before"), drifted_change.get("before_sensitive"), rtype=item[2])
        drift.append(_record(*item, refs, where, providers, {"before": before}))

    version = doc.get("terraform_version")
    return Document(
        path=path,
        kind=InputKind.PLAN,
        resources=tuple(resources),
        drift=tuple(drift),
        refresh_only=bool(drift) and all(r.action in (None, "no-op") for r in resources),
        terraform_version=version if isinstance(version, str) else None,
    )
