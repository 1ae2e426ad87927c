"""The check pipeline: loaders -> inventory -> rules -> suppressions -> a Report for the reporters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from nhi_toolkit.config import Config, Suppression
from nhi_toolkit.expiry import is_expired
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders import Document, load_inputs
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Severity
from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID, Context, Rule, rule_by_key

__all__ = ["Report", "check_documents", "check_paths", "identity_status"]


@dataclass(frozen=True)
class Report:
    """Everything a reporter renders. Identities and findings are sorted; output is deterministic."""

    now: datetime
    inputs: tuple[str, ...]
    identities: tuple[Identity, ...]
    findings: tuple[Finding, ...]
    statuses: Mapping[str, str] = field(default_factory=dict)
    """Identity key (address + source) -> status word."""
    fail_on: str = "error"

    def status_of(self, identity: Identity) -> str:
        """The status word of one identity (ok, expired, expiring-soon, ...)."""
        return self.statuses.get(_ident_key(identity), "ok")

    @property
    def active(self) -> tuple[Finding, ...]:
        """Findings not waived by a suppression."""
        return tuple(f for f in self.findings if f.suppressed is None)

    def failed(self) -> bool:
        """True when an unsuppressed finding is at or above ``fail_on``."""
        if self.fail_on == "never":
            return False
        threshold = Severity.parse(self.fail_on)
        return any(f.severity >= threshold for f in self.active)

    def summary(self) -> dict[str, Any]:
        """Counts for the JSON ``summary`` object."""
        by_sev = {s.label: 0 for s in sorted(Severity, reverse=True)}
        by_rule: dict[str, int] = {}
        for f in self.active:
            by_sev[f.severity.label] += 1
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        statuses: dict[str, int] = {}
        for ident in self.identities:
            s = self.status_of(ident)
            statuses[s] = statuses.get(s, 0) + 1
        return {
            "identities": len(self.identities),
            "findings": len(self.active),
            "suppressed": len(self.findings) - len(self.active),
            "by_severity": by_sev,
            "by_rule": dict(sorted(by_rule.items())),
            "by_status": dict(sorted(statuses.items())),
            "fail_on": self.fail_on,
            "failed": self.failed(),
        }


def _ident_key(identity: Identity) -> str:
    return f"{identity.address}\0{identity.source}"


def identity_status(identity: Identity, now: datetime, soon_days: int) -> str:
    """One word for the table: deleting, forgotten, expired, invalid-expiry, ... or ok."""
    res = identity.resource
    if res.action == "forget":
        return "forgotten"
    if res.deleted:
        return "deleting"
    if identity.expiry_error:
        return "invalid-expiry"
    if identity.expires_at is not None:
        if is_expired(identity.expires_at, now):
            return "expired"
        # Compared in seconds: timedelta(days=n) overflows for a very large configured window.
        if (identity.expires_at - now).total_seconds() <= soon_days * 86400:
            return "expiring-soon"
    if identity.platform_managed and (identity.expires is None or identity.owner is None):
        return "platform-managed"
    if identity.expires is None:
        return "no-expiry"
    if identity.owner is None:
        return "no-owner"
    if identity.owner is UNKNOWN or identity.expires is UNKNOWN:
        return "unknown"
    return "ok"


def _run_rule(rule: Rule, ctx: Context) -> list[Finding]:
    try:
        return list(rule.check_all(ctx))
    except Exception as exc:  # noqa: BLE001 - a crashing rule becomes a finding, never a pass
        return [Finding(address="", rule_id=RULE_ERROR_ID, rule="rule-error", severity=Severity.ERROR,
                        message=f"rule {rule.name} failed on {ctx.document.path}: {type(exc).__name__}",
                        source=Location(ctx.document.path))]


def _metadata_suppressions(identity: Identity) -> list[Suppression]:
    """Suppressions recorded in synthesized CDKTF metadata (``//.nhi.suppress``)."""
    from nhi_toolkit.config import parse_suppressions
    from nhi_toolkit.errors import ConfigError

    nhi = identity.resource.metadata.get("nhi")
    raw = nhi.get("suppress") if isinstance(nhi, dict) else None
    if not raw:
        return []
    items = [dict(item, address=identity.address) for item in raw if isinstance(item, dict)]
    try:
        return list(parse_suppressions(items, identity.source.file))
    except ConfigError:
        return []


def _apply_suppressions(findings: Iterable[Finding], config: Config, now: datetime,
                        by_address: Mapping[str, Identity]) -> list[Finding]:
    out = []
    for f in findings:
        rule = rule_by_key(f.rule_id)
        if rule is None or not rule.waivable:
            out.append(f)
            continue
        candidates = list(config.suppressions)
        ident = by_address.get(f.address)
        if ident is not None:
            candidates += _metadata_suppressions(ident)
        waiver = next((s for s in candidates if s.matches(f.rule_id, f.rule, f.address)
                       and not is_expired(s.until_at, now)), None)
        if waiver is not None:
            f = replace(f, suppressed=waiver.reason, suppressed_until=waiver.until)
        out.append(f)
    return out


def _rules(config: Config) -> list[Rule]:
    disabled = set(config.disable)
    return [r for r in ALL_RULES if r.id not in disabled and r.name not in disabled]


def _severity(f: Finding, config: Config) -> Finding:
    override = config.severity.get(f.rule_id) or config.severity.get(f.rule)
    return replace(f, severity=Severity.parse(override)) if override else f


def check_documents(
    docs: Sequence[Document], config: Config, now: datetime,
    leavers: Mapping[str, date | None] | None = None, inputs: Sequence[str] = (),
) -> Report:
    """Run every enabled rule over every document."""
    identities: list[Identity] = []
    findings: list[Finding] = []
    rules = _rules(config)
    statuses: dict[str, str] = {}
    for doc in docs:
        inv = build_inventory(doc, config)
        ctx = Context.make(config, now, doc, inv, leavers)
        doc_findings: list[Finding] = []
        for rule in rules:
            doc_findings.extend(_run_rule(rule, ctx))
        doc_findings = [_severity(f, config) for f in doc_findings]
        findings.extend(_apply_suppressions(doc_findings, config, now, ctx.by_address))
        identities.extend(inv)
        for ident in inv:
            statuses[_ident_key(ident)] = identity_status(ident, now, config.expiring_soon_days)
    findings.extend(_declared_vs_state(docs, config, rules))
    identities.sort(key=lambda i: (i.address, str(i.source)))
    findings = sorted(set(findings), key=Finding.sort_key)
    return Report(now=now, inputs=tuple(inputs or (d.path for d in docs)), identities=tuple(identities),
                  findings=tuple(findings), statuses=statuses, fail_on=config.fail_on)


def _declared_vs_state(docs: Sequence[Document], config: Config, rules: list[Rule]) -> list[Finding]:
    """Drift between declared configuration (HCL/CDKTF) and state, when both are given."""
    drift_rule = next((r for r in rules if r.name == "drift"), None)
    declared = [d for d in docs if d.kind in (InputKind.HCL, InputKind.CDKTF)]
    states = [d for d in docs if d.kind in (InputKind.STATE, InputKind.SHOW_STATE)]
    if drift_rule is None or not declared or not states:
        return []
    catalog = config.catalog
    decl = {r.config_address: r for d in declared for r in d.resources
            if r.type in catalog and r.action not in ("delete", "forget")}
    out: list[Finding] = []
    seen_state: set[str] = set()
    for doc in states:
        for res in doc.resources:
            if res.type not in catalog:
                continue
            seen_state.add(res.config_address)
            if res.config_address not in decl:
                out.append(drift_rule.finding(None, f"{res.address} is in state but no configuration "
                                                    "declares it (orphan)",
                                              address=res.address, source=res.source))
    for addr, res in sorted(decl.items()):
        if addr not in seen_state:
            out.append(drift_rule.finding(None, f"{addr} is declared but not in state (not applied yet, "
                                                "or deleted outside Terraform)",
                                          address=addr, source=res.source, severity=Severity.INFO))
    return out


def check_paths(paths: Sequence[str], config: Config, now: datetime,
                leavers: Mapping[str, date | None] | None = None) -> Report:
    """Load the inputs and check them."""
    catalog = config.catalog
    docs = load_inputs(paths, wanted=catalog.__contains__)
    return check_documents(docs, config, now, leavers, inputs=paths)


#: Plan actions that hand out access, and those that take it away.
GRANT_ACTIONS = ("create", "replace")
REVOKE_ACTIONS = ("delete", "forget")


def record_grants(report: Report, log_path: str) -> int:
    """Append one ``grant`` or ``revoke`` audit entry per identity a checked plan creates or deletes.

    Entries carry the address, type, owner, expiry, action and input file: never attribute values.
    Returns how many entries were written.
    """
    from nhi_toolkit.audit import AuditError, AuditLog, Event, new_run_id
    from nhi_toolkit.errors import NhiError

    log = AuditLog(log_path)
    run_id = new_run_id()
    written = 0
    try:
        for ident in report.identities:
            res = ident.resource
            if res.kind is not InputKind.PLAN or res.action not in GRANT_ACTIONS + REVOKE_ACTIONS:
                continue
            event = Event.GRANT if res.action in GRANT_ACTIONS else Event.REVOKE
            log.append(event, run_id=run_id, at=report.now, data={
                "address": ident.address, "type": ident.type, "action": res.action,
                "owner": ident.owner if isinstance(ident.owner, str) else None,
                "expires": ident.expires if isinstance(ident.expires, str) else None,
                "input": res.source.file,
            })
            written += 1
    except AuditError as exc:
        raise NhiError(log_path, f"cannot append to the audit log ({type(exc).__name__})") from None
    return written
