"""The check pipeline: loaders -> inventory -> rules -> suppressions -> a Report for the reporters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nhi_toolkit.checks import expiring_soon
from nhi_toolkit.config import Config
from nhi_toolkit.expiry import is_expired
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders import load_inputs
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Severity
from nhi_toolkit.native_expiry import HELPER_TYPES
from nhi_toolkit.records import Document, Report, identity_key
from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID, Context, Rule
from nhi_toolkit.rules.screen import SETTLED, screen
from nhi_toolkit.suppress import Suppressor

if TYPE_CHECKING:
    from nhi_toolkit.baseline import Baseline

__all__ = ["STATUS_PRECEDENCE", "Report", "check_documents", "check_paths", "identity_status"]


#: Status words, most important first; an identity shows the first that applies (README "Status").
STATUS_PRECEDENCE = ("forgotten", "deleting", "invalid-expiry", "expired", "platform-managed", "no-owner",
                     "no-expiry", "error", "expiring-soon", "warning", "unknown", "ok")


def identity_status(identity: Identity, now: datetime, soon_days: int,
                    findings: Iterable[Finding] = ()) -> str:
    """One word for the table, the first of :data:`STATUS_PRECEDENCE` that applies.

    ``forgotten`` to ``no-expiry`` and ``expiring-soon``/``unknown`` state facts about the identity
    (shown even when the matching finding is waived); ``error`` and ``warning`` mean an active
    finding of that severity that no earlier word already names. So the word is never ``ok`` or
    ``unknown`` while an error or warning finding about the identity is active.
    """
    res = identity.resource
    if res.action == "forget":
        return "forgotten"
    if res.deleted:
        return "deleting"
    if identity.expiry_error:
        return "invalid-expiry"
    soon = False
    deadline = identity.deadline  # the earlier of the effective and the claimed expiry
    if deadline is not None:
        if is_expired(deadline, now):
            return "expired"
        soon = expiring_soon(deadline, now, soon_days)
    if identity.platform_managed and (identity.expires is None or identity.owner is None):
        return "platform-managed"
    if identity.owner is None:
        return "no-owner"
    if identity.expires is None:
        return "no-expiry"
    return _word(findings, soon, identity.owner is UNKNOWN or identity.expires is UNKNOWN)


def _word(findings: Iterable[Finding], soon: bool, unknown: bool) -> str:
    """The status word once the facts before ``error`` have not applied: ``error``, then
    ``expiring-soon`` (``soon``), ``warning``, ``unknown`` (``unknown``), ``ok``."""
    if isinstance(findings, tuple) and not findings:  # most rows: nothing about them but facts
        if soon:
            return "expiring-soon"
        return "unknown" if unknown else "ok"
    active = [f for f in findings if f.suppressed is None]
    if any(f.severity >= Severity.ERROR and f.rule_id != _EXPIRING_SOON_ID for f in active):
        return "error"
    if soon:
        return "expiring-soon"
    if any(f.severity >= Severity.WARNING for f in active):
        return "warning"
    return "unknown" if unknown else "ok"


_EXPIRING_SOON_ID = "NHI005"
_DRIFT_ID = "NHI011"


def _rule_error(rule: Rule, ctx: Context, exc: Exception) -> list[Finding]:
    return [Finding(address="", rule_id=RULE_ERROR_ID, rule="rule-error", severity=Severity.ERROR,
                    message=f"rule {rule.name} failed on {ctx.document.path}: {type(exc).__name__}",
                    source=Location(ctx.document.path))]


def _run_rule(rule: Rule, ctx: Context) -> list[Finding]:
    try:
        return list(rule.check_all(ctx))
    except Exception as exc:  # noqa: BLE001 - a crashing rule becomes a finding, never a pass
        return _rule_error(rule, ctx, exc)


def _run_rules(rules: Sequence[Rule], ctx: Context, calm: set[int] | None = None) -> list[Finding]:
    """Every rule's findings on one document, in rule order.

    Per-identity rules are judged in one pass over the identities, each identity against all of
    them, except that a plain or settled identity skips the checks the screen stands for
    (:mod:`nhi_toolkit.rules.screen`: they find nothing on it); a rule needing the whole set runs
    its own ``check_all``. As for a whole-set rule, a per-identity rule that raises on any identity
    contributes one rule-error finding and nothing else for this document (it is not run on the
    identities after). ``calm`` collects the ``id`` of each settled identity that is not deleted.
    """
    out: list[list[Finding]] = [[] for _ in rules]
    each = [(n, r) for n, r in enumerate(rules) if r.per_identity and r.judges_identities]
    for n, rule in enumerate(rules):
        if not rule.per_identity:
            out[n] = _run_rule(rule, ctx)
    judge, quiet_plain, quiet_settled = screen(ctx)
    live = [(rule.check, out[n], n) for n, rule in each]
    gone = [(rule.check, out[n], n) for n, rule in each if rule.includes_deleted]
    # A plain or settled identity (most of them) is judged only by the rules the screen does not
    # stand for: by screen level (OTHER, PLAIN, SETTLED), the checks to call.
    by_level = [live, [c for c in live if type(rules[c[2]]).check not in quiet_plain],
                [c for c in live if type(rules[c[2]]).check not in quiet_settled]]
    for identity in ctx.identities:
        action = identity.resource.action
        if action == "delete" or action == "forget":
            checks = gone
        else:
            level = judge(identity)
            checks = by_level[level]
            if level == SETTLED and calm is not None:
                calm.add(id(identity))
        for check, found, n in checks:
            try:
                found.extend(check(identity, ctx))
            except Exception as exc:  # noqa: BLE001 - a crashing rule becomes a finding, never a pass
                out[n] = _rule_error(rules[n], ctx, exc)
                gone = [c for c in gone if c[2] != n]
                by_level = [[c for c in level_checks if c[2] != n] for level_checks in by_level]
    return [f for found in out for f in found]


def _apply_suppressions(findings: Iterable[Finding], config: Config, now: datetime,
                        by_address: Mapping[str, Identity]) -> list[Finding]:
    """Waive what a live suppression covers (see :mod:`nhi_toolkit.suppress`); for later findings
    (nhi verify) judged against a report's identities."""
    return Suppressor(config, now).apply(findings, by_address.values())


def _rules(config: Config) -> list[Rule]:
    disabled = set(config.disable)
    return [r for r in ALL_RULES if r.id not in disabled and r.name not in disabled]


def _severity(f: Finding, config: Config) -> Finding:
    override = config.severity.get(f.rule_id) or config.severity.get(f.rule)
    return replace(f, severity=Severity.parse(override)) if override else f


#: Which input's view of a joined identity wins: what the plan will make, then what exists now
#: (state), then what is declared (HCL, CDKTF).
_VIEW = {InputKind.PLAN: 0, InputKind.STATE: 1, InputKind.SHOW_STATE: 1, InputKind.CDKTF: 2,
         InputKind.HCL: 2}


#: Plan actions after which the resource differs from what state records.
_CHANGING = ("create", "update", "replace")


def _merge(members: Sequence[tuple[int, Identity]]) -> Identity:
    """One identity from its views in several inputs (``members`` in argument order).

    The highest view (plan > state > declared) gives the resource, action and category. Owner and
    expiry are each taken from the highest view where they are known (absent counts as known;
    unknown until apply does not), so a value known in one input is never hidden by another's
    unknown; but state never fills what a plan that creates, updates or replaces the resource
    knows only after apply (state holds the value before apply). The record keeps the location of
    the first input in argument order.
    """
    ranked = [i for _, i in sorted(members, key=lambda m: (_VIEW[m[1].resource.kind], m[0]))]
    win = ranked[0]
    first = members[0][1]
    # State is what exists before apply: where the plan changes the resource, a value the plan knows
    # only after apply is not the state's (a plan removing the owner tag must not pass on the old one).
    changing = win.resource.kind is InputKind.PLAN and win.resource.action in _CHANGING
    fillers = [i for i in ranked if not (changing and _VIEW[i.resource.kind] == _VIEW[InputKind.STATE])]
    owner_src = next((i for i in fillers if i.owner is not UNKNOWN), win)
    exp_src = next((i for i in fillers if i.expires is not UNKNOWN), win)
    tags = dict(win.tags)
    for src, key in ((owner_src, owner_src.owner_key), (exp_src, exp_src.expiry_key)):
        if key is not None:
            tags[key] = src.tags.get(key)
    if win.tags_unknown:
        for other in fillers[1:]:
            for k, v in other.tags.items():
                if v is not UNKNOWN:
                    tags.setdefault(k, v)
    inherited_from = next((i for i in (owner_src, exp_src) if i.inherited and i.parent), None)
    parent = inherited_from.parent if inherited_from else next((i.parent for i in ranked if i.parent), None)
    metadata: dict[str, Any] = {}
    for other in reversed(ranked):
        metadata.update(other.resource.metadata)
    resource = replace(
        win.resource,
        source=first.resource.source,
        prevent_destroy=any(i.resource.prevent_destroy for i in ranked),
        references=next((i.resource.references for i in ranked if i.resource.references), ()),
        metadata=metadata,
    )
    return replace(
        win,
        resource=resource,
        owner=owner_src.owner, owner_key=owner_src.owner_key, owner_source=owner_src.owner_source,
        owner_sensitive=owner_src.owner_sensitive,
        expires=exp_src.expires, expires_at=exp_src.expires_at, expiry_key=exp_src.expiry_key,
        expiry_error=exp_src.expiry_error, expiry_source=exp_src.expiry_source,
        expiry_sensitive=exp_src.expiry_sensitive,
        # The expiry's provenance travels with it: what the credential itself says, and the tag or
        # declaration value it replaced, are those of the input the expiry was taken from.
        claimed_expires=exp_src.claimed_expires, claimed_expires_at=exp_src.claimed_expires_at,
        native_attr=exp_src.native_attr, native_expires_at=exp_src.native_expires_at,
        native_lifetime=exp_src.native_lifetime,
        declaration=next((i.declaration for i in (exp_src, owner_src) if i.declaration is not None), None),
        parent=parent,
        inherited=inherited_from is not None,
        tags=tags,
        tags_unknown=all(i.tags_unknown for i in ranked),
        parent_missing=parent is None and any(i.parent_missing for i in ranked),
        parent_candidates=() if parent is not None else next((i.parent_candidates for i in ranked
                                                              if i.parent_candidates), ()),
    )


def _join(inventories: Sequence[list[Identity]]) -> tuple[dict[str, Identity], dict[str, int],
                                                          dict[str, tuple[Location, ...]]]:
    """Identities found under one address in several inputs, joined.

    Returns address -> joined identity, address -> index of the input whose view won (its rule
    context judges the identity), and address -> every source. Only inputs of different views join
    (a plan, a state, a configuration); two of the same view (two plans, two stacks) describe
    different things, so an address found twice in one view is left as separate rows.
    """
    if len(inventories) < 2:  # one input: nothing to join
        return {}, {}, {}
    by_address: dict[str, list[tuple[int, Identity]]] = {}
    for n, inv in enumerate(inventories):
        for ident in inv:
            by_address.setdefault(ident.address, []).append((n, ident))
    joined: dict[str, Identity] = {}
    winner: dict[str, int] = {}
    sources: dict[str, tuple[Location, ...]] = {}
    for address, members in by_address.items():
        views = [_VIEW[i.resource.kind] for _, i in members]
        if len(members) < 2 or len(set(views)) != len(views):
            continue
        joined[address] = _merge(members)
        winner[address] = min(members, key=lambda m: (_VIEW[m[1].resource.kind], m[0]))[0]
        sources[address] = tuple(i.source for _, i in members)
    return joined, winner, sources


def check_documents(
    docs: Sequence[Document], config: Config, now: datetime,
    leavers: Mapping[str, date | None] | None = None, inputs: Sequence[str] = (),
    baseline: Baseline | None = None,
) -> Report:
    """Run every enabled rule over every document, one row per identity.

    The same address read from a plan, a state and a configuration is one identity (see
    :func:`_join`); the findings about it come from the rule context of the input whose view won,
    so inputs never contradict each other in the report. Suppressions are applied and judged
    (:mod:`nhi_toolkit.suppress`), then the ``baseline`` when given (:mod:`nhi_toolkit.baseline`).
    """
    rules = _rules(config)
    suppressor = Suppressor(config, now)
    inventories = [build_inventory(doc, config) for doc in docs]
    joined, winner, joined_sources = _join(inventories)
    members: dict[str, list[Identity]] = {}
    for inv in inventories if joined else ():
        for ident in inv:
            if ident.address in joined:
                members.setdefault(ident.address, []).append(ident)
    identities: list[Identity] = []
    findings: list[Finding] = []
    calm: set[int] = set()  # settled identities (rules.screen), kept alive by the report's rows
    for n, (doc, inv) in enumerate(zip(docs, inventories, strict=True)):
        view = [joined.get(i.address, i) for i in inv] if joined else inv
        ctx = Context.make(config, now, doc, view, leavers, docs)
        doc_findings = _run_rules(rules, ctx, calm)
        if winner:
            doc_findings = [f for f in doc_findings if winner.get(f.address, n) == n or f.rule_id == _DRIFT_ID]
        if config.severity:
            doc_findings = [_severity(f, config) for f in doc_findings]
        findings.extend(suppressor.apply(doc_findings, view, members))
        if winner:
            identities.extend(i for i in view if winner.get(i.address, n) == n)
        else:
            identities.extend(view)
    enabled = {r.id for r in rules}
    findings.extend(_severity(f, config) for f in suppressor.findings() if f.rule_id in enabled)
    if baseline is not None:
        findings = baseline.apply(findings, config, now)
    if len(docs) > 1:  # one input's inventory is already in this order (build_inventory)
        identities.sort(key=lambda i: (i.address, str(i.source)))
    findings = sorted(set(findings), key=Finding.sort_key)
    sources: dict[str, tuple[Location, ...]] = {}
    if joined_sources:
        sources = {identity_key(i): joined_sources[i.address] for i in identities if i.address in joined_sources}
    # One input whose addresses are all distinct (the common case): its context's index already
    # says which row each finding is about.
    unique = ctx.by_address if len(docs) == 1 and len(ctx.by_address) == len(identities) else None
    if unique is not None:
        about = _findings_by_address(unique, findings)
    else:
        about = _findings_by_identity(identities, [identity_key(i) for i in identities], findings, sources)
    soon_days = config.expiring_soon_days
    statuses: dict[str, str] = {}
    for ident in identities:  # each row key is worked out here, and kept (Identity.row_key)
        key = ident.row_key
        found = about.get(key, ())
        # A settled identity that is not deleted has an owner, a valid expiry beyond the warning
        # window and nothing unknown: none of identity_status's facts applies, its findings decide.
        if id(ident) in calm:
            statuses[key] = _word(found, False, False) if found else "ok"
        else:
            statuses[key] = identity_status(ident, now, soon_days, found)
    return Report(now=now, inputs=tuple(inputs or (d.path for d in docs)), identities=tuple(identities),
                  findings=tuple(findings), statuses=statuses, fail_on=config.fail_on,
                  sources=sources, identity_findings=about)


def _findings_by_address(by_address: Mapping[str, Identity],
                         findings: Sequence[Finding]) -> dict[str, tuple[Finding, ...]]:
    """Identity key -> its findings, when every identity has an address of its own (the result of
    :func:`_findings_by_identity` then, without a look at the rows no finding is about)."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        ident = by_address.get(f.address)
        if ident is not None:
            out.setdefault(ident.row_key, []).append(f)
    return {k: tuple(v) for k, v in out.items()}


def _findings_by_identity(identities: Sequence[Identity], keys: Sequence[str], findings: Sequence[Finding],
                          sources: Mapping[str, tuple[Location, ...]]) -> dict[str, tuple[Finding, ...]]:
    """Identity key -> its findings: by address, and by input file when an address has several rows."""
    rows: dict[str, list[tuple[str, Identity]]] = {}
    for key, ident in zip(keys, identities, strict=True):
        rows.setdefault(ident.address, []).append((key, ident))
    out: dict[str, list[Finding]] = {}
    for f in findings:
        cands = rows.get(f.address, [])
        if len(cands) > 1:
            cands = [(k, i) for k, i in cands
                     if any(s.origin == f.source.origin for s in sources.get(k, (i.source,)))
                     and i.resource.metadata.get("deposed") == f.deposed]
        for key, _ in cands[:1]:
            out.setdefault(key, []).append(f)
    return {k: tuple(v) for k, v in out.items()}


def check_paths(paths: Sequence[str], config: Config, now: datetime,
                leavers: Mapping[str, date | None] | None = None, *, map_sources: bool = False,
                source_dir: str | None = None, baseline: Baseline | None = None) -> Report:
    """Load the inputs and check them.

    With ``map_sources``, plan and state identities are located at the ``.tf`` block declaring them
    (:mod:`nhi_toolkit.sourcemap`): in ``source_dir``, or by default each input's own directory.
    """
    from contextlib import nullcontext

    from nhi_toolkit.loaders.common import input_limit, input_limit_set

    catalog = config.catalog

    # time_rotating/time_offset are read too: a credential's native expiry may reference them.
    def wanted(rtype: str) -> bool:
        return rtype in catalog or rtype in HELPER_TYPES

    # The config's max_input_mb caps every read, unless a caller (--max-input-mb) already set one.
    with nullcontext() if input_limit_set() else input_limit(config.max_input_mb):
        docs = load_inputs(paths, wanted=wanted)
        if map_sources:
            from nhi_toolkit.sourcemap import map_documents

            docs = map_documents(docs, wanted, source_dir)
    return check_documents(docs, config, now, leavers, inputs=paths, baseline=baseline)
