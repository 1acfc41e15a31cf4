"""HTTP APIs (v2) and REST APIs (v1) call their Lambda proxy integrations as API Gateway does."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import boto3
import pytest
from compute_helpers import deploy, unique

ECHO = """
import base64, json

def handler(event, context):
    params = event.get("queryStringParameters") or {}
    mode = params.get("mode", "echo")
    if mode == "fail":
        raise RuntimeError("nope")
    if mode == "plain":
        return {"hello": "world"}
    if mode == "malformed":
        return {"statusCode": 200, "bodyy": "typo"}
    if mode == "binary":
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(b"\\x89PNG\\x00\\xff").decode(),
            "isBase64Encoded": True,
        }
    answer = {
        "statusCode": 201,
        "headers": {"X-Echo": "yes", "Content-Type": "application/json"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps(event),
    }
    if event.get("version") == "2.0":
        answer["cookies"] = ["c1=v1", "c2=v2"]
    return answer
"""

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def allow(function: str, api_id: str, pattern: str = "/*") -> None:
    boto3.client("lambda").add_permission(
        FunctionName=function,
        StatementId=unique("apigw"),
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}{pattern}",
    )


def function_arn(name: str) -> str:
    return boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def http_api_for(function: str, route_keys: list[str], stage: str, **integration) -> str:
    """An HTTP API whose routes all call `function` (Lambda proxy); returns its id."""
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name=unique("http"), ProtocolType="HTTP")["ApiId"]
    integration_id = client.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn(function),
        **{"PayloadFormatVersion": "2.0", **integration},
    )["IntegrationId"]
    for key in route_keys:
        client.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}")
    client.create_stage(ApiId=api_id, StageName=stage, StageVariables={"color": "blue"})
    return api_id


def put_proxy(client, api_id: str, resource: str, method: str, function: str, **extra) -> None:
    """A REST API method with a Lambda proxy integration to `function`."""
    client.put_method(
        restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE"
    )
    client.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=method,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn(function)}"
        "/invocations",
        **extra,
    )


def rest_root_api(function: str, stage: str, **extra) -> str:
    """A REST API whose root resource's GET calls `function`, deployed to `stage`."""
    client = boto3.client("apigateway")
    api_id = client.create_rest_api(name=unique("rest"))["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    put_proxy(client, api_id, root, "GET", function, **extra)
    client.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


@pytest.fixture(scope="module")
def echo(emulator):
    """The echo function, deployed once for the module (with aws_env's variables meanwhile)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", emulator.url)
        patch.setenv("AWS_ACCESS_KEY_ID", "test")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        boto3.setup_default_session()
        yield deploy(ECHO)
    boto3.DEFAULT_SESSION = None


@pytest.fixture(scope="module")
def http_api(echo, emulator):
    """An HTTP API with explicit routes on a `prod` stage."""
    routes = ["GET /items/{id}", "GET /items/special", "POST /items", "ANY /files/{proxy+}"]
    api_id = http_api_for(echo, routes, "prod")
    allow(echo, api_id, "/*/*")
    return f"{emulator.url}/_aws/execute-api/{api_id}/prod"


@pytest.fixture(scope="module")
def rest_api(echo, emulator):
    """A REST API: GET /items/{id} and ANY /{proxy+}, deployed to `prod`."""
    client = boto3.client("apigateway")
    api_id = client.create_rest_api(name=unique("rest"), binaryMediaTypes=["image/png"])["id"]
    root = next(
        r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/"
    )
    items = client.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = client.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    proxy = client.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    put_proxy(client, api_id, item, "GET", echo)
    put_proxy(client, api_id, proxy, "ANY", echo)
    client.create_deployment(restApiId=api_id, stageName="prod")
    allow(echo, api_id, "/*/*/*")
    return api_id, f"{emulator.url}/_aws/execute-api/{api_id}/prod"


def test_http_api_sends_a_2_0_event_and_maps_the_proxy_response(http_api):
    status, headers, body = call(
        f"{http_api}/items/42?x=1&x=2&y=",
        headers={"Cookie": "a=1; b=2", "X-Custom": "hi"},
    )
    assert status == 201
    assert headers["X-Echo"] == "yes" and headers.get_all("X-Multi") == ["a", "b"]
    assert headers.get_all("Set-Cookie") == ["c1=v1", "c2=v2"]
    assert headers["apigw-requestid"]
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/prod/items/42" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-custom"] == "hi" and "cookie" not in event["headers"]
    assert event["stageVariables"] == {"color": "blue"}
    context = event["requestContext"]
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/items/42"
    assert context["stage"] == "prod" and context["accountId"] == "123456789012"
    assert context["requestId"] == headers["apigw-requestid"]
    assert event["isBase64Encoded"] is False and "body" not in event


def test_http_api_route_selection(http_api):
    assert json.loads(call(f"{http_api}/items/special")[2])["routeKey"] == "GET /items/special"
    event = json.loads(call(f"{http_api}/files/a/b/c.txt", "DELETE")[2])
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    posted = json.loads(
        call(f"{http_api}/items", "POST", b'{"n": 1}', {"Content-Type": "application/json"})[2]
    )
    assert posted["body"] == '{"n": 1}' and posted["isBase64Encoded"] is False
    binary = json.loads(
        call(f"{http_api}/items", "POST", b"\x00\x01", {"Content-Type": "image/png"})[2]
    )
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\x00\x01"
    for method, path in (("DELETE", "/items/42"), ("GET", "/nothing"), ("GET", "/files")):
        status, _, body = call(f"{http_api}{path}", method)
        assert (status, json.loads(body)) == (404, {"message": "Not Found"}), path
    status, _, body = call(http_api.replace("/prod", "/nostage") + "/items/1")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_http_api_plain_returns_binary_bodies_and_errors(http_api):
    status, headers, body = call(f"{http_api}/items/1?mode=plain")
    assert (status, headers["Content-Type"], json.loads(body)) == (
        200,
        "application/json",
        {"hello": "world"},
    )
    status, headers, body = call(f"{http_api}/items/1?mode=binary")
    assert (status, headers["Content-Type"], body) == (200, "image/png", b"\x89PNG\x00\xff")
    status, _, body = call(f"{http_api}/items/1?mode=fail")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_http_api_with_payload_format_1_0(echo, emulator):
    api_id = http_api_for(echo, ["GET /v1/{name}"], "$default", PayloadFormatVersion="1.0")
    allow(echo, api_id, "/*/GET/v1/{name}")
    status, headers, body = call(f"{emulator.url}/_aws/execute-api/{api_id}/v1/ada?x=1&x=2")
    event = json.loads(body)
    assert status == 201 and headers.get_all("X-Multi") == ["a", "b"]
    assert event["version"] == "1.0" and event["resource"] == "/v1/{name}"
    assert event["pathParameters"] == {"name": "ada"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["headers"]["X-Forwarded-Proto"] == "http"


def test_quick_create_needs_the_permission_like_aws(echo, emulator):
    client = boto3.client("apigatewayv2", endpoint_url=emulator.url, region_name="us-east-1")
    api = client.create_api(Name=unique("quick"), ProtocolType="HTTP", Target=function_arn(echo))
    api_id = api["ApiId"]
    routes = client.get_routes(ApiId=api_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    stages = client.get_stages(ApiId=api_id)["Items"]
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
    url = f"{emulator.url}/_aws/execute-api/{api_id}"

    status, _, body = call(f"{url}/anything")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    allow(echo, "someotherapi", "/*")  # a permission for another API does not count
    assert call(f"{url}/anything")[0] == 500

    allow(echo, api_id, "/*/$default")
    status, _, body = call(f"{url}/any/path?q=1")
    event = json.loads(body)
    assert status == 201 and event["routeKey"] == "$default"
    assert event["rawPath"] == "/any/path" and event["requestContext"]["stage"] == "$default"
    assert call(f"{url}/$default/x")[0] == 201  # the stage segment is optional for $default


def test_rest_api_sends_a_1_0_event_and_maps_the_proxy_response(rest_api):
    api_id, url = rest_api
    status, headers, body = call(f"{url}/items/42?x=1&x=2", headers={"X-Custom": "hi"})
    assert status == 201 and headers.get_all("X-Multi") == ["a", "b"]
    assert headers["x-amzn-RequestId"]
    event = json.loads(body)
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42"
    assert event["httpMethod"] == "GET" and event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["headers"]["X-Custom"] == "hi"
    assert event["multiValueHeaders"]["X-Custom"] == ["hi"]
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["apiId"]) == (
        "prod",
        "/prod/items/42",
        api_id,
    )
    assert context["resourcePath"] == "/items/{id}" and event["body"] is None

    proxied = json.loads(call(f"{url}/a/b", "PUT", b"text body", {"Content-Type": "text/plain"})[2])
    assert proxied["resource"] == "/{proxy+}" and proxied["pathParameters"] == {"proxy": "a/b"}
    assert proxied["body"] == "text body" and proxied["isBase64Encoded"] is False


def test_rest_api_binary_media_types_errors_and_missing_routes(rest_api):
    _, url = rest_api
    status, _, body = call(f"{url}/x?mode=binary", headers={"Accept": "image/png"})
    assert (status, body) == (200, b"\x89PNG\x00\xff")
    sent = json.loads(call(f"{url}/x", "POST", b"\x00\xff", {"Content-Type": "image/png"})[2])
    assert sent["isBase64Encoded"] is True and base64.b64decode(sent["body"]) == b"\x00\xff"

    status, _, body = call(f"{url}/x?mode=fail")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    status, _, body = call(f"{url}/x?mode=malformed")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    status, headers, body = call(f"{url}/", "DELETE")  # the root resource has no method
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    status, _, body = call(url.replace("/prod", "/dev") + "/items/1")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})


def test_rest_api_without_permission_is_an_internal_server_error(echo, emulator):
    name = deploy("def handler(e, c):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    api_id = rest_root_api(name, "v1")
    url = f"{emulator.url}/_aws/execute-api/{api_id}/v1/"
    status, _, body = call(url)
    assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
    allow(name, api_id, "/*/GET/")
    assert call(url)[:1] == (200,) and call(url)[2] == b"ok"


def test_unknown_apis_are_not_found(emulator):
    status, _, body = call(f"{emulator.url}/_aws/execute-api/nosuchapi/prod/x")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_integration_timeouts_answer_without_waiting_for_the_function(emulator, aws_env):
    slow = deploy(
        "import time\ndef handler(e, c):\n    time.sleep(3)\n    return 'late'\n", Timeout=10
    )
    api_id = http_api_for(slow, ["$default"], "$default", TimeoutInMillis=300)
    allow(slow, api_id)
    status, _, body = call(f"{emulator.url}/_aws/execute-api/{api_id}/x")
    assert (status, json.loads(body)) == (503, {"message": "Service Unavailable"})

    rest_id = rest_root_api(slow, "prod", timeoutInMillis=300)
    allow(slow, rest_id)
    status, _, body = call(f"{emulator.url}/_aws/execute-api/{rest_id}/prod/")
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
