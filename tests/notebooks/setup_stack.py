"""Deploy setup/workshop-stack.yaml into an emulator, as an administrator does on AWS.

Shared by the tests of the stack path (test_stack_path.py: every notebook with `stack` set;
test_prepare.py: `python -m workshop_lib prepare --stack`). The stack gets the local Segment
workspace's id, so exercise 4's Segment role trusts the emulated Segment.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import boto3

from tests.notebooks.fresh_emulator import REGION
from tests.notebooks.iam_coverage import LEARNER

TEMPLATE = Path(__file__).resolve().parents[2] / "setup" / "workshop-stack.yaml"
WORKSPACE_ID = "wks_workshop0001"  # the emulated Segment workspace (emulator/segment/workspace.py)
OWNER_KEY = "AKIASTACKOWNER"  # the administrator who deploys the stack (the tests' own calls)


def owner_session() -> boto3.Session:
    """A session signed with OWNER_KEY, so a request log tells its calls from the learner's."""
    return boto3.Session(
        aws_access_key_id=OWNER_KEY, aws_secret_access_key="owner", region_name=REGION
    )


def deploy(owner: boto3.Session, stack: str, prefix: str) -> tuple[dict[str, str], str]:
    """Create the stack `stack` with the parameter Prefix=`prefix`, wait for CREATE_COMPLETE;
    return its outputs (key -> value) and its StackId."""
    cfn = owner.client("cloudformation")
    cfn.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": "Prefix", "ParameterValue": prefix},
            {"ParameterKey": "SegmentWorkspaceId", "ParameterValue": WORKSPACE_ID},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    return outputs, described["StackId"]


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def stack_roles(outputs: dict[str, str]) -> dict[str, str]:
    """Logical id -> ARN of the stack's roles (GlueJobRoleArn -> GlueJobRole)."""
    return {key.removesuffix("Arn"): arn for key, arn in outputs.items() if key.endswith("RoleArn")}


def _document(value) -> dict:
    """A policy document as IAM answers it: a dict (botocore decoded it) or URL-encoded JSON."""
    if isinstance(value, dict):
        return value
    return json.loads(unquote(value))


def deployed_policies(owner: boto3.Session, outputs: dict[str, str]) -> dict[str, list[dict]]:
    """The policies as the deployed stack holds them: LearnerPolicy's default version (under
    iam_coverage.LEARNER), and each role's inline policies (under its logical id)."""
    iam = owner.client("iam")
    arn = outputs["LearnerPolicyArn"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    learner = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    policies = {LEARNER: [_document(learner["Document"])]}
    for name, role_arn in stack_roles(outputs).items():
        role = role_name(role_arn)
        policies[name] = [
            _document(iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"])
            for p in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
    return policies
