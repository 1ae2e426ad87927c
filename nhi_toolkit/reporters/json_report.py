"""``--format json``: the documented, versioned contract other tools build on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
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
        self._names: dict[str, str] = {}  # address -> as JSON (a row's, its children's, its findings')

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

    def identities(self, idents: Sequence[Identity]) -> list[str]:
        """Each row as ``_compact(identity_json(...))`` writes it. Only the address, the parent and
        the locations differ from row to row in a large check; the rest of a row is written once per
        distinct combination of the few values it is made of: the fields before inherited_from
        (action to expiry source), and those after (owner, status, type)."""
        report = self.report
        sources, statuses = report.sources, report.statuses
        where_of, location = self._where.get, self.location
        fronts: dict[tuple[Any, ...], tuple[str, str]] = {}
        backs: dict[tuple[Any, ...], tuple[str, str]] = {}
        names, name_of = self._names, self._names.get
        out: list[str] = []
        last_src, where, places = None, "", ""
        for ident, key in zip(idents, report.row_keys(), strict=True):
            res = ident.resource
            src = res.source
            if src is not last_src:  # rows read from one input share its location
                hit = where_of(id(src))
                where = hit[1] if hit is not None else location(src)
                places = f', "source": {where}, "sources": [{where}], '  # read from that input alone
                last_src = src
            joined = sources.get(key) if sources else None
            if joined:
                places = f', "source": {where}, "sources": [{", ".join(map(location, joined))}], '
                last_src = None
            parent = ident.parent
            if parent is None:
                parent_text = "null"
            elif type(parent) is str:
                parent_text = name_of(parent) or names.setdefault(parent, _STRING(parent))
            else:
                parent_text = _v(parent)
            address = res.address
            address_text = name_of(address) or names.setdefault(address, _STRING(address))
            owner, expires = ident.owner, ident.expires
            # Cached only where equal keys mean equal text (1 == 1.0 == True: never an owner or
            # expiry value of another kind than a string).
            front_key = (res.action, ident.category, expires, ident.expires_at, ident.expiry_source)
            meta = res.metadata
            shared = ident.declaration is None and type(expires) in _SHAPED \
                and ("deposed" not in meta or not meta["deposed"])
            front = fronts.get(front_key) if shared else None
            if front is None:
                front = (f'    {{"action": {_v(res.action)}, "address": ', f', {self._middle(ident)}"inherited_from": ')
                if shared:
                    fronts[front_key] = front
            back_key = (owner, ident.owner_source, statuses.get(key, "ok"), res.type, expires is UNKNOWN)
            shared = ident.native_attr is None and type(owner) in _SHAPED
            back = backs.get(back_key) if shared else None
            if back is None:
                back = self._back(ident, back_key[2])
                if shared:
                    backs[back_key] = back
            out.append(f'{front[0]}{address_text}{front[1]}{parent_text if ident.inherited else "null"}'
                       f'{back[0]}{parent_text}{places}{back[1]}')
        return out

    def _back(self, ident: Identity, status: str) -> tuple[str, str]:
        """A row's fields after inherited_from, cut around the parent's value and the locations."""
        owner, expires = ident.owner, ident.expires
        native = "null" if ident.native_attr is None else _ENCODE(_native(ident))
        owner_text = "null" if owner is UNKNOWN else _v(owner)
        before = f', "native_expiry": {native}, "owner": {owner_text}, "owner_source": {_v(ident.owner_source)}, '
        unknown = _UNKNOWN_LISTS[owner is UNKNOWN, expires is UNKNOWN]
        return f'{before}"parent": ', f'"status": {_v(status)}, "type": {_v(ident.type)}, "unknown": {unknown}}}'

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

    def findings(self, found: Iterable[Finding]) -> list[str]:
        """Each finding as ``_compact(finding_json(...))`` writes it; the rule fields written once
        per rule and severity."""
        where_of, location = self._where.get, self.location
        rules: dict[tuple[str, str, Severity], str] = {}
        names, name_of = self._names, self._names.get
        enc = _STRING
        out: list[str] = []
        last_src, where = None, ""
        for f in found:
            address, message, reason = f.address, f.message, f.suppressed
            src = f.source
            if src is not last_src:
                hit = where_of(id(src))
                where = hit[1] if hit is not None else location(src)
                last_src = src
            rule_key = (f.rule, f.rule_id, f.severity)
            rule = rules.get(rule_key)
            if rule is None:
                rule = rules[rule_key] = (f'"rule": {_v(f.rule)}, "rule_id": {_v(f.rule_id)}, '
                                          f'"severity": {_SEVERITY.get(f.severity) or _v(f.severity.label)}, ')
            out.append(
                f'    {{"address": {(name_of(address) or names.setdefault(address, enc(address))) if type(address) is str else _v(address)}, '
                f'"message": {enc(message) if type(message) is str else _v(message)}, {rule}'
                f'"source": {where}, '
                + ('"suppressed": false, "suppression": null}' if reason is None else
                   f'"suppressed": true, "suppression": {{"reason": {_v(reason)}, "until": {_v(f.suppressed_until)}}}}}')
            )
        return out


#: Kinds of owner and expiry value whose equal values are written alike (see _Lines.identities).
_SHAPED = frozenset({str, type(None), type(UNKNOWN)})

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
        identities: Callable[[], Iterable[str]] = lambda: lines.identities(report.identities)
    else:  # nhi verify adds what the cloud says: the general path
        identities = lambda: (f"    {_compact(identity_json(i, report))}" for i in report.identities)
    records: dict[str, Callable[[], Iterable[str]]] = {
        "identities": identities,
        "findings": lambda: lines.findings(report.findings),
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
            # Each row a part of its own: one more string of them all would raise the peak by the
            # rows' size (the output is joined once, below).
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
