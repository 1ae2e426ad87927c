"""Identities whose lifecycle the platform owns: reported for what they are, not as unowned."""

from __future__ import annotations

from collections.abc import Iterable

from nhi_toolkit.model import Finding, Identity, Severity
from nhi_toolkit.rules.base import Context, Rule

__all__ = ["PlatformManaged"]


class PlatformManaged(Rule):
    id = "NHI016"
    name = "platform-managed"
    severity = Severity.INFO
    summary = "Identity is owned and retired by the platform"
    description = ("An AWS service-linked role is created for a service, its permissions and trust "
                   "are set by AWS, and AWS deletes it only once the service no longer uses it. It "
                   "needs no owner or expiry of its own; its lifetime follows the resources of the "
                   "service that uses it. Reported instead of missing-owner and missing-expiry.")
    fix = ("Nothing to add; retire the service's resources that use it. An owner or expiry tag, "
           "when present, is judged as on any identity.")

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        if not identity.platform_managed:
            return ()
        missing = [what for what, v in (("owner", identity.owner), ("expiry", identity.expires))
                   if v is None]
        if missing:
            service = identity.resource.values.get("aws_service_name")
            used_by = f" for {service}" if isinstance(service, str) and service else ""
            return (self.finding(identity, f"{identity.address} is a service-linked role{used_by}: the "
                                           "platform owns its lifecycle, so no "
                                           f"{' or '.join(missing)} is required"),)
        return ()
