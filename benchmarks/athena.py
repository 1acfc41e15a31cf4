"""Athena emulator overhead: the same queries through boto3 to the emulator vs DuckDB directly.

    .venv/bin/python benchmarks/athena.py [--events 1000000] [--files 100] [--runs 3]

1 million Segment events (generated locally, deterministic) in 100 gzipped NDJSON files are
uploaded to the emulator's S3 under Segment's layout, and the workshop's `segment_logs` table is
created over them. Each query then runs:
- directly in DuckDB over the same files on local disk: `read_json_auto` (the baseline of the
  targets; it infers the schema on every run), and `read_json` told the columns the query needs
  (a tighter lower bound, shown as "duckdb cols");
- through boto3 (start, poll, all result pages) on a fresh emulator process: "first" is the run
  that downloads and reads the objects, "cached" the median of the next runs (objects kept by
  ETag).
The ratio emulator / DuckDB is the emulator's overhead (targets: < 2x first, < 1.2x cached).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.athena_data import make_events, segment_files
from tests.emulator.athena_helpers import WORKSHOP_DDL
from workshop_lib.emulator import process

BUCKET = "segment-personalize-workshop"
OUT = "s3://segment-personalize-workshop/athena-results/"
QUERIES = {
    "count by event type": (
        "SELECT event, count(*) AS n FROM {table} GROUP BY event ORDER BY n DESC"
    ),
    "top products viewed": (
        "SELECT properties.sku AS sku, count(*) AS views FROM {table} "
        "WHERE event = 'Product Viewed' GROUP BY 1 ORDER BY views DESC, sku LIMIT 10"
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def athena_query(sql: str) -> tuple[float, list]:
    """Seconds from StartQueryExecution to the last result page, and the rows."""
    athena = boto3.client("athena")
    began = time.perf_counter()
    qid = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "default"},
        ResultConfiguration={"OutputLocation": OUT},
    )["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(status)
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return time.perf_counter() - began, rows[1:]


COLUMNS = "{'event': 'VARCHAR', 'properties': 'STRUCT(sku VARCHAR)'}"


def duckdb_query(sql: str, folder: Path, columns: bool = False) -> tuple[float, list]:
    began = time.perf_counter()
    con = duckdb.connect()
    source = (
        f"read_json('{folder}/*.gz', format='newline_delimited', columns={COLUMNS})"
        if columns
        else f"read_json_auto('{folder}/*.gz')"
    )
    rows = con.sql(sql.format(table=source)).fetchall()
    con.close()
    return time.perf_counter() - began, [[None if v is None else str(v) for v in r] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["WORKSHOP_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-athena-")
    folder = Path(tempfile.mkdtemp(prefix="bench-athena-data-"))
    began = time.perf_counter()
    files = segment_files(make_events(args.events, seed=1), args.files)
    for key, body in files.items():
        (folder / key.rsplit("/", 1)[1]).write_bytes(body)
    size = sum(len(b) for b in files.values())
    print(
        f"{args.events:,} events in {len(files)} files, {size / 2**20:.0f} MiB gzipped "
        f"(generated in {time.perf_counter() - began:.0f} s)\n"
    )
    table = []
    for name, sql in QUERIES.items():
        direct = [duckdb_query(sql, folder) for _ in range(args.runs)]
        tight = statistics.median(duckdb_query(sql, folder, True)[0] for _ in range(args.runs))
        port = free_port()
        status, _ = process.start(port)
        try:
            os.environ.update(
                AWS_ENDPOINT_URL=status.url,
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
                AWS_DEFAULT_REGION="us-east-1",
            )
            boto3.setup_default_session()
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket=BUCKET)
            for key, body in files.items():
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            athena_query("CREATE DATABASE IF NOT EXISTS default")
            athena_query(WORKSHOP_DDL)
            first, rows = athena_query(sql.format(table="segment_logs"))
            cached = [athena_query(sql.format(table="segment_logs"))[0] for _ in range(args.runs)]
        finally:
            process.stop(port)
        same = rows == direct[0][1]
        base = statistics.median(t for t, _ in direct)
        table.append((name, base, tight, first, statistics.median(cached), same))
    header = (
        "query", "duckdb (s)", "duckdb cols (s)", "emu first (s)", "emu cached (s)",
        "first x", "cached x", "same rows",
    )  # fmt: skip
    print("  ".join(f"{h:>15}" if i else f"{h:<20}" for i, h in enumerate(header)))
    for name, base, tight, first, cached, same in table:
        cells = [base, tight, first, cached, first / base, cached / base]
        text = [f"{c:.2f}" for c in cells] + [str(same)]
        print(f"{name:<20}  " + "  ".join(f"{c:>15}" for c in text))
    print("\nx = emulator / duckdb (read_json_auto); targets: first x < 2.0, cached x < 1.2")


if __name__ == "__main__":
    main()
