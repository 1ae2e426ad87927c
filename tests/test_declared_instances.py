"""Synthesized stacks keyed by literal for_each maps, folders mixing Terraform with other JSON,
terminal-safe text output, and the manifest preview of a synthesized stack."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import NOW_TEXT

from nhi_toolkit.cli import main
from nhi_toolkit.loaders import load_document
from nhi_toolkit.loaders.cdktf_json import literal_for_each_keys

TAGS = {"owner": "alice@example.com", "expires_at": "2026-05-01", "integration": "bot"}
GATE = ('${{ for k, v in { "support \\"x\\" bot" = "2026-05-02T00:00:00Z" } : k => v '
        'if local.nhi_now_instant == null ? true : timecmp(local.nhi_now_instant, v) < 0 }}')


def _stack(tmp_path: Path) -> Path:
    doc = {
        "variable": {"nhi_now": {"type": "string", "default": None}},
        "resource": {
            "aws_iam_role": {"bot": {"name": "bot", "for_each": GATE, "tags": TAGS}},
            "aws_iam_role_policy_attachment": {"bot": {
                "for_each": GATE, "role": "${aws_iam_role.bot[each.key].name}",
                "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
            "aws_iam_user": {"plain": {"name": "plain", "for_each": {"a": 1, "b": 2}, "tags": TAGS}},
        },
    }
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_literal_for_each_keys() -> None:
    assert literal_for_each_keys({"b": 1, "a": 2}) == ["a", "b"]
    assert literal_for_each_keys(GATE) == ['support "x" bot']
    assert literal_for_each_keys("${var.agents}") is None
    assert literal_for_each_keys(None) is None


def test_gated_stack_yields_instance_addresses_and_inheritance(tmp_path: Path) -> None:
    [doc] = load_document(str(_stack(tmp_path)))
    addresses = sorted(r.address for r in doc.resources)
    assert addresses == [
        'aws_iam_role.bot["support \\"x\\" bot"]',
        'aws_iam_role_policy_attachment.bot["support \\"x\\" bot"]',
        'aws_iam_user.plain["a"]',
        'aws_iam_user.plain["b"]',
    ]
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--now", NOW_TEXT, "-f", "json"])
    report = json.loads(result.stdout)
    attachment = next(i for i in report["identities"] if i["type"] == "aws_iam_role_policy_attachment")
    assert attachment["inherited_from"] == 'aws_iam_role.bot["support \\"x\\" bot"]'
    assert attachment["owner"] == "alice@example.com"


def test_retire_previews_the_manifest_of_a_synthesized_stack(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    result = CliRunner().invoke(main, ["retire", "--state", str(_stack(tmp_path)), "--now", "2026-06-01",
                                       "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    data = json.loads(manifest.read_text(encoding="utf-8"))
    destroyed = {d["address"] for ident in data["identities"] for d in ident["destroy"]}
    assert 'aws_iam_role_policy_attachment.bot["support \\"x\\" bot"]' in destroyed
    assert 'aws_iam_role.bot["support \\"x\\" bot"]' in destroyed


def test_folder_skips_json_that_is_not_terraform(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "a@example.com", '
        'expires_at = "2026-07-01" }\n}\n', encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "web"}', encoding="utf-8")
    (tmp_path / "cdktf.json").write_text('{"app": "python3 main.py"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--now", NOW_TEXT, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert [i["address"] for i in json.loads(result.stdout)["identities"]] == ["aws_iam_user.u"]


def test_a_named_json_file_that_is_not_terraform_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "web"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "package.json"), "--now", NOW_TEXT])
    assert result.exit_code == 2
    assert "package.json" in result.stderr


def test_text_output_escapes_terminal_control_characters(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "evil\\u001b[2Jowner", '
        'expires_at = "2026-07-01" }\n}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--now", NOW_TEXT])
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[2Jowner" in result.stdout


def test_check_records_grants_and_revokes_of_a_plan_in_the_audit_log(tmp_path: Path) -> None:
    from conftest import change, plan_doc, write_json

    from nhi_toolkit.audit import verify

    plan = plan_doc(
        change("aws_iam_user.new", {"name": "new", "tags": TAGS}, actions=["create"]),
        change("aws_iam_user.old", None, actions=["delete"], before={"name": "old", "tags": TAGS}),
        change("aws_iam_user.same", {"name": "same", "tags": TAGS}, actions=["no-op"]),
    )
    path = tmp_path / "plan.json"
    write_json(path, plan)
    log = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "--audit-log", str(log),
                                       "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["event"], e["data"]["address"]) for e in entries] == [
        ("grant", "aws_iam_user.new"), ("revoke", "aws_iam_user.old")]
    assert verify(log).ok
