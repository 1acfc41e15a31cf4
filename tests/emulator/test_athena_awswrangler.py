"""awswrangler's Athena calls, in all three read modes, against the emulator."""

from __future__ import annotations

import awswrangler as wr
import boto3
import pandas as pd
import pytest
from athena_helpers import run

from tests.athena_data import make_events, segment_files, upload

BUCKET = "athena-wr-test"
OUT = f"s3://{BUCKET}/results/"
DDL = (
    "CREATE EXTERNAL TABLE IF NOT EXISTS events (anonymousId string, event string, "
    "userId string, properties struct<sku:string,price:double,tags:array<string>>, "
    "`timestamp` string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
    f"LOCATION 's3://{BUCKET}/segment-logs/'"
)
SQL = (
    "SELECT properties.sku AS sku, count(*) AS n, sum(properties.price) AS revenue "
    "FROM events WHERE properties.sku IS NOT NULL GROUP BY 1 ORDER BY n DESC, sku"
)


@pytest.fixture(scope="module")
def table(module_aws_env):
    s3 = boto3.client("s3")
    events = make_events(2000, seed=5)
    upload(s3, BUCKET, segment_files(events, 2))
    assert run("CREATE DATABASE IF NOT EXISTS wrdb", OUT)["Status"]["State"] == "SUCCEEDED"
    assert run(DDL, OUT, "wrdb")["Status"]["State"] == "SUCCEEDED"
    skus: dict[str, int] = {}
    for e in events:
        sku = (e.get("properties") or {}).get("sku")
        if sku:
            skus[sku] = skus.get(sku, 0) + 1
    return skus


def _check(df, skus) -> None:
    assert list(df.columns) == ["sku", "n", "revenue"]
    assert dict(zip(df["sku"], df["n"].astype(int), strict=True)) == skus
    assert str(df["n"].dtype) == "Int64"
    assert df["revenue"].dtype.kind == "f" and (df["revenue"] > 0).all()


def test_read_sql_query_without_ctas(table):
    df = wr.athena.read_sql_query(SQL, database="wrdb", ctas_approach=False, s3_output=OUT)
    _check(df, table)


def test_read_sql_query_default_ctas(table):
    df = wr.athena.read_sql_query(SQL, database="wrdb", s3_output=OUT)
    _check(df, table)
    # the temporary CTAS table was dropped again, as awswrangler does on AWS
    assert not [t for t in wr.catalog.tables(database="wrdb")["Table"] if t.startswith("temp_")]


def test_read_sql_query_unload(table):
    df = wr.athena.read_sql_query(
        SQL, database="wrdb", ctas_approach=False, unload_approach=True, s3_output=f"{OUT}unload/"
    )
    _check(df, table)


def test_read_sql_query_without_s3_output_uses_default_bucket(table):
    with pytest.warns(UserWarning):
        df = wr.athena.read_sql_query(SQL, database="wrdb", ctas_approach=False)
    _check(df, table)


def test_start_query_execution_and_wait(table):
    result = wr.athena.start_query_execution(
        "SELECT count(*) AS n FROM events", database="wrdb", s3_output=OUT, wait=True
    )
    assert result["Status"]["State"] == "SUCCEEDED"
    qid = result["QueryExecutionId"]
    df = wr.athena.get_query_results(query_execution_id=qid)
    assert int(df["n"][0]) == 2000


def test_catalog_sees_ddl_tables(table):
    assert "wrdb" in wr.catalog.databases()["Database"].tolist()
    types = wr.catalog.get_table_types(database="wrdb", table="events")
    assert types["properties"] == "struct<sku:string,price:double,tags:array<string>>"
    assert wr.catalog.get_table_location(database="wrdb", table="events") == (
        f"s3://{BUCKET}/segment-logs/"
    )
    described = wr.athena.describe_table(table="events", database="wrdb", s3_output=OUT)
    assert described["Column Name"].tolist() == [
        "anonymousid",
        "event",
        "userid",
        "properties",
        "timestamp",
    ]


def test_ctas_round_trip_through_glue_and_parquet(table):
    run(
        "CREATE TABLE wrdb.sku_counts WITH (format = 'PARQUET', "
        f"external_location = 's3://{BUCKET}/tables/sku_counts/') AS {SQL}",
        OUT,
        "wrdb",
    )
    glue = boto3.client("glue").get_table(DatabaseName="wrdb", Name="sku_counts")["Table"]
    assert glue["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/tables/sku_counts/"
    assert [c["Type"] for c in glue["StorageDescriptor"]["Columns"]] == [
        "string",
        "bigint",
        "double",
    ]
    back = wr.s3.read_parquet(f"s3://{BUCKET}/tables/sku_counts/")
    assert dict(zip(back["sku"], back["n"], strict=True)) == table
    again = wr.athena.read_sql_query(
        "SELECT sum(n) AS total FROM sku_counts",
        database="wrdb",
        ctas_approach=False,
        s3_output=OUT,
    )
    assert int(again["total"][0]) == sum(table.values())
    second = run(
        "CREATE TABLE wrdb.sku_counts2 WITH (format = 'PARQUET', "
        f"external_location = 's3://{BUCKET}/tables/sku_counts/') AS SELECT 1 AS x",
        OUT,
        "wrdb",
    )
    assert second["Status"]["State"] == "FAILED"
    assert second["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")


def test_tables_written_by_awswrangler_are_queryable(table):
    frame = pd.DataFrame(
        {"user_id": ["u1", "u2", "u3", "u4"], "n": [1, 2, 3, 4], "event": ["a", "a", "b", "b"]}
    )
    wr.s3.to_parquet(
        frame,
        f"s3://{BUCKET}/wr-parquet/",
        dataset=True,
        database="wrdb",
        table="wr_parquet",
        partition_cols=["event"],
    )
    wr.s3.to_csv(
        frame, f"s3://{BUCKET}/wr-csv/", dataset=True, database="wrdb", table="wr_csv", index=False
    )
    for name in ("wr_parquet", "wr_csv"):
        got = wr.athena.read_sql_query(
            f"SELECT event, sum(n) AS total FROM {name} GROUP BY event ORDER BY event",
            database="wrdb",
            ctas_approach=False,
            s3_output=OUT,
        )
        assert got["event"].tolist() == ["a", "b"], name
        assert got["total"].astype(int).tolist() == [3, 7], name


def test_ctas_with_no_rows_gives_an_empty_typed_frame(table):
    df = wr.athena.read_sql_query(
        "SELECT event, count(*) AS n FROM events WHERE event = 'never' GROUP BY event",
        database="wrdb",
        s3_output=OUT,
    )
    assert df.empty and list(df.columns) == ["event", "n"]
