"""The checks of exercise 1's tasks against a real (emulated) Athena table: each accepts the
worked solution and tells the untouched placeholder and plausible wrong answers in its ✘ line.

A dozen hand-made Segment messages stand in for the history, so each mistake gives a different
answer: a sign-up just before midnight that Segment received after it (the day by receivedAt is
wrong), a day with two sign-ups, and anonymous messages of two types.
"""

from __future__ import annotations

import gzip
import json
import uuid

import boto3
import pytest

from tests.local_workshop import local_workshop
from workshop_lib.checks import exercise1 as check
from workshop_lib.paths import NOTEBOOKS_DIR

MESSAGES = [
    # type, event, userId, anonymousId, timestamp, receivedAt
    ("track", "Signed Up", "u1", "a1", "2026-09-01T10:00:00.000Z", "2026-09-01T10:00:00.200Z"),
    ("track", "Signed Up", "u2", "a2", "2026-09-01T23:59:59.900Z", "2026-09-02T00:00:00.100Z"),
    ("track", "Signed Up", "u3", "a3", "2026-09-03T12:00:00.000Z", "2026-09-03T12:00:00.300Z"),
    ("track", "Signed In", "u1", "a1", "2026-09-03T12:05:00.000Z", "2026-09-03T12:05:00.100Z"),
    ("track", "Product Viewed", None, "a4", "2026-09-03T12:06:00.000Z", "2026-09-03T12:06:00.1Z"),
    ("page", None, None, "a5", "2026-09-02T08:00:00.000Z", "2026-09-02T08:00:00.100Z"),
    ("page", None, None, "a6", "2026-09-02T08:01:00.000Z", "2026-09-02T08:01:00.100Z"),
    ("page", None, "u1", "a1", "2026-09-02T08:02:00.000Z", "2026-09-02T08:02:00.100Z"),
    ("identify", None, "u1", "a1", "2026-09-01T10:00:01.000Z", "2026-09-01T10:00:01.100Z"),
]
DDL = """
CREATE EXTERNAL TABLE IF NOT EXISTS {database}.segment_logs (
  anonymousId string, event string, messageId string, receivedAt string,
  `timestamp` string, type string, userId string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://{bucket}/segment-logs/'
"""


@pytest.fixture(scope="module")
def ws(module_aws_env):
    """A workshop whose Athena database holds segment_logs over MESSAGES."""
    import awswrangler as wr

    prefix = f"chk1-{uuid.uuid4().hex[:6]}"
    workshop = local_workshop(prefix, module_aws_env.url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=workshop.bucket)
    lines = []
    for n, (kind, event, user, anonymous, timestamp, received) in enumerate(MESSAGES):
        message = {"type": kind, "messageId": f"m{n}", "anonymousId": anonymous}
        message.update(timestamp=timestamp, receivedAt=received)
        message.update({"event": event} if event else {})
        message.update({"userId": user} if user else {})
        lines.append(json.dumps(message))
    body = gzip.compress("\n".join(lines).encode())
    s3.put_object(Bucket=workshop.bucket, Key="segment-logs/src/1/logs.gz", Body=body)
    database, results = prefix.replace("-", "_"), f"s3://{workshop.bucket}/athena-results/"
    wr.config.athena_query_wait_polling_delay = 0.1  # as connect() sets it for the emulator
    for statement in (
        f"CREATE DATABASE IF NOT EXISTS {database}",
        DDL.format(database=database, bucket=workshop.bucket),
    ):
        wr.athena.start_query_execution(statement, s3_output=results, wait=True)
    yield workshop
    wr.config.reset("athena_query_wait_polling_delay")


@pytest.fixture(scope="module")
def sql(ws):
    """The notebook's sql(), over the test's database."""
    import awswrangler as wr

    def run(query: str):
        return wr.athena.read_sql_query(
            query,
            database=ws.prefix.replace("-", "_"),
            s3_output=f"s3://{ws.bucket}/athena-results/",
            ctas_approach=False,
        )

    return run


def _solution(name: str, sql) -> dict:
    """Run the worked solution as the notebook does (the cell's source, with sql defined)."""
    scope = {"sql": sql}
    exec((NOTEBOOKS_DIR / "solutions" / name).read_text(), scope)
    return scope


def _verdict(capsys, passed: bool, expected: bool, *phrases: str) -> str:
    line = capsys.readouterr().out.strip()
    assert bool(passed) is expected, line
    assert line.startswith("✔" if expected else "✘"), line
    for phrase in phrases:
        assert phrase in line, line
    return line


def test_signups_accepts_the_solution(ws, sql, capsys):
    signups = _solution("01_signups_per_day.py", sql)["signups"]
    line = _verdict(capsys, check.signups_per_day(ws, signups), True)
    assert "3 sign-ups over 2 days" in line and "the most on 2026-09-01 (2)" in line


def test_signups_tells_what_is_wrong(ws, sql, capsys):
    assert not check.signups_per_day(ws, None)
    _verdict(capsys, False, False, "✘ Not done yet", "signups = sql(")
    every_track_event = sql("""
        SELECT date(from_iso8601_timestamp("timestamp")) AS day, count(*) AS signups
        FROM segment_logs WHERE type = 'track' GROUP BY 1
    """)
    passed = check.signups_per_day(ws, every_track_event)
    _verdict(capsys, passed, False, "5 sign-ups in all, expected 3", "'Signed Up'")
    by_received = sql("""
        SELECT date(from_iso8601_timestamp(receivedAt)) AS day, count(*) AS signups
        FROM segment_logs WHERE event = 'Signed Up' GROUP BY 1
    """)
    passed = check.signups_per_day(ws, by_received)
    _verdict(capsys, passed, False, "3 rows for 2 days")
    other_names = sql("""
        SELECT date(from_iso8601_timestamp("timestamp")) AS d, count(*) AS n
        FROM segment_logs WHERE event = 'Signed Up' GROUP BY 1
    """)
    _verdict(capsys, check.signups_per_day(ws, other_names), False, "`day`", "yours are d, n")
    passed = check.signups_per_day(ws, [("2026-09-01", 2)])
    _verdict(capsys, passed, False, "not a list")


def test_signups_tells_a_day_shifted_by_the_receiving_time(ws, sql, capsys):
    """The right days and total, one sign-up counted on the wrong one of the two days."""
    shifted = sql(
        "SELECT date '2026-09-01' AS day, 1 AS signups UNION ALL SELECT date '2026-09-03', 2"
    )
    passed = check.signups_per_day(ws, shifted)
    _verdict(capsys, passed, False, "the right total on other days", "timestamp")


def test_anonymous_share_accepts_the_solution(ws, sql, capsys):
    shares = _solution("01_anonymous_share.py", sql)["shares"]
    line = _verdict(capsys, check.anonymous_share(ws, shares), True)
    assert "33% of all messages have no userId" in line and "page (67%)" in line


def test_anonymous_share_tells_what_is_wrong(ws, sql, capsys):
    assert not check.anonymous_share(ws, None)
    _verdict(capsys, False, False, "✘ Not done yet", "shares = sql(")
    integer_division = sql("""
        SELECT type, count(*) AS events, count_if(userId IS NULL) / count(*) AS anonymous_share
        FROM segment_logs GROUP BY type
    """)
    passed = check.anonymous_share(ws, integer_division)
    _verdict(capsys, passed, False, "every share is 0", "CAST(count(*) AS double)")
    percent = sql("""
        SELECT type, count(*) AS events,
               100.0 * count_if(userId IS NULL) / count(*) AS anonymous_share
        FROM segment_logs GROUP BY type
    """)
    _verdict(capsys, check.anonymous_share(ws, percent), False, "percentages")
    tracks_only = sql("""
        SELECT type, count(*) AS events,
               count_if(userId IS NULL) / CAST(count(*) AS double) AS anonymous_share
        FROM segment_logs WHERE type = 'track' GROUP BY type
    """)
    passed = check.anonymous_share(ws, tracks_only)
    _verdict(capsys, passed, False, "one row per message type (identify, page, track)")
    known_share = sql("""
        SELECT type, count(*) AS events,
               count_if(userId IS NOT NULL) / CAST(count(*) AS double) AS anonymous_share
        FROM segment_logs GROUP BY type
    """)
    passed = check.anonymous_share(ws, known_share)
    _verdict(capsys, passed, False, "userId IS NULL")
