"""Glue Python shell job: Segment S3-destination logs -> a Personalize interactions CSV.

It runs unchanged on AWS Glue (Python shell, with the "analytics" library set that brings
awswrangler and pandas) and on the kit's local emulator. Job arguments:
  --input_path   s3://<bucket>/segment-logs/            every *.gz file below it (NDJSON)
  --output_path  s3://<bucket>/transformed/interactions.csv

What it keeps: product events (EVENT_TYPES) that carry a `properties.sku` and, after identity
resolution, a user. Anonymous events count for the user an identify call ties their anonymousId
to. Duplicate messageIds (Segment delivers at least once) and malformed lines are dropped and
counted. TIMESTAMP is the event's `timestamp` in epoch seconds, as Personalize requires.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

EVENT_TYPES = ("Product Clicked", "Product Viewed", "Product Added", "Order Completed")
COLUMNS = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]


def parse(lines: Iterable[bytes | str], stats: Counter) -> list[dict]:
    """JSON objects from NDJSON lines; a line that is not one is counted as malformed."""
    messages = []
    for line in lines:
        if not line.strip():
            continue
        stats["lines"] += 1
        try:
            message = json.loads(line)
        except ValueError:
            stats["malformed"] += 1
            continue
        if isinstance(message, dict):
            messages.append(message)
        else:
            stats["malformed"] += 1
    return messages


def epoch_seconds(iso: str) -> int:
    """Segment's ISO-8601 timestamp (with Z or an offset) in whole epoch seconds."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def interactions(messages: list[dict], stats: Counter) -> list[tuple[str, str, str, int]]:
    """Rows (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP), sorted by time then user."""
    unique, seen = [], set()
    for message in messages:
        message_id = message.get("messageId")
        if message_id in seen:
            stats["duplicates"] += 1
            continue
        seen.add(message_id)
        unique.append(message)
    # identify calls tie a browser's or device's anonymousId to the person who logged in
    # (the latest identify wins where a device was shared)
    identifies = sorted(
        (
            m
            for m in unique
            if m.get("type") == "identify" and m.get("anonymousId") and m.get("userId")
        ),
        key=lambda m: m.get("timestamp") or "",
    )
    user_of = {m["anonymousId"]: m["userId"] for m in identifies}
    rows = []
    for m in unique:
        if m.get("type") != "track" or m.get("event") not in EVENT_TYPES:
            continue
        sku = (m.get("properties") or {}).get("sku")
        user = m.get("userId") or user_of.get(m.get("anonymousId"))
        if not sku or not user or not m.get("timestamp"):
            stats["product events without user or sku"] += 1
            continue
        if not m.get("userId"):
            stats["anonymous events tied to a user"] += 1
        rows.append((str(user), str(sku), m["event"], epoch_seconds(m["timestamp"])))
    rows.sort(key=lambda r: (r[3], r[0], r[1], r[2]))
    stats["interactions"] = len(rows)
    return rows


def _read_logs(s3, input_path: str) -> Iterable[bytes]:
    """The lines of every .gz object under input_path, in key order; the objects are fetched
    in parallel (one GET each, mostly waiting on the network)."""
    bucket, _, prefix = input_path.removeprefix("s3://").partition("/")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [
        o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".gz")
    ]

    def read(key: str) -> list[bytes]:
        return gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines()

    with ThreadPoolExecutor(max_workers=16) as pool:
        for lines in pool.map(read, keys):
            yield from lines


def main(argv: list[str]) -> None:
    import awswrangler as wr
    import boto3
    import pandas as pd
    from awsglue.utils import getResolvedOptions

    args = getResolvedOptions(argv, ["input_path", "output_path"])
    # counters that stay 0 are still reported, so the log always says what was checked
    stats: Counter = Counter({"malformed": 0, "duplicates": 0})
    messages = parse(_read_logs(boto3.client("s3"), args["input_path"]), stats)
    rows = interactions(messages, stats)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    wr.s3.to_csv(frame, args["output_path"], index=False)
    for name, value in sorted(stats.items()):
        print(f"{name}: {value}")
    print(
        f"wrote {len(frame)} interactions of {frame['USER_ID'].nunique()} users and "
        f"{frame['ITEM_ID'].nunique()} items to {args['output_path']}"
    )


if __name__ == "__main__":
    main(sys.argv)
