"""The rule idiom's shared parts: help URIs from one configurable documentation base, findings
with the rule's metadata, the severities a rule can give.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main
from nhi_toolkit.errors import ConfigError
from nhi_toolkit.model import Severity
from nhi_toolkit.rules.base import DOCS_BASE_ENV, DOCS_BASE_URL, docs_base_url, help_uri


def test_docs_base_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert docs_base_url() == DOCS_BASE_URL
    monkeypatch.setenv(DOCS_BASE_ENV, "https://git.example.com/fork/nhi-toolkit/blob/v0.1.0/docs/rules.md")
    assert help_uri("NHI004", "expired") == ("https://git.example.com/fork/nhi-toolkit/blob/v0.1.0/docs/"
                                             "rules.md#nhi004-expired")
    result = CliRunner().invoke(main, ["explain", "NHI004"])
    assert result.exit_code == 0
    assert "More: https://git.example.com/fork/nhi-toolkit/blob/v0.1.0/docs/rules.md#nhi004-expired" in result.stdout
    monkeypatch.setenv(DOCS_BASE_ENV, "  ")
    assert docs_base_url() == DOCS_BASE_URL


@pytest.mark.parametrize("value", ["docs/rules.md", "ftp://example.com/rules.md", "https://",
                                   "https://example.com/rules.md#top", "https://example.com/a b",
                                   "https://example.com/\x1b[31m"])
def test_a_bad_docs_base_is_a_clean_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(DOCS_BASE_ENV, value)
    with pytest.raises(ConfigError, match=DOCS_BASE_ENV):
        docs_base_url()
    for args in (["explain", "NHI004"], ["rules", "--format", "json"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, args
        assert f"nhi: error: {DOCS_BASE_ENV}: must be an absolute http(s) URL" in result.stderr
        assert "Traceback" not in result.output


def test_a_finding_carries_the_rule_metadata() -> None:
    from nhi_toolkit.model import Location
    from nhi_toolkit.rules import rule_by_key

    rule = rule_by_key("expiry-mismatch")
    assert rule is not None
    f = rule.finding(None, "msg", address="aws_iam_user.u", source=Location("main.tf", 3))
    assert (f.rule_id, f.rule, f.severity, f.address) == ("NHI015", "expiry-mismatch", Severity.ERROR,
                                                          "aws_iam_user.u")
    assert rule.finding(None, "msg", severity=Severity.WARNING).severity is Severity.WARNING
    assert rule.finding(None, "msg").source == Location("")
    assert rule.severity_labels() == ("error", "warning")
    expired = rule_by_key("expired")
    assert expired is not None and expired.severity_labels() == ("error",)
