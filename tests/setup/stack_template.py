"""The workshop's CloudFormation template as the setup tests read it.

cfn-lint's decoder loads the YAML with its short forms (!Sub, !Ref, !GetAtt ...) as the long
JSON forms CloudFormation sees, so the tests look at exactly what CloudFormation would get.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "setup" / "workshop-stack.yaml"
LIFECYCLE_SCRIPT = ROOT / "setup" / "sagemaker-lifecycle.sh"

# connect() reads these outputs (the stack contract of issue 11); the values say which exist
# only under a condition
CONTRACT_OUTPUTS = {
    "Region": None,
    "Prefix": None,
    "BucketName": None,
    "GlueJobRoleArn": None,
    "PersonalizeRoleArn": None,
    "RecommendationsApiRoleArn": None,
    "SegmentDestinationRoleArn": None,
    "SegmentInvokeRoleArn": "HasSegmentWorkspace",
    "SegmentS3RoleArn": "HasSegmentWorkspace",
    "LearnerPolicyArn": None,
    "NotebookInstanceName": "CreateNotebook",
}


@cache
def template() -> dict:
    from cfnlint.decode import decode

    loaded, problems = decode(str(TEMPLATE))
    assert not problems, [str(p) for p in problems]
    return loaded


def resources(kind: str | None = None) -> dict[str, dict]:
    return {
        name: body
        for name, body in template()["Resources"].items()
        if kind is None or body["Type"] == kind
    }


def embedded_lifecycle_script() -> str:
    """The OnStart text in the template, as written before Fn::Sub fills in the parameters."""
    on_start = resources()["NotebookLifecycle"]["Properties"]["OnStart"]
    return str(on_start[0]["Content"]["Fn::Base64"]["Fn::Sub"])


def render(value: Any) -> list[str]:
    """An intrinsic as readable text, e.g. {"Fn::GetAtt": ["DataBucket", "Arn"]} ->
    "${DataBucket.Arn}"; Fn::If gives both branches."""
    if isinstance(value, str):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in render(item)]
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), *_ = value.items()
        if function == "Ref":
            return [f"${{{argument}}}"]
        if function == "Fn::GetAtt":
            return [f"${{{'.'.join(argument)}}}"]
        if function == "Fn::Sub":
            return [str(argument[0] if isinstance(argument, list) else argument)]
        if function == "Fn::If":
            return render(argument[1]) + render(argument[2])
        if function == "Fn::Join":
            return [str(argument[0]).join(t for part in argument[1] for t in render(part))]
    return [repr(value)]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One statement of one policy document, and where it stands in the template."""

    resource: str  # logical id of the role, policy or bucket policy
    document: str  # "trust", the inline policy's name, or "policy"
    index: int
    body: dict

    @property
    def sid(self) -> str:
        return str(self.body.get("Sid", f"#{self.index}"))

    @property
    def where(self) -> str:
        return f"{self.resource}/{self.document}/{self.sid}"

    @property
    def allows(self) -> bool:
        return self.body.get("Effect") == "Allow"

    def values(self, key: str) -> list[str]:
        return [text for item in as_list(self.body.get(key, [])) for text in render(item)]


def documents() -> Iterator[tuple[str, str, dict]]:
    """(logical id, label, policy document) for every policy document of the template."""
    for name, body in resources().items():
        props = body.get("Properties", {})
        if body["Type"] == "AWS::IAM::Role":
            yield name, "trust", props["AssumeRolePolicyDocument"]
            for policy in props.get("Policies", []):
                yield name, str(policy["PolicyName"]), policy["PolicyDocument"]
        elif body["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            yield name, "policy", props["PolicyDocument"]
        elif body["Type"] == "AWS::S3::BucketPolicy":
            yield name, "bucket policy", props["PolicyDocument"]


def statements() -> list[Statement]:
    return [
        Statement(name, label, index, statement)
        for name, label, document in documents()
        for index, statement in enumerate(as_list(document["Statement"]))
    ]
