"""The pre-commit hook's entry point: which directories a commit's files ask to check."""

from __future__ import annotations


def test_pre_commit_hook_checks_the_changed_files_directories() -> None:
    from nhi_toolkit.commands.precommit import check_args

    assert check_args(["--fail-on", "warning", "infra/a/main.tf", "infra/a/vars.tf", "top.tf"]) == [
        "check", "--fail-on", "warning", ".", "infra/a"]
    assert check_args(["--fail-on", "warning"]) is None
