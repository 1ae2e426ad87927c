"""nhi verify against a real AWS-compatible endpoint (moto's server), driven by real boto3 clients.

The account is built with boto3, some identities are deleted or added behind state's back, and the
state handed to nhi verify is written from what was created. The clock is pinned relative to the
keys' own creation dates, so nothing depends on the day the tests run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.aws_server import DUMMY_ENV, FaultProxy, aws, client, free_port, moto_endpoint  # noqa: F401
from tests.conftest import run_nhi, state_doc, state_resource, write_json

pytestmark = pytest.mark.moto


OWNER = "alice@example.com"


BEDROCK_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _tags(**kw: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in kw.items()]


def build_account(endpoint: str) -> dict[str, Any]:
    """Create the account and return what state should record (ids, names) plus the pinned clock."""
    iam, sm = client(endpoint, "iam"), client(endpoint, "secretsmanager")
    out: dict[str, Any] = {}
    # Declared user with a declared key; a second key, a login profile and an inline policy are
    # added outside Terraform.
    iam.create_user(UserName="support-bot", Tags=_tags(owner=OWNER, expires_at="2030-01-01"))
    key = iam.create_access_key(UserName="support-bot")["AccessKey"]
    out["key"] = key["AccessKeyId"]
    created: datetime = key["CreateDate"]
    iam.create_access_key(UserName="support-bot")
    iam.create_login_profile(UserName="support-bot", Password="Not-a-real-1!")
    iam.put_user_policy(UserName="support-bot", PolicyName="extra",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    # A declared key deleted outside Terraform.
    iam.create_user(UserName="gone-bot", Tags=_tags(owner=OWNER, expires_at="2030-01-01"))
    gone = iam.create_access_key(UserName="gone-bot")["AccessKey"]["AccessKeyId"]
    iam.delete_access_key(UserName="gone-bot", AccessKeyId=gone)
    out["gone"] = gone
    # A declared key made Inactive (revoked, not deleted), whose user expired.
    iam.create_user(UserName="old-bot", Tags=_tags(owner=OWNER, expires_at="2020-01-01"))
    old = iam.create_access_key(UserName="old-bot")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="old-bot", AccessKeyId=old, Status="Inactive")
    out["old"] = old
    # Declared role whose owner tag was changed outside Terraform.
    iam.create_role(RoleName="rag-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                    Tags=_tags(owner="mallory@example.com", expires_at="2030-01-01"))
    # Undeclared AI role, undeclared plain role, a service-linked role, an undeclared provider secret.
    pol = iam.create_policy(PolicyName="BedrockInvokeModel", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel",
                                                  "Resource": "*"}]}))["Policy"]["Arn"]
    iam.create_role(RoleName="shadow-agent", AssumeRolePolicyDocument=json.dumps(BEDROCK_TRUST))
    iam.attach_role_policy(RoleName="shadow-agent", PolicyArn=pol)
    iam.create_role(RoleName="batch-runner", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    sm.create_secret(Name="prod/openai-api-key", SecretString="not-a-real-key")
    # Declared secret, and a declared secret deleted behind state's back.
    arn = sm.create_secret(Name="support/model-key", SecretString="x",
                           Tags=_tags(owner=OWNER, expires_at="2030-01-01"))["ARN"]
    out["secret_arn"] = arn
    arn2 = sm.create_secret(Name="support/old-key", SecretString="x",
                            Tags=_tags(owner=OWNER, expires_at="2030-01-01"))["ARN"]
    sm.delete_secret(SecretId=arn2, RecoveryWindowInDays=7)
    out["secret2_arn"] = arn2
    out["now"] = (created + timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def write_state(path: Path, acct: dict[str, Any]) -> Path:
    tags = {"owner": OWNER, "expires_at": "2030-01-01"}
    return write_json(path, state_doc(
        state_resource("aws_iam_user", "support", {"name": "support-bot", "tags": tags}),
        state_resource("aws_iam_access_key", "support", {"id": acct["key"], "user": "support-bot",
                                                         "status": "Active"}),
        state_resource("aws_iam_user", "gone", {"name": "gone-bot", "tags": tags}),
        state_resource("aws_iam_access_key", "gone", {"id": acct["gone"], "user": "gone-bot"}),
        state_resource("aws_iam_user", "old", {"name": "old-bot",
                                               "tags": {"owner": OWNER, "expires_at": "2020-01-01"}}),
        state_resource("aws_iam_access_key", "old", {"id": acct["old"], "user": "old-bot"}),
        state_resource("aws_iam_role", "rag", {"name": "rag-role", "tags": tags}),
        state_resource("aws_secretsmanager_secret", "model", {"name": "support/model-key", "tags": tags,
                                                              "arn": acct["secret_arn"],
                                                              "rotation_rules": [{"automatically_after_days": 30}]}),
        state_resource("aws_secretsmanager_secret", "old", {"name": "support/old-key", "tags": tags,
                                                            "arn": acct["secret2_arn"],
                                                            "rotation_rules": [{"automatically_after_days": 30}]}),
    ))


def verify(endpoint: str, *args: Any, env: dict[str, str] | None = None) -> Any:
    return run_nhi(["verify", *args, "--endpoint-url", endpoint, "--max-attempts", "3"],
                   env={**DUMMY_ENV, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                        **(env or {})})


def by_rule(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def snapshot(endpoint: str) -> Any:
    """Everything in the account that verify could change."""
    iam, sm = client(endpoint, "iam"), client(endpoint, "secretsmanager")
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    return {
        "users": users,
        "keys": {u: sorted((k["AccessKeyId"], k["Status"]) for k in
                           iam.list_access_keys(UserName=u)["AccessKeyMetadata"]) for u in users},
        "user_tags": {u: iam.list_user_tags(UserName=u)["Tags"] for u in users},
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
        "policies": sorted(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]),
        "secrets": sorted(s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]),
    }


def test_verify_reports_each_live_finding(aws: str, tmp_path: Path) -> None:  # noqa: F811
    acct = build_account(aws)
    state = write_state(tmp_path / "terraform.tfstate", acct)
    before = snapshot(aws)
    run = verify(aws, state, "--now", acct["now"], "--format", "json")
    assert run.code == 1, run.stderr
    assert run.stderr == ""
    doc = json.loads(run.stdout)
    rules = by_rule(doc)
    msgs = {r: " | ".join(f["address"] + ": " + f["message"] for f in fs) for r, fs in rules.items()}
    # Deleted outside Terraform, tag changed outside Terraform, secret scheduled for deletion.
    drift = {f["address"] for f in rules["drift"]}
    assert {"aws_iam_access_key.gone", "aws_iam_role.rag", "aws_secretsmanager_secret.old"} <= drift
    assert "mallory@example.com" in msgs["drift"]
    assert acct["gone"] not in "".join(f["address"] for f in doc["findings"])
    # The declared key inherits the expired user's expiry? support-bot is not expired; old-bot is, but
    # its key is Inactive: revoked, not deleted.
    assert [f["address"] for f in rules["key-inactive-not-deleted"]] == ["aws_iam_access_key.old"]
    assert "key-active-past-expiry" not in rules
    # 200 days old: past the 90-day maximum, and never used.
    assert {f["address"] for f in rules["key-too-old"]} == {"aws_iam_access_key.support", "aws_iam_access_key.old"}
    assert "aws_iam_access_key.support" in {f["address"] for f in rules["dormant"]}
    assert "about 4 hours" in msgs["dormant"]
    assert "aws_iam_role.rag" in {f["address"] for f in rules["dormant"]}
    # Attached outside Terraform.
    outside = msgs["credential-outside-terraform"]
    assert "login profile" in outside and "inline policy extra" in outside and "access key" in outside
    assert acct["key"] not in outside  # the declared key is not "a second key"
    # Undeclared identities by ARN, AI-like ones first and as errors; service-linked roles skipped.
    unmanaged = {f["address"]: f for f in rules["unmanaged"]}
    assert "arn:aws:iam::123456789012:role/shadow-agent" in unmanaged
    shadow = unmanaged["arn:aws:iam::123456789012:role/shadow-agent"]
    assert shadow["severity"] == "error" and "bedrock.amazonaws.com" in shadow["message"]
    assert "BedrockInvokeModel" in shadow["message"]
    assert unmanaged["arn:aws:iam::123456789012:role/batch-runner"]["severity"] == "warning"
    assert not any("aws-service-role" in a or "ElasticBeanstalk" in a for a in unmanaged)
    secret = next(a for a in unmanaged if "openai-api-key" in a)
    assert "model-provider" in unmanaged[secret]["message"]
    assert not any("support-bot" in a or "rag-role" in a for a in unmanaged)
    # live objects: key ids in live, never in the address; no secret anywhere.
    idents = {i["address"]: i for i in doc["identities"]}
    live = idents["aws_iam_access_key.support"]["live"]
    assert live["access_key_id"] == acct["key"] and live["status"] == "Active"
    assert live["arn"] == "arn:aws:iam::123456789012:user/support-bot"
    assert idents["aws_iam_access_key.gone"]["live"]["status"] == "missing"
    assert idents["aws_iam_role.rag"]["live"]["arn"].endswith(":role/rag-role")
    assert "not-a-real" not in run.stdout and "SecretAccessKey" not in run.stdout
    # Nothing was written.
    assert snapshot(aws) == before


def test_active_key_past_inherited_expiry_and_suppressed_unmanaged(aws: str, tmp_path: Path) -> None:  # noqa: F811
    iam = client(aws, "iam")
    iam.create_user(UserName="exp-bot", Tags=_tags(owner=OWNER, expires_at="2021-01-01"))
    key = iam.create_access_key(UserName="exp-bot")["AccessKey"]
    iam.create_role(RoleName="agent-lab", AssumeRolePolicyDocument=json.dumps(BEDROCK_TRUST))
    now = (key["CreateDate"] + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tags = {"owner": OWNER, "expires_at": "2021-01-01"}
    state = write_json(tmp_path / "s.tfstate", state_doc(
        state_resource("aws_iam_user", "exp", {"name": "exp-bot", "tags": tags}),
        state_resource("aws_iam_access_key", "exp", {"id": key["AccessKeyId"], "user": "exp-bot"})))
    (tmp_path / "nhi.toml").write_text(
        '[tool.nhi]\n[[tool.nhi.suppress]]\nrule = "unmanaged"\naddress = "arn:aws:iam::*:role/agent-*"\n'
        'reason = "lab sandbox, reviewed in SEC-77"\nuntil = 2999-01-01\n')
    run = verify(aws, state, "--now", now, "--format", "json")
    doc = json.loads(run.stdout)
    rules = by_rule(doc)
    past = rules["key-active-past-expiry"]
    assert [f["address"] for f in past] == ["aws_iam_access_key.exp"]
    assert "inherited from aws_iam_user.exp" in past[0]["message"]
    # 10 days old: inside the dormancy grace period and under the maximum age.
    assert "dormant" not in rules and "key-too-old" not in rules
    (lab,) = rules["unmanaged"]
    assert lab["address"] == "arn:aws:iam::123456789012:role/agent-lab" and lab["suppressed"]
    # --no-unmanaged skips the scan; the other findings stay.
    run2 = verify(aws, state, "--now", now, "--format", "json", "--no-unmanaged")
    assert "unmanaged" not in by_rule(json.loads(run2.stdout))
    # Text output names the same findings.
    text = verify(aws, state, "--now", now)
    assert "NHI030 key-active-past-expiry" in text.stdout and text.code == 1


def test_dormant_window_from_config_flag(aws: str, tmp_path: Path) -> None:  # noqa: F811
    iam = client(aws, "iam")
    iam.create_role(RoleName="quiet-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                    Tags=_tags(owner=OWNER, expires_at="2999-01-01"))
    created = iam.get_role(RoleName="quiet-role")["Role"]["CreateDate"]
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource(
        "aws_iam_role", "quiet", {"name": "quiet-role", "tags": {"owner": OWNER, "expires_at": "2999-01-01"}})))
    now = (created + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    quiet = verify(aws, state, "--now", now, "--format", "json", "--no-unmanaged")
    assert quiet.code == 0, quiet.stdout + quiet.stderr  # 30 days: inside the default 90-day window
    loud = verify(aws, state, "--now", now, "--format", "json", "--no-unmanaged", "--dormant-days", "7")
    (f,) = by_rule(json.loads(loud.stdout))["dormant"]
    assert "never used" in f["message"] and "400 days" in f["message"] and "window 7 days" in f["message"]


def test_throttling_is_retried_to_a_clean_result(aws: str, tmp_path: Path) -> None:  # noqa: F811
    iam = client(aws, "iam")
    iam.create_user(UserName="t-bot", Tags=_tags(owner=OWNER, expires_at="2999-01-01"))
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource(
        "aws_iam_user", "t", {"name": "t-bot", "tags": {"owner": OWNER, "expires_at": "2999-01-01"}})))
    failures = {"left": 2}

    def fault(action: str) -> tuple[int, str] | None:
        if failures["left"] > 0:
            failures["left"] -= 1
            return (429, "TooManyRequestsException") if failures["left"] == 0 else (400, "Throttling")
        return None

    proxy = FaultProxy(aws, fault).start()
    try:
        run = verify(proxy.url, state, "--now", "2026-06-01", "--format", "json", "--no-unmanaged")
    finally:
        proxy.stop()
    assert run.code == 0, run.stdout + run.stderr
    assert failures["left"] == 0
    # The first call was answered twice with throttling (400, then 429) and then went through.
    assert proxy.requests[:3] == [proxy.requests[0]] * 3
    assert json.loads(run.stdout)["identities"][0]["live"]["status"] == "present"


def test_denied_identity_is_a_finding_denied_account_is_exit_4(aws: str, tmp_path: Path) -> None:  # noqa: F811
    iam = client(aws, "iam")
    iam.create_role(RoleName="locked", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource(
        "aws_iam_role", "locked", {"name": "locked", "tags": {"owner": OWNER, "expires_at": "2999-01-01"}})))
    proxy = FaultProxy(aws, lambda a: (403, "AccessDenied") if a in ("GetRole", "ListUsers") else None).start()
    try:
        one = verify(proxy.url, state, "--now", "2026-06-01", "--format", "json", "--no-unmanaged")
        whole = verify(proxy.url, state, "--now", "2026-06-01")
    finally:
        proxy.stop()
    (f,) = by_rule(json.loads(one.stdout))["live-lookup-denied"]
    assert f["address"] == "aws_iam_role.locked"
    assert "iam:GetRole" in f["message"] and "arn:aws:sts::123456789012:user/moto" in f["message"]
    assert whole.code == 4 and whole.stdout == ""
    assert "iam:ListUsers" in whole.stderr and "Traceback" not in whole.stderr

    iam.create_role(RoleName="side-bot", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    proxy = FaultProxy(aws, lambda a: (403, "AccessDenied") if a == "ListRoleTags" else None).start()
    try:
        partial = verify(proxy.url, state, "--now", "2026-06-01", "--format", "json")
    finally:
        proxy.stop()
    unmanaged = {f["address"]: f for f in by_rule(json.loads(partial.stdout))["unmanaged"]}
    side = unmanaged["arn:aws:iam::123456789012:role/side-bot"]
    assert "not fully read (iam:ListRoleTags denied)" in side["message"]


def test_no_credentials_and_unreachable_endpoint_exit_4(aws: str, tmp_path: Path) -> None:  # noqa: F811
    state = write_json(tmp_path / "s.tfstate", state_doc())
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    nocreds = run_nhi(["verify", state, "--endpoint-url", aws, "--now", "2026-06-01"],
                      env={"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                           "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1", **env})
    assert nocreds.code == 4 and "no AWS credentials" in nocreds.stderr and "Traceback" not in nocreds.stderr
    dead = verify(f"http://127.0.0.1:{free_port()}", state, "--now", "2026-06-01")
    assert dead.code == 4 and "could not reach" in dead.stderr and "Traceback" not in dead.stderr


def test_only_the_aws_package_imports_boto3(tmp_path: Path) -> None:
    import ast
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2] / "nhi_toolkit"
    offenders = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] == "aws":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in ("boto3", "botocore") for n in names):
                offenders.append(str(path))
    assert offenders == []
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource(
        "aws_iam_user", "u", {"name": "u", "tags": {"owner": OWNER, "expires_at": "2999-01-01"}})))
    code = ("import sys\nfrom nhi_toolkit.cli import main\ntry:\n    main(['check', sys.argv[1], '--now', "
            "'2026-06-01', '--format', 'json'])\nexcept SystemExit as e:\n    code = e.code\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')], 'boto3 loaded'\n"
            "sys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(state)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_plan_creates_are_not_looked_up_and_undeployed_declarations_are_info(aws: str, tmp_path: Path) -> None:  # noqa: F811
    from tests.conftest import change, plan_doc

    tags = {"owner": OWNER, "expires_at": "2999-01-01"}
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.new", {"name": "brand-new", "tags": tags, "tags_all": tags})))
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(
        'resource "aws_iam_role" "r" {\n  name = "not-applied"\n  assume_role_policy = "{}"\n'
        '  tags = { owner = "alice@example.com", expires_at = "2999-01-01" }\n}\n')
    run = verify(aws, plan, tmp_path / "infra", "--now", "2026-06-01", "--format", "json", "--no-unmanaged")
    doc = json.loads(run.stdout)
    assert run.code == 0, run.stdout + run.stderr
    (drift,) = by_rule(doc)["drift"]
    assert drift["address"] == "aws_iam_role.r" and drift["severity"] == "info"
    assert "not applied yet" in drift["message"]
    idents = {i["address"]: i for i in doc["identities"]}
    assert "live" not in idents["aws_iam_user.new"]


@pytest.mark.parametrize(("claim_days", "native_days", "expect"), [
    (-1, 3650, "claimed"),   # the tag claims an earlier end than the credential's own: past it
    (3650, -1, "native"),    # the credential's own end has passed, whatever the tag claims
    (3650, 3650, None),      # neither has passed
])
def test_key_active_past_expiry_is_judged_by_the_deadline(
        aws: str, tmp_path: Path, claim_days: int, native_days: int, expect: str | None) -> None:  # noqa: F811
    """The deadline is the earlier of the expiry the tag claims and the credential's own, as rule
    expired and retirement judge it. (AWS IAM keys carry no expiry of their own today, so their
    deadline is their tag's; the judgement is the same whatever the type.)"""
    from dataclasses import replace

    from nhi_toolkit.aws.session import AwsOptions, AwsSession
    from nhi_toolkit.aws.verify import inspect_live
    from nhi_toolkit.config import Config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.expiry import format_instant, parse_now

    iam = client(aws, "iam")
    iam.create_user(UserName="claim-bot", Tags=_tags(owner=OWNER, expires_at="2999-01-01"))
    key = iam.create_access_key(UserName="claim-bot")["AccessKey"]
    now = parse_now((key["CreateDate"] + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    state = write_json(tmp_path / "s.tfstate", state_doc(
        state_resource("aws_iam_user", "c", {"name": "claim-bot", "tags": {"owner": OWNER, "expires_at": "2999-01-01"}}),
        state_resource("aws_iam_access_key", "c", {"id": key["AccessKeyId"], "user": "claim-bot"})))
    idents = list(check_paths([str(state)], Config(), now).identities)
    claimed, native = now + timedelta(days=claim_days), now + timedelta(days=native_days)
    idents = [replace(i, expires=format_instant(native), expires_at=native, expiry_source="native",
                      claimed_expires=format_instant(claimed), claimed_expires_at=claimed,
                      native_attr="expiration", native_expires_at=native)
              if i.type == "aws_iam_access_key" else i for i in idents]
    result = inspect_live(AwsSession(AwsOptions(endpoint_url=aws, region="us-east-1")), idents, Config(), now,
                          unmanaged=False)
    past = [f for f in result.findings if f.rule == "key-active-past-expiry"]
    if expect is None:
        assert past == []
        return
    (finding,) = past
    assert finding.address == "aws_iam_access_key.c"
    at = claimed if expect == "claimed" else native
    assert f"expired at {format_instant(at)}" in finding.message
    if expect == "claimed":
        assert f"the credential's own expiration runs to {format_instant(native)}" in finding.message
    else:  # named as nhi check's expired finding names it
        assert finding.message.endswith("(the credential's own expiration)"), finding.message


# --- several expiry tags: the earliest valid one governs, as in nhi check -------------------------


_SPLIT = {"owner": OWNER, "expires_at": "2030-01-01", "expiry": "2020-01-01"}
_SPLIT_MESSAGE = ("expiry tag 'expiry' says 2020-01-01, but expiry tag 'expires_at' says 2030-01-01: the "
                  "expiry tags disagree, and the earliest governs")


@pytest.mark.parametrize(("declared", "live", "drift", "live_invalid"), [
    # A second, earlier expiry tag added in AWS: the identity expired there; drift, and the live
    # disagreement is an invalid-expiry finding as nhi check makes it.
    ({"owner": OWNER, "expires_at": "2030-01-01"}, _SPLIT,
     "expiry tag is 2020-01-01 in AWS, declared 2030-01-01", True),
    # Declared disagreeing (nhi check already says so); the earlier tag removed in AWS: drift.
    (_SPLIT, {"owner": OWNER, "expires_at": "2030-01-01"},
     "expiry tag is 2030-01-01 in AWS, declared 2020-01-01", False),
    # The earlier one changed in AWS: the governing value drifted.
    (_SPLIT, {"owner": OWNER, "expires_at": "2030-01-01", "expiry": "2021-01-01"},
     "expiry tag is 2021-01-01 in AWS, declared 2020-01-01", True),
    # The same disagreement in AWS as declared: nhi check's finding says it; nothing new.
    (_SPLIT, _SPLIT, None, False),
    # The later one changed in AWS: the earliest, which governs, is unchanged; still a new disagreement.
    (_SPLIT, {"owner": OWNER, "expires_at": "2031-01-01", "expiry": "2020-01-01"}, None, True),
    # One instant under two keys, written two ways: no disagreement, no drift.
    ({"owner": OWNER, "expires_at": "2030-01-01"},
     {"owner": OWNER, "expires_at": "2030-01-01", "Expires": "2030-01-02T00:00:00Z"}, None, False),
], ids=["earlier-added", "earlier-removed", "earlier-changed", "same-split", "later-changed", "same-instant"])
@pytest.mark.parametrize("kind", ["user", "role", "secret"])
def test_live_expiry_tags_are_chosen_as_the_checker_chooses(
        aws: str, tmp_path: Path, kind: str, declared: dict[str, str], live: dict[str, str],  # noqa: F811
        drift: str | None, live_invalid: bool) -> None:
    iam, sm = client(aws, "iam"), client(aws, "secretsmanager")
    values: dict[str, Any] = {"name": "multi", "tags": declared}
    if kind == "user":
        iam.create_user(UserName="multi", Tags=_tags(**live))
    elif kind == "role":
        iam.create_role(RoleName="multi", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST), Tags=_tags(**live))
    else:
        values["arn"] = sm.create_secret(Name="multi", SecretString="x", Tags=_tags(**live))["ARN"]
        values["rotation_rules"] = [{"automatically_after_days": 30}]
    rtype = {"user": "aws_iam_user", "role": "aws_iam_role", "secret": "aws_secretsmanager_secret"}[kind]
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource(rtype, "m", values)))
    run = verify(aws, state, "--now", "2019-06-01", "--format", "json", "--no-unmanaged")
    assert run.code in (0, 1), run.stdout + run.stderr
    rules = by_rule(json.loads(run.stdout))
    address = f"{rtype}.m"
    drifts = [f["message"] for f in rules.get("drift", ()) if "expiry" in f["message"]]
    assert drifts == ([f"{address}: {drift} (changed outside Terraform)"] if drift else [])
    invalid = sorted(f["message"] for f in rules.get("invalid-expiry", ()))
    checker = [f"{address} {_SPLIT_MESSAGE}"] if declared is _SPLIT else []
    if live_invalid:
        (choice,) = [m for m in invalid if m not in checker]
        assert choice.startswith(f"{address} expiry tag '")
        assert choice.endswith("(tags in AWS, changed outside Terraform)")
        assert "the expiry tags disagree" in choice
        if live is _SPLIT:
            assert choice == f"{address} {_SPLIT_MESSAGE} (tags in AWS, changed outside Terraform)"
    assert len(invalid) == len(checker) + (1 if live_invalid else 0), invalid
