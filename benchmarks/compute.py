"""Lambda, API Gateway and Glue run latency on the emulator, and its overhead over bare moto.

    .venv/bin/python benchmarks/compute.py [--calls 1000] [--cold 10] [--s3-calls 500]

The emulator runs as `start` runs it (a background process); a bare `moto.server` runs beside
it for the same S3 call. Targets (2-core machine): warm invoke p50 < 15 ms, API round trip
p50 < 20 ms, dispatcher overhead < 10 %.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable

import boto3

from workshop_lib.emulator import process

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(call: Callable[[], object], count: int, warmup: int = 20) -> list[float]:
    """Milliseconds per call, sorted."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times)


def p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, int(q * len(times)))]


def clients(url: str) -> dict:
    kwargs = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    return {name: boto3.client(name, **kwargs) for name in ("iam", "lambda", "apigatewayv2", "s3")}


def deploy(c: dict) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    trust = {  # IAM is enforced: Lambda must be allowed to assume the function's role
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = c["iam"].create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))
    arn = c["lambda"].create_function(
        FunctionName="bench",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    return arn


def bare_moto(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _opener.open(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("moto.server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cold", type=int, default=10)
    parser.add_argument("--s3-calls", type=int, default=500)
    args = parser.parse_args()
    os.environ["WORKSHOP_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-")
    rows: list[tuple[str, str, str]] = []
    port, moto_port = free_port(), free_port()
    status, _ = process.start(port)
    moto = bare_moto(moto_port)
    try:
        c = clients(status.url)
        arn = deploy(c)

        def invoke() -> None:
            response = c["lambda"].invoke(FunctionName="bench", Payload=b"{}")
            response["Payload"].read()

        warm = timed(invoke, args.calls)
        rows.append(
            (
                f"warm Lambda invoke via boto3, p50 / p99 (ms), {args.calls} calls",
                f"{statistics.median(warm):.2f} / {p(warm, 0.99):.2f}",
                "p50 < 15",
            )
        )

        api_id = c["apigatewayv2"].create_api(Name="bench", ProtocolType="HTTP", Target=arn)[
            "ApiId"
        ]
        c["lambda"].add_permission(
            FunctionName="bench",
            StatementId="bench-apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*",
        )
        url = f"{status.url}/_aws/execute-api/{api_id}/hello"

        def api_call() -> None:
            with _opener.open(url, timeout=30) as response:
                response.read()

        api = timed(api_call, args.calls)
        rows.append(
            (
                f"API Gateway -> Lambda over HTTP, p50 / p99 (ms), {args.calls} calls",
                f"{statistics.median(api):.2f} / {p(api, 0.99):.2f}",
                "p50 < 20",
            )
        )

        colds = []
        for n in range(args.cold):  # a configuration change makes the next call a cold start
            c["lambda"].update_function_configuration(
                FunctionName="bench", Environment={"Variables": {"N": str(n)}}
            )
            began = time.perf_counter()
            invoke()
            colds.append((time.perf_counter() - began) * 1000)
        colds.sort()
        rows.append(
            (
                f"cold start (new worker) invoke, p50 / max (ms), {args.cold} runs",
                f"{statistics.median(colds):.0f} / {colds[-1]:.0f}",
                "",
            )
        )

        s3_emulator = c["s3"]
        s3_moto = clients(f"http://127.0.0.1:{moto_port}")["s3"]
        for s3 in (s3_emulator, s3_moto):
            s3.create_bucket(Bucket="bench-bucket")
            s3.put_object(Bucket="bench-bucket", Key="k", Body=b"x" * 1024)
        # Short interleaved rounds, so both servers see the same machine load; the overhead is
        # the median of the per-round ratios (other work on a shared machine moves both sides).
        rounds = 20
        via_emulator: list[float] = []
        via_moto: list[float] = []
        ratios = []
        for _ in range(rounds):
            pair = [
                timed(
                    lambda s3=s3: s3.get_object(Bucket="bench-bucket", Key="k")["Body"].read(),
                    max(1, args.s3_calls // rounds),
                    warmup=3,
                )
                for s3 in (s3_emulator, s3_moto)
            ]
            via_emulator += pair[0]
            via_moto += pair[1]
            ratios.append(statistics.median(pair[0]) / statistics.median(pair[1]))
        rows.append(
            (
                f"s3 get_object 1 KiB p50, emulator / bare moto (ms), {args.s3_calls} calls",
                f"{statistics.median(via_emulator):.2f} / {statistics.median(via_moto):.2f}",
                "",
            )
        )
        rows.append(
            (
                f"dispatcher overhead (median of {rounds} round ratios - 1)",
                f"{(statistics.median(ratios) - 1) * 100:+.1f} %",
                "< 10 %",
            )
        )
    finally:
        moto.terminate()
        moto.wait(timeout=10)
        process.stop(port)

    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    print(f"{'metric'.ljust(width)}  {'value'.ljust(value_width)}  target")
    print(f"{'-' * width}  {'-' * value_width}  ------")
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value.ljust(value_width)}  {target}")


if __name__ == "__main__":
    main()
