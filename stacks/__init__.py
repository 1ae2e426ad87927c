"""Example stacks: realistic AI integrations declared with nhi_toolkit.cdktf, and the app that synthesizes them.

Run ``.venv/bin/python -m stacks`` (or ``cdktf synth``, which runs the same command from cdktf.json)
to write every stack to ``cdktf.out/``, then ``nhi check cdktf.out``.

The clock is the one setting the whole toolkit reads, the environment variable ``NHI_NOW``. These
examples pin it: when ``NHI_NOW`` is unset, ``python -m stacks`` sets it to :data:`EXAMPLE_NOW`, so the
examples synthesize and check the same on any day. Check them with the same clock::

    NHI_NOW=2026-12-01T00:00:00Z .venv/bin/nhi check cdktf.out
"""

from __future__ import annotations

__all__ = ["EXAMPLE_NOW", "STACKS", "build_app"]

#: The instant the example stacks are judged at when NHI_NOW is not set.
EXAMPLE_NOW = "2026-12-01T00:00:00Z"

#: Stack name -> "module:Class", in synth order.
STACKS = {
    "support-chatbot": "stacks.support_chatbot:SupportChatbot",
    "rag-pipeline": "stacks.rag_pipeline:RagPipeline",
    "coding-agent": "stacks.coding_agent:CodingAgent",
    "finance-workflow": "stacks.finance_workflow:FinanceWorkflow",
    "meeting-summarizer": "stacks.meeting_summarizer:MeetingSummarizer",
}


def build_app(outdir: str | None = None, names: list[str] | None = None):  # type: ignore[no-untyped-def]
    """One App holding the example stacks (one JavaScript runtime for all); each applies NhiPolicy."""
    import importlib

    from nhi_toolkit.cdktf._runtime import cdk

    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    for name in names or list(STACKS):
        module, cls = STACKS[name].split(":")
        getattr(importlib.import_module(module), cls)(app, name)
    return app
