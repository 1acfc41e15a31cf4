"""The Glue job run of exercise 1: wait for it with progress, and read what the job printed.

The notebook's cells upload the script and call `create_job` and `start_job_run` themselves;
waiting and reading the log are not the lesson.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .waiting import Watch, default_poll_seconds, wait_all

OUTPUT_LOG_GROUP = "/aws-glue/python-jobs/output"


def wait_for_job_run(
    glue: Any, name: str, run_id: str, timeout: float = 1200, **kwargs: Any
) -> dict:
    """Wait for a job run (one progress line per poll; raises with Glue's ErrorMessage if it
    fails); returns the finished run. It polls twice as often as the Personalize waits:
    a run takes seconds on the local target, a minute or two on AWS."""
    kwargs.setdefault("poll", default_poll_seconds() / 2)
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
