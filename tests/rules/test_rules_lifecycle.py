"""Ownership and expiry rules (NHI001-NHI007), table-driven: one identity in, the expected rule ids out."""

from __future__ import annotations

from typing import Any

import pytest
from rule_runs import GOOD, OWNER, resource, rules_of, run, tagged

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.model import UNKNOWN, Severity

LIFECYCLE_CASES = [
    # (tags, expected rule names) on an aws_iam_role (max lifetime 365 days), now 2026-06-01T00:00Z
    ({"owner": OWNER, "expires_at": GOOD}, []),
    ({"Owner": OWNER, "Expires": GOOD}, []),
    ({"nhi:owner": OWNER, "nhi:expires_at": GOOD}, []),
    ({"expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "   ", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": OWNER}, ["missing-expiry"]),
    ({}, ["missing-expiry", "missing-owner"]),
    (None, ["missing-expiry", "missing-owner"]),
    ({"owner": OWNER, "expires_at": "2026-02-30"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-13-01"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "soon"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "never"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": ""}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "   "}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-06-20T10:00:00"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "２０２６-０６-２０"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-05-31"}, ["expired"]),           # ended at 06-01T00:00Z = now
    ({"owner": OWNER, "expires_at": "2026-06-01"}, ["expiring-soon"]),     # valid through today
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:00Z"}, ["expired"]),  # at now is expired
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:01Z"}, ["expiring-soon"]),
    ({"owner": OWNER, "expires_at": "2026-06-01T01:00:00+02:00"}, ["expired"]),  # 23:00Z the day before
    ({"owner": OWNER, "expires_at": "2025-01-01"}, ["expired"]),
    ({"owner": OWNER, "expires_at": "2026-06-14"}, ["expiring-soon"]),     # exactly 14 days left
    ({"owner": OWNER, "expires_at": "2026-06-15"}, []),                    # 15 days left
    ({"owner": OWNER, "expires_at": "2027-05-31"}, []),                    # exactly 365 days
    ({"owner": OWNER, "expires_at": "2027-06-01"}, ["expiry-too-far"]),    # 366 days
    ({"owner": OWNER, "expires_at": "2099-01-01"}, ["expiry-too-far"]),
    ({"owner": UNKNOWN, "expires_at": GOOD}, ["unknown-until-apply"]),
    ({"owner": OWNER, "expires_at": UNKNOWN}, ["unknown-until-apply"]),
    (UNKNOWN, ["unknown-until-apply"]),
    ({"owner": "", "expires_at": "2025-01-01"}, ["expired", "missing-owner"]),
]


@pytest.mark.parametrize(("tags", "expected"), LIFECYCLE_CASES)
def test_lifecycle_rules(tags: Any, expected: list[str]) -> None:
    assert rules_of(run(tagged(tags))) == expected


@pytest.mark.parametrize(
    ("rtype", "expiry", "expected"),
    [
        # Static access keys may live 90 days, measured from now (2026-06-01T00:00Z).
        ("aws_iam_user", "2026-08-29", []),                   # 90 days
        ("aws_iam_user", "2026-08-30", []),                   # a user may live 365
        ("aws_iam_role", "2027-05-31", []),
        ("aws_iam_role", "2027-06-01", ["expiry-too-far"]),
    ],
)
def test_expiry_too_far_per_type(rtype: str, expiry: str, expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": expiry}, f"{rtype}.x")
    assert rules_of(run(res)) == expected


@pytest.mark.parametrize(("expiry", "too_far"), [("2026-08-29", False), ("2026-08-30", True)])
def test_access_key_maximum_is_90_days_through_its_user(expiry: str, too_far: bool) -> None:
    user = resource("aws_iam_user.u", {"name": "svc", "tags": {"owner": OWNER, "expires_at": expiry}})
    key = resource("aws_iam_access_key.k", {"user": "svc"}, references=("aws_iam_user.u",))
    report = run(user, key)
    assert rules_of(report, "aws_iam_user.u") == []
    assert rules_of(report, "aws_iam_access_key.k") == (["expiry-too-far"] if too_far else [])


def test_expiring_soon_window_is_configurable() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-25"})
    assert rules_of(run(res)) == []
    assert rules_of(run(res, config=Config(expiring_soon_days=30))) == ["expiring-soon"]
    assert rules_of(run(res, config=Config(expiring_soon_days=0))) == []


@pytest.mark.parametrize(
    ("limits", "expected"),
    [({"aws_iam_role": 10}, ["expiry-too-far"]), ({"principal": 10}, ["expiry-too-far"]),
     ({"aws_iam_role": 30, "principal": 10}, []), ({"credential": 1}, [])],
)
def test_max_lifetime_is_configurable_by_type_or_category(limits: dict[str, int], expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-20"})
    assert rules_of(run(res, config=Config(max_lifetime_days=limits))) == expected


def test_huge_windows_do_not_overflow() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2099-01-01"})
    report = run(res, config=Config(expiring_soon_days=10**10, max_lifetime_days={"aws_iam_role": 10**10}))
    assert rules_of(report) == ["expiring-soon"]
    assert report.status_of(report.identities[0]) == "expiring-soon"


def test_tag_keys_are_configurable_with_aliases() -> None:
    config = config_from_mapping({"owner_keys": ["team", "squad"], "expiry_keys": ["sunset"]})
    assert rules_of(run(tagged({"squad": "data", "sunset": GOOD}), config=config)) == []
    assert rules_of(run(tagged({"owner": OWNER, "expires_at": GOOD}), config=config)) == [
        "missing-expiry", "missing-owner"]
    # The first alias present wins.
    report = run(tagged({"team": "a", "squad": "b", "sunset": GOOD}), config=config)
    assert report.identities[0].owner == "a"


def test_expiring_soon_and_expired_are_not_both_reported() -> None:
    report = run(tagged({"owner": OWNER, "expires_at": "2026-05-01"}))
    assert rules_of(report) == ["expired"]
    assert report.active[0].severity is Severity.ERROR


def test_unknown_until_apply_is_info_and_never_missing() -> None:
    report = run(tagged(UNKNOWN))
    assert [(f.rule, f.severity) for f in report.active] == [("unknown-until-apply", Severity.INFO)]
    assert not report.failed()
