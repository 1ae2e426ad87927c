"""What a configuration check could not see: module calls whose source is not read."""

from __future__ import annotations

from collections.abc import Iterator

from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.rules.base import Context, Rule

__all__ = ["ModuleNotFollowed"]


class ModuleNotFollowed(Rule):
    id = "NHI014"
    name = "module-not-followed"
    severity = Severity.INFO
    summary = "Module call with a registry or git source is not followed"
    description = ("Only local module sources (./x, ../x) are read when checking .tf files or "
                   "synthesized CDKTF; identities declared inside a registry, git or other remote "
                   "module are not checked by a configuration check.")
    fix = ("Check a plan of the configuration ('terraform show -json PLANFILE'), which includes every "
           "module's resources, or vendor the module into the repository as a local source.")

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        for note in ctx.document.notes:
            if note.rule == self.name:
                yield self.finding(None, note.message, address=note.address, source=note.source)
