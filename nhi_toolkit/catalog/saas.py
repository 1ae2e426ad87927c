"""Built-in identity types of the platforms AI integrations reach through tokens: GitLab, Terraform
Cloud/Enterprise (``tfe``), Datadog and Databricks.

None of these resources can carry tags or labels. A token that belongs to a service account or
service principal managed in the same configuration inherits its owner and expiry from it (a parent
link); every other one inherits from what it references, else from a referrer, as GitHub secrets and
TLS keys do; what has neither is given owner and expiry by ``[[tool.nhi.declarations]]``, and the
findings say so. Service accounts and principals are containers others point at: they inherit from
nothing. Where the token itself expires (GitLab ``expires_at``, tfe ``expired_at``, Databricks
``lifetime_seconds``/``expire_time``), :mod:`nhi_toolkit.native_expiry` reads that instant.

Left out on purpose: stores of a value made elsewhere (``tfe_variable``, ``databricks_secret``,
``gitlab_project_variable``, ``databricks_git_credential``), like any other variable or setting that
may hold a secret, and SSH or GPG public keys.
"""

from __future__ import annotations

from nhi_toolkit.catalog.schema import PHASE_CREDENTIAL, PHASE_PRINCIPAL, IdentityType, ParentLink

__all__ = ["DATABRICKS_MORE", "DATADOG_MORE", "GITLAB_MORE", "SAAS_TYPES", "TFE_MORE"]

GITLAB_SA_TYPES = ("gitlab_group_service_account",)
DATADOG_SA_TYPES = ("datadog_service_account",)
DATABRICKS_SP_TYPES = ("databricks_service_principal",)

_GITLAB_TOKEN = ("destroying it revokes the token; a token made from it through the rotate API "
                 "outside Terraform is a new token that stays valid until it is revoked or expires.")


def _token(type_: str, summary: str, days: int | None = 365, revocation: str = "",
           **kw: object) -> IdentityType:
    """An untaggable credential of these platforms."""
    return IdentityType(type_, "credential", PHASE_CREDENTIAL, tags_path=None, max_lifetime_days=days,
                        summary=summary, revocation=revocation, **kw)  # type: ignore[arg-type]


GITLAB_MORE: tuple[IdentityType, ...] = (
    # Service accounts (group, instance, project) are bot users: no tags, declared, the parent of
    # their tokens. A group account's tokens name it by user_id; a personal access token or an
    # impersonation token of any account (user_id = <account>.service_account_id) inherits from the
    # account it references, as a token of a human user (not managed here) inherits from nothing.
    *(
        IdentityType(t, "principal", PHASE_PRINCIPAL, tags_path=None, inherit_by_reference=False,
                     summary=summary)
        for t, summary in (
            ("gitlab_group_service_account", "GitLab group service account"),
            ("gitlab_instance_service_account", "GitLab instance service account"),
            ("gitlab_project_service_account", "GitLab project service account"),
        )
    ),
    _token("gitlab_personal_access_token", "GitLab personal access token", revocation=_GITLAB_TOKEN),
    _token("gitlab_user_impersonation_token", "GitLab impersonation token (of a user, made by an admin)",
           revocation=_GITLAB_TOKEN),
    _token("gitlab_project_access_token", "GitLab project access token", revocation=_GITLAB_TOKEN),
    _token("gitlab_group_access_token", "GitLab group access token", revocation=_GITLAB_TOKEN),
    _token("gitlab_group_service_account_access_token", "GitLab group service account access token",
           parents=(ParentLink("user_id", GITLAB_SA_TYPES, ("service_account_id",)),),
           revocation=_GITLAB_TOKEN),
    *(
        _token(t, summary, revocation="destroying it revokes the token; registries and clones that "
                                      "hold it fail from then on.")
        for t, summary in (
            ("gitlab_deploy_token", "GitLab deploy token"),
            ("gitlab_project_deploy_token", "GitLab project deploy token"),
            ("gitlab_group_deploy_token", "GitLab group deploy token"),
        )
    ),
    _token("gitlab_pipeline_trigger", "GitLab pipeline trigger token",
           revocation="pipelines it already started keep running."),
    _token("gitlab_cluster_agent_token", "GitLab agent for Kubernetes token",
           revocation="remove the token from the agent's configuration in the cluster (Helm values)."),
    _token("gitlab_runner_controller_token", "GitLab runner controller token",
           revocation="remove the token from the runner controller's configuration."),
    # An OAuth application's client secret (``secret``) lets whoever holds it act as the application.
    _token("gitlab_application", "GitLab OAuth application (client secret)",
           revocation="destroying it deletes the application: its client secret stops working."),
    # A runner's authentication token lets whoever holds it take the project's or group's jobs
    # (and their CI/CD variables).
    *(
        _token(t, summary, revocation="destroying it deletes the runner; remove its token from the "
                                      "runner's config.toml.")
        for t, summary in (
            ("gitlab_user_runner", "GitLab runner (authentication token)"),
            ("gitlab_runner", "GitLab runner registered with a registration token"),
        )
    ),
)

TFE_MORE: tuple[IdentityType, ...] = (
    _token("tfe_team_token", "Terraform Cloud/Enterprise team token",
           revocation="a legacy team token (no description) is the team's only one: generating "
                      "another (force_regenerate) also revokes it."),
    _token("tfe_organization_token", "Terraform Cloud/Enterprise organization token",
           revocation="the organization has one token: generating another (force_regenerate) also "
                      "revokes it."),
    _token("tfe_audit_trail_token", "Terraform Cloud/Enterprise audit trail token"),
    _token("tfe_agent_token", "Terraform Cloud agent pool token"),
    _token("tfe_scim_token", "Terraform Enterprise SCIM token (user provisioning from the identity provider)",
           revocation="remove the token from the identity provider's SCIM settings."),
)

DATADOG_MORE: tuple[IdentityType, ...] = (
    # The keys' value is the attribute ``key``: a secret for these types only.
    _token("datadog_api_key", "Datadog API key", secret_fields=("key",),
           revocation="Agents and integrations sending data with the key stop being accepted once "
                      "it is deleted; remove copies of the value held elsewhere."),
    _token("datadog_application_key", "Datadog application key (of the provider's user)",
           secret_fields=("key",)),
    IdentityType(
        "datadog_service_account", "principal", PHASE_PRINCIPAL, tags_path=None,
        inherit_by_reference=False, summary="Datadog service account",
    ),
    _token("datadog_service_account_application_key", "Datadog service account application key",
           parents=(ParentLink("service_account_id", DATADOG_SA_TYPES, ("id",)),),
           secret_fields=("key",)),
    _token("datadog_service_access_token", "Datadog service access token (of a service account)",
           parents=(ParentLink("service_account_id", DATADOG_SA_TYPES, ("id",)),),
           secret_fields=("key",)),
)

DATABRICKS_MORE: tuple[IdentityType, ...] = (
    _token("databricks_token", "Databricks personal access token (of the provider's user)", days=90),
    IdentityType(
        "databricks_service_principal", "principal", PHASE_PRINCIPAL, tags_path=None,
        inherit_by_reference=False, summary="Databricks service principal",
        revocation="OAuth tokens already issued to it stay valid until they expire (up to 1 hour).",
    ),
    _token("databricks_obo_token", "Databricks on-behalf-of token of a service principal", days=90,
           parents=(ParentLink("application_id", DATABRICKS_SP_TYPES, ("application_id",)),)),
    _token("databricks_service_principal_secret", "Databricks service principal OAuth secret", days=180,
           parents=(ParentLink("service_principal_id", DATABRICKS_SP_TYPES, ("id",)),),
           secret_fields=("secret_hash",),
           revocation="OAuth tokens already issued with the secret stay valid until they expire "
                      "(up to 1 hour)."),
    # A confidential custom OAuth app's client_secret lets whoever holds it act as the app.
    _token("databricks_custom_app_integration", "Databricks custom OAuth app integration (client secret)",
           revocation="access and refresh tokens already issued to it may stay valid until their TTL "
                      "ends."),
)

SAAS_TYPES: tuple[IdentityType, ...] = GITLAB_MORE + TFE_MORE + DATADOG_MORE + DATABRICKS_MORE
