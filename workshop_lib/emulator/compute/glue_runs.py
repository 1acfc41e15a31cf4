"""Glue job runs: a Python shell job's script really runs, in a subprocess, with Glue's states.

The script comes from the job's S3 ScriptLocation and gets Glue's arguments (--JOB_NAME,
--JOB_RUN_ID, the job's DefaultArguments overridden by the run's Arguments) and the emulator's
endpoint variables, so boto3 and awswrangler in it work unchanged. A small `awsglue` stand-in
provides getResolvedOptions. stdout and stderr go to /aws-glue/python-jobs/output and /error.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import request_log
from ..iam.service_roles import glue_role_problem
from .logs import LogWriter

if TYPE_CHECKING:
    from ..app import EmulatorApp

SHIM_DIR = Path(__file__).with_name("glue_shim")
LOG_GROUP = "/aws-glue/python-jobs"
ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")
DEFAULT_TIMEOUT_MINUTES = 2880
# How long a Glue "minute" of Timeout lasts here; tests shorten it to see TIMEOUT quickly.
ENV_MINUTE_SECONDS = "WORKSHOP_EMULATOR_GLUE_MINUTE_SECONDS"
LOG_FLUSH_SECONDS = 0.5


class GlueError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class JobRun:
    """One run, with the fields GetJobRun returns."""

    id: str
    job_name: str
    region: str
    arguments: dict[str, str]
    timeout: int
    max_capacity: float | None
    glue_version: str | None
    state: str = "STARTING"
    started_on: float = field(default_factory=time.time)
    last_modified_on: float = field(default_factory=time.time)
    completed_on: float | None = None
    error_message: str | None = None
    process: subprocess.Popen | None = None
    stop_requested: bool = False

    def set_state(self, state: str, error: str | None = None) -> None:
        self.state = state
        self.last_modified_on = time.time()
        if error:
            self.error_message = error
        if state not in ACTIVE_STATES:
            self.completed_on = self.last_modified_on

    @property
    def execution_time(self) -> int:
        end = self.completed_on or time.time()
        return int(end - self.started_on) if self.state != "STARTING" else 0

    def to_json(self) -> dict[str, Any]:
        run: dict[str, Any] = {
            "Id": self.id,
            "Attempt": 0,
            "JobName": self.job_name,
            "JobMode": "SCRIPT",
            "StartedOn": self.started_on,
            "LastModifiedOn": self.last_modified_on,
            "JobRunState": self.state,
            "Arguments": self.arguments,
            "PredecessorRuns": [],
            "ExecutionTime": self.execution_time,
            "Timeout": self.timeout,
            "LogGroupName": LOG_GROUP,
        }
        if self.max_capacity is not None:
            run["MaxCapacity"] = self.max_capacity
        if self.glue_version:
            run["GlueVersion"] = self.glue_version
        if self.completed_on is not None:
            run["CompletedOn"] = self.completed_on
        if self.error_message:
            run["ErrorMessage"] = self.error_message
        return run


def _error_message(stderr_tail: list[str], code: int) -> str:
    """The script's exception line ("ValueError: boom"), as Glue reports a failed run."""
    for line in reversed(stderr_tail):
        text = line.strip()
        if text and not text.startswith(("File ", "Traceback", "^", "~")):
            return text
    return f"Command failed with exit code {code}"


class GlueRunner:
    """Starts, tracks and stops job runs for one emulator."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.logs = LogWriter(app)
        self.runs: dict[tuple[str, str], list[JobRun]] = {}  # (region, job) -> runs, newest first
        self._lock = threading.Lock()
        atexit.register(self.reset)

    # -- API operations --------------------------------------------------------------------------

    def start(self, region: str, params: dict) -> JobRun:
        job = self._job(region, params["JobName"])
        arguments = {**job.get("DefaultArguments", {}), **(params.get("Arguments") or {})}
        timeout = params.get("Timeout") or job.get("Timeout") or DEFAULT_TIMEOUT_MINUTES
        limit = job.get("ExecutionProperty", {}).get("MaxConcurrentRuns", 1)
        run = JobRun(
            id="jr_" + secrets.token_hex(32),
            job_name=job["Name"],
            region=region,
            arguments=arguments,
            timeout=int(timeout),
            max_capacity=params.get("MaxCapacity") or job.get("MaxCapacity"),
            glue_version=job.get("GlueVersion"),
        )
        with self._lock:
            runs = self.runs.setdefault((region, job["Name"]), [])
            if sum(r.state in ACTIVE_STATES for r in runs) >= limit:
                raise GlueError(
                    "ConcurrentRunsExceededException",
                    f"Concurrent runs exceeded for {job['Name']}: MaxConcurrentRuns is {limit}",
                )
            runs.insert(0, run)
        kind = job.get("Command", {}).get("Name", "")
        if kind != "pythonshell":  # fails at once, never pretends to run
            run.set_state(
                "FAILED",
                f"The local emulator runs Python shell jobs (Command.Name 'pythonshell') only; "
                f"job {run.job_name} is a '{kind}' job. Run it with target='aws', or make it a "
                "Python shell job.",
            )
            return run
        threading.Thread(
            target=self._execute, args=(run, job), name=f"glue-{run.id[:12]}", daemon=True
        ).start()
        return run

    def get(self, region: str, job_name: str, run_id: str) -> JobRun:
        self._job(region, job_name)
        for run in self.runs.get((region, job_name), []):
            if run.id == run_id:
                return run
        raise GlueError("EntityNotFoundException", f"Job run {run_id} not found")

    def list(self, region: str, job_name: str) -> list[JobRun]:
        self._job(region, job_name)
        return list(self.runs.get((region, job_name), []))

    def stop(self, region: str, job_name: str, run_ids: list[str]) -> tuple[list, list]:
        self._job(region, job_name)
        done, errors = [], []
        for run_id in run_ids:
            entry = {"JobName": job_name, "JobRunId": run_id}
            try:
                run = self.get(region, job_name, run_id)
                if run.state not in ("STARTING", "RUNNING"):
                    raise GlueError(
                        "InvalidInputException",
                        f"Job Run cannot be stopped in current state: {run.state}",
                    )
            except GlueError as exc:
                detail = {"ErrorCode": exc.code, "ErrorMessage": exc.message}
                errors.append({**entry, "ErrorDetail": detail})
                continue
            run.stop_requested = True
            run.set_state("STOPPING")
            if run.process is not None and run.process.poll() is None:
                run.process.kill()
            done.append(entry)
        return done, errors

    def active_count(self) -> int:
        """Runs not finished yet (the health endpoint shows it)."""
        with self._lock:
            return sum(r.state in ACTIVE_STATES for runs in self.runs.values() for r in runs)

    def _job(self, region: str, name: str) -> dict:
        client = self.app.client("glue", region)
        try:
            return client.get_job(JobName=name)["Job"]
        except client.exceptions.EntityNotFoundException as exc:
            raise GlueError("EntityNotFoundException", exc.response["Error"]["Message"]) from None

    # -- running ---------------------------------------------------------------------------------

    def _execute(self, run: JobRun, job: dict) -> None:
        workdir = Path(tempfile.mkdtemp(prefix="workshop-glue-"))
        try:
            self._execute_in(run, job, workdir)
        except Exception as exc:  # a bug here must still end the run, never leave it RUNNING
            run.set_state("FAILED", f"The local emulator could not run the job: {exc}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            self.logs.flush()
            self.app.state_changed()  # the run's end is state to save

    def _execute_in(self, run: JobRun, job: dict, workdir: Path) -> None:
        refused = glue_role_problem(job.get("Role"))  # Glue assumes the job's role first
        if refused:
            run.set_state("FAILED", refused)
            return
        command = job.get("Command", {})
        script = self._fetch_script(run, command.get("ScriptLocation", ""), workdir)
        if script is None or run.stop_requested:
            if run.stop_requested:
                run.set_state("STOPPED")
            return
        argv = [sys.executable, "-u", str(script), "--scriptLocation", command["ScriptLocation"]]
        argv += ["--JOB_ID", "j_" + secrets.token_hex(32), "--JOB_RUN_ID", run.id]
        argv += ["--JOB_NAME", run.job_name]
        for key, value in run.arguments.items():
            argv += [key if key.startswith("--") else f"--{key}", value]
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(workdir),  # no ~/.aws of the host: the job sees only the emulator
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(SHIM_DIR),
            "GLUE_VERSION": str(run.glue_version or ""),
            **self.app.client_environment(run.region),
            # Glue runs the job with its role's credentials: the request log sees whose
            "AWS_ACCESS_KEY_ID": request_log.role_access_key(job.get("Role")),
        }
        run.process = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        run.set_state("RUNNING")
        stderr_tail: list[str] = []
        readers = [
            threading.Thread(target=self._pump, args=(run, run.process.stdout, "output", None)),
            threading.Thread(
                target=self._pump, args=(run, run.process.stderr, "error", stderr_tail)
            ),
        ]
        for reader in readers:
            reader.start()
        minute = float(os.environ.get(ENV_MINUTE_SECONDS, "60"))
        try:
            code = run.process.wait(timeout=run.timeout * minute)
        except subprocess.TimeoutExpired:
            run.process.kill()
            run.process.wait()
            code = None
        for reader in readers:
            reader.join()
        if run.stop_requested:
            run.set_state("STOPPED")
        elif code is None:
            run.set_state("TIMEOUT", f"Job run timed out after {run.timeout} minutes (job Timeout)")
        elif code == 0:
            run.set_state("SUCCEEDED")
        else:
            run.set_state("FAILED", _error_message(stderr_tail, code))

    def _fetch_script(self, run: JobRun, location: str, workdir: Path) -> Path | None:
        if not location.startswith("s3://") or "/" not in location[5:]:
            run.set_state("FAILED", f"ScriptLocation {location!r} is not an s3://bucket/key URL")
            return None
        bucket, key = location[5:].split("/", 1)
        client = self.app.client("s3", run.region)
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.ClientError as exc:
            error = exc.response["Error"]
            run.set_state(
                "FAILED",
                f"Could not read the script {location}: {error.get('Code')} {error.get('Message')}",
            )
            return None
        script = workdir / (Path(key).name or "script.py")
        script.write_bytes(body)
        return script

    def _pump(self, run: JobRun, stream, kind: str, tail: list[str] | None) -> None:
        """Copy a pipe to CloudWatch in small batches; keep the end of stderr for ErrorMessage."""
        group = f"{LOG_GROUP}/{kind}"
        pending: list[str] = []
        last_flush = time.monotonic()
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            pending.append(line)
            if tail is not None:
                tail.append(line)
                del tail[:-20]
            if time.monotonic() - last_flush > LOG_FLUSH_SECONDS:
                self.logs.write(run.region, group, run.id, "\n".join(pending))
                pending, last_flush = [], time.monotonic()
        if pending:
            self.logs.write(run.region, group, run.id, "\n".join(pending))
        stream.close()

    # -- lifecycle -------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """The runs, without their processes (a process is not state)."""
        with self._lock:
            return {
                key: [dataclasses.replace(run, process=None) for run in runs]
                for key, runs in self.runs.items()
            }

    def restore(self, runs: dict) -> None:
        for run in (r for group in runs.values() for r in group):
            if run.state in ACTIVE_STATES:  # its script died with the emulator
                run.set_state("FAILED", "The local emulator stopped during this run.")
        with self._lock:
            self.runs.update(runs)

    def reset(self) -> None:
        """Kill running scripts and forget every run."""
        with self._lock:
            runs = [r for group in self.runs.values() for r in group]
            self.runs.clear()
        for run in runs:
            run.stop_requested = True
            if run.process is not None and run.process.poll() is None:
                run.process.kill()
        self.logs.reset()
