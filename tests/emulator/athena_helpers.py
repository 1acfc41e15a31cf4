"""Shared helpers of the Athena tests: run a statement through boto3 and wait for its end."""

from __future__ import annotations

import time

import boto3

WORKSHOP_DDL = """CREATE EXTERNAL TABLE IF NOT EXISTS segment_logs (
  anonymousId string,
  channel string,
  context struct<ip:string,
    library:struct<name:string, version:string>>,
  event string,
  messageId string,
  originalTimestamp string,
  projectId string,
  properties struct<browser:string,
    operating_system:string,
    page_name:string,
    sku:string>,
  traits struct<campaign_name:string,
    campaign_source:string,
    experiment_group:string,
    favorite_departments:string,
    invited_user:string,
    referrering_domain:string,
    browser:string,
    email:string,
    first_name:string,
    ip:string,
    last_name:string,
    lifetime_value:string,
    likelihood_to_buy:float,
    operating_system:string>,
  receivedAt string,
  sentAt string,
  `timestamp` string,
  type string,
  userId string,
  version INT,
  writeKey string
  )
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  "mapping.campaign_name"="Campaign Name",
  "mapping.campaign_source"="Campaign Source",
  "mapping.experiment_group"="Experiment Group",
  "mapping.favorite_departments"="Favorite Departments",
  "mapping.invited_user"="Invited User?",
  "mapping.referrering_domain"="Referrering Domain"
  )
LOCATION 's3://segment-personalize-workshop/segment-logs/';"""


def run(sql: str, output: str, database: str | None = None, wait: bool = True, **kwargs) -> dict:
    """Start a query and (by default) poll until it ends; returns the QueryExecution."""
    athena = boto3.client("athena")
    args = {"QueryString": sql, "ResultConfiguration": {"OutputLocation": output}, **kwargs}
    if database:
        args["QueryExecutionContext"] = {"Database": database}
    qid = athena.start_query_execution(**args)["QueryExecutionId"]
    deadline = time.time() + 60
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if not wait or execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        assert time.time() < deadline, f"query still {execution['Status']['State']}"
        time.sleep(0.05)


def rows(execution: dict) -> list[list[str | None]]:
    """All result rows (header first for a SELECT), NULL as None, through every page."""
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    pages = boto3.client("athena").get_paginator("get_query_results")
    out = []
    for page in pages.paginate(QueryExecutionId=execution["QueryExecutionId"]):
        for row in page["ResultSet"]["Rows"]:
            out.append([d.get("VarCharValue") for d in row["Data"]])
    return out


def query(sql: str, output: str, database: str | None = None) -> list[list[str | None]]:
    return rows(run(sql, output, database))
