"""Lambda Invoke (and the older InvokeAsync): the emulator runs the deployed handler for real.

moto keeps creating, updating, listing and deleting functions; this provider answers only the
calls that run code, with Invoke's wire format: status 200/202/204, X-Amz-Function-Error,
X-Amz-Log-Result, X-Amz-Executed-Version, and the request id of the invocation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..compute.lambda_invoker import InvokeError, invoker_for
from ..errors import aws_error
from . import Provider, Route

# The FunctionName pattern and length of the Lambda API reference (botocore checks neither).
_FUNCTION_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024


def _validation_error(value: str, field: str, constraint: str) -> InvokeError:
    return InvokeError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}",
    )


def _function_name(path: str) -> str:
    name = unquote(path.rstrip("/").split("/")[3])
    if len(name) > 170:
        raise _validation_error(
            name, "functionName", "Member must have length less than or equal to 170"
        )
    if not _FUNCTION_NAME.fullmatch(name):
        raise _validation_error(
            name,
            "functionName",
            f"Member must satisfy regular expression pattern: {_FUNCTION_NAME.pattern}",
        )
    return name


def _check_payload(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise InvokeError(
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            413,
        )
    try:
        json.loads(payload or b"{}")
    except ValueError as exc:
        raise InvokeError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
        ) from None


def _client_context(header: str | None) -> dict | None:
    if not header:
        return None
    try:
        return json.loads(base64.b64decode(header))
    except (binascii.Error, ValueError):
        raise InvokeError(
            "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON"
        ) from None


class LambdaInvokeProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="lambda-invoke",
            description="Lambda Invoke runs Python handlers in warm worker processes",
            services=["lambda"],
        )

    @property
    def invoker(self):
        return invoker_for(self.app)

    def routes(self) -> list[Route]:
        return [
            Route(self.invoke, service="lambda", operations=frozenset({"Invoke"})),
            Route(self.invoke_async, service="lambda", operations=frozenset({"InvokeAsync"})),
        ]

    def invoke(self, request: AwsRequest) -> Response:
        try:
            return self._invoke(request)
        except InvokeError as exc:
            return aws_error("lambda", exc.code, exc.message, exc.status)

    def _invoke(self, request: AwsRequest) -> Response:
        name = _function_name(request.path)
        query = parse_qs(request.environ.get("QUERY_STRING", ""))
        qualifier = query.get("Qualifier", [None])[0]
        invocation_type = request.environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse"
        if invocation_type not in _INVOCATION_TYPES:
            raise _validation_error(
                invocation_type,
                "invocationType",
                f"Member must satisfy enum value set: [{', '.join(_INVOCATION_TYPES)}]",
            )
        log_type = request.environ.get("HTTP_X_AMZ_LOG_TYPE") or "None"
        if log_type not in ("None", "Tail"):
            raise _validation_error(
                log_type, "logType", "Member must satisfy enum value set: [None, Tail]"
            )
        region = request.region or "us-east-1"
        payload = request.body
        if invocation_type == "Event":
            _check_payload(payload, MAX_EVENT_PAYLOAD)
            request_id = self.invoker.invoke_event(region, name, payload, qualifier)
            return Response(b"", 202, {"x-amzn-RequestId": request_id})
        if invocation_type == "DryRun":
            function = self.invoker.function(region, name, qualifier)
            self.invoker.check_runnable(function)
            return Response(b"", 204, {"X-Amz-Executed-Version": str(function.version)})
        _check_payload(payload, MAX_SYNC_PAYLOAD)
        context = _client_context(request.environ.get("HTTP_X_AMZ_CLIENT_CONTEXT"))
        result = self.invoker.invoke(region, name, payload, qualifier, context)
        headers = {
            "x-amzn-RequestId": result.request_id,
            "X-Amz-Executed-Version": result.executed_version,
        }
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if log_type == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail
        return Response(result.payload, 200, headers, content_type="application/json")

    def invoke_async(self, request: AwsRequest) -> Response:
        """The deprecated InvokeAsync: an Event invocation answered with {"Status": 202}."""
        try:
            name = _function_name(request.path)
            _check_payload(request.body, MAX_EVENT_PAYLOAD)
            region = request.region or "us-east-1"
            self.invoker.invoke_event(region, name, request.body, None)
        except InvokeError as exc:
            return aws_error("lambda", exc.code, exc.message, exc.status)
        return Response(json.dumps({"Status": 202}), 202, content_type="application/json")

    def info(self) -> dict:
        return {
            **super().info(),
            "runtimes": "python3.x (zip)",
            "warm_workers": self.invoker.pool.worker_count(),
        }

    def reset(self) -> None:
        self.invoker.reset()


PROVIDERS = [LambdaInvokeProvider]
