"""Exercise 1's plumbing, not its lesson: the sample history staged where Segment's S3
destination writes, deterministic shopping events for the live part, and which of them reached S3.

The calls the exercise teaches (S3, the Segment client, Athena's SQL, Glue) are written in the
notebook's cells; the "Your turn" checks are in checks/exercise1.py.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from .datagen import INTERACTION_EVENT_TYPES, ITEMS_CSV_NAME
from .datagen.staging import stage_catalogue
from .paths import SAMPLE_DATA_DIR

LOGS_PREFIX = "segment-logs/"
CATALOGUE_KEY = "catalogue/products.csv"
HISTORY_FILES = SAMPLE_DATA_DIR / "segment-logs"


def _keys(s3: Any, bucket: str, prefix: str = LOGS_PREFIX) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def stage_history(ws: Any) -> pd.DataFrame:
    """Copy the generated history (data/sample) to s3://<bucket>/segment-logs/, in Segment's key
    layout, and the product catalogue for exercise 2; one summary row per source. Objects that
    are there already are not sent again, so a rerun takes a moment only."""
    s3 = ws.client("s3")
    files = sorted(HISTORY_FILES.rglob("*.gz"))
    there = set(_keys(s3, ws.bucket))

    def put(path: Any) -> None:
        key = path.relative_to(SAMPLE_DATA_DIR).as_posix()
        if key not in there:  # ContentEncoding as Segment's objects carry it
            body = path.read_bytes()
            s3.put_object(
                Bucket=ws.bucket,
                Key=key,
                Body=body,
                ContentType="text/plain",
                ContentEncoding="gzip",
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, files))
    stage_catalogue(ws.bucket, CATALOGUE_KEY, s3=s3)
    sources = Counter(path.relative_to(HISTORY_FILES).parts[0] for path in files)
    sizes: Counter = Counter()
    for path in files:
        sizes[path.relative_to(HISTORY_FILES).parts[0]] += path.stat().st_size
    summary = pd.DataFrame({"objects": pd.Series(sources), "MB": pd.Series(sizes) / 1e6})
    summary.index.name = "source id"
    summary.loc["all"] = summary.sum()
    return summary.round({"MB": 2}).astype({"objects": int})


def shopping_events(count: int, seed: int) -> list[dict]:
    """Shopping events of a few new visitors (live-0001 ... live-0020) on catalogue products,
    as keyword arguments of `analytics.track`; the same seed gives the same events and
    messageIds, so Segment drops them when they are sent again."""
    rng = random.Random(seed)
    products = pd.read_csv(SAMPLE_DATA_DIR / ITEMS_CSV_NAME)
    events = []
    for i in range(count):
        product = products.iloc[rng.randrange(len(products))]
        events.append(
            {
                "user_id": f"live-{rng.randrange(1, 21):04d}",
                "event": rng.choices(INTERACTION_EVENT_TYPES, weights=[3, 6, 2, 1])[0],
                "properties": {
                    "sku": product.ITEM_ID,
                    "name": product.NAME,
                    "category": product.CATEGORY_L2,
                    "price": float(product.PRICE),
                },
                "message_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"workshop-live/{seed}/{i}")),
            }
        )
    return events


def arrivals(ws: Any, message_ids: Iterable[str]) -> pd.DataFrame:
    """Which of the messages sent (by messageId) are in the bucket's Segment logs, per event.
    Counting by id gives the same answer on a rerun (Segment drops repeated messageIds)."""
    wanted, s3 = set(message_ids), ws.client("s3")
    staged = {path.name for path in HISTORY_FILES.rglob("*.gz")}
    found: Counter = Counter()
    for key in _keys(s3, ws.bucket):
        if key.rsplit("/", 1)[-1] in staged or not key.endswith(".gz"):
            continue
        body = gzip.decompress(s3.get_object(Bucket=ws.bucket, Key=key)["Body"].read())
        for message in map(json.loads, body.splitlines()):
            if message.get("messageId") in wanted:
                found[message.get("event") or f"({message.get('type')})"] += 1
    print(
        f"{sum(found.values())} of the {len(wanted)} messages sent are in "
        f"s3://{ws.bucket}/{LOGS_PREFIX}"
        + ("" if ws.target == "local" else " (Segment writes there about once an hour)")
    )
    return pd.Series(found, name="in S3", dtype=int).sort_index().to_frame()
