"""A live identity is never pulled down through a reference (real Terraform, terraform_data only).

``tests/fixtures/retire/conflicts`` declares an expired identity ``old`` (alice) with an untagged
credential ``key``; each ``*.tf.off`` adds one dependent. A dependent with its own owner or expiry
that has not expired is a conflict: retire refuses (exit 3) naming both identities and the link
between them, and destroys nothing, by either planning route. A dependent whose own expiry has
passed, and the untagged credential, ride along.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from terraform_estates import apply_config, run_retire
from terraform_estates import state_addresses as state

pytestmark = pytest.mark.terraform

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "retire" / "conflicts"
NOW = "2026-12-01"
ROUTES = ("declared-expiry", "targeted-destroy")


def deploy(tf, dest: Path, *extras: str) -> set[str]:  # type: ignore[no-untyped-def]
    dest.mkdir()
    for name in ("main.tf", "nhi.toml"):
        shutil.copy(FIXTURE / name, dest / name)
    for extra in extras:
        shutil.copy(FIXTURE / f"{extra}.tf.off", dest / f"{extra}.tf")
    return apply_config(tf, dest)


def retire(directory: Path, *args: str) -> tuple[int, str, str]:
    return run_retire(directory, "--now", NOW, "--no-init", *args)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("extra", "dependent", "owner", "link"),
    [
        ("reference", "terraform_data.new[0]", "bob@example.com", "refers to terraform_data.old"),
        ("depends_on", "terraform_data.after", "carol@example.com", "refers to terraform_data.old"),
    ],
)
def test_live_dependent_is_a_conflict_and_nothing_is_destroyed(
    tf, tmp_path: Path, route: str, extra: str, dependent: str, owner: str, link: str  # type: ignore[no-untyped-def]
) -> None:
    work = tmp_path / "infra"
    before = deploy(tf, work, extra)
    audit = tmp_path / "audit.jsonl"
    code, _, stderr = retire(work, "--route", route, "--apply", "--audit-log", str(audit),
                             "--manifest", str(tmp_path / "m.json"))
    assert code == 3, stderr
    line = next(ln for ln in stderr.splitlines() if ln.startswith(f"refused: {dependent}: "))
    assert f"live identity (owner {owner}, expires 2030-01-01)" in line
    assert "depends on terraform_data.old[0], which is being retired" in line and link in line
    assert "retire " in line and "explicitly" in line and "re-point it" in line
    assert "extend terraform_data.old[0]'s expiry" in line
    assert state(tf, work) == before  # nothing destroyed
    manifest = json.loads((tmp_path / "m.json").read_text())
    assert manifest["verification"]["status"] == "refused" and manifest["plan"] is None
    events = [json.loads(x)["event"] for x in audit.read_text().splitlines()]
    assert "refused" in events and "applying" not in events and "applied" not in events


def test_declared_plan_destroying_a_live_identity_is_refused(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No reference ties ``gated`` to ``old``, so the manifest cannot see it; the real plan does."""
    work = tmp_path / "infra"
    before = deploy(tf, work, "gated")
    code, _, stderr = retire(work, "--route", "declared-expiry", "--apply",
                             "--plan-out", str(tmp_path / "p.tfplan"))
    assert code == 3, stderr
    line = next(ln for ln in stderr.splitlines() if ln.startswith("refused: terraform_data.gated[0]: "))
    assert "would be destroyed but is not in the manifest" in line
    assert "not expired: owner dave@example.com" in line and "a live identity" in line
    assert state(tf, work) == before
    assert not (tmp_path / "p.tfplan").exists()


@pytest.mark.parametrize("route", ROUTES)
def test_expired_dependent_and_untagged_credential_ride_along(tf, tmp_path: Path, route: str) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "infra"
    before = deploy(tf, work, "expired_dependent")
    assert before == {"terraform_data.old[0]", "terraform_data.key[0]", "terraform_data.also_old[0]"}
    code, stdout, stderr = retire(work, "--route", route, "--apply", "--manifest", str(tmp_path / "m.json"))
    assert code == 0, stderr
    assert "3 addresses confirmed gone" in stdout
    assert state(tf, work) == set()
    destroy = json.loads((tmp_path / "m.json").read_text())["identities"][0]["destroy"]
    assert {d["address"]: d["via"] for d in destroy} == {
        "terraform_data.old[0]": None, "terraform_data.key[0]": "terraform_data.old[0]",
        "terraform_data.also_old[0]": "terraform_data.old[0]"}


SHARED = [
    # (fixture, the binding, the live identity it also hangs off, its owner)
    ("shared_reference", "terraform_data.shared[0]", "terraform_data.frank", "frank@example.com"),
    ("shared_depends_on", "terraform_data.bound[0]", "terraform_data.grace", "grace@example.com"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("extra", "binding", "live", "owner"), SHARED)
def test_binding_that_also_hangs_off_a_live_identity_is_a_conflict(
    tf, tmp_path: Path, route: str, extra: str, binding: str, live: str, owner: str  # type: ignore[no-untyped-def]
) -> None:
    """An untagged credential or grant tied to the expired identity and to a live one (by reference
    or depends_on) would ride along with the expired one and cut the live one's access: refused,
    naming both, and nothing is destroyed."""
    work = tmp_path / "infra"
    before = deploy(tf, work, extra)
    assert {binding, live} <= before
    audit = tmp_path / "audit.jsonl"
    code, _, stderr = retire(work, "--route", route, "--apply", "--audit-log", str(audit),
                             "--manifest", str(tmp_path / "m.json"))
    assert code == 3, stderr
    line = next(ln for ln in stderr.splitlines() if ln.startswith(f"refused: {binding}: "))
    assert (f"hangs off both terraform_data.old[0], which is being retired, and {live} "
            f"(owner {owner}, expires 2030-01-01), which is not") in line
    assert f"it refers to terraform_data.old; it refers to {live}" in line
    assert f"would cut {live}'s access" in line
    assert "re-point it" in line and f"retire {live} too" in line
    assert "extend terraform_data.old[0]'s expiry" in line
    assert state(tf, work) == before  # nothing destroyed
    manifest = json.loads((tmp_path / "m.json").read_text())
    assert manifest["verification"]["status"] == "refused" and manifest["plan"] is None
    assert binding not in [d["address"] for g in manifest["identities"] for d in g["destroy"]]
    events = [json.loads(x)["event"] for x in audit.read_text().splitlines()]
    assert "refused" in events and "applying" not in events


@pytest.mark.parametrize("route", ROUTES)
def test_verification_catches_a_binding_left_out_of_the_manifest(tf, tmp_path: Path, route: str) -> None:  # type: ignore[no-untyped-def]
    """Left out of the manifest, the binding is still destroyed by the real plan (a dependent of the
    targets, or no longer declared): verification calls it an over-reach and names the live
    identity whose access it would cut."""
    from nhi_toolkit.config import load_config
    from nhi_toolkit.expiry import parse_now
    from nhi_toolkit.retire import Criteria, build_manifest, verify_plan
    from nhi_toolkit.retire.run import Settings
    from nhi_toolkit.retire.state import _inventory

    work = tmp_path / "infra"
    deploy(tf, work, "shared_reference")
    config = load_config(work / "nhi.toml")
    now = parse_now(NOW)
    identities, _ = _inventory(Settings(terraform_dir=str(work)), tf, config)
    manifest = build_manifest(identities, Criteria(now), config)
    assert set(manifest.addresses) == {"terraform_data.old[0]", "terraform_data.key[0]"}
    if route == "declared-expiry":
        tf.plan(work, out="r.tfplan", variables={"nhi_now": manifest.now})
    else:
        tf.plan(work, out="r.tfplan", destroy=True, targets=list(manifest.addresses))
    plan = tf.show_json(work, "r.tfplan")
    problems = verify_plan(plan, manifest.addresses, identities={i.address: i for i in identities},
                           now=now, config=config)
    (p,) = problems
    assert (p.address, p.kind) == ("terraform_data.shared[0]", "over-reach")
    assert "it hangs off terraform_data.frank, not being retired" in p.message
    assert "would cut terraform_data.frank's access" in p.message


def test_credential_of_an_identity_that_refers_to_a_live_one_is_retired_with_it(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``key`` belongs to the expired ``old``, which refers to the live ``live``; state records key's
    dependencies transitively (live and old) and key's depends_on names live too. key goes with
    old, the targeted destroy takes exactly both, and live stays."""
    work = tmp_path / "infra"
    shutil.copytree(FIXTURE.parent / "transitive", work)
    assert apply_config(tf, work) == {"terraform_data.live", "terraform_data.old", "terraform_data.key"}
    code, stdout, stderr = retire(work, "--route", "targeted-destroy", "--apply",
                                  "--manifest", str(tmp_path / "m.json"))
    assert code == 0, stderr
    manifest = json.loads((tmp_path / "m.json").read_text())
    assert manifest["verification"] == {"status": "verified", "problems": []}
    destroy = manifest["identities"][0]["destroy"]
    assert {d["address"]: d["via"] for d in destroy} == {
        "terraform_data.old": None, "terraform_data.key": "terraform_data.old"}
    assert "2 addresses confirmed gone" in stdout
    assert state(tf, work) == {"terraform_data.live"}


THROUGH_DATA = """
resource "terraform_data" "live" {
  input = { tags = { owner = "bob@example.com", expires_at = "2030-01-01" } }
}

data "terraform_remote_state" "d" {
  backend  = "local"
  config   = { path = "${path.module}/empty.tfstate" }
  defaults = { who = terraform_data.live.id }
}

resource "terraform_data" "old" {
  input = { tags = { owner = "alice@example.com", expires_at = "2026-01-01" } }
}

resource "terraform_data" "key" {
  input = { agent = terraform_data.old.id, via = data.terraform_remote_state.d.outputs.who }
}
"""


def test_credential_reaching_a_live_identity_through_a_data_source_is_still_refused(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A data source records no dependencies in state, so ``key``'s dependency on live cannot be
    told from a direct one: retiring old would destroy key, which may bind live. Refused."""
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(THROUGH_DATA, encoding="utf-8")
    shutil.copy(FIXTURE / "nhi.toml", work / "nhi.toml")
    (work / "empty.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.5.0", "serial": 1, "lineage": "empty", "outputs": {},
         "resources": []}), encoding="utf-8")
    before = apply_config(tf, work)
    assert before == {"terraform_data.live", "terraform_data.old", "terraform_data.key"}
    deps = {r["name"]: r["instances"][0].get("dependencies") for r in tf.state_pull(work)["resources"]}
    assert deps["key"] == ["data.terraform_remote_state.d", "terraform_data.live", "terraform_data.old"]
    code, _, stderr = retire(work, "--route", "targeted-destroy", "--apply")
    assert code == 3, stderr
    line = next(ln for ln in stderr.splitlines() if ln.startswith("refused: terraform_data.key: "))
    assert "hangs off both terraform_data.old" in line and "terraform_data.live (owner bob@example.com" in line
    assert state(tf, work) == before
