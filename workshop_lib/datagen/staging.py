"""Put the committed sample into a bucket, exactly where Segment's S3 destination would write it.

On the aws target this stands in for weeks of a live Segment S3 destination; on the local target
it gives the emulator's S3 the same history. Keys keep Segment's layout under an optional prefix:
`[prefix/]segment-logs/<source-id>/<received-day>/<file>.gz`.
"""

from __future__ import annotations

from pathlib import Path

from ..paths import SAMPLE_DATA_DIR
from . import ITEMS_CSV_NAME
from .s3_layout import LOGS_FOLDER


def stage_sample(bucket: str, prefix: str = "", root: Path = SAMPLE_DATA_DIR, s3=None) -> list[str]:
    """Upload every `segment-logs/**/*.gz` under `root`; returns the keys (re-running is safe)."""
    import boto3

    s3 = s3 or boto3.client("s3")
    prefix = prefix.strip("/")
    keys = []
    for path in sorted((root / LOGS_FOLDER).rglob("*.gz")):
        key = path.relative_to(root).as_posix()
        key = f"{prefix}/{key}" if prefix else key
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType="text/plain",
            ContentEncoding="gzip",  # as Segment's objects carry it
        )
        keys.append(key)
    if not keys:
        raise FileNotFoundError(f"No {LOGS_FOLDER}/**/*.gz under {root}; generate the data first.")
    return keys


def stage_catalogue(bucket: str, key: str, root: Path = SAMPLE_DATA_DIR, s3=None) -> str:
    """Upload the product catalogue CSV (a Personalize Items file); returns its s3:// URI."""
    import boto3

    s3 = s3 or boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=(root / ITEMS_CSV_NAME).read_bytes())
    return f"s3://{bucket}/{key}"
