"""Stand-ins for what notebook 01 leaves in S3, for tests of notebook 02 and its helpers.

The interactions CSV is what exercise 1's Glue job writes: its own transform
(workshop_lib/jobs/segment_to_interactions.py) over the committed sample logs.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections import Counter
from functools import cache

from workshop_lib.datagen.staging import stage_catalogue
from workshop_lib.exercise2 import CATALOGUE_KEY, INTERACTIONS_KEY
from workshop_lib.jobs.segment_to_interactions import COLUMNS, interactions, parse
from workshop_lib.paths import SAMPLE_DATA_DIR


@cache
def interactions_csv() -> bytes:
    """The Glue job's output for data/sample, as CSV bytes (computed once per process)."""
    import pandas as pd

    lines = []
    for path in sorted((SAMPLE_DATA_DIR / "segment-logs").rglob("*.gz")):
        lines.extend(gzip.decompress(path.read_bytes()).splitlines())
    stats: Counter = Counter()
    frame = pd.DataFrame(interactions(parse(lines, stats), stats), columns=COLUMNS)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def stage(s3, bucket: str) -> None:
    """Create the bucket and put both objects notebook 02 reads."""
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=INTERACTIONS_KEY, Body=interactions_csv())
    stage_catalogue(bucket, CATALOGUE_KEY, s3=s3)
