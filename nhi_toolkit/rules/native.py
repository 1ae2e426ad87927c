"""Rule ``expiry-mismatch`` (NHI015) as the registry holds it.

Its judgement is :class:`nhi_toolkit.rules.lifecycle.ExpiryMismatch`, unchanged; its description is
kept here, beside nothing but the list of credential attributes :mod:`nhi_toolkit.native_expiry`
reads an expiry from, which it names one by one (tests/rules/test_rules_native.py keeps the two in
step: a type given a native expiry there is named here).
"""

from __future__ import annotations

from nhi_toolkit.rules import lifecycle

__all__ = ["ExpiryMismatch"]


class ExpiryMismatch(lifecycle.ExpiryMismatch):
    description = ("The credential carries its own expiry (Azure AD end_date/end_date_relative, GCP "
                   "valid_before, Vault explicit_max_ttl/ttl, GitLab token expires_at, Terraform "
                   "Cloud/Enterprise (tfe) token expired_at, Datadog service access token expires_at, "
                   "Databricks token expiry_time/lifetime_seconds, "
                   "Databricks service principal secret expire_time/lifetime) and the expiry tag or "
                   "declaration says otherwise. A tag earlier than the credential is an error: it "
                   "promises a retirement the credential does not enforce. A tag later than the "
                   "credential is a warning: the credential stops working first. A date tag agrees with "
                   "any instant within that UTC day.")
