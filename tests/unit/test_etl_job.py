"""The Glue job's transform, on hand-made Segment messages and on the committed sample."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from workshop_lib.jobs import segment_to_interactions as job
from workshop_lib.paths import SAMPLE_DATA_DIR


def track(mid, event, sku="sku-1", user="u1", anon=None, ts="2026-09-01T00:00:01.500Z"):
    message = {
        "type": "track",
        "messageId": mid,
        "event": event,
        "timestamp": ts,
        "properties": {"sku": sku} if sku else {},
    }
    if user:
        message["userId"] = user
    if anon:
        message["anonymousId"] = anon
    return message


def test_parse_counts_malformed_lines():
    stats = Counter()
    lines = [json.dumps(track("m1", "Product Viewed")), "{not json", "[1, 2]", "", "  "]
    assert [m["messageId"] for m in job.parse(lines, stats)] == ["m1"]
    assert stats == Counter(lines=3, malformed=2)


def test_interactions_rules():
    stats = Counter()
    messages = [
        track("m1", "Product Viewed", ts="2026-09-01T00:00:02.999Z"),
        track("m1", "Product Viewed", ts="2026-09-01T00:00:02.999Z"),  # redelivered
        track("m2", "Product Added", user=None, anon="a1", ts="2026-09-01T00:00:01Z"),
        {"type": "identify", "messageId": "m3", "anonymousId": "a1", "userId": "u2"},
        track("m4", "Product Clicked", user=None, anon="never-identified"),
        track("m5", "Signed In", sku=None),
        track("m6", "Order Completed", sku=None),
        {"type": "page", "messageId": "m7", "userId": "u1", "properties": {"sku": "x"}},
        track("m8", "Order Completed", sku="sku-9", ts="2026-09-01T02:00:00+02:00"),
    ]
    rows = job.interactions(messages, stats)
    assert rows == [
        ("u1", "sku-9", "Order Completed", 1788220800),  # the +02:00 offset honoured
        ("u2", "sku-1", "Product Added", 1788220801),  # anonymous, tied by identify
        ("u1", "sku-1", "Product Viewed", 1788220802),  # seconds, truncated
    ]
    assert stats["duplicates"] == 1
    assert stats["anonymous events tied to a user"] == 1
    assert stats["product events without user or sku"] == 2


def test_the_sample_meets_personalize_minimums():
    stats = Counter()
    lines = (
        line
        for path in sorted((SAMPLE_DATA_DIR / "segment-logs").rglob("*.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    )
    rows = job.interactions(job.parse(lines, stats), stats)
    per_user = Counter(user for user, *_ in rows)
    assert len(rows) >= 1000 and sum(1 for n in per_user.values() if n >= 2) >= 25
    assert stats["malformed"] == 0 and stats["duplicates"] == 0
    assert {r[2] for r in rows} == set(job.EVENT_TYPES)


def test_the_latest_identify_wins_on_a_shared_device():
    stats = Counter()
    messages = [
        {
            "type": "identify",
            "messageId": "i2",
            "anonymousId": "a1",
            "userId": "later",
            "timestamp": "2026-09-02T00:00:00Z",
        },
        {
            "type": "identify",
            "messageId": "i1",
            "anonymousId": "a1",
            "userId": "earlier",
            "timestamp": "2026-09-01T00:00:00Z",
        },
        track("t1", "Product Viewed", user=None, anon="a1"),
    ]
    assert job.interactions(messages, stats)[0][0] == "later"
