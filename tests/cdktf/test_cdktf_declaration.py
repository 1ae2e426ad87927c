"""The declaration checks of the CDKTF layer (pure Python, no CDK runtime)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from nhi_toolkit.cdktf.declaration import Declaration, DeclarationError, check_lifetime
from nhi_toolkit.config import Config

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _decl(expires: object) -> Declaration:
    return Declaration.make("demo/bot", owner="alice", expires=expires, purpose="support bot",
                            approved_by="cab-1234", integration="bot")


def test_huge_maximum_lifetime_is_a_limit_not_a_crash() -> None:
    """``max_lifetime_days`` beyond what a timedelta holds: the checker accepts it, so must synth."""
    config = Config(max_lifetime_days={"aws_iam_role": 10**9, "credential": 10**12})
    check_lifetime(_decl(date(9000, 1, 1)), "demo/bot/role", ("aws_iam_role", "aws_iam_access_key"),
                   config, NOW)


def test_expiry_beyond_the_maximum_lifetime_is_refused_naming_the_type() -> None:
    with pytest.raises(DeclarationError, match=r"^demo/bot/role: expiry 2028-01-31 is more than 365 days "
                                               r"after 2026-12-01T00:00:00Z, the maximum lifetime of "
                                               r"aws_iam_role"):
        check_lifetime(_decl(date(2028, 1, 31)), "demo/bot/role", ("aws_iam_role",), Config(), NOW)


def test_expiry_exactly_at_the_limit_and_in_the_past_pass() -> None:
    check_lifetime(_decl(date(2027, 11, 30)), "p", ("aws_iam_role",), Config(), NOW)
    check_lifetime(_decl(date(2020, 1, 1)), "p", ("aws_iam_role",), Config(), NOW)
