"""Emulator errors parse in botocore exactly like the real service's errors."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.parsers import create_parser

from workshop_lib.emulator.errors import aws_error, not_implemented


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("s3", "GetObject"),
        ("iam", "GetRole"),
        ("sts", "GetCallerIdentity"),
        ("glue", "GetTable"),
        ("personalize", "CreateDatasetGroup"),
        ("lambda", "Invoke"),
        ("personalize-runtime", "GetRecommendations"),
        ("apigatewayv2", "GetApis"),
    ],
)
def test_botocore_reads_code_and_message(service, operation):
    model = botocore.session.get_session().get_service_model(service)
    response = aws_error(service, "ResourceNotFoundException", "No such thing: <x>", 404)
    parsed = create_parser(model.metadata["protocol"]).parse(
        {"status_code": 404, "headers": dict(response.headers), "body": response.get_data()},
        model.operation_model(operation).output_shape,
    )
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == "No such thing: <x>"


def test_not_implemented_is_501_and_names_the_operation():
    response = not_implemented("athena", "GetTableMetadata")
    assert response.status_code == 501  # botocore retries 500, never 501
    assert b"athena.GetTableMetadata" in response.get_data()
