"""The worker side of a local Lambda execution environment (stdlib only, run as a script).

The emulator starts ``python lambda_runtime.py`` with the unzipped code as working directory and
the function's environment. Like the AWS Python runtime interface client, it imports the handler
once (the init phase), then serves one event at a time: a JSON line on the private request pipe
in, the handler's output and then one framed result on stdout out. stdout and stderr are one pipe,
so the emulator reads the function's log lines and the result in order, without a second channel.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import sys
import threading
import time
import traceback

RESULT_MARKER = b"\x00\x1eWORKSHOP-LAMBDA-RESULT:"


class ClientContext:
    """context.client_context, as the AWS runtime builds it from X-Amz-Client-Context."""

    def __init__(self, data: dict) -> None:
        self.custom = data.get("custom")
        self.env = data.get("env")
        self.client = data.get("client")


class LambdaContext:
    """The context object handlers receive, with the members of the AWS Python runtime."""

    def __init__(self, request: dict) -> None:
        self.aws_request_id = request["request_id"]
        self.invoked_function_arn = request["invoked_function_arn"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, exactly as the AWS runtime gives it.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        client_context = request.get("client_context")
        self.client_context = ClientContext(client_context) if client_context else None
        self.identity = None
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(message)
        sys.stdout.flush()


class _RequestIdFilter(logging.Filter):
    """Puts the current request id into every record, as the AWS runtime's log format needs."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging() -> _RequestIdFilter:
    """The root handler of the AWS Python runtime (the level stays WARNING, as on AWS)."""
    request_filter = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.terminator = ""
    handler.addFilter(request_filter)
    logging.getLogger().addHandler(handler)
    return request_filter


def _error(message: str, error_type: str, stack: list[str], request_id: str = "") -> dict:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }


def _load_handler(spec: str):
    """Import the handler the way the AWS runtime does, with its error types and messages."""
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        return None, _error(f"Bad handler '{spec}': {exc}", "Runtime.MalformedHandlerName", [])
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        return None, _error(
            f"Syntax error in module '{module_name}': {exc}", "Runtime.UserCodeSyntaxError", []
        )
    except ImportError as exc:
        return None, _error(
            f"Unable to import module '{module_name}': {exc}", "Runtime.ImportModuleError", []
        )
    except Exception as exc:
        return None, _fault(exc)
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _error(
            f"Handler '{function_name}' missing on module '{module_name}'",
            "Runtime.HandlerNotFound",
            [],
        )
    return handler, None


def _fault(exc: BaseException, request_id: str = "") -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    user_frames = [f for f in frames if not f.filename.endswith("lambda_runtime.py")]
    return _error(str(exc), type(exc).__name__, traceback.format_list(user_frames), request_id)


def _log_fault(error: dict) -> None:
    """The runtime's [ERROR] line; \\r keeps the traceback in one CloudWatch event, as on AWS."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error["stackTrace"])
    sys.stdout.write("\r".join(lines) + "\n")


def _send(result: dict, token: bytes) -> None:
    """Flush the function's output, then write the framed result after it."""
    sys.stdout.flush()
    sys.stderr.flush()
    body = json.dumps(result).encode()
    frame = RESULT_MARKER + token + b":" + str(len(body)).encode() + b"\n" + body
    view = memoryview(frame)
    while view:
        view = view[os.write(1, view) :]


def _invoke(handler, request: dict, request_filter: _RequestIdFilter) -> dict:
    request_id = request["request_id"]
    request_filter.request_id = request_id
    try:
        event = json.loads(request["payload"] or "{}")
        response = handler(event, LambdaContext(request))
    except Exception as exc:
        error = _fault(exc, request_id)
        _log_fault(error)
        return {"error": error}
    try:
        payload = json.dumps(response)
    except (TypeError, ValueError) as exc:
        error = _error(f"Unable to marshal response: {exc}", "Runtime.MarshalError", [], request_id)
        _log_fault(error)
        return {"error": error}
    return {"payload": payload}


def _die_with_parent() -> None:
    """End this worker when the emulator dies, even in the middle of a handler.

    (Not PR_SET_PDEATHSIG: it fires when the emulator *thread* that started the worker ends.)
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    _die_with_parent()
    token = os.environ.pop("_WORKSHOP_WORKER_TOKEN").encode()
    # Requests arrive on a private copy of stdin; the function's own stdin is /dev/null.
    requests = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[0] = task_root  # not this file's folder: user code is imported from the task root
    request_filter = _install_lambda_logging()

    started = time.monotonic()
    handler, init_error = _load_handler(os.environ["_HANDLER"])
    if init_error:
        _log_fault(init_error)
    init_ms = (time.monotonic() - started) * 1000
    _send({"ready": True, "init_ms": init_ms, "error": init_error}, token)
    if init_error:
        return
    for line in requests:
        request = json.loads(line)
        result = _invoke(handler, request, request_filter)
        result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _send(result, token)


if __name__ == "__main__":
    main()
