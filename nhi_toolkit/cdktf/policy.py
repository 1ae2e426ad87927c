"""``NhiPolicy``: an Aspect that runs the checker's own rules over each stack at synth.

In the manner of cdk-nag's rule packs, but with no rule of its own: at validation time (after every
Aspect has run, so tags added by other Aspects and escape hatches count) it takes the stack's
Terraform JSON exactly as it will be written, reads it with the ``nhi check`` loader and runs
:func:`nhi_toolkit.engine.check_documents`. Error-level findings fail synth, all of them listed with
their construct paths; ``expired`` and ``expiring-soon`` (and warning-level findings) are warnings;
suppressed findings stay visible as info. Suppressions are those of ``nhi check`` (one mechanism,
:mod:`nhi_toolkit.suppress`: config, ``//.nhi.suppress`` metadata); one that cannot be honoured is an
``invalid-suppression`` warning naming why, and an expired one a ``suppression-expired`` warning. The clock is ``NHI_NOW`` when set, as for ``nhi check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsii
from constructs import Construct, IValidation

from nhi_toolkit.cdktf._runtime import cdk
from nhi_toolkit.cdktf.declaration import clock
from nhi_toolkit.config import Config
from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.suppress import suppression_label

__all__ = ["SYNTH_WARNING_RULES", "NhiPolicy", "PolicyMessage"]

#: Rules that only ever warn at synth: an expired integration must synthesize to be retired.
SYNTH_WARNING_RULES = frozenset({"expired", "expiring-soon"})


@dataclass(frozen=True, order=True)
class PolicyMessage:
    """One finding as reported at synth: its level (error, warning, info), stack and text."""

    stack: str
    level: str
    text: str

    def __str__(self) -> str:
        return f"{self.level}: [{self.stack}] {self.text}"


def _level(finding: Finding) -> str:
    if finding.suppressed is not None:
        return "info"
    if finding.rule in SYNTH_WARNING_RULES:
        return "warning"
    return {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(finding.severity, "info")


def _text(finding: Finding, paths: Mapping[str, str]) -> str:
    where = paths.get(finding.address)
    text = f"{finding.rule_id} {finding.rule}: {finding.message}"
    if where:
        text += f" (construct {where})"
    return text + suppression_label(finding)


@jsii.implements(IValidation)
class _StackCheck:
    def __init__(self, policy: NhiPolicy, stack: Any) -> None:
        self._policy = policy
        self._stack = stack

    def validate(self) -> list[str]:
        messages = self._policy.check_stack(self._stack)
        annotations = cdk.Annotations.of(self._stack)
        for m in messages:
            if m.level == "warning":
                annotations.add_warning(m.text)
            elif m.level == "info":
                annotations.add_info(m.text)
        return [m.text for m in messages if m.level == "error"]


@jsii.implements(cdk.IAspect)
class NhiPolicy:
    """Validates every identity resource in the stacks it is applied to, with the checker's rules.

    Resources declared with :class:`~nhi_toolkit.cdktf.AiIntegration`, with the typed wrappers, with
    plain cdktf classes, escape hatches or prebuilt provider bindings are all judged alike, from the
    synthesized JSON. ``config`` defaults to the config ``nhi check`` finds from the current
    directory; ``now`` to ``NHI_NOW`` or the clock.
    """

    def __init__(self, *, config: Config | None = None, now: datetime | None = None) -> None:
        self.config = config
        self.now = now
        self.messages: list[PolicyMessage] = []
        """Every message of every stack checked so far (errors, warnings and info), in order."""
        self.reports: dict[str, Any] = {}
        """Stack name -> the :class:`~nhi_toolkit.engine.Report` it was judged by."""
        self._stacks: set[str] = set()

    @classmethod
    def apply_to(cls, scope: Construct, *, config: Config | None = None,
                 now: datetime | None = None) -> NhiPolicy:
        """Add a policy to ``scope`` (a stack or any construct in one) and return it.

        cdktf invokes Aspects from each stack down, never from the App: given an App, the policy is
        added to every stack the App holds at the time of the call.
        """
        policy = cls(config=config, now=now)
        if cdk.App.is_app(scope):
            targets = [c for c in scope.node.find_all() if cdk.TerraformStack.is_stack(c)]
        else:
            targets = [scope]
        for target in targets:
            cdk.Aspects.of(target).add(policy)
        return policy

    def visit(self, node: Any) -> None:
        """Register the stack-wide check once per stack (it runs after every Aspect)."""
        if isinstance(node, cdk.TerraformStack):
            stack = node
        elif self._stacks or cdk.App.is_app(node):
            return
        else:
            stack = cdk.TerraformStack.of(node)
        path = stack.node.path
        if path not in self._stacks:
            self._stacks.add(path)
            stack.node.add_validation(_StackCheck(self, stack))

    def check_stack(self, stack: Any) -> list[PolicyMessage]:
        """Judge one stack's Terraform JSON as ``nhi check`` would; return its messages."""
        from nhi_toolkit.cdktf.integration import default_config
        from nhi_toolkit.engine import check_documents
        from nhi_toolkit.loaders.cdktf_json import load_json_config
        from nhi_toolkit.native_expiry import HELPER_TYPES

        config = self.config or default_config()
        name = stack.node.id
        catalog = config.catalog
        doc = load_json_config(stack.to_terraform(), f"stacks/{name}/cdk.tf.json",
                               lambda t: t in catalog or t in HELPER_TYPES)
        report = check_documents([doc], config, self.now or clock())
        self.reports[name] = report
        paths = {r.address: str(r.metadata["construct_path"]) for r in doc.resources
                 if "construct_path" in r.metadata}
        out = [PolicyMessage(name, _level(f), _text(f, paths)) for f in report.findings]
        out.sort(key=lambda m: ({"error": 0, "warning": 1}.get(m.level, 2), m.text))
        self.messages.extend(out)
        return out

    def errors(self) -> list[PolicyMessage]:
        """The error-level messages (those that fail synth)."""
        return [m for m in self.messages if m.level == "error"]

    def warnings(self) -> list[PolicyMessage]:
        """The warning-level messages (expired, expiring soon, weaker choices ...)."""
        return [m for m in self.messages if m.level == "warning"]
