"""Emulator cold start, memory and request latency, printed as a table.

    .venv/bin/python benchmarks/emulator_startup.py [--runs 3] [--calls 200]

Cold start = `start` (a new background process) until the health endpoint answers.
Memory = resident set size when idle, and after one call to each pass-through service.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time

import psutil

from workshop_lib.emulator import process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def touch_every_service() -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket="bench-bucket")
    boto3.client("sts").get_caller_identity()
    boto3.client("iam").list_roles()
    boto3.client("glue").get_databases()
    boto3.client("lambda").list_functions()
    boto3.client("apigateway").get_rest_apis()
    boto3.client("apigatewayv2").get_apis()
    boto3.client("logs").describe_log_groups()
    boto3.client("cloudformation").list_stacks()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    os.environ["WORKSHOP_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-")
    rows: list[tuple[str, str]] = []
    starts = []
    for _ in range(args.runs):
        port = free_port()
        began = time.monotonic()
        status, _ = process.start(port)
        starts.append(time.monotonic() - began)
        process.stop(port)
    rows.append(("cold start to healthy (s), runs", ", ".join(f"{s:.2f}" for s in starts)))
    rows.append(("cold start median (s)", f"{statistics.median(starts):.2f}"))

    port = free_port()
    status, _ = process.start(port)
    try:
        proc = psutil.Process(status.pid)
        rows.append(("RSS idle (MiB)", f"{proc.memory_info().rss / 2**20:.0f}"))
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": status.url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        )
        began = time.monotonic()
        touch_every_service()
        rows.append(("first call to 9 services (s)", f"{time.monotonic() - began:.2f}"))
        rows.append(("RSS after 9 services (MiB)", f"{proc.memory_info().rss / 2**20:.0f}"))
        import boto3

        s3 = boto3.client("s3")
        for _ in range(10):
            s3.head_bucket(Bucket="bench-bucket")
        times = []
        for _ in range(args.calls):
            began = time.perf_counter()
            s3.head_bucket(Bucket="bench-bucket")
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        rows.append(
            (
                f"s3 head_bucket median / p95 (ms), {args.calls} calls",
                f"{statistics.median(times):.2f} / {times[int(0.95 * len(times))]:.2f}",
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
