"""Configuration: ``[tool.nhi]`` in ``nhi.toml`` or ``pyproject.toml``; CLI flags > file > defaults.

Every key is documented in README.md ("Configuration"). Unknown keys are an error, so a typo never
silently switches a check off.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.catalog import CATEGORIES, PHASE_PRINCIPAL, IdentityType, ParentLink, build_catalog
from nhi_toolkit.errors import ConfigError
from nhi_toolkit.expiry import InvalidExpiry, expiry_instant
from nhi_toolkit.model import Location
from nhi_toolkit.recordtype import record
from nhi_toolkit.suppress import (
    DEFAULT_UNWAIVABLE,
    ENTRY_KEYS,
    MIN_REASON,
    InvalidSuppression,
    Suppression,
    file_matches,
    make_suppression,
)

__all__ = [
    "Config",
    "Declaration",
    "Suppression",
    "did_you_mean",
    "find_config_file",
    "load_config",
    "parse_declarations",
    "parse_suppressions",
]

DEFAULT_OWNER_KEYS = ("owner", "Owner", "OWNER", "nhi:owner", "nhi_owner", "nhi-owner")
DEFAULT_EXPIRY_KEYS = (
    "expires_at",
    "expires",
    "Expires",
    "ExpiresAt",
    "expiry",
    "Expiry",
    "expiration",
    "nhi:expires_at",
    "nhi:expires",
    "nhi_expires_at",
    "nhi-expires-at",
)
DEFAULT_PURPOSE_KEYS = ("purpose", "Purpose", "nhi:purpose")
DEFAULT_APPROVAL_KEYS = ("approved_by", "ApprovedBy", "nhi:approved_by")
DEFAULT_INTEGRATION_KEYS = ("integration", "Integration", "nhi:integration")
DEFAULT_REVOCATION_KEYS = ("revocation_path", "RevocationPath", "nhi:revocation_path")


@record()
class Declaration:
    """Owner and expiry given in config to identities that carry no tags of their own.

    ``address`` is an exact address or a glob, like a suppression's; ``file``, when set, limits the
    declaration to identities read from that input (exact path, glob, or trailing path segments).
    ``source`` is the config file the declaration was read from.
    """

    address: str
    owner: str
    expires_at: str
    expires_instant: datetime
    reason: str
    file: str | None = None
    source: str | None = None

    def matches(self, address: str, file: str) -> bool:
        """True when this declaration covers the identity at ``address`` read from ``file``."""
        from fnmatch import fnmatchcase

        if not (self.address == address or fnmatchcase(address, self.address)):
            return False
        return self.file is None or file_matches(self.file, file)


@record()
class Config:
    """Every setting the checker uses. Construct with :func:`load_config`."""

    owner_keys: tuple[str, ...] = DEFAULT_OWNER_KEYS
    expiry_keys: tuple[str, ...] = DEFAULT_EXPIRY_KEYS
    purpose_keys: tuple[str, ...] = DEFAULT_PURPOSE_KEYS
    approval_keys: tuple[str, ...] = DEFAULT_APPROVAL_KEYS
    integration_keys: tuple[str, ...] = DEFAULT_INTEGRATION_KEYS
    revocation_keys: tuple[str, ...] = DEFAULT_REVOCATION_KEYS
    expiring_soon_days: int = 14
    dormant_days: int = 90
    """nhi verify: an identity unused for longer than this is dormant (--dormant-days)."""
    max_lifetime_days: Mapping[str, int] = field(default_factory=dict)
    """Per resource type or category overrides of the catalog's maximum lifetime."""
    fail_on: str = "error"
    severity: Mapping[str, str] = field(default_factory=dict)
    """Per rule (id or name) severity overrides."""
    disable: tuple[str, ...] = ()
    identity_types: Mapping[str, IdentityType] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    unwaivable: tuple[str, ...] = DEFAULT_UNWAIVABLE
    """Rules (ids or names) no suppression or baseline can waive."""
    declarations: tuple[Declaration, ...] = ()
    """``[[tool.nhi.declarations]]``: owner and expiry for identities that cannot carry tags."""
    max_input_mb: float = 2048
    """Largest input file read, in MiB (``--max-input-mb``); a larger one is an error, not a stall."""
    source: str | None = None
    """The config file these settings came from, if any."""

    @functools.cached_property
    def catalog(self) -> dict[str, IdentityType]:
        """Built-in identity types plus the user's."""
        return build_catalog(self.identity_types)

    def max_lifetime_for(self, itype: IdentityType) -> int | None:
        """Maximum lifetime in days for a type: config by type, then by category, then the catalog."""
        if itype.type in self.max_lifetime_days:
            return self.max_lifetime_days[itype.type]
        if itype.category in self.max_lifetime_days:
            return self.max_lifetime_days[itype.category]
        return itype.max_lifetime_days


_KEY_LISTS = {
    "owner_keys", "expiry_keys", "purpose_keys", "approval_keys", "integration_keys", "revocation_keys",
}
# Written as ``suppress`` in the file; the field name ``suppressions`` is not a key (it would be ignored).
_KNOWN = {f.name for f in fields(Config)} - {"source", "suppressions"} | {"suppress"}


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(where, f"'{key}' must be a non-empty list of strings")
    return tuple(value)


def _identity_type(name: str, raw: Any, where: str) -> IdentityType:
    if not isinstance(raw, dict):
        raise ConfigError(where, f"identity_types.{name} must be a table")
    allowed = {"tags_path", "tags_format", "category", "phase", "parent", "parent_attr",
               "parent_match", "max_lifetime_days", "summary"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(where, f"identity_types.{name}: unknown key '{unknown[0]}'"
                                 f"{did_you_mean(unknown[0], allowed)}")
    category = raw.get("category", "custom")
    if category not in CATEGORIES:
        raise ConfigError(where, f"identity_types.{name}.category must be one of {', '.join(CATEGORIES)}")
    tags_path = raw.get("tags_path", "tags")
    if tags_path is not None and (not isinstance(tags_path, str) or not tags_path):
        raise ConfigError(where, f"identity_types.{name}.tags_path must be a dotted path")
    tags_format = raw.get("tags_format", "map")
    if tags_format not in ("map", "list", "kv-text"):
        raise ConfigError(where, f"identity_types.{name}.tags_format must be map, list or kv-text")
    parents: tuple[ParentLink, ...] = ()
    if "parent" in raw:
        parent_types = _str_list(raw["parent"], f"identity_types.{name}.parent", where)
        attr = raw.get("parent_attr", "")
        match = raw.get("parent_match", "name")
        if attr and not isinstance(attr, str):
            raise ConfigError(where, f"identity_types.{name}.parent_attr must be a string")
        parents = (ParentLink(attr, parent_types, _str_list(match, "parent_match", where)),)
    lifetime = raw.get("max_lifetime_days", 365)
    if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0):
        raise ConfigError(where, f"identity_types.{name}.max_lifetime_days must be a positive integer")
    phase = raw.get("phase", PHASE_PRINCIPAL)
    if isinstance(phase, bool) or phase not in (0, 1, 2):
        raise ConfigError(where, f"identity_types.{name}.phase must be 0, 1 or 2")
    return IdentityType(
        name, category, phase, tags_path=tags_path, tags_format=tags_format, parents=parents,
        max_lifetime_days=lifetime, summary=str(raw.get("summary", "Custom identity type")),
    )


def parse_suppressions(raw: Any, where: str) -> tuple[Suppression, ...]:
    """Validate ``suppress`` entries: rule, address, deposed, file, reason (10+ characters), until.

    The fields are checked by :func:`nhi_toolkit.suppress.make_suppression`, as inline and CDKTF
    waivers are; whether the rule exists and may be waived is reported by the check (NHI008, NHI022).
    """
    entries = _tables(raw, where, "suppress", "'suppress' must be an array of tables", ENTRY_KEYS)
    origin = Location(where) if where != "config" else None
    lines = _entry_lines(where, "suppress") if origin is not None else []
    out = []
    for i, item in entries:
        if origin is not None and len(lines) == len(raw):
            origin = Location(where, lines[i - 1])
        try:
            out.append(make_suppression(item.get("rule"), item.get("reason"), item.get("until"),
                                        address=item.get("address", "*"), file=item.get("file"),
                                        origin=origin, deposed=item.get("deposed")))
        except InvalidSuppression as exc:
            raise ConfigError(where, f"suppress entry {i} {exc}") from None
    return tuple(out)


def _tables(raw: Any, where: str, table: str, not_a_list: str,
            keys: Iterable[str]) -> list[tuple[int, dict[str, Any]]]:
    """(number, entry) of an array of tables, each a table with only known keys (else an error
    naming the entry and the nearest known key)."""
    if not isinstance(raw, list):
        raise ConfigError(where, not_a_list)
    out = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ConfigError(where, f"{table} entry {i} must be a table")
        unknown = sorted(set(item) - set(keys))
        if unknown:
            raise ConfigError(where, f"{table} entry {i}: unknown key '{unknown[0]}'"
                                     f"{did_you_mean(unknown[0], keys)}")
        out.append((i, item))
    return out


def _entry_lines(where: str, table: str) -> list[int]:
    """Lines of the ``[[tool.nhi.TABLE]]`` headers in a config file (empty when unreadable)."""
    import re

    pattern = re.compile(rf"^\s*\[\[\s*tool\s*\.\s*nhi\s*\.\s*{table}\s*\]\]")
    try:
        text = Path(where).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    return [n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the closest known key, or empty when none is close."""
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_DECLARATION_KEYS = ("address", "owner", "expires_at", "reason", "file")


def parse_declarations(raw: Any, where: str) -> tuple[Declaration, ...]:
    """Validate ``declarations`` entries: address, owner, expires_at, reason (10+ characters), file."""
    entries = _tables(raw, where, "declarations",
                      "'declarations' must be an array of tables ([[tool.nhi.declarations]])", _DECLARATION_KEYS)
    out = []
    for i, item in entries:
        address, owner, reason = item.get("address"), item.get("owner"), item.get("reason")
        expires, file = item.get("expires_at"), item.get("file")
        if not isinstance(address, str) or not address.strip():
            raise ConfigError(where, f"declarations entry {i} needs an 'address' (exact or glob)")
        if not isinstance(owner, str) or not owner.strip():
            raise ConfigError(where, f"declarations entry {i} needs an 'owner'")
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            raise ConfigError(where, f"declarations entry {i} needs a 'reason' of at least {MIN_REASON} characters")
        if file is not None and (not isinstance(file, str) or not file.strip()):
            raise ConfigError(where, f"declarations entry {i}: 'file' must be a path or glob")
        if isinstance(expires, (date, datetime)):
            expires = expires.isoformat()  # TOML dates and datetimes arrive parsed
        try:
            instant = expiry_instant(expires)
        except InvalidExpiry as exc:
            raise ConfigError(where, f"declarations entry {i}: 'expires_at' is {exc} "
                                     "(YYYY-MM-DD or an RFC 3339 timestamp with an offset)") from None
        out.append(Declaration(address.strip(), owner.strip(), str(expires).strip(), instant,
                               reason.strip(), file.strip() if file else None,
                               where if where != "config" else None))
    return tuple(out)


def _unwaivable(value: Any, where: str) -> tuple[str, ...]:
    from nhi_toolkit.rules import ALL_RULES, rule_by_key

    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(where, "'unwaivable' must be a list of rule ids or names")
    for v in value:
        if rule_by_key(v) is None:
            names = [r.name for r in ALL_RULES] + [r.id for r in ALL_RULES]
            raise ConfigError(where, f"'unwaivable' names no rule '{v}'{did_you_mean(v, names)}")
    return tuple(value)


def config_from_mapping(data: Mapping[str, Any], where: str = "config") -> Config:
    """Build a Config from the ``[tool.nhi]`` table (already parsed)."""
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise ConfigError(where, f"unknown setting '{unknown[0]}' in [tool.nhi]{did_you_mean(unknown[0], _KNOWN)}")
    kw: dict[str, Any] = {}
    for key in _KEY_LISTS & set(data):
        kw[key] = _str_list(data[key], key, where)
    if "expiring_soon_days" in data:
        v = data["expiring_soon_days"]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(where, "'expiring_soon_days' must be a whole number of days")
        kw["expiring_soon_days"] = v
    if "dormant_days" in data:
        v = data["dormant_days"]
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ConfigError(where, "'dormant_days' must be a positive whole number of days")
        kw["dormant_days"] = v
    if "max_lifetime_days" in data:
        v = data["max_lifetime_days"]
        if not isinstance(v, dict) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in v.values()
        ):
            raise ConfigError(where, "'max_lifetime_days' maps a type or category to a positive integer")
        kw["max_lifetime_days"] = dict(v)
    if "fail_on" in data:
        if data["fail_on"] not in ("error", "warning", "info", "never"):
            raise ConfigError(where, "'fail_on' must be error, warning, info or never")
        kw["fail_on"] = data["fail_on"]
    if "severity" in data:
        v = data["severity"]
        if not isinstance(v, dict) or not all(s in ("error", "warning", "info") for s in v.values()):
            raise ConfigError(where, "'severity' maps a rule to error, warning or info")
        kw["severity"] = dict(v)
    if "disable" in data:
        kw["disable"] = _str_list(data["disable"], "disable", where)
    if "identity_types" in data:
        v = data["identity_types"]
        if not isinstance(v, dict):
            raise ConfigError(where, "'identity_types' must be a table of tables")
        kw["identity_types"] = {name: _identity_type(name, raw, where) for name, raw in v.items()}
    if "suppress" in data:
        kw["suppressions"] = parse_suppressions(data["suppress"], where)
    if "unwaivable" in data:
        kw["unwaivable"] = _unwaivable(data["unwaivable"], where)
    if "declarations" in data:
        kw["declarations"] = parse_declarations(data["declarations"], where)
    if "max_input_mb" in data:
        v = data["max_input_mb"]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v < float("inf"):
            raise ConfigError(where, "'max_input_mb' must be a positive number of MiB")
        kw["max_input_mb"] = v
    return Config(**kw, source=where if where != "config" else None)


def _read_table(path: Path) -> Mapping[str, Any] | None:
    import tomllib  # only when there is a file to read: a check without one does not pay for it

    from nhi_toolkit.errors import InputError
    from nhi_toolkit.loaders.common import read_bytes

    try:
        # Through the loaders' reader: a FIFO or device named as the config is refused, not read.
        doc = tomllib.loads(read_bytes(str(path)).decode("utf-8"))
    except InputError as exc:
        raise ConfigError(str(path), exc.message) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not valid TOML (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names line and column, never the text.
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    tool = doc.get("tool")
    table = tool.get("nhi") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(str(path), "[tool.nhi] must be a table")
    return table


def find_config_file(inputs: Sequence[str | Path] = (), cwd: Path | None = None) -> Path | None:
    """``nhi.toml`` then ``pyproject.toml`` with a ``[tool.nhi]`` table: next to the inputs, then cwd."""
    dirs: list[Path] = []
    for item in inputs:
        p = Path(item)
        d = p if p.is_dir() else p.parent
        if d not in dirs:
            dirs.append(d)
    here = cwd or Path.cwd()
    if here not in dirs:
        dirs.append(here)
    for d in dirs:
        nhi = d / "nhi.toml"
        if nhi.is_file():
            return nhi
        py = d / "pyproject.toml"
        if py.is_file() and _read_table(py) is not None:
            return py
    return None


def load_config(
    explicit: str | Path | None = None,
    inputs: Sequence[str | Path] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load settings: ``explicit`` file, else one found near the inputs or in cwd, else defaults.

    ``overrides`` (from CLI flags) win over the file.
    """
    path = Path(explicit) if explicit else find_config_file(inputs)
    config = Config()
    if path is not None:
        if explicit and not path.exists():
            raise ConfigError(str(path), "config file not found")
        table = _read_table(path)
        if table is None and path.name == "nhi.toml":
            raise ConfigError(str(path), "settings must sit under a [tool.nhi] table")
        if table is not None:
            config = config_from_mapping(table, str(path))
    if overrides:
        config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    return config
