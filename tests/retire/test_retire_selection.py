"""Selection, expansion, revocation order, manual steps and conflicts of retirement (pure)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from retire_estates import NOW, ROLE_OLD, aws_estate, inventory, res, role_with_profile

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.retire import Criteria, build_manifest, revocation_order, select


@pytest.mark.parametrize(
    ("expires_at", "now", "selected"),
    [
        ("2026-11-30", "2026-12-01T00:00:00Z", True),  # a date lasts through its whole UTC day
        ("2026-12-01", "2026-12-01T00:00:00Z", False),
        ("2026-12-01", "2026-12-01T23:59:59Z", False),
        ("2026-12-01", "2026-12-02T00:00:00Z", True),
        ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z", True),  # at the instant: expired
        ("2026-12-01T10:00:00Z", "2026-12-01T09:59:59Z", False),
        ("2026-12-01T11:00:00+01:00", "2026-12-01T10:00:00Z", True),
    ],
)
def test_expiry_selection_matches_the_checker(expires_at: str, now: str, selected: bool) -> None:
    from nhi_toolkit.expiry import parse_now

    idents = inventory([res("aws_iam_user.u", {"name": "u", "tags": {"owner": "a", "expires_at": expires_at}})])
    chosen = select(idents, Criteria(parse_now(now)), Config())
    assert ("aws_iam_user.u" in chosen) is selected


def test_selection_by_leavers_and_integration() -> None:
    idents = inventory(aws_estate())
    leavers = {"carol": date(2026, 11, 1), "bob@example.com": date(2027, 1, 1)}
    chosen = select(idents, Criteria(NOW, leavers, ("support",)), Config())
    assert [r.code for r in chosen["aws_iam_user.fresh"]] == ["owner-left"]  # matched by handle
    assert "aws_iam_role.runner" in chosen  # expired; bob leaves only later
    assert [r.code for r in chosen["aws_iam_role.runner"]] == ["expired"]
    assert [r.code for r in chosen["aws_iam_user.bot"]] == ["expired", "integration"]
    # Inherited expiry is judged on the parent; the key comes along through expansion.
    assert "aws_iam_access_key.bot" not in chosen


def test_expansion_and_revocation_order() -> None:
    manifest = build_manifest(inventory(aws_estate()), Criteria(NOW), Config())
    groups = {g.root.address: g for g in manifest.groups}
    assert sorted(groups) == ["aws_iam_role.runner", "aws_iam_user.bot", "aws_secretsmanager_secret.openai"]
    assert groups["aws_iam_user.bot"].addresses == (
        "aws_iam_access_key.bot", "aws_iam_user_login_profile.bot",
        "aws_iam_user_policy_attachment.bot", "aws_iam_user.bot",
    )
    order = [(m.phase, m.address) for m in revocation_order(manifest.groups)]
    assert [p for p, _ in order] == sorted(p for p, _ in order)  # credentials, permissions, principals
    addresses = [a for _, a in order]
    assert addresses.index("aws_iam_role_policy_attachment.runner") < addresses.index("aws_iam_role.runner")
    assert addresses.index("aws_secretsmanager_secret_version.openai") < addresses.index(
        "aws_secretsmanager_secret.openai")
    assert "aws_iam_access_key.fresh" not in addresses and "aws_iam_user.fresh" not in addresses


def test_manual_steps() -> None:
    manifest = build_manifest(inventory(aws_estate()), Criteria(NOW), Config())
    steps = {g.root.address: " ".join(g.steps) for g in manifest.groups}
    assert "revoke that key at the provider" in steps["aws_secretsmanager_secret.openai"]
    assert "7-day recovery window" in steps["aws_secretsmanager_secret.openai"]
    assert "temporary credentials already issued" in steps["aws_iam_role.runner"]
    assert "up to 7200 s" in steps["aws_iam_role.runner"]
    assert "permissions are removed before the role" in steps["aws_iam_role.runner"]
    assert steps["aws_iam_user.bot"] == ""


def test_child_selected_on_its_own_joins_its_parents_group() -> None:
    tags = {"owner": "a@example.com", "expires_at": "2026-01-01"}
    idents = inventory([
        res("aws_secretsmanager_secret.s", {"name": "s", "arn": "arn:s", "tags": tags}),
        res("aws_ssm_parameter.copy", {"name": "/x", "type": "SecureString", "tags": tags}),
    ])
    manifest = build_manifest(idents, Criteria(NOW), Config())
    assert [g.root.address for g in manifest.groups] == ["aws_secretsmanager_secret.s", "aws_ssm_parameter.copy"]
    copy_steps = next(g.steps for g in manifest.groups if g.root.address == "aws_ssm_parameter.copy")
    assert any("third-party API key" in s for s in copy_steps)


def test_terraform_data_identity_type_orders_key_before_agent() -> None:
    config = config_from_mapping({"identity_types": {"terraform_data": {
        "tags_path": "input.tags", "category": "principal", "phase": 2, "parent": ["terraform_data"]}}})
    tags = {"owner": "o@example.com", "expires_at": "2026-06-30"}
    key = 'team "x" bot'
    idents = inventory([
        res(f'terraform_data.agent[{json.dumps(key)}]', {"input": {"tags": tags}}),
        res(f'terraform_data.agent_key[{json.dumps(key)}]', {"input": {"agent": "id"}},
            ("terraform_data.agent",)),
        res('terraform_data.agent["fresh"]', {"input": {"tags": {**tags, "expires_at": "2027-01-01"}}}),
        res('terraform_data.agent_key["fresh"]', {"input": {"agent": "id"}}, ("terraform_data.agent",)),
    ], config)
    manifest = build_manifest(idents, Criteria(NOW), config)
    assert manifest.addresses == ('terraform_data.agent_key["team \\"x\\" bot"]',
                                  'terraform_data.agent["team \\"x\\" bot"]')


@pytest.mark.parametrize(
    ("profile_tags", "conflict"),
    [
        ({"owner": "bob@example.com", "expires_at": "2030-01-01"}, True),  # its own later expiry
        ({"owner": "bob@example.com"}, True),  # its own owner, no expiry
        ({"expires_at": "2027-01-01"}, True),  # its own expiry, not passed
        ({"owner": "bob@example.com", "expires_at": "2026-10-01"}, False),  # expired too: selected itself
        (None, False),  # no tags of its own: inherits and rides along
        ({"purpose": "ci"}, False),  # tags, but no owner or expiry of its own
    ],
)
def test_instance_profile_with_own_lifecycle_under_expired_role(
    profile_tags: dict[str, str] | None, conflict: bool
) -> None:
    manifest = build_manifest(inventory(role_with_profile(profile_tags)), Criteria(NOW), Config())
    if conflict:
        (p,) = manifest.conflicts
        assert p.address == "aws_iam_instance_profile.p" and p.kind == "conflict"
        assert "its role names aws_iam_role.runner and refers to it" in p.message
        assert "retire aws_iam_instance_profile.p explicitly" in p.message
        assert "re-point it" in p.message and "extend aws_iam_role.runner's expiry" in p.message
        assert "aws_iam_instance_profile.p" not in manifest.addresses
    else:
        assert manifest.conflicts == ()
        assert set(manifest.addresses) == {"aws_iam_role.runner", "aws_iam_instance_profile.p"}


def test_leaver_selected_dependent_rides_along() -> None:
    idents = inventory(role_with_profile({"owner": "bob@example.com", "expires_at": "2030-01-01"}))
    manifest = build_manifest(idents, Criteria(NOW, {"bob@example.com": date(2026, 1, 1)}), Config(),
                              leaver_names=["bob@example.com"])
    assert manifest.conflicts == ()
    assert "aws_iam_instance_profile.p" in manifest.addresses


LIVE = {"owner": "bob@example.com", "expires_at": "2030-01-01"}


def test_exclusive_attachment_naming_an_expired_and_a_live_role_is_a_conflict() -> None:
    """Named by value only (no dependency recorded): the attachment binds both roles."""
    idents = inventory([
        res("aws_iam_role.old", {"name": "old", "tags": ROLE_OLD}),
        res("aws_iam_role.live", {"name": "live", "tags": LIVE}),
        res("aws_iam_policy_attachment.both", {"name": "both", "roles": ["old", "live"], "policy_arn": "arn:p"}),
    ])
    manifest = build_manifest(idents, Criteria(NOW), Config())
    (p,) = manifest.conflicts
    assert (p.address, p.kind) == ("aws_iam_policy_attachment.both", "conflict")
    assert p.message.startswith("hangs off both aws_iam_role.old, which is being retired, and "
                                "aws_iam_role.live (owner bob@example.com, expires 2030-01-01), which is not")
    assert "its roles names aws_iam_role.old; its roles names aws_iam_role.live" in p.message
    assert "would cut aws_iam_role.live's access" in p.message
    assert manifest.addresses == ("aws_iam_role.old",)


def _terraform_data_config() -> Config:
    return config_from_mapping({"identity_types": {"terraform_data": {
        "tags_path": "input.tags", "category": "principal", "phase": 2, "parent": ["terraform_data"]}}})


@pytest.mark.parametrize("live_name", ["a_live", "z_live"])
def test_binding_of_two_parents_is_a_conflict_whichever_parent_it_inherits_from(live_name: str) -> None:
    """The inventory keeps one parent (the first it finds); the conflict does not depend on which."""
    config = _terraform_data_config()
    idents = inventory([
        res("terraform_data.old[0]", {"input": {"tags": ROLE_OLD}}),
        res(f"terraform_data.{live_name}[0]", {"input": {"tags": LIVE}}),
        res("terraform_data.grant[0]", {"input": {"kind": "grant"}},
            tuple(sorted(("terraform_data.old", f"terraform_data.{live_name}")))),
    ], config)
    manifest = build_manifest(idents, Criteria(NOW), config)
    assert [(p.address, p.kind) for p in manifest.conflicts] == [("terraform_data.grant[0]", "conflict")]
    assert f"and terraform_data.{live_name}[0] (owner bob@example.com" in manifest.conflicts[0].message
    assert manifest.addresses == ("terraform_data.old[0]",)


def test_transitive_dependencies_and_retired_second_parents_are_no_conflict() -> None:
    """State records dependencies transitively: a key of a key of ``old`` that refers to ``old``
    only through them rides along; so does a grant of two identities that are both retired."""
    config = _terraform_data_config()
    idents = inventory([
        res("terraform_data.live", {"input": {"tags": LIVE}}),
        res("terraform_data.old", {"input": {"tags": ROLE_OLD}}, ("terraform_data.live",)),
        res("terraform_data.key", {"input": {"kind": "key"}}, ("terraform_data.live", "terraform_data.old")),
        res("terraform_data.old2", {"input": {"tags": ROLE_OLD}}),
        res("terraform_data.grant", {"input": {"kind": "grant"}}, ("terraform_data.old", "terraform_data.old2")),
    ], config)
    manifest = build_manifest(idents, Criteria(NOW), config)
    assert manifest.conflicts == ()
    assert {"terraform_data.old", "terraform_data.old2", "terraform_data.grant"} <= set(manifest.addresses)


def test_secret_copy_referring_to_a_live_identity_rides_along_with_its_secret() -> None:
    config = config_from_mapping({"identity_types": {
        "terraform_data": {"tags_path": "input.tags", "category": "principal", "phase": 2},
        "null_copy": {"tags_path": "tags", "category": "secret-copy", "phase": 0,
                      "parent": ["terraform_data"]}}})
    idents = inventory([
        res("terraform_data.old", {"input": {"tags": ROLE_OLD}}),
        res("terraform_data.live", {"input": {"tags": LIVE}}),
        res("null_copy.c", {}, ("terraform_data.live", "terraform_data.old")),
    ], config)
    manifest = build_manifest(idents, Criteria(NOW), config)
    assert manifest.conflicts == ()


def test_an_expired_deposed_object_does_not_select_its_live_current_object() -> None:
    # A failed create_before_destroy left a deposed copy (expired) beside the current user (valid until
    # 2027). Selected by address, the manifest read "aws_iam_user.bot expires 2026-01-01" and the
    # destroy plan of that address would delete the live current user. A deposed object cannot be
    # destroyed on its own: the next apply of its resource removes it.
    current = res("aws_iam_user.bot", {"name": "bot", "tags": {"owner": "a@example.com", "expires_at": "2027-03-01"}})
    deposed = {**res("aws_iam_user.bot", {"name": "bot-old", "tags": {"owner": "a@example.com",
                                                                        "expires_at": "2026-01-01"}}),
               "deposed_key": "00000001"}
    idents = inventory([current, deposed])
    assert sorted(i.resource.metadata.get("deposed", "") for i in idents) == ["", "00000001"]
    assert select(idents, Criteria(NOW), Config()) == {}


def test_a_deposed_key_of_an_expired_user_does_not_ride_along_on_its_own() -> None:
    # The deposed key inherits the user's owner and expiry (its row says so), but the manifest names
    # the key's address once, through the current key: the destroy of that address takes both.
    user = res("aws_iam_user.bot", {"name": "bot", "tags": {"owner": "a@example.com", "expires_at": "2026-06-30"}})
    key = res("aws_iam_access_key.k", {"user": "bot", "id": "AKIA1"}, ("aws_iam_user.bot",))
    deposed = {**res("aws_iam_access_key.k", {"user": "bot", "id": "AKIA0"}, ("aws_iam_user.bot",)),
               "deposed_key": "00000001"}
    for order in ([user, key, deposed], [user, deposed, key]):
        idents = inventory(order)
        assert {i.parent for i in idents if i.type == "aws_iam_access_key"} == {"aws_iam_user.bot"}
        manifest = build_manifest(idents, Criteria(NOW), Config())
        members = [m for g in manifest.groups for m in g.members]
        assert [m.address for m in members] == ["aws_iam_access_key.k", "aws_iam_user.bot"]
        assert not any(m.identity.resource.metadata.get("deposed") for m in members)
        assert manifest.conflicts == ()
