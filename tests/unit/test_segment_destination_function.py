"""The Segment -> Personalize destination function with Segment events of every kind, stubbed
Personalize clients (botocore's Stubber) and a real HTTP server standing in for Segment."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import ANY, Stubber

from workshop_lib.functions import segment_personalize_destination as fn

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/shop-user-personalization"
FILTER = "arn:aws:personalize:us-east-1:123456789012:filter/shop-exclude-purchased"
TRACKING_ID = "0f3c5a7e-1111-2222-3333-444455556666"


def track(**overrides) -> dict:
    """A processed Segment track call, as the destination delivers it (no writeKey)."""
    event = {
        "anonymousId": "anon-1",
        "channel": "server",
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        "event": "Product Viewed",
        "integrations": {},
        "messageId": "msg-1",
        "originalTimestamp": "2024-05-19T10:15:00.120+00:00",
        "projectId": "SrcID12345",
        "properties": {"sku": "ocean-blue-shirt", "price": 40.0},
        "receivedAt": "2024-05-19T10:15:00.410Z",
        "sentAt": "2024-05-19T10:15:00.300123+00:00",
        "timestamp": "2024-05-19T10:15:00.230Z",
        "type": "track",
        "userId": "2941404340",
        "version": 2,
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}


def _client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


class FakeSegment:
    """An HTTP server that records identify calls and answers with a chosen status."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append(
                    {
                        "path": self.path,
                        "auth": self.headers["Authorization"],
                        "body": json.loads(body),
                    }
                )
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"success": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def segment():
    server = FakeSegment()
    yield server
    server.close()


@pytest.fixture
def config(segment) -> fn.Config:
    return fn.Config(
        tracking_id=TRACKING_ID,
        campaign_arn=CAMPAIGN,
        filter_arn=FILTER,
        write_key="personas-key",
        segment_host=segment.url,
        count=3,
    )


@pytest.fixture
def stubs():
    events, runtime = _client("personalize-events"), _client("personalize-runtime")
    with Stubber(events) as events_stub, Stubber(runtime) as runtime_stub:
        yield SimpleNamespace(
            events=events, runtime=runtime, events_stub=events_stub, runtime_stub=runtime_stub
        )
        events_stub.assert_no_pending_responses()
        runtime_stub.assert_no_pending_responses()


def _expect_put(stubs, user_id="2941404340", session="anon-1", event_type="Product Viewed"):
    params = {
        "trackingId": TRACKING_ID,
        "sessionId": session,
        "eventList": [
            {
                "eventId": "msg-1",
                "eventType": event_type,
                "itemId": "ocean-blue-shirt",
                "sentAt": datetime(2024, 5, 19, 10, 15, 0, 230000, tzinfo=UTC),
            }
        ],
    }
    if user_id:
        params["userId"] = user_id
    stubs.events_stub.add_response("put_events", {}, params)


def _expect_recommendations(stubs, items=("a", "b", "c")):
    stubs.runtime_stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": i} for i in items]},
        {"campaignArn": CAMPAIGN, "userId": "2941404340", "numResults": 3, "filterArn": FILTER},
    )


def test_product_event_of_a_known_user_goes_to_personalize_and_back_to_segment(
    stubs, config, segment, capsys
):
    _expect_put(stubs)
    _expect_recommendations(stubs)
    result = fn.handle(track(), config, stubs.events, stubs.runtime)
    assert result["status"] == "sent" and result["identify"] == 200
    assert result["recommended_products"] == ["a", "b", "c"]
    [call] = segment.calls
    assert call["path"] == "/v1/identify"
    assert call["auth"] == "Basic " + base64.b64encode(b"personas-key:").decode()
    assert call["body"] == {
        "type": "identify",
        "userId": "2941404340",
        "traits": {"recommended_products": ["a", "b", "c"]},
    }
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert logged["status"] == "sent" and logged["messageId"] == "msg-1"


def test_anonymous_visitor_feeds_the_session_only(stubs, config, segment):
    _expect_put(stubs, user_id=None)
    result = fn.handle(track(userId=None), config, stubs.events, stubs.runtime)
    assert result["status"] == "sent" and result["userId"] is None
    assert segment.calls == []  # no profile to write to, no recommendations asked


def test_server_side_event_without_anonymous_id_uses_the_user_as_session(stubs, config):
    _expect_put(stubs, session="2941404340", event_type="Order Completed")
    _expect_recommendations(stubs)
    result = fn.handle(
        track(anonymousId=None, event="Order Completed"), config, stubs.events, stubs.runtime
    )
    assert result["sessionId"] == "2941404340"


def test_without_campaign_or_write_key_only_the_event_is_sent(stubs, config, segment):
    _expect_put(stubs)
    bare = fn.Config(tracking_id=TRACKING_ID, segment_host=segment.url)
    result = fn.handle(track(), bare, stubs.events, stubs.runtime)
    assert result["status"] == "sent" and "recommended_products" not in result
    assert segment.calls == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "identify", "userId": "u1", "traits": {"email": "a@example.com"}},
        {"type": "page", "anonymousId": "a", "name": "Home", "properties": {"path": "/"}},
        {"type": "screen", "userId": "u1", "name": "Cart"},
        {"type": "group", "userId": "u1", "groupId": "g1"},
        {"type": "alias", "userId": "u1", "previousId": "a"},
        track(event="Cart Viewed", properties={"cart_id": "c1"}),
        track(properties={"sku": ""}),
        track(properties=None),
    ],
    ids=["identify", "page", "screen", "group", "alias", "track-no-sku", "empty-sku", "no-props"],
)
def test_other_calls_are_skipped_with_a_log_line(event, stubs, config, segment, capsys):
    result = fn.handle(event, config, stubs.events, stubs.runtime)
    assert result["status"] == "skipped" and result["type"] == event["type"]
    assert json.loads(capsys.readouterr().out)["status"] == "skipped"
    assert segment.calls == []


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("not an object", "JSON object"),
        ({"event": "Product Viewed"}, "no type"),
        (track(properties=["sku"]), "properties must be an object"),
        (track(properties={"sku": {"id": 1}}), "sku must be a string"),
        (track(messageId=None), "needs event and messageId"),
        (track(userId=None, anonymousId=None), "neither userId nor anonymousId"),
        (track(timestamp="yesterday"), "not ISO 8601"),
        (track(timestamp=12, receivedAt=None), "ISO 8601 string"),
        (track(userId=["u"]), "userId must be a string"),
    ],
)
def test_malformed_events_are_logged_not_raised(event, reason, stubs, config, capsys):
    result = fn.handle(event, config, stubs.events, stubs.runtime)
    assert result["status"] == "malformed" and reason in result["reason"]
    assert reason in json.loads(capsys.readouterr().out)["reason"]


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
def test_transient_personalize_errors_raise_so_that_segment_retries(code, stubs, config):
    stubs.events_stub.add_client_error("put_events", code, http_status_code=500)
    with pytest.raises(fn.Retry):
        fn.handle(track(), config, stubs.events, stubs.runtime)


def test_a_missing_campaign_is_logged_not_retried(stubs, config, segment):
    _expect_put(stubs)
    stubs.runtime_stub.add_client_error(
        "get_recommendations", "ResourceNotFoundException", "No campaign", http_status_code=404
    )
    result = fn.handle(track(), config, stubs.events, stubs.runtime)
    assert result["status"] == "failed" and "ResourceNotFoundException" in result["reason"]
    assert segment.calls == []


def test_segment_5xx_raises_and_4xx_is_reported(stubs, config, segment):
    segment.status = 503
    _expect_put(stubs)
    _expect_recommendations(stubs)
    with pytest.raises(fn.Retry, match="503"):
        fn.handle(track(), config, stubs.events, stubs.runtime)
    segment.status = 401  # a wrong write key: retrying would not help
    _expect_put(stubs)
    _expect_recommendations(stubs)
    assert fn.handle(track(), config, stubs.events, stubs.runtime)["identify"] == 401


def test_segment_unreachable_raises(stubs, config):
    unreachable = fn.Config(**{**vars(config), "segment_host": "http://127.0.0.1:9"})
    _expect_put(stubs)
    _expect_recommendations(stubs)
    with pytest.raises(fn.Retry, match="did not answer"):
        fn.handle(track(), unreachable, stubs.events, stubs.runtime)


def test_handler_reads_its_configuration_from_the_environment(monkeypatch, segment):
    monkeypatch.setenv("PERSONALIZE_TRACKING_ID", TRACKING_ID)
    monkeypatch.setenv("PERSONALIZE_CAMPAIGN_ARN", CAMPAIGN)
    monkeypatch.setenv("SEGMENT_WRITE_KEY", "k")
    monkeypatch.setenv("SEGMENT_HOST", segment.url)
    monkeypatch.setenv("RECOMMENDED_COUNT", "5")
    monkeypatch.delenv("PERSONALIZE_FILTER_ARN", raising=False)
    assert fn.Config.from_environment() == fn.Config(
        tracking_id=TRACKING_ID,
        campaign_arn=CAMPAIGN,
        write_key="k",
        segment_host=segment.url,
        count=5,
    )
    events = _client("personalize-events")
    monkeypatch.setattr(fn, "_clients", {"personalize-events": events, "personalize-runtime": None})
    with Stubber(events) as stub:
        stub.add_response(
            "put_events", {}, {"trackingId": TRACKING_ID, "sessionId": "a", "eventList": ANY}
        )
        result = fn.handler(track(userId=None, anonymousId="a"), None)
    assert result["status"] == "sent"


def test_only_errors_without_an_answer_count_as_transient():
    from botocore.exceptions import EndpointConnectionError, ParamValidationError, ReadTimeoutError

    assert fn._transient(EndpointConnectionError(endpoint_url="http://x"))
    assert fn._transient(ReadTimeoutError(endpoint_url="http://x"))
    assert not fn._transient(ParamValidationError(report="sessionId too short"))
