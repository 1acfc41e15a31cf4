"""AddPermission refuses what AWS refuses: a statement id used twice, or with other characters."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.compute_helpers import deploy

SOURCE = "def handler(event, context):\n    return 'ok'\n"


def _grant(name: str, sid: str) -> None:
    boto3.client("lambda").add_permission(
        FunctionName=name,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )


def test_a_statement_id_is_used_once(aws_env):
    name = deploy(SOURCE)
    _grant(name, "allow-api")
    with pytest.raises(ClientError) as caught:
        _grant(name, "allow-api")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize("sid", ["allow-GET-/recommendations", "allow {userId}", "a.b"])
def test_a_statement_id_holds_letters_digits_dashes_and_underscores(aws_env, sid):
    name = deploy(SOURCE)
    with pytest.raises(ClientError) as caught:
        _grant(name, sid)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert f"Value '{sid}' at 'statementId' failed to satisfy constraint" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as no_policy:  # nothing was added
        boto3.client("lambda").get_policy(FunctionName=name)
    assert no_policy.value.response["Error"]["Code"] == "ResourceNotFoundException"
