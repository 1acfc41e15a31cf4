"""The AWS CLI (pip package awscli, its own botocore inside) as a client no one here wrote:
one command per service the kit uses, against the emulator, through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AWS = Path(sys.executable).parent / "aws"


@pytest.fixture(scope="module")
def aws(emulator, tmp_path_factory):
    if not AWS.exists():
        if os.environ.get("WORKSHOP_COMPAT") == "1":  # make compat: the CLI must be there
            pytest.fail(f"no AWS CLI at {AWS}: make compat installs it")
        pytest.skip("the AWS CLI is not installed in this venv (make compat installs it)")
    home = tmp_path_factory.mktemp("aws-home")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),  # no ~/.aws of the machine's user
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(AWS), *args, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok:
            assert done.returncode == 0, (args, done.stderr)
        return done

    return run


def _json(done: subprocess.CompletedProcess):
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_cli_s3(aws, tmp_path):
    aws("s3", "mb", "s3://cli-bucket")
    source = tmp_path / "x.txt"
    source.write_text("hello")
    aws("s3", "cp", str(source), "s3://cli-bucket/dir/x.txt")
    assert "dir/x.txt" in aws("s3", "ls", "s3://cli-bucket", "--recursive").stdout
    listed = _json(aws("s3api", "list-objects-v2", "--bucket", "cli-bucket"))
    assert [o["Key"] for o in listed["Contents"]] == ["dir/x.txt"]


def test_cli_iam_sts_logs_cloudformation_lambda_apigatewayv2_glue(aws):
    assert _json(aws("sts", "get-caller-identity"))["Account"] == "123456789012"
    assert "Roles" in _json(aws("iam", "list-roles"))
    aws("logs", "create-log-group", "--log-group-name", "/cli/group")
    assert _json(aws("logs", "describe-log-groups"))["logGroups"]
    assert "StackSummaries" in _json(aws("cloudformation", "list-stacks"))
    assert "Functions" in _json(aws("lambda", "list-functions"))
    api = _json(aws("apigatewayv2", "create-api", "--name", "cli", "--protocol-type", "HTTP"))
    assert api["ApiId"] in [a["ApiId"] for a in _json(aws("apigatewayv2", "get-apis"))["Items"]]
    aws("glue", "create-database", "--database-input", '{"Name": "cli_db"}')
    names = [d["Name"] for d in _json(aws("glue", "get-databases"))["DatabaseList"]]
    assert "cli_db" in names


def test_cli_athena(aws):
    aws("s3", "mb", "s3://cli-athena")
    started = _json(
        aws(
            "athena",
            "start-query-execution",
            "--query-string",
            "SELECT 6 * 7 AS answer",
            "--result-configuration",
            "OutputLocation=s3://cli-athena/results/",
        )
    )
    query_id = started["QueryExecutionId"]
    for _ in range(100):
        state = _json(aws("athena", "get-query-execution", "--query-execution-id", query_id))
        if state["QueryExecution"]["Status"]["State"] not in ("QUEUED", "RUNNING"):
            break
    assert state["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    rows = _json(aws("athena", "get-query-results", "--query-execution-id", query_id))
    assert rows["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == "42"
    missing = aws("athena", "get-query-execution", "--query-execution-id", "nope", ok=False)
    assert missing.returncode != 0 and "InvalidRequestException" in missing.stderr


def test_cli_personalize(aws):
    group = _json(aws("personalize", "create-dataset-group", "--name", "cli-group"))
    described = _json(
        aws(
            "personalize", "describe-dataset-group", "--dataset-group-arn", group["datasetGroupArn"]
        )
    )
    assert described["datasetGroup"]["name"] == "cli-group"
    missing = aws(
        "personalize-runtime",
        "get-recommendations",
        "--campaign-arn",
        "arn:aws:personalize:us-east-1:123456789012:campaign/none",
        "--user-id",
        "u1",
        ok=False,
    )
    assert "ResourceNotFoundException" in missing.stderr
    events = aws(
        "personalize-events",
        "put-events",
        "--tracking-id",
        "no-such-tracker",
        "--session-id",
        "s",
        "--event-list",
        '[{"eventType": "click", "sentAt": 1, "itemId": "i"}]',
        ok=False,
    )
    assert events.returncode != 0 and "Exception" in events.stderr, events.stderr


def test_cli_unknown_to_the_emulator_is_named(aws):
    done = aws("athena", "list-engine-versions", ok=False)
    assert "NotImplemented" in done.stderr and "ListEngineVersions" in done.stderr
