"""What a catalog entry says: the identity type record, its parent links and conditions, the
revocation phases and the attribute names that always hold secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from nhi_toolkit.recordtype import record

__all__ = [
    "CATEGORIES",
    "PHASE_CREDENTIAL",
    "PHASE_PERMISSION",
    "PHASE_PRINCIPAL",
    "SECRET_FIELDS",
    "Condition",
    "IdentityType",
    "NoneOf",
    "ParentLink",
    "Prefix",
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
        # GitLab runner tokens, Databricks token values.
        "registration_token",
        "authentication_token",
        "token_value",
    }
)


@record()
class Prefix:
    """A condition: the attribute's text starts with ``text`` (``serviceAccount:``)."""

    text: str


@record()
class NoneOf:
    """A condition: the attribute is absent or none of ``values`` (``principal_type``)."""

    values: tuple[str, ...]


Condition = str | bool | Prefix | NoneOf
"""Plain values must be equal (a list attribute: any element equal); unknown values always pass."""


@record()
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


@record()
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
