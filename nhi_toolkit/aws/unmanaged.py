"""Scan the account for identities no input manages (IAM users with their keys, roles, secrets) and
score how much each looks like an AI integration (trusted services, policies, names, tags)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from nhi_toolkit.aws.session import AwsSession, is_denied, paginate, tag_map
from nhi_toolkit.model import Identity

__all__ = ["LIVE_TYPES", "UnmanagedItem", "ai_likeness", "scan_unmanaged"]

#: The identity types looked up live, and whose managed names the unmanaged scan skips.
LIVE_TYPES = ("aws_iam_user", "aws_iam_role", "aws_iam_access_key", "aws_secretsmanager_secret")


@dataclass(frozen=True)
class UnmanagedItem:
    """An identity in the account that no input manages, with why it looks like an AI integration."""

    kind: str
    arn: str
    name: str
    score: int
    reasons: tuple[str, ...]
    details: str = ""


_AI_WORDS = re.compile(r"(?<![a-z])(bot|agent|agents|llm|openai|anthropic|claude|gpt|rag|bedrock|sagemaker|"
                       r"chatbot|copilot|genai|gen-ai|ai|ml|embedding|embeddings|vector|langchain|"
                       r"huggingface|hf|mistral|cohere|gemini|vertex|assistant|inference|model)(?![a-z])",
                       re.IGNORECASE)
_PROVIDER_SECRET = re.compile(r"(openai|anthropic|claude|cohere|mistral|gemini|huggingface|hf[-_]token|"
                              r"groq|perplexity|replicate|together|pinecone|voyage|deepseek|xai|"
                              r"api[-_]?key|llm|model[-_]provider)", re.IGNORECASE)
_AI_SERVICES = ("bedrock.amazonaws.com", "sagemaker.amazonaws.com", "lambda.amazonaws.com",
                "bedrock-agentcore.amazonaws.com")
_AI_POLICY = re.compile(r"(Bedrock|SageMaker|AmazonQ|Comprehend|Kendra|Textract|Rekognition|"
                        r"AmazonPolly|Transcribe|AmazonLex|OpenSearchServerless)",
                        re.IGNORECASE)


def _words(text: str) -> list[str]:
    return sorted({m.group(1).lower() for m in _AI_WORDS.finditer(text.replace("_", "-"))})


def ai_likeness(*, name: str, tags: Mapping[str, str] | None = None, trusted: Iterable[str] = (),
                policies: Iterable[str] = (), secret: bool = False) -> tuple[int, tuple[str, ...]]:
    """A score and the reasons behind it: how much an identity looks like an AI integration."""
    score, reasons = 0, []
    for svc in sorted(set(trusted)):
        if svc in _AI_SERVICES[:2] or svc.startswith("bedrock"):
            score += 3
            reasons.append(f"trusts {svc}")
    ai_pols = sorted({p.rsplit("/", 1)[-1] for p in policies if _AI_POLICY.search(p.rsplit("/", 1)[-1])})
    if ai_pols:
        score += 2
        reasons.append(f"AI-service policies {', '.join(ai_pols)}")
    words = _words(name)
    if words:
        score += 1
        reasons.append(f"name mentions {', '.join(words)}")
    tag_words = sorted({w for k, v in (tags or {}).items() for w in _words(f"{k} {v}")})
    if tag_words:
        score += 1
        reasons.append(f"tags mention {', '.join(tag_words)}")
    if secret:
        m = _PROVIDER_SECRET.search(name)
        if m:
            score += 2
            reasons.append(f"named like a model-provider key ({m.group(1).lower()})")
    return score, tuple(reasons)


def _trusted_services(doc: Any) -> list[str]:
    if isinstance(doc, str):
        import json
        from urllib.parse import unquote

        try:
            doc = json.loads(unquote(doc))
        except ValueError:
            return []
    out: list[str] = []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal") if isinstance(st, dict) else None
        svc = principal.get("Service") if isinstance(principal, dict) else None
        out.extend([svc] if isinstance(svc, str) else [s for s in svc or () if isinstance(s, str)])
    return out


def _managed_names(identities: Sequence[Identity]) -> dict[str, set[str]]:
    managed: dict[str, set[str]] = {t: set() for t in LIVE_TYPES}
    for ident in identities:
        if ident.type not in managed:
            continue
        v = ident.resource.values
        for attr in ("name", "id", "arn"):
            if isinstance(v.get(attr), str):
                managed[ident.type].add(v[attr])
    return managed


def scan_unmanaged(session: AwsSession, identities: Sequence[Identity]) -> list[UnmanagedItem]:
    """IAM users (with their keys), roles and secrets no input manages, most AI-like first."""
    managed = _managed_names(identities)
    items: list[UnmanagedItem] = []
    iam = "iam"

    unread: list[str] = []

    def opt(action: str, operation: str, key: str, **params: str) -> list[Any]:
        """A per-identity listing; a denial or failure leaves it empty and is named in the finding
        (the scan goes on)."""
        try:
            return list(session.call(iam, action, str(params), lambda c: list(paginate(c, operation, key, **params))))
        except botocore.exceptions.ClientError as exc:
            unread.append(f"iam:{action} {'denied' if is_denied(exc) else 'failed'}")
            return []

    def unreadable() -> str:
        text = f"; not fully read ({', '.join(unread)}), so its AI-likeness may be understated" if unread else ""
        unread.clear()
        return text

    users = session.require(iam, "ListUsers", "the account",
                            lambda c: list(paginate(c, "list_users", "Users")))
    for user in users:
        name = str(user.get("UserName"))
        if name in managed["aws_iam_user"]:
            continue
        tags = tag_map(opt("ListUserTags", "list_user_tags", "Tags", UserName=name))
        pols = [p["PolicyArn"] for p in opt("ListAttachedUserPolicies", "list_attached_user_policies",
                                            "AttachedPolicies", UserName=name)]
        keys = opt("ListAccessKeys", "list_access_keys", "AccessKeyMetadata", UserName=name)
        score, reasons = ai_likeness(name=name, tags=tags, policies=pols)
        if keys:
            score += 1
            reasons = (*reasons, f"{len(keys)} static access key(s)")
        details = "".join(f"; access key {k.get('AccessKeyId')} {k.get('Status')}" for k in
                          sorted(keys, key=lambda k: str(k.get("AccessKeyId"))))
        items.append(UnmanagedItem("IAM user", str(user.get("Arn")), name, score, reasons, details + unreadable()))
    roles = session.require(iam, "ListRoles", "the account", lambda c: list(paginate(c, "list_roles", "Roles")))
    for role in roles:
        name, path = str(role.get("RoleName")), str(role.get("Path", "/"))
        if name in managed["aws_iam_role"] or path.startswith(("/aws-service-role/", "/aws-reserved/")):
            continue
        tags = tag_map(opt("ListRoleTags", "list_role_tags", "Tags", RoleName=name))
        pols = [p["PolicyArn"] for p in opt("ListAttachedRolePolicies", "list_attached_role_policies",
                                            "AttachedPolicies", RoleName=name)]
        score, reasons = ai_likeness(name=name, tags=tags, policies=pols,
                                     trusted=_trusted_services(role.get("AssumeRolePolicyDocument")))
        items.append(UnmanagedItem("IAM role", str(role.get("Arn")), name, score, reasons, unreadable()))
    secrets = session.require("secretsmanager", "ListSecrets", "the account",
                              lambda c: list(paginate(c, "list_secrets", "SecretList")))
    for sec in secrets:
        name, arn = str(sec.get("Name")), str(sec.get("ARN"))
        if {name, arn} & managed["aws_secretsmanager_secret"]:
            continue
        score, reasons = ai_likeness(name=name, tags=tag_map(sec.get("Tags") or ()), secret=True)
        items.append(UnmanagedItem("secret", arn, name, score, reasons))
    items.sort(key=lambda i: (-i.score, i.arn))
    return items
