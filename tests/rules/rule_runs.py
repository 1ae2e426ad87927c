"""Run the rules on a few in-memory resources: the helpers the rule suites share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from conftest import NOW

from nhi_toolkit.config import Config
from nhi_toolkit.engine import Report, check_documents
from nhi_toolkit.loaders.common import Document
from nhi_toolkit.model import InputKind, Location, Resource

OWNER = "alice@example.com"
GOOD = "2026-06-20"  # well inside every maximum lifetime, outside the 14-day window


def resource(address: str = "aws_iam_role.r", values: Mapping[str, Any] | None = None, *,
             action: str | None = "create", **kw: Any) -> Resource:
    rtype, name = address.split(".")[-2:]
    return Resource(address=address, type=rtype, name=name.split("[")[0], source=Location("t.json"),
                    kind=InputKind.PLAN, values=dict(values or {}), action=action, **kw)


def tagged(tags: Any, address: str = "aws_iam_role.r", **kw: Any) -> Resource:
    return resource(address, {"name": "r", "tags": tags}, **kw)


def run(*resources: Resource, config: Config | None = None, now: datetime = NOW,
        leavers: Mapping[str, date | None] | None = None, drift: Sequence[Resource] = ()) -> Report:
    doc = Document("t.json", InputKind.PLAN, tuple(resources), drift=tuple(drift))
    return check_documents([doc], config or Config(), now, leavers)


def rules_of(report: Report, address: str | None = None) -> list[str]:
    return sorted(f.rule for f in report.active if address is None or f.address == address)
