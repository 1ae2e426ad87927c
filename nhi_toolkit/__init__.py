"""nhi-toolkit: declare, check, retire and verify the non-human identities of AI integrations.

The pipeline, one folder or module per stage::

    loaders/      read plan JSON, state, HCL, cdk.tf.json, s3:// fleets into records.Document
                  (secrets are dropped here and never leave)
    inventory     which resources are identities (catalog/), owners and expiry through parents
    rules/        pure checks, Identity + rules.Context -> model.Finding; checks.py holds the
                  lifecycle judgements the rules, retirement and the CDKTF layer share
    engine        the pipeline: load, inventory, rules, suppress (suppress, baseline) -> records.Report
    reporters/    text, json, sarif, junit, markdown, github, gitlab, owners: pure renders
    retire/       selection -> manifest -> verified destroy plan -> apply (run), through terraform/
    audit/        the hash-chained audit log: chain format, appending, verification, repair
    aws/          the one place that calls boto3: live verification, unmanaged scan, S3 inputs
    cdktf/        constructs and the policy Aspect, a thin layer over the same checks
    commands/     the click commands (cli.py wires them), each a few lines over the library
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
