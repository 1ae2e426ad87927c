"""``--format json`` writes records by string templates: the bytes must equal the general encoder's.

The reference is the general path, ``json.dumps`` of :func:`identity_json` / :func:`finding_json`
with sorted keys, one record per line; every check fixture, the judged corpus and a report of
hostile values are rendered both ways.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import FIXTURES, NOW

from nhi_toolkit.config import Config, load_config
from nhi_toolkit.engine import Report, check_paths
from nhi_toolkit.errors import NhiError
from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.reporters import json_report

CASES = sorted(p for p in (FIXTURES / "check").iterdir() if (p / "input").is_dir())


def reference(report: Report) -> str:
    """The document as the general encoder writes it (the contract the templates must match)."""
    def dump(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    doc = json_report.to_dict(report)
    parts = ["{"]
    keys = sorted(doc)
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        value = doc[key]
        if key in ("identities", "findings", "inputs") and value:
            parts.append(f"  {json.dumps(key)}: [")
            parts.append(",\n".join(f"    {dump(item)}" for item in value))
            parts.append(f"  ]{comma}")
        else:
            parts.append(f"  {json.dumps(key)}: {dump(value)}{comma}")
    parts.append("}")
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_reports_match_the_general_encoder(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    inputs = [f"input/{p.name}" for p in sorted((case / "input").iterdir())]
    config = load_config("nhi.toml" if (case / "nhi.toml").is_file() else None, inputs, {})
    report = check_paths(inputs, config, NOW, map_sources=True)
    assert json_report.render(report) == reference(report)


def _checked(path: Path) -> Report | None:
    try:
        return check_paths([str(path)], Config(), NOW)
    except NhiError:  # an input the checker refuses has no report to compare
        return None


def test_every_fixture_input_matches_the_general_encoder() -> None:
    paths = sorted(p for ext in ("*.json", "*.tfstate") for p in FIXTURES.rglob(ext)
                   if p.name != "expected.json" and p.stat().st_size < 2_000_000)
    reports = [(p, r) for p in paths if (r := _checked(p)) is not None and r.identities]
    assert len(reports) >= 10
    for path, report in reports:
        assert json_report.render(report) == reference(report), path


def _identity(address: str, **kw: object) -> Identity:
    loc = kw.pop("loc", Location("p.json"))
    res = Resource(address=address, type="aws_iam_user", name="u", source=loc,  # type: ignore[arg-type]
                   kind=InputKind.PLAN, action=kw.pop("action", "create"))  # type: ignore[arg-type]
    return Identity(resource=res, category="principal", **kw)  # type: ignore[arg-type]


def test_hostile_values_match_the_general_encoder() -> None:
    hostile = "\"quote\\ \x00\x1f\u2028\u2029\ud800 é 日本 \x7f</script>"
    calls = (Location("a.tf", 3), Location(hostile, None))
    plus2 = datetime(2027, 1, 1, 12, tzinfo=UTC).astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    decl = SimpleNamespace(address=hostile, reason=hostile, source={"file": hostile, "line": 7}, expires_at=None)
    idents = (
        _identity(hostile, owner=hostile, expires=UNKNOWN, expires_at=None),
        _identity("b", owner=UNKNOWN, expires="2027-01-01", expires_at=plus2, parent=hostile, inherited=True,
                  loc=Location(hostile, 10**30, -1, calls, hostile, hostile), owner_source="tag",
                  expiry_source="native", native_attr="end_date", native_expires_at=plus2,
                  claimed_expires=UNKNOWN, declaration=decl),
        _identity("c", owner=None, expires=None, expires_at=datetime(1, 1, 1, tzinfo=UTC), action=None,
                  native_attr="ttl", claimed_expires="x", parent="p"),
    )
    findings = (
        Finding(hostile, "NHI001", "missing-owner", Severity.ERROR, hostile, Location(hostile, 1, 2, calls)),
        Finding("b", "NHI004", "expired", Severity.INFO, "m", idents[1].source, suppressed=hostile,
                suppressed_until=None),
        Finding("c", "NHI004", "expired", Severity.WARNING, "m", Location("x"), suppressed="r",
                suppressed_until="2027-01-01"),
    )
    report = Report(now=NOW, inputs=(hostile, "p.json"), identities=idents, findings=findings,
                    statuses={}, sources={})
    assert json_report.render(report) == reference(report)
    assert format_instant(plus2) in json_report.render(report)


def test_empty_report_matches() -> None:
    report = Report(now=NOW, inputs=(), identities=(), findings=())
    assert json_report.render(report) == reference(report)


def test_a_deposed_object_s_row_matches_the_general_encoder(tmp_path: Path) -> None:
    state = {"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "x", "outputs": {},
             "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "bot",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [{"attributes": {"name": "bot", "tags": {}}},
                                          {"deposed": "00000001", "attributes": {"name": "bot-old", "tags": {
                                              "owner": "alice", "expires_at": "2027-01-01"}}}]}]}
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(state), encoding="utf-8")
    report = check_paths([str(path)], Config(), NOW)
    text = json_report.render(report)
    assert text == reference(report)
    rows = json.loads(text)["identities"]
    assert [(r.get("deposed"), r["owner"]) for r in rows] in ([("00000001", "alice"), (None, None)],
                                                            [(None, None), ("00000001", "alice")])
