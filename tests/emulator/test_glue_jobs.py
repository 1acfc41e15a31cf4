"""Glue Python shell jobs really run: arguments, S3 through awswrangler, states, logs, limits."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest
from compute_helpers import log_messages, unique

from workshop_lib.deploy import ensure_role

ETL_SCRIPT = """
import sys
import awswrangler as wr
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "JOB_RUN_ID", "input", "output", "factor"])
frame = wr.s3.read_csv(args["input"])
frame["price"] = frame["price"] * int(args["factor"])
wr.s3.to_csv(frame, args["output"], index=False)
print(f"job {args['JOB_NAME']} run {args['JOB_RUN_ID']} wrote {len(frame)} rows")
"""

TERMINAL = ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR")


@pytest.fixture
def bucket(aws_env):
    name = unique("glue-jobs-test")
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def glue_role() -> str:
    """A role as a Glue job needs it: Glue may assume it, it reads and writes the tests'
    buckets and writes the Python shell job's logs."""
    buckets = "arn:aws:s3:::glue-jobs-test-*"
    access = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": buckets},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{buckets}/*",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:log-group:/aws-glue/*",
            },
        ],
    }
    return ensure_role(boto3.client("iam"), "glue-test", "glue.amazonaws.com", inline_policy=access)


def create_job(bucket: str, script: str, command: str = "pythonshell", **kwargs) -> str:
    name = unique("job")
    key = f"scripts/{name}.py"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=script.encode())
    boto3.client("glue").create_job(
        Name=name,
        Role=kwargs.pop("Role", None) or glue_role(),
        Command={"Name": command, "ScriptLocation": f"s3://{bucket}/{key}", "PythonVersion": "3.9"},
        **kwargs,
    )
    return name


def wait_run(job: str, run_id: str, timeout: float = 90) -> dict:
    glue = boto3.client("glue")
    deadline = time.monotonic() + timeout
    while True:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in TERMINAL:
            return run
        assert time.monotonic() < deadline, f"run still {run['JobRunState']}"
        time.sleep(0.1)


def test_a_python_shell_job_reads_and_writes_s3_with_awswrangler(bucket):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="in/items.csv", Body=b"sku,price\na,1.5\nb,2.0\n")
    job = create_job(
        bucket,
        ETL_SCRIPT,
        DefaultArguments={"--input": f"s3://{bucket}/in/items.csv", "--factor": "10"},
        MaxCapacity=0.0625,
    )
    glue = boto3.client("glue")
    run_id = glue.start_job_run(
        JobName=job, Arguments={"--output": f"s3://{bucket}/out/items.csv", "--factor": "2"}
    )["JobRunId"]
    assert run_id.startswith("jr_") and len(run_id) == 67
    run = wait_run(job, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["Arguments"] == {
        "--input": f"s3://{bucket}/in/items.csv",
        "--factor": "2",
        "--output": f"s3://{bucket}/out/items.csv",
    }
    assert run["CompletedOn"] >= run["StartedOn"] and isinstance(run["ExecutionTime"], int)
    assert run["MaxCapacity"] == 0.0625 and run["LogGroupName"] == "/aws-glue/python-jobs"
    body = s3.get_object(Bucket=bucket, Key="out/items.csv")["Body"].read()
    assert body.decode().splitlines() == ["sku,price", "a,3.0", "b,4.0"]
    lines = log_messages("/aws-glue/python-jobs/output", f"run {run_id}")
    assert f"job {job} run {run_id} wrote 2 rows" in lines
    streams = boto3.client("logs").describe_log_streams(logGroupName="/aws-glue/python-jobs/output")
    assert run_id in [s["logStreamName"] for s in streams["logStreams"]]


def test_a_failing_script_fails_the_run_with_its_error(bucket):
    job = create_job(bucket, "print('starting')\nraise ValueError('bad input ' + 'file')\n")
    glue = boto3.client("glue")
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    run = wait_run(job, run_id)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: bad input file"
    errors = log_messages("/aws-glue/python-jobs/error", "ValueError: bad input file")
    assert "Traceback (most recent call last):" in errors
    assert [r["Id"] for r in glue.get_job_runs(JobName=job)["JobRuns"]] == [run_id]


def test_a_run_longer_than_the_job_timeout_ends_in_timeout(bucket, monkeypatch):
    # One Glue minute lasts 1 s here, so Timeout=1 is reached quickly.
    monkeypatch.setenv("WORKSHOP_EMULATOR_GLUE_MINUTE_SECONDS", "1")
    job = create_job(bucket, "import time\ntime.sleep(60)\n", Timeout=1)
    run_id = boto3.client("glue").start_job_run(JobName=job)["JobRunId"]
    run = wait_run(job, run_id, timeout=30)
    assert run["JobRunState"] == "TIMEOUT" and run["Timeout"] == 1


def test_spark_jobs_fail_at_once_and_say_why(bucket):
    job = create_job(bucket, "print('spark')\n", command="glueetl", GlueVersion="4.0")
    glue = boto3.client("glue")
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "FAILED"
    assert "Python shell jobs" in run["ErrorMessage"] and "'glueetl'" in run["ErrorMessage"]


def test_max_concurrent_runs_and_stopping_a_run(bucket):
    job = create_job(
        bucket, "import time\ntime.sleep(60)\n", ExecutionProperty={"MaxConcurrentRuns": 1}
    )
    glue = boto3.client("glue")
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    with pytest.raises(glue.exceptions.ConcurrentRunsExceededException):
        glue.start_job_run(JobName=job)
    stopped = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id, "jr_unknown"])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": job, "JobRunId": run_id}]
    assert [e["JobRunId"] for e in stopped["Errors"]] == ["jr_unknown"]
    assert wait_run(job, run_id)["JobRunState"] == "STOPPED"
    again = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])["Errors"][0]
    assert again["ErrorDetail"]["ErrorMessage"].endswith("current state: STOPPED")
    second = glue.start_job_run(JobName=job)["JobRunId"]  # the slot is free again
    glue.batch_stop_job_run(JobName=job, JobRunIds=[second])
    runs = glue.get_job_runs(JobName=job)["JobRuns"]
    assert [r["Id"] for r in runs] == [second, run_id]  # newest first


def test_missing_jobs_runs_and_scripts(bucket):
    glue = boto3.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.start_job_run(JobName=f"no-such-job-{uuid.uuid4().hex[:6]}")
    job = create_job(bucket, "print(1)\n")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job_run(JobName=job, RunId="jr_" + "0" * 64)
    boto3.client("s3").delete_object(Bucket=bucket, Key=f"scripts/{job}.py")
    run = wait_run(job, glue.start_job_run(JobName=job)["JobRunId"])
    assert run["JobRunState"] == "FAILED" and "NoSuchKey" in run["ErrorMessage"]
