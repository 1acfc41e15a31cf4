"""Malformed requests to every route the kit uses get a 4xx with a message, never a 5xx, and
leave the emulator healthy.

Each example takes a valid request of one route (S3, Athena in both protocols, Glue, Lambda,
API Gateway v2, Personalize control/runtime/events, IAM/STS, the Segment endpoints) and breaks
it: a body that is not JSON/XML, a member of the wrong type, an oversized value, a truncated
body. Bounded (max_examples) so it runs in seconds; hypothesis prints the failing request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BUCKET = "fuzz-bucket"
JSON_11 = "application/x-amz-json-1.1"


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


@dataclass(frozen=True)
class Target:
    """One route with a valid request of it, to be broken."""

    name: str
    method: str
    path: str
    body: dict | str | None = None  # JSON members, or an XML/form text
    service: str | None = None  # SigV4 signing name; None: no AWS signature (Segment)
    target: str | None = None  # X-Amz-Target of the JSON protocol
    headers: dict = field(default_factory=dict)


def _json(name, service, target, body) -> Target:
    return Target(name, "POST", "/", body, service, target)


TARGETS = [
    # S3 (rest-xml)
    Target("s3.PutObject", "PUT", f"/{BUCKET}/k", "hello", "s3"),
    Target(
        "s3.DeleteObjects",
        "POST",
        f"/{BUCKET}?delete",
        "<Delete><Object><Key>k</Key></Object></Delete>",
        "s3",
    ),
    Target("s3.PutBucketPolicy", "PUT", f"/{BUCKET}?policy", '{"Version":"2012-10-17"}', "s3"),
    Target(
        "s3.PutBucketTagging", "PUT", f"/{BUCKET}?tagging", "<Tagging><TagSet/></Tagging>", "s3"
    ),
    # Athena: JSON protocol and rest-json
    _json(
        "athena.StartQueryExecution",
        "athena",
        "AmazonAthena.StartQueryExecution",
        {"QueryString": "SELECT 1", "ResultConfiguration": {"OutputLocation": "s3://b/r/"}},
    ),
    _json(
        "athena.GetQueryResults",
        "athena",
        "AmazonAthena.GetQueryResults",
        {"QueryExecutionId": "x", "MaxResults": 10},
    ),
    _json("athena.CreateWorkGroup", "athena", "AmazonAthena.CreateWorkGroup", {"Name": "wg"}),
    Target(
        "athena(rest).StartQueryExecution",
        "POST",
        "/query-executions",
        {"QueryString": "SELECT 1", "WorkGroup": "primary"},
        "athena",
    ),
    Target(
        "athena(rest).ListQueryExecutions", "GET", "/query-executions?MaxResults=5", None, "athena"
    ),
    # Glue (JSON; catalog in moto, jobs in a provider)
    _json(
        "glue.CreateDatabase", "glue", "AWSGlue.CreateDatabase", {"DatabaseInput": {"Name": "d"}}
    ),
    _json(
        "glue.CreateTable",
        "glue",
        "AWSGlue.CreateTable",
        {"DatabaseName": "d", "TableInput": {"Name": "t"}},
    ),
    _json("glue.StartJobRun", "glue", "AWSGlue.StartJobRun", {"JobName": "j"}),
    _json(
        "glue.CreateJob",
        "glue",
        "AWSGlue.CreateJob",
        {"Name": "j", "Role": "r", "Command": {"Name": "glueetl"}},
    ),
    # Lambda (rest-json)
    Target(
        "lambda.CreateFunction",
        "POST",
        "/2015-03-31/functions",
        {
            "FunctionName": "f",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Runtime": "python3.12",
            "Handler": "h.h",
            "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
        },
        "lambda",
    ),
    Target("lambda.Invoke", "POST", "/2015-03-31/functions/f/invocations", {"a": 1}, "lambda"),
    Target(
        "lambda.AddPermission",
        "POST",
        "/2015-03-31/functions/f/policy",
        {
            "StatementId": "s",
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
        },
        "lambda",
    ),
    # API Gateway v2 (rest-json) and the invoke URL
    Target(
        "apigatewayv2.CreateApi",
        "POST",
        "/v2/apis",
        {"name": "a", "protocolType": "HTTP"},
        "apigateway",
    ),
    Target(
        "apigatewayv2.CreateRoute",
        "POST",
        "/v2/apis/abc/routes",
        {"routeKey": "GET /x"},
        "apigateway",
    ),
    Target("apigateway.invoke", "POST", "/_aws/execute-api/abc/$default/x", {"a": 1}),
    # Personalize control (JSON), runtime and events (rest-json)
    _json(
        "personalize.CreateDatasetGroup",
        "personalize",
        "AmazonPersonalize.CreateDatasetGroup",
        {"name": "g"},
    ),
    _json(
        "personalize.CreateSchema",
        "personalize",
        "AmazonPersonalize.CreateSchema",
        {"name": "s", "schema": "{}"},
    ),
    _json(
        "personalize.CreateSolution",
        "personalize",
        "AmazonPersonalize.CreateSolution",
        {"name": "s", "datasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:x/g"},
    ),
    _json(
        "personalize.CreateCampaign",
        "personalize",
        "AmazonPersonalize.CreateCampaign",
        {"name": "c", "solutionVersionArn": "arn:x", "minProvisionedTPS": 1},
    ),
    Target(
        "personalize-runtime.GetRecommendations",
        "POST",
        "/recommendations",
        {"campaignArn": "arn:x", "userId": "u", "numResults": 5},
        "personalize",
    ),
    Target(
        "personalize-runtime.GetPersonalizedRanking",
        "POST",
        "/personalize-ranking",
        {"campaignArn": "arn:x", "userId": "u", "inputList": ["a"]},
        "personalize",
    ),
    Target(
        "personalize-events.PutEvents",
        "POST",
        "/events",
        {
            "trackingId": "t",
            "sessionId": "s",
            "eventList": [{"eventType": "click", "sentAt": 1700000000, "itemId": "i"}],
        },
        "personalize",
    ),
    Target(
        "personalize-events.PutItems",
        "POST",
        "/items",
        {"datasetArn": "arn:x", "items": [{"itemId": "i"}]},
        "personalize",
    ),
    # IAM, STS (query)
    Target(
        "iam.CreateRole",
        "POST",
        "/",
        "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D",
        "iam",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Target(
        "sts.GetCallerIdentity",
        "POST",
        "/",
        "Action=GetCallerIdentity&Version=2011-06-15",
        "sts",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    # Segment: Tracking API, admin, Profile API
    Target(
        "segment.track",
        "POST",
        "/_segment/v1/track",
        {"writeKey": "k", "userId": "u", "event": "e", "properties": {"sku": "1"}},
    ),
    Target(
        "segment.batch",
        "POST",
        "/_segment/v1/batch",
        {"writeKey": "k", "batch": [{"type": "track", "userId": "u", "event": "e"}]},
    ),
    Target("segment.admin.sources", "POST", "/_segment/admin/sources", {"name": "s"}),
    Target(
        "segment.profiles",
        "GET",
        "/_segment/profiles/spaces/s/collections/users/profiles/user_id:u/traits",
        None,
    ),
]

# Values of the wrong type or size for any member
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.just("x" * 300_000),  # oversized
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@st.composite
def broken_requests(draw):
    target = draw(st.sampled_from(TARGETS))
    how = draw(st.sampled_from(["member", "member", "body-bytes", "truncated", "not-an-object"]))
    body = target.body
    if how == "member" and isinstance(body, dict):
        members = draw(st.lists(st.sampled_from([*sorted(body), "Extra"]), min_size=1, max_size=3))
        body = dict(body)
        for member in members:
            body[member] = draw(ODD_VALUES)
        data = json.dumps(body).encode()
    elif how == "not-an-object":
        data = json.dumps(draw(ODD_VALUES)).encode()
    else:
        text = body if isinstance(body, str) else json.dumps(body or {})
        data = text.encode()
        if how == "truncated":
            data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
        else:
            data = draw(st.binary(max_size=64))
    return target, data


def _send(url: str, target: Target, data: bytes) -> requests.Response:
    headers = dict(target.headers)
    if target.service:
        headers["Authorization"] = _auth(target.service)
    if target.target:
        headers["X-Amz-Target"] = target.target
        headers.setdefault("Content-Type", JSON_11)
    headers.setdefault("Content-Type", "application/json")
    if target.path.startswith("/_segment/v1/"):
        headers["Authorization"] = "Basic azo="  # write key "k"
    method = target.method if data or target.method != "GET" else "GET"
    return requests.request(method, url + target.path, data=data, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def url(emulator):
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket=BUCKET)
    return emulator.url


def test_every_target_is_valid_as_given(url):
    """The unbroken requests are understood (not an unknown operation), so breaking them tests
    the operations' input handling."""
    for target in TARGETS:
        body = target.body if isinstance(target.body, str) else json.dumps(target.body or {})
        response = _send(url, target, body.encode() if target.body is not None else b"")
        assert response.status_code < 500, (target.name, response.status_code, response.text)
        assert "UnknownOperation" not in response.text, target.name


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    database=None,  # so nothing to keep between runs (no .hypothesis folder)
)
@given(request=broken_requests())
def test_malformed_requests_get_a_4xx_with_a_message(url, request):
    target, data = request
    response = _send(url, target, data)
    assert response.status_code < 500, (target.name, data[:200], response.text[:500])
    if response.status_code >= 400:
        assert response.text.strip(), (target.name, "an error without a message")


def test_the_emulator_is_healthy_afterwards(url):
    health = requests.get(f"{url}/_emulator/health", timeout=10)
    assert health.json()["status"] == "ok"
    put = requests.put(
        f"{url}/{BUCKET}/after-fuzz", data=b"ok", headers={"Authorization": _auth("s3")}
    )
    assert put.status_code == 200
    got = requests.get(f"{url}/{BUCKET}/after-fuzz", headers={"Authorization": _auth("s3")})
    assert got.content == b"ok"
