"""``nhi explain RULE``: why a rule matters and how to fix it, in CDKTF and in HCL."""

from __future__ import annotations

import difflib
import textwrap

import click

from nhi_toolkit.commands.common import handle_errors

__all__ = ["explain", "explain_text"]


def explain_text(key: str) -> str:
    """The explanation of one rule (by id or name); a usage error naming close matches otherwise."""
    from nhi_toolkit.rules.guide import documented_rules, find_rule, guide_for
    from nhi_toolkit.suppress import waivable_by_default

    rule = find_rule(key)
    if rule is None:
        names = [r.name for r in documented_rules()] + [r.id for r in documented_rules()]
        near = difflib.get_close_matches(key.strip().lower(), [n.lower() for n in names], n=2)
        hint = f"; did you mean {' or '.join(near)}?" if near else "; 'nhi rules' lists them"
        raise click.BadParameter(f"no rule named {key!r}{hint}", param_hint="RULE")
    guide = guide_for(rule)

    def para(title: str, text: str) -> list[str]:
        return [title, *textwrap.wrap(text, 96, initial_indent="  ", subsequent_indent="  "), ""]

    lines = [f"{rule.id} {rule.name} ({rule.severity.label}"
             + ("" if waivable_by_default(rule) else ", cannot be suppressed") + f"): {rule.summary}", ""]
    if rule.description:
        lines += para("What it checks", rule.description)
    if rule.severities:
        from nhi_toolkit.rules.docs import severity_text

        lines += para("Severity by condition", severity_text(rule))
    lines += para("Why it matters", guide.rationale)
    lines += para("Fix in CDKTF", guide.fix_cdktf)
    lines += para("Fix in HCL", guide.fix_hcl)
    lines.append(f"More: {rule.help_uri}")
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("rule")
@handle_errors
def explain(rule: str) -> None:
    """Explain RULE (an id like NHI004 or a name like expired): why it matters and how to fix it."""
    click.echo(explain_text(rule), nl=False)
