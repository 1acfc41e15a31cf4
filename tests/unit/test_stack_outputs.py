"""The aws target with the setup/ stack, without any network (botocore Stubber): connect()
reads the stack's outputs, cleanup's tag search and stack delete, and how tags are shaped."""

from __future__ import annotations

import os
from dataclasses import replace

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import workshop_lib
from workshop_lib import cleanup, stack, tagging
from workshop_lib import connection as connect_module
from workshop_lib.connection import Workshop

ACCOUNT = "210987654321"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/workshop-stack/ws-GlueJobRole-ABC"


@pytest.fixture
def aws(monkeypatch):
    """connect(target="aws") with stubbed STS; restores os.environ after the test."""
    saved = dict(os.environ)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    def fake_sts(session):
        client = session.client("sts")
        stubber = Stubber(client)
        identity = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/a", "UserId": "A"}
        stubber.add_response("get_caller_identity", identity)
        stubber.activate()
        return client

    monkeypatch.setattr(connect_module, "_sts_client", fake_sts)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(saved)
    boto3.DEFAULT_SESSION = None


def _stack_answer(status="CREATE_COMPLETE", outputs=None):
    return {
        "Stacks": [
            {
                "StackName": "ws",
                "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ws/1",
                "CreationTime": "2026-11-28T00:00:00Z",
                "StackStatus": status,
                "Parameters": [{"ParameterKey": "SegmentWorkspaceId", "ParameterValue": "w1"}],
                "Outputs": outputs
                if outputs is not None
                else [
                    {"OutputKey": "Region", "OutputValue": REGION},
                    {"OutputKey": "Prefix", "OutputValue": "class-7"},
                    {"OutputKey": "BucketName", "OutputValue": "class-7-bkt"},
                    {"OutputKey": "GlueJobRoleArn", "OutputValue": ROLE},
                    {"OutputKey": "LearnerPolicyArn", "OutputValue": "arn:aws:iam::1:policy/p"},
                ],
            }
        ]
    }


def _stub_stack(monkeypatch, respond):
    def fake(region):
        client = boto3.client("cloudformation", region_name=region)
        stubber = Stubber(client)
        respond(stubber)
        stubber.activate()
        return client

    monkeypatch.setattr(connect_module, "_cloudformation_client", fake)


def test_connect_reads_prefix_bucket_and_roles_from_the_outputs(aws):
    _stub_stack(
        aws, lambda s: s.add_response("describe_stacks", _stack_answer(), {"StackName": "ws"})
    )
    ws = workshop_lib.connect(target="aws", region=REGION, stack="ws")
    assert (ws.prefix, ws.bucket, ws.stack) == ("class-7", "class-7-bkt", "ws")
    assert ws.roles == {"glue-job": ROLE}
    assert ws.tags == {"Project": "segment-personalize-workshop", "WorkshopPrefix": "class-7"}


def test_the_stack_wins_over_the_environment_but_not_over_an_argument(aws):
    aws.setenv("WORKSHOP_PREFIX", "stale")
    aws.setenv("WORKSHOP_STACK", "ws")
    _stub_stack(aws, lambda s: s.add_response("describe_stacks", _stack_answer()))
    assert workshop_lib.connect(target="aws", region=REGION).prefix == "class-7"
    _stub_stack(aws, lambda s: s.add_response("describe_stacks", _stack_answer()))
    with pytest.raises(workshop_lib.WorkshopConfigError, match="prefix='mine' contradicts"):
        workshop_lib.connect(target="aws", region=REGION, prefix="mine")


def test_a_stack_without_outputs_falls_back_to_arguments(aws):
    _stub_stack(aws, lambda s: s.add_response("describe_stacks", _stack_answer(outputs=[])))
    ws = workshop_lib.connect(target="aws", region=REGION, stack="ws", prefix="own")
    assert ws.prefix == "own" and ws.roles == {}
    assert ws.bucket == f"own-personalize-{ACCOUNT}-{REGION}"


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (
            lambda s: s.add_client_error(
                "describe_stacks", "ValidationError", "Stack with id ws does not exist"
            ),
            "There is no CloudFormation stack 'ws' in eu-west-1. Deploy setup/workshop-stack.yaml",
        ),
        (
            lambda s: s.add_response("describe_stacks", _stack_answer("ROLLBACK_COMPLETE")),
            "The stack 'ws' is ROLLBACK_COMPLETE",
        ),
        (
            lambda s: s.add_response("describe_stacks", _stack_answer("CREATE_IN_PROGRESS")),
            "is CREATE_IN_PROGRESS; its outputs can be used once",
        ),
    ],
)
def test_an_unusable_stack_is_one_readable_error(aws, respond, message):
    _stub_stack(aws, respond)
    with pytest.raises(workshop_lib.WorkshopConfigError, match=message):
        workshop_lib.connect(target="aws", region=REGION, stack="ws")


def test_a_bad_stack_name_is_refused_before_any_call(aws):
    with pytest.raises(workshop_lib.WorkshopConfigError, match="not a CloudFormation stack name"):
        workshop_lib.connect(target="aws", region=REGION, stack="my_stack")


def _client(service):
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    )


def test_stack_delete_failure_names_the_resource_and_reason():
    cfn = _client("cloudformation")
    stubber = Stubber(cfn)
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ws/1"
    stubber.add_response("describe_stacks", _stack_answer())
    stubber.add_response("delete_stack", {})
    stubber.add_response("describe_stacks", _stack_answer("DELETE_FAILED"))
    event = {
        "StackId": stack_id,
        "EventId": "e",
        "StackName": "ws",
        "LogicalResourceId": "DataBucket",
        "Timestamp": "2026-11-28T00:00:00Z",
        "ResourceStatus": "DELETE_FAILED",
        "ResourceStatusReason": "The bucket you tried to delete is not empty",
    }
    stubber.add_response("describe_stack_events", {"StackEvents": [event]})
    with stubber, pytest.raises(RuntimeError, match="DataBucket: The bucket you tried to delete"):
        stack.delete(cfn, "ws", timeout=0.01, poll=0.01)


def test_tagged_lists_what_still_carries_the_prefix_outside_the_stack(monkeypatch):
    ws = Workshop("aws", REGION, ACCOUNT, "me", "class-7", "class-7-bkt")
    tagging_api = _client("resourcegroupstaggingapi")
    stubber = Stubber(tagging_api)
    left = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:class-7-segment-destination"
    owned = "arn:aws:s3:::class-7-bkt"
    stubber.add_response(
        "get_resources",
        {
            "ResourceTagMappingList": [
                {"ResourceARN": left, "Tags": [{"Key": "WorkshopPrefix", "Value": "class-7"}]},
                {
                    "ResourceARN": owned,
                    "Tags": [{"Key": "aws:cloudformation:stack-name", "Value": "ws"}],
                },
            ]
        },
        {"TagFilters": [{"Key": "WorkshopPrefix", "Values": ["class-7"]}]},
    )
    stubber.activate()
    monkeypatch.setattr(Workshop, "client", lambda self, service: tagging_api)
    assert cleanup.tagged(ws) == [left]
    local = Workshop("local", REGION, ACCOUNT, "me", "class-7", "class-7-bkt")
    assert cleanup.tagged(local) == []  # the local target has no tagging index


@pytest.mark.parametrize(
    ("service", "operation", "member", "expected"),
    [
        ("personalize", "CreateCampaign", "tags", [{"tagKey": "k", "tagValue": "v"}]),
        ("iam", "CreateRole", "Tags", [{"Key": "k", "Value": "v"}]),
        ("lambda", "CreateFunction", "Tags", {"k": "v"}),
        ("glue", "CreateJob", "Tags", {"k": "v"}),
        ("apigatewayv2", "CreateApi", "Tags", {"k": "v"}),
    ],
)
def test_tags_take_the_shape_each_api_wants(service, operation, member, expected):
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape.members[member]
    assert tagging.shaped(shape, {"k": "v"}) == expected


def test_notebook_01_names_the_stacks_role_for_segments_s3_destination(capsys):
    """Notebook 01's Segment cell on the aws target prints the settings to type into Segment's
    app, with the stack's SegmentS3Role; the markdown above it says where that role comes from."""
    import json

    import nbformat

    from workshop_lib.paths import NOTEBOOKS_DIR

    nb = nbformat.read(NOTEBOOKS_DIR / "01_segment_s3_athena_glue.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "s3_destination = {" in c.source)
    role = f"arn:aws:iam::{ACCOUNT}:role/workshop-stack/ws-SegmentS3Role-X"
    ws = Workshop("aws", REGION, ACCOUNT, "me", "class-7", "class-7-bkt", stack="ws")
    exec(nb.cells[index].source, {"ws": replace(ws, roles={"segment-s3": role}), "json": json})
    shown = capsys.readouterr().out.split(": ", 1)[1]
    assert json.loads(shown) == {"bucket": "class-7-bkt", "region": REGION, "iamRoleArn": role}
    assert "SegmentS3RoleArn" in nb.cells[index - 1].source


def test_report_says_when_the_tag_search_is_refused(monkeypatch):
    ws = Workshop("aws", REGION, ACCOUNT, "me", "class-7", "class-7-bkt")
    monkeypatch.setattr(cleanup, "everything", lambda ws, dry_run=False: [])

    def refused(ws):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetResources")

    monkeypatch.setattr(cleanup, "tagged", refused)
    text = cleanup.report(ws)
    assert "Nothing the kit created is left on the aws target." in text
    assert "The search by tag was refused (AccessDenied); the search by name ran." in text


def test_a_prefix_agreeing_with_the_stack_up_to_case_is_fine(aws):
    _stub_stack(aws, lambda s: s.add_response("describe_stacks", _stack_answer()))
    assert workshop_lib.connect(
        target="aws", region=REGION, stack="ws", prefix="Class-7"
    ).prefix == ("class-7")
