"""``--format json``: the documented, versioned contract other tools build on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import UNKNOWN, Finding, Identity, Location, Severity
from nhi_toolkit.records import Report

__all__ = ["SCHEMA_VERSION", "finding_json", "identity_json", "render", "to_dict"]

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    return None if value is UNKNOWN else value


def identity_json(identity: Identity, report: Report) -> dict[str, Any]:
    """One entry of ``identities``."""
    unknown = [k for k, v in (("owner", identity.owner), ("expires_at", identity.expires)) if v is UNKNOWN]
    doc = {
        "address": identity.address,
        "type": identity.type,
        "category": identity.category,
        "owner": _plain(identity.owner),
        "expires_at": _plain(identity.expires),
        "expires_instant": format_instant(identity.expires_at) if identity.expires_at else None,
        "status": report.status_of(identity),
        "inherited_from": identity.parent if identity.inherited else None,
        "parent": identity.parent,
        "action": identity.resource.action,
        "unknown": unknown,
        "source": identity.source.to_json(),
        "sources": [loc.to_json() for loc in report.sources_of(identity)],
        "owner_source": identity.owner_source,
        "expiry_source": identity.expiry_source,
        "declaration": _declaration(identity),
        "native_expiry": _native(identity),
    }
    if deposed := identity.resource.metadata.get("deposed"):
        doc["deposed"] = deposed  # a deposed object's row (the current object at the address has another)
    live = getattr(report, "live_of", None)  # nhi verify: what the cloud says (nhi_toolkit.live)
    if live is not None and (obj := live(identity)) is not None:
        doc["live"] = dict(obj)
    return doc


def _declaration(identity: Identity) -> dict[str, Any] | None:
    d = identity.declaration
    if d is None:
        return None
    return {"address_pattern": d.address, "reason": d.reason, "source": d.source}


def _native(identity: Identity) -> dict[str, Any] | None:
    """The credential's own expiry: attribute, instant (null when known only after apply), and the
    value a tag or declaration claims instead (null when none)."""
    if identity.native_attr is None:
        return None
    at = identity.native_expires_at
    return {"attribute": identity.native_attr, "instant": format_instant(at) if at else None,
            "claimed": _plain(identity.claimed_expires)}


def finding_json(finding: Finding) -> dict[str, Any]:
    """One entry of ``findings``."""
    return {
        "rule_id": finding.rule_id,
        "rule": finding.rule,
        "severity": finding.severity.label,
        "address": finding.address,
        "message": finding.message,
        "source": finding.source.to_json(),
        "suppressed": finding.suppressed is not None,
        "suppression": (
            {"reason": finding.suppressed, "until": finding.suppressed_until}
            if finding.suppressed is not None else None
        ),
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The whole document as plain data."""
    return {
        "version": SCHEMA_VERSION,
        "now": format_instant(report.now),
        "inputs": list(report.inputs),
        "identities": [identity_json(i, report) for i in report.identities],
        "findings": [finding_json(f) for f in report.findings],
        "summary": report.summary(),
    }


#: One encoder for every record: ``json.dumps`` with options builds a new encoder on each call.
_ENCODE: Callable[[Any], str] = json.JSONEncoder(sort_keys=True, ensure_ascii=False,
                                                 separators=(", ", ": ")).encode
#: What that encoder writes for a string (the C ``encode_basestring`` when built, as it uses).
_STRING: Callable[[str], str] = json.encoder.encode_basestring


def _compact(value: Any) -> str:
    return _ENCODE(value)


def _v(value: Any) -> str:
    """One value as :func:`_compact` writes it, without the encoder's per-call set-up for the
    commonest kinds (the result is the same: strings through the same escaping, ints by ``repr``)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is int:
        return int.__repr__(value)
    return _ENCODE(value)


class _Lines:
    """Records written one per line by string templates: the same bytes as ``_compact`` of
    :func:`identity_json` / :func:`finding_json` (a test holds them equal), at a fraction of the
    cost, since a large check writes tens of thousands of records. Locations are written once each.
    """

    def __init__(self, report: Report):
        self.report = report
        self._where: dict[int, tuple[Location, str]] = {}
        self._instants: dict[datetime, str] = {}
        self._middles: dict[tuple[str, Any, datetime | None, str | None], str] = {}
        self._tails: dict[tuple[str, str, bool, bool], str] = {}

    def instant(self, at: datetime | None) -> str:
        """An instant as JSON; equal instants (whatever their zone) are written alike, so once each."""
        if not at:
            return "null"
        text = self._instants.get(at)
        if text is None:
            text = self._instants[at] = _v(format_instant(at))
        return text

    def location(self, loc: Location) -> str:
        hit = self._where.get(id(loc))
        if hit is not None:
            return hit[1]
        calls = loc.module_call
        text = (f'{{"column": {_v(loc.column)}, "construct_path": {_v(loc.construct_path)}, '
                f'"file": {_v(loc.file)}, "input": {_v(loc.input)}, "line": {_v(loc.line)}, '
                f'"module_call": '
                + ("null" if calls is None else
                   "[" + ", ".join(f'{{"file": {_v(c.file)}, "line": {_v(c.line)}}}' for c in calls) + "]")
                + "}")
        self._where[id(loc)] = (loc, text)  # the record is kept: its id is not reused meanwhile
        return text

    def identity(self, ident: Identity) -> str:
        report = self.report
        owner, expires, at = ident.owner, ident.expires, ident.expires_at
        parent = ident.parent
        res = ident.resource
        src = res.source
        key = ident.row_key  # Report.sources_of and status_of, without their calls
        sources = report.sources.get(key)
        where = self.location(src)
        # The fields most rows share few values of (category to expiry source, status and type)
        # are written once per distinct combination.
        middle = (ident.category, expires, at, ident.expiry_source)
        plain = ident.declaration is None and not res.metadata.get("deposed")
        middle_text = self._middles.get(middle) if plain else None
        if middle_text is None:
            middle_text = self._middle(ident)
            if plain:
                self._middles[middle] = middle_text
        tail = (report.statuses.get(key, "ok"), res.type, owner is UNKNOWN, expires is UNKNOWN)
        tail_text = self._tails.get(tail)
        if tail_text is None:
            tail_text = self._tails[tail] = (f'"status": {_v(tail[0])}, "type": {_v(tail[1])}, '
                                             f'"unknown": {_UNKNOWN_LISTS[tail[2], tail[3]]}}}')
        return (
            f'    {{"action": {_v(res.action)}, "address": {_v(res.address)}, {middle_text}'
            f'"inherited_from": {_v(parent) if ident.inherited else "null"}, '
            f'"native_expiry": {"null" if ident.native_attr is None else _ENCODE(_native(ident))}, '
            f'"owner": {"null" if owner is UNKNOWN else _v(owner)}, '
            f'"owner_source": {_v(ident.owner_source)}, "parent": {_v(parent)}, '
            f'"source": {where}, '
            f'"sources": [{", ".join(map(self.location, sources)) if sources else where}], '
            f'{tail_text}'
        )

    def _middle(self, ident: Identity) -> str:
        declaration = _declaration(ident)
        expires = ident.expires
        deposed = ident.resource.metadata.get("deposed")
        return (f'"category": {_v(ident.category)}, '
                f'"declaration": {"null" if declaration is None else _ENCODE(declaration)}, '
                + (f'"deposed": {_v(deposed)}, ' if deposed else "")
                + f'"expires_at": {"null" if expires is UNKNOWN else _v(expires)}, '
                f'"expires_instant": {self.instant(ident.expires_at)}, '
                f'"expiry_source": {_v(ident.expiry_source)}, ')

    def finding(self, f: Finding) -> str:
        reason = f.suppressed
        return (
            f'    {{"address": {_v(f.address)}, "message": {_v(f.message)}, "rule": {_v(f.rule)}, '
            f'"rule_id": {_v(f.rule_id)}, "severity": {_SEVERITY.get(f.severity) or _v(f.severity.label)}, '
            f'"source": {self.location(f.source)}, "suppressed": {"false" if reason is None else "true"}, '
            f'"suppression": '
            + ("null" if reason is None else
               f'{{"reason": {_v(reason)}, "until": {_v(f.suppressed_until)}}}')
            + "}"
        )


#: Each severity's label as JSON, written once.
_SEVERITY = {s: _STRING(s.label) for s in Severity}

#: ``unknown`` by (owner unknown, expiry unknown), in identity_json's order.
_UNKNOWN_LISTS = {(False, False): "[]", (True, False): '["owner"]', (False, True): '["expires_at"]',
                  (True, True): '["owner", "expires_at"]'}


def render(report: Report) -> str:
    """Deterministic JSON with sorted keys: one identity or finding per line.

    Records are written one per line by string templates (:class:`_Lines`), the same bytes as the C
    encoder's compact form of each record (``indent`` would switch the whole document to the
    pure-Python encoder, the slowest step of a large check). Every piece of the document, record
    and line break alike, goes into one list joined once: the text exists once, beside its pieces.
    """
    lines = _Lines(report)
    if getattr(report, "live_of", None) is None:
        identities: Callable[[], Iterable[str]] = lambda: map(lines.identity, report.identities)
    else:  # nhi verify adds what the cloud says: the general path
        identities = lambda: (f"    {_compact(identity_json(i, report))}" for i in report.identities)
    records: dict[str, Callable[[], Iterable[str]]] = {
        "identities": identities,
        "findings": lambda: map(lines.finding, report.findings),
        "inputs": lambda: (f"    {_compact(i)}" for i in report.inputs),
    }
    plain = {"version": SCHEMA_VERSION, "now": format_instant(report.now), "summary": report.summary()}
    sizes = {"identities": len(report.identities), "findings": len(report.findings),
             "inputs": len(report.inputs)}
    parts = ["{\n"]
    keys = sorted([*plain, *records])
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        if key in records and sizes[key]:
            parts.append(f"  {json.dumps(key)}: [\n")
            for m, record in enumerate(records[key]()):
                if m:
                    parts.append(",\n")
                parts.append(record)
            parts.append(f"\n  ]{comma}\n")
        else:
            value = plain.get(key, [])
            parts.append(f"  {json.dumps(key)}: {_compact(value)}{comma}\n")
    parts.append("}\n")
    return "".join(parts)
