"""Residuals of the HCL and CDKTF loaders: provider aliases, null tags, non-file inputs, Unicode names.

Each resource gets the ``default_tags`` of exactly the provider configuration it uses; an alias
without ``default_tags`` gives none (anything else is a false pass).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.conftest import NOW, write_tree
from tests.test_hcl_modules import check, owners

DEFAULT_AND_BARE = '''
provider "aws" {
  default_tags {
    tags = {
      owner      = "alice"
      expires_at = "2030-01-01"
    }
  }
}

provider "aws" {
  alias = "bare"
}

provider "aws" {
  alias = "other"
  default_tags {
    tags = {
      owner      = "carol"
      expires_at = "2029-01-01"
    }
  }
}
'''

CHILD = '''
resource "aws_iam_user" "u" {
  name = "u"
}
'''


# -- 1. the provider configuration each resource uses ---------------------------------------------

def test_hcl_root_resource_on_a_bare_alias_gets_no_default_tags(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": DEFAULT_AND_BARE + '''
resource "aws_iam_user" "bare" {
  provider = aws.bare
  name     = "bare"
}

resource "aws_iam_user" "other" {
  provider = aws.other
  name     = "other"
}

resource "aws_iam_user" "default" {
  name = "default"
}
'''})
    code, doc, _ = check(tmp_path)
    assert code == 1
    assert owners(doc) == {"aws_iam_user.bare": None, "aws_iam_user.default": "alice",
                           "aws_iam_user.other": "carol"}


def test_hcl_module_calls_get_the_provider_passed_or_the_default(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": DEFAULT_AND_BARE + '''
module "viabare" {
  source    = "./mod"
  providers = { aws = aws.bare }
}

module "viaother" {
  source    = "./mod"
  providers = { aws = aws.other }
}

module "implicit" {
  source = "./mod"
}

module "legacy" {
  source = "./legacy"
}

module "aliased" {
  source    = "./aliased"
  providers = { aws = aws.other, aws.x = aws.bare }
}

module "nested" {
  source    = "./outer"
  providers = { aws = aws.bare }
}
''',
        "mod/main.tf": CHILD,
        "legacy/main.tf": 'provider "aws" {\n  region = "us-east-1"\n}\n' + CHILD,
        "aliased/main.tf": '''
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.x]
    }
  }
}

resource "aws_iam_user" "u" {
  name = "u"
}

resource "aws_iam_user" "x" {
  provider = aws.x
  name     = "x"
}
''',
        "outer/main.tf": 'module "inner" {\n  source = "../mod"\n}\n',
    })
    code, doc, _ = check(tmp_path)
    assert code == 1
    assert owners(doc) == {
        "module.viabare.aws_iam_user.u": None,
        "module.viaother.aws_iam_user.u": "carol",
        "module.implicit.aws_iam_user.u": "alice",  # the caller's default configuration
        "module.legacy.aws_iam_user.u": None,  # its own provider block sets no default_tags
        "module.aliased.aws_iam_user.u": "carol",
        "module.aliased.aws_iam_user.x": None,
        "module.nested.module.inner.aws_iam_user.u": None,  # inherits outer's (bare) default
    }


def test_hcl_module_without_providers_does_not_inherit_aliases(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": '''
provider "aws" {
  alias = "tagged"
  default_tags {
    tags = {
      owner      = "alice"
      expires_at = "2030-01-01"
    }
  }
}

module "m" {
  source = "./mod"
}
''',
        "mod/main.tf": CHILD,
    })
    code, doc, _ = check(tmp_path)
    assert code == 1
    assert owners(doc) == {"module.m.aws_iam_user.u": None}


def _cdktf(tmp_path: Path, providers: object, resources: dict[str, object]) -> Path:
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps({"provider": {"aws": providers},
                                "resource": {"aws_iam_user": resources}}))
    return path


def test_cdktf_resource_on_a_bare_alias_gets_no_default_tags(tmp_path: Path) -> None:
    path = _cdktf(tmp_path, [
        {"default_tags": [{"tags": {"owner": "alice", "expires_at": "2030-01-01"}}]},
        {"alias": "bare"},
        {"alias": "other", "default_tags": [{"tags": {"owner": "carol", "expires_at": "2029-01-01"}}]},
    ], {"bare": {"provider": "aws.bare", "name": "bare"},
        "other": {"provider": "${aws.other}", "name": "other"},
        "default": {"name": "default"}})
    for target in (path, tmp_path):
        code, doc, _ = check(target)
        assert code == 1
        assert owners(doc) == {"aws_iam_user.bare": None, "aws_iam_user.default": "alice",
                               "aws_iam_user.other": "carol"}


def test_cdktf_lone_aliased_provider_is_not_the_default(tmp_path: Path) -> None:
    path = _cdktf(tmp_path, {"alias": "tagged",
                             "default_tags": [{"tags": {"owner": "alice", "expires_at": "2030-01-01"}}]},
                  {"u": {"name": "u"}})
    code, doc, _ = check(path)
    assert code == 1
    assert owners(doc) == {"aws_iam_user.u": None}


def test_cdktf_module_call_gets_the_provider_passed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mod/main.tf": CHILD})
    (tmp_path / "cdk.tf.json").write_text(json.dumps({
        "terraform": {},
        "provider": {"aws": [{"default_tags": [{"tags": {"owner": "alice", "expires_at": "2030-01-01"}}]},
                             {"alias": "bare"}]},
        "module": {"viabare": {"source": "./mod", "providers": {"aws": "aws.bare"}},
                   "implicit": {"source": "./mod"}},
    }))
    code, doc, _ = check(tmp_path / "cdk.tf.json")
    assert code == 1
    assert owners(doc) == {"module.viabare.aws_iam_user.u": None, "module.implicit.aws_iam_user.u": "alice"}


# -- 2. tags_all is the default tags when a resource sets none ----------------------------------

TAG_SHAPES = '''
variable "x" {}

resource "aws_iam_user" "null" {
  name = "n"
  tags = null
}

resource "aws_iam_user" "omitted" {
  name = "o"
}

resource "aws_iam_user" "empty" {
  name = "e"
  tags = {}
}

resource "aws_iam_user" "merged" {
  name = "m"
  tags = merge(var.x, { team = "t" })
}

resource "aws_iam_user" "override" {
  name = "r"
  tags = { owner = "bob", expires_at = "2027-01-01" }
}
'''


def test_hcl_null_or_missing_tags_take_the_default_tags(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": DEFAULT_AND_BARE + TAG_SHAPES})
    code, doc, _ = check(tmp_path)
    assert code == 0  # only warnings and info: nothing missing
    assert owners(doc) == {"aws_iam_user.null": "alice", "aws_iam_user.omitted": "alice",
                           "aws_iam_user.empty": "alice",
                           "aws_iam_user.merged": "(unknown)",  # var.x may set owner
                           "aws_iam_user.override": "bob"}
    expiry = {i["address"]: i["expires_at"] for i in doc["identities"]}
    assert expiry["aws_iam_user.null"].startswith("2030-01-01")
    assert expiry["aws_iam_user.override"].startswith("2027-01-01")
    assert not any(f["rule"] in ("missing-owner", "missing-expiry") for f in doc["findings"])


def test_hcl_null_tags_in_a_child_module(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": DEFAULT_AND_BARE + 'module "m" {\n  source = "./mod"\n}\n',
                     "mod/main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = null\n}\n'})
    code, doc, _ = check(tmp_path)
    assert code == 0
    assert owners(doc) == {"module.m.aws_iam_user.u": "alice"}


def test_null_tags_without_default_tags_is_still_unowned(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = null\n}\n'})
    code, doc, _ = check(tmp_path)
    assert code == 1
    assert ("missing-owner", "aws_iam_user.u") in {(f["rule"], f["address"]) for f in doc["findings"]}


def test_cdktf_null_tags_take_the_default_tags(tmp_path: Path) -> None:
    path = _cdktf(tmp_path, [{"default_tags": [{"tags": {"owner": "alice", "expires_at": "2030-01-01"}}]}],
                  {"null": {"name": "n", "tags": None}, "empty": {"name": "e", "tags": {}},
                   "override": {"name": "r", "tags": {"owner": "bob"}}})
    code, doc, _ = check(path)
    assert code == 0
    assert owners(doc) == {"aws_iam_user.null": "alice", "aws_iam_user.empty": "alice",
                           "aws_iam_user.override": "bob"}


# -- 3. a checked directory's files that are not regular files -------------------------------------

def _special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    else:
        os.symlink("missing-target", path)


SPECIAL = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and sockets")


@SPECIAL
@pytest.mark.parametrize("kind", ["fifo", "socket", "dangling"])
@pytest.mark.parametrize("name", ["main.tf", "terraform.tfvars", "ci.auto.tfvars", "mod/main.tf"])
def test_non_regular_file_in_a_checked_directory_is_an_error(tmp_path: Path, kind: str, name: str) -> None:
    write_tree(tmp_path, {"ok.tf": 'module "m" {\n  source = "./mod"\n}\n', "mod/ok.tf": CHILD})
    _special(tmp_path / name, kind)
    code, _, out = check(tmp_path)  # never a hang: read_bytes refuses before opening
    assert code == 2, out
    assert str(tmp_path / name) in out


@SPECIAL
def test_declares_nhi_now_refuses_a_fifo(tmp_path: Path) -> None:
    from nhi_toolkit.errors import InputError
    from nhi_toolkit.retire import declares_nhi_now

    write_tree(tmp_path, {"a.tf": "# nothing\n"})
    os.mkfifo(tmp_path / "main.tf")
    with pytest.raises(InputError, match=r"main\.tf"):
        declares_nhi_now(tmp_path)


def test_check_paths_applies_max_input_mb(tmp_path: Path) -> None:
    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.errors import InputError

    write_tree(tmp_path, {"main.tf": CHILD + "# " + "x" * 4096 + "\n"})
    config = config_from_mapping({"max_input_mb": 0.001})
    with pytest.raises(InputError, match=r"main\.tf"):
        check_paths([str(tmp_path)], config, NOW)


def test_check_paths_keeps_a_limit_already_in_force(tmp_path: Path) -> None:
    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.loaders.common import input_limit

    write_tree(tmp_path, {"main.tf": CHILD + "# " + "x" * 4096 + "\n"})
    with input_limit(1):  # --max-input-mb 1 over a config of 0.001
        report = check_paths([str(tmp_path)], config_from_mapping({"max_input_mb": 0.001}), NOW)
    assert [i.address for i in report.identities] == ["aws_iam_user.u"]


# -- 4. resource and module names with Unicode letters, as Terraform's identifiers allow ----------

@pytest.mark.parametrize("address", [
    "aws_iam_user.bøt",
    "terraform_data.中文[0]",
    'module.mødule["k"].terraform_data.ǅx_ʰ-1',
    "terraform_data.Ⅻ",
    "terraform_data.℘℮゛",  # Other_ID_Start
    "terraform_data.á\u00b7\u0387",  # middle dot, ano teleia (Other_ID_Continue)
    "terraform_data.a\u0301\u093e\u0661\u203f\u1369",  # Mn, Mc, Nd, Pc, Other_ID_Continue
    "data.terraform_remote_state.ø",
    "terraform_data._ø",
])
def test_parse_address_accepts_terraform_identifiers(address: str) -> None:
    from nhi_toolkit.addresses import join_address, parse_address

    p = parse_address(address)
    assert join_address(p.module, p.mode, p.type, p.name, p.key) == address


@pytest.mark.parametrize("address", [
    "terraform_data.\u2e2f",  # a letter that is Pattern_Syntax: not ID_Start
    "terraform_data.a\u2e2f",
    "terraform_data.a😀",
    "terraform_data.·a",
    "terraform_data.\u0301a",
    "terraform_data.١a",  # a digit first
    "terraform_data.a\u00a0b",
    "terraform_data.a\u200cb",  # not ID_Continue in the Unicode tables Terraform 1.x uses
    "terraform_data.-a",
])
def test_parse_address_refuses_what_terraform_refuses(address: str) -> None:
    from nhi_toolkit.addresses import AddressError, parse_address

    with pytest.raises(AddressError):
        parse_address(address)


def test_reference_to_a_non_ascii_resource() -> None:
    from nhi_toolkit.addresses import reference_target

    assert reference_target("terraform_data.bøt.id", "module.m") == "module.m.terraform_data.bøt"


UNICODE_ROOT = '''
resource "terraform_data" "bøt" {
  input = {
    kind = "agent"
    tags = { owner = "alice@example.com", expires_at = "2026-06-01" }
  }
}

resource "terraform_data" "bøt_nøgle" {
  input = {
    kind  = "credential"
    agent = terraform_data.bøt.id
  }
}

resource "terraform_data" "中文" {
  input = {
    kind = "agent"
    tags = { owner = "bob@example.com", expires_at = "2030-01-01" }
  }
}

module "mødule" {
  source = "./m"
}
'''

UNICODE_CHILD = '''
resource "terraform_data" "ǅx·ʰ" {
  input = {
    kind = "agent"
    tags = { owner = "carol@example.com", expires_at = "2026-01-31" }
  }
}
'''


@pytest.mark.terraform
def test_non_ascii_names_round_trip_and_retire_with_terraform(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nhi_toolkit.addresses import join_address, parse_address
    from nhi_toolkit.cli import main
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        tf = find_terraform()
    except TerraformError as exc:
        pytest.skip(f"no Terraform available: {exc}")
    root = Path(__file__).resolve().parents[1]
    work = write_tree(tmp_path / "infra", {"main.tf": UNICODE_ROOT, "m/main.tf": UNICODE_CHILD})
    (work / "nhi.toml").write_text((root / "examples" / "retire-offline" / "nhi.toml").read_text())
    tf.init(work)
    tf.plan(work, out="setup.tfplan")
    tf.apply(work, "setup.tfplan")
    (work / "setup.tfplan").unlink()

    listed = tf.run(["state", "list"], work).stdout.splitlines()
    expected = {"terraform_data.bøt", "terraform_data.bøt_nøgle", "terraform_data.中文",
                "module.mødule.terraform_data.ǅx·ʰ"}
    assert set(listed) == expected
    for address in listed:  # Terraform's own addresses parse and print back unchanged
        p = parse_address(address)
        assert join_address(p.module, p.mode, p.type, p.name, p.key) == address
    code, doc, out = check(work, "--config", work / "nhi.toml")
    assert code == 1, out  # bøt and the child expired
    assert {i["address"] for i in doc["identities"]} == expected, out

    result = CliRunner().invoke(main, ["retire", "--terraform-dir", str(work), "--config", str(work / "nhi.toml"),
                                       "--now", "2026-12-01", "--no-init", "--manifest", str(tmp_path / "m.json"),
                                       "--apply", "-q"])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    manifest = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert {s["address"] for s in manifest["revocation_order"]} == expected - {"terraform_data.中文"}
    assert set(tf.run(["state", "list"], work).stdout.splitlines()) == {"terraform_data.中文"}


def test_variables_and_locals_named_with_a_non_ascii_first_letter_resolve(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": '''
locals {
  éjer = "alice"
}

variable "ødløb" {
  default = "2026-09-01"
}

resource "aws_iam_user" "bøt" {
  name = "b"
  tags = { owner = local.éjer, expires_at = var.ødløb }
}
'''})
    code, doc, _ = check(tmp_path)
    assert code == 0
    assert owners(doc) == {"aws_iam_user.bøt": "alice"}


@SPECIAL
@pytest.mark.parametrize("name", ["extra.tf", "terraform.tfvars", "x.auto.tfvars.json"])
def test_retire_refuses_a_fifo_terraform_would_block_on(tmp_path: Path, name: str) -> None:
    import shutil
    import subprocess
    import sys

    work = write_tree(tmp_path / "infra", {"main.tf": CHILD})
    os.mkfifo(work / name)
    nhi = shutil.which("nhi", path=str(Path(sys.executable).parent)) or shutil.which("nhi")
    assert nhi
    proc = subprocess.run([nhi, "retire", "--terraform-dir", str(work), "--now", "2026-12-01", "--no-init"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert str(work / name) in proc.stderr and "FIFO" in proc.stderr
