"""Fold what the cloud said into a checked report: live findings go through the same severity
overrides and suppressions as every other finding, and identities carry a ``live`` object.

Kept apart from :mod:`nhi_toolkit.engine` so the check pipeline stays unaware of the cloud; this
module never imports boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.model import Finding, Identity
from nhi_toolkit.records import Report, identity_key

__all__ = ["LiveReport", "with_live"]


@dataclass(frozen=True)
class LiveReport(Report):
    """A Report whose identities may carry what the cloud says about them."""

    live: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Identity key (address + source) -> the ``live`` object of the JSON contract."""

    def live_of(self, identity: Identity) -> Mapping[str, Any] | None:
        """The live object of one identity, or None when it was not looked up."""
        return self.live.get(identity_key(identity))


def with_live(report: Report, findings: Iterable[Finding], live: Mapping[str, Mapping[str, Any]],
              config: Config) -> LiveReport:
    """A new report: ``report`` plus live findings (severity overrides and suppressions applied,
    disabled rules dropped) and per-identity ``live`` objects."""
    from nhi_toolkit.engine import (
        _apply_suppressions,
        _findings_by_identity,
        _rules,
        _severity,
        identity_status,
    )

    enabled = {r.id for r in _rules(config)}
    extra = [_severity(f, config) for f in findings if f.rule_id in enabled]
    by_address = {i.address: i for i in report.identities}
    extra = _apply_suppressions(extra, config, report.now, by_address)
    merged = sorted(set(report.findings) | set(extra), key=Finding.sort_key)
    # Statuses and per-identity findings again, with the live findings: a key deleted outside
    # Terraform must not show "ok" in the table next to its drift finding.
    keys = [identity_key(i) for i in report.identities]
    about = _findings_by_identity(report.identities, keys, merged, report.sources)
    statuses = {key: identity_status(ident, report.now, config.expiring_soon_days, about.get(key, ()))
                for key, ident in zip(keys, report.identities, strict=True)}
    return LiveReport(now=report.now, inputs=report.inputs, identities=report.identities,
                      findings=tuple(merged), statuses=statuses, fail_on=report.fail_on,
                      sources=report.sources, identity_findings=about, live=dict(live))
