"""One call per service the kit uses, through the boto3 this venv has, as a notebook makes it:
a change of protocol, URI or error shape in a newer botocore fails here first."""

from __future__ import annotations

import io
import json
import time
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.test_personalize_support import (
    campaign_for,
    group_with_data,
    trained_version,
    unique,
    wait,
)
from workshop_lib.emulator.personalize.synthetic import generate

BUCKET = "compat-bucket"
ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def test_s3_put_get_list_delete(aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="a/b.json", Body=b'{"x": 1}')
    assert s3.get_object(Bucket=BUCKET, Key="a/b.json")["Body"].read() == b'{"x": 1}'
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="a/")["Contents"]] == [
        "a/b.json"
    ]
    deleted = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "a/b.json"}]})
    assert deleted["Deleted"][0]["Key"] == "a/b.json"


def test_iam_and_sts(aws_env):
    iam = boto3.client("iam")
    name = unique("compat-role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == arn
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_glue_catalog(aws_env):
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "compat_db"})
    assert glue.get_database(Name="compat_db")["Database"]["Name"] == "compat_db"
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName="compat_db", Name="missing")


def test_lambda_function_and_invoke(aws_env):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=unique("compat-fn"), AssumeRolePolicyDocument=ROLE_POLICY)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'got': event}\n")
    functions = boto3.client("lambda")
    name = unique("compat-fn")
    functions.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    answer = functions.invoke(FunctionName=name, Payload=json.dumps({"a": 1}))
    assert json.loads(answer["Payload"].read()) == {"got": {"a": 1}}
    functions.delete_function(FunctionName=name)


def test_apigatewayv2(aws_env):
    apis = boto3.client("apigatewayv2")
    api = apis.create_api(Name=unique("compat-api"), ProtocolType="HTTP")
    route = apis.create_route(ApiId=api["ApiId"], RouteKey="GET /items")
    assert route["RouteKey"] == "GET /items"
    with pytest.raises(apis.exceptions.ConflictException):
        apis.create_route(ApiId=api["ApiId"], RouteKey="GET /items")
    apis.delete_api(ApiId=api["ApiId"])


def test_logs(aws_env):
    logs = boto3.client("logs")
    group = unique("/compat/logs")
    logs.create_log_group(logGroupName=group)
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in found] == [group]


def test_cloudformation(aws_env):
    cloudformation = boto3.client("cloudformation")
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    name = unique("compat-stack")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    cloudformation.delete_stack(StackName=name)


def test_athena_query_and_error(aws_env):
    athena = boto3.client("athena")
    boto3.client("s3").create_bucket(Bucket="compat-athena")
    query_id = athena.start_query_execution(
        QueryString="SELECT 41 + 1 AS answer",
        ResultConfiguration={"OutputLocation": "s3://compat-athena/results/"},
    )["QueryExecutionId"]
    for _ in range(400):
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if state["Status"]["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert state["Status"]["State"] == "SUCCEEDED", state["Status"]
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "42"
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_execution(QueryExecutionId="no-such-query")


def test_personalize_control_runtime_and_events(aws_env):
    personalize = boto3.client("personalize")
    interactions, items = generate(n_users=250, n_items=150, seed=5)  # >= 1000 interactions
    arns = group_with_data(personalize, interactions, items)
    tracker = personalize.create_event_tracker(
        name=unique("compat-tracker"), datasetGroupArn=arns["group"]
    )
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        "eventTracker",
    )
    _, version = trained_version(personalize, arns["group"], "aws-user-personalization")
    campaign = campaign_for(personalize, version)
    user = str(interactions["USER_ID"].iloc[0])
    runtime = boto3.client("personalize-runtime")
    items_before = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=5)
    assert len(items_before["itemList"]) == 5
    boto3.client("personalize-events").put_events(
        trackingId=tracker["trackingId"],
        userId=user,
        sessionId="s1",
        eventList=[{"eventType": "click", "itemId": str(items["ITEM_ID"].iloc[0]), "sentAt": 1}],
    )
    with pytest.raises(ClientError) as err:
        runtime.get_recommendations(campaignArn=campaign + "-missing", userId=user)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
