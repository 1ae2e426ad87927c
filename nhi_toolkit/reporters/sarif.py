"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; a rule descriptor per documented rule; every result located in a file (line 1 when the
input has no line numbers), relative to ``--sarif-root`` through the ``SRCROOT`` base id, with the
Terraform address as a logical location. ``partialFingerprints`` hash rule, address and file (never
the line), so an alert follows its identity across commits. GitHub ingests at most 25,000 results
per run: past that the most severe are kept and the run says how many were left out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nhi_toolkit import __version__
from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import Finding, Location, Severity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.reporters._common import SEVERITY_WORD, by_severity, finding_location, place, visible
from nhi_toolkit.rules.base import Rule
from nhi_toolkit.rules.guide import documented_rules, guide_for
from nhi_toolkit.suppress import waivable_by_default

__all__ = ["FINGERPRINT_KEY", "MAX_RESULTS", "SCHEMA_URI", "TAKES_OPTIONS", "fingerprint", "render"]

TAKES_OPTIONS = True
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/nhi-toolkit/nhi-toolkit"
#: GitHub code scanning rejects runs with more results than this.
MAX_RESULTS = 25_000
FINGERPRINT_KEY = "nhiFinding/v1"
ROOT_ID = "SRCROOT"
#: GitHub reads properties.security-severity: 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.ERROR: "7.5", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _descriptor(rule: Rule) -> dict[str, Any]:
    guide = guide_for(rule)
    help_text = (f"{guide.rationale}\n\nFix in CDKTF: {guide.fix_cdktf}\n\nFix in HCL: {guide.fix_hcl}")
    help_md = (f"{guide.rationale}\n\n**Fix in CDKTF.** {guide.fix_cdktf}\n\n**Fix in HCL.** {guide.fix_hcl}"
               f"\n\n[Documentation]({rule.help_uri})")
    return {
        "id": rule.id,
        "name": _pascal(rule.name),
        "shortDescription": {"text": _sentence(rule.summary)},
        "fullDescription": {"text": _sentence(rule.description or rule.summary)},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": SEVERITY_WORD[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": ["security", "non-human-identity", "terraform", rule.name],
            "precision": "very-high",
            "nhi-rule": rule.name,
            "waivable": waivable_by_default(rule),
        },
    }


def _unknown_descriptor(finding: Finding) -> dict[str, Any]:
    # A finding whose rule is not in the registry (it should not happen): still a valid descriptor.
    from nhi_toolkit.rules.base import help_uri

    return {
        "id": finding.rule_id,
        "name": _pascal(finding.rule),
        "shortDescription": {"text": _sentence(finding.rule)},
        "fullDescription": {"text": _sentence(finding.rule)},
        "help": {"text": finding.rule},
        "helpUri": help_uri(finding.rule_id, finding.rule),
        "defaultConfiguration": {"level": SEVERITY_WORD[finding.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[finding.severity],
                       "tags": ["security", "non-human-identity", "terraform", finding.rule]},
    }


def fingerprint(rule_id: str, address: str, file: str) -> str:
    """Stable identity of an alert: rule, address and source file, never the line."""
    return hashlib.sha256(f"{rule_id}\0{address}\0{file}".encode("utf-8", "surrogatepass")).hexdigest()


def _quote(path: str) -> str:
    """Percent-encode a path; a file name that is not UTF-8 (surrogate-escaped) keeps its bytes."""
    try:
        return quote(path, errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, errors="surrogatepass")


def _artifact(file: str, root: str | None) -> tuple[dict[str, Any], str]:
    """The artifactLocation and the path string used in the fingerprint."""
    placed = place(file, root)
    if placed.url:
        return {"uri": _quote(placed.path).replace("%3A//", "://", 1)}, placed.path
    if placed.inside:
        return {"uri": _quote(placed.path), "uriBaseId": ROOT_ID}, placed.path
    return {"uri": "file://" + _quote(Path(placed.path).as_posix())}, placed.path


def _region(line: int | None, column: int | None) -> dict[str, int]:
    region = {"startLine": line or 1}
    if line is not None and column is not None:
        region["startColumn"] = column
    return region


def _module_steps(address: str) -> list[str]:
    """``module.a["k"].module.b.x.y`` -> ``['module.a["k"]', 'module.a["k"].module.b']``."""
    from nhi_toolkit.addresses import AddressError, parse_address

    try:
        module = parse_address(address).module
    except (AddressError, ValueError, IndexError):
        return []
    steps: list[str] = []
    for part in module.split(".module.") if module else ():
        steps.append(f"{steps[-1]}.module.{part}" if steps else part)
    return steps


def _related(loc: Location, address: str, root: str | None) -> list[dict[str, Any]]:
    """The ``module`` blocks on the way to the declaring block, outermost first."""
    steps = _module_steps(address)
    out = []
    for n, call in enumerate(loc.module_call or ()):
        name = steps[n] if len(steps) == len(loc.module_call or ()) else f"module call {n + 1} of {len(loc.module_call or ())}"
        out.append({
            "id": n + 1,
            "physicalLocation": {"artifactLocation": _artifact(call.file, root)[0],
                                 "region": _region(call.line, None)},
            "message": {"text": visible(f"Module call for {name}.")},
        })
    return out


def _result(f: Finding, index: int, report: Report, root: str | None) -> dict[str, Any]:
    loc = finding_location(f, report)
    artifact, fp_file = _artifact(loc.file, root)
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact, "region": _region(loc.line, loc.column)},
    }
    logical: list[dict[str, Any]] = []
    if f.address:
        logical.append({"fullyQualifiedName": f.address, "kind": "resource"})
    if loc.construct_path:
        logical.append({"fullyQualifiedName": loc.construct_path, "name": loc.construct_path.rsplit("/", 1)[-1],
                        "kind": "object", "properties": {"nhi-kind": "cdktf-construct-path"}})
    if logical:
        location["logicalLocations"] = logical
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": SEVERITY_WORD[f.severity],
        "message": {"text": _sentence(visible(f.message))},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f.rule_id, f.address, fp_file)},
        "properties": {"severity": f.severity.label, "rule": f.rule},
    }
    related = _related(loc, f.address, root)
    if related:
        result["relatedLocations"] = related
    if loc.input is not None:
        result["properties"]["input"] = _artifact(loc.input, root)[1]
    if f.suppressed is not None:
        until = f" (until {f.suppressed_until})" if f.suppressed_until else ""
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": visible(f.suppressed) + until}]
    return result


def to_sarif(report: Report, options: RenderOptions) -> dict[str, Any]:
    """The SARIF log as plain data."""
    descriptors = [_descriptor(r) for r in documented_rules()]
    index = {d["id"]: n for n, d in enumerate(descriptors)}
    for f in report.findings:
        if f.rule_id not in index:
            index[f.rule_id] = len(descriptors)
            descriptors.append(_unknown_descriptor(f))
    ordered = by_severity(report.findings)
    kept = ordered[:MAX_RESULTS]
    root_uri = "file://" + _quote(Path(options.root or ".").resolve().as_posix()).rstrip("/") + "/"
    invocation: dict[str, Any] = {"executionSuccessful": True, "workingDirectory": {"uri": root_uri}}
    if len(ordered) > len(kept):
        invocation["toolExecutionNotifications"] = [{
            "level": "warning",
            "message": {"text": f"Results cut at {MAX_RESULTS:,} of {len(ordered):,} (the GitHub code "
                                "scanning limit per run); the most severe are kept. The JSON report "
                                "has them all."},
        }]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nhi-toolkit",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }},
            "originalUriBaseIds": {ROOT_ID: {"uri": root_uri}},
            "invocations": [invocation],
            "columnKind": "utf16CodeUnits",
            "results": [_result(f, index[f.rule_id], report, options.root) for f in kept],
            "properties": {
                "now": format_instant(report.now),
                "inputs": list(report.inputs),
                "totalResults": len(ordered),
                "truncated": len(ordered) > len(kept),
            },
        }],
    }


def render(report: Report, options: RenderOptions | None = None) -> str:
    """SARIF 2.1.0 as deterministic JSON (sorted keys, ASCII)."""
    # ASCII with \u escapes: any input text, even a lone surrogate from a JSON escape, stays valid.
    return json.dumps(to_sarif(report, options or RenderOptions()), indent=2, sort_keys=True) + "\n"
