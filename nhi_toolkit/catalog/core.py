"""The core built-in identity types: IAM users, roles, keys and secrets, service accounts, app
registrations, Kubernetes service accounts and Vault roles; and the parent types the tables share."""

from __future__ import annotations

from nhi_toolkit.catalog.schema import (
    PHASE_CREDENTIAL,
    PHASE_PERMISSION,
    PHASE_PRINCIPAL,
    IdentityType,
    ParentLink,
)

__all__ = [
    "APPROLE_TYPES",
    "AZ_APP_TYPES",
    "AZ_SP_TYPES",
    "AZ_UAI_TYPES",
    "CORE_TYPES",
    "GROUP_TYPES",
    "GSA_MATCH_ATTRS",
    "GSA_TYPES",
    "GSM_TYPES",
    "K8S_SA_TYPES",
    "ROLE_TYPES",
    "SECRET_TYPES",
    "USER_TYPES",
    "WIP_TYPES",
    "aws_type",
]


def aws_type(type_: str, category: str, phase: int, summary: str, **kw: object) -> IdentityType:
    return IdentityType(type_, category, phase, default_tags=True, summary=summary, **kw)  # type: ignore[arg-type]


USER_TYPES = ("aws_iam_user",)
ROLE_TYPES = ("aws_iam_role",)
GROUP_TYPES = ("aws_iam_group",)
SECRET_TYPES = ("aws_secretsmanager_secret",)
GSA_TYPES = ("google_service_account",)
AZ_APP_TYPES = ("azuread_application",)
AZ_SP_TYPES = ("azuread_service_principal",)
AZ_UAI_TYPES = ("azurerm_user_assigned_identity",)
GSM_TYPES = ("google_secret_manager_secret",)
WIP_TYPES = ("google_iam_workload_identity_pool",)
K8S_SA_TYPES = ("kubernetes_service_account", "kubernetes_service_account_v1")
APPROLE_TYPES = ("vault_approle_auth_backend_role",)
GSA_MATCH_ATTRS = ("name", "id", "email", "account_id")

CORE_TYPES: tuple[IdentityType, ...] = (
    # AWS IAM principals
    aws_type("aws_iam_user", "principal", PHASE_PRINCIPAL, "IAM user", max_lifetime_days=365),
    aws_type("aws_iam_role", "principal", PHASE_PRINCIPAL, "IAM role", max_lifetime_days=365),
    aws_type("aws_iam_openid_connect_provider", "federation", PHASE_PRINCIPAL, "OIDC identity provider"),
    aws_type(
        "aws_iam_instance_profile", "permission", PHASE_PERMISSION, "Instance profile",
        parents=(ParentLink("role", ROLE_TYPES),),
    ),
    # AWS IAM credentials
    aws_type(
        "aws_iam_access_key", "credential", PHASE_CREDENTIAL, "Static access key",
        tags_path=None, parents=(ParentLink("user", USER_TYPES),), max_lifetime_days=90,
    ),
    aws_type(
        "aws_iam_service_specific_credential", "credential", PHASE_CREDENTIAL,
        "Service-specific credential", tags_path=None,
        parents=(ParentLink("user_name", USER_TYPES),), max_lifetime_days=90,
    ),
    aws_type(
        "aws_iam_user_login_profile", "credential", PHASE_CREDENTIAL, "Console password",
        tags_path=None, parents=(ParentLink("user", USER_TYPES),), max_lifetime_days=90,
    ),
    aws_type(
        "aws_iam_user_ssh_key", "credential", PHASE_CREDENTIAL, "SSH public key for CodeCommit",
        tags_path=None, parents=(ParentLink("username", USER_TYPES),), max_lifetime_days=90,
    ),
    aws_type(
        "aws_iam_signing_certificate", "credential", PHASE_CREDENTIAL, "Signing certificate",
        tags_path=None, parents=(ParentLink("user_name", USER_TYPES),), max_lifetime_days=90,
    ),
    # AWS IAM permissions
    aws_type(
        "aws_iam_user_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a user",
        tags_path=None, parents=(ParentLink("user", USER_TYPES),),
    ),
    aws_type(
        "aws_iam_role_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a role",
        tags_path=None, parents=(ParentLink("role", ROLE_TYPES, ("name", "id")),),
    ),
    aws_type(
        "aws_iam_user_policy", "permission", PHASE_PERMISSION, "Inline policy on a user",
        tags_path=None, parents=(ParentLink("user", USER_TYPES),),
    ),
    aws_type(
        "aws_iam_role_policy", "permission", PHASE_PERMISSION, "Inline policy on a role",
        tags_path=None, parents=(ParentLink("role", ROLE_TYPES, ("name", "id")),),
    ),
    aws_type(
        "aws_iam_policy_attachment", "permission", PHASE_PERMISSION, "Exclusive policy attachment",
        tags_path=None,
        parents=(ParentLink("users", USER_TYPES), ParentLink("roles", ROLE_TYPES), ParentLink("groups", GROUP_TYPES)),
    ),
    # AWS secrets
    aws_type("aws_secretsmanager_secret", "secret", PHASE_PRINCIPAL, "Secrets Manager secret"),
    aws_type(
        "aws_secretsmanager_secret_version", "secret-copy", PHASE_CREDENTIAL, "Secret value",
        tags_path=None, parents=(ParentLink("secret_id", SECRET_TYPES, ("id", "arn", "name")),),
    ),
    aws_type(
        "aws_secretsmanager_secret_rotation", "permission", PHASE_PERMISSION, "Secret rotation",
        tags_path=None, parents=(ParentLink("secret_id", SECRET_TYPES, ("id", "arn", "name")),),
    ),
    aws_type(
        "aws_secretsmanager_secret_policy", "permission", PHASE_PERMISSION, "Secret resource policy",
        tags_path=None, parents=(ParentLink("secret_arn", SECRET_TYPES, ("arn", "id")),),
    ),
    aws_type(
        "aws_ssm_parameter", "secret-copy", PHASE_CREDENTIAL, "SSM SecureString parameter",
        condition={"type": "SecureString"},
    ),
    # Google Cloud: service accounts carry no labels, so owner and expiry live in the description
    # as ``owner=... expires_at=...``.
    IdentityType(
        "google_service_account", "principal", PHASE_PRINCIPAL, tags_path="description",
        tags_format="kv-text", summary="Service account",
    ),
    IdentityType(
        "google_service_account_key", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("service_account_id", GSA_TYPES, GSA_MATCH_ATTRS),),
        max_lifetime_days=90, summary="Service account key",
    ),
    # Azure AD: tags are a list of strings; we read ``key=value`` or ``key:value`` entries.
    IdentityType(
        "azuread_application", "principal", PHASE_PRINCIPAL, tags_format="list",
        summary="Application registration",
    ),
    IdentityType(
        "azuread_service_principal", "principal", PHASE_PRINCIPAL, tags_format="list",
        parents=(
            ParentLink("client_id", AZ_APP_TYPES, ("client_id", "application_id")),
            ParentLink("application_id", AZ_APP_TYPES, ("application_id", "client_id")),
        ),
        summary="Service principal",
    ),
    IdentityType(
        "azuread_application_password", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("application_id", AZ_APP_TYPES, ("id", "object_id")),
            ParentLink("application_object_id", AZ_APP_TYPES, ("object_id", "id")),
        ),
        max_lifetime_days=180, summary="Application client secret",
    ),
    IdentityType(
        "azuread_application_certificate", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("application_id", AZ_APP_TYPES, ("id", "object_id")),
            ParentLink("application_object_id", AZ_APP_TYPES, ("object_id", "id")),
        ),
        max_lifetime_days=365, summary="Application certificate",
    ),
    IdentityType(
        "azuread_service_principal_password", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("service_principal_id", AZ_SP_TYPES, ("id", "object_id")),),
        max_lifetime_days=180, summary="Service principal client secret",
    ),
    # GitHub Actions secrets and TLS keys: untaggable copies of credentials; they inherit from the
    # identity whose value they reference.
    IdentityType(
        "github_actions_secret", "secret-copy", PHASE_CREDENTIAL, tags_path=None,
        summary="GitHub Actions secret",
    ),
    IdentityType(
        "github_actions_organization_secret", "secret-copy", PHASE_CREDENTIAL, tags_path=None,
        summary="GitHub Actions organization secret",
    ),
    IdentityType(
        "tls_private_key", "credential", PHASE_CREDENTIAL, tags_path=None, max_lifetime_days=365,
        summary="TLS private key",
    ),
)
