"""The one package that talks to AWS (boto3): sessions and clients, live verification of declared
identities, the scan for undeclared ones, state fleets in S3, and proof of retirement.

Nothing outside this package imports boto3; ``nhi check`` on local files never loads it.
"""

from __future__ import annotations

from nhi_toolkit.aws.session import AwsOptions, AwsSession, CloudUnavailable

__all__ = ["AwsOptions", "AwsSession", "CloudUnavailable"]
