"""Glue job runs: StartJobRun really runs Python shell jobs; GetJobRun(s), BatchStopJobRun.

moto keeps the job definitions (CreateJob, GetJob, ...) and the Data Catalog; only the run
operations are answered here, from the runs this emulator started.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..compute.glue_runs import GlueError, GlueRunner
from ..errors import aws_error
from . import Provider, Route

_CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_RESULTS = 200


def _json(body: dict) -> Response:
    return Response(json.dumps(body), 200, content_type=_CONTENT_TYPE)


def _invalid(message: str) -> GlueError:
    return GlueError("InvalidInputException", message)


def _required(params: dict, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"{name} is required")
    if len(value) > 255:
        raise _invalid(f"{name} must be at most 255 characters")
    return value


class GlueJobsProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="glue-jobs",
            description="Glue StartJobRun runs Python shell job scripts in subprocesses",
            services=["glue"],
        )
        self.runner = GlueRunner(app)

    def routes(self) -> list[Route]:
        operations = {
            "StartJobRun": self.start_job_run,
            "GetJobRun": self.get_job_run,
            "GetJobRuns": self.get_job_runs,
            "BatchStopJobRun": self.batch_stop_job_run,
        }
        return [
            Route(self._guarded(handler), service="glue", operations=frozenset({name}))
            for name, handler in operations.items()
        ]

    @staticmethod
    def _guarded(handler):
        def call(request: AwsRequest) -> Response:
            try:
                return handler(request.params(), request.region or "us-east-1")
            except GlueError as exc:
                return aws_error("glue", exc.code, exc.message, exc.status)

        return call

    def start_job_run(self, params: dict, region: str) -> Response:
        _required(params, "JobName")
        timeout = params.get("Timeout")
        if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
            raise _invalid("Timeout must be a positive number of minutes")
        run = self.runner.start(region, params)
        return _json({"JobRunId": run.id})

    def get_job_run(self, params: dict, region: str) -> Response:
        run = self.runner.get(region, _required(params, "JobName"), _required(params, "RunId"))
        return _json({"JobRun": run.to_json()})

    def get_job_runs(self, params: dict, region: str) -> Response:
        runs = self.runner.list(region, _required(params, "JobName"))
        size = params.get("MaxResults") or 100
        if not isinstance(size, int) or not 1 <= size <= MAX_RESULTS:
            raise _invalid(f"MaxResults must be between 1 and {MAX_RESULTS}")
        token = params.get("NextToken")
        start = int(token) if isinstance(token, str) and token.isdigit() else 0
        page = runs[start : start + size]
        body: dict = {"JobRuns": [r.to_json() for r in page]}
        if start + size < len(runs):
            body["NextToken"] = str(start + size)
        return _json(body)

    def batch_stop_job_run(self, params: dict, region: str) -> Response:
        job_name = _required(params, "JobName")
        run_ids = params.get("JobRunIds")
        if not isinstance(run_ids, list) or not 1 <= len(run_ids) <= 25:
            raise _invalid("JobRunIds must list 1 to 25 job run ids")
        done, errors = self.runner.stop(region, job_name, run_ids)
        return _json({"SuccessfulSubmissions": done, "Errors": errors})

    def info(self) -> dict:
        return {**super().info(), "active_runs": self.runner.active_count()}

    def reset(self) -> None:
        self.runner.reset()

    def snapshot(self) -> dict:
        return self.runner.snapshot()

    def restore(self, state: dict) -> None:
        self.runner.restore(state)


PROVIDERS = [GlueJobsProvider]
