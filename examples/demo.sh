#!/usr/bin/env bash
# `make demo`: declare, check and retire the bundled examples, offline, with the clock pinned.
#   1. synthesize the example CDKTF stacks (python + node, no cdktf-cli)
#   2. nhi check the synthesized stacks: a table of identities with findings
#   3. nhi check the HCL modules' examples and the offline retirement example
#   4. the retirement manifest of the expired example integration (meeting-summarizer)
#   5. a complete offline retirement with real Terraform: plan, verification, apply, confirmation, audit
#   6. nhi verify against a local AWS-compatible endpoint (moto, started here on 127.0.0.1 and stopped
#      at exit; dummy credentials): a key deleted outside Terraform, a dormant key, an undeclared AI role
# Output lands in demo-out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
export NHI_NOW="${NHI_NOW:-2026-12-01}"
out=demo-out
rm -rf "$out"
mkdir -p "$out"

# A CLI config variable pointing at a missing file only makes Terraform print warnings.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then unset TF_CLI_CONFIG_FILE; fi

# Terraform on PATH, else the embedded one (the same order nhi itself uses).
tf() {
  if command -v terraform >/dev/null 2>&1; then terraform "$@"
  elif command -v tofu >/dev/null 2>&1; then tofu "$@"
  else python -m nhi_toolkit.terraform "$@"
  fi
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Declare: synthesize the example stacks (clock pinned: NHI_NOW=$NHI_NOW)"
python -m stacks --outdir "$out/cdktf.out"
ls "$out/cdktf.out/stacks"

step "2. Check: nhi check $out/cdktf.out"
nhi check "$out/cdktf.out" --fail-on never

step "3. Check the HCL modules' examples and the offline example"
nhi check modules/nhi-agents/examples/basic examples/retire-offline --fail-on never

step "4. Retire: the manifest of the expired integration (meeting-summarizer)"
nhi retire --state "$out/cdktf.out/stacks/meeting-summarizer/cdk.tf.json" \
  --manifest "$out/meeting-summarizer-retire.json"

step "5. Retire offline with real Terraform: examples/retire-offline"
cp -r examples/retire-offline "$out/infra"
mkdir -m 700 "$out/private"   # the plan file holds prior state, so secrets: keep it private
(cd "$out/infra" && tf init -input=false >/dev/null && tf apply -input=false -auto-approve >/dev/null)
echo "created: $(cd "$out/infra" && tf state list | wc -l) resources; nhi check on the state:"
nhi check "$out/infra/terraform.tfstate" --config "$out/infra/nhi.toml" --fail-on never
echo "-- review run: manifest, verified plan, audit log"
nhi retire --terraform-dir "$out/infra" --manifest "$out/retire.json" \
  --plan-out "$out/private/retire.tfplan" --audit-log "$out/audit.jsonl"
echo "-- apply run: the reviewed plan, then confirmation from state"
nhi retire --terraform-dir "$out/infra" --manifest "$out/retire.json" \
  --plan-out "$out/private/retire.tfplan" --audit-log "$out/audit.jsonl" --apply --yes --quiet
echo "-- left in state:"
(cd "$out/infra" && tf state list)
echo "-- nhi check on the state after retirement:"
nhi check "$out/infra/terraform.tfstate" --config "$out/infra/nhi.toml"
echo "-- audit trail:"
nhi audit verify "$out/audit.jsonl"

step "6. Verify live: what AWS says about examples/verify-live (a local moto endpoint, never AWS)"
# Dummy credentials and no profile or config file: nothing here can reach a real account.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
python -m moto.server -H 127.0.0.1 -p "$port" >"$out/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
python - "$AWS_ENDPOINT_URL" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the local moto endpoint did not start; see demo-out/moto.log")
PY
mkdir -p "$out/verify-live"
live_now=$(python examples/verify-live/setup_moto.py "$AWS_ENDPOINT_URL" "$out/verify-live/terraform.tfstate" 30)
echo "moto at $AWS_ENDPOINT_URL: user, keys and role created as declared; key 'rotated' deleted outside"
echo "Terraform, key 'spare' never used, role bedrock-agent-sandbox created by hand (trusts Bedrock)."
echo "-- nhi verify, 30 days and an hour after the keys were created (--now $live_now):"
nhi verify "$out/verify-live/terraform.tfstate" --endpoint-url "$AWS_ENDPOINT_URL" --now "$live_now" \
  --dormant-days 30 --fail-on never
kill "$moto_pid" 2>/dev/null || true

printf '\nDone. Manifests, audit log and synthesized stacks are in %s/.\n' "$out"
