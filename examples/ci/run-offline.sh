#!/usr/bin/env bash
# The scheduled retirement pipeline, run locally against examples/retire-offline with no cloud:
# review run (manifest + verified plan), approval gate, apply run, audit verification.
# Usage: examples/ci/run-offline.sh [NOW]      (default NOW: 2026-12-01)
set -euo pipefail

now="${1:-2026-12-01}"
# A CLI config variable pointing at a missing file only makes Terraform print warnings.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then unset TF_CLI_CONFIG_FILE; fi
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/../retire-offline" "$work/infra"
mkdir -m 700 "$work/private" # the plan file holds prior state, so secrets: it stays here
out="$work/out"
mkdir "$out"

echo "== setup: create the identities"
(cd "$work/infra" && terraform init -input=false >/dev/null && terraform apply -input=false -auto-approve >/dev/null)

echo "== job 1: review"
set +e
nhi retire --terraform-dir "$work/infra" --now "$now" \
  --manifest "$out/retire.json" --summary "$out/retire.txt" \
  --plan-out "$work/private/retire.tfplan" --audit-log "$out/audit.jsonl"
code=$?
set -e
if [ "$code" -ne 0 ]; then
  # 3: refused (nothing destroyed); 4: Terraform failed (nothing destroyed); 2: bad input.
  echo "review refused or failed (exit $code); nothing was destroyed"
  exit "$code"
fi
if [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["addresses"])' "$out/retire.json")" = 0 ]; then
  echo "nothing to retire"
  exit 0
fi

echo "== approval gate: the reviewer reads $out/retire.txt (artifact), not the plan file"
if [ -t 0 ]; then
  read -r -p "Apply this retirement? [y/N] " answer
  [ "$answer" = "y" ] || { echo "not approved"; exit 0; }
fi

echo "== job 2: apply the reviewed plan"
nhi retire --terraform-dir "$work/infra" --now "$now" \
  --manifest "$out/retire.json" --plan-out "$work/private/retire.tfplan" \
  --audit-log "$out/audit.jsonl" --apply --yes --quiet # approved above; exit 4 if Terraform fails

echo "== left in state"
(cd "$work/infra" && terraform state list)
echo "== audit"
nhi audit verify "$out/audit.jsonl"
