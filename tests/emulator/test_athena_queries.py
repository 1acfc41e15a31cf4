"""Athena over Segment-style logs: the workshop's DDL, its queries, results, states and errors.

Every count is checked against pandas computing the same thing from the same gzipped files.
"""

from __future__ import annotations

import gzip
import io
import json

import boto3
import pandas as pd
import pytest
from athena_helpers import WORKSHOP_DDL, query, rows, run

from tests.athena_data import make_events, segment_files, upload

BUCKET = "segment-personalize-workshop"  # the LOCATION of the workshop's statement, unmodified
OUT = "s3://athena-test-results/q/"


@pytest.fixture(scope="module")
def events(module_aws_env):
    """3000 Segment events in 3 gzipped files, the workshop table over them, and a pandas copy."""
    s3 = boto3.client("s3")
    files = segment_files(make_events(3000, seed=11), 3)
    upload(s3, BUCKET, files)
    s3.create_bucket(Bucket="athena-test-results")
    assert run("CREATE DATABASE IF NOT EXISTS default", OUT)["Status"]["State"] == "SUCCEEDED"
    created = run(WORKSHOP_DDL, OUT, "default")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"]
    return pd.concat(
        pd.read_json(io.BytesIO(gzip.decompress(body)), lines=True, dtype=False)
        for body in files.values()
    )


def test_workshop_table_lands_in_glue_with_hive_types(events):
    table = boto3.client("glue").get_table(DatabaseName="default", Name="segment_logs")["Table"]
    sd = table["StorageDescriptor"]
    cols = {c["Name"]: c["Type"] for c in sd["Columns"]}
    assert cols["anonymousid"] == "string"
    assert cols["context"] == "struct<ip:string,library:struct<name:string,version:string>>"
    assert cols["timestamp"] == "string" and cols["version"] == "int"
    assert sd["Location"] == "s3://segment-personalize-workshop/segment-logs/"
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert sd["SerdeInfo"]["Parameters"]["mapping.invited_user"] == "Invited User?"
    assert table["TableType"] == "EXTERNAL_TABLE"


def test_event_counts_match_pandas(events):
    got = query(
        "SELECT COUNT(messageId) AS eventCount, event FROM segment_logs "
        "GROUP BY event ORDER BY eventCount DESC",
        OUT,
        "default",
    )
    assert got[0] == ["eventcount", "event"]
    expected = events.groupby("event", dropna=False)["messageId"].count()
    as_dict = {event: int(count) for count, event in got[1:]}
    assert as_dict == {(None if pd.isna(k) else k): int(v) for k, v in expected.items()}
    counts = [int(r[0]) for r in got[1:]]
    assert counts == sorted(counts, reverse=True)


def test_sku_events_use_struct_access(events):
    got = query(
        "SELECT COUNT(messageId) AS eventCount, event FROM segment_logs "
        "WHERE properties.sku IS NOT NULL GROUP BY event ORDER BY eventCount DESC",
        OUT,
        "default",
    )
    has_sku = events[events["properties"].map(lambda p: isinstance(p, dict) and "sku" in p)]
    expected = has_sku.groupby("event")["messageId"].count().to_dict()
    assert {e: int(c) for c, e in got[1:]} == expected
    assert set(expected) == {
        "Product Viewed",
        "Product Clicked",
        "Product Added",
        "Order Completed",
    }


def test_mapping_properties_and_case_insensitive_keys(events):
    got = query(
        "SELECT traits.campaign_name, count(*), count(DISTINCT userid) FROM segment_logs "
        "WHERE type = 'identify' GROUP BY 1 ORDER BY 1",
        OUT,
        "default",
    )
    assert got[0] == ["campaign_name", "_col1", "_col2"]
    identifies = events[events["type"] == "identify"]
    names = identifies["traits"].map(lambda t: t["Campaign Name"])
    expected = identifies.assign(c=names).groupby("c").agg(n=("c", "size"), u=("userId", "nunique"))
    assert [[r[0], int(r[1]), int(r[2])] for r in got[1:]] == [
        [name, int(row.n), int(row.u)] for name, row in expected.sort_index().iterrows()
    ]
    invited = query(
        "SELECT count(*) FROM segment_logs WHERE traits.invited_user = 'yes'", OUT, "default"
    )
    expected_invited = (identifies["traits"].map(lambda t: t["Invited User?"]) == "yes").sum()
    assert int(invited[1][0]) == int(expected_invited)


def test_select_star_row_text_and_column_types(events):
    execution = run("SELECT * FROM segment_logs WHERE type = 'track' LIMIT 5", OUT, "default")
    got = rows(execution)
    assert got[0][:4] == ["anonymousid", "channel", "context", "event"]
    context = got[1][2]
    assert (
        context.startswith("{ip=10.0.0.")
        and "library={name=analytics-python, version=2.4.0}" in context
    )
    assert len(got) == 6
    info = boto3.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    types = {c["Name"]: c["Type"] for c in info["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]}
    assert types["anonymousid"] == "varchar" and types["context"] == "row"
    assert types["version"] == "integer"


def test_results_csv_and_metadata_in_output_location(events):
    execution = run(
        "SELECT event, count(*) AS n FROM segment_logs GROUP BY event ORDER BY n DESC",
        OUT,
        "default",
    )
    qid = execution["QueryExecutionId"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUT}{qid}.csv"
    assert execution["StatementType"] == "DML"
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket="athena-test-results", Key=f"q/{qid}.csv")["Body"].read().decode()
    lines = body.splitlines()
    assert lines[0] == '"event","n"'
    first = lines[1].split(",")
    assert first[0].startswith('"') and first[1].strip('"').isdigit()
    assert any(line.startswith(",") for line in lines[1:])  # NULL event: empty, unquoted
    s3.head_object(Bucket="athena-test-results", Key=f"q/{qid}.csv.metadata")
    stats = execution["Statistics"]
    assert stats["DataScannedInBytes"] > 0
    assert stats["TotalExecutionTimeInMillis"] >= stats["EngineExecutionTimeInMillis"] >= 0


@pytest.mark.parametrize("in_memory", [50_000, 700])
def test_paging_with_next_token_keeps_header_first(events, monkeypatch, in_memory):
    from workshop_lib.emulator.athena import results

    monkeypatch.setattr(results.RowSpool, "IN_MEMORY", in_memory)  # 700: rows go to a file
    execution = run("SELECT messageid FROM segment_logs ORDER BY messageid", OUT, "default")
    athena = boto3.client("athena")
    first = athena.get_query_results(
        QueryExecutionId=execution["QueryExecutionId"], MaxResults=1000
    )
    assert len(first["ResultSet"]["Rows"]) == 1000 and "NextToken" in first
    assert first["ResultSet"]["Rows"][0]["Data"][0]["VarCharValue"] == "messageid"
    everything = rows(execution)
    assert len(everything) == 3001
    assert [r[0] for r in everything[1:]] == sorted(events["messageId"])
    middle = athena.get_query_results(
        QueryExecutionId=execution["QueryExecutionId"], MaxResults=7, NextToken=first["NextToken"]
    )
    assert [r["Data"][0]["VarCharValue"] for r in middle["ResultSet"]["Rows"]] == [
        r[0] for r in everything[1000:1007]
    ]
    key = execution["ResultConfiguration"]["OutputLocation"].split("/", 3)[3]
    body = boto3.client("s3").get_object(Bucket="athena-test-results", Key=key)["Body"].read()
    assert body.decode().splitlines() == [f'"{r[0]}"' for r in everything]
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], MaxResults=1001)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "SELECT nope FROM segment_logs",
            "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
        ),
        (
            "SELECT * FROM\n  missing_table",
            "TABLE_NOT_FOUND: line 2:3: "
            "Table 'awsdatacatalog.default.missing_table' does not exist",
        ),
        ("SELECT * FROM nodb.t", "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist"),
        ("SELECT count(*) / 0 FROM segment_logs", "DIVISION_BY_ZERO: Division by zero"),
        (
            "SELECT no_such_fn(event) FROM segment_logs",
            "FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_fn' not registered",
        ),
    ],
)
def test_bad_queries_fail_with_an_actionable_reason(events, sql, reason):
    execution = run(sql, OUT, "default")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith(reason)
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2
    with pytest.raises(boto3.client("athena").exceptions.InvalidRequestException) as err:
        boto3.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert "FAILED" in str(err.value)


def test_syntax_error_is_rejected_at_start_with_position(events):
    athena = boto3.client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException) as err:
        athena.start_query_execution(
            QueryString="SELECT event FROM segment_logs WHERE",
            ResultConfiguration={"OutputLocation": OUT},
        )
    assert "line 1:" in str(err.value)


def test_missing_output_location_and_unknown_ids(events):
    athena = boto3.client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException) as err:
        athena.start_query_execution(QueryString="SELECT 1")
    assert "No output location provided" in str(err.value)
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_execution(QueryExecutionId="00000000-0000-0000-0000-000000000000")
    catalogs = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert catalogs == [{"CatalogName": "AwsDataCatalog", "Type": "GLUE"}]
    assert athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Type"] == "GLUE"
    group = athena.get_work_group(WorkGroup="primary")["WorkGroup"]
    assert group["State"] == "ENABLED" and "ResultConfiguration" in group["Configuration"]


def test_work_group_output_location_is_used(events):
    athena = boto3.client("athena")
    athena.create_work_group(
        Name="athena-test-wg",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-test-results/wg/"}},
    )
    qid = athena.start_query_execution(QueryString="SELECT 1 AS one", WorkGroup="athena-test-wg")[
        "QueryExecutionId"
    ]
    execution = run("SELECT 2", OUT, WorkGroup="athena-test-wg")
    assert execution["WorkGroup"] == "athena-test-wg"
    assert qid in athena.list_query_executions(WorkGroup="athena-test-wg")["QueryExecutionIds"]
    first = athena.batch_get_query_execution(QueryExecutionIds=[qid])["QueryExecutions"][0]
    assert (
        first["ResultConfiguration"]["OutputLocation"] == f"s3://athena-test-results/wg/{qid}.csv"
    )


def test_malformed_json_fails_or_reads_as_null_rows(events):
    s3 = boto3.client("s3")
    good = [json.dumps({"userId": f"u{i}", "event": "Product Viewed"}) for i in range(4)]
    body = gzip.compress(("\n".join([*good[:2], "{not json", *good[2:]]) + "\n").encode())
    s3.put_object(Bucket="athena-test-results", Key="malformed/part.gz", Body=body)
    base = (
        "CREATE EXTERNAL TABLE {name} (userid string, event string) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' {props} "
        "LOCATION 's3://athena-test-results/malformed/'"
    )
    run(base.format(name="strict_json", props=""), OUT, "default")
    lenient = "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')"
    run(base.format(name="lenient_json", props=lenient), OUT, "default")
    failed = run("SELECT count(*) FROM strict_json", OUT, "default")
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["StateChangeReason"].startswith("HIVE_CURSOR_ERROR")
    got = query("SELECT count(*), count(userid) FROM lenient_json", OUT, "default")
    assert got[1] == ["5", "4"]  # the bad line is a row of NULLs, as with the OpenX SerDe


def test_stop_query_execution_cancels(events):
    athena = boto3.client("athena")
    execution = run(
        "SELECT count(*) FROM segment_logs a CROSS JOIN segment_logs b CROSS JOIN segment_logs c",
        OUT,
        "default",
        wait=False,
    )
    athena.stop_query_execution(QueryExecutionId=execution["QueryExecutionId"])
    import time

    for _ in range(200):
        state = athena.get_query_execution(QueryExecutionId=execution["QueryExecutionId"])
        if state["QueryExecution"]["Status"]["State"] in ("CANCELLED", "FAILED", "SUCCEEDED"):
            break
        time.sleep(0.05)
    assert state["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_missing_output_bucket_fails_the_query(events):
    execution = run("SELECT 1", "s3://athena-no-such-bucket/out/")
    assert execution["Status"]["State"] == "FAILED"
    assert (
        "Unable to verify/create output bucket athena-no-such-bucket"
        in (execution["Status"]["StateChangeReason"])
    )


def test_execution_parameters_fill_placeholders(events):
    execution = run(
        "SELECT count(*) FROM segment_logs WHERE event = ? AND type = ?",
        OUT,
        "default",
        ExecutionParameters=["'Product Viewed'", "'track'"],
    )
    expected = int((events["event"] == "Product Viewed").sum())
    assert rows(execution)[1] == [str(expected)]
    assert execution["Query"].endswith("WHERE event = ? AND type = ?")
    assert execution["StatementType"] == "DML"


def test_runtime_statistics(events):
    execution = run("SELECT DISTINCT event FROM segment_logs", OUT, "default")
    stats = boto3.client("athena").get_query_runtime_statistics(
        QueryExecutionId=execution["QueryExecutionId"]
    )["QueryRuntimeStatistics"]
    assert stats["Rows"]["OutputRows"] == events["event"].nunique(dropna=False)
    assert stats["Rows"]["InputBytes"] == execution["Statistics"]["DataScannedInBytes"] > 0
    assert stats["Timeline"]["TotalExecutionTimeInMillis"] >= 0


def test_hidden_path_column_names_the_s3_object(events):
    got = query('SELECT "$path", count(*) FROM segment_logs GROUP BY 1 ORDER BY 1', OUT, "default")
    keys = sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"])
    assert [r[0] for r in got[1:]] == [f"s3://{BUCKET}/{k}" for k in keys]
    assert sum(int(r[1]) for r in got[1:]) == len(events)


def test_workshop_first_look_through_awswrangler(events):
    import awswrangler as wr

    df = wr.athena.read_sql_query(
        "SELECT * FROM segment_logs LIMIT 20", database="default", s3_output=OUT
    )
    assert len(df) == 20 and "anonymousid" in df.columns
    context = df["context"].dropna().iloc[0]
    assert context["library"] == {"name": "analytics-python", "version": "2.4.0"}
    plain = wr.athena.read_sql_query(
        "SELECT * FROM segment_logs LIMIT 20",
        database="default",
        s3_output=OUT,
        ctas_approach=False,
    )
    assert plain["context"].iloc[0].startswith("{ip=")  # row values come back as text, as on AWS


def test_information_schema_describes_the_catalog(events):
    got = query(
        "SELECT column_name, data_type, ordinal_position FROM information_schema.columns "
        "WHERE table_schema = 'default' AND table_name = 'segment_logs' ORDER BY ordinal_position",
        OUT,
    )
    assert got[1] == ["anonymousid", "varchar", "1"]
    assert got[3] == ["context", "row(ip varchar, library row(name varchar, version varchar))", "3"]
    tables = query(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'default'",
        OUT,
    )
    assert ["segment_logs", "BASE TABLE"] in tables[1:]
