"""The audit log kept in S3 (one object per entry, conditional writes, Object Lock) and the proof of
retirement (``nhi retire --apply --verify-live``'s confirmation step), against moto's server with
real boto3 clients."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.aws_server import aws, client, moto_endpoint  # noqa: F401
from tests.conftest import change, plan_doc, run_nhi, state_doc, state_resource

pytestmark = pytest.mark.moto

BUCKET = "audit-trail"


def _env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint}


@pytest.fixture()
def s3_log(aws: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """An empty bucket on moto; the URL of a log under it. The library reaches moto through
    AWS_ENDPOINT_URL, as the CLI does."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    client(aws, "s3").create_bucket(Bucket=BUCKET)
    return f"s3://{BUCKET}/nhi/audit/"


def _keys(endpoint: str, prefix: str = "nhi/audit/") -> list[str]:
    got = client(endpoint, "s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in got.get("Contents", [])]


def test_append_writes_one_object_per_entry_and_verifies(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log, verify

    log = open_log(s3_log)
    first = log.append("grant", run_id="r1", data={"address": "aws_iam_user.a"}, now="2026-06-01")
    second = log.append("revoke", run_id="r1", data={"address": "aws_iam_user.b"})
    assert (first.seq, second.seq, second.prev) == (1, 2, first.hash)
    assert _keys(aws) == ["nhi/audit/00000000000000000001", "nhi/audit/00000000000000000002"]
    body = client(aws, "s3").get_object(Bucket=BUCKET, Key="nhi/audit/00000000000000000002")["Body"].read()
    # The object holds the entry's canonical line: the file log's format, byte for byte.
    assert body == (json.dumps(second.to_json(), sort_keys=True, separators=(",", ":")) + "\n").encode()
    result = verify(s3_log)
    assert (result.ok, result.entries, result.head) == (True, 2, second.hash)
    assert verify(s3_log, f"1:{first.hash}").ok

    run = run_nhi(["audit", "verify", s3_log], env=_env(aws))
    assert (run.code, run.stdout.strip()) == (0, f"ok: 2 entries, head {second.hash}")
    run = run_nhi(["audit", "show", s3_log, "--format", "json"], env=_env(aws))
    assert run.code == 0 and [e["hash"] for e in run.json()] == [first.hash, second.hash]


def test_prefix_without_slash_and_other_keys_ignored(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log, verify

    client(aws, "s3").put_object(Bucket=BUCKET, Key="nhi/audit/README", Body=b"not an entry")
    open_log(f"s3://{BUCKET}/nhi/audit").append("grant", run_id="r1", data={"address": "a"})
    assert verify(s3_log).entries == 1


def test_extend_with_skip_records_each_key_once(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log, verify

    def key(event: str, data: Any) -> Any:
        return data.get("address")

    items = [("grant", {"address": f"a{n}"}) for n in (1, 2, 1, 3)]
    log = open_log(s3_log)
    assert [e.data["address"] for e in log.extend(items, run_id="r", skip=key)] == ["a1", "a2", "a3"]
    assert log.extend(items, run_id="r", skip=key) == []
    assert [e.seq for e in log.extend([("grant", {"address": "a4"})], run_id="r", skip=key)] == [4]
    assert verify(s3_log).entries == 4


def test_tampered_object_is_detected(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log, verify

    log = open_log(s3_log)
    for n in range(3):
        log.append("grant", run_id="r1", data={"address": f"aws_iam_user.u{n}", "owner": "alice"})
    s3 = client(aws, "s3")
    key = "nhi/audit/00000000000000000002"
    s3.put_object(Bucket=BUCKET, Key=key,
                  Body=s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().replace(b"alice", b"mallory"))
    result = verify(s3_log)
    assert (result.ok, result.first_broken, result.entries) == (False, 2, 1)
    assert "modified" in (result.reason or "")
    run = run_nhi(["audit", "verify", s3_log], env=_env(aws))
    assert run.code == 1
    assert "broken at entry 2" in run.stdout and "object 00000000000000000002" in run.stdout
    assert "mallory" not in run.stdout + run.stderr
    # An append refuses nothing here (the last entry is intact), but a full scan does.
    with pytest.raises(Exception, match="modified"):
        log.check()


def test_removed_object_breaks_the_chain(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import AuditLogCorrupt, open_log, verify

    log = open_log(s3_log)
    for n in range(3):
        log.append("grant", run_id="r1", data={"address": f"a{n}"})
    client(aws, "s3").delete_object(Bucket=BUCKET, Key="nhi/audit/00000000000000000002")
    result = verify(s3_log)
    assert (result.ok, result.first_broken) == (False, 2)
    with pytest.raises(AuditLogCorrupt):
        log.append("grant", run_id="r1", data={"address": "a3"})


def test_concurrent_appenders_never_fork(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import RemoteAuditLog, verify
    from nhi_toolkit.aws.audit_store import S3ChainStore

    lost: list[int] = []

    class Counting(S3ChainStore):
        def create(self, seq: int, blob: bytes, at: str) -> bool:
            ok = super().create(seq, blob, at)
            if not ok:
                lost.append(seq)
            return ok

    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(n: int) -> None:
        try:
            log = RemoteAuditLog(Counting(s3_log))
            start.wait()
            for i in range(4):
                log.append("grant", run_id=f"runner-{n}", data={"address": f"aws_iam_user.u{n}_{i}"})
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify(s3_log)
    assert (result.ok, result.entries) == (True, 12)
    assert len(_keys(aws)) == 12


def test_losing_writer_chains_after_the_winner(aws: str, s3_log: str) -> None:  # noqa: F811
    """A writer that read the head before another runner appended loses the conditional write,
    re-reads the head and appends after the winner's entry."""
    from nhi_toolkit.audit import RemoteAuditLog, open_log, verify
    from nhi_toolkit.aws.audit_store import S3ChainStore

    open_log(s3_log).append("run-started", run_id="a", data={})
    refused: list[int] = []

    class Interleaved(S3ChainStore):
        def create(self, seq: int, blob: bytes, at: str) -> bool:
            if not refused and seq == 2:
                # Another runner takes entry 2 between this writer's read of the head and its put.
                open_log(s3_log).append("grant", run_id="b", data={"address": "other"})
            ok = super().create(seq, blob, at)
            if not ok:
                refused.append(seq)
            return ok

    entry = RemoteAuditLog(Interleaved(s3_log)).append("grant", run_id="a", data={"address": "mine"})
    assert refused == [2]
    assert entry.seq == 3
    result = verify(s3_log)
    assert (result.ok, result.entries, result.head) == (True, 3, entry.hash)


def test_writer_that_keeps_losing_fails_cleanly() -> None:
    from nhi_toolkit.audit import MAX_CONFLICTS, AuditWriteError, RemoteAuditLog

    class AlwaysTaken:
        url = "s3://bucket/p/"

        def names(self) -> list[int]:
            return []

        def read(self, seq: int) -> bytes:  # pragma: no cover - never called on an empty log
            raise AssertionError

        def create(self, seq: int, blob: bytes, at: str) -> bool:
            return False

    with pytest.raises(AuditWriteError, match=f"taken by another writer {MAX_CONFLICTS + 1} times"):
        RemoteAuditLog(AlwaysTaken()).append("grant", run_id="r", data={})


def test_object_lock_retention_on_each_entry(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from nhi_toolkit import audit
    from nhi_toolkit.audit import open_log, verify

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket="locked-trail", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="locked-trail", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    from datetime import UTC, datetime

    monkeypatch.setattr(audit, "CLOCK", lambda: datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    open_log("s3://locked-trail/log/").append("grant", run_id="r", data={"address": "a"})
    head = s3.head_object(Bucket="locked-trail", Key="log/00000000000000000001")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert verify("s3://locked-trail/log/").ok


def test_no_object_lock_no_retention(aws: str, s3_log: str) -> None:  # noqa: F811
    from nhi_toolkit.audit import open_log

    open_log(s3_log).append("grant", run_id="r", data={"address": "a"})
    head = client(aws, "s3").head_object(Bucket=BUCKET, Key="nhi/audit/00000000000000000001")
    assert "ObjectLockMode" not in head


def test_missing_bucket_is_exit_4_with_a_clean_message(aws: str, tmp_path: Path) -> None:  # noqa: F811
    run = run_nhi(["audit", "verify", "s3://no-such-bucket/audit/"], env=_env(aws))
    assert run.code == 4
    assert "no-such-bucket does not exist" in run.stderr and "Traceback" not in run.stderr

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_doc(change("aws_iam_user.bot", {"name": "bot", "tags": {
        "owner": "alice@example.com", "expires_at": "2026-12-31"}}))))
    run = run_nhi(["check", plan, "--now", "2026-06-01", "--audit-log", "s3://no-such-bucket/audit/"],
                  env=_env(aws))
    assert run.code == 4
    assert "no-such-bucket does not exist" in run.stderr and "Traceback" not in run.stderr


def test_check_records_grants_in_s3_once(aws: str, s3_log: str, tmp_path: Path) -> None:  # noqa: F811
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_doc(change("aws_iam_user.bot", {"name": "bot", "tags": {
        "owner": "alice@example.com", "expires_at": "2026-12-31"}}))))
    for _ in range(2):  # the rerun of the same plan records nothing new
        run = run_nhi(["check", plan, "--now", "2026-06-01", "--audit-log", s3_log], env=_env(aws))
        assert run.code == 0, run.stderr
    assert len(_keys(aws)) == 1
    run = run_nhi(["audit", "verify", s3_log, "--format", "json"], env=_env(aws))
    assert (run.code, json.loads(run.stdout)["entries"]) == (0, 1)


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
