"""Athena from the notebooks: the kit's SQL files, run with awswrangler on either target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).resolve().parent / "sql"


def database_name(prefix: str) -> str:
    """Glue/Athena database names allow lower-case letters, digits and underscores."""
    return prefix.replace("-", "_")


def results_location(bucket: str) -> str:
    return f"s3://{bucket}/athena-results/"


def sql(name: str, **params: Any) -> str:
    """The statement in workshop_lib/sql/<name>.sql with its {placeholders} filled in."""
    return (SQL_DIR / f"{name}.sql").read_text().format(**params)


def execute(statement: str, bucket: str, database: str | None = None) -> dict:
    """Run a statement (DDL, ...) and wait; raises with Athena's reason if it fails."""
    import awswrangler as wr

    return wr.athena.start_query_execution(
        statement, database=database, s3_output=results_location(bucket), wait=True
    )


def query(statement: str, bucket: str, database: str):
    """A SELECT's result as a pandas DataFrame (Athena writes it as CSV to the bucket)."""
    import awswrangler as wr

    return wr.athena.read_sql_query(
        statement, database=database, s3_output=results_location(bucket), ctas_approach=False
    )


def create_segment_logs_table(bucket: str, database: str) -> None:
    """The database and the segment_logs table over s3://<bucket>/segment-logs/ (idempotent)."""
    execute(f"CREATE DATABASE IF NOT EXISTS {database}", bucket)
    execute(sql("segment_logs_table", database=database, bucket=bucket), bucket, database)
