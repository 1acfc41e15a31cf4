"""The checks of exercise 3's tasks against a real (emulated) HTTP API: each accepts the right
answer and tells a plausible wrong one, and the untouched placeholder, in its ✘ line. A small
stand-in function answers the routes (items named after the user), so no campaign is needed."""

from __future__ import annotations

import json
import re
import uuid

import boto3
import pytest
import requests

from tests.emulator.compute_helpers import lambda_role, zip_source
from tests.local_workshop import local_workshop
from workshop_lib.apis import api_base_url
from workshop_lib.checks import exercise3 as check

ANSWER = """
import json

def handler(event, context):
    params = {**(event.get("queryStringParameters") or {}), **(event.get("pathParameters") or {})}
    user = params.get("userId", "anyone")
    items = [{"itemId": f"{user}-{PREFIX}-{k}"} for k in range(int(params.get("numResults", 10)))]
    return {"statusCode": 200, "body": json.dumps({"userId": user, "items": items})}
"""
ROUTES = ["GET /recommendations", "GET /related-items", "POST /rankings"]


@pytest.fixture(scope="module")
def ws(module_aws_env):
    """A workshop whose function <prefix>-recommendations-api exists, and a second function
    (another answer) to route to by mistake."""
    prefix = f"chk3-{uuid.uuid4().hex[:6]}"
    workshop = local_workshop(prefix, module_aws_env.url)
    lam = boto3.client("lambda")
    for name, marker in ((workshop.name("recommendations-api"), "right"), (f"{prefix}-x", "x")):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=lambda_role(),
            Handler="app.handler",
            Code={"ZipFile": zip_source(ANSWER.replace("{PREFIX}", marker))},
        )
    return workshop


def _arn(ws, function: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{function}"


@pytest.fixture
def api(ws, monkeypatch):
    """A new HTTP API with the notebook's three routes and the whole-API permission, as the
    notebook leaves it before the tasks: (api id, integration id, base URL)."""
    monkeypatch.setattr(check, "shoppers", lambda ws: ["u1"])
    apigw, lam = boto3.client("apigatewayv2"), boto3.client("lambda")
    function = ws.name("recommendations-api")
    for statement in check.policy_statements(lam, function):
        lam.remove_permission(FunctionName=function, StatementId=statement["Sid"])
    api_id = apigw.create_api(Name=f"{ws.prefix}-api", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=_arn(ws, function),
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    for key in ROUTES:
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    grant(ws, "allow-api-gateway", f"{api_id}/*")
    return api_id, integration, api_base_url(ws, api_id)


def grant(ws, sid: str, source: str, function: str | None = None) -> None:
    boto3.client("lambda").add_permission(
        FunctionName=function or ws.name("recommendations-api"),
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{source}",
    )


def add_path_route(api_id: str, integration: str) -> None:
    boto3.client("apigatewayv2").create_route(
        ApiId=api_id, RouteKey="GET /recommendations/{userId}", Target=f"integrations/{integration}"
    )


# --- task 1: the path route -------------------------------------------------------------------


def test_path_route_placeholder_is_not_done(ws, api, capsys):
    assert not check.path_route(ws, api[0], None)
    assert capsys.readouterr().out.startswith("✘ Not done yet: create the route with ensure(")


def test_path_route_missing_route(ws, api, capsys):
    api_id, _, base = api
    response = requests.get(f"{base}/recommendations", params={"userId": "u1"}, timeout=15)
    assert not check.path_route(ws, api_id, response)
    assert capsys.readouterr().out.startswith(
        "✘ Not yet: the API has no route 'GET /recommendations/{userId}'; it has "
        "['GET /recommendations', 'GET /related-items', 'POST /rankings']."
    )


def test_path_route_called_with_a_query_string(ws, api, capsys):
    api_id, integration, base = api
    add_path_route(api_id, integration)
    response = requests.get(f"{base}/recommendations", params={"userId": "u1"}, timeout=15)
    assert not check.path_route(ws, api_id, response)
    out = capsys.readouterr().out
    assert out.startswith("✘ Not yet: your call went to ") and "put the user id in the path" in out


def test_path_route_to_another_function(ws, api, capsys):
    api_id, _, base = api
    apigw = boto3.client("apigatewayv2")
    other = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=_arn(ws, f"{ws.prefix}-x"),
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    add_path_route(api_id, other)
    grant(ws, f"api-{api_id}", f"{api_id}/*", function=f"{ws.prefix}-x")
    response = requests.get(f"{base}/recommendations/u1", timeout=15)
    assert response.status_code == 200
    assert not check.path_route(ws, api_id, response)
    assert "the path route answers other items" in capsys.readouterr().out


def test_path_route_right(ws, api, capsys):
    api_id, integration, base = api
    add_path_route(api_id, integration)
    response = requests.get(f"{base}/recommendations/u1", params={"numResults": 5}, timeout=15)
    assert check.path_route(ws, api_id, response)
    assert capsys.readouterr().out == (
        "✔ GET /recommendations/u1 answers the same 5 items as GET /recommendations?userId=u1.\n"
    )


# --- task 2: one permission per route ---------------------------------------------------------


def _per_route(ws, api_id: str, keys: list[str]) -> None:
    for key in keys:
        method, path = key.split(" ", 1)
        sid = "allow-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")
        grant(ws, sid, f"{api_id}/*/{method}{path}")


def test_permission_untouched_is_not_done(ws, api, capsys):
    assert not check.permission_per_route(ws, api[0])
    assert capsys.readouterr().out == (
        "✘ Not done yet: the statement 'allow-api-gateway' still lets every route invoke the "
        "function.\n"
    )


def test_permission_broad_statement_left_in_place(ws, api, capsys):
    _per_route(ws, api[0], ROUTES)
    assert not check.permission_per_route(ws, api[0])
    assert capsys.readouterr().out.startswith(
        "✘ Not yet: the statement(s) ['allow-api-gateway'] let any route invoke the function"
    )


def test_permission_a_route_forgotten(ws, api, capsys):
    api_id, integration, _ = api
    add_path_route(api_id, integration)
    _per_route(ws, api_id, ROUTES)  # not the path route
    boto3.client("lambda").remove_permission(
        FunctionName=ws.name("recommendations-api"), StatementId="allow-api-gateway"
    )
    assert not check.permission_per_route(ws, api_id)
    assert capsys.readouterr().out.startswith(
        "✘ Not yet: no statement lets the route GET /recommendations/{userId} invoke the function"
    )


def test_permission_per_route_right(ws, api, capsys):
    api_id, integration, _ = api
    add_path_route(api_id, integration)
    _per_route(ws, api_id, [*ROUTES, "GET /recommendations/{userId}"])
    boto3.client("lambda").remove_permission(
        FunctionName=ws.name("recommendations-api"), StatementId="allow-api-gateway"
    )
    assert check.permission_per_route(ws, api_id)
    assert capsys.readouterr().out == (
        "✔ 4 statements, one per route; GET /recommendations, GET /recommendations/{userId}, "
        "GET /related-items, POST /rankings answer 200 and a route added later would be "
        "refused.\n"
    )
    statements = check.policy_statements(boto3.client("lambda"), ws.name("recommendations-api"))
    assert all(json.dumps(s).count(api_id) == 1 for s in statements)
