"""``nhi retire`` attacked with real Terraform (terraform_data only, no provider downloads).

Each test deploys a small configuration from ``tests/fixtures/retire/attacks`` (``NAME.tf.off`` is
copied in as ``NAME.tf``) and tries one way to make retire destroy more than the reviewed manifest
names, mislead its reader, or leak what the plan file holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from terraform_estates import apply_config, run_retire
from terraform_estates import state_addresses as state

pytestmark = pytest.mark.terraform

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "retire" / "attacks"
NOW = "2026-12-01"


def deploy(tf, dest: Path, *names: str) -> set[str]:  # type: ignore[no-untyped-def]
    dest.mkdir()
    shutil.copy(FIXTURE / "nhi.toml", dest / "nhi.toml")
    for name in names:
        shutil.copy(FIXTURE / f"{name}.tf.off", dest / f"{name}.tf")
    return apply_config(tf, dest)


def retire(directory: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    return run_retire(directory, "--now", now, "--no-init", *args)


def test_tag_values_cannot_forge_lines_in_the_summary_or_refusal(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An owner or revocation path with a carriage return, newline or bidi override is shown
    escaped: every printed line is one the tool wrote, none a tag value's."""
    work = tmp_path / "infra"
    before = deploy(tf, work, "injection")
    code, stdout, stderr = retire(work, "--manifest", str(tmp_path / "m.json"))
    assert code == 3, stderr
    text = stdout + stderr
    for bad in ("\r", "\u202e"):
        assert bad not in text
    lines = text.splitlines()
    assert not any(ln.startswith(("nhi retire: nothing", "nhi retire: retired", "refused: nothing"))
                   for ln in lines), text
    assert "alice\\rnhi retire: nothing to retire\\u202e" in stdout
    assert "call me\\nnhi retire: retired 0 identities" in stdout
    assert "owner bob\\nrefused: nothing" in stderr
    assert state(tf, work) == before
    # The manifest keeps the values as they are (it is JSON, escaped by its own rules).
    assert "alice\\rnhi retire" in (tmp_path / "m.json").read_text(encoding="utf-8")


OLD = {"terraform_data.old[0]", "terraform_data.key[0]"}
LIVE = {"terraform_data.live"}


def review_args(out: Path) -> list[str]:
    return ["--manifest", str(out / "m.json"), "--plan-out", str(out / "p.tfplan"),
            "--audit-log", str(out / "audit.jsonl")]


def test_symlinked_plan_out_is_replaced_not_written_through(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A link planted at the plan-out path (pointing at a file someone else can read) must not
    receive the plan, which holds the prior state and so secrets."""
    work = tmp_path / "infra"
    assert deploy(tf, work, "basic") == OLD | LIVE
    out = tmp_path / "out"
    out.mkdir()
    public = tmp_path / "public.bin"
    public.write_bytes(b"")
    public.chmod(0o644)
    (out / "p.tfplan").symlink_to(public)
    code, _, stderr = retire(work, *review_args(out))
    assert code == 0, stderr
    assert public.read_bytes() == b"" and (public.stat().st_mode & 0o777) == 0o644
    plan = out / "p.tfplan"
    assert not plan.is_symlink() and plan.is_file() and (plan.stat().st_mode & 0o777) == 0o600
    code, _, stderr = retire(work, *review_args(out), "--apply")
    assert code == 0, stderr
    assert state(tf, work) == LIVE


def test_terraform_log_symlink_is_not_followed(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "infra"
    deploy(tf, work, "basic")
    shutil.copy(FIXTURE / "broken.tf.off", work / "broken.tf")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (out / "p.tfplan.log").symlink_to(victim)
    code, _, stderr = retire(work, *review_args(out))
    assert code == 4, stderr
    assert str(out / "p.tfplan.log") in stderr
    assert victim.read_text() == "keep\n"
    log = out / "p.tfplan.log"
    assert not log.is_symlink() and (log.stat().st_mode & 0o777) == 0o600
    assert "missing.txt" in log.read_text()


def test_plan_file_swapped_after_verification_is_not_applied(tf, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The reviewed plan file is checked (sha256, state, read back) and then applied: whoever can
    write its folder must not be able to put another plan there in between. A full destroy plan
    made from the same state is swapped in right after the plan is read back."""
    from nhi_toolkit.terraform import Terraform

    work = tmp_path / "infra"
    deploy(tf, work, "basic")
    out = tmp_path / "out"
    code, _, stderr = retire(work, *review_args(out))
    assert code == 0, stderr
    tf.plan(work, out=str(tmp_path / "everything.tfplan"), destroy=True)
    evil = (tmp_path / "everything.tfplan").read_bytes()
    original = Terraform.show_json

    def show_then_swap(self, directory, planfile):  # type: ignore[no-untyped-def]
        result = original(self, directory, planfile)
        (out / "p.tfplan").write_bytes(evil)
        return result

    monkeypatch.setattr(Terraform, "show_json", show_then_swap)
    code, _, stderr = retire(work, *review_args(out), "--apply")
    assert code == 0, stderr
    assert state(tf, work) == LIVE  # exactly the reviewed plan was applied


@pytest.mark.parametrize("option", ["--plan-out", "--manifest", "--summary"])
def test_an_output_that_cannot_be_written_is_a_clear_error_and_destroys_nothing(
    tf, tmp_path: Path, option: str  # type: ignore[no-untyped-def]
) -> None:
    work = tmp_path / "infra"
    before = deploy(tf, work, "basic")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, stderr = retire(work, option, str(blocker / "out"), "--apply")
    assert code == 2, stderr
    assert "internal error" not in stderr and f"{blocker / 'out'}: cannot write" in stderr
    assert state(tf, work) == before


def test_destroying_only_a_deposed_object_does_not_verify_the_address(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A plan that destroys a leftover deposed object of a manifest address, but not the address's
    current object, does not retire it: refuse before apply (it was "verified", applied and then
    found still in state)."""
    import json

    work = tmp_path / "infra"
    assert deploy(tf, work, "deposed") == {"terraform_data.old"}
    raw = tf.state_pull(work)
    res = raw["resources"][0]
    res["instances"].append(dict(res["instances"][0], deposed="00000001"))
    raw["serial"] += 1
    (work / "pushed.json").write_text(json.dumps(raw))
    tf.run(["state", "push", "pushed.json"], work)
    audit = tmp_path / "audit.jsonl"
    code, _, stderr = retire(work, "--route", "declared-expiry", "--apply", "--audit-log", str(audit))
    assert code == 3, stderr
    assert "refused: terraform_data.old: is in the manifest but the plan does not destroy it" in stderr
    after = tf.state_pull(work)["resources"][0]["instances"]
    assert len(after) == 2  # nothing applied: the deposed object is still there
    events = [json.loads(x)["event"] for x in audit.read_text().splitlines()]
    assert "applying" not in events


@pytest.mark.parametrize(("option", "victim"), [
    ("--manifest", "terraform.tfstate"), ("--summary", "terraform.tfstate"),
    ("--plan-out", "terraform.tfstate"), ("--manifest", "main.tf"), ("--plan-out", "main.tf"),
])
def test_an_output_path_naming_another_file_is_refused_not_overwritten(
    tf, tmp_path: Path, option: str, victim: str  # type: ignore[no-untyped-def]
) -> None:
    """A slip such as ``--manifest terraform.tfstate`` replaced the local state (every identity
    orphaned: still in the cloud, no longer in Terraform) or the configuration with retire's output."""
    work = tmp_path / "infra"
    before = deploy(tf, work, "basic")
    (work / "main.tf").write_bytes((work / "basic.tf").read_bytes())
    (work / "basic.tf").unlink()
    kept = (work / victim).read_bytes()
    code, _, stderr = retire(work, option, str(work / victim), "--apply")
    assert code == 2, stderr
    assert victim in stderr
    # (--manifest with --apply reads an existing file as the reviewed manifest: not one, exit 2.)
    assert option == "--manifest" or "refusing to overwrite" in stderr
    code, _, stderr = retire(work, option, str(work / victim))
    assert code == 2 and "refusing to overwrite" in stderr, stderr
    assert (work / victim).read_bytes() == kept
    assert state(tf, work) == before


def test_outputs_of_an_earlier_review_are_overwritten(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "infra"
    deploy(tf, work, "basic")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("p.tfplan", "s.txt"):  # empty files, as mktemp leaves them
        (out / name).write_bytes(b"")
    args = [*review_args(out), "--summary", str(out / "s.txt")]
    assert retire(work, *args)[0] == 0
    code, _, stderr = retire(work, *args)  # the second review replaces the first one's files
    assert code == 0, stderr
    code, _, stderr = retire(work, *args, "--apply")
    assert code == 0, stderr
    assert state(tf, work) == LIVE


@pytest.mark.parametrize(("field", "value"), [
    ("plan", "p.tfplan"), ("state", ["x"]), ("verification", "verified"), ("criteria", 1),
    ("identities", {"a": 1}), ("revocation_order", [{"address": "terraform_data.old[0]", "phase": 2}]),
    ("now", "garbage"),
])
def test_a_malformed_reviewed_manifest_is_a_clear_error(tf, tmp_path: Path, field: str, value: object) -> None:  # type: ignore[no-untyped-def]
    import json

    work = tmp_path / "infra"
    before = deploy(tf, work, "basic")
    out = tmp_path / "out"
    assert retire(work, *review_args(out))[0] == 0
    doc = json.loads((out / "m.json").read_text())
    doc[field] = value
    (out / "m.json").write_text(json.dumps(doc))
    code, _, stderr = retire(work, *review_args(out), "--apply")
    assert code in (2, 3), stderr
    assert "internal error" not in stderr
    assert state(tf, work) == before


def test_the_audit_names_the_manifest_that_was_applied(tf, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The apply run records the reviewed manifest's sha256; the file may change after it is read
    (here: right after), and the hash must be that of the bytes the run used."""
    import hashlib
    import json

    from nhi_toolkit.loaders import common

    work = tmp_path / "infra"
    deploy(tf, work, "basic")
    out = tmp_path / "out"
    assert retire(work, *review_args(out))[0] == 0
    manifest = out / "m.json"
    used = manifest.read_bytes()
    real = common.read_bytes

    def read_then_change(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        data = real(path, *args, **kwargs)
        if Path(path) == manifest:
            manifest.write_bytes(used + b"\n")
        return data

    monkeypatch.setattr(common, "read_bytes", read_then_change)
    code, _, stderr = retire(work, *review_args(out), "--apply")
    assert code == 0, stderr
    started = [json.loads(x) for x in (out / "audit.jsonl").read_text().splitlines()
               if json.loads(x)["event"] == "run-started"][-1]
    assert started["data"]["manifest_sha256"] == hashlib.sha256(used).hexdigest()


def test_a_leaver_on_the_declared_route_is_refused_with_the_way_out(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A configuration gated on nhi_now keeps declaring an identity whose owner left (it has not
    expired), so its declared-expiry plan cannot destroy it: refuse, and say which route can."""
    work = tmp_path / "infra"
    before = deploy(tf, work, "basic")
    leavers = tmp_path / "leavers.csv"
    leavers.write_text("owner,left_on\nBob@Example.com,2026-11-01\n")
    code, _, stderr = retire(work, "--leavers", str(leavers), "--apply")
    assert code == 3, stderr
    line = next(ln for ln in stderr.splitlines() if ln.startswith("refused: terraform_data.live: "))
    assert "still declares it with nhi_now" in line and "--route targeted-destroy" in line
    assert state(tf, work) == before
    code, _, stderr = retire(work, "--leavers", str(leavers), "--apply", "--route", "targeted-destroy")
    assert code == 0, stderr
    assert state(tf, work) == set()


def test_no_state_after_apply_confirms_nothing(tf, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A state pull that prints nothing after the apply (a backend or workspace changed under the
    run) is no proof that anything is gone: exit 4, nothing confirmed, the audit log says so."""
    from nhi_toolkit.audit import iter_entries
    from nhi_toolkit.terraform import Terraform

    work = tmp_path / "infra"
    deploy(tf, work, "basic")
    original_apply, original_pull = Terraform.apply, Terraform.state_pull
    applied: list[bool] = []

    def apply(self, directory, planfile):  # type: ignore[no-untyped-def]
        result = original_apply(self, directory, planfile)
        applied.append(True)
        return result

    def pull(self, directory):  # type: ignore[no-untyped-def]
        return {} if applied else original_pull(self, directory)

    monkeypatch.setattr(Terraform, "apply", apply)
    monkeypatch.setattr(Terraform, "state_pull", pull)
    log = tmp_path / "audit.jsonl"
    code, stdout, stderr = retire(work, "--apply", "--yes", "--audit-log", str(log), "--manifest",
                                  str(tmp_path / "m.json"), "--plan-out", str(tmp_path / "p.tfplan"))
    assert code == 4, stderr
    assert "state pull printed nothing after the apply" in stdout + stderr
    events = [e.event for e in iter_entries(log)]
    assert "confirmed" not in events and events[-1] == "run-finished"
