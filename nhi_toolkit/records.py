"""The records every stage sees: what a loader yields (Document, Note) and what reporters render
(Report). Loaders, inventory, rules, the engine and reporters all import them from here, so no stage
has to import another stage to name what it passes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from itertools import repeat
from typing import Any

from nhi_toolkit.model import Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.recordtype import record

__all__ = ["Document", "Note", "Report", "identity_key"]


@record()
class Note:
    """Something a loader could not evaluate and a rule must report (e.g. a module not followed)."""

    rule: str
    address: str
    message: str
    source: Location


@record()
class Document:
    """One loaded input unit: a plan, a state, one synthesized stack, or one HCL directory."""

    path: str
    kind: InputKind
    resources: tuple[Resource, ...]
    drift: tuple[Resource, ...] = ()
    """Plans: resources changed outside Terraform (``resource_drift``), values as they now are."""
    refresh_only: bool = False
    terraform_version: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    notes: tuple[Note, ...] = ()
    """What the loader left unevaluated, for the rules to report (module-not-followed)."""


def identity_key(identity: Identity) -> str:
    """The key of one report row: address, declaring file and line, and the input when it differs
    (cached on the identity: :attr:`Identity.row_key`)."""
    return identity.row_key


@record()
class Report:
    """Everything a reporter renders. Identities and findings are sorted; output is deterministic."""

    now: datetime
    inputs: tuple[str, ...]
    identities: tuple[Identity, ...]
    findings: tuple[Finding, ...]
    statuses: Mapping[str, str] = field(default_factory=dict)
    """Identity key (address + source) -> status word."""
    fail_on: str = "error"
    sources: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    """Identity key -> every input a joined identity was read from, in argument order."""
    identity_findings: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)
    """Identity key -> the findings about that identity (suppressed ones included)."""

    def status_of(self, identity: Identity) -> str:
        """The status word of one identity (ok, expired, expiring-soon, ...)."""
        return self.statuses.get(identity_key(identity), "ok")

    def sources_of(self, identity: Identity) -> tuple[Location, ...]:
        """Every input the identity was read from (one entry unless several inputs were joined)."""
        return self.sources.get(identity_key(identity)) or (identity.source,)

    def findings_of(self, identity: Identity) -> tuple[Finding, ...]:
        """The active (not waived) findings about one identity, worst first."""
        found = [f for f in self.identity_findings.get(identity_key(identity), ()) if f.suppressed is None]
        return tuple(sorted(found, key=lambda f: (-f.severity, f.rule_id, f.message)))

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

    def row_keys(self) -> tuple[str, ...]:
        """Each identity's row key (:attr:`Identity.row_key`), in order; worked out once per report
        (the summary and the renders all walk the rows)."""
        cache = self.__dict__
        keys: tuple[str, ...] | None = cache.get("_row_keys")
        if keys is None:
            keys = cache["_row_keys"] = tuple(ident.row_key for ident in self.identities)
        return keys

    def summary(self) -> dict[str, Any]:
        """Counts for the JSON ``summary`` object."""
        by_sev = {s.label: 0 for s in sorted(Severity, reverse=True)}
        by_rule: dict[str, int] = {}
        per_severity: dict[Severity, int] = {}
        active = 0
        for f in self.findings:  # one pass: the active ones counted by severity and by rule
            if f.suppressed is None:
                active += 1
                per_severity[f.severity] = per_severity.get(f.severity, 0) + 1
                by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        for sev, count in per_severity.items():
            by_sev[sev.label] += count
        words = self.statuses  # status_of without a call per row
        statuses = Counter(map(words.get, self.row_keys(), repeat("ok")))
        if type(self).failed is Report.failed:  # failed() from the counts, without another pass
            failed = False
            if self.fail_on != "never":
                threshold = Severity.parse(self.fail_on)
                failed = any(sev >= threshold for sev in per_severity)
        else:
            failed = self.failed()
        return {
            "identities": len(self.identities),
            "findings": active,
            "suppressed": len(self.findings) - active,
            "by_severity": by_sev,
            "by_rule": dict(sorted(by_rule.items())),
            "by_status": dict(sorted(statuses.items())),
            "fail_on": self.fail_on,
            "failed": failed,
        }
