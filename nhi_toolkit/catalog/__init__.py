"""The catalog of resource types that are non-human identities, and how they hang together.

Each entry says what an identity type is (principal, credential, permission, secret ...), where its
tags live, which parent it inherits owner and expiry from (a key from its user, a version from its
secret), its phase in revocation order, and its default maximum lifetime. Users extend the catalog
with ``[tool.nhi.identity_types.<type>]`` in config.

The record types live in :mod:`.schema`, the built-in tables in :mod:`.core` (IAM users, roles, keys,
service accounts, ...), :mod:`.wiring` (grants, memberships, API keys, tokens, by provider) and
:mod:`.saas` (GitLab, Terraform Cloud/Enterprise, Datadog and Databricks tokens and principals); this
module assembles them and looks types up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from nhi_toolkit.catalog.core import CORE_TYPES
from nhi_toolkit.catalog.saas import SAAS_TYPES
from nhi_toolkit.catalog.schema import (
    CATEGORIES,
    PHASE_CREDENTIAL,
    PHASE_PERMISSION,
    PHASE_PRINCIPAL,
    SECRET_FIELDS,
    Condition,
    IdentityType,
    NoneOf,
    ParentLink,
    Prefix,
)
from nhi_toolkit.catalog.wiring import AWS_MORE, AZURE_MORE, GCP_MORE, GITHUB_MORE, K8S_MORE, VAULT_MORE

__all__ = [
    "BUILTIN_TYPES",
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
    "build_catalog",
    "secret_fields_for",
]

BUILTIN_TYPES: tuple[IdentityType, ...] = (
    CORE_TYPES + AWS_MORE + GCP_MORE + AZURE_MORE + GITHUB_MORE + K8S_MORE + VAULT_MORE + SAAS_TYPES
)

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
