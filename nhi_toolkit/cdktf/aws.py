"""Typed wrappers for the AWS resources an AI integration's identities are made of.

Each wrapper is a plain ``TerraformResource`` of cdktf itself with the resource type set, so no
prebuilt provider bindings are needed; the wrapper only gives the attributes names and types.
Escape hatches (``add_override``) work on them as on any cdktf resource.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from constructs import Construct

from nhi_toolkit.cdktf._runtime import cdk

__all__ = [
    "AWS_PROVIDER_SOURCE",
    "AWS_PROVIDER_VERSION",
    "AwsProvider",
    "AwsResource",
    "IamAccessKey",
    "IamRole",
    "IamRolePolicy",
    "IamRolePolicyAttachment",
    "IamUser",
    "IamUserPolicyAttachment",
    "SecretsManagerSecret",
    "SecretsManagerSecretRotation",
    "policy_document",
]

AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION = ">= 5.0, < 7.0"


def _metadata() -> Any:
    return cdk.TerraformProviderGeneratorMetadata(
        provider_name="aws", provider_version_constraint=AWS_PROVIDER_VERSION)


def policy_document(document: str | Mapping[str, Any]) -> str:
    """An IAM policy as the JSON string Terraform expects (a mapping is serialized, sorted)."""
    if isinstance(document, str):
        return document
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


class AwsProvider(cdk.TerraformProvider):  # type: ignore[misc,name-defined]
    """The ``aws`` provider block (``hashicorp/aws``)."""

    def __init__(self, scope: Construct, id: str, *, region: str | None = None,
                 default_tags: Mapping[str, str] | None = None, alias: str | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type="aws",
                         terraform_generator_metadata=_metadata(),
                         terraform_provider_source=AWS_PROVIDER_SOURCE)
        self._attrs: dict[str, Any] = {}
        if region is not None:
            self._attrs["region"] = region
        if default_tags:
            self._attrs["default_tags"] = [{"tags": dict(default_tags)}]
        if alias is not None:
            self._attrs["alias"] = alias

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return dict(self._attrs)


class AwsResource(cdk.TerraformResource):  # type: ignore[misc,name-defined]
    """Base of the wrappers: holds the attributes and writes real Terraform references to itself.

    ``for_each`` is a Terraform expression (string); when set, :meth:`ref` indexes the resource with
    ``[each.key]``, which is right for a resource gated by the same keys.
    """

    resource_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, *, attributes: Mapping[str, Any],
                 logical_name: str | None = None, for_each: str | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=self.resource_type,
                         terraform_generator_metadata=_metadata())
        self._attrs = {k: v for k, v in attributes.items() if v is not None}
        self._gated = for_each is not None
        if for_each is not None:
            # cdktf's meta-arguments expect an iterator object; a raw expression goes in as an override.
            self.add_override("for_each", for_each)
        if logical_name is not None:
            self.override_logical_id(logical_name)
        self._logical: str = logical_name or self.friendly_unique_id

    @property
    def address(self) -> str:
        """The configuration address, ``type.name`` (without instance keys)."""
        return f"{self.resource_type}.{self._logical}"

    @property
    def attributes(self) -> Mapping[str, Any]:
        """The attributes as they will be synthesized (before escape-hatch overrides)."""
        return dict(self._attrs)

    def ref(self, attribute: str) -> str:
        """A Terraform reference to one of this resource's attributes."""
        key = "[each.key]" if self._gated else ""
        return f"${{{self.address}{key}.{attribute}}}"

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return dict(self._attrs)


class IamRole(AwsResource):
    """``aws_iam_role``: a principal assumed through its trust policy (the preferred identity)."""

    resource_type = "aws_iam_role"

    def __init__(self, scope: Construct, id: str, *, name: str, assume_role_policy: str | Mapping[str, Any],
                 description: str | None = None, max_session_duration: int | None = None,
                 permissions_boundary: str | None = None, path: str | None = None,
                 tags: Mapping[str, str] | None = None, logical_name: str | None = None,
                 for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each, attributes={
            "name": name, "assume_role_policy": policy_document(assume_role_policy),
            "description": description, "max_session_duration": max_session_duration,
            "permissions_boundary": permissions_boundary, "path": path,
            "tags": dict(tags) if tags is not None else None,
        })


class IamRolePolicyAttachment(AwsResource):
    """``aws_iam_role_policy_attachment``: a managed policy on a role (untaggable; inherits)."""

    resource_type = "aws_iam_role_policy_attachment"

    def __init__(self, scope: Construct, id: str, *, role: str, policy_arn: str,
                 logical_name: str | None = None, for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each,
                         attributes={"role": role, "policy_arn": policy_arn})


class IamRolePolicy(AwsResource):
    """``aws_iam_role_policy``: an inline policy on a role (untaggable; inherits)."""

    resource_type = "aws_iam_role_policy"

    def __init__(self, scope: Construct, id: str, *, role: str, name: str, policy: str | Mapping[str, Any],
                 logical_name: str | None = None, for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each,
                         attributes={"role": role, "name": name, "policy": policy_document(policy)})


class IamUser(AwsResource):
    """``aws_iam_user``: a static principal (the weaker choice: it needs long-lived keys)."""

    resource_type = "aws_iam_user"

    def __init__(self, scope: Construct, id: str, *, name: str, path: str | None = None,
                 permissions_boundary: str | None = None, force_destroy: bool | None = None,
                 tags: Mapping[str, str] | None = None, logical_name: str | None = None,
                 for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each, attributes={
            "name": name, "path": path, "permissions_boundary": permissions_boundary,
            "force_destroy": force_destroy, "tags": dict(tags) if tags is not None else None,
        })


class IamUserPolicyAttachment(AwsResource):
    """``aws_iam_user_policy_attachment``: a managed policy on a user (untaggable; inherits)."""

    resource_type = "aws_iam_user_policy_attachment"

    def __init__(self, scope: Construct, id: str, *, user: str, policy_arn: str,
                 logical_name: str | None = None, for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each,
                         attributes={"user": user, "policy_arn": policy_arn})


class IamAccessKey(AwsResource):
    """``aws_iam_access_key``: a static key of a user (untaggable; inherits from the user).

    Its secret lands in Terraform state unless ``pgp_key`` encrypts it.
    """

    resource_type = "aws_iam_access_key"

    def __init__(self, scope: Construct, id: str, *, user: str, status: str | None = None,
                 pgp_key: str | None = None, logical_name: str | None = None,
                 for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each,
                         attributes={"user": user, "status": status, "pgp_key": pgp_key})


class SecretsManagerSecret(AwsResource):
    """``aws_secretsmanager_secret``: the container of a third-party key; its value is put out-of-band."""

    resource_type = "aws_secretsmanager_secret"

    def __init__(self, scope: Construct, id: str, *, name: str, description: str | None = None,
                 kms_key_id: str | None = None, recovery_window_in_days: int | None = None,
                 tags: Mapping[str, str] | None = None, logical_name: str | None = None,
                 for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each, attributes={
            "name": name, "description": description, "kms_key_id": kms_key_id,
            "recovery_window_in_days": recovery_window_in_days,
            "tags": dict(tags) if tags is not None else None,
        })


class SecretsManagerSecretRotation(AwsResource):
    """``aws_secretsmanager_secret_rotation``: the Lambda that rotates (and so can revoke) the key."""

    resource_type = "aws_secretsmanager_secret_rotation"

    def __init__(self, scope: Construct, id: str, *, secret_id: str, rotation_lambda_arn: str,
                 automatically_after_days: int, logical_name: str | None = None,
                 for_each: str | None = None) -> None:
        super().__init__(scope, id, logical_name=logical_name, for_each=for_each, attributes={
            "secret_id": secret_id, "rotation_lambda_arn": rotation_lambda_arn,
            "rotation_rules": {"automatically_after_days": automatically_after_days},
        })

