"""A plan against its manifest: every way ``terraform show -json`` of a plan differs from destroying
exactly the manifest's addresses, each over-reach explained (what it depends on, whether it is a
live identity). Of a plan only addresses, actions and dependency names are read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from nhi_toolkit.addresses import AddressError, config_address, parse_address
from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import Identity
from nhi_toolkit.retire.selection import Problem, _own_lifecycle

__all__ = ["verify_plan"]


def _prior_dependencies(plan: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    prior = plan.get("prior_state")
    root = prior.get("values", {}).get("root_module") if isinstance(prior, dict) else None
    stack = [root] if isinstance(root, dict) else []
    while stack:
        mod = stack.pop()
        for res in mod.get("resources") or ():
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                deps = res.get("depends_on")
                out[res["address"]] = tuple(d for d in deps if isinstance(d, str)) if isinstance(
                    deps, list) else ()
        stack.extend(c for c in mod.get("child_modules") or () if isinstance(c, dict))
    return out


def _config_of(address: str) -> str:
    try:
        return parse_address(address).config_address
    except AddressError:
        return config_address(address)


def _explain_extra(
    address: str,
    wanted: Sequence[str],
    deps: Mapping[str, tuple[str, ...]],
    identities: Mapping[str, Identity],
    now: datetime | None,
) -> str:
    text = "would be destroyed but is not in the manifest"
    ident = identities.get(address)
    if ident is not None:
        exp = format_instant(ident.expires_at) if ident.expires_at else "no expiry"
        fresh = ident.deadline is not None and now is not None and not is_expired(ident.deadline, now)
        text += f" ({'not expired: ' if fresh else ''}owner {ident.owner or 'none'}, expires {exp})"
        if _own_lifecycle(ident) and (fresh or ident.expires_at is None):
            text = (f"{text}: a live identity with its own owner or expiry; retire it explicitly, "
                    "re-point it, or extend what it depends on")
    by_config: dict[str, list[str]] = {}
    for w in wanted:
        by_config.setdefault(_config_of(w), []).append(w)
    for dep in deps.get(address, ()):
        dep_config = config_address(dep)
        if dep in wanted:
            return f"{text}; it depends on {dep}, which is being retired"
        if dep_config in by_config:
            if _config_of(address) != dep_config and any(
                parse_address(w).key is not None for w in by_config[dep_config]
            ):
                return (f"{text}; it depends on {dep_config}, some of whose instances are being "
                        "retired, and Terraform records destroy dependencies per resource, not per "
                        "instance")
            return f"{text}; it depends on {dep_config}, which is being retired"
    return text


def verify_plan(
    plan: Mapping[str, Any],
    addresses: Sequence[str],
    *,
    identities: Mapping[str, Identity] | None = None,
    now: datetime | None = None,
    nhi_now: str | None = None,
) -> list[Problem]:
    """Every way ``plan`` (``show -json`` of a plan file) differs from destroying exactly
    ``addresses``: an extra destroy (over-reach), any create, update, replace or forget, and a
    manifest entry left undestroyed. ``nhi_now``, when given, must be the plan's value of it."""
    problems: list[Problem] = []
    wanted = list(addresses)
    wanted_set = set(wanted)
    deps = _prior_dependencies(plan)
    identities = identities or {}
    if plan.get("errored"):
        problems.append(Problem("(plan)", "plan", "the plan reports errors"))
    if nhi_now is not None:
        got = (plan.get("variables") or {}).get("nhi_now", {})
        if not isinstance(got, dict) or got.get("value") != nhi_now:
            problems.append(Problem("var.nhi_now", "plan", f"the plan was not made with nhi_now = {nhi_now}"))
    deleted: set[str] = set()
    for rc in plan.get("resource_changes") or ():
        if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
            continue
        if rc.get("mode", "managed") != "managed":
            continue
        addr = rc["address"]
        actions = tuple((rc.get("change") or {}).get("actions") or ())
        if actions in ((), ("no-op",), ("read",)):
            continue
        label = addr + (f" (deposed object {rc['deposed']})" if rc.get("deposed") else "")
        if actions == ("delete",):
            if addr in wanted_set:
                # A leftover deposed object goes with its address, but destroying it alone does
                # not retire the address: only the current object's delete counts.
                if not rc.get("deposed"):
                    deleted.add(addr)
            else:
                problems.append(Problem(label, "over-reach", _explain_extra(addr, wanted, deps, identities, now)))
        elif "delete" in actions and "create" in actions:
            problems.append(Problem(label, "replace", "would be replaced (destroyed and created again)"))
        elif actions == ("create",):
            problems.append(Problem(label, "create", "would be created"))
        elif actions == ("update",):
            problems.append(Problem(label, "update", "would be updated in place"))
        elif actions == ("forget",) or "forget" in actions:
            problems.append(Problem(label, "forget", "would be removed from state but left running"))
        else:
            problems.append(Problem(label, "plan", f"unexpected plan action {'/'.join(actions)}"))
    for addr in wanted:
        if addr not in deleted:
            text = "is in the manifest but the plan does not destroy it"
            if nhi_now is not None:
                # Declared expiry destroys only what the configuration stops declaring: an owner who
                # left or a named integration does not make it stop.
                text += (f"; the configuration still declares it with nhi_now = {nhi_now}: stop "
                         "declaring it, or plan with --route targeted-destroy")
            problems.append(Problem(addr, "not-destroyed", text))
    return sorted(problems, key=lambda p: (p.kind != "over-reach", p.address, p.kind))
