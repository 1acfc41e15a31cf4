"""ensure(): the create call of a cell, run twice, gives the same resource (on the emulator)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.compute_helpers import TRUST
from workshop_lib.ensure import ensure


def test_personalize_create_twice_returns_the_same_arn_and_says_so(aws_env, capsys):
    personalize = boto3.client("personalize")
    first = ensure(personalize.create_dataset_group, name="ensure-dg")
    assert capsys.readouterr().out == ""
    second = ensure(personalize.create_dataset_group, name="ensure-dg")
    assert first == second == ("arn:aws:personalize:us-east-1:123456789012:dataset-group/ensure-dg")
    assert "Dataset group 'ensure-dg' exists already: using it" in capsys.readouterr().out


def test_other_errors_are_raised_as_the_service_gives_them(aws_env):
    personalize = boto3.client("personalize")
    with pytest.raises(ClientError) as caught:
        ensure(personalize.create_dataset_group, name="bad name with spaces")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_iam_role_twice(aws_env, capsys):
    iam = boto3.client("iam")
    arns = {ensure(iam.create_role, RoleName="ensure-role", AssumeRolePolicyDocument=TRUST)}
    arns.add(ensure(iam.create_role, RoleName="ensure-role", AssumeRolePolicyDocument=TRUST))
    assert arns == {"arn:aws:iam::123456789012:role/ensure-role"}
    assert "Role 'ensure-role' exists already" in capsys.readouterr().out


def test_http_api_and_route_twice(aws_env):
    api = boto3.client("apigatewayv2")
    api_id = ensure(api.create_api, Name="ensure-api", ProtocolType="HTTP")
    assert ensure(api.create_api, Name="ensure-api", ProtocolType="HTTP") == api_id
    route = ensure(api.create_route, ApiId=api_id, RouteKey="GET /items")
    assert ensure(api.create_route, ApiId=api_id, RouteKey="GET /items") == route
    assert [r["RouteKey"] for r in api.get_routes(ApiId=api_id)["Items"]] == ["GET /items"]


def test_a_reused_route_says_so_and_names_a_target_it_lacks(aws_env, capsys):
    """The usual slip: the route was first made without Target; a rerun with it must not be
    silent, or the learner never learns why the route answers 404."""
    api = boto3.client("apigatewayv2")
    api_id = ensure(api.create_api, Name="ensure-target", ProtocolType="HTTP")
    ensure(api.create_route, ApiId=api_id, RouteKey="GET /x")
    capsys.readouterr()
    ensure(api.create_route, ApiId=api_id, RouteKey="GET /x", Target="integrations/abc")
    assert capsys.readouterr().out.splitlines() == [
        "The route 'GET /x' exists already: using it (delete it first to change it).",
        "  its Target is None, not 'integrations/abc'.",
    ]


def test_solution_version_reuses_the_newest_usable_version(capsys):
    from datetime import datetime

    from botocore.stub import Stubber

    personalize = boto3.client(
        "personalize", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    solution = "arn:aws:personalize:us-east-1:123456789012:solution/s"
    versions = [
        {
            "solutionVersionArn": f"{solution}/old",
            "status": "ACTIVE",
            "creationDateTime": datetime(2026, 1, 1),
        },
        {
            "solutionVersionArn": f"{solution}/new",
            "status": "CREATE IN_PROGRESS",
            "creationDateTime": datetime(2026, 1, 2),
        },
        {
            "solutionVersionArn": f"{solution}/bad",
            "status": "CREATE FAILED",
            "creationDateTime": datetime(2026, 1, 3),
        },
    ]
    with Stubber(personalize) as stub:
        stub.add_response("list_solution_versions", {"solutionVersions": versions})
        assert (
            ensure(personalize.create_solution_version, solutionArn=solution) == f"{solution}/new"
        )
        stub.add_response("list_solution_versions", {"solutionVersions": versions[2:]})
        stub.add_response("create_solution_version", {"solutionVersionArn": f"{solution}/fresh"})
        assert (
            ensure(personalize.create_solution_version, solutionArn=solution) == f"{solution}/fresh"
        )
    assert "The solution has a version already (CREATE IN_PROGRESS)" in capsys.readouterr().out


def test_a_plain_function_is_refused():
    with pytest.raises(TypeError, match="boto3 client method"):
        ensure(print, name="x")


def test_create_function_waits_for_a_new_role_to_be_assumable(monkeypatch):
    """On AWS a role created seconds ago cannot be assumed yet: Lambda says so, ensure retries."""
    from botocore.stub import Stubber

    from workshop_lib import deploy

    monkeypatch.setattr(deploy.time, "sleep", lambda seconds: None)
    lam = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    params = {
        "FunctionName": "fn",
        "Role": "arn:aws:iam::123456789012:role/new-role",
        "Code": {"ZipFile": b"zip"},
    }
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    with Stubber(lam) as stub:
        stub.add_client_error(
            "create_function",
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        )
        stub.add_response("create_function", {"FunctionArn": arn})
        assert ensure(lam.create_function, **params) == arn
        stub.assert_no_pending_responses()
