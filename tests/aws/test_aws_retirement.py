"""The proof of retirement (``nhi retire --apply --verify-live``'s confirmation step), against moto's
server with real boto3 clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.aws_server import BUCKET, aws, client, moto_endpoint, s3_log  # noqa: F401
from tests.conftest import run_nhi, state_doc, state_resource

pytestmark = pytest.mark.moto


# --- proof of retirement: the confirmation step of --verify-live ----------------------------------


def _retired_state(user: str, key_id: str, role: str, secret_arn: str) -> list[Any]:
    from nhi_toolkit.config import Config
    from nhi_toolkit.engine import check_documents
    from nhi_toolkit.loaders.state import load_raw_state
    from tests.conftest import NOW

    tags = {"owner": "alice@example.com", "expires_at": "2026-01-31"}
    doc = load_raw_state(state_doc(
        state_resource("aws_iam_user", "bot", {"name": user, "tags": tags}),
        state_resource("aws_iam_access_key", "bot", {"id": key_id, "user": user, "secret": "s3cr3t-value",
                                                      "status": "Active"}),
        state_resource("aws_iam_role", "agent", {"name": role, "tags": tags}),
        state_resource("aws_secretsmanager_secret", "openai", {"name": "openai-key", "arn": secret_arn,
                                                               "tags": tags}),
    ), "terraform.tfstate", lambda t: True)
    return list(check_documents([doc], Config(), NOW).identities)


def _manifest() -> Any:
    from nhi_toolkit.retire import Manifest

    order = [{"address": a, "type": a.split(".")[0]} for a in (
        "aws_iam_access_key.bot", "aws_secretsmanager_secret.openai", "aws_iam_role.agent", "aws_iam_user.bot")]
    return Manifest(now="2026-06-01T00:00:00Z", groups=(), criteria={}, raw={"revocation_order": order})


def _recorder(path: Path) -> Any:
    from nhi_toolkit.audit import AuditLog

    log = AuditLog(path)
    return lambda event, **data: log.append(event, run_id="retire-apply-test", data=data)


def _create(endpoint: str) -> tuple[str, str, str, str]:
    iam, sm = client(endpoint, "iam"), client(endpoint, "secretsmanager")
    iam.create_user(UserName="bot")
    key = iam.create_access_key(UserName="bot")["AccessKey"]
    iam.create_role(RoleName="agent", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "bedrock.amazonaws.com"}}]}))
    arn = sm.create_secret(Name="openai-key", SecretString="sk-not-a-real-key")["ARN"]
    return "bot", key["AccessKeyId"], "agent", arn


def _session(endpoint: str) -> Any:
    from nhi_toolkit.aws.session import AwsOptions, AwsSession

    return AwsSession(AwsOptions(endpoint_url=endpoint, region="us-east-1"))


def test_verify_live_confirms_a_retirement_deleted_in_aws(aws: str, tmp_path: Path) -> None:  # noqa: F811
    from nhi_toolkit.audit import iter_entries, verify
    from nhi_toolkit.aws.retirement import live_confirmation

    user, key_id, role, arn = _create(aws)
    identities = _retired_state(user, key_id, role, arn)
    iam = client(aws, "iam")
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    iam.delete_user(UserName=user)
    iam.delete_role(RoleName=role)
    client(aws, "secretsmanager").delete_secret(SecretId=arn, RecoveryWindowInDays=7)

    echoed: list[str] = []
    log = tmp_path / "audit.jsonl"
    failure = live_confirmation(_session(aws), echoed.append)(identities, _manifest(), _recorder(log))
    assert failure is None
    got = {e.data["address"]: (e.data["result"], e.data["confirmed"]) for e in iter_entries(log)
           if e.event == "confirmed-live"}
    assert got == {
        "aws_iam_access_key.bot": ("gone", True),
        "aws_iam_user.bot": ("gone", True),
        "aws_iam_role.agent": ("gone", True),
        "aws_secretsmanager_secret.openai": ("pending-deletion", True),
    }
    pending = next(e for e in iter_entries(log) if e.data.get("result") == "pending-deletion")
    assert pending.data["deletion_date"].endswith("Z")
    assert verify(log).ok
    text = log.read_text() + "\n".join(echoed)
    assert "s3cr3t-value" not in text and "sk-not-a-real-key" not in text
    assert any("deletion on" in m for m in echoed)


def test_verify_live_fails_naming_a_key_still_there(aws: str, tmp_path: Path) -> None:  # noqa: F811
    from nhi_toolkit.audit import iter_entries
    from nhi_toolkit.aws.retirement import live_confirmation

    user, key_id, role, arn = _create(aws)
    identities = _retired_state(user, key_id, role, arn)
    iam = client(aws, "iam")
    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")  # revoked, not deleted
    iam.delete_role(RoleName=role)
    client(aws, "secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)

    log = tmp_path / "audit.jsonl"
    failure = live_confirmation(_session(aws))(identities, _manifest(), _recorder(log))
    assert failure is not None
    assert "2 of 4" in failure
    assert "aws_iam_access_key.bot (inactive" in failure and "aws_iam_user.bot (present" in failure
    assert "aws_iam_role.agent" not in failure
    assert "s3cr3t-value" not in failure
    got = {e.data["address"]: e.data["confirmed"] for e in iter_entries(log) if e.event == "confirmed-live"}
    assert got == {"aws_iam_access_key.bot": False, "aws_iam_user.bot": False,
                   "aws_iam_role.agent": True, "aws_secretsmanager_secret.openai": True}


def test_verify_live_address_the_state_did_not_describe_is_unchecked(aws: str, tmp_path: Path) -> None:  # noqa: F811
    from nhi_toolkit.aws.retirement import live_confirmation

    failure = live_confirmation(_session(aws))([], _manifest(), _recorder(tmp_path / "a.jsonl"))
    assert failure is not None and "0 of 4" not in failure and "unchecked" in failure


def test_verify_live_records_in_an_s3_audit_log(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log, verify
    from nhi_toolkit.aws.retirement import live_confirmation

    user, key_id, role, arn = _create(aws)
    identities = _retired_state(user, key_id, role, arn)
    log = open_log(s3_log)
    failure = live_confirmation(_session(aws))(
        identities, _manifest(), lambda event, **data: log.append(event, run_id="r", data=data))
    assert failure is not None and "4 of 4" in failure
    assert verify(s3_log).entries == 4


def test_verify_live_cloud_unreachable_fails_the_run(tmp_path: Path) -> None:
    from nhi_toolkit.aws.retirement import live_confirmation
    from nhi_toolkit.aws.session import AwsOptions, AwsSession
    from tests.aws_server import free_port

    session = AwsSession(AwsOptions(endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1",
                                    max_attempts=1))
    recorded: list[tuple[str, dict[str, Any]]] = []
    failure = live_confirmation(session)(
        _retired_state("bot", "AKIAEXAMPLE", "agent", "arn:aws:secretsmanager:us-east-1:1:secret:x"),
        _manifest(), lambda event, **data: recorded.append((event, data)))
    assert failure is not None and "could not be asked" in failure
    assert recorded and recorded[0][0] == "failed"


def test_verify_live_needs_apply(tmp_path: Path) -> None:
    run = run_nhi(["retire", "--terraform-dir", tmp_path, "--verify-live"])
    assert run.code == 2 and "--verify-live needs --apply" in run.stderr


# --- the hook in a real retirement (terraform_data identities: no AWS types to confirm) -----------


@pytest.mark.terraform
def test_after_apply_hook_runs_once_state_confirms_and_can_fail_the_run(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from nhi_toolkit.audit import iter_entries
    from nhi_toolkit.config import load_config
    from nhi_toolkit.expiry import parse_now
    from nhi_toolkit.retire import Criteria, Settings, review
    from tests.test_retire_e2e import EXAMPLE, EXPIRED, FRESH, deploy, state_addresses

    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    seen: list[tuple[set[str], tuple[str, ...], set[str]]] = []

    def hook(identities, manifest, audit):  # type: ignore[no-untyped-def]
        seen.append(({i.address for i in identities}, manifest.addresses, state_addresses(tf, work)))
        audit("confirmed-live", address=manifest.addresses[0], result="present", confirmed=False)
        return "nhi retire: still there in the cloud"

    log = tmp_path / "audit.jsonl"
    settings = Settings(terraform_dir=str(work), audit_log=str(log), after_apply=hook)
    config = load_config(str(work / "nhi.toml"), [str(work)])
    outcome = review(settings, Criteria(parse_now("2026-12-01")), config, apply=True)
    assert (outcome.exit_code, outcome.message) == (4, "nhi retire: still there in the cloud")
    ((known, retired, left),) = seen
    assert set(retired) == EXPIRED and left == FRESH and EXPIRED <= known  # called after the apply
    events = [(e.event, e.data.get("outcome")) for e in iter_entries(log)]
    assert events[-2:] == [("confirmed-live", None), ("run-finished", "failed")]


@pytest.mark.terraform
def test_retire_cli_verify_live_with_an_s3_audit_log(tf, aws: str, tmp_path: Path,  # type: ignore[no-untyped-def]  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from nhi_toolkit.audit import verify
    from tests.test_retire_e2e import EXAMPLE, FRESH, deploy, retire, state_addresses

    client(aws, "s3").create_bucket(Bucket=BUCKET)
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    code, stdout, stderr = retire(work, "--now", "2026-12-01", "--config", str(work / "nhi.toml"), "--apply",
                                  "--yes", "-q", "--verify-live", "--endpoint-url", aws,
                                  "--audit-log", f"s3://{BUCKET}/retire/")
    assert code == 0, stderr
    assert "4 addresses confirmed gone" in stdout
    assert state_addresses(tf, work) == FRESH
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    result = verify(f"s3://{BUCKET}/retire/")
    assert result.ok and result.entries > 10
