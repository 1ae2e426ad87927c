"""The state a run retires from, read through the loaders (nhi_toolkit.retire.state)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.state import state_lineage
from nhi_toolkit.retire import Settings, _addresses_in_state
from nhi_toolkit.retire.state import _read_state
from nhi_toolkit.terraform import Terraform, TerraformRunner

RAW = {
    "version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "abc-123",
    "resources": [
        {"mode": "managed", "type": "aws_iam_user", "name": "bot", "provider": "p",
         "instances": [{"attributes": {"name": "bot", "tags": {"owner": "a@example.com"}}},
                       {"deposed": "d1", "attributes": {"name": "bot"}}]},
        {"module": "module.m", "mode": "managed", "type": "aws_iam_access_key", "name": "k", "provider": "p",
         "instances": [{"index_key": 'say "hi"', "attributes": {"user": "bot", "secret": "s3cr3t-value"}},
                       {"index_key": 0, "attributes": {"user": "bot"}}]},
        {"mode": "data", "type": "aws_iam_user", "name": "lookup", "provider": "p",
         "instances": [{"attributes": {}}]},
    ],
}


class FakeRunner:
    """A Terraform runner that only pulls a fixed state: what retire needs of it, and no more."""

    name = "terraform"

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def init(self, directory: str | os.PathLike[str], *, backend: bool = True) -> object:
        return None

    def state_pull(self, directory: str | os.PathLike[str]) -> dict[str, Any]:
        return dict(self.state)

    def plan(self, directory: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
             variables: Any = None, destroy: bool = False, targets: Any = (),
             refresh_only: bool = False) -> object:
        raise AssertionError("not planned here")

    def show_json(self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]) -> dict[str, Any]:
        raise AssertionError("not shown here")

    def apply(self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]) -> object:
        raise AssertionError("not applied here")


def test_the_runner_and_a_fake_both_satisfy_the_protocol() -> None:
    runners: list[TerraformRunner] = [Terraform(("terraform",), "terraform"), FakeRunner({})]
    assert [r.name for r in runners] == ["terraform", "terraform"]


def test_addresses_in_state_come_from_the_state_loader() -> None:
    assert _addresses_in_state(RAW) == {
        "aws_iam_user.bot", 'module.m.aws_iam_access_key.k["say \\"hi\\""]', "module.m.aws_iam_access_key.k[0]"}
    assert _addresses_in_state({}) == set()


def test_state_pull_gives_the_document_and_its_lineage(tmp_path: Path) -> None:
    doc, lineage = _read_state(Settings(terraform_dir=str(tmp_path)), FakeRunner(RAW))
    assert lineage == ("abc-123", 7) == state_lineage(RAW)
    assert doc.path == f"{tmp_path} (terraform state pull)"
    assert "s3cr3t-value" not in repr(doc)


def test_an_empty_state_pull_is_an_error_naming_the_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Terraform state here") as info:
        _read_state(Settings(terraform_dir=str(tmp_path)), FakeRunner({}))
    assert info.value.file == str(tmp_path)


@pytest.mark.parametrize(("doc", "lineage"), [
    (RAW, ("abc-123", 7)),
    ({**RAW, "serial": "7"}, None),
    ({"format_version": "1.0", "values": {"root_module": {"resources": []}}}, None),
    ({"resource": {"aws_iam_user": {"u": {"name": "u"}}}}, None),
])
def test_a_state_file_is_read_by_its_kind(tmp_path: Path, doc: dict[str, Any],
                                          lineage: tuple[str, int] | None) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, got = _read_state(Settings(state_file=str(path)), None)
    assert got == lineage


@pytest.mark.parametrize(("doc", "message"), [
    ([], "not a Terraform state"),
    ({"format_version": "1.0", "planned_values": {}, "resource_changes": []},
     "not a Terraform state (raw state or 'terraform show -json' output) or a synthesized cdk.tf.json"),
])
def test_anything_else_is_refused_naming_the_file(tmp_path: Path, doc: Any, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as info:
        _read_state(Settings(state_file=str(path)), None)
    assert (info.value.file, info.value.message) == (str(path), message)
