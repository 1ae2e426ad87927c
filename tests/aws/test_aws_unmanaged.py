"""How much an undeclared identity looks like an AI integration: the score and the reasons shown.

The scan itself runs against moto in tests/test_aws_live.py; the scoring is pure and pinned here.
"""

from __future__ import annotations

import json

import pytest

from nhi_toolkit.aws import verify
from nhi_toolkit.aws.unmanaged import UnmanagedItem, _trusted_services, ai_likeness, scan_unmanaged


@pytest.mark.parametrize(("kwargs", "score", "reasons"), [
    ({"name": "payroll"}, 0, ()),
    ({"name": "support-bot"}, 1, ("name mentions bot",)),
    ({"name": "svc_llm_agent"}, 1, ("name mentions agent, llm",)),
    ({"name": "x", "tags": {"team": "genai"}}, 1, ("tags mention genai",)),
    ({"name": "x", "trusted": ["bedrock.amazonaws.com", "ec2.amazonaws.com"]}, 3,
     ("trusts bedrock.amazonaws.com",)),
    ({"name": "x", "policies": ["arn:aws:iam::aws:policy/AmazonBedrockFullAccess", "arn:aws:iam::1:policy/s3"]}, 2,
     ("AI-service policies AmazonBedrockFullAccess",)),
    ({"name": "prod/openai-key", "secret": True}, 3,
     ("name mentions openai", "named like a model-provider key (openai)")),
    ({"name": "prod/openai-key"}, 1, ("name mentions openai",)),
])
def test_ai_likeness(kwargs: dict[str, object], score: int, reasons: tuple[str, ...]) -> None:
    assert ai_likeness(**kwargs) == (score, reasons)  # type: ignore[arg-type]


def test_trusted_services_read_an_encoded_or_parsed_trust_policy() -> None:
    doc = {"Statement": [{"Principal": {"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]}},
                         {"Principal": {"Service": "sagemaker.amazonaws.com"}}, {"Principal": "*"}]}
    expected = ["bedrock.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com"]
    assert _trusted_services(doc) == expected
    assert _trusted_services(json.dumps(doc).replace('"', "%22")) == expected
    assert _trusted_services("not json") == []


def test_verify_still_exports_the_scan() -> None:
    assert (verify.UnmanagedItem, verify.ai_likeness, verify.scan_unmanaged) == (
        UnmanagedItem, ai_likeness, scan_unmanaged)
