"""Lint IAM policy documents with parliament (its offline copy of AWS's Service Authorization
Reference): an action AWS does not know, or a resource that does not fit the action, is a
policy that fails on a real account however the emulator reads it."""

from __future__ import annotations

import json
from urllib.parse import unquote

# parliament's findings that mean "this policy is wrong on AWS"; its style advice is left out
WRONG = {
    "UNKNOWN_PREFIX",
    "UNKNOWN_ACTION",
    "UNKNOWN_OPERATOR",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "RESOURCE_MISMATCH",
    "MALFORMED",
    "MALFORMED_JSON",
    "INVALID_ARN",
    "MISMATCHED_TYPE",
    "MISMATCHED_TYPE_OPERATION_TO_NULL",
    "MISMATCHED_TYPE_BUT_USABLE",
}

# Personalize authorizes a create against the parent too (CreateDataset: the dataset group and
# the dataset), and tags on any resource type since parliament's copy of the reference was made
# (it lists personalize:TagResource as "*" only): its resource checks would refuse the kit's
# least-privilege statements, which the policy-coverage test checks request by request instead.
LAGGING = ("personalize:",)


def problems(document: dict | str, name: str) -> list[str]:
    """parliament's findings in WRONG for one policy document (a dict, JSON or URL-encoded
    JSON as IAM answers it), as readable lines."""
    from parliament import analyze_policy_string

    if not isinstance(document, dict):
        document = json.loads(unquote(document))
    analyzed = analyze_policy_string(json.dumps(document), include_community_auditors=False)
    found = []
    for finding in analyzed.findings:
        detail = finding.detail
        if finding.issue == "RESOURCE_MISMATCH":
            detail = [d for d in detail if not d["action"].startswith(LAGGING)]
        if finding.issue in WRONG and detail:
            found.append(f"{name}: {finding.issue} {detail}")
    return found


def created_policies(ws) -> dict[str, dict | str]:
    """The policies a workshop session created: each role's inline policies and the bucket's
    policy, by a readable name (for `problems`)."""
    iam = ws.client("iam")
    found: dict[str, dict | str] = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            found[f"role {name}, policy {policy}"] = document
    try:
        found[f"bucket policy of {ws.bucket}"] = ws.client("s3").get_bucket_policy(
            Bucket=ws.bucket
        )["Policy"]
    except ws.client("s3").exceptions.from_code("NoSuchBucketPolicy"):
        pass
    return found
