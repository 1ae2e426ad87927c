"""Crafted inputs that once passed a violation or leaked a secret: each test names the defect.

A gate that passes a violation is worse than none. The clock is pinned (2026-12-01).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import change, plan_doc, run_nhi, state_doc, state_resource, write_json

NOW = "2026-12-01"
REASON = "vendor credential without tags; ticket SEC-77"


def check(*paths: Path, config: Path | None = None) -> tuple[int, dict[str, Any]]:
    args: list[Any] = ["check", *paths, "--now", NOW, "--format", "json"]
    if config is not None:
        args += ["--config", config]
    run = run_nhi(args)
    assert run.code in (0, 1), run.stderr
    return run.code, run.json()


def ident(report: dict[str, Any], address: str) -> dict[str, Any]:
    (found,) = [i for i in report["identities"] if i["address"] == address]
    return found


def active_rules(report: dict[str, Any], address: str) -> list[str]:
    return sorted(f["rule"] for f in report["findings"] if f["address"] == address and not f["suppressed"])


# -- legacy (v1-3) state: a type's own secret fields never leave the loader ---------------------

def _flatmap(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out[f"{full}.%"] = str(len(value))
            out.update(_flatmap(value, f"{full}."))
        elif isinstance(value, list):
            out[f"{full}.#"] = str(len(value))
            out.update(_flatmap({str(i): v for i, v in enumerate(value)}, f"{full}."))
        else:
            out[full] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


LEGACY_SECRETS = {
    "kubernetes_secret.t": {"type": "kubernetes.io/service-account-token",
                            "metadata": [{"name": "t", "annotations": {"owner": "a@example.com"}}],
                            "data": {"token": "CANARY-legacy-k8s-data-zq", "ca.crt": "CANARY-legacy-k8s-ca-zq"}},
    "vault_approle_auth_backend_role_secret_id.s": {"role_name": "bot", "secret_id": "CANARY-legacy-sid-zq"},
    "vault_kv_secret_v2.kv": {"mount": "kv", "name": "n", "data": {"password": "CANARY-legacy-kv-zq"}},
}


def _legacy_state(tmp_path: Path) -> Path:
    resources = {address: {"type": address.split(".")[0], "depends_on": [],
                           "primary": {"id": "x", "attributes": _flatmap(values)}}
                 for address, values in LEGACY_SECRETS.items()}
    return write_json(tmp_path / "old.tfstate", {"version": 3, "serial": 1, "modules": [
        {"path": ["root"], "resources": resources}]})


def test_legacy_state_drops_each_types_own_secret_fields(tmp_path: Path) -> None:
    from nhi_toolkit.loaders import load_inputs

    (doc,) = load_inputs([str(_legacy_state(tmp_path))])
    records = {r.address: dict(r.values) for r in doc.resources}
    assert sorted(records) == sorted(LEGACY_SECRETS)
    assert "CANARY" not in repr(records)
    # Identifying values are kept: the secret is still judged as an identity.
    assert records["kubernetes_secret.t"]["type"] == "kubernetes.io/service-account-token"
    for fmt in ("text", "json"):
        run = run_nhi(["check", _legacy_state(tmp_path), "--now", NOW, "--format", fmt])
        assert run.code in (0, 1) and "CANARY" not in run.stdout + run.stderr


# -- native expiry ----------------------------------------------------------------------------

@pytest.mark.parametrize("zero", ["0", "0s", 0])
def test_vault_zero_ttl_is_no_bound_in_a_plan(tmp_path: Path, zero: Any) -> None:
    # explicit_max_ttl = 0 is Vault's "no maximum": a renewable token without an expiry tag has none.
    plan = write_json(tmp_path / "plan.json", plan_doc(change(
        "vault_token.t", {"policies": ["ci"], "explicit_max_ttl": zero, "renewable": True,
                          "metadata": {"owner": "a@example.com"}})))
    code, report = check(plan)
    assert code == 1
    assert ident(report, "vault_token.t")["status"] == "no-expiry"
    assert "missing-expiry" in active_rules(report, "vault_token.t")


def test_vault_zero_ttl_is_no_bound_in_state(tmp_path: Path) -> None:
    # In state, a zero max TTL is not an expiry at the lease start: the tag decides.
    state = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource("vault_token", "t", {
        "policies": ["ci"], "explicit_max_ttl": "0", "ttl": "0", "renewable": False,
        "lease_started": "2026-11-01T00:00:00Z",
        "metadata": {"owner": "a@example.com", "expires_at": "2027-01-15"}})))
    code, report = check(state)
    rec = ident(report, "vault_token.t")
    assert (rec["status"], rec["expiry_source"], rec["native_expiry"]) == ("ok", "tag", None)
    assert code == 0


def _password_state(tmp_path: Path, app_expiry: str) -> Path:
    return write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("azuread_application", "a", {"object_id": "o1", "id": "o1",
                                                    "tags": ["owner=a@example.com", f"expires_at={app_expiry}"]}),
        state_resource("azuread_application_password", "p", {"application_object_id": "o1",
                                                             "end_date": "2027-01-15T00:00:00Z"})))


def test_an_expired_tag_is_expired_even_when_the_credential_runs_longer(tmp_path: Path) -> None:
    code, report = check(_password_state(tmp_path, "2026-06-01"))
    rec = ident(report, "azuread_application_password.p")
    assert rec["status"] == "expired"
    assert {"expired", "expiry-mismatch"} <= set(active_rules(report, "azuread_application_password.p"))
    assert code == 1


def test_waiving_the_mismatch_does_not_hide_an_expired_declaration(tmp_path: Path) -> None:
    # Untaggable, no parent here: the declaration's expiry has passed, the end_date has not.
    state = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource(
        "azuread_application_password", "p", {"application_object_id": "unmanaged",
                                              "end_date": "2027-01-15T00:00:00Z"})))
    cfg = tmp_path / "nhi.toml"
    cfg.write_text(
        "[tool.nhi]\n"
        "[[tool.nhi.declarations]]\naddress = \"azuread_application_password.p\"\n"
        f"owner = \"a@example.com\"\nexpires_at = 2026-06-01\nreason = \"{REASON}\"\n"
        "[[tool.nhi.suppress]]\nrule = \"expiry-mismatch\"\naddress = \"*\"\n"
        "reason = \"the vendor sets the end date by hand\"\nuntil = 2027-06-01\n", encoding="utf-8")
    code, report = check(state, config=cfg)
    rec = ident(report, "azuread_application_password.p")
    assert rec["status"] == "expired"
    assert "expired" in active_rules(report, "azuread_application_password.p")
    assert code == 1


def test_retire_selects_an_identity_whose_declaration_expired_before_its_credential(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.retire import Criteria, select

    state = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource(
        "azuread_application_password", "p", {"application_object_id": "unmanaged",
                                              "end_date": "2027-01-15T00:00:00Z"})))
    config = config_from_mapping({"declarations": [{"address": "azuread_application_password.p",
                                                    "owner": "a@example.com", "expires_at": "2026-06-01",
                                                    "reason": REASON}]})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    report = check_paths([str(state)], config, now)
    chosen = select(report.identities, Criteria(now=now), config)
    assert [r.code for r in chosen["azuread_application_password.p"]] == ["expired"]


def test_a_relative_lifetime_beyond_the_tag_is_a_mismatch_in_a_plan(tmp_path: Path) -> None:
    # Created at apply with end_date_relative = 100 years: it outlives its tag by far.
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("azuread_application.a", {"tags": ["owner=a@example.com", "expires_at=2027-01-15"]}),
        change("azuread_application_password.p", {"end_date_relative": "876000h"},
               after_unknown={"application_id": True, "end_date": True}),
        configuration={"root_module": {"resources": [{
            "address": "azuread_application_password.p", "type": "azuread_application_password", "name": "p",
            "expressions": {"application_id": {"references": ["azuread_application.a.id",
                                                              "azuread_application.a"]}}}]}}))
    code, report = check(plan)
    rec = ident(report, "azuread_application_password.p")
    assert "expiry-mismatch" in active_rules(report, "azuread_application_password.p")
    assert rec["status"] not in ("ok", "unknown")
    assert code == 1


def test_a_relative_lifetime_within_the_tag_is_no_mismatch(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("azuread_application.a", {"tags": ["owner=a@example.com", "expires_at=2027-01-15"]}),
        change("azuread_application_password.p", {"end_date_relative": "720h"},
               after_unknown={"application_id": True, "end_date": True}),
        configuration={"root_module": {"resources": [{
            "address": "azuread_application_password.p", "type": "azuread_application_password", "name": "p",
            "expressions": {"application_id": {"references": ["azuread_application.a.id"]}}}]}}))
    code, report = check(plan)
    assert active_rules(report, "azuread_application_password.p") == []
    assert code == 0


# -- joined inputs ----------------------------------------------------------------------------

def _owner_removing_plan(tmp_path: Path) -> Path:
    """An update dropping the owner from tags; default_tags is an expression, so tags_all is unknown."""
    return write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.u", {"name": "u", "tags": {"expires_at": "2027-01-01"}, "tags_all": None},
               actions=["update"], before={"name": "u", "tags": {"owner": "a@example.com",
                                                                 "expires_at": "2027-01-01"}},
               after_unknown={"tags_all": True}),
        configuration={
            "provider_config": {"aws": {"name": "aws", "expressions": {
                "default_tags": [{"tags": {"references": ["var.default_tags"]}}]}}},
            "root_module": {"resources": [{"address": "aws_iam_user.u", "type": "aws_iam_user", "name": "u",
                                           "provider_config_key": "aws", "expressions": {}}]}}))


def test_state_owner_does_not_stand_in_for_one_the_plan_removes(tmp_path: Path) -> None:
    plan = _owner_removing_plan(tmp_path)
    state = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource("aws_iam_user", "u", {
        "name": "u", "tags": {"owner": "a@example.com", "expires_at": "2027-01-01"},
        "tags_all": {"owner": "a@example.com", "expires_at": "2027-01-01"}})))
    _, alone = check(plan)
    for order in ((plan, state), (state, plan)):
        _, joined = check(*order)
        rec = ident(joined, "aws_iam_user.u")
        # The plan alone says the owner is known only after apply; the old state must not make it ok.
        assert (rec["owner"], rec["status"], rec["unknown"]) == (None, "unknown", ["owner"])
        assert active_rules(joined, "aws_iam_user.u") == active_rules(alone, "aws_iam_user.u")


def test_v4_state_flat_attributes_are_decoded_not_dropped(tmp_path: Path) -> None:
    # A v4 state migrated from 0.11 and not yet refreshed keeps attributes_flat: its tags count.
    def flat(rtype: str, name: str, attrs: dict[str, str]) -> dict[str, Any]:
        res = state_resource(rtype, name, {})
        res["instances"] = [{"schema_version": 0, "attributes_flat": attrs}]
        return res

    state = state_doc(
        flat("aws_iam_user", "u", {"name": "u", "tags.%": "2", "tags.owner": "a@example.com",
                                   "tags.expires_at": "2026-06-01"}),
        flat("aws_iam_access_key", "k", {"user": "u", "secret": "CANARY-flat-secret-zq"}))
    code, report = check(write_json(tmp_path / "terraform.tfstate", state))
    rec = ident(report, "aws_iam_user.u")
    assert (rec["owner"], rec["status"]) == ("a@example.com", "expired")
    assert code == 1 and "CANARY" not in repr(report)
