"""Built-in identity types beyond IAM users and keys: how AI integrations are wired (grants,
memberships, bindings, API keys, tokens), by provider."""

from __future__ import annotations

from nhi_toolkit.catalog.core import (
    APPROLE_TYPES,
    AZ_APP_TYPES,
    AZ_SP_TYPES,
    AZ_UAI_TYPES,
    GROUP_TYPES,
    GSA_MATCH_ATTRS,
    GSA_TYPES,
    GSM_TYPES,
    K8S_SA_TYPES,
    ROLE_TYPES,
    USER_TYPES,
    WIP_TYPES,
    aws_type,
)
from nhi_toolkit.catalog.schema import (
    PHASE_CREDENTIAL,
    PHASE_PERMISSION,
    PHASE_PRINCIPAL,
    IdentityType,
    NoneOf,
    ParentLink,
    Prefix,
)

__all__ = ["AWS_MORE", "AZURE_MORE", "GCP_MORE", "GITHUB_MORE", "K8S_MORE", "VAULT_MORE"]

# --- How AI integrations are wired beyond IAM users and keys ------------------------------------
# Grants (group policies, memberships, role bindings, role assignments, IAM members) are not
# identities of their own: untaggable, they inherit owner and expiry from the principal they grant to.

AWS_MORE: tuple[IdentityType, ...] = (
    # A group cannot carry tags; it is the managed parent of its policies and attachments.
    # Membership is a grant to the user (else, for an unmanaged user, to the group).
    aws_type(
        "aws_iam_group", "permission", PHASE_PERMISSION, "IAM group", tags_path=None,
        inherit_by_reference=False,
        revocation="users still in the group keep its permissions until the group is gone; "
                   "memberships managed elsewhere must be removed before the group can be deleted.",
    ),
    aws_type(
        "aws_iam_group_policy", "permission", PHASE_PERMISSION, "Inline policy on a group",
        tags_path=None, parents=(ParentLink("group", GROUP_TYPES, ("name", "id")),),
    ),
    aws_type(
        "aws_iam_group_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a group",
        tags_path=None, parents=(ParentLink("group", GROUP_TYPES, ("name", "id")),),
    ),
    aws_type(
        "aws_iam_group_membership", "permission", PHASE_PERMISSION, "Group membership of users",
        tags_path=None,
        parents=(ParentLink("users", USER_TYPES), ParentLink("group", GROUP_TYPES, ("name", "id"))),
    ),
    aws_type(
        "aws_iam_user_group_membership", "permission", PHASE_PERMISSION, "A user's group memberships",
        tags_path=None, parents=(ParentLink("user", USER_TYPES), ParentLink("groups", GROUP_TYPES)),
    ),
    # AWS creates and scopes these for a service; it deletes one only once nothing uses it.
    aws_type(
        "aws_iam_service_linked_role", "principal", PHASE_PRINCIPAL, "Service-linked role",
        platform_managed=True, inherit_by_reference=False,
        revocation="AWS deletes a service-linked role only when no resource of its service uses "
                   "it any more; the deletion runs asynchronously (check "
                   "iam:GetServiceLinkedRoleDeletionStatus).",
    ),
    # Services that act as a role: the role is the identity; each of these is a use of it, a child
    # of the role like an instance profile (own tags, else the role's), revoked before the role.
    aws_type(
        "aws_bedrockagent_agent", "permission", PHASE_PERMISSION, "Bedrock agent (uses its execution role)",
        parents=(ParentLink("agent_resource_role_arn", ROLE_TYPES, ("arn", "name")),),
        revocation="destroying it deletes the Bedrock agent itself, not only its use of the role.",
    ),
    aws_type(
        "aws_bedrockagent_knowledge_base", "permission", PHASE_PERMISSION,
        "Bedrock knowledge base (uses its execution role)",
        parents=(ParentLink("role_arn", ROLE_TYPES, ("arn", "name")),),
        revocation="destroying it deletes the knowledge base itself; its data source stays.",
    ),
    aws_type(
        "aws_sagemaker_domain", "permission", PHASE_PERMISSION,
        "SageMaker domain (uses its default execution role)",
        parents=(ParentLink("execution_role", ROLE_TYPES, ("arn", "name"),
                            path=("default_user_settings", "execution_role")),),
        revocation="destroying it deletes the SageMaker domain and, with retention_policy "
                   "home_efs_file_system = Delete, its users' home file system.",
    ),
    aws_type(
        "aws_sagemaker_user_profile", "permission", PHASE_PERMISSION,
        "SageMaker user profile (uses its execution role)",
        parents=(ParentLink("execution_role", ROLE_TYPES, ("arn", "name"),
                            path=("user_settings", "execution_role")),),
        revocation="its running apps must be deleted before the profile can be.",
    ),
    aws_type(
        "aws_api_gateway_api_key", "credential", PHASE_CREDENTIAL, "API Gateway API key",
        max_lifetime_days=90,
        revocation="clients holding the key value keep calling the API until the key is deleted or "
                   "disabled; remove copies of the value held elsewhere.",
    ),
    # Only an app client that has a secret is a credential (public clients have none). No tags.
    IdentityType(
        "aws_cognito_user_pool_client", "credential", PHASE_CREDENTIAL, tags_path=None,
        condition={"generate_secret": True}, max_lifetime_days=180,
        summary="Cognito app client with a client secret",
        revocation="access and refresh tokens already issued to the client stay valid until they "
                   "expire; revoke refresh tokens (cognito-idp revoke-token) to end them at once.",
    ),
)

GCP_MORE: tuple[IdentityType, ...] = (
    # API keys (Gemini, Vertex AI) carry no labels.
    IdentityType(
        "google_apikeys_key", "credential", PHASE_CREDENTIAL, tags_path=None, max_lifetime_days=90,
        summary="API key",
        revocation="a deleted API key can be restored for 30 days; copies of the key string stop "
                   "working once it is deleted.",
    ),
    IdentityType(
        "google_secret_manager_secret", "secret", PHASE_PRINCIPAL, tags_path="labels",
        summary="Secret Manager secret",
    ),
    IdentityType(
        "google_secret_manager_secret_version", "secret-copy", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("secret", GSM_TYPES, ("id", "name", "secret_id")),), not_secret=("secret",),
        summary="Secret Manager secret version",
    ),
    *(
        IdentityType(
            t, "permission", PHASE_PERMISSION, tags_path=None,
            parents=(ParentLink("service_account_id", GSA_TYPES, GSA_MATCH_ATTRS),),
            summary="IAM grant on a service account",
        )
        for t in ("google_service_account_iam_member", "google_service_account_iam_binding",
                  "google_service_account_iam_policy")
    ),
    # A project (folder, organization) grant counts only when it grants to a service account; its
    # parent is the account whose email follows the ``serviceAccount:`` prefix.
    *(
        IdentityType(
            f"google_{scope}_iam_member", "permission", PHASE_PERMISSION, tags_path=None,
            condition={"member": Prefix("serviceAccount:")},
            parents=(ParentLink("member", GSA_TYPES, ("email",), prefix="serviceAccount:"),),
            summary=f"{scope.capitalize()} IAM grant to a service account",
        )
        for scope in ("project", "folder", "organization")
    ),
    # Workload identity pools and providers have no labels: owner and expiry in the description,
    # as for service accounts; a provider without its own inherits from its pool.
    IdentityType(
        "google_iam_workload_identity_pool", "federation", PHASE_PRINCIPAL, tags_path="description",
        tags_format="kv-text", summary="Workload identity pool", inherit_by_reference=False,
        revocation="a deleted pool stays soft-deleted for 30 days (its ID cannot be reused); "
                   "tokens already exchanged through it stay valid until they expire (up to 1 hour).",
    ),
    IdentityType(
        "google_iam_workload_identity_pool_provider", "federation", PHASE_PERMISSION,
        tags_path="description", tags_format="kv-text",
        parents=(ParentLink("workload_identity_pool_id", WIP_TYPES, ("workload_identity_pool_id", "name", "id")),),
        summary="Workload identity pool provider",
        revocation="tokens already exchanged through the provider stay valid until they expire "
                   "(up to 1 hour).",
    ),
)

AZURE_MORE: tuple[IdentityType, ...] = (
    IdentityType(
        "azurerm_user_assigned_identity", "principal", PHASE_PRINCIPAL,
        summary="User-assigned managed identity",
        revocation="tokens already issued for the identity stay valid until they expire (up to "
                   "24 hours).",
    ),
    IdentityType(
        "azurerm_federated_identity_credential", "federation", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("parent_id", AZ_UAI_TYPES, ("id",)),
            ParentLink("user_assigned_identity_id", AZ_UAI_TYPES, ("id",)),
        ),
        summary="Federated credential of a user-assigned identity",
    ),
    IdentityType(
        "azuread_application_federated_identity_credential", "federation", PHASE_CREDENTIAL,
        tags_path=None,
        parents=(
            ParentLink("application_id", AZ_APP_TYPES, ("id", "object_id")),
            ParentLink("application_object_id", AZ_APP_TYPES, ("object_id", "id")),
        ),
        summary="Federated credential of an application",
    ),
    IdentityType(
        "azuread_service_principal_certificate", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("service_principal_id", AZ_SP_TYPES, ("id", "object_id")),),
        max_lifetime_days=365, summary="Service principal certificate",
    ),
    IdentityType(
        "azurerm_key_vault_secret", "secret", PHASE_PRINCIPAL, summary="Key Vault secret",
        revocation="a deleted secret stays recoverable for the vault's soft-delete retention "
                   "(7 to 90 days) unless purged.",
    ),
    # Azure OpenAI and other Cognitive Services accounts: their two access keys are the credential.
    IdentityType(
        "azurerm_cognitive_account", "credential", PHASE_CREDENTIAL,
        summary="Cognitive Services / Azure OpenAI account (access keys)",
        revocation="copies of its access keys work until the keys are regenerated or the account "
                   "is deleted; destroying it also deletes its model deployments, and a deleted "
                   "account stays recoverable (soft delete) until purged.",
    ),
    # A role assignment to a person or group is not a non-human identity's grant.
    IdentityType(
        "azurerm_role_assignment", "permission", PHASE_PERMISSION, tags_path=None,
        condition={"principal_type": NoneOf(("User", "Group", "ForeignGroup"))},
        parents=(
            ParentLink("principal_id", AZ_UAI_TYPES, ("principal_id",)),
            ParentLink("principal_id", AZ_SP_TYPES, ("object_id", "id")),
        ),
        summary="Azure role assignment",
    ),
)

GITHUB_MORE: tuple[IdentityType, ...] = (
    *(
        IdentityType(t, "secret-copy", PHASE_CREDENTIAL, tags_path=None, summary=summary)
        for t, summary in (
            ("github_actions_environment_secret", "GitHub Actions environment secret"),
            ("github_dependabot_secret", "Dependabot secret"),
            ("github_dependabot_organization_secret", "Dependabot organization secret"),
            ("github_codespaces_secret", "Codespaces secret"),
            ("github_codespaces_organization_secret", "Codespaces organization secret"),
        )
    ),
    # The key itself is public; whoever holds its private half has the repository access.
    IdentityType(
        "github_repository_deploy_key", "credential", PHASE_CREDENTIAL, tags_path=None,
        max_lifetime_days=365, summary="Repository deploy key",
    ),
)

K8S_MORE: tuple[IdentityType, ...] = (
    *(
        IdentityType(t, "principal", PHASE_PRINCIPAL, summary="Kubernetes service account",
                     tags_path="metadata.labels", extra_tags_paths=("metadata.annotations",),
                     ignored_tag_keys=("kubernetes.io/",),
                     revocation="bound tokens already issued to pods stay valid until they expire.")
        for t in K8S_SA_TYPES
    ),
    # Long-lived token secrets: the service account's credential. Its own labels/annotations count
    # (beside the kubernetes.io/ ones every token secret has); without them it inherits.
    *(
        IdentityType(
            t, "credential", PHASE_CREDENTIAL, tags_path="metadata.labels",
            extra_tags_paths=("metadata.annotations",), ignored_tag_keys=("kubernetes.io/",),
            condition={"type": "kubernetes.io/service-account-token"},
            parents=(ParentLink("metadata", K8S_SA_TYPES, ("metadata.name",),
                                path=("metadata", "annotations", "kubernetes.io/service-account.name")),),
            secret_fields=("data",), max_lifetime_days=90, summary="Service account token secret",
        )
        for t in ("kubernetes_secret", "kubernetes_secret_v1")
    ),
    # Bindings count when they bind a service account; they inherit from it.
    *(
        IdentityType(
            t, "permission", PHASE_PERMISSION, tags_path=None,
            condition={"subject.kind": "ServiceAccount"},
            parents=(ParentLink("subject", K8S_SA_TYPES, ("metadata.name",), path=("subject", "name")),),
            summary="Kubernetes role binding to a service account",
        )
        for t in ("kubernetes_role_binding", "kubernetes_role_binding_v1",
                  "kubernetes_cluster_role_binding", "kubernetes_cluster_role_binding_v1")
    ),
)

VAULT_MORE: tuple[IdentityType, ...] = (
    IdentityType(
        "vault_approle_auth_backend_role", "principal", PHASE_PRINCIPAL, tags_path=None,
        inherit_by_reference=False, summary="Vault AppRole role",
        revocation="tokens already issued through the role stay valid until their TTL ends; "
                   "revoke them (vault token revoke -accessor) to end them at once.",
    ),
    IdentityType(
        "vault_approle_auth_backend_role_secret_id", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("role_name", APPROLE_TYPES, ("role_name",)),),
        secret_fields=("secret_id",), max_lifetime_days=90, summary="Vault AppRole secret ID",
    ),
    IdentityType(
        "vault_token", "credential", PHASE_CREDENTIAL, tags_path="metadata", max_lifetime_days=90,
        summary="Vault token",
        revocation="child tokens created from it are revoked with it unless it was created orphan.",
    ),
    IdentityType(
        "vault_kv_secret_v2", "secret", PHASE_PRINCIPAL, tags_path="custom_metadata.data",
        secret_fields=("data",), summary="Vault KV v2 secret",
        revocation="with delete_all_versions unset, destroying it deletes only the latest version; "
                   "earlier versions stay readable.",
    ),
    IdentityType(
        "vault_jwt_auth_backend_role", "federation", PHASE_PRINCIPAL, tags_path=None,
        inherit_by_reference=False, summary="Vault JWT/OIDC auth role",
        revocation="tokens already issued through the role stay valid until their TTL ends.",
    ),
)
