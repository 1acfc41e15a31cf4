"""The SQL a data person writes on Segment data, checked against pandas on the same files."""

from __future__ import annotations

import gzip
import io

import boto3
import pandas as pd
import pytest
from athena_helpers import query

from tests.athena_data import make_events, segment_files, upload

BUCKET = "athena-fn-test"
OUT = f"s3://{BUCKET}/results/"
COLUMNS = (
    "anonymousId string, event string, type string, userId string, `timestamp` string, "
    "properties struct<sku:string,price:double,tags:array<string>,page_name:string>"
)


@pytest.fixture(scope="module")
def df(module_aws_env):
    files = segment_files(make_events(2500, seed=23), 3)
    upload(boto3.client("s3"), BUCKET, files)
    serde = "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'"
    location = f"LOCATION 's3://{BUCKET}/segment-logs/'"
    query("CREATE DATABASE IF NOT EXISTS fndb", OUT)
    query(f"CREATE EXTERNAL TABLE fndb.ev ({COLUMNS}) {serde} {location}", OUT)
    # the same files with `properties` as a plain string: the SerDe hands over its JSON text
    raw = "userId string, properties string"
    query(f"CREATE EXTERNAL TABLE fndb.raw ({raw}) {serde} {location}", OUT)
    frame = pd.concat(
        pd.read_json(io.BytesIO(gzip.decompress(b)), lines=True, dtype=False)
        for b in files.values()
    ).reset_index(drop=True)
    frame["ts"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["sku"] = frame["properties"].map(lambda p: p.get("sku") if isinstance(p, dict) else None)
    return frame


def q(sql: str) -> list[list[str | None]]:
    return query(sql, OUT, "fndb")[1:]


def test_date_trunc_and_from_iso8601_timestamp(df):
    got = q(
        "SELECT date_trunc('hour', from_iso8601_timestamp(\"timestamp\")) AS h, count(*) "
        "FROM ev GROUP BY 1 ORDER BY 1"
    )
    expected = df.groupby(df["ts"].dt.floor("h")).size()
    assert [int(n) for _, n in got] == expected.tolist()
    assert got[0][0] == expected.index[0].strftime("%Y-%m-%d %H:%M:%S.000 UTC")


def test_date_format_and_format_datetime_agree_with_pandas(df):
    got = q(
        "SELECT date_format(from_iso8601_timestamp(timestamp), '%Y-%m-%d %H') AS d, "
        "format_datetime(from_iso8601_timestamp(timestamp), 'yyyy-MM-dd HH') AS f, count(*) "
        "FROM ev GROUP BY 1, 2 ORDER BY 1"
    )
    expected = df.groupby(df["ts"].dt.strftime("%Y-%m-%d %H")).size()
    assert [[d, int(n)] for d, _, n in got] == [[k, int(v)] for k, v in expected.items()]
    assert all(d == f for d, f, _ in got)


def test_personalize_interactions_export(df):
    got = q(
        "SELECT userid AS user_id, properties.sku AS item_id, event AS event_type, "
        "CAST(to_unixtime(from_iso8601_timestamp(timestamp)) AS BIGINT) AS ts "
        "FROM ev WHERE properties.sku IS NOT NULL AND userid IS NOT NULL ORDER BY ts, user_id"
    )
    subset = df[df["sku"].notna() & df["userId"].notna()].copy()
    subset["epoch"] = subset["ts"].map(lambda t: int(t.timestamp()))
    assert len(got) == len(subset)
    expected = sorted(zip(subset["epoch"], subset["userId"], subset["sku"], strict=True))
    assert [(int(t), u, s) for u, s, _, t in got] == expected


def test_date_diff_from_unixtime_and_windows(df):
    got = q(
        "WITH per_user AS (SELECT userid, min(from_iso8601_timestamp(timestamp)) AS first_seen, "
        "max(from_iso8601_timestamp(timestamp)) AS last_seen FROM ev WHERE userid IS NOT NULL "
        "GROUP BY userid) SELECT userid, date_diff('second', first_seen, last_seen), "
        "from_unixtime(to_unixtime(first_seen)) FROM per_user ORDER BY userid"
    )
    spans = df.dropna(subset=["userId"]).groupby("userId")["ts"].agg(["min", "max"]).sort_index()
    assert [(u, int(d)) for u, d, _ in got] == [
        (u, int((r["max"] - r["min"]).total_seconds())) for u, r in spans.iterrows()
    ]
    firsts = q(
        "SELECT count(*) FROM (SELECT userid, row_number() OVER (PARTITION BY userid "
        "ORDER BY timestamp) AS rn, lag(event) OVER (PARTITION BY userid ORDER BY timestamp) "
        "AS prev FROM ev WHERE userid IS NOT NULL) WHERE rn = 1 AND prev IS NULL"
    )
    assert int(firsts[0][0]) == df["userId"].nunique()


def test_approx_distinct_and_regexp_extract(df):
    got = q(
        "SELECT approx_distinct(userid), "
        "sum(CAST(regexp_extract(properties.sku, 'sku-(\\d+)', 1) AS INTEGER)) FROM ev"
    )
    users = df["userId"].nunique()
    assert abs(int(got[0][0]) - users) <= users * 0.03
    assert int(got[0][1]) == int(df["sku"].dropna().str[4:].astype(int).sum())


def test_json_extract_scalar_on_a_string_column(df):
    got = q(
        "SELECT json_extract_scalar(properties, '$.sku') AS sku, count(*) FROM raw "
        "WHERE json_extract_scalar(properties, '$.sku') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    expected = df["sku"].value_counts()
    assert {s: int(n) for s, n in got} == expected.to_dict()


def test_unnest_arrays(df):
    got = q(
        "SELECT tag, count(*) FROM ev CROSS JOIN UNNEST(properties.tags) AS t(tag) "
        "GROUP BY tag ORDER BY tag"
    )
    tags = df["properties"].map(lambda p: p.get("tags") if isinstance(p, dict) else None)
    expected = tags.dropna().explode().value_counts().sort_index()
    assert [[t, int(n)] for t, n in got] == [[k, int(v)] for k, v in expected.items()]


def test_ctes_and_joins(df):
    got = q(
        "WITH viewers AS (SELECT DISTINCT userid FROM ev WHERE event = 'Product Viewed'), "
        "buyers AS (SELECT userid, count(*) AS orders FROM ev WHERE event = 'Order Completed' "
        "GROUP BY userid) SELECT count(*), sum(b.orders) FROM viewers v JOIN buyers b "
        "ON v.userid = b.userid"
    )
    viewers = set(df.loc[df["event"] == "Product Viewed", "userId"].dropna())
    orders = df[df["event"] == "Order Completed"].groupby("userId").size()
    both = orders[orders.index.isin(viewers)]
    assert [int(x) for x in got[0]] == [len(both), int(both.sum())]


def test_scalar_functions_text_forms(df):
    got = q(
        "SELECT 7 / 2, 7 / 2.0, split('a,b,c', ','), cardinality(split('a,b,c', ',')), "
        "element_at(split('a,b,c', ','), 2), upper(substr('segment', 1, 3)), strpos('abc', 'c'), "
        "coalesce(NULL, 'x'), to_iso8601(from_iso8601_timestamp('2024-05-19T10:15:00.230Z')), "
        "parse_datetime('2024-05-19 10:15', 'yyyy-MM-dd HH:mm'), CAST('2024-05-19' AS DATE), "
        "true, 1.5e0, CAST(NULL AS varchar)"
    )
    assert got[0] == [
        "3",
        "3.5",
        "[a, b, c]",
        "3",
        "b",
        "SEG",
        "3",
        "x",
        "2024-05-19T10:15:00.230Z",
        "2024-05-19 10:15:00.000",
        "2024-05-19",
        "true",
        "1.5",
        None,
    ]
