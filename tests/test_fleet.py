"""State fleets in S3 (nhi check / nhi inventory s3://...) and proof of retirement, against moto's
server with real boto3 clients."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.aws_server import DUMMY_ENV, aws, client, moto_endpoint  # noqa: F401
from tests.conftest import run_nhi, state_doc, state_resource

pytestmark = pytest.mark.moto

NOW = "2026-06-01"


def _state(*users: tuple[str, str | None, str | None]) -> bytes:
    res = []
    for name, owner, expires in users:
        tags = {k: v for k, v in (("owner", owner), ("expires_at", expires)) if v}
        res.append(state_resource("aws_iam_user", name, {"name": name, "tags": tags}))
    return json.dumps(state_doc(*res)).encode()


def put_fleet(endpoint: str, bucket: str = "tfstate") -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="apps/chat/terraform.tfstate",
                  Body=_state(("chat", "alice@example.com", "2026-12-31")))
    s3.put_object(Bucket=bucket, Key="env:/staging/apps/chat/terraform.tfstate",
                  Body=_state(("chat", "alice@example.com", "2026-01-31")))
    s3.put_object(Bucket=bucket, Key="apps/rag/terraform.tfstate",
                  Body=_state(("rag", None, "2026-12-31"), ("rag2", "bob@example.com", "2026-12-31")))
    s3.put_object(Bucket=bucket, Key="apps/rag/terraform.tfstate.tflock", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="other/x/terraform.tfstate", Body=_state(("x", "c@example.com", "2026-12-31")))
    s3.put_object(Bucket=bucket, Key="env:/prod/other/terraform.tfstate", Body=b"not read")


class _Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_inproc(args: list[Any], env: dict[str, str]) -> _Result:
    """The nhi command in this process (quicker than a new interpreter importing boto3 each time)."""
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    res = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return _Result(res.exit_code, res.stdout, res.stderr)


def nhi_env(endpoint: str) -> dict[str, str]:
    return {**DUMMY_ENV, "AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def test_check_reads_every_state_under_a_prefix_workspaces_included(aws: str) -> None:  # noqa: F811
    put_fleet(aws)
    run = run_nhi(["check", "s3://tfstate/apps/", "--now", NOW, "--format", "json"], env=nhi_env(aws))
    assert run.code == 1, run.stderr
    doc = run.json()
    assert doc["inputs"] == ["s3://tfstate/apps/"]
    got = sorted((i["address"], i["source"]["file"]) for i in doc["identities"])
    assert got == [
        ("aws_iam_user.chat", "s3://tfstate/apps/chat/terraform.tfstate"),
        ("aws_iam_user.chat", "s3://tfstate/env:/staging/apps/chat/terraform.tfstate"),
        ("aws_iam_user.rag", "s3://tfstate/apps/rag/terraform.tfstate"),
        ("aws_iam_user.rag2", "s3://tfstate/apps/rag/terraform.tfstate"),
    ]
    rules = sorted((f["rule"], f["source"]["file"]) for f in doc["findings"] if f["severity"] == "error")
    assert ("expired", "s3://tfstate/env:/staging/apps/chat/terraform.tfstate") in rules
    assert ("missing-owner", "s3://tfstate/apps/rag/terraform.tfstate") in rules


def test_inventory_formats_shards_and_merge(aws: str, tmp_path: Path) -> None:  # noqa: F811
    put_fleet(aws)
    env = nhi_env(aws)
    full = run_nhi(["inventory", "s3://tfstate/apps/", "--now", NOW, "--format", "json",
                    "--endpoint-url", aws], env=env)
    assert full.code == 0, full.stderr
    doc = full.json()
    assert doc["states"] == 3
    rows = {(r["workspace"], r["identity"]): r for r in doc["rows"]}
    assert set(rows) == {("default", "aws_iam_user.chat"), ("staging", "aws_iam_user.chat"),
                         ("default", "aws_iam_user.rag"), ("default", "aws_iam_user.rag2")}
    assert rows[("staging", "aws_iam_user.chat")]["status"] == "expired"
    assert rows[("default", "aws_iam_user.rag")]["owner"] is None
    assert rows[("default", "aws_iam_user.chat")]["state"] == "s3://tfstate/apps/chat/terraform.tfstate"
    parts = []
    for i in range(3):
        part = run_inproc(["inventory", "s3://tfstate/apps/", "--now", NOW, "--format", "json", "--shard",
                        f"{i}/3", "--output", tmp_path / f"part{i}.json", "--endpoint-url", aws], env=env)
        assert part.code == 0, part.stderr
        parts.append(tmp_path / f"part{i}.json")
    counts = [len(json.loads(p.read_text())["rows"]) for p in parts]
    assert sum(counts) == 4
    merged = run_inproc(["inventory", "--merge", *parts, "--now", NOW, "--format", "json"], env=env)
    assert merged.json()["rows"] == doc["rows"] and merged.json()["states"] == 3
    again = run_inproc(["inventory", "s3://tfstate/apps/", "--now", NOW, "--format", "json",
                     "--endpoint-url", aws], env=env)
    assert again.stdout == full.stdout  # deterministic
    table = run_inproc(["inventory", "s3://tfstate/apps/", "--now", NOW, "--endpoint-url", aws], env=env)
    assert "staging" in table.stdout and "4 identities in 3 states" in table.stdout
    text = run_inproc(["inventory", "s3://tfstate/apps/", "--now", NOW, "--format", "csv",
                    "--endpoint-url", aws], env=env).stdout
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["identity"] for r in csv_rows] == [r["identity"] for r in doc["rows"]]
    assert list(csv_rows[0]) == ["identity", "type", "state", "workspace", "owner", "expires_at", "status"]


def test_inventory_errors_are_clean(aws: str, tmp_path: Path) -> None:  # noqa: F811
    env = nhi_env(aws)
    client(aws, "s3").create_bucket(Bucket="empty")
    none = run_nhi(["inventory", "s3://empty/x/", "--endpoint-url", aws], env=env)
    assert none.code == 2 and "no Terraform state" in none.stderr
    missing = run_nhi(["inventory", "s3://no-such-bucket/x/", "--endpoint-url", aws], env=env)
    assert missing.code == 4 and "Traceback" not in missing.stderr
    bad = run_nhi(["inventory", "--merge", tmp_path / "nope.json"], env=env)
    assert bad.code == 2
    shard = run_nhi(["inventory", "x.tfstate", "--shard", "3/2"], env=env)
    assert shard.code == 2 and "--shard" in shard.stderr


def test_object_reads_are_size_capped(aws: str) -> None:  # noqa: F811
    from nhi_toolkit.aws.s3 import list_states, read_object
    from nhi_toolkit.aws.session import AwsOptions, AwsSession
    from nhi_toolkit.errors import InputError

    put_fleet(aws)
    session = AwsSession(AwsOptions(endpoint_url=aws, region="us-east-1"))
    (obj,) = list_states("s3://tfstate/apps/rag/", session)
    assert read_object(obj, session).startswith(b"{")
    with pytest.raises(InputError, match="limit"):
        read_object(obj, session, max_bytes=10)


def _retire_setup(endpoint: str) -> list[dict[str, Any]]:
    iam, sm = client(endpoint, "iam"), client(endpoint, "secretsmanager")
    for user in ("gone-user", "kept-user"):
        iam.create_user(UserName=user)
    gone_key = iam.create_access_key(UserName="kept-user")["AccessKey"]["AccessKeyId"]
    inactive_key = iam.create_access_key(UserName="kept-user")["AccessKey"]["AccessKeyId"]
    iam.delete_access_key(UserName="kept-user", AccessKeyId=gone_key)
    iam.update_access_key(UserName="kept-user", AccessKeyId=inactive_key, Status="Inactive")
    iam.delete_user(UserName="gone-user")
    iam.create_role(RoleName="kept-role", AssumeRolePolicyDocument="{}")
    pending = sm.create_secret(Name="pending", SecretString="x")["ARN"]
    sm.delete_secret(SecretId=pending, RecoveryWindowInDays=7)
    live = sm.create_secret(Name="live", SecretString="x")["ARN"]
    return [
        {"address": "aws_iam_access_key.gone", "type": "aws_iam_access_key", "id": gone_key, "user": "kept-user"},
        {"address": "aws_iam_access_key.inactive", "type": "aws_iam_access_key", "id": inactive_key,
         "user": "kept-user"},
        {"address": "aws_iam_user.gone", "type": "aws_iam_user", "name": "gone-user"},
        {"address": "aws_iam_user.kept", "type": "aws_iam_user", "name": "kept-user"},
        {"address": "aws_iam_role.gone", "type": "aws_iam_role", "name": "never-existed"},
        {"address": "aws_iam_role.kept", "type": "aws_iam_role", "name": "kept-role"},
        {"address": "aws_secretsmanager_secret.pending", "type": "aws_secretsmanager_secret", "arn": pending},
        {"address": "aws_secretsmanager_secret.live", "type": "aws_secretsmanager_secret", "arn": live},
        {"address": "aws_secretsmanager_secret.gone", "type": "aws_secretsmanager_secret", "name": "no-such"},
        {"address": "aws_iam_user_policy.p", "type": "aws_iam_user_policy", "name": "p"},
    ]


def test_confirm_retired(aws: str) -> None:  # noqa: F811
    from nhi_toolkit.aws.retirement import confirm_retired
    from nhi_toolkit.aws.session import AwsOptions, AwsSession

    entries = _retire_setup(aws)
    results = confirm_retired(entries, AwsSession(AwsOptions(endpoint_url=aws, region="us-east-1")))
    got = {r.address: (r.confirmed, r.state) for r in results}
    assert got == {
        "aws_iam_access_key.gone": (True, "gone"),
        "aws_iam_access_key.inactive": (False, "inactive"),
        "aws_iam_user.gone": (True, "gone"),
        "aws_iam_user.kept": (False, "present"),
        "aws_iam_role.gone": (True, "gone"),
        "aws_iam_role.kept": (False, "present"),
        "aws_secretsmanager_secret.pending": (True, "pending-deletion"),
        "aws_secretsmanager_secret.live": (False, "present"),
        "aws_secretsmanager_secret.gone": (True, "gone"),
    }
    pending = next(r for r in results if r.state == "pending-deletion")
    assert pending.deletion_date and pending.deletion_date.endswith("Z")
    assert all("x" != v for r in results for v in r.to_json().values())


def test_retirement_targets_from_state_identities() -> None:
    from nhi_toolkit.aws.retirement import retirement_targets
    from nhi_toolkit.config import Config
    from nhi_toolkit.engine import check_documents
    from nhi_toolkit.loaders.state import load_raw_state

    doc = load_raw_state(state_doc(
        state_resource("aws_iam_user", "u", {"name": "bot", "tags": {}}),
        state_resource("aws_iam_access_key", "k", {"id": "AKIAEXAMPLE", "user": "bot", "secret": "s3cr3t"}),
    ), "s.tfstate", lambda t: True)
    report = check_documents([doc], Config(), __import__("tests.conftest").conftest.NOW)
    targets = retirement_targets(report.identities, ["aws_iam_access_key.k", "aws_iam_user.u"])
    assert targets == [
        {"address": "aws_iam_access_key.k", "type": "aws_iam_access_key", "id": "AKIAEXAMPLE", "user": "bot"},
        {"address": "aws_iam_user.u", "type": "aws_iam_user", "name": "bot"},
    ]
