"""Every catalogued identity type beyond IAM users and keys is found, placed and judged.

Table-driven: each case is a handful of resources as a provider writes them. Each runs as a plan
(no configuration, so parents are found by attribute match, as in state) and as a raw state; once
with owner and expiry where the types carry them, once without. Reference-based parents in HCL are
covered by ``fixtures/catalog/wiring``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, NOW, NOW_TEXT, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.catalog import BUILTIN_TYPES
from nhi_toolkit.catalog.saas import SAAS_TYPES
from nhi_toolkit.cli import main
from nhi_toolkit.config import Config
from nhi_toolkit.engine import check_paths
from nhi_toolkit.retire import Reason, expand
from nhi_toolkit.rules import rule_by_key

OWNER = "alice@example.com"
EXPIRES = "2026-08-01"
TAGS = {"owner": OWNER, "expires_at": EXPIRES}
TAG_LIST = [f"owner={OWNER}", f"expires_at={EXPIRES}"]
KV_TEXT = f"owner={OWNER} expires_at={EXPIRES}"
GCP_LABELS = {"owner": "alice", "expires_at": EXPIRES}

ROLE_ARN = "arn:aws:iam::123456789012:role/agent-role"
SA_EMAIL = "rag@proj.iam.gserviceaccount.com"
SA_NAME = f"projects/proj/serviceAccounts/{SA_EMAIL}"
UAI_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deployer"
UAI_PRINCIPAL = "11111111-1111-1111-1111-111111111111"
SP_OBJECT = "22222222-2222-2222-2222-222222222222"
APP_OBJECT = "33333333-3333-3333-3333-333333333333"


@dataclass(frozen=True)
class Expect:
    """What one identity must look like when its parent (or itself) carries owner and expiry."""

    category: str
    parent: str | None = None
    owner: str | None = OWNER
    """The owner read with tags present; None for types that cannot carry one and have no parent."""


@dataclass(frozen=True)
class Case:
    """Resources (address -> values, tagged) and what each identity among them must be."""

    id: str
    resources: Mapping[str, Mapping[str, Any]]
    expect: Mapping[str, Expect]
    not_identities: tuple[str, ...] = ()
    platform_managed: tuple[str, ...] = field(default=())


CASES = [
    Case("aws-group", {
        "aws_iam_user.bot": {"name": "bot", "tags": TAGS},
        "aws_iam_group.bots": {"name": "ai-bots", "path": "/"},
        "aws_iam_group_policy.inline": {"group": "ai-bots", "name": "inline", "policy": "{}"},
        "aws_iam_group_policy_attachment.bedrock": {"group": "ai-bots", "policy_arn": "arn:aws:iam::aws:policy/x"},
        "aws_iam_group_membership.members": {"name": "members", "group": "ai-bots", "users": ["bot"]},
        "aws_iam_user_group_membership.bot": {"user": "bot", "groups": ["ai-bots"]},
    }, {
        "aws_iam_group.bots": Expect("permission", owner=None),
        "aws_iam_group_policy.inline": Expect("permission", "aws_iam_group.bots", owner=None),
        "aws_iam_group_policy_attachment.bedrock": Expect("permission", "aws_iam_group.bots", owner=None),
        "aws_iam_group_membership.members": Expect("permission", "aws_iam_user.bot"),
        "aws_iam_user_group_membership.bot": Expect("permission", "aws_iam_user.bot"),
    }),
    Case("aws-service-linked-role", {
        "aws_iam_service_linked_role.eb": {"aws_service_name": "elasticbeanstalk.amazonaws.com",
                                           "name": "AWSServiceRoleForElasticBeanstalk", "tags": TAGS},
    }, {"aws_iam_service_linked_role.eb": Expect("principal")},
        platform_managed=("aws_iam_service_linked_role.eb",)),
    Case("aws-bedrock-sagemaker", {
        "aws_iam_role.agent": {"name": "agent-role", "arn": ROLE_ARN, "tags": TAGS},
        "aws_bedrockagent_agent.support": {"agent_name": "support", "agent_resource_role_arn": ROLE_ARN},
        "aws_bedrockagent_knowledge_base.docs": {"name": "docs", "role_arn": ROLE_ARN},
        "aws_sagemaker_domain.lab": {"domain_name": "lab", "default_user_settings": [{"execution_role": ROLE_ARN}]},
        "aws_sagemaker_user_profile.alice": {"user_profile_name": "alice",
                                             "user_settings": [{"execution_role": ROLE_ARN}]},
    }, {
        "aws_bedrockagent_agent.support": Expect("permission", "aws_iam_role.agent"),
        "aws_bedrockagent_knowledge_base.docs": Expect("permission", "aws_iam_role.agent"),
        "aws_sagemaker_domain.lab": Expect("permission", "aws_iam_role.agent"),
        "aws_sagemaker_user_profile.alice": Expect("permission", "aws_iam_role.agent"),
    }),
    Case("aws-api-keys", {
        "aws_api_gateway_api_key.partner": {"name": "partner", "enabled": True, "tags": TAGS},
        "aws_cognito_user_pool_client.backend": {"name": "backend", "user_pool_id": "eu-west-1_a",
                                                 "generate_secret": True},
        "aws_cognito_user_pool_client.spa": {"name": "spa", "user_pool_id": "eu-west-1_a",
                                             "generate_secret": False},
    }, {
        "aws_api_gateway_api_key.partner": Expect("credential"),
        "aws_cognito_user_pool_client.backend": Expect("credential", owner=None),
    }, not_identities=("aws_cognito_user_pool_client.spa",)),
    Case("gcp-keys-and-secrets", {
        "google_apikeys_key.gemini": {"name": "gemini", "display_name": "gemini", "project": "proj"},
        "google_secret_manager_secret.gemini": {"secret_id": "gemini-key", "id": "projects/proj/secrets/gemini-key",
                                                "name": "projects/123/secrets/gemini-key", "labels": GCP_LABELS},
        "google_secret_manager_secret_version.gemini": {"secret": "projects/proj/secrets/gemini-key",
                                                        "enabled": True},
    }, {
        "google_apikeys_key.gemini": Expect("credential", owner=None),
        "google_secret_manager_secret.gemini": Expect("secret", owner="alice"),
        "google_secret_manager_secret_version.gemini": Expect("secret-copy", "google_secret_manager_secret.gemini",
                                                              owner="alice"),
    }),
    Case("gcp-service-account-grants", {
        "google_service_account.rag": {"account_id": "rag", "email": SA_EMAIL, "name": SA_NAME,
                                       "description": KV_TEXT},
        "google_service_account_iam_member.wi": {"service_account_id": SA_NAME, "role": "roles/iam.workloadIdentityUser",
                                                 "member": "serviceAccount:proj.svc.id.goog[ai/bot]"},
        "google_service_account_iam_binding.token": {"service_account_id": SA_NAME,
                                                     "role": "roles/iam.serviceAccountTokenCreator",
                                                     "members": ["group:ops@example.com"]},
        "google_service_account_iam_policy.all": {"service_account_id": SA_NAME, "policy_data": "{}"},
        "google_project_iam_member.vertex": {"project": "proj", "role": "roles/aiplatform.user",
                                             "member": f"serviceAccount:{SA_EMAIL}"},
        "google_project_iam_member.human": {"project": "proj", "role": "roles/viewer",
                                            "member": "user:alice@example.com"},
    }, {
        "google_service_account_iam_member.wi": Expect("permission", "google_service_account.rag"),
        "google_service_account_iam_binding.token": Expect("permission", "google_service_account.rag"),
        "google_service_account_iam_policy.all": Expect("permission", "google_service_account.rag"),
        "google_project_iam_member.vertex": Expect("permission", "google_service_account.rag"),
    }, not_identities=("google_project_iam_member.human",)),
    Case("gcp-workload-identity", {
        "google_iam_workload_identity_pool.gh": {"workload_identity_pool_id": "gh-pool", "description": KV_TEXT,
                                                 "name": "projects/123/locations/global/workloadIdentityPools/gh-pool"},
        "google_iam_workload_identity_pool_provider.gh": {"workload_identity_pool_id": "gh-pool",
                                                          "workload_identity_pool_provider_id": "github"},
    }, {
        "google_iam_workload_identity_pool.gh": Expect("federation"),
        "google_iam_workload_identity_pool_provider.gh": Expect("federation", "google_iam_workload_identity_pool.gh"),
    }),
    Case("azure-managed-identity", {
        "azurerm_user_assigned_identity.deployer": {"name": "deployer", "id": UAI_ID, "principal_id": UAI_PRINCIPAL,
                                                    "client_id": "c", "tags": TAGS},
        "azurerm_federated_identity_credential.github": {"name": "github", "parent_id": UAI_ID,
                                                         "subject": "repo:org/app:environment:prod"},
        "azurerm_role_assignment.deployer": {"scope": "/subscriptions/s", "principal_id": UAI_PRINCIPAL,
                                             "role_definition_name": "Cognitive Services OpenAI User"},
        "azurerm_role_assignment.human": {"scope": "/subscriptions/s", "principal_id": "9999",
                                          "principal_type": "User", "role_definition_name": "Reader"},
        "azurerm_key_vault_secret.openai": {"name": "openai-key", "key_vault_id": "kv", "tags": TAGS},
        "azurerm_cognitive_account.openai": {"name": "openai", "kind": "OpenAI", "sku_name": "S0", "tags": TAGS},
    }, {
        "azurerm_user_assigned_identity.deployer": Expect("principal"),
        "azurerm_federated_identity_credential.github": Expect("federation", "azurerm_user_assigned_identity.deployer"),
        "azurerm_role_assignment.deployer": Expect("permission", "azurerm_user_assigned_identity.deployer"),
        "azurerm_key_vault_secret.openai": Expect("secret"),
        "azurerm_cognitive_account.openai": Expect("credential"),
    }, not_identities=("azurerm_role_assignment.human",)),
    Case("azure-ad", {
        "azuread_application.bot": {"display_name": "bot", "object_id": APP_OBJECT,
                                    "id": f"/applications/{APP_OBJECT}", "client_id": "cid", "tags": TAG_LIST},
        "azuread_application_federated_identity_credential.gh": {"application_id": f"/applications/{APP_OBJECT}",
                                                                 "display_name": "gh", "subject": "repo:o/r"},
        "azuread_service_principal.bot": {"client_id": "cid", "object_id": SP_OBJECT,
                                          "id": f"/servicePrincipals/{SP_OBJECT}", "tags": TAG_LIST},
        "azuread_service_principal_certificate.bot": {"service_principal_id": f"/servicePrincipals/{SP_OBJECT}",
                                                      "end_date": "2026-08-01T00:00:00Z"},
        "azurerm_role_assignment.bot": {"scope": "/subscriptions/s", "principal_id": SP_OBJECT,
                                        "role_definition_name": "Contributor"},
    }, {
        "azuread_application_federated_identity_credential.gh": Expect("federation", "azuread_application.bot"),
        "azuread_service_principal_certificate.bot": Expect("credential", "azuread_service_principal.bot"),
        "azurerm_role_assignment.bot": Expect("permission", "azuread_service_principal.bot"),
    }),
    Case("github", {
        "github_actions_environment_secret.key": {"repository": "app", "environment": "prod", "secret_name": "K"},
        "github_dependabot_secret.key": {"repository": "app", "secret_name": "K"},
        "github_codespaces_secret.key": {"repository": "app", "secret_name": "K"},
        "github_repository_deploy_key.ci": {"repository": "app", "title": "ci", "read_only": True,
                                            "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicKeyOnly"},
    }, {
        "github_actions_environment_secret.key": Expect("secret-copy", owner=None),
        "github_dependabot_secret.key": Expect("secret-copy", owner=None),
        "github_codespaces_secret.key": Expect("secret-copy", owner=None),
        "github_repository_deploy_key.ci": Expect("credential", owner=None),
    }),
    Case("kubernetes", {
        "kubernetes_service_account.bot": {"metadata": [{"name": "bot", "namespace": "ai", "labels": {"app": "bot"},
                                                         "annotations": TAGS}]},
        "kubernetes_secret.bot_token": {
            "metadata": [{"name": "bot-token", "namespace": "ai",
                          "annotations": {"kubernetes.io/service-account.name": "bot"}}],
            "type": "kubernetes.io/service-account-token"},
        "kubernetes_secret.config": {"metadata": [{"name": "config"}], "type": "Opaque"},
        "kubernetes_role_binding.bot": {
            "metadata": [{"name": "bot", "namespace": "ai"}],
            "role_ref": [{"kind": "Role", "name": "reader", "api_group": "rbac.authorization.k8s.io"}],
            "subject": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "bot",
                                                            "namespace": "ai"}]},
        "kubernetes_cluster_role_binding.bot": {
            "metadata": [{"name": "bot"}],
            "subject": [{"kind": "ServiceAccount", "name": "bot", "namespace": "ai"}]},
        "kubernetes_cluster_role_binding.humans": {
            "metadata": [{"name": "humans"}], "subject": [{"kind": "Group", "name": "admins"}]},
    }, {
        "kubernetes_service_account.bot": Expect("principal"),
        "kubernetes_secret.bot_token": Expect("credential", "kubernetes_service_account.bot"),
        "kubernetes_role_binding.bot": Expect("permission", "kubernetes_service_account.bot"),
        "kubernetes_cluster_role_binding.bot": Expect("permission", "kubernetes_service_account.bot"),
    }, not_identities=("kubernetes_secret.config", "kubernetes_cluster_role_binding.humans")),
    Case("kubernetes-v1", {
        "kubernetes_service_account_v1.bot": {"metadata": [{"name": "bot", "labels": GCP_LABELS}]},
        "kubernetes_secret_v1.bot_token": {
            "metadata": [{"name": "t", "annotations": {"kubernetes.io/service-account.name": "bot"}}],
            "type": "kubernetes.io/service-account-token"},
        "kubernetes_role_binding_v1.bot": {"metadata": [{"name": "b"}],
                                           "subject": [{"kind": "ServiceAccount", "name": "bot"}]},
        "kubernetes_cluster_role_binding_v1.bot": {"metadata": [{"name": "c"}],
                                                   "subject": [{"kind": "ServiceAccount", "name": "bot"}]},
    }, {
        "kubernetes_service_account_v1.bot": Expect("principal", owner="alice"),
        "kubernetes_secret_v1.bot_token": Expect("credential", "kubernetes_service_account_v1.bot", owner="alice"),
        "kubernetes_role_binding_v1.bot": Expect("permission", "kubernetes_service_account_v1.bot", owner="alice"),
        "kubernetes_cluster_role_binding_v1.bot": Expect("permission", "kubernetes_service_account_v1.bot",
                                                         owner="alice"),
    }),
    Case("vault", {
        "vault_approle_auth_backend_role.bot": {"backend": "approle", "role_name": "bot"},
        "vault_approle_auth_backend_role_secret_id.bot": {"backend": "approle", "role_name": "bot"},
        "vault_token.ci": {"policies": ["ci"], "metadata": TAGS, "ttl": "24h"},
        "vault_kv_secret_v2.openai": {"mount": "kv", "name": "openai", "custom_metadata": [{"data": TAGS}]},
        "vault_jwt_auth_backend_role.gha": {"backend": "jwt", "role_name": "gha", "role_type": "jwt",
                                            "user_claim": "sub"},
    }, {
        "vault_approle_auth_backend_role.bot": Expect("principal", owner=None),
        "vault_approle_auth_backend_role_secret_id.bot": Expect("credential", "vault_approle_auth_backend_role.bot",
                                                                owner=None),
        "vault_token.ci": Expect("credential"),
        "vault_kv_secret_v2.openai": Expect("secret"),
        "vault_jwt_auth_backend_role.gha": Expect("federation", owner=None),
    }),
]


def _untagged(value: Any) -> Any:
    """The same values with every owner and expiry removed (maps, ``key=value`` lists and text)."""
    if isinstance(value, dict):
        return {k: _untagged(v) for k, v in value.items() if k not in ("owner", "expires_at")}
    if isinstance(value, list):
        return [_untagged(v) for v in value if not (isinstance(v, str) and v.startswith(("owner=", "expires_at=")))]
    if isinstance(value, str) and "owner=" in value:
        return ""
    return value


def _write(case: Case, kind: str, tagged: bool, tmp: Path) -> Path:
    resources = {a: (v if tagged else _untagged(v)) for a, v in case.resources.items()}
    if kind == "plan":
        return write_json(tmp / "plan.json", plan_doc(*(change(a, v) for a, v in resources.items())))
    return write_json(tmp / "terraform.tfstate", state_doc(
        *(state_resource(a.split(".")[0], a.split(".")[1], v) for a, v in resources.items())))


def _check(path: Path, fmt: str = "json") -> Any:
    result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "--format", fmt,
                                       "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def _rules_by_address(report: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["address"], set()).add(f["rule"])
    return out


@pytest.mark.parametrize("kind", ["plan", "state"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_found_with_category_and_parent(case: Case, kind: str, tmp_path: Path) -> None:
    report = _check(_write(case, kind, True, tmp_path))
    found = {i["address"]: i for i in report["identities"]}
    rules = _rules_by_address(report)
    for address, want in case.expect.items():
        assert address in found, f"{address} not found"
        got = found[address]
        assert (got["category"], got["parent"], got["owner"]) == (want.category, want.parent, want.owner), address
        if want.parent is not None and want.owner is not None:
            assert got["inherited_from"] == want.parent, address
        if want.owner is None:
            assert {"missing-owner", "missing-expiry"} <= rules.get(address, set()), address
        else:
            assert not {"missing-owner", "missing-expiry"} & rules.get(address, set()), address
    for address in case.not_identities:
        assert address not in found, f"{address} should not be an identity"


@pytest.mark.parametrize("kind", ["plan", "state"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_judged_when_nobody_owns_it(case: Case, kind: str, tmp_path: Path) -> None:
    report = _check(_write(case, kind, False, tmp_path))
    rules = _rules_by_address(report)
    status = {i["address"]: i["status"] for i in report["identities"]}
    native = {i["address"]: i.get("expiry_source") for i in report["identities"]}
    for address in case.expect:
        if address in case.platform_managed:
            assert rules.get(address) == {"platform-managed"}, address
            assert status[address] == "platform-managed"
        elif native.get(address) == "native":
            # The credential carries its own expiry (end_date): only the owner is missing.
            assert "missing-owner" in rules.get(address, set()), address
            assert "missing-expiry" not in rules.get(address, set()), address
            assert status[address] in ("no-owner", "expired")
        else:
            assert {"missing-owner", "missing-expiry"} <= rules.get(address, set()), address
            assert status[address] == "no-owner"  # both missing: no-owner comes first (README status table)


def test_the_table_covers_every_new_type() -> None:
    covered = {a.split(".")[0] for c in CASES for a in c.expect}
    wiring = (FIXTURES / "catalog" / "wiring" / "main.tf").read_text(encoding="utf-8")
    for itype in BUILTIN_TYPES:
        if itype in SAAS_TYPES:
            continue  # tests/catalog/test_catalog_saas.py covers these
        if itype.type.startswith(("google_folder", "google_organization", "github_dependabot_organization",
                                  "github_codespaces_organization")):
            continue  # the same shape as a covered sibling
        legacy = itype.type in {t.type for t in BUILTIN_TYPES[:29]}
        assert legacy or itype.type in covered or f'"{itype.type}"' in wiring, itype.type


def test_platform_managed_replaces_missing_owner_and_is_registered() -> None:
    rule = rule_by_key("NHI016")
    assert rule is not None and rule.name == "platform-managed" and rule.severity.label == "info"
    assert rule_by_key("platform-managed") is rule


def test_a_tagged_service_linked_role_is_judged_like_any_identity(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc(change("aws_iam_service_linked_role.r", {
        "aws_service_name": "bedrock.amazonaws.com", "tags": {"owner": OWNER, "expires_at": "2026-01-01"}})))
    rules = _rules_by_address(_check(plan))
    assert rules["aws_iam_service_linked_role.r"] == {"expired"}


def test_unknown_conditions_keep_the_resource(tmp_path: Path) -> None:
    # A value known only after apply never hides an identity: the checker must not pass it by.
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("google_project_iam_member.m", {"project": "p", "role": "r"}, after_unknown={"member": True}),
        change("aws_cognito_user_pool_client.c", {"name": "c"}, after_unknown={"generate_secret": True}),
        change("kubernetes_secret.s", {"metadata": [{"name": "s"}]}, after_unknown={"type": True}),
    ))
    found = {i["address"] for i in _check(plan)["identities"]}
    assert found == {"google_project_iam_member.m", "aws_cognito_user_pool_client.c", "kubernetes_secret.s"}


def test_hcl_wiring_finds_parents_through_references() -> None:
    report = _check(FIXTURES / "catalog" / "wiring")
    found = {i["address"]: (i["category"], i["parent"], i["owner"]) for i in report["identities"]}
    assert found["aws_bedrockagent_agent.support"] == ("permission", "aws_iam_role.agent", OWNER)
    assert found["aws_sagemaker_domain.lab"] == ("permission", "aws_iam_role.agent", OWNER)
    assert found["google_project_iam_member.rag_vertex"] == ("permission", "google_service_account.rag", OWNER)
    assert found["google_secret_manager_secret_version.gemini"] == (
        "secret-copy", "google_secret_manager_secret.gemini", "alice")
    # The API key is held by the secret version: it inherits the secret's owner through it.
    assert found["google_apikeys_key.gemini"] == ("credential", "google_secret_manager_secret_version.gemini", "alice")
    assert found["kubernetes_secret_v1.bot_token"] == ("credential", "kubernetes_service_account_v1.bot", OWNER)
    assert found["kubernetes_role_binding_v1.bot"] == ("permission", "kubernetes_service_account_v1.bot", OWNER)
    assert found["azurerm_federated_identity_credential.github"] == (
        "federation", "azurerm_user_assigned_identity.deployer", OWNER)
    assert found["azurerm_role_assignment.deployer"] == (
        "permission", "azurerm_user_assigned_identity.deployer", OWNER)
    assert found["github_actions_environment_secret.openai"] == (
        "secret-copy", "azurerm_cognitive_account.openai", OWNER)
    assert found["vault_approle_auth_backend_role_secret_id.bot"] == (
        "credential", "vault_approle_auth_backend_role.bot", None)
    assert found["aws_cognito_user_pool_client.backend"] == ("credential", None, None)
    assert "aws_cognito_user_pool_client.spa" not in found
    assert "google_project_iam_member.human" not in found


def test_retirement_lists_revocation_notes_and_takes_uses_of_a_role_first(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "aws-bedrock-sagemaker")
    report = check_paths([str(_write(case, "plan", True, tmp_path))], Config(), NOW)
    groups = expand(report.identities, {"aws_iam_role.agent": (Reason("expired", "test"),)}, Config())
    (group,) = groups
    assert group.addresses[-1] == "aws_iam_role.agent"
    assert set(group.addresses[:-1]) == set(case.expect)
    assert any(s.startswith("aws_bedrockagent_agent.support: destroying it deletes the Bedrock agent")
               for s in group.steps)


def test_a_token_secret_reads_its_own_annotations_but_not_the_platform_ones(tmp_path: Path) -> None:
    sa = {"metadata": [{"name": "bot", "annotations": TAGS}]}
    own = {"owner": "bob@example.com", "expires_at": EXPIRES, "kubernetes.io/service-account.name": "bot"}
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("kubernetes_service_account.bot", sa),
        change("kubernetes_secret.own", {"type": "kubernetes.io/service-account-token",
                                         "metadata": [{"name": "own", "annotations": own}]}),
        change("kubernetes_secret.inherits", {"type": "kubernetes.io/service-account-token", "metadata": [{
            "name": "inherits", "labels": {"app.kubernetes.io/name": "bot"},
            "annotations": {"kubernetes.io/service-account.name": "bot"}}]}),
    ))
    found = {i["address"]: (i["parent"], i["inherited_from"], i["owner"]) for i in _check(plan)["identities"]}
    assert found["kubernetes_secret.own"] == ("kubernetes_service_account.bot", None, "bob@example.com")
    assert found["kubernetes_secret.inherits"] == ("kubernetes_service_account.bot",
                                                   "kubernetes_service_account.bot", OWNER)
