"""Segment speed: the data generator, and events from the real client through the Tracking API
into S3 objects (target: 5,000 events/s on a 2-core machine), printed as a table.

    .venv/bin/python benchmarks/segment_throughput.py [--events 50000] [--preset default]

The emulator runs as its own process (as for the notebooks). An end-to-end run counts from the
first client call until every event is a line of a gzipped object in S3 (client flushed, then
the destination flushed), and checks that the line count matches.
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import tempfile
import time

from workshop_lib.datagen import PRESETS, generate
from workshop_lib.emulator import process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def generator_rate(preset: str) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        summary = generate(out, preset)
        return summary.events, time.perf_counter() - began


def lines_in_s3(s3, bucket: str) -> int:
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            total += gzip.decompress(body).count(b"\n")
    return total


def end_to_end(ws, s3, events: int, label: str, **client_options) -> tuple[str, float, int]:
    from workshop_lib.segment import analytics_client

    name = f"bench-{label.replace(' ', '-')}-{time.time_ns() % 10**8}"
    bucket = f"{name}-bucket"
    s3.create_bucket(Bucket=bucket)
    source = ws.create_source(name)
    ws.connect_s3(source["id"], bucket, flushIntervalSeconds=3600)
    client = analytics_client(source["writeKeys"][0], max_queue_size=events + 1, **client_options)
    began = time.perf_counter()
    for i in range(events):
        client.track(
            user_id=f"user-{i % 1500}",
            event="Product Viewed",
            properties={"sku": f"sku-{i % 250}", "price": 19.99, "currency": "USD"},
        )
    client.flush()
    ws.flush(source["id"])
    seconds = time.perf_counter() - began
    if not client_options.get("sync_mode"):
        client.join()
    written = lines_in_s3(s3, bucket)
    return label, seconds, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--sync-events", type=int, default=2_000)
    parser.add_argument("--preset", default="default", choices=sorted(PRESETS))
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []

    count, seconds = generator_rate(args.preset)
    rows.append((f"generator, preset {args.preset}: events", f"{count:,}"))
    rows.append(("generator: seconds / events per s", f"{seconds:.1f} / {count / seconds:,.0f}"))

    os.environ["WORKSHOP_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-segment-")
    port = free_port()
    status, _ = process.start(port)
    try:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": status.url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
                "WORKSHOP_TARGET": "local",
            }
        )
        import boto3

        from workshop_lib.segment import SegmentWorkspace

        ws, s3 = SegmentWorkspace(), boto3.client("s3")
        runs = [
            end_to_end(ws, s3, args.events, "background", upload_size=100),
            end_to_end(ws, s3, args.events, "background gzip", upload_size=100, gzip=True),
            end_to_end(ws, s3, args.sync_events, "sync mode", sync_mode=True),
        ]
        for label, seconds, written in runs:
            sent = args.sync_events if label == "sync mode" else args.events
            check = "all in S3" if written == sent else f"ONLY {written:,} in S3"
            rows.append(
                (
                    f"client -> Tracking API -> S3, {label}: {sent:,} events",
                    f"{seconds:.2f} s, {sent / seconds:,.0f} events/s ({check})",
                )
            )
    finally:
        process.stop(port)

    width = max(len(name) for name, _ in rows)
    print(f"{'metric'.ljust(width)}  value\n{'-' * width}  -----")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
