"""Unit tests for retirement: selection, expansion, ordering, manual steps, manifest and plan verification."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main
from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.state import load_show_state
from nhi_toolkit.model import Identity
from nhi_toolkit.retire import (
    ROUTE_DECLARED,
    Criteria,
    build_manifest,
    declares_nhi_now,
    load_manifest,
    manifest_json_text,
    plan_file_state,
    render_refusal,
    render_summary,
    revocation_order,
    select,
    verify_plan,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRET_MARK = "AKIA-DO-NOT-LEAK-0123456789"


def res(address: str, values: dict[str, Any], depends_on: tuple[str, ...] = ()) -> dict[str, Any]:
    """One resource in ``terraform show -json`` state form."""
    head, _, key = address.partition("[")
    rtype, name = head.split(".")
    out: dict[str, Any] = {"address": address, "mode": "managed", "type": rtype, "name": name,
                           "provider_name": "registry.terraform.io/hashicorp/aws", "values": values,
                           "sensitive_values": {}}
    if key:
        out["index"] = json.loads(key[:-1])
    if depends_on:
        out["depends_on"] = list(depends_on)
    return out


def inventory(resources: list[dict[str, Any]], config: Config | None = None) -> list[Identity]:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    return build_inventory(load_show_state(doc, "state.json", lambda _t: True), config or Config())


def aws_estate() -> list[dict[str, Any]]:
    """An expired IAM user with a key, a login profile and a policy; a fresh user with a key; an
    expired role with an attachment; an expired secret with a version."""
    tags_old = {"owner": "alice@example.com", "expires_at": "2026-06-30", "integration": "support"}
    tags_new = {"owner": "carol@example.com", "expires_at": "2027-06-30"}
    return [
        res("aws_iam_user.bot", {"name": "bot", "tags": tags_old}),
        res("aws_iam_access_key.bot", {"user": "bot", "id": "AKIAOLD", "secret": SECRET_MARK},
            ("aws_iam_user.bot",)),
        res("aws_iam_user_login_profile.bot", {"user": "bot", "password": SECRET_MARK},
            ("aws_iam_user.bot",)),
        res("aws_iam_user_policy_attachment.bot", {"user": "bot", "policy_arn": "arn:aws:iam::aws:policy/x"},
            ("aws_iam_user.bot",)),
        res("aws_iam_user.fresh", {"name": "fresh", "tags": tags_new}),
        res("aws_iam_access_key.fresh", {"user": "fresh", "id": "AKIANEW"}, ("aws_iam_user.fresh",)),
        res("aws_iam_role.runner", {"name": "runner", "max_session_duration": 7200,
                                    "tags": {"owner": "bob@example.com", "expires_at": "2026-11-30T23:59:59Z"}}),
        res("aws_iam_role_policy_attachment.runner", {"role": "runner", "policy_arn": "arn:x"},
            ("aws_iam_role.runner",)),
        res("aws_secretsmanager_secret.openai", {"name": "openai", "arn": "arn:secret:openai",
                                                 "recovery_window_in_days": 7,
                                                 "tags": {"owner": "dave@example.com", "expires_at": "2026-10-01"}}),
        res("aws_secretsmanager_secret_version.openai", {"secret_id": "arn:secret:openai",
                                                         "secret_string": SECRET_MARK},
            ("aws_secretsmanager_secret.openai",)),
    ]


# --- selection -----------------------------------------------------------------------------------


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


def test_nothing_selected_when_nothing_expired() -> None:
    idents = inventory(aws_estate())
    manifest = build_manifest(idents, Criteria(datetime(2026, 1, 1, tzinfo=UTC)), Config())
    assert manifest.empty
    assert render_summary(manifest).endswith("Nothing to retire.\n")


# --- expansion, order, manual steps --------------------------------------------------------------


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


# --- the manifest --------------------------------------------------------------------------------


def test_manifest_is_deterministic_and_secret_free(tmp_path: Path) -> None:
    texts = {manifest_json_text(build_manifest(inventory(aws_estate()), Criteria(NOW), Config()))
             for _ in range(3)}
    assert len(texts) == 1
    text = texts.pop()
    assert SECRET_MARK not in text
    doc = json.loads(text)
    assert doc["format"] == "nhi-retire-manifest/1"
    assert doc["now"] == "2026-12-01T00:00:00Z"
    bot = next(i for i in doc["identities"] if i["address"] == "aws_iam_user.bot")
    assert bot["owner"] == "alice@example.com"
    assert bot["expires"] == "2026-06-30"
    assert bot["expires_at"] == "2026-07-01T00:00:00Z"
    assert bot["reasons"] == [{"code": "expired", "text": "expired at 2026-07-01T00:00:00Z"}]
    assert [d["phase"] for d in bot["destroy"]] == ["credentials", "credentials", "permissions", "principals"]
    assert [s["step"] for s in doc["revocation_order"]] == list(range(1, 9))
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    loaded = load_manifest(str(path))
    assert loaded.addresses == tuple(s["address"] for s in doc["revocation_order"])
    assert manifest_json_text(loaded) == text
    assert render_summary(loaded) == render_summary(build_manifest(inventory(aws_estate()), Criteria(NOW), Config()))


def test_load_manifest_rejects_other_json(tmp_path: Path) -> None:
    from nhi_toolkit.errors import InputError

    p = tmp_path / "x.json"
    p.write_text('{"format": "something"}', encoding="utf-8")
    with pytest.raises(InputError):
        load_manifest(str(p))


# --- plan verification ---------------------------------------------------------------------------


def rc(address: str, *actions: str, **extra: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "change": {"actions": list(actions)}, **extra}


def plan_doc(changes: list[dict[str, Any]], prior: list[dict[str, Any]] = (), nhi_now: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"resource_changes": changes,
                           "prior_state": {"values": {"root_module": {"resources": list(prior)}}}}
    if nhi_now is not None:
        doc["variables"] = {"nhi_now": {"value": nhi_now}}
    return doc


A = 'terraform_data.agent["old"]'
K = 'terraform_data.agent_key["old"]'
FRESH_K = 'terraform_data.agent_key["fresh \\"one\\""]'


def test_exact_plan_verifies() -> None:
    plan = plan_doc([rc(K, "delete"), rc(A, "delete"), rc('terraform_data.agent["x"]', "no-op"),
                     {"address": "data.x.y", "mode": "data", "change": {"actions": ["read"]}}])
    assert verify_plan(plan, [K, A]) == []


def test_for_each_coupled_over_reach_is_named() -> None:
    prior = [{"address": FRESH_K, "depends_on": ["terraform_data.agent"]}]
    plan = plan_doc([rc(K, "delete"), rc(A, "delete"), rc(FRESH_K, "delete")], prior)
    problems = verify_plan(plan, [K, A])
    assert [(p.address, p.kind) for p in problems] == [(FRESH_K, "over-reach")]
    assert "per resource, not per instance" in problems[0].message
    report = render_refusal(problems)
    assert report.splitlines()[0] == "nhi retire: refused: 1 problem(s); nothing was destroyed"
    assert report.splitlines()[1].startswith(f"refused: {FRESH_K}: would be destroyed but is not in the manifest")


def test_dependent_of_retired_role_is_over_reach() -> None:
    prior = [{"address": "aws_lambda_function.f", "depends_on": ["aws_iam_role.r"]}]
    plan = plan_doc([rc("aws_iam_role.r", "delete"), rc("aws_lambda_function.f", "delete")], prior)
    (p,) = verify_plan(plan, ["aws_iam_role.r"])
    assert p.kind == "over-reach" and "depends on aws_iam_role.r, which is being retired" in p.message


@pytest.mark.parametrize(
    ("actions", "kind"),
    [(("create",), "create"), (("update",), "update"), (("delete", "create"), "replace"),
     (("create", "delete"), "replace"), (("forget",), "forget")],
)
def test_any_other_change_is_refused(actions: tuple[str, ...], kind: str) -> None:
    plan = plan_doc([rc(A, "delete"), rc("aws_iam_user.other", *actions)])
    assert [(p.address, p.kind) for p in verify_plan(plan, [A])] == [("aws_iam_user.other", kind)]


def test_undestroyed_manifest_entry_and_wrong_nhi_now() -> None:
    plan = plan_doc([rc(A, "delete")], nhi_now="2026-11-01T00:00:00Z")
    problems = verify_plan(plan, [K, A], nhi_now="2026-12-01T00:00:00Z")
    assert sorted((p.address, p.kind) for p in problems) == [(K, "not-destroyed"), ("var.nhi_now", "plan")]
    assert verify_plan(plan_doc([], ), []) == []
    assert [p.kind for p in verify_plan({"errored": True}, [])] == ["plan"]


def test_deposed_object_outside_manifest_is_refused() -> None:
    plan = plan_doc([rc(A, "delete"), rc("aws_iam_user.x", "delete", deposed="abcd1234")])
    (p,) = verify_plan(plan, [A])
    assert p.kind == "over-reach" and "deposed object abcd1234" in p.address


# --- files ---------------------------------------------------------------------------------------


def test_declares_nhi_now(tmp_path: Path) -> None:
    assert not declares_nhi_now(tmp_path)
    (tmp_path / "main.tf").write_text('variable "other" {}\n# variable "nhi_now" in a comment\n')
    assert not declares_nhi_now(tmp_path)
    (tmp_path / "vars.tf").write_text('variable "nhi_now" {\n  type = string\n  default = null\n}\n')
    assert declares_nhi_now(tmp_path)
    json_dir = tmp_path / "j"
    json_dir.mkdir()
    (json_dir / "main.tf.json").write_text('{"variable": {"nhi_now": {"type": "string"}}}')
    assert declares_nhi_now(json_dir)


def test_plan_file_state(tmp_path: Path) -> None:
    import zipfile

    plan = tmp_path / "p.tfplan"
    with zipfile.ZipFile(plan, "w") as zf:
        zf.writestr("tfstate", json.dumps({"lineage": "abc", "serial": 7, "resources": []}))
    assert plan_file_state(plan) == ("abc", 7)
    (tmp_path / "bad").write_bytes(b"not a zip")
    assert plan_file_state(tmp_path / "bad") is None


# --- the command (state file: manifest only) -----------------------------------------------------


def write_state(tmp_path: Path) -> Path:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": aws_estate()}}}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cli_state_file_writes_manifest_and_summary(tmp_path: Path) -> None:
    state = write_state(tmp_path)
    leavers = tmp_path / "leavers.csv"
    leavers.write_text("owner,left_on\ncarol@example.com,2026-11-01\n", encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(main, [
        "retire", "--state", str(state), "--now", "2026-12-01", "--leavers", str(leavers),
        "--manifest", str(tmp_path / "m.json"), "--summary", str(tmp_path / "m.txt"),
        "--audit-log", str(audit),
    ])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["plan"] is None and doc["route"] is None
    assert "aws_iam_user.fresh" in [i["address"] for i in doc["identities"]]
    assert doc["criteria"]["leavers"] == ["carol@example.com"]
    assert (tmp_path / "m.txt").read_text() in result.output
    assert SECRET_MARK not in result.output + (tmp_path / "m.json").read_text() + audit.read_text()
    from nhi_toolkit.audit import verify

    assert verify(audit).ok


def test_cli_nothing_to_retire_is_one_line(tmp_path: Path) -> None:
    state = write_state(tmp_path)
    result = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-01-01"])
    assert result.exit_code == 0
    assert result.output == "nhi retire: nothing to retire as of 2026-01-01T00:00:00Z\n"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--state", "s.json", "--terraform-dir", "."],
        ["--state", "s.json", "--apply"],
        ["--state", "s.json", "--now", "yesterday"],
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, ["retire", *args])
    assert result.exit_code == 2


def test_cli_unreadable_state_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text("{nope", encoding="utf-8")
    result = CliRunner().invoke(main, ["retire", "--state", str(bad), "--now", "2026-12-01"])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_route_names_are_the_documented_ones() -> None:
    assert ROUTE_DECLARED == "declared-expiry"


# --- live dependents are conflicts, not children (issue 8, item 1) ---------------------------------

ROLE_OLD = {"owner": "alice@example.com", "expires_at": "2026-06-30"}


def role_with_profile(profile_tags: dict[str, str] | None) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"name": "p", "role": "runner"}
    if profile_tags is not None:
        values["tags"] = profile_tags
    return [
        res("aws_iam_role.runner", {"name": "runner", "tags": ROLE_OLD}),
        res("aws_iam_instance_profile.p", values, ("aws_iam_role.runner",)),
    ]


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


def test_cli_conflict_refuses_with_exit_3(tmp_path: Path) -> None:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": role_with_profile(
        {"owner": "bob@example.com", "expires_at": "2030-01-01"})}}}
    state = tmp_path / "state.json"
    state.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-12-01",
                                       "--manifest", str(tmp_path / "m.json")])
    assert result.exit_code == 3
    assert "refused: aws_iam_instance_profile.p: live identity (owner bob@example.com, expires 2030-01-01)" \
        in result.stderr
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["verification"]["status"] == "refused"
    assert [p["kind"] for p in saved["verification"]["problems"]] == ["conflict"]


def test_live_identity_destroyed_by_a_plan_is_named_with_the_way_out() -> None:
    idents = inventory(role_with_profile({"owner": "bob@example.com", "expires_at": "2030-01-01"}))
    prior = [{"address": "aws_iam_instance_profile.p", "depends_on": ["aws_iam_role.runner"]}]
    plan = plan_doc([rc("aws_iam_role.runner", "delete"), rc("aws_iam_instance_profile.p", "delete")], prior)
    (p,) = verify_plan(plan, ["aws_iam_role.runner"], identities={i.address: i for i in idents}, now=NOW)
    assert p.kind == "over-reach"
    assert "a live identity with its own owner or expiry" in p.message and "retire it explicitly" in p.message


def test_cli_integration_naming_no_identity_exits_2(tmp_path: Path) -> None:
    state = write_state(tmp_path)
    result = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-01-01",
                                       "--integration", "support", "--integration", "no-such-thing"])
    assert result.exit_code == 2
    assert "--integration no-such-thing: no identity carries this integration tag" in result.stderr
    ok = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-01-01",
                                   "--integration", "support"])
    assert ok.exit_code == 0, ok.output
