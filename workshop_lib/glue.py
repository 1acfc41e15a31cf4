"""The Glue ETL job of exercise 1: upload its script, create or update the job, run, read logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .waiting import Watch, wait_all

JOBS_DIR = Path(__file__).resolve().parent / "jobs"
OUTPUT_LOG_GROUP = "/aws-glue/python-jobs/output"


def upload_script(s3: Any, bucket: str, name: str = "segment_to_interactions") -> str:
    """Put jobs/<name>.py into the bucket, where Glue reads job scripts from; returns its URI."""
    key = f"glue-scripts/{name}.py"
    s3.put_object(Bucket=bucket, Key=key, Body=(JOBS_DIR / f"{name}.py").read_bytes())
    return f"s3://{bucket}/{key}"


def ensure_job(glue: Any, name: str, role_arn: str, script: str, arguments: dict) -> str:
    """A Python shell job (the analytics library set gives it awswrangler); idempotent."""
    spec = {
        "Role": role_arn,
        "Command": {"Name": "pythonshell", "ScriptLocation": script, "PythonVersion": "3.9"},
        "DefaultArguments": {"library-set": "analytics", **arguments},
        "MaxCapacity": 0.0625,  # the smallest Python shell size: 1/16 DPU
        "Timeout": 30,
        "GlueVersion": "3.0",
    }
    try:
        glue.create_job(Name=name, **spec)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "AlreadyExistsException":
            raise
        glue.update_job(JobName=name, JobUpdate=spec)
    return name


def run_job(glue: Any, name: str, timeout: float = 900, **kwargs: Any) -> dict:
    """Start a run and wait for it (one progress line per poll); returns the finished run."""
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    watch = Watch(
        f"job run of {name}", lambda: glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
    )
    return wait_all([watch], timeout=timeout, **kwargs)[watch.label]


def log_lines(logs: Any, run_id: str, group: str = OUTPUT_LOG_GROUP) -> list[str]:
    """What the job printed (Glue writes it to CloudWatch Logs, stream = run id)."""
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=run_id, startFromHead=True)[
            "events"
        ]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return [e["message"].rstrip("\n") for e in events]
