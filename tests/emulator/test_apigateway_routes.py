"""API Gateway v2 refuses a second route with a route key the API has already, as AWS does
(ConflictException); moto alone would store both, and a rerun of a notebook would then pass
locally and fail on AWS."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def test_a_duplicate_route_key_is_a_conflict(aws_env):
    apigw = boto3.client("apigatewayv2")
    api_id = apigw.create_api(Name="duplicate-routes", ProtocolType="HTTP")["ApiId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}")
    with pytest.raises(ClientError) as caught:
        apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}")
    error = caught.value.response["Error"]
    assert error["Code"] == "ConflictException"
    assert "GET /items/{id}" in error["Message"]
    apigw.create_route(ApiId=api_id, RouteKey="POST /items/{id}")  # another method is fine
    other = apigw.create_api(Name="another-api", ProtocolType="HTTP")["ApiId"]
    apigw.create_route(ApiId=other, RouteKey="GET /items/{id}")  # and another API too
    keys = sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"])
    assert keys == ["GET /items/{id}", "POST /items/{id}"]
