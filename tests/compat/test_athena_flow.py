"""The exercises' Athena flow (notebook 01): Segment's logs in S3, a database and an external
table by DDL, then queries through boto3's paginator and awswrangler's three read modes."""

from __future__ import annotations

import uuid

import awswrangler as wr
import boto3
import pytest

from tests.athena_data import make_events, segment_files, upload

BUCKET = "compat-segment-logs"
OUT = f"s3://{BUCKET}/athena-results/"
DDL = (
    "CREATE EXTERNAL TABLE IF NOT EXISTS segment_logs (anonymousId string, event string, "
    "userId string, properties struct<sku:string,price:double>, `timestamp` string) "
    "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
    f"LOCATION 's3://{BUCKET}/segment-logs/'"
)
SQL = (
    "SELECT properties.sku AS sku, count(*) AS n FROM segment_logs "
    "WHERE properties.sku IS NOT NULL GROUP BY 1 ORDER BY n DESC, sku"
)


@pytest.fixture(scope="module")
def skus(module_aws_env):
    events = make_events(500, seed=11)
    upload(boto3.client("s3"), BUCKET, segment_files(events, 2))
    wr.athena.start_query_execution(
        "CREATE DATABASE IF NOT EXISTS compat", s3_output=OUT, wait=True
    )
    wr.athena.start_query_execution(DDL, database="compat", s3_output=OUT, wait=True)
    counts: dict[str, int] = {}
    for e in events:
        sku = (e.get("properties") or {}).get("sku")
        if sku:
            counts[sku] = counts.get(sku, 0) + 1
    return counts


def test_the_table_is_in_the_catalog(skus):
    assert "segment_logs" in wr.catalog.tables(database="compat")["Table"].tolist()
    athena = boto3.client("athena")
    meta = athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName="compat", TableName="segment_logs"
    )
    assert [c["Name"] for c in meta["TableMetadata"]["Columns"]][:2] == ["anonymousid", "event"]


def test_boto3_paginates_the_results(skus):
    athena = boto3.client("athena")
    query_id = wr.athena.start_query_execution(SQL, database="compat", s3_output=OUT, wait=True)[
        "QueryExecutionId"
    ]
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 7}
    )
    rows = [r for page in pages for r in page["ResultSet"]["Rows"]][1:]
    assert {r["Data"][0]["VarCharValue"]: int(r["Data"][1]["VarCharValue"]) for r in rows} == skus


@pytest.mark.parametrize(
    "mode",
    [
        {"ctas_approach": False},
        {"ctas_approach": True},
        {"ctas_approach": False, "unload_approach": True},
    ],
)
def test_awswrangler_reads_in_each_mode(skus, mode):
    output = f"s3://{BUCKET}/reads/{uuid.uuid4().hex}/"  # UNLOAD never overwrites
    frame = wr.athena.read_sql_query(SQL, database="compat", s3_output=output, **mode)
    assert dict(zip(frame["sku"], frame["n"].astype(int), strict=True)) == skus
