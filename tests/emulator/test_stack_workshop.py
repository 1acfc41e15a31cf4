"""connect(stack=...) reads a deployed stack's outputs; the kit tags what it creates; cleanup
leaves the stack's roles and bucket to the stack, and --delete-stack removes the stack last.

Uses a small stand-in stack with the setup/ template's output names (the template itself is
deployed by test_stack_deploy.py), so these tests do not depend on every resource type of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os

import boto3
import nbformat
import pytest
from botocore.exceptions import ClientError

import workshop_lib
from workshop_lib import __main__ as cli
from workshop_lib import cleanup, exercise2, personalize
from workshop_lib.paths import NOTEBOOKS_DIR
from workshop_lib.settings import WorkshopConfigError
from workshop_lib.tagging import PREFIX_KEY, PROJECT, PROJECT_KEY

PREFIX = "stk"
STACK = "stk-stack"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
TEMPLATE = {
    "Resources": {
        "DataBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": {"Fn::Sub": "stk-${AWS::AccountId}-${AWS::Region}"}},
        },
        "PersonalizeRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "stk-stack-PersonalizeRole",  # the prefix, to prove cleanup skips it
                "Path": "/workshop-stack/",
                "AssumeRolePolicyDocument": TRUST,
            },
        },
    },
    "Outputs": {
        "Prefix": {"Value": PREFIX},
        "BucketName": {"Value": {"Ref": "DataBucket"}},
        "PersonalizeRoleArn": {"Value": {"Fn::GetAtt": ["PersonalizeRole", "Arn"]}},
    },
}


@pytest.fixture
def local(monkeypatch):
    """The shared local emulator, connected; connect() edits os.environ, so restore it."""
    saved = dict(os.environ)
    for name in ("WORKSHOP_PREFIX", "WORKSHOP_STACK"):
        monkeypatch.delenv(name, raising=False)
    yield workshop_lib.connect(target="local")
    os.environ.clear()
    os.environ.update(saved)
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def stack(local):
    """The stand-in stack, deployed; removed again (if a test left it) at the end."""
    cfn = local.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
    cfn.get_waiter("stack_create_complete").wait(
        StackName=STACK, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    yield cfn
    with contextlib.suppress(ClientError):  # a test deleted it already
        cleanup.bucket(local.client("s3"), "stk-123456789012-us-east-1", keep=True)
        cfn.delete_stack(StackName=STACK)


def _bucket_cell(ws) -> str:
    """Notebook 01's bucket step, run as the learner runs it; returns what it printed."""
    nb = nbformat.read(NOTEBOOKS_DIR / "01_segment_s3_athena_glue.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if "s3.create_bucket(" in c.source)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(source, {"ws": ws})
    return printed.getvalue()


def _connect(stack_name=STACK, **kwargs):
    return workshop_lib.connect(target="local", stack=stack_name, **kwargs)


def test_connect_takes_prefix_bucket_and_roles_from_the_stack(stack, capsys):
    ws = _connect()
    assert ws.stack == STACK and ws.prefix == PREFIX
    assert ws.bucket == "stk-123456789012-us-east-1"
    assert ws.roles == {
        "personalize-s3": "arn:aws:iam::123456789012:role/workshop-stack/stk-stack-PersonalizeRole"
    }
    assert "stack   stk-stack: the bucket and 1 roles" in ws.describe()
    # the exercises then use the stack's bucket and role, and write no IAM
    buckets = ws.client("s3").list_buckets()["Buckets"]
    assert _bucket_cell(ws) == f"s3://{ws.bucket}/ is ready\n"
    assert ws.client("s3").list_buckets()["Buckets"] == buckets  # found, none created
    assert ws.roles[exercise2.ROLE_SUFFIX] == ws.roles["personalize-s3"]  # notebook 02's key


def test_the_stack_also_comes_from_the_environment(stack, monkeypatch):
    monkeypatch.setenv("WORKSHOP_STACK", STACK)
    assert workshop_lib.connect(target="local").bucket == "stk-123456789012-us-east-1"


def test_an_argument_contradicting_the_stack_is_an_error(stack):
    with pytest.raises(WorkshopConfigError, match="prefix='other' contradicts the stack"):
        _connect(prefix="other")
    with pytest.raises(WorkshopConfigError, match="bucket='b-1' contradicts"):
        _connect(bucket="b-1")
    assert _connect(prefix=PREFIX).prefix == PREFIX  # agreeing is fine


def test_a_missing_stack_says_how_to_make_it(local):
    with pytest.raises(WorkshopConfigError, match="no CloudFormation stack 'nope' in us-east-1"):
        _connect("nope")


def test_create_calls_carry_the_workshop_tags(local):
    ws = workshop_lib.connect(target="local", prefix="tagged")
    wanted = {PROJECT_KEY: PROJECT, PREFIX_KEY: "tagged"}
    iam = ws.client("iam")
    iam.create_role(RoleName="tagged-r", AssumeRolePolicyDocument=json.dumps(TRUST))
    role_tags = iam.list_role_tags(RoleName="tagged-r")["Tags"]
    assert {t["Key"]: t["Value"] for t in role_tags} == wanted
    p = ws.client("personalize")
    group, _ = personalize.get_or_create(p, "dataset-group", name="tagged-dataset-group")
    group_tags = p.list_tags_for_resource(resourceArn=group)["tags"]
    assert {t["tagKey"]: t["tagValue"] for t in group_tags} == wanted
    glue = ws.client("glue")
    glue.create_job(Name="tagged-etl", Role="r", Command={"Name": "pythonshell"})
    arn = "arn:aws:glue:us-east-1:123456789012:job/tagged-etl"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == wanted
    api = ws.client("apigatewayv2").create_api(Name="tagged-api", ProtocolType="HTTP")
    assert api["Tags"] == wanted
    # explicit tags win over the defaults
    iam.create_role(
        RoleName="tagged-own",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": "mine", "Value": "1"}],
    )
    assert iam.list_role_tags(RoleName="tagged-own")["Tags"] == [{"Key": "mine", "Value": "1"}]
    for name in ("tagged-r", "tagged-own"):
        iam.delete_role(RoleName=name)
    glue.delete_job(JobName="tagged-etl")
    p.delete_dataset_group(datasetGroupArn=group)


def test_a_bucket_the_kit_creates_is_tagged(local):
    ws = workshop_lib.connect(target="local", prefix="tagbkt")
    assert _bucket_cell(ws) == f"s3://{ws.bucket}/ is ready\n"
    tag_set = ws.client("s3").get_bucket_tagging(Bucket=ws.bucket)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tag_set} == ws.tags
    cleanup.bucket(ws.client("s3"), ws.bucket)


def test_cleanup_leaves_the_stack_its_roles_and_only_empties_its_bucket(stack):
    ws = _connect()
    s3 = ws.client("s3")
    s3.put_object(Bucket=ws.bucket, Key="transformed/interactions.csv", Body=b"x")
    s3.put_object(Bucket=ws.bucket, Key="notes/mine.txt", Body=b"not the kit's")

    planned = [(r.kind, r.name, r.result) for r in cleanup.leftovers(ws)]
    assert not any(kind == "iam role" for kind, _, _ in planned)  # the stack's, all of them
    where = f"s3://{ws.bucket}/transformed/"
    assert ("s3 prefix", where, "would delete (1 objects)") in planned
    assert not any("PersonalizeRole" in name for _, name, _ in planned)

    cleanup.everything(ws)
    assert cleanup.leftovers(ws) == []
    s3.head_bucket(Bucket=ws.bucket)  # still there, for the stack to delete
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ws.bucket)["Contents"]]
    assert keys == ["notes/mine.txt"]  # only the kit's folders went
    ws.client("iam").get_role(RoleName="stk-stack-PersonalizeRole")
    advice = cleanup.advice(dataclasses.replace(ws, target="aws"), [])
    assert "python -m workshop_lib cleanup --target aws --stack stk-stack --delete-stack" in advice


def test_cli_delete_stack_removes_the_stack_after_the_rest(stack, capsys):
    ws = _connect()
    ws.client("s3").put_object(Bucket=ws.bucket, Key="segment-logs/a.gz", Body=b"x")
    ws.client("s3").put_object(Bucket=ws.bucket, Key="notes/mine.txt", Body=b"x")
    args = ["cleanup", "--stack", STACK, "--delete-stack"]

    assert cli.main([*args, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "cloudformation stack" in dry and "would delete" in dry
    stack.describe_stacks(StackName=STACK)  # a dry run deletes nothing

    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "cloudformation stack" in out and "deleted in" in out
    assert "(1 objects; stack's bucket)" in out  # emptied first, so the stack delete succeeds
    stacks = stack.list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == STACK)
    with pytest.raises(ClientError, match="Not Found"):
        ws.client("s3").head_bucket(Bucket=ws.bucket)


def test_cli_delete_stack_needs_a_stack(local, capsys):
    assert cli.main(["cleanup", "--delete-stack"]) == 1
    assert "--delete-stack needs --stack NAME" in capsys.readouterr().err
