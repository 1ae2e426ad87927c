"""A retirement run from a state file (no Terraform): manifest, summary, audit log, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from retire_estates import SECRET_MARK, role_with_profile, write_state

from nhi_toolkit.cli import main


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


def test_cli_integration_naming_no_identity_exits_2(tmp_path: Path) -> None:
    state = write_state(tmp_path)
    result = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-01-01",
                                       "--integration", "support", "--integration", "no-such-thing"])
    assert result.exit_code == 2
    assert "--integration no-such-thing: no identity carries this integration tag" in result.stderr
    ok = CliRunner().invoke(main, ["retire", "--state", str(state), "--now", "2026-01-01",
                                   "--integration", "support"])
    assert ok.exit_code == 0, ok.output
