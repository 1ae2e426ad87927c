"""Residuals of the HCL and CDKTF loaders: provider aliases, null tags, non-file inputs, Unicode names.

Each resource gets the ``default_tags`` of exactly the provider configuration it uses; an alias
without ``default_tags`` gives none (anything else is a false pass).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_hcl_modules import check, owners, write

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
    write(tmp_path, {"main.tf": DEFAULT_AND_BARE + '''
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
    write(tmp_path, {
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
    write(tmp_path, {
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
    write(tmp_path, {"mod/main.tf": CHILD})
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
    write(tmp_path, {"main.tf": DEFAULT_AND_BARE + TAG_SHAPES})
    code, doc, _ = check(tmp_path)
    assert owners(doc) == {"aws_iam_user.null": "alice", "aws_iam_user.omitted": "alice",
                           "aws_iam_user.empty": "alice",
                           "aws_iam_user.merged": "(unknown)",  # var.x may set owner
                           "aws_iam_user.override": "bob"}
    expiry = {i["address"]: i["expires_at"] for i in doc["identities"]}
    assert expiry["aws_iam_user.null"].startswith("2030-01-01")
    assert expiry["aws_iam_user.override"].startswith("2027-01-01")
    assert not any(f["rule"] in ("missing-owner", "missing-expiry") for f in doc["findings"])


def test_hcl_null_tags_in_a_child_module(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": DEFAULT_AND_BARE + 'module "m" {\n  source = "./mod"\n}\n',
                     "mod/main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = null\n}\n'})
    code, doc, _ = check(tmp_path)
    assert owners(doc) == {"module.m.aws_iam_user.u": "alice"}


def test_null_tags_without_default_tags_is_still_unowned(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = null\n}\n'})
    code, doc, _ = check(tmp_path)
    assert code == 1
    assert ("missing-owner", "aws_iam_user.u") in {(f["rule"], f["address"]) for f in doc["findings"]}


def test_cdktf_null_tags_take_the_default_tags(tmp_path: Path) -> None:
    path = _cdktf(tmp_path, [{"default_tags": [{"tags": {"owner": "alice", "expires_at": "2030-01-01"}}]}],
                  {"null": {"name": "n", "tags": None}, "empty": {"name": "e", "tags": {}},
                   "override": {"name": "r", "tags": {"owner": "bob"}}})
    code, doc, _ = check(path)
    assert owners(doc) == {"aws_iam_user.null": "alice", "aws_iam_user.empty": "alice",
                           "aws_iam_user.override": "bob"}
