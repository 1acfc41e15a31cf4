"""The dispatcher names service and operation of real botocore requests correctly."""

from __future__ import annotations

from urllib.parse import urlsplit

import boto3
import pytest
from werkzeug.test import EnvironBuilder

from workshop_lib.emulator.aws_request import AwsRequest


class Captured(Exception):
    pass


def environ_for(service: str, method: str, **kwargs) -> dict:
    """The WSGI environ of the request botocore would send (nothing is sent)."""
    client = boto3.client(
        service,
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    seen = {}

    def grab(request, **_):
        seen["request"] = request
        raise Captured

    client.meta.events.register("before-send", grab)
    with pytest.raises(Captured):
        getattr(client, method)(**kwargs)
    request = seen["request"]
    url = urlsplit(request.url)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    body = (
        request.body if isinstance(request.body, bytes | str | type(None)) else request.body.read()
    )
    return EnvironBuilder(
        method=request.method, path=url.path, query_string=url.query, headers=headers, data=body
    ).get_environ()


CASES = [
    ("s3", "put_object", {"Bucket": "bkt", "Key": "a/b.json.gz", "Body": b"x"}, "s3", "PutObject"),
    ("s3", "list_objects_v2", {"Bucket": "bkt", "Prefix": "a/"}, "s3", "ListObjectsV2"),
    (
        "s3",
        "create_bucket",
        {"Bucket": "bkt", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
        "s3",
        "CreateBucket",
    ),
    (
        "iam",
        "create_role",
        {"RoleName": "r", "AssumeRolePolicyDocument": "{}"},
        "iam",
        "CreateRole",
    ),
    ("sts", "get_caller_identity", {}, "sts", "GetCallerIdentity"),
    ("glue", "create_database", {"DatabaseInput": {"Name": "db"}}, "glue", "CreateDatabase"),
    (
        "athena",
        "start_query_execution",
        {"QueryString": "SELECT 1"},
        "athena",
        "StartQueryExecution",
    ),
    ("logs", "describe_log_groups", {}, "logs", "DescribeLogGroups"),
    ("lambda", "invoke", {"FunctionName": "fn", "Payload": b"{}"}, "lambda", "Invoke"),
    ("apigateway", "create_rest_api", {"name": "api"}, "apigateway", "CreateRestApi"),
    (
        "apigatewayv2",
        "create_api",
        {"Name": "api", "ProtocolType": "HTTP"},
        "apigatewayv2",
        "CreateApi",
    ),
    ("cloudformation", "list_stacks", {}, "cloudformation", "ListStacks"),
    ("personalize", "create_dataset_group", {"name": "dg"}, "personalize", "CreateDatasetGroup"),
    (
        "personalize-runtime",
        "get_recommendations",
        {"campaignArn": "arn:aws:personalize:eu-west-1:123456789012:campaign/c", "userId": "u"},
        "personalize-runtime",
        "GetRecommendations",
    ),
    (
        "personalize-events",
        "put_events",
        {"trackingId": "t", "sessionId": "s", "eventList": [{"eventType": "e", "sentAt": 1}]},
        "personalize-events",
        "PutEvents",
    ),
]


@pytest.mark.parametrize(
    ("client", "method", "kwargs", "service", "operation"),
    CASES,
    ids=[f"{c[0]}.{c[1]}" for c in CASES],
)
def test_service_operation_and_region(client, method, kwargs, service, operation):
    request = AwsRequest(environ_for(client, method, **kwargs))
    assert (request.service, request.operation, request.region) == (service, operation, "eu-west-1")


def test_query_protocol_body_is_put_back_for_moto():
    environ = environ_for("iam", "create_role", RoleName="r", AssumeRolePolicyDocument="{}")
    length = int(environ["CONTENT_LENGTH"])
    assert AwsRequest(environ).operation == "CreateRole"
    assert b"RoleName=r" in environ["wsgi.input"].read(length)


def test_presigned_s3_url_is_recognised():
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}))
    request = AwsRequest(EnvironBuilder(path=url.path, query_string=url.query).get_environ())
    assert (request.service, request.operation) == ("s3", "GetObject")
