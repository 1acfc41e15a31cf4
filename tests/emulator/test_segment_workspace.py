"""The workspace admin API and the helpers notebooks use on it."""

from __future__ import annotations

import pytest
import requests
from segment_helpers import unique

from workshop_lib.segment import (
    WORKSHOP_SOURCES,
    SegmentApiError,
    SegmentWorkspace,
    analytics_client,
    tracking_host,
)
from workshop_lib.settings import WorkshopConfigError

pytest_plugins = ["segment_fixtures"]  # the ws, source and write_key fixtures


def test_workshop_sources_are_created_once(ws):
    first = ws.create_workshop_sources()
    again = ws.create_workshop_sources()
    assert first == again and sorted(first) == sorted(WORKSHOP_SOURCES)
    for name, source in first.items():
        assert source["name"] == source["slug"] == name
        assert len(source["id"]) == 10 and source["id"].isalnum()
        assert len(source["writeKeys"][0]) == 32 and source["enabled"] is True
    listed = {s["slug"] for s in ws.sources()}
    assert set(WORKSHOP_SOURCES) <= listed


def test_source_names_conflict_and_deletion(ws):
    name = unique("Web Site")
    source = ws.create_source(name)
    assert source["slug"] == name.lower().replace(" ", "-")
    with pytest.raises(SegmentApiError, match=r"409.*exists"):
        ws._call("POST", "/sources", {"name": name})
    with pytest.raises(SegmentApiError, match=r"400.*name"):
        ws._call("POST", "/sources", {"name": ""})
    ws.delete_source(source["id"])
    assert ws.source(name) is None
    with pytest.raises(SegmentApiError, match="404"):
        ws.delete_source(source["id"])


def test_admin_errors_are_json(ws, emulator):
    base = f"{emulator.url}/_segment/admin"
    reply = requests.get(f"{base}/nothing", timeout=5)
    assert reply.status_code == 404 and reply.json()["errors"][0]["type"] == "not-found"
    reply = requests.post(f"{base}/sources", data=b"{oops", timeout=5)
    assert reply.status_code == 400 and "JSON" in reply.json()["errors"][0]["message"]
    reply = requests.get(f"{emulator.url}/_segment/elsewhere", timeout=5)
    assert reply.status_code == 404
    workspace = requests.get(f"{base}/workspace", timeout=5).json()["data"]["workspace"]
    assert workspace["slug"] == "workshop"


def test_helpers_pick_the_host_for_the_target(ws, emulator, monkeypatch):
    assert tracking_host() == f"{emulator.url}/_segment"
    assert analytics_client("k" * 32, sync_mode=True).host == f"{emulator.url}/_segment"
    monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    assert tracking_host() == "https://api.segment.io"
    with pytest.raises(WorkshopConfigError, match="Segment's web UI"):
        SegmentWorkspace()
    monkeypatch.setenv("WORKSHOP_TARGET", "local")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    with pytest.raises(WorkshopConfigError, match="connect"):
        tracking_host()


def test_emulator_health_lists_segment(ws, emulator):
    ws.create_source(unique("src"))
    health = requests.get(f"{emulator.url}/_emulator/health", timeout=5).json()
    segment = next(p for p in health["providers"] if p["name"] == "segment")
    assert segment["sources"] >= 1


def test_ids_are_stable_for_the_same_setup(ws):
    source = ws.create_source(unique("src"))
    first = ws.connect_personalize(source["id"], "fn", "us-east-1")
    ws._call("DELETE", f"/destinations/{first['id']}")
    again = ws.connect_personalize(source["id"], "fn", "us-east-1")
    assert again["id"] == first["id"] and again["id"].startswith("dst_")
    second = ws._call(
        "POST",
        "/destinations",
        {"sourceId": source["id"], "metadataSlug": "amazon-personalize",
         "settings": {"function": "other"}},
    )["destination"]  # fmt: skip
    assert second["id"] != first["id"]
    assert [d["id"] for d in ws.destinations(source["id"])] == [first["id"], second["id"]]


def test_overview_lists_sources_with_their_destinations(ws):
    name = unique("aaa-overview")
    source = ws.create_source(name)
    ws.connect_s3(source["id"], "overview-bucket", prefix="logs")
    ws.connect_personalize(source["id"], "fn", "us-east-1")
    lonely = ws.create_source(name + "-alone")
    rows = [r for r in ws.overview() if r["source"].startswith(name)]
    assert [(r["source"], r["destination"], r["target"]) for r in rows] == [
        (name, "AWS S3", "overview-bucket/logs"),
        (name, "Amazon Personalize", "fn"),
        (name + "-alone", "", ""),
    ]
    assert rows[2]["write_key"] == lonely["writeKeys"][0] and all(r["enabled"] for r in rows)


def test_the_module_level_api_is_pointed_at_the_emulator(ws, emulator):
    from workshop_lib.segment import configure_module_client

    source = ws.create_source(unique("src"))
    analytics = configure_module_client(source["writeKeys"][0], sync_mode=True)
    try:
        analytics.track("u1", "Product Viewed", {"sku": "s"})
        assert analytics.default_client.host == f"{emulator.url}/_segment"
        [event] = ws.debugger(source["id"])
        assert event["status"] == "accepted" and event["event"] == "Product Viewed"
        second = ws.create_source(unique("src"))
        configure_module_client(second["writeKeys"][0], sync_mode=True)
        analytics.identify("u1", {"a": 1})
        assert [e["type"] for e in ws.debugger(second["id"])] == ["identify"]
        with pytest.raises(TypeError, match="no setting"):
            configure_module_client("k", colour="red")
    finally:
        analytics.default_client = analytics.write_key = analytics.host = None
        analytics.sync_mode = False
