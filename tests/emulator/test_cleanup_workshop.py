"""The whole cleanup on one target: dry run, real run, leftovers, a second run, the CLI."""

from __future__ import annotations

import json

import boto3
import pytest
from compute_helpers import deploy

from workshop_lib import __main__ as cli
from workshop_lib import cleanup, personalize
from workshop_lib.connection import Workshop
from workshop_lib.segment import SegmentWorkspace
from workshop_lib.settings import LOCAL_ACCOUNT_ID, bucket_name

PREFIX = "ckit"
REGION = "us-east-1"
SCHEMA = json.dumps(  # notebook 02's Interactions schema
    {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "version": "1.0",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
    }
)


def _workshop(emulator, bucket: str | None = None) -> Workshop:
    return Workshop(
        target="local",
        region=REGION,
        account_id=LOCAL_ACCOUNT_ID,
        caller_arn="arn:aws:iam::123456789012:root",
        prefix=PREFIX,
        bucket=bucket or bucket_name(PREFIX, LOCAL_ACCOUNT_ID, REGION),
        endpoint_url=emulator.url,
    )


def _build(ws: Workshop) -> None:
    """A bit of every kind the notebooks create, plus things that are not the kit's."""
    s3, glue, lam = ws.client("s3"), ws.client("glue"), ws.client("lambda")
    s3.create_bucket(Bucket=ws.bucket)
    s3.put_object(Bucket=ws.bucket, Key="segment-logs/src/1/a.gz", Body=b"x")
    s3.put_object(Bucket=ws.bucket, Key="transformed/interactions.csv", Body=b"x")
    glue.create_database(DatabaseInput={"Name": "ckit_db"})
    glue.create_table(
        DatabaseName="ckit_db",
        TableInput={"Name": "segment_logs", "StorageDescriptor": {"Columns": []}},
    )
    glue.create_database(DatabaseInput={"Name": "other_db"})
    function = deploy("def handler(e, c):\n    return 1\n", name=f"{PREFIX}-destination")
    lam.add_permission(
        FunctionName=function,
        StatementId="segment",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    p = ws.client("personalize")
    schema, _ = personalize.get_or_create(
        p, "schema", name=f"{PREFIX}-interactions-schema", schema=SCHEMA
    )
    group, _ = personalize.get_or_create(p, "dataset-group", name=f"{PREFIX}-dataset-group")
    personalize.wait_until_active(p, [group], timeout=60, say=lambda _: None)
    personalize.get_or_create(
        p,
        "dataset",
        name=f"{PREFIX}-interactions",
        datasetGroupArn=group,
        datasetType="Interactions",
        schemaArn=schema,
    )
    tracker, _ = personalize.get_or_create(
        p, "event-tracker", name=f"{PREFIX}-tracker", datasetGroupArn=group
    )
    personalize.wait_until_active(p, [tracker], timeout=60, say=lambda _: None)
    segment = SegmentWorkspace(ws)
    website = segment.create_source("website-prod")
    segment.connect_personalize(website["id"], function, REGION)
    segment.create_source("not-the-kits-source")
    space, _ = segment.create_space("workshop")  # notebook 04's Unify space, with a profile
    segment.connect_space(space["id"], segment.create_source("personas-event-source")["id"])
    segment.create_space("not-the-kits-space")


def _kinds(removed: list[cleanup.Removed]) -> set[str]:
    return {r.kind for r in removed}


@pytest.fixture
def ws(emulator, aws_env, monkeypatch):
    monkeypatch.setenv("WORKSHOP_TARGET", "local")
    return _workshop(emulator)


def test_dry_run_lists_everything_then_the_cleanup_deletes_it(ws):
    _build(ws)
    planned = cleanup.everything(ws, dry_run=True)
    assert all(r.result.startswith(cleanup.WOULD_DELETE) for r in planned)
    assert _kinds(planned) >= {
        "segment destination",
        "segment source",
        "segment space",
        "event tracker",
        "dataset",
        "dataset group",
        "schema",
        "lambda permission",
        "lambda function",
        "athena table",
        "glue database",
        "s3 bucket",
    }
    names = [r.name for r in planned]
    assert "ckit_db.segment_logs" in names and f"{PREFIX}-destination/segment" in names
    assert "other_db" not in names and "not-the-kits-source" not in names
    assert "not-the-kits-space" not in names
    assert [r.result for r in planned if r.kind == "s3 bucket"] == ["would delete (with 2 objects)"]
    assert cleanup.everything(ws, dry_run=True) == planned  # a dry run changes nothing

    removed = cleanup.everything(ws, timeout=120)
    assert [(r.kind, r.name) for r in removed] == [(r.kind, r.name) for r in planned]
    assert all(r.result == "deleted" for r in removed), removed
    order = [r.kind for r in removed]
    assert order.index("segment source") < order.index("event tracker")
    assert order.index("dataset") < order.index("dataset group") < order.index("schema")
    assert order.index("lambda permission") < order.index("lambda function")
    assert order.index("athena table") < order.index("glue database") < order.index("s3 bucket")

    assert cleanup.leftovers(ws) == []
    spaces = [space["name"] for space in SegmentWorkspace(ws).spaces()]
    assert "workshop" not in spaces and "not-the-kits-space" in spaces
    # run twice: nothing to do, no error
    assert cleanup.everything(ws) == [cleanup.Removed("s3 bucket", ws.bucket, "already gone")]
    assert "other_db" in [d["Name"] for d in ws.client("glue").get_databases()["DatabaseList"]]
    assert SegmentWorkspace(ws).source("not-the-kits-source") is not None
    assert "Nothing the kit created is left on the local target." in cleanup.advice(ws, [])


def test_a_given_bucket_keeps_everything_but_the_kits_folders(emulator, aws_env):
    ws = _workshop(emulator, bucket="ckit-instructors-bucket")
    s3 = ws.client("s3")
    s3.create_bucket(Bucket=ws.bucket)
    for key in ("segment-logs/s/1/a.gz", "segment-logs/s/1/b.gz", "batch/out.json", "keep.txt"):
        s3.put_object(Bucket=ws.bucket, Key=key, Body=b"x")
    assert not cleanup.owns_bucket(ws)
    assert cleanup.s3_prefixes(s3, ws.bucket, dry_run=True) == [
        cleanup.Removed(
            "s3 prefix", "s3://ckit-instructors-bucket/segment-logs/", "would delete (2 objects)"
        ),
        cleanup.Removed(
            "s3 prefix", "s3://ckit-instructors-bucket/batch/", "would delete (1 objects)"
        ),
    ]
    assert [r.result for r in cleanup.s3_prefixes(s3, ws.bucket)] == [
        "deleted (2 objects)",
        "deleted (1 objects)",
    ]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=ws.bucket)["Contents"]] == ["keep.txt"]
    assert cleanup.s3_prefixes(s3, ws.bucket) == []


def test_running_batch_jobs_are_waited_for_and_reported(aws_env):
    """No delete API exists for batch inference jobs: they go with their dataset group."""
    from botocore.stub import Stubber

    client = boto3.client("personalize", region_name=REGION)
    solution = {"solutionArn": "arn:aws:personalize:us-east-1:123456789012:solution/ckit-s"}
    version = solution["solutionArn"] + "/v1"
    job = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/ckit-batch"
    with Stubber(client) as stub:
        stub.add_response(
            "list_solution_versions",
            {"solutionVersions": [{"solutionVersionArn": version, "status": "ACTIVE"}]},
        )
        stub.add_response(
            "list_batch_inference_jobs",
            {
                "batchInferenceJobs": [
                    {
                        "batchInferenceJobArn": job,
                        "jobName": "ckit-batch",
                        "status": "CREATE IN_PROGRESS",
                    }
                ]
            },
        )
        for status in ("CREATE IN_PROGRESS", "ACTIVE"):
            stub.add_response(
                "describe_batch_inference_job", {"batchInferenceJob": {"status": status}}
            )
        result = cleanup.batch_jobs(client, [solution], timeout=10, poll=0.01)
        stub.assert_no_pending_responses()
    assert result == [
        cleanup.Removed("batch inference job", "ckit-batch", "deleted with its dataset group")
    ]


def test_cli_dry_run_prints_the_plan(ws, monkeypatch, capsys):
    ws.client("s3").create_bucket(Bucket=ws.bucket)
    ws.client("iam").create_role(
        RoleName=f"{PREFIX}-cli-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    monkeypatch.setattr("workshop_lib.connection.connect", lambda *a, **k: ws)
    assert cli.main(["cleanup", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Dry run: this is what the cleanup would delete, in order.")
    assert f"iam role {PREFIX}-cli-role would delete" in " ".join(out.split())
    assert cli.main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert "Nothing the kit created is left on the local target." in out
    assert cleanup.leftovers(ws) == []
