"""Rule expiry-mismatch (NHI015) as registered: its description names every credential attribute
:mod:`nhi_toolkit.native_expiry` reads an expiry from, and docs/rules.md says the same."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

from nhi_toolkit.native_expiry import NATIVE_EXPIRY
from nhi_toolkit.rules import ALL_RULES, rule_by_key

_ATTRS = sorted({f.attr for spec in NATIVE_EXPIRY.values() for f in spec.fields})


def _description() -> str:
    rule = rule_by_key("expiry-mismatch")
    assert rule is not None and rule.id == "NHI015"
    return rule.description


@pytest.mark.parametrize("attr", _ATTRS)
def test_expiry_mismatch_names_every_native_expiry_attribute(attr: str) -> None:
    assert re.search(rf"(?<![\w]){re.escape(attr)}(?![\w])", _description()), attr


@pytest.mark.parametrize("phrase", [
    "Azure AD end_date", "GCP valid_before", "Vault explicit_max_ttl/ttl", "GitLab", "expires_at",
    "Terraform Cloud/Enterprise", "expired_at", "Datadog service access token expires_at", "Databricks", "expiry_time/lifetime_seconds",
    "service principal secret", "expire_time/lifetime",
])
def test_expiry_mismatch_names_each_platform(phrase: str) -> None:
    assert phrase in _description()


def test_docs_rules_md_carries_the_description() -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text.split("\n## NHI015 expiry-mismatch\n", 1)[1].split("\n## ", 1)[0]
    assert _description() in section


def test_the_registry_holds_one_expiry_mismatch_rule() -> None:
    assert [r.id for r in ALL_RULES].count("NHI015") == 1
    assert [r.name for r in ALL_RULES].count("expiry-mismatch") == 1
