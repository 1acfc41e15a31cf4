"""The recommendations API function with fake API Gateway events (payload 2.0 and 1.0) and a
stubbed personalize-runtime client: routes, validation, error mapping, rehydration, logs."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber

from workshop_lib.functions import recommendations_api as api
from workshop_lib.paths import SAMPLE_DATA_DIR

UP = "arn:aws:personalize:us-east-1:123456789012:campaign/shop-user-personalization"
SIMS = "arn:aws:personalize:us-east-1:123456789012:campaign/shop-similar-items"
RANK = "arn:aws:personalize:us-east-1:123456789012:campaign/shop-ranking"
FILTER = "arn:aws:personalize:us-east-1:123456789012:filter/shop-exclude-purchased"
HOODIE = "alder-and-finch-classic-charcoal-hoodie"
SHORTS = "alder-and-finch-classic-grey-shorts"
CONTEXT = SimpleNamespace(aws_request_id="req-1")


@pytest.fixture
def stub(monkeypatch):
    """A stubbed client in place of the container's one, the sample catalogue, the campaigns."""
    client = boto3.client(
        "personalize-runtime",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    monkeypatch.setattr(api, "_runtime", client)
    monkeypatch.setattr(api, "CATALOGUE_FILE", SAMPLE_DATA_DIR / "products.csv")
    monkeypatch.setattr(api, "_catalogue", None)
    monkeypatch.setenv("RECOMMENDATIONS_CAMPAIGN_ARN", UP)
    monkeypatch.setenv("RELATED_ITEMS_CAMPAIGN_ARN", SIMS)
    monkeypatch.delenv("RANKING_CAMPAIGN_ARN", raising=False)
    monkeypatch.setenv("FILTER_ARNS", json.dumps({"exclude-purchased": FILTER}))
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def event_v2(method: str, path: str, params=None, body=None, b64=False) -> dict:
    """What an HTTP API sends with payload format 2.0 for route "METHOD path"."""
    if body is not None and b64:
        body = base64.b64encode(body.encode()).decode()
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "queryStringParameters": params,
        "requestContext": {"http": {"method": method, "path": path}},
        "body": body,
        "isBase64Encoded": b64,
    }


def event_v1(method: str, path: str, params=None, body=None) -> dict:
    """What a REST API (or an HTTP API with payload 1.0) sends for resource `path`."""
    return {
        "version": "1.0",
        "resource": path,
        "path": f"/prod{path}",
        "httpMethod": method,
        "queryStringParameters": params,
        "body": body,
        "isBase64Encoded": False,
    }


def call(event: dict, capsys) -> tuple[int, dict, dict]:
    """(status, body, the log line) of one request."""
    response = api.handler(event, CONTEXT)
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1  # one structured line per request
    body = json.loads(response["body"]) if response["body"] else {}
    return response["statusCode"], body, json.loads(lines[0])


@pytest.mark.parametrize("make_event", [event_v2, event_v1])
def test_recommendations_are_rehydrated_from_the_catalogue(stub, capsys, make_event):
    stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": HOODIE, "score": 0.25}, {"itemId": "not-in-catalogue"}]},
        {"campaignArn": UP, "userId": "u1", "numResults": 2, "filterArn": FILTER},
    )
    event = make_event(
        "GET",
        "/recommendations",
        {"userId": "u1", "numResults": "2", "filter": "exclude-purchased"},
    )
    status, body, log = call(event, capsys)
    assert status == 200
    assert body["items"][0] == {
        "itemId": HOODIE,
        "name": "Alder & Finch Classic Charcoal Hoodie",
        "category": "tops",
        "subcategory": "hoodie",
        "brand": "alder-and-finch",
        "price": 130.99,
        "score": 0.25,
    }
    assert body["items"][1] == {
        "itemId": "not-in-catalogue",
        "name": None,
        "category": None,
        "subcategory": None,
        "brand": None,
        "price": None,
    }
    assert log["status"] == 200 and log["userId"] == "u1" and log["items"] == 2
    assert log["requestId"] == "req-1" and log["path"] == "/recommendations"


def test_default_number_of_results_and_no_filter(stub, capsys):
    stub.add_response(
        "get_recommendations",
        {"itemList": []},
        {"campaignArn": UP, "userId": "u1", "numResults": 10},
    )
    status, body, _ = call(event_v2("GET", "/recommendations", {"userId": "u1"}), capsys)
    assert (status, body["items"], body["filter"]) == (200, [], None)


@pytest.mark.parametrize("make_event", [event_v2, event_v1])
def test_a_path_parameter_route_serves_the_same_recommendations(stub, capsys, make_event):
    stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": HOODIE, "score": 0.5}]},
        {"campaignArn": UP, "userId": "u7", "numResults": 3},
    )
    event = make_event("GET", "/recommendations/{userId}", {"numResults": "3"})
    event["pathParameters"] = {"userId": "u7"}
    status, body, log = call(event, capsys)
    assert status == 200 and body["userId"] == "u7" and body["items"][0]["itemId"] == HOODIE
    assert log["path"] == "/recommendations/{userId}" and log["userId"] == "u7"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (None, "userId is required"),
        ({"userId": "  "}, "userId is required"),
        ({"userId": "u", "numResults": "ten"}, "numResults must be a whole number, got 'ten'"),
        ({"userId": "u", "numResults": "0"}, "numResults must be from 1 to 500, got 0"),
        ({"userId": "u", "numResults": "501"}, "numResults must be from 1 to 500, got 501"),
        (
            {"userId": "u", "filter": "cheap"},
            "unknown filter 'cheap'; known filters: exclude-purchased",
        ),
    ],
)
def test_bad_queries_get_a_400_that_says_what_is_wrong(stub, capsys, params, message):
    status, body, log = call(event_v2("GET", "/recommendations", params), capsys)
    assert (status, body) == (400, {"error": message})
    assert log["status"] == 400 and log["error"] == message


def test_related_items_of_an_item(stub, capsys):
    stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": SHORTS}]},
        {"campaignArn": SIMS, "itemId": HOODIE, "numResults": 3},
    )
    event = event_v1("GET", "/related-items", {"itemId": HOODIE, "numResults": "3"})
    status, body, _ = call(event, capsys)
    assert status == 200 and body["itemId"] == HOODIE
    assert [i["name"] for i in body["items"]] == ["Alder & Finch Classic Grey Shorts"]
    assert "score" not in body["items"][0]  # similar-items gives no scores


def test_ranking_follows_the_users_scores_without_a_ranking_campaign(stub, capsys):
    stub.add_response(  # exploration put the hoodie first, but its score is lower
        "get_recommendations",
        {"itemList": [{"itemId": HOODIE, "score": 0.1}, {"itemId": SHORTS, "score": 0.3}]},
        {"campaignArn": UP, "userId": "u1", "numResults": 500},
    )
    body_text = json.dumps({"userId": "u1", "itemIds": ["unknown", HOODIE, SHORTS]})
    event = event_v2("POST", "/rankings", body=body_text, b64=True)
    status, body, log = call(event, capsys)
    assert status == 200 and body["rankedBy"] == "user-personalization scores"
    assert [i["itemId"] for i in body["items"]] == [SHORTS, HOODIE, "unknown"]
    assert log["itemIds"] == 3


def test_ranking_with_a_ranking_campaign(stub, capsys, monkeypatch):
    monkeypatch.setenv("RANKING_CAMPAIGN_ARN", RANK)
    stub.add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": SHORTS, "score": 0.7}, {"itemId": HOODIE}]},
        {"campaignArn": RANK, "userId": "u1", "inputList": [HOODIE, SHORTS]},
    )
    event = event_v1(
        "POST", "/rankings", body=json.dumps({"userId": "u1", "itemIds": [HOODIE, SHORTS]})
    )
    status, body, _ = call(event, capsys)
    assert status == 200 and body["rankedBy"] == "personalized-ranking campaign"
    assert [i["itemId"] for i in body["items"]] == [SHORTS, HOODIE]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "the body is not valid JSON: Expecting property name enclosed in double"),
        ("[1, 2]", "the body must be a JSON object"),
        ('{"itemIds": ["a"]}', "userId is required"),
        ('{"userId": "u", "itemIds": []}', "itemIds must be a non-empty list of item id strings"),
        ('{"userId": "u", "itemIds": [1]}', "itemIds must be a non-empty list of item id strings"),
        (json.dumps({"userId": "u", "itemIds": ["x"] * 501}), "itemIds holds 501 ids; at most 500"),
        (None, "the body is not valid JSON"),
    ],
)
def test_bad_ranking_bodies_get_a_400(stub, capsys, body, message):
    status, answer, _ = call(event_v2("POST", "/rankings", body=body), capsys)
    assert status == 400 and answer["error"].startswith(message)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("ResourceNotFoundException", 404, "the recommender is not deployed"),
        ("InvalidInputException", 400, "bad arn"),
        ("ThrottlingException", 502, "Personalize failed to answer; try again"),
        ("InternalFailure", 502, "Personalize failed to answer; try again"),
    ],
)
def test_personalize_errors_map_to_statuses_and_the_reason_is_logged(
    stub, capsys, code, status, message
):
    stub.add_client_error("get_recommendations", code, "bad arn", 400)
    answer_status, body, log = call(event_v2("GET", "/recommendations", {"userId": "u"}), capsys)
    assert answer_status == status and body["error"].startswith(message)
    assert log["reason"] == f"get_recommendations: {code}: bad arn"
    assert log["userId"] == "u"  # what was asked is in the line of a failed request too


def test_missing_configuration_is_a_500_with_the_reason_logged(stub, capsys, monkeypatch):
    monkeypatch.delenv("RELATED_ITEMS_CAMPAIGN_ARN")
    status, body, log = call(event_v2("GET", "/related-items", {"itemId": HOODIE}), capsys)
    assert (status, body) == (500, {"error": "the API is not configured"})
    assert log["reason"] == "RELATED_ITEMS_CAMPAIGN_ARN is not set"


def test_a_bad_base64_body_is_a_400(stub, capsys):
    event = event_v2("POST", "/rankings", body="not base64!")
    event["isBase64Encoded"] = True
    status, body, _ = call(event, capsys)
    assert status == 400 and body["error"].startswith("the body is not valid JSON")


def test_a_broken_configuration_is_a_500_with_the_reason_logged(stub, capsys, monkeypatch):
    monkeypatch.setenv("FILTER_ARNS", "{broken")
    event = event_v2("GET", "/recommendations", {"userId": "u", "filter": "x"})
    status, body, log = call(event, capsys)
    assert (status, body) == (500, {"error": "internal error"})
    assert log["reason"].startswith("JSONDecodeError(") and log["userId"] == "u"


def test_unknown_routes_are_404_and_preflight_is_204(stub, capsys):
    status, body, _ = call(event_v2("DELETE", "/recommendations"), capsys)
    assert status == 404 and body["error"].startswith("no route DELETE /recommendations")
    status, body, log = call(event_v1("OPTIONS", "/recommendations"), capsys)
    assert (status, body, log["status"]) == (204, {}, 204)


def test_a_default_route_dispatches_on_the_raw_path(stub, capsys):
    stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": HOODIE}]},
        {"campaignArn": SIMS, "itemId": HOODIE, "numResults": 10},
    )
    event = event_v2("GET", "/related-items/", {"itemId": HOODIE})
    event["routeKey"] = "$default"
    assert call(event, capsys)[0] == 200


def test_the_client_is_created_once_per_container(monkeypatch):
    monkeypatch.setattr(api, "_runtime", None)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    first = api.personalize_runtime()
    assert api.personalize_runtime() is first
