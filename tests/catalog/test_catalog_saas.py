"""GitLab, Terraform Cloud/Enterprise, Datadog and Databricks tokens and principals are identities.

Before these were catalogued an unowned, never-expiring GitLab or Datadog token was no identity at
all, and ``nhi check`` passed it. Each provider has a plan and a state fixture (``fixtures/catalog/
saas``, written by its ``generate.py`` as Terraform 1.11 writes them) holding owned tokens (declared
in ``nhi.toml``, together with the account they belong to) and unowned, unexpiring or expired ones;
HCL is covered by ``fixtures/catalog/saas/hcl``. Every secret value there starts ``SECRET-``: none may
reach any report, inventory or digest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, NOW_TEXT, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.catalog import BUILTIN_TYPES, secret_fields_for
from nhi_toolkit.catalog.saas import SAAS_TYPES
from nhi_toolkit.cli import main
from nhi_toolkit.native_expiry import NATIVE_EXPIRY
from nhi_toolkit.reporters import REPORTERS

SAAS = FIXTURES / "catalog" / "saas"
CONFIG = SAAS / "nhi.toml"
PROVIDERS = ("gitlab", "tfe", "datadog", "databricks")
KINDS = {"plan": "plan.json", "state": "terraform.tfstate"}
MISSING = {"missing-owner", "missing-expiry"}

#: provider -> address -> (category, parent, the active rules at fail-on error or above); the same in
#: plan and state. An address with no rules is owned and within its expiry.
EXPECTED: dict[str, dict[str, tuple[str, str | None, set[str]]]] = {
    "gitlab": {
        "gitlab_group_service_account.ci": ("principal", None, set()),
        "gitlab_group_service_account_access_token.ci": ("credential", "gitlab_group_service_account.ci", set()),
        "gitlab_personal_access_token.admin": ("credential", None, set()),
        "gitlab_project_access_token.release": ("credential", None, {"missing-owner", "expired"}),
        "gitlab_pipeline_trigger.deploy": ("credential", None, MISSING),
        "gitlab_user_runner.build": ("credential", None, MISSING),
    },
    "tfe": {
        "tfe_team_token.ci": ("credential", None, set()),
        "tfe_organization_token.org": ("credential", None, MISSING),
        "tfe_audit_trail_token.audit": ("credential", None, {"missing-owner", "expired"}),
        "tfe_agent_token.pool": ("credential", None, MISSING),
    },
    "datadog": {
        "datadog_service_account.llm": ("principal", None, set()),
        "datadog_service_account_application_key.llm": ("credential", "datadog_service_account.llm", set()),
        "datadog_api_key.agent": ("credential", None, MISSING),
        "datadog_application_key.personal": ("credential", None, MISSING),
    },
    "databricks": {
        "databricks_service_principal.etl": ("principal", None, set()),
        "databricks_obo_token.etl": ("credential", "databricks_service_principal.etl", set()),
        "databricks_service_principal_secret.etl": ("credential", "databricks_service_principal.etl", set()),
        "databricks_token.pat": ("credential", None, MISSING),
    },
}

#: What the task that found the gap names: each must be catalogued.
REQUIRED = {
    "gitlab_personal_access_token", "gitlab_project_access_token", "gitlab_group_access_token",
    "gitlab_deploy_token", "gitlab_user_runner", "gitlab_runner", "gitlab_pipeline_trigger",
    "gitlab_instance_service_account", "gitlab_project_service_account", "gitlab_user_impersonation_token",
    "gitlab_runner_controller_token", "gitlab_application", "tfe_scim_token", "datadog_service_access_token",
    "databricks_custom_app_integration",
    "tfe_team_token", "tfe_organization_token", "tfe_agent_token", "tfe_audit_trail_token",
    "datadog_api_key", "datadog_application_key", "datadog_service_account",
    "datadog_service_account_application_key",
    "databricks_token", "databricks_obo_token", "databricks_service_principal",
    "databricks_service_principal_secret",
}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _check(path: Path | str, *extra: str, fmt: str = "json", config: Path | None = CONFIG) -> tuple[int, Any]:
    args = ["check", str(path), "--now", NOW_TEXT, "--format", fmt, *extra]
    if config is not None:
        args += ["--config", str(config)]
    code, out, err = _run(*args)
    assert code in (0, 1), err
    return code, json.loads(out) if fmt == "json" else out


def _active(report: Mapping[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        if not f["suppressed"] and f["severity"] == "error":
            out.setdefault(f["address"], set()).add(f["rule"])
    return out


# -- the catalog -------------------------------------------------------------------------------------


def test_every_named_type_is_catalogued_and_none_carries_tags() -> None:
    names = {t.type for t in SAAS_TYPES}
    assert REQUIRED <= names
    assert {t.type for t in BUILTIN_TYPES} >= names
    assert len(names) == len(SAAS_TYPES)  # no type twice
    # A grant about a principal (who may use it), not an identity of its own.
    assert "databricks_access_control_rule_set" not in names
    for itype in SAAS_TYPES:
        assert not itype.taggable, itype.type
        assert itype.summary, itype.type
        if itype.category == "principal":
            assert not itype.inherit_by_reference, itype.type  # containers inherit from nothing
        else:
            assert itype.category == "credential" and itype.max_lifetime_days, itype.type


@pytest.mark.parametrize(("rtype", "fields"), [
    ("gitlab_personal_access_token", {"token"}),
    ("gitlab_runner", {"registration_token", "authentication_token"}),
    ("gitlab_user_runner", {"token"}),
    ("tfe_agent_token", {"token"}),
    ("datadog_api_key", {"key"}),
    ("datadog_application_key", {"key"}),
    ("gitlab_user_impersonation_token", {"token"}),
    ("gitlab_runner_controller_token", {"token"}),
    ("gitlab_application", {"secret"}),
    ("tfe_scim_token", {"token"}),
    ("datadog_service_access_token", {"key"}),
    ("databricks_custom_app_integration", {"client_secret"}),
    ("datadog_service_account_application_key", {"key"}),
    ("databricks_token", {"token_value"}),
    ("databricks_obo_token", {"token_value"}),
    ("databricks_service_principal_secret", {"secret", "secret_hash"}),
])
def test_secret_attributes_are_known_secret_fields(rtype: str, fields: set[str]) -> None:
    assert fields <= secret_fields_for(rtype)


def test_key_is_a_secret_only_where_it_holds_one() -> None:
    assert "key" not in secret_fields_for("aws_iam_user")


def test_native_expiry_attributes_are_wired() -> None:
    attrs = {t: {f.attr for f in spec.fields} for t, spec in NATIVE_EXPIRY.items()}
    for rtype in ("gitlab_personal_access_token", "gitlab_project_access_token", "gitlab_group_access_token",
                  "gitlab_group_service_account_access_token", "gitlab_deploy_token",
                  "gitlab_user_impersonation_token"):
        assert attrs[rtype] == {"expires_at"}
    for rtype in ("tfe_team_token", "tfe_organization_token", "tfe_audit_trail_token", "tfe_scim_token"):
        assert attrs[rtype] == {"expired_at"}
    assert attrs["datadog_service_access_token"] == {"expires_at"}
    assert attrs["databricks_token"] == {"expiry_time", "lifetime_seconds"}
    assert attrs["databricks_obo_token"] == {"lifetime_seconds"}
    assert attrs["databricks_service_principal_secret"] == {"expire_time", "lifetime"}


def test_every_saas_type_is_exercised() -> None:
    seen = {a.split(".")[0] for p in EXPECTED.values() for a in p} | {c[0] for c in MORE} | set(ACCOUNTS)
    hcl = (SAAS / "hcl" / "main.tf").read_text(encoding="utf-8")
    for itype in SAAS_TYPES:
        assert itype.type in seen or f'"{itype.type}"' in hcl, itype.type


# -- plan and state fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_unowned_tokens_fail_and_owned_ones_pass(provider: str, kind: str) -> None:
    code, report = _check(SAAS / provider / KINDS[kind])
    assert code == 1
    found = {i["address"]: i for i in report["identities"]}
    assert set(found) == set(EXPECTED[provider])
    active = _active(report)
    for address, (category, parent, rules) in EXPECTED[provider].items():
        got = found[address]
        assert (got["category"], got["parent"]) == (category, parent), address
        assert active.get(address, set()) == rules, address
        if not rules:
            assert got["status"] == "ok" and got["owner_source"] == "declaration", address


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_owned_tokens_exit_zero(provider: str, kind: str, tmp_path: Path) -> None:
    owned = {a for a, (_, _, rules) in EXPECTED[provider].items() if not rules}
    doc = json.loads((SAAS / provider / KINDS[kind]).read_text(encoding="utf-8"))
    if kind == "plan":
        doc["resource_changes"] = [rc for rc in doc["resource_changes"] if rc["address"] in owned]
    else:
        doc["resources"] = [r for r in doc["resources"] if f"{r['type']}.{r['name']}" in owned]
    code, report = _check(write_json(tmp_path / KINDS[kind], doc))
    assert code == 0, report["findings"]
    assert {i["address"] for i in report["identities"]} == owned


@pytest.mark.parametrize("provider", PROVIDERS)
def test_without_declarations_no_token_passes(provider: str) -> None:
    # The gap this closes: nothing here carries tags, so without a declaration every one is unowned.
    code, report = _check(SAAS / provider / "plan.json", config=None)
    assert code == 1
    active = _active(report)
    assert all("missing-owner" in active.get(a, set()) for a in EXPECTED[provider])


_UNTAGGABLE = {t.type for t in BUILTIN_TYPES if not t.taggable}


def test_the_messages_name_the_declaration_to_write_never_a_tag() -> None:
    _, report = _check(SAAS / "datadog" / "terraform.tfstate")
    msgs = {f["address"]: f["message"] for f in report["findings"] if f["rule"] == "missing-owner"}
    assert "cannot carry tags" in msgs["datadog_api_key.agent"]
    assert "[[tool.nhi.declarations]]" in msgs["datadog_api_key.agent"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_token_of_an_untaggable_parent_is_never_told_to_tag_it(provider: str) -> None:
    # A service account's or principal's token inherits from its parent, which cannot carry tags
    # either: the way out is a declaration, never "tag the parent".
    _, report = _check(SAAS / provider / "plan.json", config=None)
    found = {i["address"]: i for i in report["identities"]}
    for f in report["findings"]:
        if f["rule"] != "missing-owner":
            continue
        parent = found[f["address"]]["parent"]
        if parent is not None and found[parent]["type"] in _UNTAGGABLE:
            assert f"nor can its parent {parent}" in f["message"], f["message"]
            assert f"tag {parent}" not in f["message"] and "[[tool.nhi.declarations]]" in f["message"]


def test_native_expiry_is_reported_with_its_attribute() -> None:
    _, report = _check(SAAS / "gitlab" / "terraform.tfstate")
    found = {i["address"]: i for i in report["identities"]}
    release = found["gitlab_project_access_token.release"]
    assert release["expiry_source"] == "native"
    assert release["native_expiry"]["attribute"] == "expires_at"
    assert release["native_expiry"]["instant"] == "2026-05-01T00:00:00Z"
    expired = [f["message"] for f in report["findings"] if f["rule"] == "expired"]
    assert expired == [("gitlab_project_access_token.release expired at 2026-05-01T00:00:00Z "
                       "(the credential's own expires_at)")]


def test_a_lifetime_from_creation_is_known_after_apply() -> None:
    _, report = _check(SAAS / "databricks" / "plan.json")
    found = {i["address"]: i for i in report["identities"]}
    obo = found["databricks_obo_token.etl"]
    # Declared 2026-07-29; the token lives an hour from creation: no mismatch, no finding.
    assert (obo["expires_at"], obo["expiry_source"], obo["status"]) == ("2026-07-29", "declaration", "ok")


# -- the other catalogued GitLab types, in plan and state -----------------------------------------------

MORE: list[tuple[str, dict[str, Any], str | None]] = [
    # (type, values as the provider writes them, native expiry instant or None)
    ("gitlab_group_access_token", {"group": "7", "name": "g", "scopes": ["api"], "access_level": "developer",
                                   "expires_at": "2026-05-20", "token": "SECRET-glpat-group-0041"},
     "2026-05-20T00:00:00Z"),
    ("gitlab_deploy_token", {"project": "42", "name": "d", "username": "reg", "scopes": ["read_registry"],
                             "expires_at": "2026-05-20T12:00:00Z", "token": "SECRET-gldt-0042"},
     "2026-05-20T12:00:00Z"),
    ("gitlab_project_deploy_token", {"project": "42", "name": "d", "scopes": ["read_repository"],
                                     "expires_at": None, "token": "SECRET-gldt-0043"}, None),
    ("gitlab_group_deploy_token", {"group": "7", "name": "d", "scopes": ["read_repository"],
                                   "expires_at": "2026-05-20T00:00:00Z", "token": "SECRET-gldt-0044"},
     "2026-05-20T00:00:00Z"),
    ("gitlab_cluster_agent_token", {"project": "42", "agent_id": 3, "name": "agent",
                                    "token": "SECRET-glagent-0045"}, None),
    ("gitlab_runner", {"description": "legacy runner", "registration_token": "SECRET-GR1348941-0046",
                       "authentication_token": "SECRET-glrt-0047"}, None),
    ("gitlab_user_impersonation_token", {"user_id": 25, "name": "i", "scopes": ["api"],
                                         "expires_at": "2026-05-20", "active": True, "revoked": False,
                                         "impersonation": True, "token_id": 9,
                                         "token": "SECRET-glpat-impersonation-0048"},
     "2026-05-20T00:00:00Z"),
    ("gitlab_runner_controller_token", {"runner_controller_id": 4, "description": "admission",
                                        "token": "SECRET-glrct-0049"}, None),
    ("gitlab_application", {"name": "assistant", "redirect_url": "https://assistant.example.com/cb",
                            "scopes": ["read_api"], "confidential": True, "application_id": "a1b2",
                            "secret": "SECRET-gloas-0050"}, None),
]


# Token-bearing resources of the other three providers, found after the first pass.
MORE += [
    ("tfe_scim_token", {"description": "okta", "expired_at": "2026-05-20T00:00:00Z",
                        "created_at": "2025-05-20T00:00:00Z", "token": "SECRET-at-scim-0051"},
     "2026-05-20T00:00:00Z"),
    ("datadog_service_access_token", {"service_account_id": "sa-1", "name": "ci", "scopes": ["monitors_read"],
                                      "expires_at": "2026-05-20T00:00:00Z", "public_portion": "ddsat_ab",
                                      "key": "SECRET-ddsat-0052"}, "2026-05-20T00:00:00Z"),
    ("datadog_service_access_token", {"service_account_id": "sa-1", "name": "ci", "scopes": ["monitors_read"],
                                      "expires_at": None, "key": "SECRET-ddsat-0053"}, None),
    ("databricks_custom_app_integration", {"name": "assistant", "confidential": True,
                                           "redirect_urls": ["https://assistant.example.com/cb"],
                                           "scopes": ["all-apis"], "client_id": "c-1", "integration_id": "i-1",
                                           "client_secret": "SECRET-dose-0054"}, None),
]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(("rtype", "values", "native"), MORE, ids=[f"{m[0]}-{n}" for n, m in enumerate(MORE)])
def test_more_gitlab_types(rtype: str, values: dict[str, Any], native: str | None, kind: str,
                           tmp_path: Path) -> None:
    if kind == "plan":
        path = write_json(tmp_path / "plan.json", plan_doc(change(f"{rtype}.x", values, actions=["no-op"],
                                                                  before=values)))
    else:
        path = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource(rtype, "x", values)))
    code, report = _check(path, config=None)
    assert code == 1
    (ident,) = report["identities"]
    assert ident["category"] == "credential"
    active = _active(report).get(f"{rtype}.x", set())
    if native is None:
        assert active == MISSING
    else:
        assert ident["native_expiry"]["instant"] == native
        assert active == {"missing-owner", "expired"}
    assert "SECRET-" not in json.dumps(report)


# -- instance and project service accounts, and the tokens that name them ----------------------------

#: Service account type -> what its resource holds in state besides the account id.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "gitlab_instance_service_account": {"name": "assistant", "username": "assistant-bot",
                                        "email": "assistant-bot@noreply.example.com"},
    "gitlab_project_service_account": {"project": "42", "name": "assistant", "username": "assistant-bot",
                                       "email": "assistant-bot@noreply.example.com",
                                       "skip_wait_for_deletion": False},
}
_TOKENS = {
    "gitlab_personal_access_token": {"name": "bot", "scopes": ["api"], "expires_at": "2026-08-01",
                                     "token": "SECRET-glpat-sa-0061"},
    "gitlab_user_impersonation_token": {"name": "bot", "scopes": ["api"], "expires_at": "2026-08-01",
                                        "impersonation": True, "token": "SECRET-glpat-sa-0062"},
}


def _account_state(account: str, tmp_path: Path) -> Path:
    """An account (id 77) and a personal access token and an impersonation token of it
    (``user_id = <account>.service_account_id``), as Terraform 1.11 writes them to state."""
    sa_id = "42:77" if account == "gitlab_project_service_account" else "77"
    resources = [state_resource(account, "bot", {**ACCOUNTS[account], "id": sa_id, "service_account_id": "77"})]
    for rtype, values in _TOKENS.items():
        resources.append(state_resource(rtype, "bot", {
            "attributes": {**values, "user_id": 77, "id": "77:9"}, "dependencies": [f"{account}.bot"]}))
    return write_json(tmp_path / "terraform.tfstate", state_doc(*resources))


def _declare(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "nhi.toml"
    path.write_text(f'[tool.nhi]\n[[tool.nhi.declarations]]\naddress = "{pattern}"\n'
                    'owner = "alice@example.com"\nexpires_at = 2026-08-01\nreason = "assistant bot; SEC-106"\n',
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("account", sorted(ACCOUNTS))
def test_service_accounts_are_principals_and_parents_of_their_tokens(account: str, tmp_path: Path) -> None:
    state = _account_state(account, tmp_path)
    code, report = _check(state, config=None)
    assert code == 1
    found = {i["address"]: i for i in report["identities"]}
    assert set(found) == {f"{account}.bot", *(f"{t}.bot" for t in _TOKENS)}
    assert (found[f"{account}.bot"]["category"], found[f"{account}.bot"]["parent"]) == ("principal", None)
    for rtype in _TOKENS:
        assert (found[f"{rtype}.bot"]["category"], found[f"{rtype}.bot"]["parent"]) == \
            ("credential", f"{account}.bot")
    # Nothing carries tags: without a declaration the account is unowned and unexpiring.
    assert _active(report)[f"{account}.bot"] == MISSING
    # Declared (the account and its tokens): clean.
    code, report = _check(state, config=_declare(tmp_path, "gitlab_*.bot"))
    assert code == 0, report["findings"]
    assert {i["status"] for i in report["identities"]} == {"ok"}
    assert "SECRET-" not in json.dumps(report)


@pytest.mark.parametrize("account", sorted(ACCOUNTS))
def test_retiring_a_service_account_takes_its_tokens_first(account: str, tmp_path: Path) -> None:
    from conftest import NOW

    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.retire import Reason, expand

    config = load_config(_declare(tmp_path, "gitlab_*.bot"))
    report = check_paths([str(_account_state(account, tmp_path))], config, NOW)
    (group,) = expand(report.identities, {f"{account}.bot": (Reason("expired", "test"),)}, config)
    assert group.addresses[-1] == f"{account}.bot"
    assert set(group.addresses[:-1]) == {f"{t}.bot" for t in _TOKENS}


def test_a_human_users_token_has_no_parent_and_no_new_finding(tmp_path: Path) -> None:
    # user_id names a person (not managed here): the token is judged alone, as before.
    state = write_json(tmp_path / "terraform.tfstate", state_doc(state_resource(
        "gitlab_personal_access_token", "admin", {**_TOKENS["gitlab_personal_access_token"], "user_id": 25})))
    code, report = _check(state, config=_declare(tmp_path, "gitlab_personal_access_token.admin"))
    assert code == 0, report["findings"]
    (ident,) = report["identities"]
    assert ident["parent"] is None and not report["findings"]


@pytest.mark.parametrize("account", sorted(ACCOUNTS))
def test_hcl_service_account_tokens_name_their_account(account: str, tmp_path: Path) -> None:
    project = '  project = "42"\n' if account == "gitlab_project_service_account" else ""
    (tmp_path / "main.tf").write_text(
        f'resource "{account}" "bot" {{\n{project}  name = "assistant"\n}}\n\n'
        'resource "gitlab_personal_access_token" "bot" {\n'
        f'  user_id    = {account}.bot.service_account_id\n'
        '  name       = "bot"\n  scopes     = ["api"]\n  expires_at = "2026-08-01"\n}\n\n'
        'resource "gitlab_user_impersonation_token" "bot" {\n'
        f'  user_id    = {account}.bot.service_account_id\n'
        '  name       = "bot"\n  scopes     = ["api"]\n  expires_at = "2026-05-01"\n}\n', encoding="utf-8")
    code, report = _check(tmp_path, config=_declare(tmp_path, "gitlab_*.bot"))
    assert code == 1
    found = {i["address"]: i for i in report["identities"]}
    assert found[f"{account}.bot"]["category"] == "principal"
    assert found["gitlab_personal_access_token.bot"]["parent"] == f"{account}.bot"
    assert found["gitlab_user_impersonation_token.bot"]["parent"] == f"{account}.bot"
    # The impersonation token's own expires_at (00:00 UTC of that day) has passed.
    assert _active(report) == {"gitlab_user_impersonation_token.bot": {"expired"}}
    imp = found["gitlab_user_impersonation_token.bot"]
    assert imp["native_expiry"]["instant"] == "2026-05-01T00:00:00Z"


def test_a_datadog_service_access_token_is_its_accounts_child(tmp_path: Path) -> None:
    from conftest import NOW

    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.retire import Reason, expand

    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("datadog_service_account", "llm", {"id": "sa-1", "email": "llm@example.com",
                                                          "name": "llm"}),
        state_resource("datadog_service_access_token", "llm", {
            "id": "t-1", "service_account_id": "sa-1", "name": "ci", "scopes": ["monitors_read"],
            "expires_at": "2026-07-01T00:00:00Z", "key": "SECRET-ddsat-0055"})))
    config_path = _declare(tmp_path, "datadog_service_a*.llm")
    code, report = _check(state, config=config_path)
    assert code == 0, report["findings"]
    found = {i["address"]: i for i in report["identities"]}
    token = found["datadog_service_access_token.llm"]
    assert token["parent"] == "datadog_service_account.llm"
    assert token["native_expiry"]["instant"] == "2026-07-01T00:00:00Z"
    assert "SECRET-" not in json.dumps(report)
    config = load_config(config_path)
    idents = check_paths([str(state)], config, NOW).identities
    (group,) = expand(idents, {"datadog_service_account.llm": (Reason("expired", "test"),)}, config)
    assert list(group.addresses) == ["datadog_service_access_token.llm", "datadog_service_account.llm"]


# -- HCL -------------------------------------------------------------------------------------------------


def test_hcl_tokens_are_judged() -> None:
    code, report = _check(SAAS / "hcl")
    assert code == 1
    found = {i["address"]: i for i in report["identities"]}
    active = _active(report)
    assert active.get("gitlab_project_access_token.bot") == {"missing-owner", "expired"}
    assert found["gitlab_project_access_token.bot"]["native_expiry"]["instant"] == "2026-05-01T00:00:00Z"
    assert "gitlab_personal_access_token.admin" not in active
    assert found["gitlab_personal_access_token.admin"]["owner"] == "bob@example.com"
    # expired_at = time_rotating.x.rotation_rfc3339: resolved from the time resource's literal base.
    team = found["tfe_team_token.ci"]
    assert team["native_expiry"]["instant"] == "2026-08-01T00:00:00Z"
    assert "tfe_team_token.ci" not in active
    assert active.get("datadog_api_key.agent") == MISSING
    assert active.get("databricks_token.pat") == {"missing-owner"}  # lifetime known after creation
    assert found["databricks_token.pat"]["expiry_source"] == "native"


# -- secrets never leave the loader ---------------------------------------------------------------------


def _inputs() -> list[Path]:
    return [SAAS / p / f for p in PROVIDERS for f in KINDS.values()]


def _unmarked(tmp_path: Path) -> list[Path]:
    """The fixtures with every sensitivity mark removed: the catalog alone must drop the secrets."""
    out = []
    for path in _inputs():
        doc = json.loads(path.read_text(encoding="utf-8"))
        for rc in doc.get("resource_changes", ()):
            rc["change"].pop("after_sensitive", None)
            rc["change"].pop("before_sensitive", None)
        for res in doc.get("planned_values", {}).get("root_module", {}).get("resources", ()):
            res.pop("sensitive_values", None)
        for res in doc.get("resources", ()):
            for inst in res["instances"]:
                inst["sensitive_attributes"] = []
        out.append(write_json(tmp_path / path.parent.name / path.name, doc))
    return out


def test_the_fixtures_really_hold_secrets() -> None:
    for path in _inputs():
        assert "SECRET-" in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("marked", [True, False], ids=["marked", "unmarked"])
@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_secret_in_any_format(fmt: str, marked: bool, tmp_path: Path) -> None:
    for path in (_inputs() if marked else _unmarked(tmp_path)):
        code, out, err = _run("check", str(path), "--now", NOW_TEXT, "--format", fmt, "--config", str(CONFIG))
        assert code == 1, err
        assert "SECRET-" not in out + err, (path, fmt)


@pytest.mark.parametrize("marked", [True, False], ids=["marked", "unmarked"])
def test_no_secret_in_inventory_or_owners(marked: bool, tmp_path: Path) -> None:
    paths = _inputs() if marked else _unmarked(tmp_path)
    states = [str(p) for p in paths if p.name == "terraform.tfstate"]
    for fmt in ("table", "json", "csv"):
        code, out, err = _run("inventory", *states, "--now", NOW_TEXT, "--format", fmt, "--config", str(CONFIG))
        assert code == 0, err
        assert "SECRET-" not in out + err
        if fmt == "json":
            assert "gitlab_user_runner.build" in out
    for fmt in ("text", "markdown", "json"):
        code, out, err = _run("owners", *map(str, paths), "--now", NOW_TEXT, "--format", fmt,
                              "--config", str(CONFIG))
        assert code == 0, err
        assert "SECRET-" not in out + err


@pytest.mark.parametrize("marked", [True, False], ids=["marked", "unmarked"])
def test_no_secret_in_loaded_records(marked: bool, tmp_path: Path) -> None:
    from nhi_toolkit.loaders import load_inputs

    paths = _inputs() if marked else _unmarked(tmp_path)
    docs = load_inputs([str(p) for p in paths] + [str(SAAS / "hcl")])
    records = [(r.address, dict(r.values), dict(r.metadata)) for d in docs for r in (*d.resources, *d.drift)]
    assert len(records) >= 30
    assert "SECRET-" not in repr(records)


# -- retirement --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "principal"), [
    ("gitlab", "gitlab_group_service_account.ci"),
    ("datadog", "datadog_service_account.llm"),
    ("databricks", "databricks_service_principal.etl"),
])
def test_retiring_an_account_takes_its_tokens_first(provider: str, principal: str) -> None:
    from conftest import NOW

    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.retire import Reason, expand

    config = load_config(CONFIG)
    report = check_paths([str(SAAS / provider / "terraform.tfstate")], config, NOW)
    (group,) = expand(report.identities, {principal: (Reason("expired", "test"),)}, config)
    children = {a for a, (_, parent, _) in EXPECTED[provider].items() if parent == principal}
    assert children and group.addresses[-1] == principal
    assert set(group.addresses[:-1]) == children
