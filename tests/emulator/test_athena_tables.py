"""Partitions, CSV and Parquet tables, INSERT INTO, UNLOAD, DROP / SHOW / DESCRIBE."""

from __future__ import annotations

import gzip
import json

import awswrangler as wr
import boto3
import pandas as pd
import pytest
from athena_helpers import query, run

BUCKET = "athena-tables-test"
OUT = f"s3://{BUCKET}/results/"


@pytest.fixture(scope="module")
def s3(module_aws_env):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    query("CREATE DATABASE IF NOT EXISTS tdb", OUT)
    return client


def put_json(s3, key: str, rows: list[dict]) -> None:
    body = gzip.compress("\n".join(json.dumps(r) for r in rows).encode())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def q(sql: str) -> list[list[str | None]]:
    return query(sql, OUT, "tdb")


def test_partitions_by_alter_table_and_msck_repair(s3):
    for day, n in (("2024-05-19", 3), ("2024-05-20", 5), ("2024-05-21", 2)):
        put_json(s3, f"part/dt={day}/events.json.gz", [{"userId": f"u{i}"} for i in range(n)])
    s3.put_object(Bucket=BUCKET, Key="part/dt=2024-05-19/_SUCCESS", Body=b"x")
    q(
        "CREATE EXTERNAL TABLE parted (userid string) PARTITIONED BY (dt string) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        f"LOCATION 's3://{BUCKET}/part/'"
    )
    assert q("SELECT count(*) FROM parted") == [["_col0"], ["0"]]  # no partitions yet
    q("ALTER TABLE parted ADD PARTITION (dt='2024-05-19')")
    assert q("SELECT dt, count(*) FROM parted GROUP BY dt") == [
        ["dt", "_col1"],
        ["2024-05-19", "3"],
    ]
    again = run("ALTER TABLE parted ADD PARTITION (dt='2024-05-19')", OUT, "tdb")
    assert again["Status"]["State"] == "FAILED"
    assert "already exists" in again["Status"]["StateChangeReason"]
    repaired = q("MSCK REPAIR TABLE parted")
    assert any("dt=2024-05-20" in line[0] for line in repaired)
    got = q("SELECT dt, count(*) FROM parted WHERE dt >= '2024-05-20' GROUP BY dt ORDER BY dt")
    assert got[1:] == [["2024-05-20", "5"], ["2024-05-21", "2"]]
    assert [r[0] for r in q("SHOW PARTITIONS parted")] == [
        "dt=2024-05-19",
        "dt=2024-05-20",
        "dt=2024-05-21",
    ]
    parts = boto3.client("glue").get_partitions(DatabaseName="tdb", TableName="parted")
    assert len(parts["Partitions"]) == 3
    pruned = run("SELECT count(*) FROM parted WHERE dt = '2024-05-20'", OUT, "tdb")
    size = s3.head_object(Bucket=BUCKET, Key="part/dt=2024-05-20/events.json.gz")["ContentLength"]
    assert pruned["Statistics"]["DataScannedInBytes"] == size  # other partitions not read
    both = q(
        "SELECT count(*) FROM parted a JOIN parted b ON a.userid = b.userid "
        "WHERE a.dt = '2024-05-20' AND b.dt IN ('2024-05-19', '2024-05-21')"
    )
    assert both[1] == ["5"]  # u0..u2 of 05-19 and u0..u1 of 05-21 meet u0..u4 of 05-20


def test_csv_tables_lazy_simple_and_open_csv(s3):
    s3.put_object(
        Bucket=BUCKET,
        Key="csv/plain/items.csv",
        Body=b"ITEM_ID,PRICE,CATEGORY\nsku-1,10.5,shoes\nsku-2,\\N,\nsku-3,abc,hats\n",
    )
    q(
        "CREATE EXTERNAL TABLE items (item_id string, price double, category string) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE "
        f"LOCATION 's3://{BUCKET}/csv/plain/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    got = q("SELECT item_id, price, category FROM items ORDER BY item_id")
    assert got[1:] == [["sku-1", "10.5", "shoes"], ["sku-2", None, ""], ["sku-3", None, "hats"]]
    s3.put_object(
        Bucket=BUCKET,
        Key="csv/quoted/users.csv",
        Body=b'"USER_ID","NAME"\n"u1","Smith, Jane"\n"u2","O""Brien"\n',
    )
    q(
        "CREATE EXTERNAL TABLE users (user_id string, name string) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"') "
        f"LOCATION 's3://{BUCKET}/csv/quoted/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert q("SELECT * FROM users ORDER BY user_id")[1:] == [
        ["u1", "Smith, Jane"],
        ["u2", 'O"Brien'],
    ]


def test_parquet_table_and_insert_into(s3):
    frame = pd.DataFrame({"USER_ID": ["u1", "u2"], "ITEM_ID": ["a", "b"], "TIMESTAMP": [1, 2]})
    wr.s3.to_parquet(frame, f"s3://{BUCKET}/pq/interactions/part0.parquet")
    q(
        "CREATE EXTERNAL TABLE interactions (user_id string, item_id string, `timestamp` bigint) "
        f"STORED AS PARQUET LOCATION 's3://{BUCKET}/pq/interactions/'"
    )
    assert q("SELECT * FROM interactions ORDER BY user_id")[1:] == [
        ["u1", "a", "1"],
        ["u2", "b", "2"],
    ]
    inserted = run("INSERT INTO interactions VALUES ('u3', 'c', 3), ('u4', 'd', 4)", OUT, "tdb")
    assert inserted["Status"]["State"] == "SUCCEEDED", inserted["Status"]
    assert inserted["StatementType"] == "DML"
    manifest = inserted["Statistics"]["DataManifestLocation"]
    key = manifest.split("/", 3)[3]
    written = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().split()
    assert len(written) == 1 and written[0].startswith(f"s3://{BUCKET}/pq/interactions/")
    assert q("SELECT count(*), max(timestamp) FROM interactions")[1] == ["4", "4"]


def test_insert_into_partitioned_json_table(s3):
    q(
        "CREATE EXTERNAL TABLE daily (userid string, n bigint) PARTITIONED BY (dt string) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        f"LOCATION 's3://{BUCKET}/daily/'"
    )
    q("INSERT INTO daily SELECT 'u1', 5, '2024-01-01' UNION ALL SELECT 'u2', 7, '2024-01-02'")
    assert q("SELECT dt, sum(n) FROM daily GROUP BY dt ORDER BY dt")[1:] == [
        ["2024-01-01", "5"],
        ["2024-01-02", "7"],
    ]
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="daily/dt=2024-01-02/")["Contents"]
    body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=listed[0]["Key"])["Body"].read())
    assert json.loads(body.splitlines()[0]) == {"userid": "u2", "n": 7}


@pytest.mark.parametrize(
    ("fmt", "reader"), [("PARQUET", "parquet"), ("JSON", "json"), ("TEXTFILE", "csv")]
)
def test_unload_writes_files_and_manifest(s3, fmt, reader):
    target = f"s3://{BUCKET}/unload/{fmt.lower()}/"
    done = run(
        f"UNLOAD (SELECT 'u' || CAST(x AS varchar) AS USER_ID, x AS n FROM UNNEST(sequence(1, 5)) "
        f"AS t(x)) TO '{target}' WITH (format = '{fmt}')",
        OUT,
        "tdb",
    )
    assert done["Status"]["State"] == "SUCCEEDED", done["Status"]
    manifest_key = done["Statistics"]["DataManifestLocation"].split("/", 3)[3]
    files = s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read().decode().split()
    assert files and all(f.startswith(target) for f in files)
    if reader == "parquet":
        back = wr.s3.read_parquet(files)
        assert sorted(back["n"].tolist()) == [1, 2, 3, 4, 5]
        assert list(back.columns) == ["user_id", "n"]  # Athena lower-cases column names
    else:
        raw = s3.get_object(Bucket=BUCKET, Key=files[0].split("/", 3)[3])["Body"].read()
        lines = gzip.decompress(raw).decode().splitlines()
        assert len(lines) == 5
        first = json.loads(lines[0]) if reader == "json" else lines[0].split("\x01")
        assert first in ({"user_id": "u1", "n": 1}, ["u1", "1"])
    again = run(f"UNLOAD (SELECT 1 AS x) TO '{target}' WITH (format = '{fmt}')", OUT, "tdb")
    assert again["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")


def test_show_describe_and_drop(s3):
    q(
        "CREATE EXTERNAL TABLE to_drop (a int, b string) PARTITIONED BY (dt string) "
        f"STORED AS PARQUET LOCATION 's3://{BUCKET}/drop/'"
    )
    assert "to_drop" in [r[0] for r in q("SHOW TABLES")]
    assert [r[0] for r in q("SHOW TABLES IN tdb 'to_*'")] == ["to_drop"]
    assert "tdb" in [r[0] for r in q("SHOW DATABASES")]
    described = run("DESCRIBE to_drop", OUT, "tdb")
    assert described["StatementType"] == "UTILITY"
    assert described["ResultConfiguration"]["OutputLocation"].endswith(".txt")
    lines = query("DESCRIBE to_drop", OUT, "tdb")
    assert lines[:2] == [["a", "int", ""], ["b", "string", ""]]
    assert ["# Partition Information", "", ""] in lines
    q("DROP TABLE to_drop")
    assert "to_drop" not in [r[0] for r in q("SHOW TABLES")]
    missing = run("DROP TABLE to_drop", OUT, "tdb")
    assert missing["Status"]["State"] == "FAILED"
    assert q("DROP TABLE IF EXISTS to_drop") == []
    q("CREATE DATABASE scratch_db")
    q("CREATE EXTERNAL TABLE scratch_db.t (a int) STORED AS PARQUET LOCATION 's3://x/y/'")
    refused = run("DROP DATABASE scratch_db", OUT, "tdb")
    assert "not empty" in refused["Status"]["StateChangeReason"]
    q("DROP DATABASE scratch_db CASCADE")
    assert "scratch_db" not in [r[0] for r in q("SHOW DATABASES")]


def test_create_database_twice_and_table_errors(s3):
    twice = run("CREATE DATABASE tdb", OUT)
    assert twice["Status"]["State"] == "FAILED"
    assert "already exists" in twice["Status"]["StateChangeReason"]
    no_db = run("CREATE EXTERNAL TABLE nowhere.t (a int) LOCATION 's3://x/y/'", OUT)
    assert no_db["Status"]["StateChangeReason"].startswith("SCHEMA_NOT_FOUND")
    athena = boto3.client("athena")
    meta = athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName="tdb", TableName="items"
    )
    assert [c["Name"] for c in meta["TableMetadata"]["Columns"]] == ["item_id", "price", "category"]
    names = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert "tdb" in names


def test_views_are_stored_in_glue_and_expand_in_queries(s3):
    put_json(
        s3,
        "views/a.json.gz",
        [{"userId": f"u{i % 3}", "event": "Order Completed"} for i in range(7)],
    )
    q(
        "CREATE EXTERNAL TABLE orders (userid string, event string) "
        f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{BUCKET}/views/'"
    )
    q("CREATE VIEW order_counts AS SELECT userid, count(*) AS n FROM orders GROUP BY userid")
    glue = boto3.client("glue").get_table(DatabaseName="tdb", Name="order_counts")["Table"]
    assert glue["TableType"] == "VIRTUAL_VIEW"
    assert glue["ViewOriginalText"].startswith("/* Presto View: ")
    assert [c["Type"] for c in glue["StorageDescriptor"]["Columns"]] == ["string", "bigint"]
    assert q("SELECT * FROM order_counts ORDER BY userid")[1:] == [
        ["u0", "3"],
        ["u1", "2"],
        ["u2", "2"],
    ]
    twice = run("CREATE VIEW order_counts AS SELECT 1 AS x", OUT, "tdb")
    assert twice["Status"]["StateChangeReason"].startswith("ALREADY_EXISTS")
    q(
        "CREATE OR REPLACE VIEW order_counts AS "
        "SELECT userid, count(*) * 10 AS n FROM orders GROUP BY 1"
    )
    assert q("SELECT sum(n) FROM order_counts")[1] == ["70"]
    q("DROP VIEW order_counts")
    assert "order_counts" not in [r[0] for r in q("SHOW TABLES")]


def test_nested_arrays_of_structs_and_maps_from_json(s3):
    rows = [
        {
            "orderId": "o1",
            "Items": [{"productId": "p1", "Qty": 2}, {"productId": "p2", "Qty": 1}],
            "flags": {"gift": True, "express": False},
        },
        {"orderId": "o2", "Items": [{"productId": "p1", "Qty": 5}], "flags": {}},
    ]
    put_json(s3, "nested/orders.json.gz", rows)
    q(
        "CREATE EXTERNAL TABLE nested_orders (orderid string, "
        "items array<struct<productid:string,qty:int>>, flags map<string,boolean>) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        f"LOCATION 's3://{BUCKET}/nested/'"
    )
    got = q(
        "SELECT i.productid, sum(i.qty) FROM nested_orders CROSS JOIN UNNEST(items) AS t(i) "
        "GROUP BY 1 ORDER BY 1"
    )
    assert got[1:] == [["p1", "7"], ["p2", "1"]]
    listed = q("SELECT orderid, items, flags['gift'] FROM nested_orders ORDER BY orderid")
    assert listed[1] == ["o1", "[{productid=p1, qty=2}, {productid=p2, qty=1}]", "true"]
    assert listed[2][2] is None


def test_show_create_table_round_trips(s3):
    s3.put_object(Bucket=BUCKET, Key="csv/show/a.csv", Body=b"h1|h2\nx|1\ny|2\n")
    q(
        "CREATE EXTERNAL TABLE show_me (name string, n int) ROW FORMAT DELIMITED "
        f"FIELDS TERMINATED BY '|' LOCATION 's3://{BUCKET}/csv/show/' "
        "TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    lines = [r[0] for r in q("SHOW CREATE TABLE show_me")]
    assert lines[0] == "CREATE EXTERNAL TABLE `tdb`.`show_me`("
    assert "  'skip.header.line.count'='1')" in lines
    q("\n".join(lines).replace("`show_me`", "`show_me_copy`"))
    assert q("SELECT sum(n) FROM show_me_copy")[1] == ["3"]


@pytest.mark.parametrize("fmt", ["TEXTFILE", "JSON"])
def test_ctas_text_formats_round_trip(s3, fmt):
    name = f"ctas_{fmt.lower()}"
    done = run(
        f"CREATE TABLE {name} WITH (format = '{fmt}', field_delimiter = ',', "
        f"external_location = 's3://{BUCKET}/ctas/{name}/') AS "
        "SELECT x AS n, 'item ' || CAST(x AS varchar) AS label FROM UNNEST(sequence(1, 4)) AS t(x)",
        OUT,
        "tdb",
    )
    assert done["StatementType"] == "DDL" and done["Status"]["State"] == "SUCCEEDED"
    assert done["ResultConfiguration"]["OutputLocation"].endswith(done["QueryExecutionId"])
    assert q(f"SELECT sum(n), max(label) FROM {name}")[1] == ["10", "item 4"]
