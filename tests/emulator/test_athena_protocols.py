"""Athena in both wire protocols: JSON (X-Amz-Target, botocore up to 1.44.8) and rest-json
(POST /query-executions ..., newer botocore), whichever botocore the emulator runs with.

The clients here are the installed botocore given each protocol's model from the emulator's
wire_models/, so both run in `make test` (botocore 1.44.8 in the emulator) and again in `make
compat` (the newest botocore in the emulator).
"""

from __future__ import annotations

import json
import shutil
import time

import boto3
import botocore.session
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from workshop_lib.emulator.service_models import WIRE_MODELS

OUT = "s3://athena-protocols/results/"


@pytest.fixture(scope="module")
def clients(emulator, tmp_path_factory):
    """(json client, rest-json client) of Athena, both pointed at the emulator: botocore given
    the model of each protocol that the emulator ships, whichever botocore is installed."""
    made = []
    for protocol in ("json", "rest-json"):
        data = tmp_path_factory.mktemp(f"botocore-{protocol}")
        folder = data / "athena" / "2017-05-18"
        folder.mkdir(parents=True)
        shutil.copy(WIRE_MODELS / f"athena-{protocol}.json.gz", folder / "service-2.json.gz")
        core = botocore.session.get_session()
        core.get_component("data_loader").search_paths.insert(0, str(data))
        session = boto3.Session(
            botocore_session=core,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        made.append(
            session.client(
                "athena", endpoint_url=emulator.url, config=Config(retries={"max_attempts": 1})
            )
        )
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="athena-protocols")
    return made


def _run(client, sql: str) -> dict:
    query_id = client.start_query_execution(
        QueryString=sql, ResultConfiguration={"OutputLocation": OUT}
    )["QueryExecutionId"]
    for _ in range(200):
        execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"{query_id} did not finish")


def test_the_clients_speak_two_protocols(clients):
    assert [c.meta.service_model.protocol for c in clients] == ["json", "rest-json"]


@pytest.mark.parametrize("index", [0, 1], ids=["json", "rest-json"])
def test_a_query_runs_and_pages_in_either_protocol(clients, index):
    client = clients[index]
    execution = _run(client, "SELECT n FROM (VALUES 1, 2, 3) AS t(n) ORDER BY n")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    query_id = execution["QueryExecutionId"]
    first = client.get_query_results(QueryExecutionId=query_id, MaxResults=2)  # a query member
    assert [r["Data"][0]["VarCharValue"] for r in first["ResultSet"]["Rows"]] == ["n", "1"]
    rest = client.get_query_results(QueryExecutionId=query_id, NextToken=first["NextToken"])
    assert [r["Data"][0]["VarCharValue"] for r in rest["ResultSet"]["Rows"]] == ["2", "3"]
    assert query_id in client.list_query_executions()["QueryExecutionIds"]
    assert client.get_work_group(WorkGroup="primary")["WorkGroup"]["Name"] == "primary"
    stats = client.get_query_runtime_statistics(QueryExecutionId=query_id)
    assert stats["QueryRuntimeStatistics"]["Rows"]["OutputRows"] == 3


@pytest.mark.parametrize("index", [0, 1], ids=["json", "rest-json"])
def test_errors_come_back_as_the_clients_exceptions(clients, index):
    client = clients[index]
    with pytest.raises(client.exceptions.InvalidRequestException) as err:
        client.get_query_execution(QueryExecutionId="no-such-query")
    assert "no-such-query" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        client.list_engine_versions()  # a real operation no one implements here
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_a_wrong_type_in_the_query_string_is_a_400(emulator, clients):
    auth = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/athena/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    execution = _run(clients[1], "SELECT 1")
    url = f"{emulator.url}/query-executions/{execution['QueryExecutionId']}/results"
    response = requests.get(url, params={"MaxResults": "many"}, headers={"Authorization": auth})
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
    assert "MaxResults" in response.json()["message"]


@pytest.mark.parametrize("index", [0, 1], ids=["json", "rest-json"])
def test_operations_moto_answers_work_in_either_protocol(clients, index):
    client = clients[index]
    query_id = client.create_named_query(Name=f"q{index}", Database="db", QueryString="SELECT 1")
    assert query_id["NamedQueryId"] in client.list_named_queries()["NamedQueryIds"]


def test_a_path_no_athena_operation_has_is_unknown(emulator):
    auth = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/athena/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    response = requests.post(f"{emulator.url}/no-such-thing", headers={"Authorization": auth})
    assert response.status_code == 404
    assert response.json()["__type"] == "UnknownOperationException"
    assert response.headers["Content-Type"] == "application/json"  # rest-json's error shape


def test_the_request_log_names_the_query_in_either_protocol(clients, monkeypatch, tmp_path):
    """The policy-coverage test reads resource names from the log: a rest-json call's are in
    its path, a JSON call's in its body."""
    from workshop_lib.emulator.request_log import ENV_REQUEST_LOG

    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv(ENV_REQUEST_LOG, str(log))
    for client in clients:
        with pytest.raises(ClientError):
            client.get_query_execution(QueryExecutionId="no-such-query")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["operation"], e["params"].get("QueryExecutionId")) for e in entries] == [
        ("GetQueryExecution", "no-such-query")
    ] * 2
