"""nhi owners: the digest per owner, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_samples import CHECK_NOW, HCL_CASE, _ident, _report

from nhi_toolkit.cli import main
from nhi_toolkit.model import UNKNOWN


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_owners_digest(fmt: str, tmp_path: Path) -> None:
    args = ["owners", str(HCL_CASE), "--now", CHECK_NOW, "--format", fmt]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == CliRunner().invoke(main, args).stdout  # deterministic
    out = first.stdout
    if fmt == "json":
        doc = json.loads(out)
        (owner,) = doc["owners"]
        assert owner["owner"] == "platform@example.com"
        assert [e["address"] for e in owner["expired"]] == [
            "aws_iam_role.deployer", "aws_secretsmanager_secret.rotated", "aws_secretsmanager_secret.static",
            "aws_secretsmanager_secret_rotation.rotated", "aws_secretsmanager_secret_version.static"]
        assert owner["expired"][0]["days_left"] == -163
        assert doc["summary"]["expired"] == 5 and doc["expiring_soon_days"] == 14
    elif fmt == "markdown":
        assert out.startswith("<!-- nhi-toolkit:owners -->") and "| aws\\_iam\\_role.deployer | expired |" in out
    else:
        assert "platform@example.com: 5 expired, 0 expiring soon" in out
        assert "EXPIRED" in out and "163 days ago" in out


def test_owners_groups_no_owner_and_expiring_soon() -> None:
    from nhi_toolkit.reporters.owners import build_digest

    report = _report([_ident("aws_iam_user.a", owner="Alice@Example.com", expires="2026-06-05"),
                      _ident("aws_iam_user.b", owner="alice@example.com", expires="2026-05-01"),
                      _ident("aws_iam_user.c", owner=None), _ident("aws_iam_user.d", owner=UNKNOWN)], [])
    doc = build_digest(report, 14)
    (owner,) = doc["owners"]
    assert owner["owner"] == "Alice@Example.com" and owner["identities"] == 2
    assert [e["address"] for e in owner["expiring_soon"]] == ["aws_iam_user.a"]
    assert [e["address"] for e in owner["expired"]] == ["aws_iam_user.b"]
    assert [e["address"] for e in doc["no_owner"]] == ["aws_iam_user.c"]
    assert [e["address"] for e in doc["unknown_owner"]] == ["aws_iam_user.d"]
