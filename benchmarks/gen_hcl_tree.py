"""Write a module tree for timing ``nhi check DIR``: a root calling local modules with for_each.

    python benchmarks/gen_hcl_tree.py OUT_DIR                 # 20 modules x 100 instances = 2,000 resources
    python benchmarks/gen_hcl_tree.py OUT_DIR --modules 20 --instances 400
    python benchmarks/gen_hcl_tree.py OUT_DIR --split         # the root in one file per module call
    python benchmarks/gen_hcl_tree.py OUT_DIR --literal       # each module writes its resources out
    time nhi check OUT_DIR --format json --now 2026-06-01 > /dev/null

Each module declares one aws_iam_role whose tags come from the call's arguments, which come from
``each.value`` of a map in the root's locals, and a provider default tag reaches every instance.
Module expansion must keep the check linear in the number of resource instances.
"""

from __future__ import annotations

import argparse
from pathlib import Path

MODULE = '''variable "name" {
  type = string
}

variable "owner" {
  type = string
}

variable "expires_at" {
  type = string
}

locals {
  tags = {
    owner      = var.owner
    expires_at = var.expires_at
    purpose    = "agent ${var.name}"
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = "{}"
  tags               = local.tags
}

output "role_name" {
  value = aws_iam_role.this.name
}
'''


def generate(out: Path, modules: int, instances: int, split: bool = False) -> int:
    """Write the tree; return the number of resource instances it declares.

    ``split`` writes each module call and its map in a file of its own (``agents07.tf``), as a team
    keeping one file per agent group would, instead of everything in ``main.tf``.
    """
    out.mkdir(parents=True, exist_ok=True)
    root = ['provider "aws" {\n  default_tags {\n    tags = { cost_center = "ai" }\n  }\n}\n']
    for m in range(modules):
        mod_dir = out / "modules" / f"agent{m:02d}"
        mod_dir.mkdir(parents=True, exist_ok=True)
        (mod_dir / "main.tf").write_text(MODULE)
        entries = "\n".join(
            f'    "bot-{m:02d}-{i:04d}" = {{ owner = "team{i % 7}@example.com", '
            f'expires_at = "2027-{1 + i % 12:02d}-15" }}'
            for i in range(instances)
        )
        root.append(f'locals {{\n  bots{m:02d} = {{\n{entries}\n  }}\n}}\n')
        root.append(
            f'module "agents{m:02d}" {{\n  source   = "./modules/agent{m:02d}"\n'
            f"  for_each = local.bots{m:02d}\n\n  name       = each.key\n"
            "  owner      = each.value.owner\n  expires_at = each.value.expires_at\n}\n"
        )
    if split:
        (out / "main.tf").write_text(root[0])
        for m in range(modules):
            (out / f"agents{m:02d}.tf").write_text("\n".join(root[1 + 2 * m: 3 + 2 * m]))
    else:
        (out / "main.tf").write_text("\n".join(root))
    return modules * instances


LITERAL_ROLE = '''resource "aws_iam_role" "bot_{i:04d}" {{
  name               = "${{var.name}}-{i:04d}"
  assume_role_policy = "{{}}"
  tags = {{
    owner      = "team{team}@example.com"
    expires_at = "2027-{month:02d}-15"
    purpose    = "agent ${{var.name}} {m}-{i}"
  }}
}}
'''


def generate_literal(out: Path, modules: int, instances: int) -> int:
    """The same number of roles written out as resource blocks: each module declares ``instances``
    roles, the root calls each module once (one file per call). Parsing dominates such a tree."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "main.tf").write_text('provider "aws" {\n  default_tags {\n    tags = { cost_center = "ai" }\n  }\n}\n')
    for m in range(modules):
        mod_dir = out / "modules" / f"agent{m:02d}"
        mod_dir.mkdir(parents=True, exist_ok=True)
        roles = "\n".join(LITERAL_ROLE.format(i=i, m=m, team=(m + i) % 7, month=1 + i % 12) for i in range(instances))
        (mod_dir / "main.tf").write_text(f'variable "name" {{\n  type = string\n}}\n\n{roles}')
        (out / f"agents{m:02d}.tf").write_text(
            f'module "agents{m:02d}" {{\n  source = "./modules/agent{m:02d}"\n  name   = "bot-{m:02d}"\n}}\n')
    return modules * instances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--split", action="store_true", help="one root file per module call")
    parser.add_argument("--literal", action="store_true", help="resource blocks written out, no for_each")
    args = parser.parse_args()
    if args.literal:
        n = generate_literal(args.out, args.modules, args.instances)
    else:
        n = generate(args.out, args.modules, args.instances, args.split)
    print(f"{args.out}: {args.modules} modules, {n} resource instances")


if __name__ == "__main__":
    main()
