"""The catalog of resource types that are non-human identities, and how they hang together.

Each entry says what an identity type is (principal, credential, permission, secret ...), where its
tags live, which parent it inherits owner and expiry from (a key from its user, a version from its
secret), its phase in revocation order, and its default maximum lifetime. Users extend the catalog
with ``[tool.nhi.identity_types.<type>]`` in config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

__all__ = [
    "BUILTIN_TYPES",
    "CATEGORIES",
    "PHASE_CREDENTIAL",
    "PHASE_PERMISSION",
    "PHASE_PRINCIPAL",
    "SECRET_FIELDS",
    "IdentityType",
    "NoneOf",
    "ParentLink",
    "Prefix",
    "build_catalog",
    "secret_fields_for",
]

#: Revocation order: credentials and secret copies first, then permissions, then principals.
PHASE_CREDENTIAL = 0
PHASE_PERMISSION = 1
PHASE_PRINCIPAL = 2

CATEGORIES = ("principal", "credential", "permission", "secret", "secret-copy", "federation", "custom")

#: Attribute names that hold secret material in any provider. Loaders drop them wherever they appear
#: as a resource attribute, in addition to everything Terraform itself marks sensitive.
SECRET_FIELDS = frozenset(
    {
        "secret",
        "ses_smtp_password_v4",
        "encrypted_secret",
        "secret_string",
        "secret_string_wo",
        "secret_binary",
        "private_key",
        "private_key_pem",
        "private_key_pem_pkcs8",
        "private_key_openssh",
        "password",
        "password_wo",
        "encrypted_password",
        "service_password",
        "value",
        "value_wo",
        "insecure_value",
        "plaintext_value",
        "encrypted_value",
        "client_secret",
        "key_value",
        "token",
        "access_token",
        "api_key",
        "master_password",
        # GCP API keys, Secret Manager versions, Azure access keys, Vault tokens and KV data,
        # Kubernetes binary data: never an identity's name, parent link or tag.
        "key_string",
        "secret_data",
        "secret_data_wo",
        "primary_access_key",
        "secondary_access_key",
        "custom_question_answering_search_service_key",
        "client_token",
        "wrapped_token",
        "wrapping_token",
        "data_json",
        "data_json_wo",
        "binary_data",
        "data_wo",
    }
)


@dataclass(frozen=True)
class Prefix:
    """A condition: the attribute's text starts with ``text`` (``serviceAccount:``)."""

    text: str


@dataclass(frozen=True)
class NoneOf:
    """A condition: the attribute is absent or none of ``values`` (``principal_type``)."""

    values: tuple[str, ...]


Condition = str | bool | Prefix | NoneOf
"""Plain values must be equal (a list attribute: any element equal); unknown values always pass."""


@dataclass(frozen=True)
class ParentLink:
    """How a child finds its parent: its ``attr`` equals one of the parent's ``parent_attrs``."""

    attr: str
    parent_types: tuple[str, ...]
    parent_attrs: tuple[str, ...] = ("name",)
    """Parent attributes to match, as dotted paths (``metadata.name``)."""
    path: tuple[str, ...] = ()
    """Steps to the child's value when ``attr`` is not a top-level attribute (nested blocks, map keys
    with dots such as ``kubernetes.io/service-account.name``); list elements are searched each."""
    prefix: str = ""
    """Only child values starting with this count, compared without it (``serviceAccount:``)."""

    @property
    def steps(self) -> tuple[str, ...]:
        """The path to the child's value."""
        return self.path or ((self.attr,) if self.attr else ())


@dataclass(frozen=True)
class IdentityType:
    """One catalogued identity resource type."""

    type: str
    category: str
    phase: int
    tags_path: str | None = "tags"
    """Dotted path to the tags inside the resource's (decoded) values; None when untaggable."""
    tags_format: str = "map"
    """``map`` (key -> value), ``list`` (``key=value``/``key:value`` strings), ``kv-text`` (text)."""
    parents: tuple[ParentLink, ...] = ()
    max_lifetime_days: int | None = 365
    default_tags: bool = False
    """Whether provider ``default_tags`` apply (AWS provider)."""
    condition: Mapping[str, Condition] = field(default_factory=dict)
    """Attribute values (dotted paths) the resource must have to count (SSM ``type = SecureString``)."""
    summary: str = ""
    extra_tags_paths: tuple[str, ...] = ()
    """Further tag maps merged over ``tags_path`` (Kubernetes annotations over labels)."""
    ignored_tag_keys: tuple[str, ...] = ()
    """Substrings of keys the platform itself sets (``kubernetes.io/``): not the identity's own
    tags, so an identity carrying only those still inherits from its parent."""
    secret_fields: tuple[str, ...] = ()
    """Attributes of this type holding secret material beyond :data:`SECRET_FIELDS` (a name that
    is harmless elsewhere, such as ``data`` or ``secret_id``); the loaders drop them too."""
    not_secret: tuple[str, ...] = ()
    """Attributes named like a secret field that hold none for this type (the ``secret`` a Secret
    Manager version belongs to): kept, so the parent can be matched."""
    platform_managed: bool = False
    """The platform owns its lifecycle (AWS service-linked roles): reported by ``platform-managed``
    instead of a missing owner or expiry."""
    inherit_by_reference: bool = True
    """An untaggable type with no parent link inherits from what it references (a GitHub secret from
    the key it holds), else from a referrer. False for containers that others merely point at."""
    revocation: str = ""
    """What revoking it involves beyond ``terraform destroy``: a manual step of every retirement."""

    @property
    def taggable(self) -> bool:
        """True when the type can carry its own owner and expiry tags."""
        return self.tags_path is not None


def _aws(type_: str, category: str, phase: int, summary: str, **kw: object) -> IdentityType:
    return IdentityType(type_, category, phase, default_tags=True, summary=summary, **kw)  # type: ignore[arg-type]


_USER = ("aws_iam_user",)
_ROLE = ("aws_iam_role",)
_GROUP = ("aws_iam_group",)
_SECRET = ("aws_secretsmanager_secret",)
_GSA = ("google_service_account",)
_AZ_APP = ("azuread_application",)
_AZ_SP = ("azuread_service_principal",)
_AZ_UAI = ("azurerm_user_assigned_identity",)
_GSM = ("google_secret_manager_secret",)
_WIP = ("google_iam_workload_identity_pool",)
_K8S_SA = ("kubernetes_service_account", "kubernetes_service_account_v1")
_APPROLE = ("vault_approle_auth_backend_role",)
_GSA_MATCH = ("name", "id", "email", "account_id")

_CORE_TYPES: tuple[IdentityType, ...] = (
    # AWS IAM principals
    _aws("aws_iam_user", "principal", PHASE_PRINCIPAL, "IAM user", max_lifetime_days=365),
    _aws("aws_iam_role", "principal", PHASE_PRINCIPAL, "IAM role", max_lifetime_days=365),
    _aws("aws_iam_openid_connect_provider", "federation", PHASE_PRINCIPAL, "OIDC identity provider"),
    _aws(
        "aws_iam_instance_profile", "permission", PHASE_PERMISSION, "Instance profile",
        parents=(ParentLink("role", _ROLE),),
    ),
    # AWS IAM credentials
    _aws(
        "aws_iam_access_key", "credential", PHASE_CREDENTIAL, "Static access key",
        tags_path=None, parents=(ParentLink("user", _USER),), max_lifetime_days=90,
    ),
    _aws(
        "aws_iam_service_specific_credential", "credential", PHASE_CREDENTIAL,
        "Service-specific credential", tags_path=None,
        parents=(ParentLink("user_name", _USER),), max_lifetime_days=90,
    ),
    _aws(
        "aws_iam_user_login_profile", "credential", PHASE_CREDENTIAL, "Console password",
        tags_path=None, parents=(ParentLink("user", _USER),), max_lifetime_days=90,
    ),
    _aws(
        "aws_iam_user_ssh_key", "credential", PHASE_CREDENTIAL, "SSH public key for CodeCommit",
        tags_path=None, parents=(ParentLink("username", _USER),), max_lifetime_days=90,
    ),
    _aws(
        "aws_iam_signing_certificate", "credential", PHASE_CREDENTIAL, "Signing certificate",
        tags_path=None, parents=(ParentLink("user_name", _USER),), max_lifetime_days=90,
    ),
    # AWS IAM permissions
    _aws(
        "aws_iam_user_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a user",
        tags_path=None, parents=(ParentLink("user", _USER),),
    ),
    _aws(
        "aws_iam_role_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a role",
        tags_path=None, parents=(ParentLink("role", _ROLE, ("name", "id")),),
    ),
    _aws(
        "aws_iam_user_policy", "permission", PHASE_PERMISSION, "Inline policy on a user",
        tags_path=None, parents=(ParentLink("user", _USER),),
    ),
    _aws(
        "aws_iam_role_policy", "permission", PHASE_PERMISSION, "Inline policy on a role",
        tags_path=None, parents=(ParentLink("role", _ROLE, ("name", "id")),),
    ),
    _aws(
        "aws_iam_policy_attachment", "permission", PHASE_PERMISSION, "Exclusive policy attachment",
        tags_path=None,
        parents=(ParentLink("users", _USER), ParentLink("roles", _ROLE), ParentLink("groups", _GROUP)),
    ),
    # AWS secrets
    _aws("aws_secretsmanager_secret", "secret", PHASE_PRINCIPAL, "Secrets Manager secret"),
    _aws(
        "aws_secretsmanager_secret_version", "secret-copy", PHASE_CREDENTIAL, "Secret value",
        tags_path=None, parents=(ParentLink("secret_id", _SECRET, ("id", "arn", "name")),),
    ),
    _aws(
        "aws_secretsmanager_secret_rotation", "permission", PHASE_PERMISSION, "Secret rotation",
        tags_path=None, parents=(ParentLink("secret_id", _SECRET, ("id", "arn", "name")),),
    ),
    _aws(
        "aws_secretsmanager_secret_policy", "permission", PHASE_PERMISSION, "Secret resource policy",
        tags_path=None, parents=(ParentLink("secret_arn", _SECRET, ("arn", "id")),),
    ),
    _aws(
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
        parents=(ParentLink("service_account_id", _GSA, _GSA_MATCH),),
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
            ParentLink("client_id", _AZ_APP, ("client_id", "application_id")),
            ParentLink("application_id", _AZ_APP, ("application_id", "client_id")),
        ),
        summary="Service principal",
    ),
    IdentityType(
        "azuread_application_password", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("application_id", _AZ_APP, ("id", "object_id")),
            ParentLink("application_object_id", _AZ_APP, ("object_id", "id")),
        ),
        max_lifetime_days=180, summary="Application client secret",
    ),
    IdentityType(
        "azuread_application_certificate", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("application_id", _AZ_APP, ("id", "object_id")),
            ParentLink("application_object_id", _AZ_APP, ("object_id", "id")),
        ),
        max_lifetime_days=365, summary="Application certificate",
    ),
    IdentityType(
        "azuread_service_principal_password", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("service_principal_id", _AZ_SP, ("id", "object_id")),),
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

# --- How AI integrations are wired beyond IAM users and keys ------------------------------------
# Grants (group policies, memberships, role bindings, role assignments, IAM members) are not
# identities of their own: untaggable, they inherit owner and expiry from the principal they grant to.

_AWS_MORE: tuple[IdentityType, ...] = (
    # A group cannot carry tags; it is the managed parent of its policies and attachments.
    # Membership is a grant to the user (else, for an unmanaged user, to the group).
    _aws(
        "aws_iam_group", "permission", PHASE_PERMISSION, "IAM group", tags_path=None,
        inherit_by_reference=False,
        revocation="users still in the group keep its permissions until the group is gone; "
                   "memberships managed elsewhere must be removed before the group can be deleted.",
    ),
    _aws(
        "aws_iam_group_policy", "permission", PHASE_PERMISSION, "Inline policy on a group",
        tags_path=None, parents=(ParentLink("group", _GROUP, ("name", "id")),),
    ),
    _aws(
        "aws_iam_group_policy_attachment", "permission", PHASE_PERMISSION, "Managed policy on a group",
        tags_path=None, parents=(ParentLink("group", _GROUP, ("name", "id")),),
    ),
    _aws(
        "aws_iam_group_membership", "permission", PHASE_PERMISSION, "Group membership of users",
        tags_path=None,
        parents=(ParentLink("users", _USER), ParentLink("group", _GROUP, ("name", "id"))),
    ),
    _aws(
        "aws_iam_user_group_membership", "permission", PHASE_PERMISSION, "A user's group memberships",
        tags_path=None, parents=(ParentLink("user", _USER), ParentLink("groups", _GROUP)),
    ),
    # AWS creates and scopes these for a service; it deletes one only once nothing uses it.
    _aws(
        "aws_iam_service_linked_role", "principal", PHASE_PRINCIPAL, "Service-linked role",
        platform_managed=True, inherit_by_reference=False,
        revocation="AWS deletes a service-linked role only when no resource of its service uses "
                   "it any more; the deletion runs asynchronously (check "
                   "iam:GetServiceLinkedRoleDeletionStatus).",
    ),
    # Services that act as a role: the role is the identity; each of these is a use of it, a child
    # of the role like an instance profile (own tags, else the role's), revoked before the role.
    _aws(
        "aws_bedrockagent_agent", "permission", PHASE_PERMISSION, "Bedrock agent (uses its execution role)",
        parents=(ParentLink("agent_resource_role_arn", _ROLE, ("arn", "name")),),
        revocation="destroying it deletes the Bedrock agent itself, not only its use of the role.",
    ),
    _aws(
        "aws_bedrockagent_knowledge_base", "permission", PHASE_PERMISSION,
        "Bedrock knowledge base (uses its execution role)",
        parents=(ParentLink("role_arn", _ROLE, ("arn", "name")),),
        revocation="destroying it deletes the knowledge base itself; its data source stays.",
    ),
    _aws(
        "aws_sagemaker_domain", "permission", PHASE_PERMISSION,
        "SageMaker domain (uses its default execution role)",
        parents=(ParentLink("execution_role", _ROLE, ("arn", "name"),
                            path=("default_user_settings", "execution_role")),),
        revocation="destroying it deletes the SageMaker domain and, with retention_policy "
                   "home_efs_file_system = Delete, its users' home file system.",
    ),
    _aws(
        "aws_sagemaker_user_profile", "permission", PHASE_PERMISSION,
        "SageMaker user profile (uses its execution role)",
        parents=(ParentLink("execution_role", _ROLE, ("arn", "name"),
                            path=("user_settings", "execution_role")),),
        revocation="its running apps must be deleted before the profile can be.",
    ),
    _aws(
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

_GCP_MORE: tuple[IdentityType, ...] = (
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
        parents=(ParentLink("secret", _GSM, ("id", "name", "secret_id")),), not_secret=("secret",),
        summary="Secret Manager secret version",
    ),
    *(
        IdentityType(
            t, "permission", PHASE_PERMISSION, tags_path=None,
            parents=(ParentLink("service_account_id", _GSA, _GSA_MATCH),),
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
            parents=(ParentLink("member", _GSA, ("email",), prefix="serviceAccount:"),),
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
        parents=(ParentLink("workload_identity_pool_id", _WIP, ("workload_identity_pool_id", "name", "id")),),
        summary="Workload identity pool provider",
        revocation="tokens already exchanged through the provider stay valid until they expire "
                   "(up to 1 hour).",
    ),
)

_AZURE_MORE: tuple[IdentityType, ...] = (
    IdentityType(
        "azurerm_user_assigned_identity", "principal", PHASE_PRINCIPAL,
        summary="User-assigned managed identity",
        revocation="tokens already issued for the identity stay valid until they expire (up to "
                   "24 hours).",
    ),
    IdentityType(
        "azurerm_federated_identity_credential", "federation", PHASE_CREDENTIAL, tags_path=None,
        parents=(
            ParentLink("parent_id", _AZ_UAI, ("id",)),
            ParentLink("user_assigned_identity_id", _AZ_UAI, ("id",)),
        ),
        summary="Federated credential of a user-assigned identity",
    ),
    IdentityType(
        "azuread_application_federated_identity_credential", "federation", PHASE_CREDENTIAL,
        tags_path=None,
        parents=(
            ParentLink("application_id", _AZ_APP, ("id", "object_id")),
            ParentLink("application_object_id", _AZ_APP, ("object_id", "id")),
        ),
        summary="Federated credential of an application",
    ),
    IdentityType(
        "azuread_service_principal_certificate", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("service_principal_id", _AZ_SP, ("id", "object_id")),),
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
            ParentLink("principal_id", _AZ_UAI, ("principal_id",)),
            ParentLink("principal_id", _AZ_SP, ("object_id", "id")),
        ),
        summary="Azure role assignment",
    ),
)

_GITHUB_MORE: tuple[IdentityType, ...] = (
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

_K8S_MORE: tuple[IdentityType, ...] = (
    *(
        IdentityType(t, "principal", PHASE_PRINCIPAL, summary="Kubernetes service account",
                     tags_path="metadata.labels", extra_tags_paths=("metadata.annotations",),
                     ignored_tag_keys=("kubernetes.io/",),
                     revocation="bound tokens already issued to pods stay valid until they expire.")
        for t in _K8S_SA
    ),
    # Long-lived token secrets: the service account's credential. Its own labels/annotations count
    # (beside the kubernetes.io/ ones every token secret has); without them it inherits.
    *(
        IdentityType(
            t, "credential", PHASE_CREDENTIAL, tags_path="metadata.labels",
            extra_tags_paths=("metadata.annotations",), ignored_tag_keys=("kubernetes.io/",),
            condition={"type": "kubernetes.io/service-account-token"},
            parents=(ParentLink("metadata", _K8S_SA, ("metadata.name",),
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
            parents=(ParentLink("subject", _K8S_SA, ("metadata.name",), path=("subject", "name")),),
            summary="Kubernetes role binding to a service account",
        )
        for t in ("kubernetes_role_binding", "kubernetes_role_binding_v1",
                  "kubernetes_cluster_role_binding", "kubernetes_cluster_role_binding_v1")
    ),
)

_VAULT_MORE: tuple[IdentityType, ...] = (
    IdentityType(
        "vault_approle_auth_backend_role", "principal", PHASE_PRINCIPAL, tags_path=None,
        inherit_by_reference=False, summary="Vault AppRole role",
        revocation="tokens already issued through the role stay valid until their TTL ends; "
                   "revoke them (vault token revoke -accessor) to end them at once.",
    ),
    IdentityType(
        "vault_approle_auth_backend_role_secret_id", "credential", PHASE_CREDENTIAL, tags_path=None,
        parents=(ParentLink("role_name", _APPROLE, ("role_name",)),),
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

BUILTIN_TYPES: tuple[IdentityType, ...] = _CORE_TYPES + _AWS_MORE + _GCP_MORE + _AZURE_MORE + _GITHUB_MORE + _K8S_MORE + _VAULT_MORE

_TYPE_SECRETS: dict[str, frozenset[str]] = {
    t.type: (SECRET_FIELDS - frozenset(t.not_secret)) | frozenset(t.secret_fields)
    for t in BUILTIN_TYPES if t.secret_fields or t.not_secret
}


def secret_fields_for(rtype: str) -> frozenset[str]:
    """The attribute names a loader drops from a resource of this type."""
    return _TYPE_SECRETS.get(rtype, SECRET_FIELDS)


def build_catalog(custom: Mapping[str, IdentityType] | None = None) -> dict[str, IdentityType]:
    """The built-in catalog with user-declared types added (a user entry replaces a built-in one)."""
    catalog = {t.type: t for t in BUILTIN_TYPES}
    for name, entry in (custom or {}).items():
        catalog[name] = replace(entry, type=name)
    return catalog
