"""What is read from Terraform's own files: a saved plan's state identity, the nhi_now gate."""

from __future__ import annotations

import json
from pathlib import Path

from nhi_toolkit.terraform import declares_nhi_now, plan_file_state


def test_declares_nhi_now(tmp_path: Path) -> None:
    assert not declares_nhi_now(tmp_path)
    (tmp_path / "main.tf").write_text('variable "other" {}\n# variable "nhi_now" in a comment\n')
    assert not declares_nhi_now(tmp_path)
    (tmp_path / "vars.tf").write_text('variable "nhi_now" {\n  type = string\n  default = null\n}\n')
    assert declares_nhi_now(tmp_path)
    json_dir = tmp_path / "j"
    json_dir.mkdir()
    (json_dir / "main.tf.json").write_text('{"variable": {"nhi_now": {"type": "string"}}}')
    assert declares_nhi_now(json_dir)


def test_plan_file_state(tmp_path: Path) -> None:
    import zipfile

    plan = tmp_path / "p.tfplan"
    with zipfile.ZipFile(plan, "w") as zf:
        zf.writestr("tfstate", json.dumps({"lineage": "abc", "serial": 7, "resources": []}))
    assert plan_file_state(plan) == ("abc", 7)
    (tmp_path / "bad").write_bytes(b"not a zip")
    assert plan_file_state(tmp_path / "bad") is None
