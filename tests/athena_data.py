"""Segment-style test data for the Athena tests and benchmark (gzipped NDJSON, Segment's layout).

Deterministic by seed. Each event is a full Segment message (track, identify or page) with the
camelCase keys Segment writes, traits whose names contain spaces (the reason the workshop's table
needs `mapping.*` SerDe properties), and the `segment-logs/<source>/<day-ms>/<file>.gz` key layout.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta

TRACK_EVENTS = ("Product Viewed", "Product Clicked", "Product Added", "Order Completed")
CAMPAIGNS = ("spring-sale", "newsletter", "retarget")
DAY_MS = 86_400_000


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def make_events(count: int, seed: int = 7, start: datetime | None = None) -> list[dict]:
    """`count` Segment messages: mostly product tracks, some identifies and pages."""
    rng = random.Random(seed)
    start = start or datetime(2024, 5, 19, tzinfo=UTC)
    events = []
    for i in range(count):
        moment = start + timedelta(seconds=i * 7 + rng.randint(0, 6))
        user = f"user-{rng.randint(1, 200)}"
        base = {
            "anonymousId": f"anon-{user}",
            "channel": "server",
            "context": {
                "ip": f"10.0.0.{rng.randint(1, 254)}",
                "library": {"name": "analytics-python", "version": "2.4.0"},
            },
            "integrations": {},
            "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
            "originalTimestamp": _iso(moment),
            "projectId": "SrcID12345",
            "receivedAt": _iso(moment + timedelta(milliseconds=300)),
            "sentAt": _iso(moment + timedelta(milliseconds=100)),
            "timestamp": _iso(moment),
            "userId": user,
            "version": 2,
            "writeKey": "WRITEKEY123",
        }
        kind = rng.random()
        if kind < 0.8:
            sku = f"sku-{min(int(rng.expovariate(0.08)), 60):03d}"
            event = rng.choice(TRACK_EVENTS)
            properties = {"sku": sku, "price": round(rng.uniform(5, 120), 2)}
            if event == "Order Completed":
                properties["tags"] = rng.sample(["gift", "sale", "new", "eco"], 2)
            base.update(type="track", event=event, properties=properties)
        elif kind < 0.9:
            base.update(
                type="identify",
                traits={
                    "email": f"{user}@example.com",
                    "Campaign Name": rng.choice(CAMPAIGNS),
                    "Invited User?": rng.choice(["yes", "no"]),
                    "likelihood_to_buy": round(rng.random(), 3),
                },
            )
        else:
            base.update(
                type="page", properties={"page_name": rng.choice(["home", "cart", "search"])}
            )
            base.pop("userId") if rng.random() < 0.3 else None
        events.append(base)
    return events


def segment_files(events: list[dict], files: int, source: str = "SrcID12345") -> dict[str, bytes]:
    """Spread events over `files` gzipped NDJSON objects, keyed as Segment's S3 destination does."""
    out: dict[str, bytes] = {}
    per_file = max(1, -(-len(events) // files))
    for n in range(files):
        chunk = events[n * per_file : (n + 1) * per_file]
        if not chunk:
            break
        received = datetime.fromisoformat(chunk[0]["receivedAt"].replace("Z", "+00:00"))
        day_ms = int(received.timestamp() * 1000) // DAY_MS * DAY_MS
        key = f"segment-logs/{source}/{day_ms}/{n:05d}-{uuid.UUID(int=n)}.gz"
        out[key] = gzip.compress(("\n".join(json.dumps(e) for e in chunk) + "\n").encode())
    return out


def upload(s3, bucket: str, files: dict[str, bytes], prefix: str = "") -> None:
    """Put the files into `bucket` (created if needed) under `prefix`."""
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=prefix + key, Body=body, ContentEncoding="gzip")
