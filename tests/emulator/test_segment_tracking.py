"""The Tracking API as the real segment-analytics-python client and raw HTTP clients see it."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from segment.analytics.request import APIError
from segment_helpers import client, post, unique, wait_for

from workshop_lib.datagen.sources import SOURCES

pytest_plugins = ["segment_fixtures"]  # the ws, source and write_key fixtures


def tracking_url(emulator, route: str = "batch") -> str:
    return f"{emulator.url}/_segment/v1/{route}"


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_sync_client_track_gets_the_fields_segment_adds(ws, source, write_key):
    before = datetime.now(UTC)
    ok, sent = client(write_key).track(
        user_id="u1", event="Product Viewed", properties={"sku": "A-1", "price": 9.5}
    )
    assert ok
    [entry] = ws.debugger(source["id"])
    assert entry["status"] == "accepted" and entry["reason"] is None
    m = entry["message"]
    assert m["messageId"] == sent["messageId"]
    assert m["type"] == "track" and m["event"] == "Product Viewed" and m["userId"] == "u1"
    assert m["properties"] == {"sku": "A-1", "price": 9.5}
    assert "anonymousId" not in m  # the client's null is dropped
    assert m["context"]["library"] == {"name": "analytics-python", "version": "2.4.0"}
    assert m["projectId"] == source["id"] and m["writeKey"] == write_key
    assert m["channel"] == "server" and m["version"] == 2 and m["integrations"] == {}
    assert m["originalTimestamp"] == sent["timestamp"]  # kept as sent (+00:00)
    assert m["sentAt"].endswith("+00:00")
    assert m["receivedAt"].endswith("Z") and m["timestamp"].endswith("Z")
    received = parse(m["receivedAt"])
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC)
    assert abs(parse(m["timestamp"]) - received) < timedelta(seconds=1)


def test_background_client_with_gzip_sends_every_call_type(ws, source, write_key):
    c = client(write_key, sync_mode=False, gzip=True, upload_interval=0.05)
    c.identify("u2", {"email": "a@example.com", "plan": "pro"}, anonymous_id="anon-2")
    c.track("u2", "Product Added", {"sku": "B-2"})
    c.page("u2", category="Shop", name="Home", properties={"path": "/"})
    c.screen("u2", name="Home")
    c.group("u2", "team-1", {"name": "Team"})
    c.alias("anon-2", "u2")
    c.flush()
    c.join()
    events = ws.debugger(source["id"])
    assert sorted(e["type"] for e in events) == [
        "alias", "group", "identify", "page", "screen", "track",
    ]  # fmt: skip
    assert all(e["status"] == "accepted" for e in events)
    by_type = {e["type"]: e["message"] for e in events}
    assert by_type["identify"]["traits"] == {"email": "a@example.com", "plan": "pro"}
    assert by_type["identify"]["anonymousId"] == "anon-2"
    assert by_type["page"]["name"] == "Home" and by_type["page"]["category"] == "Shop"
    assert by_type["group"]["groupId"] == "team-1"
    assert by_type["alias"]["previousId"] == "anon-2" and "anonymousId" not in by_type["alias"]


def test_sent_at_corrects_the_device_clock(emulator, ws, source, write_key):
    now = datetime.now(UTC)
    device = now + timedelta(hours=3)  # the device's clock is three hours fast
    body = {
        "batch": [{"type": "track", "event": "E", "userId": "u", "messageId": unique("m"),
                   "timestamp": (device - timedelta(seconds=5)).isoformat()}],
        "sentAt": device.isoformat(),
        "writeKey": write_key,
    }  # fmt: skip
    assert post(tracking_url(emulator), body).status_code == 200
    m = ws.debugger(source["id"])[0]["message"]
    # timestamp = receivedAt - (sentAt - originalTimestamp) = about 5 s before now
    delta = parse(m["receivedAt"]) - parse(m["timestamp"])
    assert timedelta(seconds=4.9) < delta < timedelta(seconds=5.1)
    assert m["originalTimestamp"] == body["batch"][0]["timestamp"]


def test_without_timestamps_the_receive_time_is_used(emulator, ws, source, write_key):
    body = {"userId": "u", "event": "No Clock"}
    assert post(tracking_url(emulator, "track"), body, key=write_key).json() == {"success": True}
    m = ws.debugger(source["id"])[0]["message"]
    assert m["timestamp"] == m["receivedAt"]
    assert "originalTimestamp" not in m and "sentAt" not in m
    assert m["messageId"].startswith("api-") and len(m["messageId"]) == 36
    assert m["context"]["library"] == {"name": "unknown", "version": "unknown"}


def test_older_clients_send_the_key_only_in_the_body(emulator, ws, source, write_key):
    """analytics-python 2.3.x: no Authorization header, write key in the batch body."""
    body = {
        "batch": [{"integrations": {}, "anonymousId": None, "properties": {"sku": "A-1"},
                   "timestamp": "2026-11-28T12:43:13.491+00:00",
                   "context": {"library": {"name": "analytics-python", "version": "2.3.4"}},
                   "userId": "u1", "type": "track", "event": "Product Viewed",
                   "messageId": unique("m")}],
        "sentAt": "2026-11-28T12:43:13.491617+00:00",
        "writeKey": write_key,
    }  # fmt: skip
    reply = post(tracking_url(emulator), body)
    assert reply.status_code == 200 and reply.json() == {"success": True}
    assert reply.headers["Content-Type"] == "application/json"
    assert ws.debugger(source["id"])[0]["status"] == "accepted"


def test_single_routes_gzip_and_basic_auth(emulator, ws, source, write_key):
    for route, body in [
        ("identify", {"userId": "u9", "traits": {"a": 1}}),
        ("page", {"anonymousId": "x", "name": "Home"}),
        ("screen", {"anonymousId": "x", "name": "Home"}),
        ("group", {"userId": "u9", "groupId": "g"}),
        ("alias", {"userId": "u9", "previousId": "x"}),
        ("import", {"batch": [{"type": "track", "userId": "u9", "event": "Imported"}]}),
    ]:
        assert post(tracking_url(emulator, route), body, key=write_key, gzipped=True).ok, route
    types = [e["type"] for e in ws.debugger(source["id"])]
    assert sorted(types) == ["alias", "group", "identify", "page", "screen", "track"]


def test_envelope_context_merges_and_ids_become_strings(emulator, ws, source, write_key):
    body = {
        "batch": [{"type": "track", "event": "E", "userId": 42,
                   "context": {"locale": "fr-FR"}, "messageId": unique("m")}],
        "context": {"locale": "en-US", "app": {"name": "Shop"}},
        "writeKey": write_key,
    }  # fmt: skip
    post(tracking_url(emulator), body)
    m = ws.debugger(source["id"])[0]["message"]
    assert m["userId"] == "42"
    assert m["context"]["locale"] == "fr-FR" and m["context"]["app"] == {"name": "Shop"}


def test_repeated_message_ids_are_dropped(ws, source, write_key):
    c = client(write_key)
    c.track(user_id="u", event="Once", message_id="dup-" + source["id"])
    c.track(user_id="u", event="Once", message_id="dup-" + source["id"])
    events = ws.debugger(source["id"])
    assert [e["status"] for e in events] == ["dropped", "accepted"]
    assert events[0]["reason"] == "duplicate_message_id"
    assert [e["messageId"] for e in ws.debugger(source["id"], status="accepted")] == [
        "dup-" + source["id"]
    ]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"type": "track", "userId": "u"}, "event_not_defined"),
        ({"type": "track", "userId": "u", "event": 5}, "event_not_string"),
        ({"type": "track", "event": "E"}, "no_user_anon_id"),
        ({"type": "identify", "userId": "u", "traits": [1]}, "traits_not_object"),
        (
            {"type": "track", "userId": "u", "event": "E", "properties": "x"},
            "properties_not_object",
        ),
        ({"type": "page", "userId": "u", "name": 3}, "name_not_string"),
        ({"type": "alias", "userId": "u"}, "id_required"),
        ({"type": "group", "userId": "u"}, "id_required"),
        ({"type": "purchase", "userId": "u"}, "invalid_type"),
        ({"userId": "u"}, "invalid_type"),
    ],
)
def test_invalid_messages_are_accepted_then_dropped_with_segments_reason(
    emulator, ws, source, write_key, item, reason
):
    reply = post(tracking_url(emulator), {"batch": [item], "writeKey": write_key})
    assert reply.status_code == 200  # Segment answers 200 and discards later
    [entry] = ws.debugger(source["id"])
    assert entry["status"] == "dropped" and entry["reason"] == reason


def test_unknown_write_key_is_a_200_shown_in_the_debugger(emulator, ws):
    key = unique("no-such-key")
    ok, _ = client(key).track(user_id="u", event="Lost")
    assert ok
    events = [e for e in ws.unknown_write_key_events(100) if e["writeKey"] == key]
    assert len(events) == 1
    assert events[0]["reason"] == "project_not_found" and events[0]["event"] == "Lost"


def test_disabled_source_drops_events(emulator, ws, source, write_key):
    import requests

    url = f"{emulator.url}/_segment/admin/sources/{source['id']}"
    assert (
        requests.patch(url, json={"enabled": False}, timeout=5).json()["data"]["source"]["enabled"]
        is False
    )
    client(write_key).track(user_id="u", event="Off")
    assert ws.debugger(source["id"])[0]["reason"] == "source_disabled"


def test_malformed_json_is_a_400_the_client_reads(emulator, write_key):
    reply = post(tracking_url(emulator), b'{"batch": [', key=write_key, raw=True)
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "invalid_json" and body["message"] and body["success"] is False
    reply = post(tracking_url(emulator), b"[1, 2]", key=write_key, raw=True)
    assert reply.status_code == 400 and reply.json()["code"] == "invalid_request"
    reply = post(tracking_url(emulator), b"not gzip", key=write_key, raw=True, gzipped=False)
    assert reply.status_code == 400
    garbage = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    import requests

    reply = requests.post(tracking_url(emulator), data=b"\x1f\x8bxx", headers=garbage, timeout=5)
    assert reply.status_code == 400 and reply.json()["code"] == "invalid_request"


def test_over_size_bodies_are_400(emulator, write_key):
    big = {"userId": "u", "event": "Big", "properties": {"blob": "x" * 33_000}}
    reply = post(tracking_url(emulator, "track"), big, key=write_key)
    assert reply.status_code == 400 and reply.json()["code"] == "request_too_large"
    batch = {"batch": [{**big, "type": "track"}] * 16, "writeKey": write_key}
    reply = post(tracking_url(emulator), batch, gzipped=True)
    assert reply.status_code == 400 and reply.json()["code"] == "request_too_large"


def test_batch_items_over_32kb_are_dropped(emulator, ws, source, write_key):
    item = {"type": "track", "userId": "u", "event": "Big", "properties": {"b": "x" * 33_000}}
    assert post(tracking_url(emulator), {"batch": [item], "writeKey": write_key}).ok
    assert ws.debugger(source["id"])[0]["reason"] == "message_too_large"


def test_the_client_raises_api_error_with_code_and_message(emulator):
    """An empty write key passes the client's type check; the 400 reaches it as APIError."""
    with pytest.raises(APIError) as caught:
        client("", host=f"{emulator.url}/_segment").track(user_id="u", event="E")
    assert caught.value.status == 400 and caught.value.code == "missing_write_key"
    assert "write key" in caught.value.message


def test_missing_write_key_is_a_400(emulator):
    reply = post(tracking_url(emulator), {"batch": [{"type": "track"}]})
    assert reply.status_code == 400 and reply.json()["code"] == "missing_write_key"


def test_get_and_unknown_routes(emulator):
    import requests

    reply = requests.get(tracking_url(emulator), timeout=5)
    assert reply.status_code == 405 and reply.json()["code"] == "method_not_allowed"
    reply = requests.post(tracking_url(emulator, "nope"), data=b"{}", timeout=5)
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_sample_data_sources_get_the_same_ids_and_keys(ws):
    for sample in SOURCES:
        created = ws.create_source(sample.name)
        assert created["id"] == sample.source_id
        assert created["writeKeys"] == [sample.write_key]
    assert json.dumps(ws.source("website-prod")) == json.dumps(ws.create_source("website-prod"))


OLD_CLIENT_SCRIPT = """
import sys
import segment.analytics as analytics
assert analytics.VERSION.startswith("2.3"), analytics.VERSION
client = analytics.Client(sys.argv[1], host=sys.argv[2], sync_mode=sys.argv[3] == "sync", gzip=True)
client.identify("old-1", {"email": "old@example.com"})
client.track("old-1", "Product Viewed", {"sku": "A-1"})
client.flush()
print(analytics.VERSION)
"""


@pytest.mark.skipif(
    not os.environ.get("SEGMENT_23_PYTHON"),
    reason="set SEGMENT_23_PYTHON to a python with segment-analytics-python 2.3.x",
)
@pytest.mark.parametrize("mode", ["sync", "background"])
def test_the_real_2_3_client(emulator, ws, source, write_key, mode):
    """The 2.3 line sends no Authorization header; its requests must still be accepted."""
    result = subprocess.run(
        [os.environ["SEGMENT_23_PYTHON"], "-c", OLD_CLIENT_SCRIPT, write_key,
         f"{emulator.url}/_segment", mode],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.startswith("2.3")
    events = wait_for(lambda: len(ws.debugger(source["id"])) == 2 and ws.debugger(source["id"]))
    assert [e["status"] for e in events] == ["accepted", "accepted"]
    assert events[0]["message"]["context"]["library"]["version"].startswith("2.3")
