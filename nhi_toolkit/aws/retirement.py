"""Proof of retirement: after a retirement is applied, ask AWS that every retired key, user, role and
secret is really gone.

A target is gone when AWS answers ``NoSuchEntity`` (``ResourceNotFoundException``); an access key
counts as gone only when deleted (an Inactive key is still present); a secret scheduled for deletion
counts, with its deletion date. Anything else (present, denied, failed) is not confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from nhi_toolkit.aws.session import (
    AwsSession,
    CloudUnavailable,
    access_denied,
    error_code,
    is_denied,
    is_missing,
    paginate,
)

__all__ = ["CONFIRMABLE_TYPES", "Confirmation", "confirm_retired", "live_confirmation", "retirement_targets"]

CONFIRMABLE_TYPES = ("aws_iam_access_key", "aws_iam_user", "aws_iam_role", "aws_secretsmanager_secret")


@dataclass(frozen=True)
class Confirmation:
    """What AWS says about one retired identity. ``confirmed`` is True only when it is gone."""

    address: str
    type: str
    confirmed: bool
    state: str
    """gone | pending-deletion | present | inactive | denied | error | unchecked"""
    detail: str
    deletion_date: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For the audit log: no secret, only names and states."""
        return {"address": self.address, "type": self.type, "confirmed": self.confirmed,
                "state": self.state, "detail": self.detail, "deletion_date": self.deletion_date}


def retirement_targets(identities: Iterable[Any], addresses: Iterable[str]) -> list[dict[str, Any]]:
    """Manifest entries with what AWS needs to find them (name, key id, user, arn), taken from the
    identities read before the retirement (state values; never a secret)."""
    wanted = set(addresses)
    out = []
    for ident in identities:
        if ident.address not in wanted or ident.type not in CONFIRMABLE_TYPES:
            continue
        v = ident.resource.values
        out.append({"address": ident.address, "type": ident.type,
                    **{k: v[k] for k in ("name", "id", "user", "arn") if isinstance(v.get(k), str)}})
    return sorted(out, key=lambda e: e["address"])


def _confirm_one(entry: Mapping[str, Any], session: AwsSession) -> Confirmation:
    address, rtype = str(entry.get("address", "")), str(entry.get("type", ""))

    def result(confirmed: bool, state: str, detail: str, when: str | None = None) -> Confirmation:
        return Confirmation(address, rtype, confirmed, state, detail, when)

    try:
        if rtype == "aws_iam_user":
            name = entry["name"]
            session.call("iam", "GetUser", name, lambda c: c.get_user(UserName=name))
            return result(False, "present", f"IAM user {name} still exists")
        if rtype == "aws_iam_role":
            name = entry["name"]
            session.call("iam", "GetRole", name, lambda c: c.get_role(RoleName=name))
            return result(False, "present", f"IAM role {name} still exists")
        if rtype == "aws_iam_access_key":
            kid, user = entry["id"], entry["user"]
            keys = session.call("iam", "ListAccessKeys", user, lambda c: list(
                paginate(c, "list_access_keys", "AccessKeyMetadata", UserName=user)))
            key = next((k for k in keys if k.get("AccessKeyId") == kid), None)
            if key is None:
                return result(True, "gone", f"access key {kid} of user {user} is deleted")
            status = str(key.get("Status"))
            return result(False, "inactive" if status == "Inactive" else "present",
                          f"access key {kid} of user {user} still exists ({status})")
        if rtype == "aws_secretsmanager_secret":
            sid = entry.get("arn") or entry["name"]
            got = session.call("secretsmanager", "DescribeSecret", sid, lambda c: c.describe_secret(SecretId=sid))
            deleted = got.get("DeletedDate")
            if deleted is not None:
                when = deleted.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(deleted, "strftime") else str(deleted)
                return result(True, "pending-deletion", f"secret {sid} is scheduled for deletion", when)
            return result(False, "present", f"secret {sid} still exists")
    except KeyError as exc:
        return result(False, "unchecked", f"the manifest entry lacks {exc.args[0]} to look it up")
    except botocore.exceptions.ClientError as exc:
        if is_missing(exc):
            return result(True, "gone", f"AWS answers {error_code(exc)}")
        if is_denied(exc):
            return result(False, "denied", access_denied(_action(rtype), address,
                                                         session.caller()))
        return result(False, "error", f"lookup failed ({error_code(exc) or 'error'})")
    return result(False, "unchecked", f"{rtype} is not a type AWS can confirm here")


def _action(rtype: str) -> str:
    return {"aws_iam_user": "iam:GetUser", "aws_iam_role": "iam:GetRole",
            "aws_iam_access_key": "iam:ListAccessKeys",
            "aws_secretsmanager_secret": "secretsmanager:DescribeSecret"}.get(rtype, "a read")


def confirm_retired(manifest_entries: Sequence[Mapping[str, Any]], session: AwsSession) -> list[Confirmation]:
    """One Confirmation per entry of a confirmable type (others are skipped), in entry order.

    Entries are mappings with ``address`` and ``type`` plus ``name`` (users, roles, secrets),
    ``id`` and ``user`` (access keys) or ``arn`` (secrets), as :func:`retirement_targets` builds them.
    Raises CloudUnavailable (exit 4) when AWS cannot be asked at all.
    """
    return [_confirm_one(e, session) for e in manifest_entries if e.get("type") in CONFIRMABLE_TYPES]


def live_confirmation(session: AwsSession, echo: Callable[[str], None] = lambda _m: None
                      ) -> Callable[[Sequence[Any], Any, Callable[..., None]], str | None]:
    """The ``after_apply`` hook of ``nhi retire --apply --verify-live``.

    After the apply is confirmed from state, ask AWS about every retired address of a confirmable
    type (:data:`CONFIRMABLE_TYPES`), with what the identities read before the apply say about them
    (:func:`retirement_targets`); record one ``confirmed-live`` audit entry per address (address,
    type, result, confirmed, detail, deletion date; never a secret); return a message naming every
    address not confirmed gone (the run fails, exit 4), or None when all are.
    """

    def hook(identities: Sequence[Any], manifest: Any, audit: Callable[..., None]) -> str | None:
        steps = [s for s in manifest.to_json().get("revocation_order") or ()
                 if isinstance(s, Mapping) and s.get("type") in CONFIRMABLE_TYPES
                 and isinstance(s.get("address"), str)]
        found = {t["address"]: t for t in retirement_targets(identities, [s["address"] for s in steps])}
        # A retired address the state read did not describe still gets an entry: it ends 'unchecked'.
        entries = [found.get(s["address"], {"address": s["address"], "type": s["type"]}) for s in steps]
        try:
            results = confirm_retired(entries, session)
        except CloudUnavailable as exc:
            audit("failed", stage="confirm-live", error=exc.message)
            return f"nhi retire: applied, but AWS could not be asked to confirm it: {exc.message}"
        for r in results:
            audit("confirmed-live", address=r.address, type=r.type, result=r.state, confirmed=r.confirmed,
                  detail=r.detail, deletion_date=r.deletion_date)
            when = f", deletion on {r.deletion_date}" if r.deletion_date else ""
            echo(f"nhi retire: AWS {'confirms' if r.confirmed else 'does NOT confirm'} {r.address}: "
                 f"{r.state}{when}")
        missed = [r for r in results if not r.confirmed]
        if not missed:
            return None
        names = "; ".join(f"{r.address} ({r.state}: {r.detail})" for r in missed)
        return (f"nhi retire: applied and gone from state, but {len(missed)} of {len(results)} retired "
                f"identities are not confirmed gone in AWS: {names}")

    return hook
