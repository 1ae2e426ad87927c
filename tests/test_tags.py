"""Reading an identity's tags from its values (nhi_toolkit/tags.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import NOW_TEXT, change, plan_doc, write_json

from nhi_toolkit.cli import main


def test_an_owner_label_marked_inside_a_nested_block_is_unreadable(tmp_path: Path) -> None:
    # A Kubernetes service account's labels live in a nested block, a one-element list in a plan:
    # Terraform marks metadata[0].labels.owner, the tag path reads metadata.labels. The owner is
    # unreadable (never shown), not absent.
    sa = change("kubernetes_service_account_v1.bot", {
        "metadata": [{"name": "bot", "namespace": "ai", "labels": {"expires_at": "2027-01-01"},
                      "annotations": {}}]},
        after_unknown={}, after_sensitive={"metadata": [{"labels": {"owner": True}}]})
    sa["provider_name"] = "registry.terraform.io/hashicorp/kubernetes"
    path = write_json(tmp_path / "plan.json", plan_doc(sa))
    result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "-f", "json"])
    doc = json.loads(result.stdout)
    owner = [f["message"] for f in doc["findings"] if f["rule"] == "missing-owner"]
    assert owner and "marked sensitive" in owner[0], doc["findings"]
