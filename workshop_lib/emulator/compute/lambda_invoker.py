"""Running a deployed Lambda function: its zip, environment, timeout, logs and error shapes.

Shared by everything that invokes functions in the emulator (the Lambda Invoke API, API Gateway,
Segment's Lambda destination) through `invoker_for(app)`.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import request_log
from . import moto_state
from .logs import LogWriter
from .workers import RUNTIME_SCRIPT, Outcome, WorkerPool, WorkerSpec

if TYPE_CHECKING:
    from ..app import EmulatorApp

LOG_TAIL_BYTES = 4096
MAX_RESPONSE_BYTES = 6291556  # what Lambda's error message names for synchronous responses


class InvokeError(Exception):
    """The Invoke call itself fails (before any code runs): an AWS error code and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class InvokeResult:
    """A finished synchronous invocation, as Invoke's response carries it."""

    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    log: str  # this invocation's log lines (START ... REPORT)
    executed_version: str

    @property
    def log_tail(self) -> str:
        """X-Amz-Log-Result: the last 4 KB of the log, base64."""
        return base64.b64encode(self.log.encode()[-LOG_TAIL_BYTES:]).decode()


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class LambdaInvoker:
    """Warm workers, unzipped code and log writing for every function of one emulator."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.pool = WorkerPool()
        self.logs = LogWriter(app)
        self._code_root: Path | None = None
        self._code_lock = threading.Lock()
        atexit.register(self.close)

    # -- resolving a function -------------------------------------------------------------------

    def function(self, region: str, name: str, qualifier: str | None = None) -> Any:
        """The deployed function (moto's record), or InvokeError ResourceNotFoundException."""
        try:
            return moto_state.lambda_function(region, name, qualifier)
        except moto_state.NotFound as exc:
            raise InvokeError("ResourceNotFoundException", str(exc), 404) from None

    def check_runnable(self, function: Any) -> None:
        runtime = function.run_time or ""
        if function.package_type != "Zip" or not runtime.startswith("python"):
            kind = runtime or f"a {function.package_type} package"
            # AWS answers InvalidRuntimeException with 502; 400 keeps botocore from retrying.
            raise InvokeError(
                "InvalidRuntimeException",
                f"The local emulator runs Python zip functions only, and {function.function_name}"
                f" uses {kind}. Deploy it with a python3.x runtime, or use target='aws'.",
                400,
            )

    def _code_dir(self, function: Any) -> Path:
        """The function's zip, unzipped once per code version (Lambda's /var/task)."""
        # moto's CodeSha256 names the code version; hashing the zip again per call would be slow
        digest = hashlib.sha256(function.code_sha_256.encode()).hexdigest()[:24]
        with self._code_lock:
            if self._code_root is None:
                self._code_root = Path(tempfile.mkdtemp(prefix="workshop-lambda-"))
            target = self._code_root / f"{function.function_name}-{digest}"
            if not target.exists():
                staging = Path(tempfile.mkdtemp(dir=self._code_root))
                try:
                    with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                        archive.extractall(staging)
                except zipfile.BadZipFile:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise InvokeError(
                        "InvalidZipFileException",
                        f"Could not unzip the code of {function.function_name}. Check the file, "
                        "then update the function code again.",
                    ) from None
                staging.rename(target)
        return target

    def _spec(self, function: Any, region: str) -> WorkerSpec:
        code_dir = self._code_dir(function)
        version = str(function.version)
        env = {
            **{str(k): str(v) for k, v in (function.environment_vars or {}).items()},
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            # Lambda has no ~/.aws files: the host's profiles must not leak into the function.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "LAMBDA_RUNTIME_DIR": str(RUNTIME_SCRIPT.parent),
            "_HANDLER": function.handler or "",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": function.logs_group_name,
            **self.app.client_environment(region),
            # AWS runs the function with its role's credentials: the request log sees whose
            "AWS_ACCESS_KEY_ID": request_log.role_access_key(function.role),
        }
        config = [function.code_sha_256, function.handler, function.run_time, function.timeout]
        signature = hashlib.sha256(json.dumps([config, sorted(env.items())]).encode()).hexdigest()
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        key = f"{function.function_arn}:{version}"
        return WorkerSpec(key, signature, code_dir, env, f"{day}/[{version}]")

    # -- invoking --------------------------------------------------------------------------------

    def invoke(
        self,
        region: str,
        name: str,
        payload: bytes,
        qualifier: str | None = None,
        client_context: dict | None = None,
    ) -> InvokeResult:
        """Run the function synchronously (RequestResponse) and return its result and log."""
        function = self.function(region, name, qualifier)
        self.check_runnable(function)
        return self._run(function, region, payload, client_context, str(uuid.uuid4()))

    def invoke_event(self, region: str, name: str, payload: bytes, qualifier: str | None) -> str:
        """InvocationType Event: check, queue, return the request id; the call runs meanwhile."""
        function = self.function(region, name, qualifier)
        self.check_runnable(function)
        request_id = str(uuid.uuid4())
        threading.Thread(
            target=self._run,
            args=(function, region, payload, None, request_id),
            name=f"lambda-event-{function.function_name}",
            daemon=True,
        ).start()
        return request_id

    def _run(
        self,
        function: Any,
        region: str,
        payload: bytes,
        client_context: dict | None,
        request_id: str,
    ) -> InvokeResult:
        spec = self._spec(function, region)
        worker, cold = self.pool.acquire(spec)
        try:
            if worker.init_error:
                outcome = Outcome("error", error={**worker.init_error, "requestId": request_id})
            else:
                request = {
                    "request_id": request_id,
                    "payload": payload.decode() if payload else "",
                    "deadline_ms": int(time.time() * 1000) + int(function.timeout * 1000),
                    "invoked_function_arn": function.function_arn,
                    "client_context": client_context,
                }
                outcome = worker.invoke(request, float(function.timeout))
        finally:
            self.pool.release(worker)
        log_text = self._log_text(function, worker, cold, outcome, request_id)
        self.logs.write(region, function.logs_group_name, worker.log_stream, log_text)
        body, error = self._response(function, outcome, request_id)
        return InvokeResult(request_id, body, error, log_text, str(function.version))

    def _response(
        self, function: Any, outcome: Outcome, request_id: str
    ) -> tuple[bytes, str | None]:
        if outcome.status == "ok":
            payload = (outcome.payload or "null").encode()
            if len(payload) <= MAX_RESPONSE_BYTES:
                return payload, None
            error = {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            return json.dumps(error).encode(), "Unhandled"
        if outcome.status == "timeout":
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{float(function.timeout):.2f} seconds",
            }
        elif outcome.status == "exit":
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                f"exit status {outcome.exit_code}",
            }
        else:
            error = outcome.error or {}
        return json.dumps(error).encode(), "Unhandled"

    def _log_text(
        self, function: Any, worker: Any, cold: bool, outcome: Outcome, request_id: str
    ) -> str:
        """START, the function's output, END and REPORT, as Lambda writes them."""
        lines = []
        if cold:
            version = function.run_time.replace("python", "python:", 1)
            lines.append(f"INIT_START Runtime Version: {version}.local")
            lines.append(worker.init_output.decode(errors="replace").rstrip("\n"))
        lines.append(f"START RequestId: {request_id} Version: {function.version}")
        lines.append(outcome.output.decode(errors="replace").rstrip("\n"))
        if outcome.status == "timeout":
            lines.append(
                f"{_now_iso()} {request_id} Task timed out after {float(function.timeout):.2f} "
                "seconds"
            )
        lines.append(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(outcome.duration_ms))} ms\t"
            f"Memory Size: {function.memory_size} MB\t"
            f"Max Memory Used: {max(1, outcome.max_rss_kb // 1024)} MB\t"
        )
        if cold:
            report += f"Init Duration: {worker.init_ms:.2f} ms\t"
        if outcome.status == "timeout":
            report += "Status: timeout"
        lines.append(report)
        return "\n".join(line for line in lines if line) + "\n"

    # -- lifecycle -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Stop every worker and forget unzipped code (emulator reset)."""
        self.pool.stop_all()
        self.logs.reset()
        with self._code_lock:
            if self._code_root is not None:
                shutil.rmtree(self._code_root, ignore_errors=True)
                self._code_root = None

    def close(self) -> None:
        self.reset()


_INVOKERS: weakref.WeakKeyDictionary[Any, LambdaInvoker] = weakref.WeakKeyDictionary()
_INVOKERS_LOCK = threading.Lock()


def invoker_for(app: EmulatorApp) -> LambdaInvoker:
    """The one LambdaInvoker of an emulator app, shared by every provider that invokes."""
    with _INVOKERS_LOCK:
        if app not in _INVOKERS:
            _INVOKERS[app] = LambdaInvoker(app)
        return _INVOKERS[app]
