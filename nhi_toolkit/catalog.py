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
    "ParentLink",
    "build_catalog",
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
    }
)


@dataclass(frozen=True)
class ParentLink:
    """How a child finds its parent: its ``attr`` equals one of the parent's ``parent_attrs``."""

    attr: str
    parent_types: tuple[str, ...]
    parent_attrs: tuple[str, ...] = ("name",)


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
    condition: Mapping[str, str] = field(default_factory=dict)
    """Attribute values the resource must have to count (e.g. SSM ``type = SecureString``)."""
    summary: str = ""

    @property
    def taggable(self) -> bool:
        """True when the type can carry its own owner and expiry tags."""
        return self.tags_path is not None


def _aws(type_: str, category: str, phase: int, summary: str, **kw: object) -> IdentityType:
    return IdentityType(type_, category, phase, default_tags=True, summary=summary, **kw)  # type: ignore[arg-type]


_USER = ("aws_iam_user",)
_ROLE = ("aws_iam_role",)
_SECRET = ("aws_secretsmanager_secret",)
_GSA = ("google_service_account",)
_AZ_APP = ("azuread_application",)
_AZ_SP = ("azuread_service_principal",)

BUILTIN_TYPES: tuple[IdentityType, ...] = (
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
        tags_path=None, parents=(ParentLink("users", _USER), ParentLink("roles", _ROLE)),
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
        parents=(ParentLink("service_account_id", _GSA, ("name", "id", "email", "account_id")),),
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


def build_catalog(custom: Mapping[str, IdentityType] | None = None) -> dict[str, IdentityType]:
    """The built-in catalog with user-declared types added (a user entry replaces a built-in one)."""
    catalog = {t.type: t for t in BUILTIN_TYPES}
    for name, entry in (custom or {}).items():
        catalog[name] = replace(entry, type=name)
    return catalog
