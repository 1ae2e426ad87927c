"""nhi explain RULE: why a rule matters and how to fix it, for every documented rule."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main
from nhi_toolkit.rules.guide import documented_rules


@pytest.mark.parametrize("rule", documented_rules(), ids=lambda r: r.id)
def test_explain_every_rule(rule: Any) -> None:
    for key in (rule.id, rule.name, rule.id.lower()):
        result = CliRunner().invoke(main, ["explain", key])
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert out.startswith(f"{rule.id} {rule.name} ")
        assert "Why it matters" in out and "Fix in CDKTF" in out and "Fix in HCL" in out
        assert rule.help_uri in out


def test_explain_unknown_rule_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["explain", "expird"])
    assert result.exit_code == 2 and "did you mean expired" in result.stderr
