"""The recommendations API function deployed as exercise 3 deploys it, run by the emulator's
Lambda: its boto3 client reaches Personalize from inside the function, a missing campaign is a
404 with the reason in CloudWatch, and bad input a 400 that never reaches Personalize."""

from __future__ import annotations

import base64
import json
import shutil

import boto3
import pytest

from tests.emulator.compute_helpers import lambda_role, log_messages, unique
from workshop_lib import deploy
from workshop_lib.paths import SAMPLE_DATA_DIR

MISSING = "arn:aws:personalize:us-east-1:123456789012:campaign/no-such-campaign"
# the function's role as exercise 3 makes it: recommendations from the account's campaigns
READ_CAMPAIGNS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "personalize:GetRecommendations",
                "Resource": "arn:aws:personalize:us-east-1:123456789012:campaign/*",
            }
        ],
    }
)


@pytest.fixture
def function(aws_env, tmp_path):
    shutil.copyfile(
        deploy.FUNCTIONS_DIR / "recommendations_api.py", tmp_path / "recommendations_api.py"
    )
    shutil.copyfile(SAMPLE_DATA_DIR / "products.csv", tmp_path / "products.csv")
    name = unique("recommendations-api")
    deploy.deploy_function(
        boto3.client("lambda"),
        name,
        "recommendations_api",
        lambda_role(READ_CAMPAIGNS),
        environment={"RECOMMENDATIONS_CAMPAIGN_ARN": MISSING, "FILTER_ARNS": "{}"},
        extra_files=["products.csv"],
        source_dir=tmp_path,
    )
    return name


def invoke(name: str, params: dict) -> tuple[dict, str]:
    """(proxy response, log tail) of GET /recommendations with payload 2.0."""
    event = {
        "version": "2.0",
        "routeKey": "GET /recommendations",
        "rawPath": "/recommendations",
        "queryStringParameters": params,
        "requestContext": {"http": {"method": "GET", "path": "/recommendations"}},
    }
    answer = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail"
    )
    assert "FunctionError" not in answer
    return json.loads(answer["Payload"].read()), base64.b64decode(answer["LogResult"]).decode()


def test_a_missing_campaign_is_a_404_with_the_reason_logged(function):
    response, tail = invoke(function, {"userId": "u1"})
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"].startswith("the recommender is not deployed")
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    line = json.loads(next(text for text in tail.splitlines() if text.startswith("{")))
    assert line["status"] == 404 and line["userId"] == "u1"
    assert line["reason"].startswith("get_recommendations: ResourceNotFoundException: ")
    logged = log_messages(f"/aws/lambda/{function}", "ResourceNotFoundException")
    assert any('"status": 404' in message for message in logged)


def test_bad_input_is_a_400_from_the_function(function):
    response, _ = invoke(function, {"userId": "u1", "numResults": "many"})
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {
        "error": "numResults must be a whole number, got 'many'"
    }
