"""Baselines: accept today's findings for a while and report only new ones.

A baseline is an earlier ``nhi check --format json`` report (``--write-baseline FILE
--baseline-until DATE`` writes one with its end date as ``baseline_until``). ``nhi check --baseline
FILE`` marks each finding that the baseline holds as suppressed with the reason
``in baseline FILE``: it stays visible in every format and does not count for the exit code. A
finding matches by rule id, address and source file together, never by address alone, so a new
finding on another file under the same address is reported; nor does the current object's finding
match one about a deposed object at its address (another credential: the report's message names the
deposed object, which is how the baseline tells them apart). Findings of rules listed in
``unwaivable`` are never hidden by a baseline. After ``baseline_until`` the baseline hides nothing
and the check says so with a ``baseline-expired`` warning (NHI023).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, is_expired
from nhi_toolkit.model import Finding, Location

if TYPE_CHECKING:
    from nhi_toolkit.config import Config
    from nhi_toolkit.records import Report

__all__ = ["BASELINE_PREFIX", "Baseline", "baseline_document", "finding_key", "load_baseline"]

#: The reason a baseline-matched finding carries starts with this.
BASELINE_PREFIX = "in baseline "

_EXPIRED_ID = "NHI023"


def _norm(file: str) -> str:
    return os.path.normpath(file.replace("\\", "/")) if file else ""


#: How a finding about a deposed object ends (:meth:`nhi_toolkit.rules.base.Rule.finding`).
_DEPOSED = re.compile(r" \(deposed object ([^()\s]+)\)$")


def finding_key(rule_id: str, address: str, file: str) -> tuple[str, str, str]:
    """What a baseline matches a finding by: rule id, address and source file (normalised)."""
    return (rule_id, address, _norm(file))


@dataclass(frozen=True)
class Baseline:
    """The findings of an earlier report, and the date after which they are no longer accepted."""

    path: str
    keys: frozenset[tuple[str, str, str]]
    until: str | None = None
    until_at: datetime | None = None
    deposed_keys: frozenset[tuple[str, str, str, str]] = frozenset()
    """The findings about deposed objects: :func:`finding_key` and the deposed object's key."""

    def holds(self, f: Finding) -> bool:
        """Whether the baseline holds this finding (about the same object: current, or that deposed one)."""
        key = finding_key(f.rule_id, f.address, f.source.file)
        return (*key, f.deposed) in self.deposed_keys if f.deposed else key in self.keys

    def apply(self, findings: Iterable[Finding], config: Config, now: datetime) -> list[Finding]:
        """Mark the findings the baseline holds as suppressed; after its end date, warn instead."""
        from nhi_toolkit.rules import rule_by_key
        from nhi_toolkit.suppress import is_unwaivable

        out = list(findings)
        if self.until_at is not None and is_expired(self.until_at, now):
            rule = rule_by_key(_EXPIRED_ID)
            if rule is not None and rule.id not in config.disable and rule.name not in config.disable:
                out.append(rule.finding(None, f"baseline {self.path} ended on {self.until}: it hides "
                                              "nothing now, every finding is reported; fix them or "
                                              "write a new baseline", address="",
                                        source=Location(self.path)))
            return out
        reason = BASELINE_PREFIX + self.path
        for n, f in enumerate(out):
            if f.suppressed is not None or not self.holds(f):
                continue
            rule = rule_by_key(f.rule_id)
            if rule is None or is_unwaivable(rule, config):
                continue
            out[n] = replace(f, suppressed=reason, suppressed_until=self.until)
        return out


def _bad(path: str, why: str) -> InputError:
    return InputError(path, f"not a baseline ({why}); write one with nhi check --write-baseline FILE "
                            "--baseline-until DATE")


def load_baseline(path: str) -> Baseline:
    """Read a baseline (a JSON report); anything malformed is an InputError naming the file."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes

    doc = parse_json(decode_text(read_bytes(path), path), path)
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise _bad(path, "no 'findings' list: give a report written by nhi check --format json")
    keys: set[tuple[str, str, str]] = set()
    deposed: set[tuple[str, str, str, str]] = set()
    for n, item in enumerate(doc["findings"], 1):
        source = item.get("source") if isinstance(item, dict) else None
        if not (isinstance(item, dict) and isinstance(item.get("rule_id"), str)
                and isinstance(item.get("address"), str) and isinstance(source, dict)
                and isinstance(source.get("file"), str)):
            raise _bad(path, f"finding {n} lacks a rule_id, address or source.file")
        suppression = item.get("suppression")
        reason = suppression.get("reason") if isinstance(suppression, dict) else None
        # Findings waived by a suppression are not accepted here: they return when it lapses.
        if item.get("suppressed") and not (isinstance(reason, str) and reason.startswith(BASELINE_PREFIX)):
            continue
        key = finding_key(item["rule_id"], item["address"], source["file"])
        about = _DEPOSED.search(item["message"]) if isinstance(item.get("message"), str) else None
        if about is not None:
            deposed.add((*key, about.group(1)))
        else:
            keys.add(key)
    until = doc.get("baseline_until")
    until_at = None
    if until is not None:
        try:
            until_at = expiry_instant(until)
        except InvalidExpiry:
            raise _bad(path, "'baseline_until' is not a date (YYYY-MM-DD)") from None
    return Baseline(path, frozenset(keys), until, until_at, frozenset(deposed))


def baseline_document(report: Report, until: str | date) -> str:
    """The JSON report of ``report`` with ``baseline_until`` added: what --write-baseline writes."""
    from nhi_toolkit.reporters.json_report import to_dict

    text = until.isoformat() if isinstance(until, date) else str(until)
    doc: Mapping[str, Any] = {**to_dict(report), "baseline_until": text}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
