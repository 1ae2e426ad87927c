"""Suppressions: one mechanism for waivers from config, inline HCL comments and CDKTF metadata.

A suppression waives one rule (or ``*``) on the identities it names, with a reason of at least
:data:`MIN_REASON` characters and an end date. It comes from one of three places, all validated and
applied here:

- ``[[tool.nhi.suppress]]`` in the config (rule, address glob, optional ``file``, reason, until);
- a comment in a ``.tf`` file, on the line of the block or directly above it:
  ``# nhi:ignore[NHI002,expired] until=2027-01-31 reason="..."`` (``//`` comments too);
- ``//.nhi.suppress`` in synthesized CDKTF JSON (``nhi_toolkit.cdktf.suppress``).

A waiver covers the current object at its address only. A deposed object (left at the same address
by a ``create_before_destroy`` replacement that failed) is another credential, reviewed on its own:
only a waiver naming its deposed key (``deposed = "KEY"`` in the config, ``deposed=KEY`` in the
comment, ``"deposed"`` in the metadata entry; a glob such as ``*`` for any) covers it, and such a
waiver covers no current object.

A waived finding stays in the report, marked with the reason. Problems with the suppressions
themselves are findings too, about the address they aim at and located where the suppression is
written: ``invalid-suppression`` (NHI008), ``suppression-expired`` (NHI020: the waiver lapsed and the
finding is active again), ``suppression-stale`` (NHI021: it matches nothing) and
``suppression-unwaivable`` (NHI022: it names a rule listed in ``unwaivable``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, is_expired
from nhi_toolkit.model import Finding, Identity, Location
from nhi_toolkit.recordtype import record

if TYPE_CHECKING:
    from nhi_toolkit.config import Config
    from nhi_toolkit.rules.base import Rule

__all__ = [
    "DEFAULT_UNWAIVABLE",
    "ENTRY_KEYS",
    "MIN_REASON",
    "InvalidSuppression",
    "Suppression",
    "Suppressor",
    "file_matches",
    "inline_suppressions",
    "is_unwaivable",
    "make_suppression",
    "suppression_label",
    "waivable_by_default",
]

#: A waiver's reason is at least this long (as cdk-nag asks).
MIN_REASON = 10
#: Rules no suppression or baseline can waive unless ``unwaivable`` in ``[tool.nhi]`` says otherwise.
DEFAULT_UNWAIVABLE = ("expired", "owner-offboarded")
#: The keys of one ``[[tool.nhi.suppress]]`` entry.
ENTRY_KEYS = ("rule", "address", "deposed", "file", "reason", "until")

_INVALID_ID = "NHI008"
_EXPIRED_ID = "NHI020"
_STALE_ID = "NHI021"
_UNWAIVABLE_ID = "NHI022"


class InvalidSuppression(ValueError):
    """A suppression that cannot be honoured; the message says why (never quoting a secret)."""


def file_matches(pattern: str, file: str) -> bool:
    """True when ``file`` is ``pattern`` exactly, matches it as a glob, or ends with it as a path."""
    norm = file.replace("\\", "/")
    want = pattern.replace("\\", "/")
    return norm == want or fnmatchcase(norm, want) or norm.endswith("/" + want.lstrip("/"))


@record()
class Suppression:
    """A waiver: one rule (or ``*``) on addresses matching a glob, with a reason and an end date.

    ``file``, when set, limits it to identities read from that file (exact, glob or trailing path).
    ``origin`` is where the waiver is written (config file, ``.tf`` line, CDKTF JSON); ``kind`` is
    ``config``, ``inline`` or ``metadata``. ``deposed``, when set, is the key (or a glob) of the
    deposed objects it covers, and then it covers only those; when None it covers current objects
    only.
    """

    rule: str
    address: str
    reason: str
    until: str
    until_at: datetime
    file: str | None = None
    origin: Location | None = None
    kind: str = "config"
    deposed: str | None = None

    def matches(self, rule_id: str, rule_name: str, address: str, file: str | None = None,
                deposed: str | None = None) -> bool:
        """True when this waiver covers the rule (by id or name) on this address (and file), on the
        current object or, when ``deposed`` is given, on that deposed object."""
        if self.rule not in ("*", rule_id, rule_name):
            return False
        if not (self.address == address or fnmatchcase(address, self.address)):
            return False
        if (self.deposed is None) != (deposed is None):
            return False  # a waiver reviewed for the current object is no waiver of a deposed one
        if deposed is not None and not (self.deposed == deposed or fnmatchcase(deposed, self.deposed or "")):
            return False
        return self.file is None or file is None or file_matches(self.file, file)

    @property
    def target(self) -> str:
        """What it waives on, for messages: the address (glob), with the deposed object it names."""
        return self.address + (f" (deposed object {self.deposed})" if self.deposed is not None else "")

    @property
    def where(self) -> str:
        """Where the waiver is written, for messages."""
        return str(self.origin) if self.origin is not None else "config"


def make_suppression(rule: Any, reason: Any, until: Any, *, address: Any = "*", file: Any = None,
                     origin: Location | None = None, kind: str = "config", deposed: Any = None) -> Suppression:
    """Validate one waiver's fields; :class:`InvalidSuppression` says what is wrong."""
    if not isinstance(rule, str) or not rule.strip():
        raise InvalidSuppression("needs a 'rule' (a rule id or name, or *)")
    if not isinstance(address, str) or not address.strip():
        raise InvalidSuppression("'address' must be a string (an address or a glob)")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise InvalidSuppression("'file' must be a path or glob")
    if deposed is not None and (not isinstance(deposed, str) or not deposed.strip()):
        raise InvalidSuppression("'deposed' must be a deposed object's key (or a glob)")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise InvalidSuppression(f"needs a reason of at least {MIN_REASON} characters ('reason')")
    if isinstance(until, (date, datetime)):
        until = until.isoformat()  # TOML dates arrive as datetime.date
    try:
        until_at = expiry_instant(until)
    except InvalidExpiry:
        raise InvalidSuppression("needs an end date ('until', YYYY-MM-DD)") from None
    return Suppression(rule.strip(), address.strip(), reason.strip(), str(until).strip(), until_at,
                       file.strip() if file else None, origin, kind,
                       deposed.strip() if deposed is not None else None)


def is_unwaivable(rule: Rule, config: Config) -> bool:
    """True when no suppression or baseline may waive ``rule`` (``unwaivable``, or a pseudo-rule)."""
    return not rule.waivable or rule.id in config.unwaivable or rule.name in config.unwaivable


def waivable_by_default(rule: Rule) -> bool:
    """Whether a suppression may waive ``rule`` under the default ``unwaivable`` list (rule docs)."""
    return rule.waivable and rule.id not in DEFAULT_UNWAIVABLE and rule.name not in DEFAULT_UNWAIVABLE


def suppression_label(finding: Finding) -> str:
    """`` [suppressed until DATE: reason]`` for a waived finding, else empty (text and CDKTF output)."""
    if finding.suppressed is None:
        return ""
    return f" [suppressed until {finding.suppressed_until or '-'}: {finding.suppressed}]"


# -- inline comments in .tf files ---------------------------------------------------------------

_MARK = re.compile(r"(?:#|//)\s*nhi:ignore\b(.*)$")
_HEAD = re.compile(r"\[([^\]]*)\](.*)$")
_PAIR = re.compile(r'\s*([A-Za-z_]+)\s*=\s*("(?:[^"\\]|\\.)*"|\S+)')
_COMMENT_LINE = re.compile(r"^\s*(?:#|//)")
_INLINE_FIELDS = ("until", "reason", "deposed")


def _parse_inline(text: str) -> tuple[list[str], dict[str, str]]:
    """Rule keys and ``key=value`` fields of one ``nhi:ignore[...]`` comment (after the marker)."""
    head = _HEAD.match(text.strip())
    if head is None:
        raise InvalidSuppression("write it as nhi:ignore[RULE,...] until=YYYY-MM-DD reason=\"...\"")
    rules = [r.strip() for r in head.group(1).split(",")]
    if not all(rules):
        raise InvalidSuppression("needs rule ids or names between the brackets, comma-separated")
    rest = head.group(2)
    fields: dict[str, str] = {}
    pos = 0
    while rest[pos:].strip():
        m = _PAIR.match(rest, pos)
        if m is None:
            raise InvalidSuppression("after the brackets, only until=YYYY-MM-DD and reason=\"...\" are read")
        key, value = m.group(1), m.group(2)
        if key not in _INLINE_FIELDS:
            raise InvalidSuppression(f"unknown field '{key}' (until, reason, deposed)")
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[key] = value
        pos = m.end()
    return rules, fields


def inline_suppressions(lines: Sequence[str], line: int, address: str, file: str,
                        ) -> tuple[list[Suppression], list[tuple[Location, str]]]:
    """Waivers written on the block's first line (1-based ``line``) or the comments right above it.

    Returns the valid suppressions and, for each invalid comment, its location and what is wrong.
    """
    candidates = []
    if 0 < line <= len(lines):
        candidates.append(line)
        n = line - 1
        while n > 0 and _COMMENT_LINE.match(lines[n - 1]):
            candidates.append(n)
            n -= 1
    found: list[Suppression] = []
    problems: list[tuple[Location, str]] = []
    for n in sorted(candidates):
        mark = _MARK.search(lines[n - 1])
        if mark is None:
            continue
        where = Location(file, n)
        try:
            rules, fields = _parse_inline(mark.group(1))
            for rule in rules:
                found.append(make_suppression(rule, fields.get("reason"), fields.get("until"),
                                              address=address, origin=where, kind="inline",
                                              deposed=fields.get("deposed")))
        except InvalidSuppression as exc:
            problems.append((where, str(exc)))
    return found, problems


# -- applying them ------------------------------------------------------------------------------


@record(frozen=False)
class Suppressor:
    """Applies every suppression of one check and then reports the suppressions themselves.

    Call :meth:`apply` once per document with its findings and identities, then :meth:`findings`.
    """

    config: Config
    now: datetime
    _seen: dict[Suppression, None] = field(default_factory=dict)
    _used: set[Suppression] = field(default_factory=set)
    _problems: dict[tuple[str, Location, str], None] = field(default_factory=dict)
    _own: dict[tuple[str, str, int | None], list[Suppression]] = field(default_factory=dict)
    _lines: dict[str, Sequence[str] | None] = field(default_factory=dict)
    _unmarked: set[tuple[str, int]] = field(default_factory=set)
    """(.tf file, line) of blocks with no ``nhi:ignore`` comment: every instance of a module's block
    shares one, read once."""

    def __post_init__(self) -> None:
        for s in self.config.suppressions:
            self._seen[s] = None

    def apply(self, findings: Iterable[Finding], identities: Iterable[Identity],
              joined: Mapping[str, Iterable[Identity]] | None = None) -> list[Finding]:
        """``findings`` with those a live suppression covers marked suppressed (reason, until).

        ``joined`` maps the address of an identity joined from several inputs to its view in each:
        a waiver written in any of them (an inline comment in the ``.tf`` file beside the plan)
        applies to the joined identity.
        """
        from nhi_toolkit.rules import rule_by_key

        own: dict[str, list[Suppression]] = {}
        members = joined or {}
        for ident in identities:
            address = ident.address
            if address in own:
                continue
            res = ident.resource
            src, meta = res.source, res.metadata
            if "nhi" not in meta and "source_lines" not in meta and (src.line is None or not src.file.endswith(".tf")) \
                    and address not in members:
                own[address] = []  # _own_of's first test, without its call: nothing of its own
                continue
            own[address] = list(self._own_of(ident))
            for member in members.get(address, ()):
                own[address] += [s for s in self._own_of(member) if s not in own[address]]
        configured = list(self.config.suppressions)
        if not configured and not any(own.values()):  # nothing could waive any of them
            return list(findings)
        out = []
        for f in findings:
            mine = own.get(f.address)
            if not configured and not mine:  # nothing could waive it
                out.append(f)
                continue
            rule = rule_by_key(f.rule_id)
            candidates = configured + (mine or [])
            waiver = None
            for s in candidates:
                if not s.matches(f.rule_id, f.rule, f.address, f.source.file, f.deposed):
                    continue
                if rule is None or is_unwaivable(rule, self.config):
                    continue
                self._used.add(s)
                if waiver is None and not is_expired(s.until_at, self.now):
                    waiver = s
            if waiver is not None:
                f = replace(f, suppressed=waiver.reason, suppressed_until=waiver.until)
            out.append(f)
        return out

    def _own_of(self, ident: Identity) -> list[Suppression]:
        """The identity's own waivers (CDKTF metadata and inline comments), invalid ones recorded."""
        src = ident.source
        meta = ident.resource.metadata
        if "nhi" not in meta and "source_lines" not in meta and (src.line is None or not src.file.endswith(".tf")):
            return []  # no CDKTF waivers and no .tf line to read comments at: nothing of its own
        key = (ident.address, src.file, src.line)
        if key in self._own:
            return self._own[key]
        plain = "nhi" not in meta and "source_lines" not in meta and src.line is not None
        if plain and (src.file, src.line) in self._unmarked:
            return []  # what a comment says depends on the file and line alone, and there is none
        own: list[Suppression] = []
        nhi = ident.resource.metadata.get("nhi")
        raw = nhi.get("suppress") if isinstance(nhi, Mapping) else None
        if raw is not None and raw != []:  # an empty object or a bare value is reported, not dropped
            path = ident.resource.metadata.get("construct_path")
            where = Location(src.file, src.line)
            label = f"//.nhi.suppress of {path}" if path else "//.nhi.suppress"
            for item in raw if isinstance(raw, list) else [raw]:
                try:
                    if not isinstance(item, Mapping):
                        raise InvalidSuppression("must be an object with rule, reason and until")
                    own.append(make_suppression(item.get("rule"), item.get("reason"), item.get("until"),
                                                address=ident.address, origin=where, kind="metadata",
                                                deposed=item.get("deposed")))
                except InvalidSuppression as exc:
                    self._problems[(ident.address, where, f"{label}: {exc}")] = None
        lines = ident.resource.metadata.get("source_lines")  # .tf text read from standard input
        if src.line is not None and (lines is not None or src.file.endswith(".tf")):
            if lines is None:
                lines = self._file_lines(src.file)
            if lines is not None:
                found, problems = inline_suppressions(lines, src.line, ident.address, src.file)
                own += found
                for where, why in problems:
                    self._problems[(ident.address, where, f"nhi:ignore comment: {why}")] = None
                if plain and not found and not problems:
                    self._unmarked.add((src.file, src.line))
        for s in own:
            self._seen[s] = None
        self._own[key] = own
        return own

    def _file_lines(self, path: str) -> Sequence[str] | None:
        if path not in self._lines:
            from nhi_toolkit.errors import NhiError
            from nhi_toolkit.loaders.common import decode_text, read_bytes

            try:
                self._lines[path] = decode_text(read_bytes(path), path).splitlines()
            except NhiError:
                self._lines[path] = None  # the loader read it; a file gone since has no comments to honour
        return self._lines[path]

    def findings(self) -> list[Finding]:
        """Findings about the suppressions: invalid, expired, stale, aimed at an unwaivable rule."""
        from nhi_toolkit.rules import ALL_RULES, rule_by_key

        meta = {r.id: r for r in ALL_RULES}
        out: list[Finding] = []
        for (address, where, why) in self._problems:
            out.append(meta[_INVALID_ID].finding(None, f"invalid suppression for {address or '*'} "
                                                       f"(ignored): {why}", address=address, source=where))
        for s in self._seen:
            target = rule_by_key(s.rule)
            src = s.origin or Location(self.config.source or "config")
            on = f"{s.rule} on {s.target}" + (f" in {s.file}" if s.file else "")
            if s.rule != "*" and target is None:
                out.append(meta[_INVALID_ID].finding(
                    None, f"invalid suppression of {on} ({s.where}, ignored): no rule '{s.rule}' "
                          "(see 'nhi rules')", address=s.address, source=src))
            elif target is not None and is_unwaivable(target, self.config):
                out.append(meta[_UNWAIVABLE_ID].finding(
                    None, f"suppression of {on} ({s.where}) has no effect: {target.name} cannot be "
                          "waived (unwaivable in [tool.nhi])", address=s.address, source=src))
            elif is_expired(s.until_at, self.now):
                out.append(meta[_EXPIRED_ID].finding(
                    None, f"suppression of {on} ({s.where}) ended on {s.until}: what it waived is "
                          "reported again; renew it with a new reason or fix the finding",
                    address=s.address, source=src))
            elif s not in self._used and not (target is not None and _live_only(target)):
                out.append(meta[_STALE_ID].finding(
                    None, f"suppression of {on} ({s.where}) matches no finding: remove it",
                    address=s.address, source=src))
        return out


def _live_only(rule: Rule) -> bool:
    """Rules judged only against the live account (nhi verify): ``nhi check`` cannot call them stale."""
    return type(rule).__module__.endswith(".rules.live")
