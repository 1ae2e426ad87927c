"""Set up a local moto endpoint as the account behind one integration's Terraform state, with three
things gone wrong behind state's back, for ``make demo`` (examples/demo.sh).

    python examples/verify-live/setup_moto.py ENDPOINT STATE_OUT DORMANT_DAYS

Refuses any endpoint that is not on 127.0.0.1 and uses dummy credentials: it never reaches AWS.

0. the state (``declared_state``: a user with keys ``active``, ``spare`` and ``rotated``, and a role it
   assumes) is written by this script, not kept in the repository: state files are never committed;
1. creates the user, the role and the access keys the state declares;
2. uses the ``active`` key (and, through it, the role), so AWS records their last use;
3. deletes the ``rotated`` key outside Terraform (state still lists it);
4. leaves the ``spare`` key unused: dormant;
5. creates a role nobody declared, trusted by bedrock.amazonaws.com: an undeclared AI identity.

moto makes up access key ids and stamps creation with its own clock, so the state is written to
STATE_OUT with the ids moto gave and an expiry 60 days past the evaluation time (within the 90-day
maximum for keys). The evaluation time (``--now``), DORMANT_DAYS days and an hour after the keys
were created, is printed: the unused key is then past the window, the used one not.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from datetime import timedelta
from typing import Any

import boto3

DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
UNDECLARED_ROLE = "bedrock-agent-sandbox"
ACCOUNT = "123456789012"
USER = "meeting-summarizer"
TAGS = {"owner": "ml-platform@example.com", "integration": "meeting-summarizer", "expires_at": "2027-06-30"}


def _resource(rtype: str, name: str, attributes: dict[str, Any], secret: bool = False) -> dict[str, Any]:
    sensitive = [[{"type": "get_attr", "value": "secret"}]] if secret else []
    return {"mode": "managed", "type": rtype, "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": sensitive}]}


def declared_state() -> dict[str, Any]:
    """The integration as Terraform (1.11, state version 4) would record it before the demo's changes."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{USER}"}}]}
    resources = [_resource("aws_iam_user", "summarizer", {
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{USER}", "force_destroy": False, "name": USER, "path": "/",
        "tags": TAGS, "tags_all": TAGS})]
    for key in ("active", "spare", "rotated"):
        resources.append(_resource("aws_iam_access_key", key, {
            "id": f"AKIAEXAMPLE{key.upper():0<9}", "pgp_key": None, "secret": None, "status": "Active",
            "user": USER}, secret=True))
    resources.append(_resource("aws_iam_role", "summarizer", {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{USER}-invoke", "assume_role_policy": json.dumps(trust),
        "name": f"{USER}-invoke", "path": "/", "tags": TAGS, "tags_all": TAGS}))
    return {"version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "verify-live-demo",
            "outputs": {}, "resources": resources}


def main(endpoint: str, state_out: str, dormant_days: int) -> None:
    if urllib.parse.urlparse(endpoint).hostname != "127.0.0.1":
        sys.exit(f"refusing {endpoint}: the demo only talks to a local endpoint on 127.0.0.1")
    state = declared_state()
    res = {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in state["resources"]}
    user, role = res["aws_iam_user.summarizer"], res["aws_iam_role.summarizer"]
    iam = boto3.client("iam", endpoint_url=endpoint, **DUMMY)

    iam.create_user(UserName=user["name"], Path=user["path"])
    active = iam.create_access_key(UserName=user["name"])["AccessKey"]
    rotated = iam.create_access_key(UserName=user["name"])["AccessKey"]
    iam.delete_access_key(UserName=user["name"], AccessKeyId=rotated["AccessKeyId"])  # behind state's back
    spare = iam.create_access_key(UserName=user["name"])["AccessKey"]  # never used: dormant
    iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=role["assume_role_policy"])
    iam.create_role(RoleName=UNDECLARED_ROLE, Description="created by hand, declared nowhere",
                    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"Service": "bedrock.amazonaws.com"}}]}))

    # The integration at work: its key calls AWS and assumes its role, which calls AWS too.
    as_user = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=active["AccessKeyId"], aws_secret_access_key=active["SecretAccessKey"])
    creds = as_user.assume_role(RoleArn=role["arn"], RoleSessionName="summarize")["Credentials"]
    boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                 aws_secret_access_key=creds["SecretAccessKey"],
                 aws_session_token=creds["SessionToken"]).get_caller_identity()

    now = active["CreateDate"] + timedelta(days=dormant_days, hours=1)
    expires = (now + timedelta(days=60)).strftime("%Y-%m-%d")
    tags = dict(user["tags"], expires_at=expires)
    for kind, name in (("user", user["name"]), ("role", role["name"])):
        tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        if kind == "user":
            iam.tag_user(UserName=name, Tags=tag_list)
        else:
            iam.tag_role(RoleName=name, Tags=tag_list)

    ids = {"aws_iam_access_key.active": active, "aws_iam_access_key.rotated": rotated,
           "aws_iam_access_key.spare": spare}
    for r in state["resources"]:
        attrs: dict[str, Any] = r["instances"][0]["attributes"]
        address = f"{r['type']}.{r['name']}"
        if address in ids:
            attrs["id"] = ids[address]["AccessKeyId"]  # the id only: the secret never enters the copy
        if "tags" in attrs:
            attrs["tags"] = attrs["tags_all"] = tags
    with open(state_out, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=2, sort_keys=True)
        out.write("\n")
    print(now.strftime("%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
