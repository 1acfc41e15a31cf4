"""api_base_url gives the URL a deployed API answers on, for each target."""

from __future__ import annotations

import pytest

from workshop_lib.apis import api_base_url
from workshop_lib.connection import Workshop


def _workshop(target: str, endpoint: str | None = None) -> Workshop:
    return Workshop(
        target=target,
        region="eu-west-1",
        account_id="123456789012",
        caller_arn="arn:aws:sts::123456789012:user/me",
        prefix="segment-personalize",
        bucket="b",
        endpoint_url=endpoint,
    )


def test_aws_urls_are_the_execute_api_endpoint():
    ws = _workshop("aws")
    assert api_base_url(ws, "a1b2c3") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"
    assert api_base_url(ws, "a1b2c3", "prod") == (
        "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod"
    )


def test_local_urls_point_at_the_emulator():
    ws = _workshop("local", "http://127.0.0.1:4599/")
    assert api_base_url(ws, "a1b2c3") == "http://127.0.0.1:4599/_aws/execute-api/a1b2c3"
    assert api_base_url(ws, "a1b2c3", "prod") == (
        "http://127.0.0.1:4599/_aws/execute-api/a1b2c3/prod"
    )


def test_missing_values_are_clear_errors():
    with pytest.raises(ValueError, match="create the API first"):
        api_base_url(_workshop("aws"), "")
    with pytest.raises(ValueError, match="connect"):
        api_base_url(_workshop("local"), "a1b2c3")
