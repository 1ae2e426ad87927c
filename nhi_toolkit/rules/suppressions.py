"""Rules about the waivers themselves: findings made by the suppression and baseline stages.

They judge no identity (their ``check`` yields nothing): :mod:`nhi_toolkit.suppress` and
:mod:`nhi_toolkit.baseline` raise them, about the address a suppression aims at, located where the
suppression is written. None of them can be waived: a waiver of a broken waiver would hide it.
"""

from __future__ import annotations

from nhi_toolkit.model import Severity
from nhi_toolkit.rules.base import Rule

__all__ = ["BaselineExpired", "InvalidSuppressionRule", "SuppressionExpired", "SuppressionStale",
           "SuppressionUnwaivable"]


class InvalidSuppressionRule(Rule):
    id = "NHI008"
    name = "invalid-suppression"
    severity = Severity.WARNING
    summary = "A suppression cannot be honoured"
    description = ("An inline `nhi:ignore` comment or a synthesized CDKTF `//.nhi.suppress` entry lacks a "
                   "reason of 10+ characters or a valid `until` date, or names no known rule. It is "
                   "ignored: the finding it aimed at stays active. (A malformed `[[tool.nhi.suppress]]` "
                   "entry in the config is an error, exit 2.)")
    fix = 'Write it as `# nhi:ignore[NHI002] until=2027-01-31 reason="why, ticket"` with a known rule.'
    waivable = False


class SuppressionExpired(Rule):
    id = "NHI020"
    name = "suppression-expired"
    severity = Severity.WARNING
    summary = "A suppression has passed its end date"
    description = ("The waiver's `until` date has passed, so it no longer suppresses anything: what it "
                   "waived is reported again, and this warning says why.")
    fix = "Fix the finding and remove the suppression, or renew it with a new end date and reason."
    waivable = False


class SuppressionStale(Rule):
    id = "NHI021"
    name = "suppression-stale"
    severity = Severity.INFO
    summary = "A suppression matches no finding"
    description = ("No finding of this check matches the suppression's rule, address and file: the "
                   "problem was fixed or the address changed. Rules judged only by `nhi verify` are "
                   "never called stale by `nhi check`.")
    fix = "Remove the suppression (or correct its address or file pattern)."
    waivable = False


class SuppressionUnwaivable(Rule):
    id = "NHI022"
    name = "suppression-unwaivable"
    severity = Severity.WARNING
    summary = "A suppression names a rule that cannot be waived"
    description = ("The rule is listed in `unwaivable` in `[tool.nhi]` (default: `expired`, "
                   "`owner-offboarded`), so the suppression has no effect and its findings stay active.")
    fix = "Retire or hand over the identity instead, or remove the rule from `unwaivable` deliberately."
    waivable = False


class BaselineExpired(Rule):
    id = "NHI023"
    name = "baseline-expired"
    severity = Severity.WARNING
    summary = "The baseline has passed its end date"
    description = ("`nhi check --baseline FILE` was given a baseline whose `baseline_until` has passed: "
                   "it no longer hides anything, and every finding is reported again.")
    fix = "Fix the findings, or write a new baseline with `--write-baseline FILE --baseline-until DATE`."
    waivable = False
