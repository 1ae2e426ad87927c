"""``AiIntegration``: one construct per AI integration, whose identities are retirable by construction.

Every identity it emits carries the owner, expiry, purpose, approval, integration and revocation-path
tags (keys from the checker's config), is bounded by the type's maximum lifetime, and is declared only
while ``var.nhi_now`` is unset or before its expiry instant, so ``nhi retire`` can destroy it by
planning with ``nhi_now`` set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from constructs import Construct

from nhi_toolkit.cdktf._runtime import cdk
from nhi_toolkit.cdktf.aws import (
    AwsResource,
    IamAccessKey,
    IamRole,
    IamRolePolicy,
    IamRolePolicyAttachment,
    IamUser,
    IamUserPolicyAttachment,
    SecretsManagerSecret,
    SecretsManagerSecretRotation,
)
from nhi_toolkit.cdktf.declaration import (
    NHI_NOW_INSTANT_EXPRESSION,
    NHI_NOW_LOCAL,
    NHI_NOW_VARIABLE,
    Declaration,
    DeclarationError,
    check_lifetime,
    clock,
    gate_expression,
    suppression_entry,
)
from nhi_toolkit.config import Config

__all__ = [
    "AiIntegration",
    "ApiKeySecret",
    "StaticUser",
    "WorkloadRole",
    "declare_nhi_now",
    "default_config",
    "suppress",
]

_ROLE_TYPES = ("aws_iam_role", "aws_iam_role_policy_attachment", "aws_iam_role_policy")
_SECRET_TYPES = ("aws_secretsmanager_secret", "aws_secretsmanager_secret_rotation")
_USER_TYPES = ("aws_iam_user", "aws_iam_user_policy_attachment", "aws_iam_access_key")
_WIDE_SUBJECTS = {"*", "repo:*", "repo:*/*", "repo:*:*"}
_config_cache: dict[str, Config] = {}


def default_config() -> Config:
    """The checker's config as ``nhi check`` finds it from the current directory (read once)."""
    if "config" not in _config_cache:
        from nhi_toolkit.config import load_config

        _config_cache["config"] = load_config()
    return _config_cache["config"]


def declare_nhi_now(stack: Construct) -> None:
    """Declare ``variable "nhi_now"`` (string, default null) and its instant local, once per stack."""
    if stack.node.try_find_child(NHI_NOW_VARIABLE) is not None:
        return
    check = (f"${{var.{NHI_NOW_VARIABLE} == null ? true : can(timecmp("
             f"{NHI_NOW_INSTANT_EXPRESSION[2:-1]}, \"1970-01-01T00:00:00Z\"))}}")
    var = cdk.TerraformVariable(
        stack, NHI_NOW_VARIABLE, type="string", nullable=True,
        description="Retirement clock (YYYY-MM-DD or RFC 3339). Unset: every identity is declared. "
                    "Set: identities at or past their expiry are not declared, so a plan destroys them.",
        validation=[cdk.TerraformVariableValidationConfig(
            condition=check, error_message="nhi_now must be null, a date YYYY-MM-DD or an RFC 3339 "
                                           "timestamp with an offset.")],
    )
    var.override_logical_id(NHI_NOW_VARIABLE)
    var.add_override("default", cdk.Token.null_value())
    local = cdk.TerraformLocal(stack, NHI_NOW_LOCAL, NHI_NOW_INSTANT_EXPRESSION)
    local.override_logical_id(NHI_NOW_LOCAL)


def _write_nhi(resource: Any, **updates: Any) -> None:
    meta: dict[str, Any] = getattr(resource, "_nhi_meta", None) or {}
    for key, value in updates.items():
        if key == "suppress":
            meta.setdefault("suppress", []).append(value)
        else:
            meta[key] = value
    resource._nhi_meta = meta
    resource.add_override("//.nhi", meta)


def suppress(construct: Construct, rule: str, *, reason: str, until: object) -> None:
    """Waive one rule on a resource, or on every resource under a construct, until a date.

    The waiver is recorded in the synthesized ``//.nhi.suppress`` metadata, so ``NhiPolicy`` and
    ``nhi check`` honour the same one and both still list the finding, marked suppressed.
    """
    if isinstance(construct, AiIntegration):
        construct.suppress(rule, reason=reason, until=until)
        return
    entry = suppression_entry(construct.node.path, rule, reason, until)
    targets = [construct] if cdk.TerraformResource.is_terraform_resource(construct) else [
        c for c in construct.node.find_all() if cdk.TerraformResource.is_terraform_resource(c)]
    if not targets:
        raise DeclarationError(f"{construct.node.path}: no Terraform resource to suppress {rule} on")
    for target in targets:
        _write_nhi(target, suppress=dict(entry))


def _logical(*parts: str) -> str:
    text = "_".join(re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_") for p in parts if p)
    text = text.lower()
    return text if text[:1].isalpha() or text[:1] == "_" else f"nhi_{text}"


def _aws_name(*parts: str, limit: int) -> str:
    text = "-".join(re.sub(r"[^A-Za-z0-9+=,.@_-]+", "-", p).strip("-") for p in parts if p)
    return text[:limit].rstrip("-")


class _Identity(Construct):
    """Common part of the identity helpers: the declaration, the gate, the metadata."""

    def __init__(self, integration: AiIntegration, id: str, expires: object, types: tuple[str, ...]) -> None:
        super().__init__(integration, id)
        self.integration = integration
        path = self.node.path
        decl = integration.declaration
        if expires is not None:
            decl = decl.with_expiry(path, expires)
            if decl.expires_at > integration.declaration.expires_at:
                raise DeclarationError(f"{path}: expiry {decl.expires} is after the integration's "
                                       f"({integration.declaration.expires})")
        check_lifetime(decl, path, types, integration.config, integration.now)
        self.declaration = decl
        self.gate = gate_expression(decl.integration, decl.expires_at)
        self.tags = decl.tags(integration.config)
        self.resources: list[AwsResource] = []

    def _add(self, resource: AwsResource) -> AwsResource:
        self.resources.append(resource)
        self.integration._register(resource)
        return resource

    @property
    def expires_at(self) -> datetime:
        """The instant this identity stops being valid."""
        return self.declaration.expires_at


class WorkloadRole(_Identity):
    """An IAM role with its trust policy and policy attachments (the preferred identity)."""

    def __init__(self, integration: AiIntegration, id: str, *, trust_policy: Mapping[str, Any],
                 managed_policy_arns: Sequence[str], inline_policies: Mapping[str, Any],
                 role_name: str | None, description: str | None, max_session_duration: int | None,
                 permissions_boundary: str | None, expires: object) -> None:
        super().__init__(integration, id, expires, _ROLE_TYPES)
        base = _logical(integration.integration_name, id)
        self.role = self._add(IamRole(
            self, "role", logical_name=base, for_each=self.gate,
            name=role_name or _aws_name(integration.integration_name, id, limit=64),
            assume_role_policy=trust_policy,
            description=description or self.declaration.purpose,
            max_session_duration=max_session_duration, permissions_boundary=permissions_boundary,
            tags=self.tags))
        self.attachments: list[AwsResource] = []
        for i, arn in enumerate(managed_policy_arns):
            if not isinstance(arn, str) or not arn.strip():
                raise DeclarationError(f"{self.node.path}: managed policy {i} is not an ARN")
            self.attachments.append(self._add(IamRolePolicyAttachment(
                self, f"managed-{i}", logical_name=f"{base}_managed_{i}", for_each=self.gate,
                role=self.role.ref("name"), policy_arn=arn)))
        for name, doc in sorted(inline_policies.items()):
            self.attachments.append(self._add(IamRolePolicy(
                self, f"inline-{name}", logical_name=_logical(base, "inline", name), for_each=self.gate,
                role=self.role.ref("name"), name=name, policy=doc)))

    @property
    def arn(self) -> str:
        """Reference to the role's ARN (valid inside resources gated by the same integration)."""
        return self.role.ref("arn")


class ApiKeySecret(_Identity):
    """A third-party API key held in Secrets Manager, rotated by a Lambda; no value is synthesized."""

    def __init__(self, integration: AiIntegration, id: str, *, rotation_lambda_arn: str, rotation_days: int,
                 secret_name: str | None, description: str | None, kms_key_id: str | None,
                 recovery_window_in_days: int | None, expires: object) -> None:
        super().__init__(integration, id, expires, _SECRET_TYPES)
        if not isinstance(rotation_lambda_arn, str) or not rotation_lambda_arn.strip():
            raise DeclarationError(f"{self.node.path}: rotation_lambda_arn is missing: a stored key "
                                   "needs rotation to be revocable")
        if isinstance(rotation_days, bool) or not isinstance(rotation_days, int) or \
                not 1 <= rotation_days <= 365:
            raise DeclarationError(f"{self.node.path}: rotation_days must be a whole number of days "
                                   "from 1 to 365")
        base = _logical(integration.integration_name, id, "api_key")
        self.secret = self._add(SecretsManagerSecret(
            self, "secret", logical_name=base, for_each=self.gate,
            name=secret_name or f"ai/{integration.integration_name}/{id}",
            description=description or f"API key of {integration.integration_name}: "
                                       f"{self.declaration.purpose}",
            kms_key_id=kms_key_id, recovery_window_in_days=recovery_window_in_days, tags=self.tags))
        self.rotation = self._add(SecretsManagerSecretRotation(
            self, "rotation", logical_name=f"{base}_rotation", for_each=self.gate,
            secret_id=self.secret.ref("id"), rotation_lambda_arn=rotation_lambda_arn,
            automatically_after_days=rotation_days))

    @property
    def arn(self) -> str:
        """Reference to the secret's ARN (valid inside resources gated by the same integration)."""
        return self.secret.ref("arn")


class StaticUser(_Identity):
    """An IAM user with an access key: allowed, but the weaker choice, and flagged as such."""

    def __init__(self, integration: AiIntegration, id: str, *, justification: str,
                 managed_policy_arns: Sequence[str], user_name: str | None, pgp_key: str | None,
                 permissions_boundary: str | None, expires: object) -> None:
        super().__init__(integration, id, expires, _USER_TYPES)
        if not isinstance(justification, str) or len(justification.strip()) < 10:
            raise DeclarationError(f"{self.node.path}: a static access key needs a justification of at "
                                   "least 10 characters (why a role cannot be used)")
        base = _logical(integration.integration_name, id)
        self.user = self._add(IamUser(
            self, "user", logical_name=base, for_each=self.gate,
            name=user_name or _aws_name(integration.integration_name, id, limit=64),
            permissions_boundary=permissions_boundary, force_destroy=True, tags=self.tags))
        self.attachments: list[AwsResource] = []
        for i, arn in enumerate(managed_policy_arns):
            self.attachments.append(self._add(IamUserPolicyAttachment(
                self, f"managed-{i}", logical_name=f"{base}_managed_{i}", for_each=self.gate,
                user=self.user.ref("name"), policy_arn=arn)))
        self.access_key = self._add(IamAccessKey(
            self, "access-key", logical_name=f"{base}_key", for_each=self.gate,
            user=self.user.ref("name"), pgp_key=pgp_key))
        note = ("static access key: the weaker choice (long-lived secret in Terraform state); "
                f"justification: {justification.strip()}")
        for res in (self.user, self.access_key):
            _write_nhi(res, weaker_choice=justification.strip())
        cdk.Annotations.of(self).add_warning(note)


class AiIntegration(Construct):
    """One AI integration and every non-human identity it uses on AWS.

    ``owner``, ``expires`` (a date, valid through that day in UTC, or an RFC 3339 timestamp),
    ``purpose`` and ``approved_by`` are required and validated here: a missing or invalid value, or
    an expiry beyond the maximum lifetime of an identity type it emits (measured from ``NHI_NOW`` or
    the clock), raises :class:`DeclarationError` naming the construct path. An expiry already past
    is accepted: the integration still synthesizes so that it can be retired.
    """

    def __init__(self, scope: Construct, id: str, *, owner: str, expires: object, purpose: str,
                 approved_by: str, name: str | None = None, revocation_path: str = "terraform-destroy",
                 extra_tags: Mapping[str, str] | None = None, config: Config | None = None) -> None:
        super().__init__(scope, id)
        self.config = config or default_config()
        self.now = clock()
        self.declaration = Declaration.make(
            self.node.path, owner=owner, expires=expires, purpose=purpose, approved_by=approved_by,
            integration=name or id, revocation_path=revocation_path, extra_tags=extra_tags)
        self.identities: list[AwsResource] = []
        self._suppressions: list[dict[str, Any]] = []
        declare_nhi_now(cdk.TerraformStack.of(self))

    @property
    def integration_name(self) -> str:
        """The integration tag value and the ``for_each`` key of every identity."""
        return self.declaration.integration

    @property
    def tags(self) -> dict[str, str]:
        """The tags each identity carries (for resources declared outside the helpers)."""
        return self.declaration.tags(self.config)

    @property
    def gate(self) -> str:
        """The ``for_each`` expression gating this integration's identities on ``nhi_now``."""
        return gate_expression(self.integration_name, self.declaration.expires_at)

    @property
    def expired(self) -> bool:
        """True when the integration is past its expiry by ``NHI_NOW`` (or the clock)."""
        return self.declaration.expired(self.now)

    def _register(self, resource: AwsResource) -> None:
        self.identities.append(resource)
        _write_nhi(resource, integration=self.integration_name,
                   revocation_path=self.declaration.revocation_path)
        for entry in self._suppressions:
            _write_nhi(resource, suppress=dict(entry))

    def suppress(self, rule: str, *, reason: str, until: object) -> None:
        """Waive one rule on every identity of this integration (present and future) until a date."""
        entry = suppression_entry(self.node.path, rule, reason, until)
        self._suppressions.append(entry)
        for resource in self.identities:
            _write_nhi(resource, suppress=dict(entry))

    def workload_role(self, id: str = "workload-role", *, trusted_service: str | Sequence[str],
                      managed_policy_arns: Sequence[str] = (),
                      inline_policies: Mapping[str, str | Mapping[str, Any]] | None = None,
                      source_account: str | None = None, role_name: str | None = None,
                      description: str | None = None, max_session_duration: int | None = None,
                      permissions_boundary: str | None = None, expires: object = None) -> WorkloadRole:
        """A role the integration's compute assumes (Bedrock, Lambda, ECS, Step Functions ...)."""
        services = [trusted_service] if isinstance(trusted_service, str) else list(trusted_service)
        if not services or not all(isinstance(s, str) and s.endswith(".amazonaws.com") for s in services):
            raise DeclarationError(f"{self.node.path}/{id}: trusted_service must name AWS services "
                                   "(e.g. bedrock.amazonaws.com)")
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": sorted(services)},
                                     "Action": "sts:AssumeRole"}
        if source_account:
            statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
        return WorkloadRole(self, id, trust_policy={"Version": "2012-10-17", "Statement": [statement]},
                            managed_policy_arns=managed_policy_arns, inline_policies=inline_policies or {},
                            role_name=role_name, description=description,
                            max_session_duration=max_session_duration,
                            permissions_boundary=permissions_boundary, expires=expires)

    def ci_oidc_role(self, id: str = "ci-role", *, provider_arn: str, subjects: Sequence[str],
                     issuer: str = "token.actions.githubusercontent.com", audience: str = "sts.amazonaws.com",
                     managed_policy_arns: Sequence[str] = (),
                     inline_policies: Mapping[str, str | Mapping[str, Any]] | None = None,
                     role_name: str | None = None, max_session_duration: int | None = 3600,
                     permissions_boundary: str | None = None, expires: object = None) -> WorkloadRole:
        """A role CI assumes through an existing OIDC provider, limited to the given token subjects."""
        path = f"{self.node.path}/{id}"
        if not isinstance(provider_arn, str) or ":oidc-provider/" not in provider_arn:
            raise DeclarationError(f"{path}: provider_arn must be an IAM OIDC provider ARN")
        subs = [subjects] if isinstance(subjects, str) else list(subjects)
        if not subs or any(not isinstance(s, str) or s.strip() in _WIDE_SUBJECTS for s in subs):
            raise DeclarationError(f"{path}: subjects must name the repositories and refs allowed "
                                   "(e.g. repo:org/repo:ref:refs/heads/main), never a bare wildcard")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{issuer}:aud": audience},
                          "StringLike": {f"{issuer}:sub": sorted(subs)}},
        }]}
        return WorkloadRole(self, id, trust_policy=trust, managed_policy_arns=managed_policy_arns,
                            inline_policies=inline_policies or {}, role_name=role_name,
                            description=f"CI role of {self.integration_name}",
                            max_session_duration=max_session_duration,
                            permissions_boundary=permissions_boundary, expires=expires)

    def api_key_secret(self, id: str, *, rotation_lambda_arn: str, rotation_days: int = 30,
                       secret_name: str | None = None, description: str | None = None,
                       kms_key_id: str | None = None, recovery_window_in_days: int | None = 7,
                       expires: object = None) -> ApiKeySecret:
        """A Secrets Manager secret for a third-party key, with rotation; its value is put out-of-band."""
        return ApiKeySecret(self, id, rotation_lambda_arn=rotation_lambda_arn, rotation_days=rotation_days,
                            secret_name=secret_name, description=description, kms_key_id=kms_key_id,
                            recovery_window_in_days=recovery_window_in_days, expires=expires)

    def static_user(self, id: str = "static-user", *, justification: str,
                    managed_policy_arns: Sequence[str] = (), user_name: str | None = None,
                    pgp_key: str | None = None, permissions_boundary: str | None = None,
                    expires: object = None) -> StaticUser:
        """An IAM user with an access key, for a consumer that cannot assume a role (flagged)."""
        return StaticUser(self, id, justification=justification, managed_policy_arns=managed_policy_arns,
                          user_name=user_name, pgp_key=pgp_key, permissions_boundary=permissions_boundary,
                          expires=expires)
