"""The rule idiom: metadata as class attributes, the check a pure function yielding findings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from datetime import date, datetime
from typing import ClassVar

from nhi_toolkit.config import Config
from nhi_toolkit.model import Finding, Identity, Location, Severity
from nhi_toolkit.records import Document
from nhi_toolkit.recordtype import record

__all__ = ["DOCS_BASE_ENV", "DOCS_BASE_URL", "Context", "Rule", "docs_base_url", "help_anchor", "help_uri",
           "named_few"]

#: The one documentation base every rule's help URI is built from: the address of docs/rules.md
#: (generated from the registry by ``python -m nhi_toolkit.rules.docs``) in the repository.
DOCS_BASE_URL = "https://github.com/nhi-toolkit/nhi-toolkit/blob/main/docs/rules.md"

#: Environment variable that points the help URIs at another copy of docs/rules.md (a fork, a mirror,
#: a release tag); unset or empty means :data:`DOCS_BASE_URL`.
DOCS_BASE_ENV = "NHI_DOCS_BASE_URL"


def docs_base_url() -> str:
    """The documentation base in effect: ``NHI_DOCS_BASE_URL`` when set, else :data:`DOCS_BASE_URL`.

    Raises :class:`~nhi_toolkit.errors.ConfigError` (exit 2) for a value that is not an absolute
    http(s) URL without a fragment, so a typo never ends up in every report's links.
    """
    import os

    value = os.environ.get(DOCS_BASE_ENV, "").strip()
    if not value:
        return DOCS_BASE_URL
    scheme, sep, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest.split("/", 1)[0] \
            or "#" in value or not value.isprintable() or any(ch.isspace() for ch in value):
        from nhi_toolkit.errors import ConfigError

        raise ConfigError(DOCS_BASE_ENV, "must be an absolute http(s) URL of docs/rules.md without a "
                                         "'#' fragment, e.g. " + DOCS_BASE_URL)
    return value


def help_anchor(rule_id: str, name: str) -> str:
    """The anchor of a rule's section in docs/rules.md: its heading ``NHI004 expired`` as GitHub
    slugs it (``nhi004-expired``)."""
    return f"{rule_id.lower()}-{name}"


def help_uri(rule_id: str, name: str, base: str | None = None) -> str:
    """Absolute URI of a rule's section in docs/rules.md, under ``base`` (default: :func:`docs_base_url`)."""
    return f"{docs_base_url() if base is None else base}#{help_anchor(rule_id, name)}"


@record()
class Context:
    """What a rule may look at besides the identity: settings, the clock, the whole document."""

    config: Config
    now: datetime
    document: Document
    identities: tuple[Identity, ...]
    leavers: Mapping[str, date | None] = field(default_factory=dict)
    by_address: Mapping[str, Identity] = field(default_factory=dict)
    documents: tuple[Document, ...] = ()
    """Every document of the check, in argument order (for rules that compare inputs: drift)."""

    @classmethod
    def make(cls, config: Config, now: datetime, document: Document, identities: list[Identity],
             leavers: Mapping[str, date | None] | None = None,
             documents: Sequence[Document] = ()) -> Context:
        """Build a context with its address index."""
        return cls(config, now, document, tuple(identities), leavers or {},
                   {i.address: i for i in identities}, tuple(documents))


class Rule:
    """Base class. Subclasses set the metadata and override :meth:`check` (or :meth:`check_all`)."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    description: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    #: For a rule whose findings can differ from the default severity: each severity it can give
    #: (the default first) with the condition that gives it. Empty when every finding has ``severity``.
    severities: ClassVar[tuple[tuple[Severity, str], ...]] = ()
    waivable: ClassVar[bool] = True
    #: Judged on identities a plan deletes or forgets too (most rules are not).
    includes_deleted: ClassVar[bool] = False

    @property
    def help_uri(self) -> str:
        """Absolute link to this rule's documentation."""
        return help_uri(self.id, self.name)

    @property
    def per_identity(self) -> bool:
        """True when the rule judges each identity alone (it keeps the default :meth:`check_all`):
        the engine then judges every identity once against all such rules, in one pass. A rule that
        needs the whole set overrides :meth:`check_all`, its whole-set hook."""
        return type(self).check_all is Rule.check_all

    @property
    def judges_identities(self) -> bool:
        """False for a rule that overrides neither :meth:`check` nor :meth:`check_all` (its findings
        come from elsewhere, such as the suppression rules): nothing to run per identity."""
        return not (self.per_identity and type(self).check is Rule.check)

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        """Findings for one identity (a generator, or a tuple: the common rules return one, as a
        check that finds nothing then costs no generator)."""
        return ()

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        """Findings for the whole document; by default, :meth:`check` on every live identity."""
        for identity in ctx.identities:
            if identity.resource.deleted and not self.includes_deleted:
                continue
            yield from self.check(identity, ctx)

    def finding(self, identity: Identity | None, message: str, *, address: str | None = None,
                source: Location | None = None, severity: Severity | None = None) -> Finding:
        """A finding of this rule (about a deposed object: it says so)."""
        deposed = identity.resource.metadata.get("deposed") if identity is not None else None
        if deposed:
            message = f"{message} (deposed object {deposed})"
        return Finding(
            address=address if address is not None else (identity.address if identity else ""),
            rule_id=self.id,
            rule=self.name,
            severity=severity or self.severity,
            message=message,
            source=source or (identity.source if identity else Location("")),
            deposed=str(deposed) if deposed else None,
        )

    @classmethod
    def severity_labels(cls) -> tuple[str, ...]:
        """Every severity this rule's findings can have, the default first (``("error", "warning")``)."""
        if not cls.severities:
            return (cls.severity.label,)
        return tuple(s.label for s, _ in cls.severities)


def named_few(addresses: Sequence[str]) -> str:
    """A few addresses for a message, the rest counted."""
    shown = ", ".join(addresses[:3])
    return shown + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")
