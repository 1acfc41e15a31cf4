"""The S3 destination: Segment's key layout and line format, flushed on demand, size, interval."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime

import boto3
import pytest
from segment_helpers import client, unique, wait_for

from workshop_lib.segment import SegmentApiError

pytest_plugins = ["segment_fixtures"]  # the ws, source and write_key fixtures


@pytest.fixture
def bucket(aws_env) -> str:
    name = unique("segment-s3-test")
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def objects(bucket: str, prefix: str = "") -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def lines(bucket: str, key: str) -> list[dict]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def test_flush_writes_segments_layout_and_lines(ws, source, write_key, bucket):
    destination = ws.connect_s3(source["id"], bucket, prefix="raw/events")
    assert destination["metadata"] == {
        "id": "60be92c8dabdd561bf6c9130", "slug": "aws-s3", "name": "AWS S3",
    }  # fmt: skip
    c = client(write_key, sync_mode=False, upload_interval=0.05)
    for i in range(25):
        c.track(user_id=f"u{i}", event="Product Viewed", properties={"sku": f"S-{i}"})
    c.identify("u1", {"email": "u1@example.com"})
    c.flush()
    assert objects(bucket) == []  # buffered, as Segment batches
    keys = ws.flush(source["id"])
    assert objects(bucket) == keys and len(keys) == 1
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day_ms = int(today.timestamp()) * 1000
    assert re.fullmatch(rf"raw/events/segment-logs/{source['id']}/{day_ms}/[\w-]+\.gz", keys[0])
    head = boto3.client("s3").head_object(Bucket=bucket, Key=keys[0])
    assert head["ContentEncoding"] == "gzip" and head["ContentType"] == "text/plain"
    rows = lines(bucket, keys[0])
    assert len(rows) == 26
    track = next(r for r in rows if r["type"] == "track")
    assert track["writeKey"] == write_key and track["projectId"] == source["id"]
    assert {"messageId", "receivedAt", "sentAt", "originalTimestamp", "timestamp"} <= set(track)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", track["timestamp"])
    assert sum(r["type"] == "identify" for r in rows) == 1
    assert ws.flush(source["id"]) == []  # nothing left


def test_a_full_buffer_is_written_without_asking(ws, source, write_key, bucket):
    ws.connect_s3(source["id"], bucket, flushBytes=4000)
    c = client(write_key, sync_mode=False, upload_interval=0.05, upload_size=5)
    for i in range(40):
        c.track(user_id="u", event="Product Viewed", properties={"sku": f"S-{i}"})
    c.flush()
    keys = wait_for(lambda: objects(bucket))
    assert keys, "a buffer over flushBytes is flushed at once"
    ws.flush(source["id"])  # the rest
    written = sum(len(lines(bucket, k)) for k in objects(bucket))
    assert written == 40 and len(objects(bucket)) >= 2


def test_the_interval_flushes_on_its_own(ws, source, write_key, bucket):
    ws.connect_s3(source["id"], bucket, flushIntervalSeconds=0.5)
    client(write_key).track(user_id="u", event="Tick")
    keys = wait_for(lambda: objects(bucket), timeout=5)
    assert len(keys) == 1 and lines(bucket, keys[0])[0]["event"] == "Tick"


def test_a_missing_bucket_keeps_the_events(ws, source, write_key, aws_env):
    name = unique("segment-s3-later")
    ws.connect_s3(source["id"], name)
    client(write_key).track(user_id="u", event="Kept")
    with pytest.raises(SegmentApiError, match="NoSuchBucket"):
        ws.flush(source["id"])
    [destination] = ws.destinations(source["id"])
    assert destination["status"]["pendingEvents"] == 1
    assert "NoSuchBucket" in destination["status"]["lastError"]
    boto3.client("s3").create_bucket(Bucket=name)
    keys = ws.flush(source["id"])
    assert [r["event"] for r in lines(name, keys[0])] == ["Kept"]
    [destination] = ws.destinations(source["id"])
    assert destination["status"]["lastError"] is None
    assert destination["status"]["eventsWritten"] == 1


def test_disabled_destination_and_dropped_events_write_nothing(ws, source, write_key, bucket):
    destination = ws.connect_s3(source["id"], bucket)
    c = client(write_key)
    message_id = unique("same-id")
    for _ in range(3):  # the repeats are dropped as duplicates
        c.track(user_id="u", event="Once", message_id=message_id)
    [key] = ws.flush(source["id"])
    assert [r["messageId"] for r in lines(bucket, key)] == [message_id]
    import requests

    requests.patch(
        f"{ws.base}/destinations/{destination['id']}", json={"enabled": False}, timeout=5
    ).raise_for_status()
    c.track(user_id="u", event="While disabled")
    assert ws.flush(source["id"]) == [] and objects(bucket) == [key]


def test_one_s3_destination_per_source_and_settings_checks(ws, source, bucket):
    ws.connect_s3(source["id"], bucket)
    assert ws.connect_s3(source["id"], bucket)["settings"]["bucket"] == bucket  # idempotent
    with pytest.raises(SegmentApiError, match="only one S3"):
        ws._call("POST", "/destinations", {"sourceId": source["id"], "metadataSlug": "amazon-s3",
                                           "settings": {"bucket": bucket}})  # fmt: skip
    other = ws.create_source(unique("src"))
    for settings, message in [
        ({}, "need `bucket`"),
        ({"bucket": "Bad_Bucket"}, "not a valid S3 bucket"),
        ({"bucket": bucket, "flushIntervalSeconds": 0}, "flushIntervalSeconds"),
    ]:
        with pytest.raises(SegmentApiError, match=message):
            ws._call("POST", "/destinations", {"sourceId": other["id"], "metadataSlug": "aws-s3",
                                               "settings": settings})  # fmt: skip
    with pytest.raises(SegmentApiError, match="Unknown destination"):
        ws._call("POST", "/destinations", {"sourceId": other["id"], "metadataSlug": "webhooks"})
    with pytest.raises(SegmentApiError, match="was not found"):
        ws.connect_s3("nope", bucket)


def test_bucket_with_path_as_in_segments_ui(ws, source, write_key, bucket):
    destination = ws.connect_s3(source["id"], f"{bucket}/segment-logs/test")
    assert destination["settings"]["bucket"] == bucket
    assert destination["settings"]["prefix"] == "segment-logs/test"
    client(write_key).track(user_id="u", event="E")
    [key] = ws.flush(source["id"])
    assert key.startswith(f"segment-logs/test/segment-logs/{source['id']}/")


def test_the_committed_sample_is_staged_in_segments_layout(bucket):
    from workshop_lib.datagen.staging import stage_catalogue, stage_sample
    from workshop_lib.paths import SAMPLE_DATA_DIR

    keys = stage_sample(bucket, prefix="history/")
    files = sorted(SAMPLE_DATA_DIR.glob("segment-logs/**/*.gz"))
    assert len(keys) == len(files) and objects(bucket, "history/") == sorted(keys)
    assert all(k.startswith("history/segment-logs/") for k in keys)
    first = lines(bucket, keys[0])
    assert first == [json.loads(x) for x in gzip.decompress(files[0].read_bytes()).splitlines()]
    uri = stage_catalogue(bucket, "catalogue/products.csv")
    assert uri == f"s3://{bucket}/catalogue/products.csv"
    body = boto3.client("s3").get_object(Bucket=bucket, Key="catalogue/products.csv")["Body"]
    assert body.read().startswith(b"ITEM_ID,NAME,")
    with pytest.raises(FileNotFoundError):
        stage_sample(bucket, root=SAMPLE_DATA_DIR / "nothing-here")


def test_validate_writes_the_dummy_object(ws, source, bucket):
    ws.connect_s3(source["id"], bucket, prefix="p")
    assert ws.validate_s3(source["id"]) == "p/segment-logs/dummy-object.txt"
    assert objects(bucket) == ["p/segment-logs/dummy-object.txt"]
    other = ws.create_source(unique("src"))
    with pytest.raises(SegmentApiError, match="no S3 destination"):
        ws.validate_s3(other["id"])
