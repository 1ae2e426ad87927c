"""The audit log kept in S3 (one object per entry, conditional writes, Object Lock), against moto's
server with real boto3 clients."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.aws_server import BUCKET, aws, client, moto_endpoint, s3_log  # noqa: F401
from tests.conftest import change, plan_doc, run_nhi

pytestmark = pytest.mark.moto


def _env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint}


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
