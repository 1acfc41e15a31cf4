"""The CloudFormation stack of setup/workshop-stack.yaml, read once by connect().

The stack owns the bucket and the roles; its outputs name them, so no ARN is ever copied by
hand. Output names are fixed by the template; ROLE_OUTPUTS maps them to the role keys the
exercises ask for (the same suffixes the kit uses when it creates a role itself).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from .settings import WorkshopConfigError

ROLE_OUTPUTS = {
    "GlueJobRoleArn": "glue-job",
    "PersonalizeRoleArn": "personalize-s3",
    "RecommendationsApiRoleArn": "recommendations-api",
    "SegmentDestinationRoleArn": "segment-destination",
    "SegmentInvokeRoleArn": "segment-invoke",
    "SegmentS3RoleArn": "segment-s3",
}
# A stack in one of these states has its outputs in place (an update rolled back keeps them).
USABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
ROLE_PATH = "/workshop-stack/"  # the template's roles live here; cleanup leaves them alone


@dataclass(frozen=True)
class StackInfo:
    """What connect() takes from the stack: its outputs and the parameters it was given."""

    name: str
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> dict[str, str]:
        return {key: self.outputs[o] for o, key in ROLE_OUTPUTS.items() if self.outputs.get(o)}


def read(cloudformation: Any, name: str) -> StackInfo:
    """Describe the stack; a missing or unfinished stack is one readable error."""
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        message = exc.response["Error"].get("Message", "")
        if "does not exist" in message:
            region = cloudformation.meta.region_name
            raise WorkshopConfigError(
                f"There is no CloudFormation stack {name!r} in {region}. Deploy "
                "setup/workshop-stack.yaml first (see setup/README.md), or check the region "
                "and the stack name (parameter `stack`, or $WORKSHOP_STACK)."
            ) from None
        raise
    stack = stacks[0]
    status = stack["StackStatus"]
    if status not in USABLE:
        raise WorkshopConfigError(
            f"The stack {name!r} is {status}; its outputs can be used once it is "
            "CREATE_COMPLETE or UPDATE_COMPLETE. Its Events tab in the CloudFormation console "
            "says what failed."
        )
    return StackInfo(
        name=name,
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        parameters={p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
    )


def delete(cloudformation: Any, name: str, timeout: float = 1800, poll: float = 5.0) -> str:
    """Delete the stack and wait until it is gone; a failure names the resource and reason."""
    try:
        stack_id = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    except ClientError as exc:
        if "does not exist" in exc.response["Error"].get("Message", ""):
            return "already gone"
        raise
    cloudformation.delete_stack(StackName=name)
    attempts = max(1, int(timeout / poll))
    started = time.monotonic()
    try:
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack_id, WaiterConfig={"Delay": poll, "MaxAttempts": attempts}
        )
    except WaiterError:
        reason = _failure(cloudformation, stack_id)
        raise RuntimeError(f"Deleting the stack {name!r} failed: {reason}") from None
    return f"deleted in {time.monotonic() - started:.0f} s"


def _failure(cloudformation: Any, stack_id: str) -> str:
    """The first DELETE_FAILED event's resource and reason (e.g. a bucket that is not empty)."""
    events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
    for event in events:
        if event.get("ResourceStatus") == "DELETE_FAILED" and event["LogicalResourceId"] != (
            event.get("StackName")
        ):
            return f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
    return "see the stack's Events tab in the CloudFormation console"
