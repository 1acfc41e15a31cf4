"""Durable state, through boto3 as a learner's code sees it: what the emulator was given survives
a SIGKILL and a new start (bucket, Athena table and results, Glue job run, Lambda function, API
route, trained Personalize model and campaign, event tracker events, Segment source); reset
empties it, an ephemeral emulator keeps nothing, and a damaged state file is set aside."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import boto3
import psutil
import pytest
from compute_helpers import deploy, unique
from test_apigateway_invoke import allow, call, function_arn
from test_personalize_support import campaign_for, group_with_data, trained_version, wait

from workshop_lib.deploy import ensure_role
from workshop_lib.emulator import process
from workshop_lib.emulator.config import ENV_EPHEMERAL, ENV_PORT, ENV_STATE_DIR
from workshop_lib.emulator.persistence import state_file
from workshop_lib.emulator.personalize.synthetic import generate

HANDLER = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello " + str(event.get("rawPath", event.get("who")))}
"""
GLUE_SCRIPT = "print('job ran')\n"
IDLE_SECONDS = 2.5  # the emulator saves within about 2 s of the last change


def _glue_role() -> str:
    """A role Glue may assume (IAM is enforced), reading the job's script."""
    access = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
        ],
    }
    iam = boto3.client("iam")
    return ensure_role(iam, unique("durable-glue"), "glue.amazonaws.com", inline_policy=access)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def durable(tmp_path_factory):
    """A background emulator that saves its state (tests run ephemeral ones otherwise)."""
    port = _free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_STATE_DIR, str(tmp_path_factory.mktemp("state")))
        patch.setenv(ENV_PORT, str(port))
        patch.delenv(ENV_EPHEMERAL, raising=False)
        status, _ = process.start(port)
        for name, value in {
            "AWS_ENDPOINT_URL": status.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            patch.setenv(name, value)
        boto3.setup_default_session()
        try:
            yield status
        finally:
            process.stop(port)
            boto3.setup_default_session()


def crash_and_start(status) -> process.Status:
    """Let the emulator go idle, kill it as a power cut would (SIGKILL), start it again."""
    time.sleep(IDLE_SECONDS)
    victim = psutil.Process(status.pid)
    victim.kill()
    victim.wait(10)
    restarted, started = process.start(status.port)
    assert started and restarted.pid != status.pid
    return restarted


def _athena_run(sql: str, output: str, database: str | None = None) -> str:
    athena = boto3.client("athena")
    args = {"QueryString": sql, "ResultConfiguration": {"OutputLocation": output}}
    if database:
        args["QueryExecutionContext"] = {"Database": database}
    qid = athena.start_query_execution(**args)["QueryExecutionId"]
    for _ in range(600):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert state["State"] == "SUCCEEDED", state
            return qid
        time.sleep(0.05)
    raise AssertionError("the query did not end")


def _rows(qid: str) -> list[list[str | None]]:
    result = boto3.client("athena").get_query_results(QueryExecutionId=qid)["ResultSet"]
    return [[c.get("VarCharValue") for c in row["Data"]] for row in result["Rows"]]


def _segment(url: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/_segment/admin/{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        return json.loads(reply.read())


def _recommend(campaign: str, user: str) -> list[str]:
    runtime = boto3.client("personalize-runtime")
    items = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)
    return [i["itemId"] for i in items["itemList"]]


@pytest.fixture(scope="module")
def before_and_after(durable):
    """Every kind of state the workshop creates, then a crash and a start: (before, after)."""
    s3, glue = boto3.client("s3"), boto3.client("glue")
    bucket = unique("durable")
    s3.create_bucket(Bucket=bucket)
    rows = b'{"sku": "a", "n": 1}\n{"sku": "b", "n": 2}\n'
    s3.put_object(Bucket=bucket, Key="data/a.json", Body=rows)
    output = f"s3://{bucket}/athena/"
    _athena_run("CREATE DATABASE durable_db", output)
    _athena_run(
        "CREATE EXTERNAL TABLE durable_db.items (sku string, n int) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        f"LOCATION 's3://{bucket}/data/'",
        output,
    )
    query = _athena_run("SELECT sku, n FROM items ORDER BY sku", output, "durable_db")

    job = unique("job")
    s3.put_object(Bucket=bucket, Key="scripts/job.py", Body=GLUE_SCRIPT.encode())
    glue.create_job(
        Name=job,
        Role=_glue_role(),
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/job.py"},
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    for _ in range(900):
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
            break
        time.sleep(0.1)
    assert run["JobRunState"] == "SUCCEEDED", run

    function = deploy(HANDLER)
    apis = boto3.client("apigatewayv2")
    api_id = apis.create_api(
        Name=unique("api"), ProtocolType="HTTP", Target=function_arn(function)
    )["ApiId"]
    allow(function, api_id, "/*/$default")
    api_url = f"{durable.url}/_aws/execute-api/{api_id}/hi"

    personalize = boto3.client("personalize")
    interactions, items = generate(n_users=200, n_items=80, seed=5)
    arns = group_with_data(personalize, interactions, items)
    _, version = trained_version(personalize, arns["group"], "aws-user-personalization")
    campaign = campaign_for(personalize, version)
    tracker = personalize.create_event_tracker(
        name=unique("tracker"), datasetGroupArn=arns["group"]
    )
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        "eventTracker",
    )
    user = str(interactions["USER_ID"].iloc[0])
    clicked = str(items["ITEM_ID"].iloc[-1])
    boto3.client("personalize-events").put_events(
        trackingId=tracker["trackingId"],
        userId=user,
        sessionId="s1",
        eventList=[{"eventType": "click", "itemId": clicked, "sentAt": time.time()}],
    )
    source = unique("durable-source")
    _segment(durable.url, "POST", "sources", {"name": source})

    def observe() -> dict:
        return {
            "object": s3.get_object(Bucket=bucket, Key="data/a.json")["Body"].read(),
            "query": _rows(query),
            "run": glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"],
            "recommendations": _recommend(campaign, user),
            "tracker": personalize.describe_event_tracker(
                eventTrackerArn=tracker["eventTrackerArn"]
            )["eventTracker"]["status"],
            "sources": [
                s["name"] for s in _segment(durable.url, "GET", "sources")["data"]["sources"]
            ],
        }

    before = observe()
    restarted = crash_and_start(durable)
    after = observe()
    return {
        "before": before,
        "after": after,
        "status": restarted,
        "function": function,
        "api_url": api_url,
        "bucket": bucket,
        "output": output,
        "source": source,
        "clicked": clicked,
    }


def test_s3_bucket_and_object_survive(before_and_after):
    assert before_and_after["after"]["object"] == before_and_after["before"]["object"]


def test_athena_table_and_query_results_survive(before_and_after):
    after = before_and_after["after"]
    assert (
        after["query"]
        == before_and_after["before"]["query"]
        == [
            ["sku", "n"],
            ["a", "1"],
            ["b", "2"],
        ]
    )
    again = _athena_run("SELECT count(*) FROM items", before_and_after["output"], "durable_db")
    assert _rows(again)[1] == ["2"]  # the table is still in the catalog


def test_glue_job_run_survives(before_and_after):
    assert before_and_after["after"]["run"] == "SUCCEEDED"


def test_lambda_function_is_invocable_after_restore(before_and_after):
    reply = boto3.client("lambda").invoke(
        FunctionName=before_and_after["function"], Payload=json.dumps({"who": "again"})
    )
    assert json.loads(reply["Payload"].read())["body"] == "hello again"


def test_api_route_and_permission_survive(before_and_after):
    status, _, body = call(before_and_after["api_url"])
    assert status == 200 and body == b"hello /hi"


def test_campaign_serves_the_same_recommendations_with_the_tracked_events(before_and_after):
    before, after = before_and_after["before"], before_and_after["after"]
    assert after["recommendations"] == before["recommendations"]
    assert len(after["recommendations"]) == 10
    assert before_and_after["clicked"] not in after["recommendations"]  # the live event counts
    assert after["tracker"] == "ACTIVE"


def test_segment_workspace_survives(before_and_after):
    assert before_and_after["source"] in before_and_after["after"]["sources"]


def test_health_says_what_was_restored(before_and_after):
    state = before_and_after["status"].state
    assert state["started"] == "restored" and state["restore_seconds"] >= 0
    counts = state["counts"]
    assert counts["buckets"] >= 1 and counts["functions"] >= 1 and counts["APIs"] >= 1
    assert counts["trained solution versions"] >= 1 and counts["campaigns"] >= 1
    assert counts["Segment sources"] >= 1 and counts["Glue jobs"] >= 1
    line = process.describe_state(state)
    assert line.startswith("restored from ") and "1 campaign" in line


def test_reset_empties_the_running_emulator_and_the_saved_state(before_and_after, durable):
    status = before_and_after["status"]
    message = process.reset(status.port)
    assert "Reset the emulator" in message
    assert not state_file(status.port).exists()
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert process.status(status.port).state["started"] == "empty"
    process.stop(status.port)
    assert "nothing to reset" in process.reset(status.port)
    restarted, _ = process.start(status.port)
    assert restarted.state["started"] == "empty"
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_a_damaged_state_file_is_set_aside_and_the_emulator_starts_empty(tmp_path, monkeypatch):
    port = _free_port()
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path))
    monkeypatch.delenv(ENV_EPHEMERAL, raising=False)
    state_file(port).write_bytes(b"workshop-emulator-state\n" + b"\x80\x05 not a pickle")
    try:
        status, _ = process.start(port)
        assert status.state["started"] == "empty"
        assert "could not be used" in status.state["note"]
        assert [p.name for p in tmp_path.glob("*.unreadable-*")] != []
        assert "set aside" in process.describe_state(status.state)
        s3 = boto3.client(
            "s3",
            endpoint_url=status.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert s3.list_buckets()["Buckets"] == []
    finally:
        process.stop(port)


def test_an_ephemeral_emulator_saves_nothing(tmp_path, monkeypatch):
    port = _free_port()
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path))
    monkeypatch.setenv(ENV_EPHEMERAL, "1")
    try:
        status, _ = process.start(port)
        s3 = boto3.client(
            "s3",
            endpoint_url=status.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.create_bucket(Bucket=unique("ephemeral"))
        assert status.state["mode"] == "ephemeral"
        time.sleep(IDLE_SECONDS)
        assert not state_file(port).exists()
        process.stop(port)
        status, _ = process.start(port)
        assert s3.list_buckets()["Buckets"] == []
    finally:
        process.stop(port)


def test_throwaway_emulators_of_the_tests_keep_state_in_memory(emulator):
    assert emulator.app.persistence.report == {"mode": "ephemeral", "started": "empty"}
    assert emulator.app.health()["state"]["mode"] == "ephemeral"
