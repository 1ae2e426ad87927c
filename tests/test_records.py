"""The records every stage sees: a report row's key, the Report's summary and verdict, and the former
import paths that still name the same classes."""

from __future__ import annotations

from conftest import NOW

from nhi_toolkit import engine
from nhi_toolkit.loaders import common
from nhi_toolkit.model import Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.records import Document, Note, Report, identity_key


def _ident(address: str, file: str = "main.tf", line: int | None = 3, input_: str | None = None) -> Identity:
    res = Resource(address=address, type="aws_iam_user", name=address.rsplit(".", 1)[-1],
                   source=Location(file, line, input=input_), kind=InputKind.HCL)
    return Identity(resource=res, category="principal", owner=None, expires=None, expires_at=None)


def _finding(address: str, severity: Severity, rule_id: str = "NHI001", suppressed: str | None = None) -> Finding:
    return Finding(address=address, rule_id=rule_id, rule="missing-owner", severity=severity,
                   message=f"{address} has no owner", source=Location("main.tf", 3), suppressed=suppressed)


def test_identity_key_tells_apart_rows_of_one_address() -> None:
    assert identity_key(_ident("aws_iam_user.u")) == "aws_iam_user.u\0main.tf\x003"
    assert identity_key(_ident("aws_iam_user.u", input_="a.json")) != identity_key(
        _ident("aws_iam_user.u", input_="b.json"))


def test_summary_and_verdict_count_only_active_findings() -> None:
    u, v = _ident("aws_iam_user.u"), _ident("aws_iam_user.v", line=9)
    active = _finding(u.address, Severity.WARNING)
    waived = _finding(v.address, Severity.ERROR, suppressed="owned by the platform team")
    report = Report(now=NOW, inputs=("main.tf",), identities=(u, v), findings=(active, waived),
                    statuses={identity_key(u): "warning"}, fail_on="warning",
                    identity_findings={identity_key(u): (active,), identity_key(v): (waived,)})
    summary = report.summary()
    assert (summary["findings"], summary["suppressed"], summary["failed"]) == (1, 1, True)
    assert summary["by_status"] == {"ok": 1, "warning": 1}
    assert report.findings_of(u) == (active,) and report.findings_of(v) == ()
    assert report.sources_of(v) == (v.source,)
    assert not Report(now=NOW, inputs=(), identities=(), findings=(active,), fail_on="error").failed()
    assert not Report(now=NOW, inputs=(), identities=(), findings=(active,), fail_on="never").failed()


def test_former_homes_name_the_same_records() -> None:
    assert common.Document is Document and common.Note is Note
    assert engine.Report is Report
    doc = Document(path="p.json", kind=InputKind.PLAN, resources=())
    assert (doc.drift, doc.notes, doc.refresh_only) == ((), (), False)
