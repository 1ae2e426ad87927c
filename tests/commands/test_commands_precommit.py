"""The pre-commit hook's entry point: which directories a commit's files ask to check."""

from __future__ import annotations


def test_pre_commit_hook_checks_the_changed_files_directories() -> None:
    from nhi_toolkit.commands.precommit import check_args

    assert check_args(["--fail-on", "warning", "infra/a/main.tf", "infra/a/vars.tf", "top.tf"]) == [
        "check", "--fail-on", "warning", ".", "infra/a"]
    assert check_args(["--fail-on", "warning"]) is None


def test_pre_commit_hook_runs_on_tfvars_and_json_configuration() -> None:
    # A commit that only edits terraform.tfvars can drop the owner a variable's default gave.
    import re
    from pathlib import Path

    from nhi_toolkit.commands.precommit import check_args

    assert check_args(["infra/terraform.tfvars", "b/x.auto.tfvars.json", "c/main.tf.json"]) == [
        "check", "b", "c", "infra"]
    hooks = (Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    pattern = re.search(r"^\s*files: (.+)$", hooks, re.MULTILINE)
    assert pattern is not None
    for name in ("main.tf", "terraform.tfvars", "x.auto.tfvars.json", "cdk.tf.json"):
        assert re.search(pattern.group(1), name), name
    assert not re.search(pattern.group(1), "notes.txt")
