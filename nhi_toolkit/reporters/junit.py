"""``--format junit``: JUnit XML, one test case per identity and rule, for CI test reporters.

``testsuites`` > one ``testsuite`` per rule > one ``testcase`` per identity (name: the address,
classname: ``nhi.<rule id>.<rule name>``). A finding is a ``failure``, a suppressed one ``skipped`` with
its justification; an identity the rule passes is a passing case. Findings that belong to no
identity (orphans in state, a crashed rule) are cases of their own. Times are 0: output is
deterministic.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from nhi_toolkit.model import Finding, Identity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.reporters._common import by_severity, finding_location, visible
from nhi_toolkit.rules import RULE_ERROR_ID
from nhi_toolkit.rules.base import Rule
from nhi_toolkit.rules.guide import documented_rules

__all__ = ["TAKES_OPTIONS", "render"]

TAKES_OPTIONS = True


def _rules(report: Report, options: RenderOptions) -> list[tuple[str, str, Rule | None]]:
    known = {r.id: r for r in documented_rules()}
    ids = list(options.rule_ids) if options.rule_ids is not None else list(known)
    ids += [f.rule_id for f in report.findings if f.rule_id not in ids]
    out: list[tuple[str, str, Rule | None]] = []
    for rid in sorted(set(ids)):
        rule = known.get(rid)
        name = rule.name if rule else next(f.rule for f in report.findings if f.rule_id == rid)
        out.append((rid, name, rule))
    return out


def _case(suite: ET.Element, name: str, classname: str, file: str, line: int | None,
          findings: list[Finding], report: Report) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", {"name": visible(name), "classname": classname,
                                             "file": visible(file), "time": "0"})
    if line is not None:
        case.set("line", str(line))
    active = [f for f in findings if f.suppressed is None]
    if active:
        worst = by_severity(active)[0]
        body = "\n".join(f"{f.severity.label}: {visible(f.message)} (at {finding_location(f, report)})"
                         for f in by_severity(active))
        failure = ET.SubElement(case, "failure", {"type": worst.severity.label,
                                                  "message": visible(worst.message)})
        failure.text = visible(body)
        return 1, 0
    if findings:
        reasons = "; ".join(f"{visible(f.suppressed or '')} (until {f.suppressed_until})" for f in findings)
        ET.SubElement(case, "skipped", {"message": f"suppressed: {reasons}"})
        return 0, 1
    return 0, 0


def render(report: Report, options: RenderOptions | None = None) -> str:
    """JUnit XML with a ``testsuites`` root."""
    options = options or RenderOptions()
    grouped: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        grouped[(f.rule_id, f.address, f.source.origin)].append(f)
    counts: dict[str, int] = defaultdict(int)
    for ident in report.identities:
        counts[ident.address] += 1
    root = ET.Element("testsuites", {"name": "nhi check"})
    totals = [0, 0, 0]
    for rid, name, rule in _rules(report, options):
        suite = ET.SubElement(root, "testsuite", {"name": f"{rid} {name}"})
        classname = f"nhi.{rid}.{name}"
        tests = failures = skipped = 0
        used: set[tuple[str, str, str]] = set()
        per_identity = rid != RULE_ERROR_ID
        for ident in report.identities if per_identity else ():
            if _skip(ident, rule):
                continue
            key = (rid, ident.address, ident.source.origin)
            used.add(key)
            label = ident.address if counts[ident.address] == 1 else f"{ident.address} ({ident.source})"
            fa, sk = _case(suite, label, classname, ident.source.file, ident.source.line,
                           grouped.get(key, []), report)
            tests, failures, skipped = tests + 1, failures + fa, skipped + sk
        for key in sorted(k for k in grouped if k[0] == rid and k not in used):
            items = grouped[key]
            loc = finding_location(items[0], report)
            fa, sk = _case(suite, key[1] or loc.file, classname, loc.file, loc.line, items, report)
            tests, failures, skipped = tests + 1, failures + fa, skipped + sk
        if not per_identity and not tests:
            _case(suite, "every rule completed", classname, report.inputs[0] if report.inputs else "",
                  None, [], report)
            tests = 1
        suite.attrib.update({"tests": str(tests), "failures": str(failures), "errors": "0",
                             "skipped": str(skipped), "time": "0"})
        totals = [totals[0] + tests, totals[1] + failures, totals[2] + skipped]
    root.attrib.update({"tests": str(totals[0]), "failures": str(totals[1]), "errors": "0",
                        "skipped": str(totals[2]), "time": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _skip(identity: Identity, rule: Rule | None) -> bool:
    """Most rules do not judge identities a plan deletes; those get no case for them."""
    return identity.resource.deleted and not (rule is not None and rule.includes_deleted)
