"""A learner's typo in DDL fails the query with Athena's kind of message, never a 500."""

from __future__ import annotations

import time

import boto3


def test_a_ddl_typo_fails_the_query_with_a_parse_error(aws_env):
    boto3.client("s3").create_bucket(Bucket="typo-results")
    athena = boto3.client("athena")
    query_id = athena.start_query_execution(
        QueryString="CREATE EXTERNAL TABEL logs (a string) LOCATION 's3://typo-results/x/'",
        ResultConfiguration={"OutputLocation": "s3://typo-results/r/"},
    )["QueryExecutionId"]
    for _ in range(50):
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.1)
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"] == (
        "FAILED: ParseException line 1:7 cannot recognize input near 'EXTERNAL' 'TABEL' 'logs' "
        "in ddl statement"
    )
