"""Records passed between the pipeline's stages: loaders -> inventory -> rules -> reporters.

Every record is a frozen dataclass (made by :func:`~nhi_toolkit.recordtype.record`). Attribute
values that Terraform marks sensitive, and known secret fields, never reach these records: the
loaders drop them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, overload

from nhi_toolkit.recordtype import cached as _cached
from nhi_toolkit.recordtype import record
from nhi_toolkit.recordtype import stored as _stored

__all__ = [
    "UNKNOWN",
    "Finding",
    "Identity",
    "InputKind",
    "Location",
    "Resource",
    "Severity",
    "Unknown",
]


class Unknown:
    """A value Terraform will only know after apply, or an HCL expression that cannot be resolved.

    Distinct from an absent value: an unknown owner is reported as info, never as missing.
    """

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:  # noqa: PYI034 - a singleton: every call returns the one instance
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


_T = TypeVar("_T")


class _FromResource(Generic[_T]):
    """An attribute of an identity that is its resource's (address, type, source). Address and type
    are stored in the instance by ``__init__`` (the ``derived`` of
    :func:`~nhi_toolkit.recordtype.record`), so reading them is a plain attribute look-up; this
    descriptor names and types them, and reads the resource for ``source`` and for an instance made
    otherwise."""

    def __init__(self, attr: str, doc: str):
        self.attr = attr
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _FromResource[_T]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> _T | _FromResource[_T]:
        if obj is None:
            return self
        value: _T = getattr(obj.resource, self.attr)  # type: ignore[attr-defined]
        return value


class Severity(enum.IntEnum):
    """Finding severity; ordering drives ``--fail-on``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """Lower-case name as written in output and config (worked out once per member: an
        enum's ``name`` is a slow descriptor, and reports read the label once per finding)."""
        return _SEVERITY_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse ``error``, ``warning`` or ``info`` (case-insensitive)."""
        return cls[text.strip().upper()]


_SEVERITY_LABELS = {s: s.name.lower() for s in Severity}


class InputKind(str, enum.Enum):
    """What kind of Terraform artefact a resource was read from."""

    PLAN = "plan"
    STATE = "state"
    SHOW_STATE = "show-state"
    CDKTF = "cdktf"
    HCL = "hcl"


@record(order=True)
class Location:
    """Where a resource was read from; ``line`` is None when the input has no line numbers.

    For a plan or state identity mapped to its configuration (``nhi check --source-dir``), ``file``,
    ``line`` and ``column`` name the declaring ``resource`` block, ``module_call`` the ``module`` blocks
    on the way to it (outermost first) and ``input`` the plan or state file it was read from.
    ``construct_path`` is a CDKTF construct's path (synthesized ``//.metadata.path``).
    """

    file: str
    line: int | None = None
    column: int | None = field(default=None, compare=False)
    module_call: tuple[Location, ...] | None = field(default=None, compare=False)
    construct_path: str | None = field(default=None, compare=False)
    input: str | None = None
    """The input file when ``file`` was mapped to the declaring block; None when ``file`` is the input."""

    @property
    def origin(self) -> str:
        """The input this location was read from (the plan or state when mapped, else ``file``)."""
        return self.input if self.input is not None else self.file

    def to_json(self) -> dict[str, Any]:
        """The ``source`` object of the JSON contract."""
        calls = None if self.module_call is None else [{"file": c.file, "line": c.line} for c in self.module_call]
        return {"file": self.file, "line": self.line, "column": self.column, "module_call": calls,
                "construct_path": self.construct_path, "input": self.input}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@record()
class Resource:
    """One Terraform resource instance (or, for HCL and CDKTF, one resource block), secrets removed.

    ``address`` is exactly as Terraform writes it (``module.a["k"].aws_iam_user.u[0]``);
    ``config_address`` is the same without instance keys (``module.a.aws_iam_user.u``), which is what
    configuration references name. ``values`` holds the attributes with secrets dropped; a value that
    is unknown until apply is :data:`UNKNOWN`. ``references`` are the configuration addresses of the
    resources this one's expressions refer to (module-qualified, no instance keys).
    """

    address: str
    type: str
    name: str
    source: Location
    kind: InputKind
    module: str = ""
    index: int | str | None = None
    mode: str = "managed"
    provider: str = ""
    values: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    references: tuple[str, ...] = ()
    action: str | None = None
    """Plan action after apply: create, update, delete, replace, no-op, read, forget; None outside plans."""
    prevent_destroy: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Extra declarations carried with the resource (CDKTF ``//`` metadata: suppressions, revocation)."""

    # Not fields (no annotation), read as plain attributes: see nhi_toolkit.recordtype.cached.
    @_cached
    def config_address(self) -> str:
        """Address without instance keys: what configuration references name (worked out when
        first read and kept in the instance; a loader that knows it stores it there at once)."""
        from nhi_toolkit.addresses import config_address

        return config_address(self.address)

    @_stored
    def deleted(self) -> bool:
        """True when a plan removes this resource (or Terraform forgets it)."""
        return self.action in ("delete", "forget")


def relocated(res: Resource, source: Location) -> Resource:
    """``res`` read from ``source`` instead: ``dataclasses.replace(res, source=source)`` without
    running ``__init__`` field by field (a source map moves every resource of a large input). The
    copy keeps what the instance cached from its address, which does not change."""
    moved: Resource = object.__new__(Resource)
    state = moved.__dict__
    state.update(res.__dict__)
    state["source"] = source
    return moved


@record(derived=(("address", "resource.address"), ("type", "resource.type")))
class Identity:
    """A resource the catalog names as a non-human identity, with ownership and expiry resolved.

    ``owner``/``expires`` are the raw tag values (own or inherited): None when absent, UNKNOWN when
    known only after apply. ``expires_at`` is the parsed instant when the value is valid.
    """

    resource: Resource
    category: str
    owner: str | Unknown | None
    expires: str | Unknown | None
    expires_at: datetime | None
    parent: str | None = None
    """Address of the identity this one inherits from (a key's user, a version's secret)."""
    inherited: bool = False
    tags: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    owner_key: str | None = None
    expiry_key: str | None = None
    expiry_error: str | None = None
    """Why the expiry value is invalid (never quoting it); None when valid or absent."""
    tags_unknown: bool = False
    """True when some tags are known only after apply, so a missing key may still appear."""
    parent_missing: bool = False
    """A credential or attachment whose parent identity is not managed in this input."""
    owner_source: str | None = None
    """Where the owner came from: ``tag``, ``inherited`` (the parent's tag), ``declaration``; None when absent."""
    expiry_source: str | None = None
    """Where the effective expiry came from: ``tag``, ``inherited``, ``native``, ``declaration``."""
    claimed_expires: str | Unknown | None = None
    """The expiry a tag or declaration claims, when a native expiry took its place (else None)."""
    claimed_expires_at: datetime | None = None
    native_attr: str | None = None
    """The credential attribute(s) its native expiry was read from (``end_date``, ``valid_before`` ...)."""
    native_expires_at: datetime | None = None
    """The credential's own expiry instant (None when it has none or it is unknown until apply)."""
    native_lifetime: timedelta | None = None
    """When the native expiry is unknown until apply: the least the credential lives from creation."""
    declaration: Any = None
    """The ``[[tool.nhi.declarations]]`` entry that gave this identity an owner or expiry, if any."""
    platform_managed: bool = False
    """The platform owns its lifecycle (an AWS service-linked role): no owner or expiry is required."""
    owner_sensitive: str | None = None
    """When no owner could be read because Terraform marks the owner tag's value (or the whole tag
    map) sensitive: the address carrying that tag (this identity, or the parent it inherits from)."""
    expiry_sensitive: str | None = None
    """As ``owner_sensitive``, for the expiry tag: the address whose expiry tag Terraform marks
    sensitive, when that is why no expiry was read."""
    parent_candidates: tuple[str, ...] = ()
    """When it has a parent link but no parent: the configuration addresses of the managed
    identities it refers to or names (several instances or identities with different tags, which
    one known only after apply); empty when it refers to none managed here."""

    @_stored
    def deadline(self) -> datetime | None:
        """When the identity is due for retirement: its effective expiry, or the expiry its tag or
        declaration claims when that is earlier. A credential that runs longer than the approval is
        still past its approved life (``expired``), whatever ``expiry-mismatch`` says about it."""
        claimed = self.claimed_expires_at
        if claimed is not None and (self.expires_at is None or claimed < self.expires_at):
            return claimed
        return self.expires_at

    def tag(self, keys: tuple[str, ...]) -> Any:
        """The first of ``keys`` present in the identity's (possibly inherited) tags."""
        for key in keys:
            if key in self.tags:
                return self.tags[key]
        return None

    @_cached
    def row_key(self) -> str:
        """What tells this identity's row of a report apart: address, declaring file and line, and
        the input when the location was mapped. Kept in the instance once worked out: a report
        looks it up several times per identity, and every part of it is frozen."""
        res = self.resource
        key = f"{res.address}\0{res.source.file}\0{res.source.line}"
        if res.metadata.get("deposed"):  # the current object's row is another
            key = f"{key}\0deposed {res.metadata['deposed']}"
        # Two plans mapped to one .tf block are still two rows: the input tells them apart.
        if res.source.input is not None:
            key = f"{key}\0{res.source.input}"
        return key

    # Not fields (no annotation): the resource's. Address and type are stored by __init__ after the
    # fields, always in this order, as they are read many times per identity; source is read from
    # the resource. Instances share their dict's keys only up to a limit (29 keys with the cached
    # row_key here, test_inventory checks it): a field added must be paid for by a key dropped.
    address = _FromResource[str]("address", "The resource's Terraform address.")
    type = _FromResource[str]("type", "The resource type.")
    source = _FromResource[Location]("source", "Where the resource was declared or read.")


@record(order=True)
class Finding:
    """One rule's verdict on one identity. ``suppressed`` carries the waiver's reason when waived."""

    address: str
    rule_id: str
    rule: str
    severity: Severity
    message: str
    source: Location
    suppressed: str | None = None
    suppressed_until: str | None = None
    deposed: str | None = None
    """The deposed object's key when the finding is about one (it shares its address with the current
    object; its report row is another)."""

    def sort_key(self) -> tuple[Any, ...]:
        """Stable order: by address, then rule id, then message."""
        return (self.address, self.rule_id, self.message, str(self.source))
