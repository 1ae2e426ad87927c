"""Reports built in memory, for the reporter suites: identities, findings and a few report shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import FIXTURES, NOW

from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.records import Report, identity_key

HCL_CASE = FIXTURES / "check" / "hcl-default-tags-revocation" / "input"
CHECK_NOW = "2026-12-01"
HOSTILE = "50% off\r\n::error::pwned, a:b <script>x</script> | **bold** @alice `tick` \x1b[31m\x07 [l](u)"


def _ident(address: str, owner: Any = "alice@example.com", expires: Any = "2026-07-01",
           file: str = "infra/main.tf", line: int | None = 3) -> Identity:
    rtype, name = address.split(".")[-2:]
    res = Resource(address=address, type=rtype, name=name, source=Location(file, line), kind=InputKind.HCL)
    expires_at = datetime.fromisoformat(expires).replace(tzinfo=UTC) if isinstance(expires, str) else None
    return Identity(resource=res, category="principal", owner=owner, expires=expires, expires_at=expires_at)


def _finding(address: str, rule_id: str = "NHI004", rule: str = "expired", severity: Severity = Severity.ERROR,
             message: str | None = None, file: str = "infra/main.tf", line: int | None = 3,
             suppressed: str | None = None) -> Finding:
    return Finding(address=address, rule_id=rule_id, rule=rule, severity=severity,
                   message=message or f"{address} expired at 2026-05-02T00:00:00Z", source=Location(file, line),
                   suppressed=suppressed, suppressed_until="2027-01-31" if suppressed else None)


def _report(identities: list[Identity], findings: list[Finding], statuses: dict[str, str] | None = None) -> Report:
    keys = {identity_key(i): (statuses or {}).get(i.address, "ok") for i in identities}
    return Report(now=NOW, inputs=("infra",), identities=tuple(sorted(identities, key=lambda i: i.address)),
                  findings=tuple(sorted(findings, key=Finding.sort_key)), statuses=keys, fail_on="error")


def _small() -> Report:
    idents = [
        _ident("aws_iam_user.bot"),
        _ident("aws_iam_role.agent", owner=None, line=10),
        _ident("aws_iam_role.future", owner=UNKNOWN, expires=UNKNOWN, line=20),
        _ident("aws_iam_access_key.hostile", owner=HOSTILE, file="infra/keys.tf", line=7),
    ]
    findings = [
        _finding("aws_iam_user.bot"),
        _finding("aws_iam_role.agent", "NHI001", "missing-owner", message="aws_iam_role.agent has no owner",
                 line=10),
        _finding("aws_iam_role.future", "NHI007", "unknown-until-apply", Severity.INFO,
                 message="aws_iam_role.future owner is not known until apply", line=20),
        _finding("aws_iam_access_key.hostile", "NHI005", "expiring-soon", Severity.WARNING, message=HOSTILE,
                 file="infra/keys.tf", line=7),
        _finding("aws_iam_access_key.hostile", "NHI004", "expired", file="infra/keys.tf", line=7,
                 suppressed="vendor rotates by hand; ticket SEC-981"),
    ]
    return _report(idents, findings, {"aws_iam_user.bot": "expired", "aws_iam_role.agent": "no-owner",
                                      "aws_iam_role.future": "unknown"})


def _many(n_idents: int, per_ident: int = 1) -> Report:
    idents = [_ident(f"aws_iam_user.u{n:05d}", line=n + 1) for n in range(n_idents)]
    findings = [_finding(i.address, message=f"{i.address} expired at 2026-05-02T00:00:00Z (#{k})",
                         line=i.source.line) for i in idents for k in range(per_ident)]
    return _report(idents, findings, {i.address: "expired" for i in idents})


def _validate(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft4Validator(schema).validate(doc)
