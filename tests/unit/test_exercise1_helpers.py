"""Exercise 1's plumbing: the live events, the staged history and what of it reached S3, the
Glue run's wait and the chart per day."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import date
from types import SimpleNamespace

import boto3
import pandas as pd
import pytest

from workshop_lib import exercise1, glue, plots
from workshop_lib.datagen import INTERACTION_EVENT_TYPES
from workshop_lib.waiting import ResourceFailed


def test_live_events_are_the_same_for_the_same_seed():
    first = exercise1.shopping_events(50, seed=7)
    assert first == exercise1.shopping_events(50, seed=7)
    assert first != exercise1.shopping_events(50, seed=8)
    assert len({e["message_id"] for e in first}) == 50  # unique, so Segment keeps them all
    assert {e["event"] for e in first} <= set(INTERACTION_EVENT_TYPES)
    assert all(e["properties"]["sku"] for e in first)
    # the keys are analytics.track's keyword arguments
    assert set(first[0]) == {"user_id", "event", "properties", "message_id"}


@pytest.fixture
def ws(aws_env):
    bucket = f"ex1-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    clients = {}  # one client per service, as a test can then watch its calls

    def client(name):
        return clients.setdefault(name, boto3.client(name, "us-east-1"))

    return SimpleNamespace(bucket=bucket, target="local", client=client)


def test_the_history_lands_where_segment_writes_once(ws):
    summary = exercise1.stage_history(ws)
    assert summary.loc["all", "objects"] == 198 and summary.loc["all", "MB"] > 1
    s3 = ws.client("s3")
    keys = exercise1._keys(s3, ws.bucket)
    assert len(keys) == 198 and all(k.startswith("segment-logs/") for k in keys)
    head = s3.head_object(Bucket=ws.bucket, Key=keys[0])
    assert head["ContentEncoding"] == "gzip"
    assert s3.head_object(Bucket=ws.bucket, Key=exercise1.CATALOGUE_KEY)["ContentLength"] > 0
    puts = []
    s3.meta.events.register("before-call.s3.PutObject", lambda params, **kw: puts.append(params))
    assert exercise1.stage_history(ws).equals(summary)  # a rerun sends no log again
    assert [p["url_path"].rsplit("/", 2)[-2:] for p in puts] == [["catalogue", "products.csv"]]


def test_arrivals_count_the_messages_sent_by_id(ws, capsys):
    lines = [
        {"messageId": "a", "type": "track", "event": "Product Viewed"},
        {"messageId": "b", "type": "identify"},
        {"messageId": "other", "type": "track", "event": "Product Viewed"},
    ]
    body = gzip.compress("\n".join(map(json.dumps, lines)).encode())
    ws.client("s3").put_object(Bucket=ws.bucket, Key="segment-logs/src/1/x.gz", Body=body)
    table = exercise1.arrivals(ws, ["a", "b", "c"])
    assert table["in S3"].to_dict() == {"(identify)": 1, "Product Viewed": 1}
    assert (
        f"2 of the 3 messages sent are in s3://{ws.bucket}/segment-logs/" in capsys.readouterr().out
    )


def test_wait_for_job_run_reports_the_run_and_glues_error():
    runs = iter([{"JobRunState": "RUNNING"}, {"JobRunState": "SUCCEEDED", "Id": "jr_1"}])
    client = SimpleNamespace(get_job_run=lambda JobName, RunId: {"JobRun": next(runs)})
    said = []
    run = glue.wait_for_job_run(client, "etl", "jr_1", poll=0, say=said.append, sleep=lambda s: 0)
    assert run["Id"] == "jr_1"
    assert said[-1] == "Ready: job run of etl (SUCCEEDED)."
    failed = {"JobRunState": "FAILED", "ErrorMessage": "ModuleNotFoundError: awswrangler"}
    client = SimpleNamespace(get_job_run=lambda JobName, RunId: {"JobRun": failed})
    with pytest.raises(ResourceFailed, match="ModuleNotFoundError: awswrangler"):
        glue.wait_for_job_run(client, "etl", "jr_2", poll=0)


def test_the_chart_per_day_marks_the_live_day():
    frame = pd.DataFrame(
        {"day": [date(2026, 9, 1), date(2026, 9, 2), date(2026, 12, 5)], "people": [150, 140, 21]}
    )
    fig = plots.per_day(frame, "day", "people", "t", highlight=[date(2026, 12, 5)], label="live")
    ax = fig.axes[0]
    colours = {tuple(bar.get_facecolor()) for bar in ax.patches}
    assert len(ax.patches) == 3 and len(colours) == 2  # history in one colour, today in another
    assert [t.get_text() for t in ax.texts] == ["live: 21"]
    assert not plots.per_day(frame, "day", "people", "t").axes[0].texts  # no live day: no arrow
