"""Provider-native expiry: every type in the table, relative lifetimes, time_rotating/time_offset
references, and rule NHI015 expiry-mismatch in both directions. The clock is pinned (conftest.NOW)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, NOW_TEXT, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.catalog import PHASE_CREDENTIAL, IdentityType
from nhi_toolkit.config import Config
from nhi_toolkit.engine import Report, check_documents, check_paths
from nhi_toolkit.expiry import InvalidExpiry
from nhi_toolkit.loaders.common import Document
from nhi_toolkit.model import UNKNOWN, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.native_expiry import NATIVE_EXPIRY, native_expiry, native_expiry_attrs, parse_duration
from nhi_toolkit.reporters.json_report import identity_json
from nhi_toolkit.rules import rule_by_key

OWNER = "alice@example.com"

#: Types the built-in catalog may not hold yet (added by the catalog work): declared here as custom
#: untaggable credentials so every table entry is exercised as an identity.
EXTRA_TYPES = {
    name: IdentityType(name, "credential", PHASE_CREDENTIAL, tags_path=None, max_lifetime_days=365,
                       summary="test credential")
    for name in ("vault_token", "vault_approle_auth_backend_role_secret_id",
                 "azuread_service_principal_certificate")
}


def config(**kw: Any) -> Config:
    catalog = Config().catalog
    return Config(identity_types={k: v for k, v in EXTRA_TYPES.items() if k not in catalog}, **kw)


def res(address: str, values: Mapping[str, Any], *, kind: InputKind = InputKind.STATE,
        action: str | None = None, refs: tuple[str, ...] = (), meta: Mapping[str, Any] | None = None
        ) -> Resource:
    rtype, name = address.split(".")[-2:]
    return Resource(address=address, type=rtype, name=name, source=Location("t"), kind=kind,
                    values=dict(values), action=action, references=refs, metadata=dict(meta or {}))


def run(*resources: Resource, kind: InputKind = InputKind.STATE, **cfg: Any) -> Report:
    doc = Document("t", kind, tuple(resources))
    return check_documents([doc], config(**cfg), NOW)


def ident(report: Report, address: str) -> Identity:
    return next(i for i in report.identities if i.address == address)


def rules_of(report: Report, address: str) -> list[str]:
    return sorted(f.rule for f in report.active if f.address == address)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- the table, type by type -------------------------------------------------------------------

P, C = InputKind.PLAN, InputKind.HCL
TYPE_CASES = [
    # (id, type, values, kind, action, expected (label, instant text | UNKNOWN) or None)
    ("az-app-password end_date", "azuread_application_password",
     {"end_date": "2026-12-01T00:00:00Z"}, InputKind.STATE, None, ("end_date", "2026-12-01T00:00:00Z")),
    ("az-app-cert end_date", "azuread_application_certificate",
     {"end_date": "2026-12-01T10:00:00+02:00"}, InputKind.STATE, None, ("end_date", "2026-12-01T08:00:00Z")),
    ("az-sp-password end_date", "azuread_service_principal_password",
     {"end_date": "2026-09-01T00:00:00Z"}, InputKind.STATE, None, ("end_date", "2026-09-01T00:00:00Z")),
    ("az-sp-cert end_date", "azuread_service_principal_certificate",
     {"end_date": "2026-09-01T00:00:00Z"}, InputKind.STATE, None, ("end_date", "2026-09-01T00:00:00Z")),
    ("relative, creation known", "azuread_application_password",
     {"end_date": UNKNOWN, "end_date_relative": "8760h", "start_date": "2026-06-01T00:00:00Z"}, P, "create",
     ("start_date + end_date_relative", "2027-06-01T00:00:00Z")),
    ("relative minutes", "azuread_service_principal_password",
     {"end_date_relative": "1h30m", "start_date": "2026-06-01T00:00:00Z"}, C, None,
     ("start_date + end_date_relative", "2026-06-01T01:30:00Z")),
    ("relative, creation unknown in plan", "azuread_application_password",
     {"end_date": UNKNOWN, "end_date_relative": "8760h", "start_date": UNKNOWN}, P, "create",
     ("end_date_relative", UNKNOWN)),
    ("relative, creation at apply in HCL", "azuread_application_certificate",
     {"end_date_relative": "720h"}, C, None, ("end_date_relative", UNKNOWN)),
    ("computed end_date unknown in a plan is no evidence", "azuread_application_password",
     {"end_date": UNKNOWN}, P, "create", None),
    ("unresolvable end_date expression in HCL", "azuread_application_password",
     {"end_date": UNKNOWN}, C, None, ("end_date", UNKNOWN)),
    ("gcp key valid_before", "google_service_account_key",
     {"valid_before": "2026-08-30T12:00:00Z"}, InputKind.STATE, None, ("valid_before", "2026-08-30T12:00:00Z")),
    ("gcp key without an expiry policy", "google_service_account_key",
     {"valid_before": "9999-12-31T23:59:59Z"}, InputKind.STATE, None, None),
    ("gcp key valid_before unknown in a plan", "google_service_account_key",
     {"valid_before": UNKNOWN}, P, "create", None),
    ("vault token explicit_max_ttl", "vault_token",
     {"explicit_max_ttl": "720h", "lease_started": "2026-05-20T00:00:00Z"}, InputKind.STATE, None,
     ("lease_started + explicit_max_ttl", "2026-06-19T00:00:00Z")),
    ("vault token non-renewable ttl", "vault_token",
     {"ttl": "24h", "renewable": False, "lease_started": "2026-06-01T00:00:00Z"}, InputKind.STATE, None,
     ("lease_started + ttl", "2026-06-02T00:00:00Z")),
    ("vault token: the earlier of both bounds", "vault_token",
     {"ttl": "24h", "explicit_max_ttl": "48h", "renewable": False, "lease_started": "2026-06-01T00:00:00Z"},
     InputKind.STATE, None, ("lease_started + ttl", "2026-06-02T00:00:00Z")),
    ("vault token renewable ttl is renewed", "vault_token",
     {"ttl": "24h", "renewable": True, "lease_started": "2026-06-01T00:00:00Z"}, InputKind.STATE, None, None),
    ("vault token renewable by default", "vault_token", {"ttl": "24h"}, C, None, None),
    ("vault token created by the plan", "vault_token",
     {"explicit_max_ttl": "720h", "lease_started": UNKNOWN}, P, "create", ("explicit_max_ttl", UNKNOWN)),
    ("vault secret id ttl in seconds, created by the plan", "vault_approle_auth_backend_role_secret_id",
     {"ttl": 3600}, P, "create", ("ttl", UNKNOWN)),
    ("vault secret id in state: no creation time recorded", "vault_approle_auth_backend_role_secret_id",
     {"ttl": 3600}, InputKind.STATE, None, None),
    ("no expiry attribute set", "azuread_application_password", {}, InputKind.STATE, None, None),
    ("garbage duration is ignored", "vault_approle_auth_backend_role_secret_id",
     {"ttl": "soon"}, P, "create", None),
    # GitLab: a date means 00:00 UTC of that day (the token stops working at midnight UTC).
    ("gitlab personal token date", "gitlab_personal_access_token", {"expires_at": "2026-07-01"},
     InputKind.STATE, None, ("expires_at", "2026-07-01T00:00:00Z")),
    ("gitlab project token date", "gitlab_project_access_token", {"expires_at": "2026-07-01"}, C, None,
     ("expires_at", "2026-07-01T00:00:00Z")),
    ("gitlab group token filled in after apply", "gitlab_group_access_token", {"expires_at": UNKNOWN},
     P, "create", None),
    ("gitlab service account token", "gitlab_group_service_account_access_token",
     {"expires_at": "2026-07-01"}, P, "create", ("expires_at", "2026-07-01T00:00:00Z")),
    ("gitlab deploy token instant", "gitlab_deploy_token", {"expires_at": "2026-07-01T12:00:00.000Z"},
     InputKind.STATE, None, ("expires_at", "2026-07-01T12:00:00Z")),
    ("gitlab project deploy token never", "gitlab_project_deploy_token", {"expires_at": None},
     InputKind.STATE, None, None),
    ("gitlab group deploy token", "gitlab_group_deploy_token", {"expires_at": "2026-07-01T00:00:00Z"},
     InputKind.STATE, None, ("expires_at", "2026-07-01T00:00:00Z")),
    ("gitlab impersonation token date", "gitlab_user_impersonation_token", {"expires_at": "2026-07-01"},
     InputKind.STATE, None, ("expires_at", "2026-07-01T00:00:00Z")),
    ("tfe team token", "tfe_team_token", {"expired_at": "2026-07-01T00:00:00Z"}, InputKind.STATE, None,
     ("expired_at", "2026-07-01T00:00:00Z")),
    ("tfe organization token unset", "tfe_organization_token", {"expired_at": ""}, InputKind.STATE, None,
     None),
    ("tfe audit trail token", "tfe_audit_trail_token", {"expired_at": "2026-07-01T00:00:00+02:00"}, C, None,
     ("expired_at", "2026-06-30T22:00:00Z")),
    ("tfe scim token filled in after apply", "tfe_scim_token", {"expired_at": UNKNOWN}, P, "create", None),
    ("tfe scim token", "tfe_scim_token", {"expired_at": "2026-07-01T00:00:00Z"}, InputKind.STATE, None,
     ("expired_at", "2026-07-01T00:00:00Z")),
    ("datadog service access token", "datadog_service_access_token", {"expires_at": "2026-07-01T00:00:00Z"},
     InputKind.STATE, None, ("expires_at", "2026-07-01T00:00:00Z")),
    ("datadog service access token never", "datadog_service_access_token", {"expires_at": None},
     InputKind.STATE, None, None),
    ("databricks token expiry_time in epoch milliseconds", "databricks_token",
     {"expiry_time": 1782864000000, "creation_time": 1780272000000, "lifetime_seconds": 2592000},
     InputKind.STATE, None, ("creation_time + lifetime_seconds", "2026-07-01T00:00:00Z")),
    ("databricks token that never expires", "databricks_token", {"expiry_time": -1, "creation_time": 1},
     InputKind.STATE, None, None),
    ("databricks token created by the plan", "databricks_token",
     {"lifetime_seconds": 3600, "expiry_time": UNKNOWN, "creation_time": UNKNOWN}, P, "create",
     ("lifetime_seconds", UNKNOWN)),
    ("databricks obo token in state: no creation time recorded", "databricks_obo_token",
     {"lifetime_seconds": 3600}, InputKind.STATE, None, None),
    ("databricks service principal secret", "databricks_service_principal_secret",
     {"expire_time": "2026-07-01T00:00:00Z", "create_time": "2026-06-01T00:00:00Z", "lifetime": "2592000s"},
     InputKind.STATE, None, ("create_time + lifetime", "2026-07-01T00:00:00Z")),
]


@pytest.mark.parametrize(("rtype", "values", "kind", "action", "expected"),
                         [c[1:] for c in TYPE_CASES], ids=[c[0] for c in TYPE_CASES])
def test_native_expiry_table(rtype: str, values: dict[str, Any], kind: InputKind, action: str | None,
                             expected: tuple[str, Any] | None) -> None:
    got = native_expiry(res(f"{rtype}.x", values, kind=kind, action=action))
    if expected is None:
        assert got is None
    else:
        label, value = expected
        assert got == (label, value if value is UNKNOWN else at(value))


def test_every_table_type_is_covered() -> None:
    assert {c[1] for c in TYPE_CASES} == set(NATIVE_EXPIRY)


@pytest.mark.parametrize(("text", "seconds"), [
    ("8760h", 8760 * 3600), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("30d", 30 * 86400),
    ("3600", 3600), (3600, 3600), ("500ms", 0.5), ("", None), ("h", None), ("-1h", None),
    ("1 h", None), (True, None), ("١h", None),
])
def test_parse_duration(text: Any, seconds: float | None) -> None:
    got = parse_duration(text)
    assert (got.total_seconds() if got is not None else None) == seconds


# -- effective expiry and the rules --------------------------------------------------------------

def _app(tags: list[str] | None) -> Resource:
    return res("azuread_application.app", {"object_id": "app-1", "tags": tags or []})


def _password(end_date: str | None, **kw: Any) -> Resource:
    values = {"application_object_id": "app-1", **({"end_date": end_date} if end_date else {}), **kw}
    return res("azuread_application_password.p", values, refs=("azuread_application.app",))


def test_no_tag_native_expiry_counts_so_no_missing_expiry() -> None:
    report = run(_app([f"owner={OWNER}"]), _password("2026-09-01T00:00:00Z"))
    p = ident(report, "azuread_application_password.p")
    assert p.expiry_source == "native" and p.owner_source == "inherited"
    assert p.expires == "2026-09-01T00:00:00Z" and p.expires_at == at("2026-09-01T00:00:00Z")
    assert rules_of(report, p.address) == []
    assert report.status_of(p) == "ok"


def test_expired_native_is_expired_whatever_the_tag() -> None:
    report = run(_app([f"owner={OWNER}", "expires_at=2026-10-01"]), _password("2026-05-01T00:00:00Z"))
    p = ident(report, "azuread_application_password.p")
    assert report.status_of(p) == "expired"
    assert rules_of(report, p.address) == ["expired", "expiry-mismatch"]
    expired = next(f for f in report.active if f.rule == "expired")
    assert "the credential's own end_date" in expired.message


def test_native_beyond_the_type_lifetime_is_too_far() -> None:
    report = run(_app([f"owner={OWNER}"]), _password("2028-06-01T00:00:00Z"))  # default 2 years
    assert rules_of(report, "azuread_application_password.p") == ["expiry-too-far"]


MISMATCH_CASES = [
    # (tag on the application, credential end_date, expected severity or None)
    ("2026-09-01", "2026-09-01T00:00:00Z", None),          # start of the tag's day
    ("2026-09-01", "2026-09-01T23:59:59Z", None),          # within the tag's day
    ("2026-09-01", "2026-09-02T00:00:00Z", None),          # the tag's instant itself
    ("2026-09-01", "2026-09-02T00:00:01Z", Severity.ERROR),   # credential outlives the tag
    ("2026-09-01", "2026-12-01T00:00:00Z", Severity.ERROR),
    ("2026-09-01", "2026-08-31T23:59:59Z", Severity.WARNING),  # credential dies first
    ("2026-09-01T12:00:00Z", "2026-09-01T12:00:00Z", None),    # timestamps compare exactly
    ("2026-09-01T12:00:00Z", "2026-09-01T12:00:01Z", Severity.ERROR),
    ("2026-09-01T14:00:00+02:00", "2026-09-01T12:00:00Z", None),
    ("2026-09-01T12:00:00Z", "2026-09-01T11:00:00Z", Severity.WARNING),
]


@pytest.mark.parametrize(("tag", "end_date", "severity"), MISMATCH_CASES)
def test_expiry_mismatch_both_directions(tag: str, end_date: str, severity: Severity | None) -> None:
    report = run(_app([f"owner={OWNER}", f"expires_at={tag}"]), _password(end_date))
    found = [f for f in report.active if f.rule == "expiry-mismatch"]
    if severity is None:
        assert found == []
        return
    (f,) = found
    assert f.rule_id == "NHI015" and f.severity is severity
    assert f"its expiry tag says {tag} (inherited from azuread_application.app)" in f.message
    assert "its end_date ends the credential at" in f.message
    assert ("outlives the retirement" in f.message) == (severity is Severity.ERROR)
    p = ident(report, "azuread_application_password.p")
    assert p.claimed_expires == tag and p.expiry_source == "native"


def test_mismatch_rule_is_registered_and_documented() -> None:
    rule = rule_by_key("expiry-mismatch")
    assert rule is not None and rule_by_key("NHI015") is rule
    assert rule.severity is Severity.ERROR and "warning" in rule.description


def test_invalid_tag_is_reported_and_not_compared() -> None:
    report = run(_app([f"owner={OWNER}", "expires_at=soon"]), _password("2026-09-01T00:00:00Z"))
    assert rules_of(report, "azuread_application_password.p") == ["invalid-expiry"]


def test_unknown_native_with_no_tag_is_unknown_until_apply_not_missing() -> None:
    app = res("azuread_application.app", {"object_id": UNKNOWN, "tags": [f"owner={OWNER}"]},
              kind=P, action="create")
    pw = res("azuread_application_password.p", {"application_object_id": UNKNOWN, "end_date": UNKNOWN,
                                                "end_date_relative": "720h", "start_date": UNKNOWN},
             kind=P, action="create", refs=("azuread_application.app",))
    report = run(app, pw, kind=P)
    p = ident(report, pw.address)
    assert p.expires is UNKNOWN and p.expiry_source == "native"
    assert rules_of(report, pw.address) == ["unknown-until-apply"]


def test_unknown_native_with_a_tag_uses_the_tag() -> None:
    app = res("azuread_application.app", {"object_id": UNKNOWN, "tags": [f"owner={OWNER}",
                                                                          "expires_at=2026-09-01"]},
              kind=P, action="create")
    pw = res("azuread_application_password.p", {"application_object_id": UNKNOWN,
                                                "end_date_relative": "720h", "start_date": UNKNOWN},
             kind=P, action="create", refs=("azuread_application.app",))
    p = ident(run(app, pw, kind=P), pw.address)
    assert p.expires == "2026-09-01" and p.expiry_source == "inherited" and p.native_attr == "end_date_relative"


def test_gcp_key_in_plan_falls_back_to_its_service_account() -> None:
    sa = res("google_service_account.sa", {"email": "sa@p.iam", "description": "owner=a expires_at=2026-07-01"},
             kind=P, action="create")
    key = res("google_service_account_key.k", {"service_account_id": "sa@p.iam", "valid_before": UNKNOWN},
              kind=P, action="create", refs=("google_service_account.sa",))
    p = ident(run(sa, key, kind=P), key.address)
    assert p.expiry_source == "inherited" and p.expires == "2026-07-01"


def test_json_record_reports_the_source_and_the_native_expiry() -> None:
    report = run(_app([f"owner={OWNER}", "expires_at=2026-09-01"]), _password("2026-12-01T00:00:00Z"))
    rec = identity_json(ident(report, "azuread_application_password.p"), report)
    assert rec["expiry_source"] == "native" and rec["owner_source"] == "inherited"
    assert rec["expires_at"] == "2026-12-01T00:00:00Z" and rec["declaration"] is None
    assert rec["native_expiry"] == {"attribute": "end_date", "instant": "2026-12-01T00:00:00Z",
                                    "claimed": "2026-09-01"}
    app = identity_json(ident(report, "azuread_application.app"), report)
    assert app["expiry_source"] == "tag" and app["native_expiry"] is None


# -- time_rotating / time_offset -----------------------------------------------------------------

def _hcl(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text(
        'resource "azuread_application" "app" {\n  display_name = "bot"\n'
        f'  tags = ["owner={OWNER}", "expires_at=2026-08-30"]\n}}\n' + body, encoding="utf-8")
    return d


def _password_hcl(expr: str) -> str:
    return ('resource "azuread_application_password" "p" {\n'
            '  application_id = azuread_application.app.id\n'
            f"  end_date = {expr}\n}}\n")


HCL_TIME_CASES = [
    # (helper block, expression, expected native instant or UNKNOWN)
    ('resource "time_rotating" "r" {\n  rfc3339 = "2026-06-01T00:00:00Z"\n  rotation_days = 90\n}\n',
     "time_rotating.r.rotation_rfc3339", "2026-08-30T00:00:00Z"),
    ('resource "time_rotating" "r" {\n  rfc3339 = "2026-01-31T00:00:00Z"\n  rotation_months = 1\n}\n',
     "time_rotating.r.rotation_rfc3339", "2026-03-03T00:00:00Z"),  # Go's AddDate normalization
    ('resource "time_rotating" "r" {\n  rfc3339 = "2026-06-01T00:00:00Z"\n  rotation_days = 90\n}\n',
     "time_rotating.r.rfc3339", "2026-06-01T00:00:00Z"),
    ('resource "time_rotating" "r" {\n  rotation_days = 90\n}\n',
     "time_rotating.r.rotation_rfc3339", UNKNOWN),  # base is the creation time
    ('resource "time_offset" "o" {\n  base_rfc3339 = "2026-06-01T00:00:00Z"\n  offset_years = 1\n}\n',
     "time_offset.o.rfc3339", "2027-06-01T00:00:00Z"),
    ('resource "time_offset" "o" {\n  offset_hours = 12\n}\n', "time_offset.o.rfc3339", UNKNOWN),
    ("", "time_rotating.missing.rotation_rfc3339", UNKNOWN),
]


@pytest.mark.parametrize(("helper", "expr", "expected"), HCL_TIME_CASES)
def test_time_references_in_hcl(tmp_path: Path, helper: str, expr: str, expected: Any) -> None:
    d = _hcl(tmp_path, helper + _password_hcl(expr))
    report = check_paths([str(d)], config(), NOW)
    p = ident(report, "azuread_application_password.p")
    if expected is UNKNOWN:
        assert p.native_expires_at is None and p.native_attr == "end_date"
        assert p.expiry_source == "inherited" and p.expires == "2026-08-30"  # the tag stands
    else:
        assert p.native_expires_at == at(expected) and p.expiry_source == "native"
    if expected == "2026-08-30T00:00:00Z":
        assert rules_of(report, p.address) == []  # agrees with the date tag (within its day)


def test_time_rotating_reference_disagreeing_with_the_tag_in_hcl(tmp_path: Path) -> None:
    helper = 'resource "time_rotating" "r" {\n  rfc3339 = "2026-06-01T00:00:00Z"\n  rotation_days = 180\n}\n'
    d = _hcl(tmp_path, helper + _password_hcl("time_rotating.r.rotation_rfc3339"))
    report = check_paths([str(d)], config(), NOW)
    assert rules_of(report, "azuread_application_password.p") == ["expiry-mismatch"]


def test_time_rotating_in_a_plan(tmp_path: Path) -> None:
    """In a plan Terraform has already evaluated the reference: the credential's end_date is known."""
    plan = plan_doc(
        change("azuread_application.app", {"object_id": "app-1", "tags": [f"owner={OWNER}",
                                                                          "expires_at=2026-08-30"]}),
        change("time_rotating.r", {"rfc3339": "2026-06-01T00:00:00Z", "rotation_days": 90,
                                   "rotation_rfc3339": "2026-08-30T00:00:00Z"}),
        change("azuread_application_password.p", {"application_object_id": "app-1",
                                                  "end_date": "2026-08-30T00:00:00Z"}),
    )
    report = check_paths([str(write_json(tmp_path / "plan.json", plan))], config(), NOW)
    p = ident(report, "azuread_application_password.p")
    assert p.expiry_source == "native" and p.native_expires_at == at("2026-08-30T00:00:00Z")
    assert rules_of(report, p.address) == []
    assert "time_rotating.r" not in {i.address for i in report.identities}


def test_state_through_the_cli(tmp_path: Path, nhi: Any) -> None:
    state = state_doc(
        state_resource("azuread_application", "app", {"object_id": "app-1",
                                                       "tags": [f"owner={OWNER}", "expires_at=2026-07-01"]}),
        state_resource("azuread_application_password", "p", {"application_object_id": "app-1",
                                                              "end_date": "2027-01-01T00:00:00Z",
                                                              "value": "s3cr3t-native-value"}),
    )
    path = write_json(tmp_path / "terraform.tfstate", state)
    run_ = nhi(["check", path, "--now", NOW_TEXT, "-f", "json"])
    assert run_.code == 1, run_.stderr
    doc = run_.json()
    (f,) = [f for f in doc["findings"] if f["rule"] == "expiry-mismatch"]
    assert f["severity"] == "error" and f["rule_id"] == "NHI015"
    assert "s3cr3t-native-value" not in run_.stdout + run_.stderr
    text = nhi(["check", path, "--now", NOW_TEXT])
    assert "2027-01-01T00:00:00Z (native)" in text.stdout
    assert json.loads(nhi(["check", path, "--now", NOW_TEXT, "-f", "json"]).stdout) == doc


# -- the construct/module helper -----------------------------------------------------------------

@pytest.mark.parametrize(("rtype", "expires", "attrs"), [
    ("azuread_application_password", "2027-03-31", {"end_date": "2027-04-01T00:00:00Z"}),
    ("azuread_service_principal_certificate", date(2027, 3, 31), {"end_date": "2027-04-01T00:00:00Z"}),
    ("azuread_application_certificate", datetime(2027, 3, 31, 17, tzinfo=UTC),
     {"end_date": "2027-03-31T17:00:00Z"}),
    ("google_service_account_key", "2027-03-31", {}),
    ("vault_token", "2027-03-31", {}),
    ("aws_iam_access_key", "2027-03-31", {}),
])
def test_native_expiry_attrs(rtype: str, expires: Any, attrs: dict[str, str]) -> None:
    assert native_expiry_attrs(rtype, expires) == attrs


def test_native_expiry_attrs_round_trip_agrees_with_the_tag() -> None:
    attrs = native_expiry_attrs("azuread_application_password", "2026-09-01")
    report = run(_app([f"owner={OWNER}", "expires_at=2026-09-01"]), _password(attrs["end_date"]))
    assert rules_of(report, "azuread_application_password.p") == []


def test_native_expiry_attrs_rejects_bad_values() -> None:
    with pytest.raises(InvalidExpiry):
        native_expiry_attrs("azuread_application_password", "2027-02-30")
    with pytest.raises(InvalidExpiry):
        native_expiry_attrs("azuread_application_password", datetime(2027, 1, 1))


@pytest.mark.parametrize(("relative", "expected"), [
    ("4320h", ["unknown-until-apply"]),                     # 180 days: the password's maximum
    ("4321h", ["expiry-too-far", "unknown-until-apply"]),
    ("87600h", ["expiry-too-far", "unknown-until-apply"]),  # ten years is never hidden as unknown
])
def test_unknown_relative_expiry_is_still_judged_against_the_lifetime(relative: str, expected: list[str]) -> None:
    app = res("azuread_application.app", {"object_id": "app-1", "tags": [f"owner={OWNER}"]}, kind=C)
    pw = res("azuread_application_password.p", {"application_object_id": "app-1",
                                                "end_date_relative": relative}, kind=C,
             refs=("azuread_application.app",))
    report = run(app, pw, kind=C)
    assert rules_of(report, pw.address) == expected
    info = next(f for f in report.active if f.rule == "unknown-until-apply")
    assert "end_date_relative counts from creation" in info.message
