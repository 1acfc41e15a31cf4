"""The steps of exercise 1, one call per notebook cell, each returning something to show.

Segment's S3 destination -> S3 -> Athena (explore) -> Glue job -> the interactions CSV that
Personalize imports in exercise 2.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import athena, deploy, glue, segment
from .datagen import INTERACTION_EVENT_TYPES, ITEMS_CSV_NAME
from .datagen.staging import stage_catalogue, stage_sample
from .paths import SAMPLE_DATA_DIR

LOGS_PREFIX = "segment-logs/"
INTERACTIONS_KEY = "transformed/interactions.csv"
CATALOGUE_KEY = "catalogue/products.csv"
LIVE_SOURCE = "website-prod"
GLUE_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"


def ensure_bucket(ws: Any) -> str:
    """The workshop's bucket (created once and tagged; us-east-1 takes no LocationConstraint),
    or the setup/ stack's bucket, which exists already."""
    s3 = ws.client("s3")
    if ws.stack:
        s3.head_bucket(Bucket=ws.bucket)
        return f"s3://{ws.bucket}/ is ready (from the stack {ws.stack})"
    extra = (
        {}
        if ws.region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": ws.region}}
    )
    try:
        s3.create_bucket(Bucket=ws.bucket, **extra)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise  # e.g. BucketAlreadyExists: another account owns that name
    else:  # only a bucket the kit made: a given bucket keeps its owner's tags
        tag_set = [{"Key": k, "Value": v} for k, v in ws.tags.items()]
        s3.put_bucket_tagging(Bucket=ws.bucket, Tagging={"TagSet": tag_set})
    return f"s3://{ws.bucket}/ is ready"


def segment_s3_settings(ws: Any) -> pd.DataFrame:
    """AWS target: what to type into Segment's AWS S3 destination (Segment's app). The role is
    the setup/ stack's SegmentS3Role, made for the workspace id the stack was given."""
    role = ws.roles.get("segment-s3") or (
        "deploy setup/workshop-stack.yaml with SegmentWorkspaceId (output SegmentS3RoleArn)"
    )
    rows = [("Bucket Name", ws.bucket), ("Region", ws.region), ("IAM Role ARN", role)]
    return pd.DataFrame(rows, columns=["setting in Segment's app", "value"])


def setup_segment(ws: Any) -> pd.DataFrame:
    """Local target: the workshop's Segment sources, and the S3 destination for website-prod."""
    workspace = segment.SegmentWorkspace(ws)
    sources = workspace.create_workshop_sources()
    workspace.connect_s3(sources[LIVE_SOURCE]["id"], ws.bucket)
    table = pd.DataFrame(workspace.overview())
    return table[["source", "source_id", "destination", "target"]]


def stage_history(ws: Any) -> pd.DataFrame:
    """Copy the historical logs (data/sample) to s3://bucket/segment-logs/, as Segment would
    have written them, and the product catalogue for exercise 2; a summary per source."""
    from tqdm import tqdm

    files = sorted((SAMPLE_DATA_DIR / "segment-logs").rglob("*.gz"))
    with tqdm(total=len(files), desc="staging", unit="file") as bar:
        keys = stage_sample(ws.bucket, s3=_ProgressS3(ws.client("s3"), bar))
    stage_catalogue(ws.bucket, CATALOGUE_KEY, s3=ws.client("s3"))
    rows = Counter()
    sizes = Counter()
    for path in files:
        source = path.relative_to(SAMPLE_DATA_DIR).parts[1]
        rows[source] += 1
        sizes[source] += path.stat().st_size
    summary = pd.DataFrame({"objects": pd.Series(rows), "MB": pd.Series(sizes) / 1e6})
    summary.index.name = "source id"
    summary.loc["all"] = summary.sum()
    assert summary.loc["all", "objects"] == len(keys)
    return summary.round({"MB": 2}).astype({"objects": int})


class _ProgressS3:
    """An S3 client that advances a progress bar on every upload."""

    def __init__(self, s3: Any, bar: Any) -> None:
        self._s3, self._bar = s3, bar

    def put_object(self, **kwargs: Any) -> dict:
        response = self._s3.put_object(**kwargs)
        self._bar.update(1)
        return response


def _live_events(count: int, seed: int) -> list[dict]:
    """Deterministic shopping sessions of a few new visitors (same seed, same messageIds)."""
    rng = random.Random(seed)
    products = pd.read_csv(SAMPLE_DATA_DIR / ITEMS_CSV_NAME)
    events = []
    for i in range(count):
        user = f"live-{rng.randrange(1, 21):04d}"
        product = products.iloc[rng.randrange(len(products))]
        event = rng.choices(INTERACTION_EVENT_TYPES, weights=[3, 6, 2, 1])[0]
        events.append(
            {
                "user_id": user,
                "event": event,
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


def send_live_events(ws: Any, count: int, seed: int, write_key: str = "") -> pd.DataFrame:
    """Send `count` events through the real Segment client; on the local target, flush the S3
    destination and show what arrived in the bucket."""
    if ws.target == "local":
        workspace = segment.SegmentWorkspace(ws)
        source = workspace.create_source(LIVE_SOURCE)
        write_key = source["writeKeys"][0]
    elif not write_key:
        print("No segment_write_key given: the live part is skipped (see the markdown above).")
        return pd.DataFrame()
    client = segment.analytics_client(write_key, ws, gzip=True)
    events = _live_events(count, seed)
    for e in events:
        client.track(
            user_id=e["user_id"],
            event=e["event"],
            properties=e["properties"],
            message_id=e["message_id"],
            timestamp=datetime.now(UTC),
        )
    client.flush()
    client.shutdown()
    sent = pd.Series(Counter(e["event"] for e in events), name="sent").sort_index()
    if ws.target != "local":
        return sent.to_frame()  # Segment writes to S3 about hourly on AWS
    workspace.flush(source["id"])
    arrived = _arrived(ws, source["id"], {e["message_id"] for e in events})
    table = sent.to_frame().join(pd.Series(arrived, name="in S3"))
    return table.fillna(0).astype(int)


def _arrived(ws: Any, source_id: str, message_ids: set[str]) -> Counter:
    """Events with these messageIds in the source's S3 objects, by name. Counting by id gives
    the same answer when the notebook runs again (Segment drops the repeated messageIds)."""
    s3 = ws.client("s3")
    staged = {p.name for p in (SAMPLE_DATA_DIR / "segment-logs").rglob("*.gz")}
    arrived: Counter = Counter()
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=ws.bucket, Prefix=f"{LOGS_PREFIX}{source_id}/"
    )
    for obj in (o for page in pages for o in page.get("Contents", [])):
        if obj["Key"].rsplit("/", 1)[-1] in staged:
            continue
        body = gzip.decompress(s3.get_object(Bucket=ws.bucket, Key=obj["Key"])["Body"].read())
        for line in body.splitlines():
            message = json.loads(line)
            if message.get("messageId") in message_ids:
                arrived[message.get("event")] += 1
    return arrived


def create_tables(ws: Any) -> pd.DataFrame:
    """The Athena database and the segment_logs table (from sql/segment_logs_table.sql)."""
    import awswrangler as wr

    database = athena.database_name(ws.prefix)
    athena.create_segment_logs_table(ws.bucket, database)
    columns = wr.catalog.table(database=database, table="segment_logs")
    return columns[["Column Name", "Type"]]


def explore(ws: Any, name: str) -> pd.DataFrame:
    """Run one of the exploration queries of workshop_lib/sql/ and return its result."""
    import awswrangler as wr

    database = athena.database_name(ws.prefix)
    if not wr.catalog.does_table_exist(database=database, table="segment_logs"):
        raise RuntimeError(
            f"There is no table {database}.segment_logs yet: run the cell with "
            "exercise1.create_tables(ws) first (and the ones above it)."
        )
    return athena.query(athena.sql(name, database=database), ws.bucket, database)


def run_etl(ws: Any) -> pd.DataFrame:
    """Upload the job script, create (or update) the Glue job and its role (or use the setup/
    stack's), run it, wait, and return what the job reported in its log."""
    iam, s3, glue_client = ws.client("iam"), ws.client("s3"), ws.client("glue")
    bucket_arn = f"arn:aws:s3:::{ws.bucket}"
    role = ws.roles.get("glue-job") or deploy.ensure_role(
        iam,
        ws.name("glue-job"),
        "glue.amazonaws.com",
        [GLUE_MANAGED_POLICY],
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": [f"{bucket_arn}/{LOGS_PREFIX}*", f"{bucket_arn}/glue-scripts/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{bucket_arn}/transformed/*",
                },
            ],
        },
    )
    script = glue.upload_script(s3, ws.bucket)
    name = glue.ensure_job(
        glue_client,
        ws.name("etl"),
        role,
        script,
        {
            "--input_path": f"s3://{ws.bucket}/{LOGS_PREFIX}",
            "--output_path": f"s3://{ws.bucket}/{INTERACTIONS_KEY}",
        },
    )
    run = glue.run_job(glue_client, name, timeout=1200)
    lines = glue.log_lines(ws.client("logs"), run["Id"])
    stats = [line.split(": ", 1) for line in lines if ": " in line and not line.startswith("wrote")]
    for line in lines:
        if line.startswith("wrote"):
            print(line)
    return pd.DataFrame(stats, columns=["what the job counted", "value"])


def check_output(ws: Any) -> pd.DataFrame:
    """The CSV against Athena's count of the same rule and Personalize's minimum data needs."""
    import awswrangler as wr

    path = f"s3://{ws.bucket}/{INTERACTIONS_KEY}"
    if not wr.s3.does_object_exist(path):
        raise FileNotFoundError(f"{path} is missing: run the Glue job cell above first.")
    frame = wr.s3.read_csv(path)
    expected = explore(ws, "interactions_count").iloc[0]
    per_user = frame.groupby("USER_ID").size()
    checks = [
        ("columns", ", ".join(frame.columns), "USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP"),
        ("rows", len(frame), int(expected["interactions"])),
        ("users", frame["USER_ID"].nunique(), int(expected["users"])),
        ("items", frame["ITEM_ID"].nunique(), int(expected["items"])),
        (
            "event types",
            ", ".join(sorted(frame["EVENT_TYPE"].unique())),
            ", ".join(sorted(INTERACTION_EVENT_TYPES)),
        ),
        ("TIMESTAMP in epoch seconds", str(frame["TIMESTAMP"].dtype), "int64"),
        ("Personalize: at least 1,000 interactions", len(frame) >= 1000, True),
        ("Personalize: at least 25 users with 2 or more", int((per_user >= 2).sum()) >= 25, True),
    ]
    table = pd.DataFrame(checks, columns=["check", "value", "expected"])
    table["ok"] = table["value"].astype(str) == table["expected"].astype(str)
    return table
