"""The lifecycle judgements every caller shares (nhi_toolkit.checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from nhi_toolkit.checks import (
    declared_revocation_path,
    exceeds_lifetime,
    expiring_soon,
    is_rotation_path,
    is_terraform_path,
    leaver_match,
    max_lifetime_days,
    owner_departure,
)
from nhi_toolkit.config import Config
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.state import load_show_state
from nhi_toolkit.model import Identity

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("owner", "leavers", "entry"), [
    ("Alice@Example.com", ["alice@example.com"], "alice@example.com"),
    ("alice@example.com", ["alice"], "alice"),
    ("alice", ["alice@example.com"], "alice@example.com"),
    (" alice ", ["alice"], "alice"),
    ("alice@example.com", ["alice@other.example"], None),
    ("alicia@example.com", ["alice"], None),
    ("alice", [], None),
    # HR exports and tags often put a display name around the address
    ("alice@example.com", ["alice smith <alice@example.com>"], "alice smith <alice@example.com>"),
    ("Alice Smith <Alice@Example.com>", ["alice@example.com"], "alice@example.com"),
    ("Alice Smith <alice@example.com>", ["alice"], "alice"),
    ("mailto:alice@example.com", ["alice@example.com"], "alice@example.com"),
    ("Bob <bob@example.com>", ["alice smith <alice@example.com>"], None),
    ("alice <not an address", ["alice"], None),
])
def test_leaver_match(owner: str, leavers: list[str], entry: str | None) -> None:
    assert leaver_match(owner, leavers) == entry


@pytest.mark.parametrize(("left_on", "gone", "when"), [
    (None, True, ""),
    (date(2026, 11, 30), True, " on 2026-11-30"),
    (date(2026, 12, 1), True, " on 2026-12-01"),  # on the day itself: left
    (date(2026, 12, 2), False, None),
])
def test_owner_departure_counts_the_leaving_day(left_on: date | None, gone: bool, when: str | None) -> None:
    found = owner_departure("alice@example.com", {"alice": left_on}, NOW)
    assert (found is not None) is gone
    if found is not None:
        assert (found.entry, found.left_on, found.when) == ("alice", left_on, when)


@pytest.mark.parametrize("owner", [None, 3, "bob@example.com"])
def test_owner_departure_needs_a_listed_string_owner(owner: object) -> None:
    assert owner_departure(owner, {"alice": None}, NOW) is None
    assert owner_departure("alice", None, NOW) is None
    assert owner_departure("alice", {}, NOW) is None


@pytest.mark.parametrize(("path", "terraform", "rotation"), [
    ("terraform", True, False), (" Terraform-Destroy ", True, False), ("destroy", True, False),
    ("nhi-retire", True, False), ("rotation", False, True), ("ROTATE", False, True),
    ("secret-rotation", False, True), ("ticket to the vendor", False, False),
])
def test_revocation_path_kinds(path: str, terraform: bool, rotation: bool) -> None:
    assert is_terraform_path(path) is terraform
    assert is_rotation_path(path) is rotation


def _identities(tags: dict[str, str]) -> dict[str, Identity]:
    resources = [
        {"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
         "values": {"name": "u", "tags": tags}, "sensitive_values": {}},
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "values": {"user": "u"}, "sensitive_values": {}},
    ]
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    idents = build_inventory(load_show_state(doc, "state.json", lambda _t: True), Config())
    return {i.address: i for i in idents}


def test_declared_revocation_path_own_and_inherited() -> None:
    keys = Config().revocation_keys
    idents = _identities({"owner": "a@example.com", keys[0]: " vendor portal "})
    user, key = idents["aws_iam_user.u"], idents["aws_iam_access_key.k"]
    assert declared_revocation_path(user, keys) == " vendor portal "
    assert key.inherited and declared_revocation_path(key, keys) == " vendor portal "
    assert declared_revocation_path(key, keys, own_only=True) is None
    assert declared_revocation_path(_identities({keys[0]: "  "})["aws_iam_user.u"], keys) is None


@pytest.mark.parametrize(("deadline", "days", "soon"), [
    (NOW + timedelta(days=14), 14, True),
    (NOW + timedelta(days=14, seconds=1), 14, False),
    (NOW + timedelta(seconds=1), 0, False),
    (NOW, 14, False),  # expired, not expiring
    (NOW - timedelta(days=1), 14, False),
    (datetime(9999, 12, 31, tzinfo=UTC), 10**10, True),  # a window no timedelta can hold
])
def test_expiring_soon(deadline: datetime, days: int, soon: bool) -> None:
    assert expiring_soon(deadline, NOW, days) is soon


@pytest.mark.parametrize(("span", "limit", "exceeds"), [
    (timedelta(days=90), 90, False),
    (timedelta(days=90, seconds=1), 90, True),
    (timedelta(days=-5), 1, False),
    (timedelta(days=999_999_999), None, False),
    (timedelta(days=999_999_999), 10**9, False),  # beyond timedelta(days=...): compared in seconds
    (timedelta(days=999_999_999), 10**6, True),
])
def test_exceeds_lifetime(span: timedelta, limit: int | None, exceeds: bool) -> None:
    assert exceeds_lifetime(span, limit) is exceeds


def test_max_lifetime_days_by_type_then_category_then_catalog() -> None:
    assert max_lifetime_days(Config(), "aws_iam_access_key") == 90
    assert max_lifetime_days(Config(), "not_an_identity") is None
    config = Config(max_lifetime_days={"credential": 7, "aws_iam_role": 30})
    assert max_lifetime_days(config, "aws_iam_access_key") == 7
    assert max_lifetime_days(config, "aws_iam_role") == 30
