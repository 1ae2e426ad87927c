"""No secret is ever printed: canaries planted in every sensitive place never reach any output.

Each canary is unique, so a failure names the place it leaked from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import NOW_TEXT, change, plan_doc, run_nhi, state_doc, state_resource, write_json

from nhi_toolkit.cli import main
from nhi_toolkit.reporters import REPORTERS

_COUNTER = iter(range(1, 10_000))
PLANTED: dict[str, str] = {}
CANARY_RE = re.compile(r"CANARY-\d+-zq")
TAGS = {"owner": "alice@example.com", "expires_at": "2026-06-20"}


def canary(where: str) -> str:
    """A fresh canary, remembered with the place it was planted."""
    value = f"CANARY-{next(_COUNTER)}-zq"
    PLANTED[value] = where
    return value


def assert_clean(*texts: str) -> None:
    for text in texts:
        leaked = CANARY_RE.findall(text)
        assert not leaked, f"secret leaked from: {[PLANTED.get(c, c) for c in leaked]}"


# -- inputs full of secrets --------------------------------------------------------------------

def _secret_fields(prefix: str) -> dict[str, str]:
    return {f: canary(f"{prefix}.{f}") for f in (
        "secret", "ses_smtp_password_v4", "secret_string", "private_key_pem", "password", "value",
        "plaintext_value", "encrypted_value", "client_secret", "token", "private_key")}


def _plan(tmp: Path) -> Path:
    sens_tags = {"owner": canary("plan after_sensitive tags.owner"), "expires_at": "2026-06-20"}
    changes = [
        change("aws_iam_user.u", {"name": "svc", "tags": TAGS, "tags_all": TAGS,
                                  "force_destroy": canary("plan after_sensitive force_destroy")},
               after_sensitive={"force_destroy": True}),
        change("aws_iam_access_key.k", {"user": "svc", **_secret_fields("plan after")},
               after_unknown={"id": True}),
        change("aws_iam_role.sensitive_tags", {"name": "r", "tags": sens_tags, "tags_all": sens_tags},
               after_sensitive={"tags": {"owner": True}, "tags_all": {"owner": True}}),
        change("aws_iam_role.all_tags_sensitive", {"name": "r2", "tags": {"owner": canary("plan tags=true")}},
               after_sensitive={"tags": True}),
        change("aws_iam_role.deleted", None, actions=["delete"],
               before={"name": "d", "tags": {"owner": canary("plan before_sensitive owner")},
                       **_secret_fields("plan before")},
               before_sensitive={"tags": {"owner": True}}),
        change("aws_ssm_parameter.p", {"name": "p", "type": "SecureString", "tags": TAGS,
                                       "value": canary("plan ssm value"),
                                       "insecure_value": canary("plan ssm insecure_value")},
               after_sensitive={"value": True}),
        change("github_actions_secret.g", {"repository": "r", "secret_name": "S",
                                           "plaintext_value": canary("plan github plaintext_value")}),
        change("aws_secretsmanager_secret_version.v", {"secret_id": "arn:s",
                                                       "secret_string": canary("plan secret_string")}),
        change("tls_private_key.t", {"algorithm": "RSA", "private_key_pem": canary("plan private_key_pem")}),
        change("aws_iam_user_login_profile.l", {"user": "svc", "password": canary("plan login password")}),
    ]
    drift_before = {"name": "svc", "tags": {"owner": canary("drift before_sensitive")}, "expires_at": None}
    drift = [change("aws_iam_user.u", {"name": "svc", "tags": {"owner": canary("drift after_sensitive")}},
                    actions=["update"], before=drift_before,
                    before_sensitive={"tags": {"owner": True}}, after_sensitive={"tags": {"owner": True}})]
    doc = plan_doc(
        *changes,
        resource_drift=drift,
        variables={"db_password": {"value": canary("plan variables")}},
        output_changes={"pw": {"actions": ["create"], "before": None, "after": canary("plan output"),
                               "after_sensitive": True}},
        planned_values={"root_module": {"resources": [
            {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
             "values": _secret_fields("planned_values"), "sensitive_values": {"secret": True}}]}},
        prior_state={"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
             "values": _secret_fields("prior_state"), "sensitive_values": {}}]}}},
        configuration={"root_module": {"resources": [
            {"address": "aws_iam_user_login_profile.l", "mode": "managed", "type": "aws_iam_user_login_profile",
             "name": "l", "expressions": {"password": {"constant_value": canary("configuration constant")},
                                          "user": {"references": ["aws_iam_user.u.name", "aws_iam_user.u"]}}}],
            "variables": {"db_password": {"default": canary("configuration variable default"),
                                          "sensitive": True}}}},
    )
    return write_json(tmp / "plan.json", doc)


def _raw_state(tmp: Path) -> Path:
    owner_path = [{"type": "get_attr", "value": "tags"},
                  {"type": "index", "value": {"value": "owner", "type": "string"}}]
    state = state_doc(
        state_resource("aws_iam_user", "u", {"name": "svc", "tags": TAGS, "tags_all": TAGS}),
        state_resource("aws_iam_access_key", "k", {"attributes": {"user": "svc", **_secret_fields("state")},
                                                   "sensitive_attributes": [[{"type": "get_attr",
                                                                              "value": "secret"}]]}),
        state_resource("aws_iam_role", "r", {
            "attributes": {"name": "r", "description": canary("state sensitive description"),
                           "tags": {"owner": canary("state sensitive tags.owner"), "expires_at": "2026-06-20"}},
            "sensitive_attributes": [[{"type": "get_attr", "value": "description"}], owner_path]}),
        state_resource("aws_ssm_parameter", "p", {"name": "p", "type": "SecureString", "tags": TAGS,
                                                  "value": canary("state ssm value")}),
    )
    state["outputs"] = {"pw": {"value": canary("state output"), "type": "string", "sensitive": True}}
    return write_json(tmp / "terraform.tfstate", state)


def _show_state(tmp: Path) -> Path:
    doc = {"format_version": "1.0", "values": {"outputs": {"pw": {"sensitive": True,
                                                                  "value": canary("show output")}},
                                               "root_module": {"resources": [
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "values": {"user": "svc", **_secret_fields("show-state")}, "sensitive_values": {"secret": True}},
        {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
         "values": {"name": "r", "tags": {"owner": canary("show sensitive owner"), "expires_at": "2026-06-20"}},
         "sensitive_values": {"tags": {"owner": True}}}]}}}
    return write_json(tmp / "show.json", doc)


def _cdktf(tmp: Path) -> Path:
    doc = {"variable": {"token": {"default": canary("cdktf sensitive variable"), "sensitive": True}},
           "resource": {
               "aws_iam_user": {"u": {"name": "svc", "tags": {"owner": "${var.token}", "expires_at": "2026-06-20"}}},
               "aws_iam_access_key": {"k": {"user": "${aws_iam_user.u.name}", **_secret_fields("cdktf")}},
               "aws_ssm_parameter": {"p": {"name": "p", "type": "SecureString", "tags": TAGS,
                                           "value": canary("cdktf ssm value")}},
               "github_actions_secret": {"g": {"repository": "r", "secret_name": "S",
                                               "plaintext_value": canary("cdktf github secret")}}}}
    return write_json(tmp / "cdktf.out" / "stacks" / "app" / "cdk.tf.json", doc)


def _hcl(tmp: Path) -> Path:
    d = tmp / "hcl"
    d.mkdir()
    (d / "main.tf").write_text(f"""
variable "token" {{
  default   = "{canary('hcl sensitive variable default')}"
  sensitive = true
}}
variable "from_tfvars" {{
  sensitive = true
}}
resource "aws_iam_user" "u" {{
  name = "svc"
  tags = {{
    owner      = var.token
    expires_at = var.from_tfvars
  }}
}}
resource "aws_secretsmanager_secret_version" "v" {{
  secret_id     = "arn:s"
  secret_string = "{canary('hcl secret_string')}"
}}
resource "aws_ssm_parameter" "p" {{
  name  = "p"
  type  = "SecureString"
  value = "{canary('hcl ssm value')}"
  tags  = {{ owner = "o", expires_at = "2026-06-20" }}
}}
resource "github_actions_secret" "g" {{
  repository      = "r"
  secret_name     = "S"
  plaintext_value = "{canary('hcl github plaintext_value')}"
}}
resource "aws_iam_user_login_profile" "l" {{
  user     = aws_iam_user.u.name
  password = "{canary('hcl password')}"
}}
""", encoding="utf-8")
    (d / "terraform.tfvars").write_text(f'from_tfvars = "{canary("hcl tfvars for sensitive")}"\n',
                                        encoding="utf-8")
    return d


BUILDERS = {"plan": _plan, "raw-state": _raw_state, "show-state": _show_state, "cdktf": _cdktf, "hcl": _hcl}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("secrets")
    return {name: build(tmp) for name, build in BUILDERS.items()}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_inputs_really_hold_canaries(inputs: dict[str, Path], kind: str) -> None:
    path = inputs[kind]
    text = path.read_text(encoding="utf-8") if path.is_file() else "".join(
        p.read_text(encoding="utf-8") for p in sorted(path.rglob("*")) if p.is_file())
    assert len(CANARY_RE.findall(text)) >= 3


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_no_secret_in_any_format(inputs: dict[str, Path], kind: str, fmt: str, tmp_path: Path) -> None:
    out_file = tmp_path / "report.out"
    result = CliRunner().invoke(main, ["check", str(inputs[kind]), "--now", NOW_TEXT, "--format", fmt,
                                       "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert_clean(result.stdout, result.stderr)
    result = CliRunner().invoke(main, ["check", str(inputs[kind]), "--now", NOW_TEXT, "--format", fmt,
                                       "--output", str(out_file)])
    assert result.exit_code in (0, 1)
    assert_clean(result.stdout, result.stderr, out_file.read_text(encoding="utf-8"))


def test_no_secret_through_the_installed_command(inputs: dict[str, Path]) -> None:
    args = [str(p) for p in inputs.values()]
    for fmt in sorted(REPORTERS):
        run = run_nhi(["check", *args, "--now", NOW_TEXT, "--format", fmt])
        assert run.code in (0, 1), run.stderr
        assert_clean(run.stdout, run.stderr)
        assert "Traceback" not in run.stderr
    for digest in ("text", "markdown", "json"):
        run = run_nhi(["owners", *args, "--now", NOW_TEXT, "--format", digest])
        assert run.code == 0, run.stderr
        assert_clean(run.stdout, run.stderr)
    run = run_nhi(["check", *args, "--now", NOW_TEXT, "--format", "json"])
    json.loads(run.stdout)


def test_the_identities_are_still_judged(inputs: dict[str, Path]) -> None:
    # Dropping secrets must not drop the identities themselves.
    result = CliRunner().invoke(main, ["check", str(inputs["plan"]), "--now", NOW_TEXT, "--format", "json"])
    addresses = {i["address"] for i in json.loads(result.stdout)["identities"]}
    assert {"aws_iam_access_key.k", "aws_iam_role.sensitive_tags", "aws_ssm_parameter.p"} <= addresses


# -- broken inputs that contain secrets ---------------------------------------------------------

def _broken_inputs(tmp: Path) -> Iterator[tuple[str, Path]]:
    full = json.dumps(plan_doc(change("aws_iam_access_key.k", {"secret": canary("truncated json")})))
    p = tmp / "truncated.json"
    p.write_text(full[: full.index("-zq") + 3], encoding="utf-8")
    yield "truncated", p
    p = tmp / "garbage.json"
    p.write_text(f'{{"format_version": "1.0", "x": {canary("bare token in json")}}}', encoding="utf-8")
    yield "bare token", p
    p = tmp / "nan.json"
    p.write_text(f'{{"secret": "{canary("nan json")}", "v": NaN}}', encoding="utf-8")
    yield "nan", p
    p = tmp / "text.json"
    p.write_text(f'{canary("plain text file")} is not json', encoding="utf-8")
    yield "text", p
    p = tmp / "badstate.tfstate"
    p.write_text(json.dumps({"version": 0, "modules": [{"resources": {"aws_iam_access_key.k": {
        "primary": {"attributes": {"secret": canary("v0 state")}}}}}]}), encoding="utf-8")
    yield "v0 state", p
    for n, line in enumerate([
        f'  password = "{canary("hcl bad line")}" }}}}',
        f'  password = {canary("hcl bare token")} +',
        f'  tags = {{ owner = "{canary("hcl unterminated")}',
        f'  token = <<EOT\n{canary("hcl heredoc")}\n',
        f'  x = "%{{ if {canary("hcl template")} }}"',
    ]):
        d = tmp / f"hcl{n}"
        d.mkdir()
        (d / "main.tf").write_text(f'resource "aws_iam_user" "u" {{\n  name = "x"\n{line}\n', encoding="utf-8")
        yield f"hcl {n}", d


def test_no_secret_in_error_messages(tmp_path: Path) -> None:
    for label, path in _broken_inputs(tmp_path):
        run = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT])
        assert run.exit_code == 2, (label, run.output)
        assert str(path) in run.stderr or path.name in run.stderr, label
        assert "Traceback" not in run.stderr
        assert_clean(run.stdout, run.stderr)


def test_no_secret_in_error_messages_from_the_installed_command(tmp_path: Path) -> None:
    for label, path in _broken_inputs(tmp_path):
        run = run_nhi(["check", str(path), "--now", NOW_TEXT, "--format", "json"])
        assert run.code == 2, (label, run.stderr)
        assert run.stdout == ""
        assert_clean(run.stderr)
        assert "Traceback" not in run.stderr


def test_no_secret_in_config_and_leavers_errors(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc())
    (tmp_path / "cfg").mkdir()
    cfg = tmp_path / "cfg" / "nhi.toml"
    cfg.write_text(f'[tool.nhi]\nowner_keys = [{canary("toml bare token")}]\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(plan), "--now", NOW_TEXT, "--config", str(cfg)])
    assert run.exit_code == 2 and "nhi.toml" in run.stderr
    assert_clean(run.stdout, run.stderr)
    leavers = tmp_path / "leavers.csv"
    leavers.write_text(f"owner,left_on\nbob@example.com,{canary('leavers date')}\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(plan), "--now", NOW_TEXT, "--leavers", str(leavers)])
    assert run.exit_code == 2 and "leavers.csv:2" in run.stderr
    assert_clean(run.stdout, run.stderr)


def test_invalid_now_is_not_echoed() -> None:
    run = CliRunner().invoke(main, ["check", "x.json", "--now", canary("now value")])
    assert run.exit_code == 2
    assert_clean(run.stdout, run.stderr)


# -- the corpus state with real-format credentials ----------------------------------------------

def test_driftctl_secrets_never_appear(corpus: Path) -> None:
    path = corpus / "state" / "snyk__driftctl__state-aws-iam-access-key-multiple.tfstate"
    if not path.is_file():
        pytest.skip("driftctl access-key state not in the corpus")
    secrets: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("secret", "ses_smtp_password_v4", "encrypted_secret") and isinstance(v, str) and v:
                    secrets.add(v)
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(json.loads(path.read_text(encoding="utf-8")))
    assert secrets, "expected filled-in secrets in the driftctl state"
    for fmt in ("text", "json"):
        run = run_nhi(["check", str(path), "--now", NOW_TEXT, "--format", fmt])
        assert run.code in (0, 1), run.stderr
        for secret in secrets:
            assert secret not in run.stdout and secret not in run.stderr


# -- every catalogued type's own secret fields, unmarked (HCL, hand-written or old inputs) -------

#: type -> (identifying values, secret fields). Nothing marks these sensitive: the catalog must.
TYPE_SECRETS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "vault_approle_auth_backend_role_secret_id": ({"role_name": "bot"}, ("secret_id", "wrapping_token")),
    "vault_token": ({"policies": ["ci"]}, ("client_token", "wrapped_token")),
    "vault_kv_secret_v2": ({"mount": "kv", "name": "n"}, ("data_json", "data")),
    "kubernetes_secret": ({"type": "kubernetes.io/service-account-token"}, ("data", "binary_data")),
    "kubernetes_secret_v1": ({"type": "kubernetes.io/service-account-token"}, ("data",)),
    "google_apikeys_key": ({"name": "gemini"}, ("key_string",)),
    "google_secret_manager_secret_version": ({"secret": "projects/p/secrets/s"}, ("secret_data",)),
    "azurerm_cognitive_account": ({"name": "oai", "kind": "OpenAI", "tags": TAGS},
                                  ("primary_access_key", "secondary_access_key")),
    "azurerm_key_vault_secret": ({"name": "k", "tags": TAGS}, ("value",)),
    "aws_api_gateway_api_key": ({"name": "k", "tags": TAGS}, ("value",)),
    "aws_cognito_user_pool_client": ({"name": "c", "generate_secret": True}, ("client_secret",)),
    "github_actions_environment_secret": ({"repository": "r", "environment": "e", "secret_name": "S"},
                                          ("plaintext_value", "encrypted_value")),
    "github_dependabot_secret": ({"repository": "r", "secret_name": "S"}, ("plaintext_value",)),
    "github_codespaces_secret": ({"repository": "r", "secret_name": "S"}, ("encrypted_value",)),
    "gitlab_personal_access_token": ({"user_id": 25, "name": "n", "scopes": ["api"]}, ("token",)),
    "gitlab_runner": ({"description": "r"}, ("registration_token", "authentication_token")),
    "gitlab_user_impersonation_token": ({"user_id": 25, "name": "n", "scopes": ["api"]}, ("token",)),
    "gitlab_runner_controller_token": ({"runner_controller_id": 4}, ("token",)),
    "gitlab_application": ({"name": "a", "redirect_url": "https://a.example.com"}, ("secret",)),
    "tfe_team_token": ({"team_id": "team-1"}, ("token",)),
    "tfe_scim_token": ({"description": "okta"}, ("token",)),
    "datadog_service_access_token": ({"service_account_id": "sa", "name": "t", "scopes": ["x"]}, ("key",)),
    "databricks_custom_app_integration": ({"name": "a", "confidential": True}, ("client_secret",)),
    "datadog_api_key": ({"name": "k"}, ("key",)),
    "datadog_service_account_application_key": ({"service_account_id": "sa", "name": "k"}, ("key",)),
    "databricks_token": ({"comment": "c"}, ("token_value",)),
    "databricks_service_principal_secret": ({"service_principal_id": "1"}, ("secret", "secret_hash")),
}


def _typed_values(kind: str) -> dict[str, dict[str, Any]]:
    out = {}
    for rtype, (plain, fields) in TYPE_SECRETS.items():
        values = dict(plain)
        for f in fields:
            value = canary(f"{kind} {rtype}.{f}")
            values[f] = {"token": value} if f in ("data", "binary_data") and rtype.startswith("kubernetes") \
                else value
        out[rtype] = values
    return out


def _hcl_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(v) for v in value) + "]"
    return json.dumps(value)


def _typed_inputs(tmp: Path) -> dict[str, Path]:
    plan = write_json(tmp / "typed-plan.json", plan_doc(
        *(change(f"{t}.x", v) for t, v in _typed_values("plan").items())))
    state = write_json(tmp / "typed.tfstate", state_doc(
        *(state_resource(t, "x", v) for t, v in _typed_values("state").items())))
    show = write_json(tmp / "typed-show.json", {"format_version": "1.0", "values": {"root_module": {
        "resources": [{"address": f"{t}.x", "mode": "managed", "type": t, "name": "x", "values": v,
                       "sensitive_values": {}} for t, v in _typed_values("show").items()]}}})
    cdktf = write_json(tmp / "typed-cdktf" / "cdk.tf.json", {"resource": {
        t: {"x": v} for t, v in _typed_values("cdktf").items()}})
    hcl = tmp / "typed-hcl"
    hcl.mkdir()
    (hcl / "main.tf").write_text("".join(
        f'resource "{t}" "x" {{\n' + "".join(f"  {k} = {_hcl_value(v)}\n" for k, v in values.items()) + "}\n"
        for t, values in _typed_values("hcl").items()), encoding="utf-8")
    return {"plan": plan, "raw-state": state, "show-state": show, "cdktf": cdktf.parent, "hcl": hcl}


@pytest.fixture(scope="module")
def typed_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _typed_inputs(tmp_path_factory.mktemp("typed-secrets"))


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_no_type_specific_secret_in_any_format(typed_inputs: dict[str, Path], kind: str) -> None:
    path = typed_inputs[kind]
    text = path.read_text(encoding="utf-8") if path.is_file() else "".join(
        p.read_text(encoding="utf-8") for p in sorted(path.rglob("*")) if p.is_file())
    assert len(CANARY_RE.findall(text)) >= sum(len(f) for _, f in TYPE_SECRETS.values())
    for fmt in ("text", "json"):
        result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "--format", fmt,
                                           "--fail-on", "never"])
        assert result.exit_code == 0, result.output
        assert_clean(result.stdout, result.stderr)
        if fmt == "json":
            found = {i["type"] for i in json.loads(result.stdout)["identities"]}
            assert found == set(TYPE_SECRETS), set(TYPE_SECRETS) - found


def test_no_type_specific_secret_through_the_installed_command(typed_inputs: dict[str, Path]) -> None:
    for fmt in ("text", "json"):
        run = run_nhi(["check", *map(str, typed_inputs.values()), "--now", NOW_TEXT, "--format", fmt])
        assert run.code in (0, 1), run.stderr
        assert_clean(run.stdout, run.stderr)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_type_specific_secrets_never_leave_the_loader(typed_inputs: dict[str, Path], kind: str) -> None:
    # Reports print few attributes; the contract is stronger: no loaded record holds the value.
    from nhi_toolkit.loaders import load_inputs

    docs = load_inputs([str(typed_inputs[kind])])
    records = [(r.address, dict(r.values), dict(r.metadata)) for d in docs for r in (*d.resources, *d.drift)]
    assert {a.split(".")[0] for a, _, _ in records} >= set(TYPE_SECRETS)
    assert_clean(repr(records))
