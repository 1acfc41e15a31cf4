"""Everything no provider claims goes to moto's server application, untouched.

moto answers an operation it lacks with an HTML page (500 or 404) that botocore retries for
seconds; here that becomes an immediate AWS-shaped 501 naming the operation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Response

from . import service_models
from .aws_request import AwsRequest
from .errors import aws_error, not_implemented

log = logging.getLogger(__name__)

# Services the workshop relies on moto for (shown by the health endpoint).
SERVICES = [
    "s3",
    "iam",
    "sts",
    "glue",
    "lambda",
    "apigateway",
    "apigatewayv2",
    "logs",
    "cloudformation",
]


class MotoPassthrough:
    def __init__(self) -> None:
        # Workshop roles attach AWS managed policies (AmazonPersonalizeFullAccess, ...).
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        from moto.server import DomainDispatcherApplication, create_backend_app

        self.app = DomainDispatcherApplication(create_backend_app)

    def info(self) -> dict[str, Any]:
        import moto

        return {
            "name": "moto",
            "description": f"moto {moto.__version__} (pass-through)",
            "services": SERVICES,
            "state": "ready",
        }

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()

    def response(self, request: AwsRequest) -> Response:
        """moto's answer as a Response, for providers that check first, then delegate."""
        captured: list[Any] = []

        def start_response(status: str, headers: list, exc_info: Any = None):
            captured[:] = [status, headers]
            return lambda data: None

        body = b"".join(self(request, start_response))
        status, headers = captured
        return Response(body, int(status[:3]), headers)

    def __call__(self, request: AwsRequest, start_response: Any) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list, exc_info: Any = None):
            captured[:] = [status, headers]
            return lambda data: None

        if service_models.protocol(request.service) == "query":
            request.operation  # noqa: B018 - reads the small form body before moto consumes it
        try:
            body = self.app(request.environ, capture)
        except NotImplementedError:
            return not_implemented(request.service, request.operation)(
                request.environ, start_response
            )
        except Exception as exc:  # a moto bug must not look like a hang or an HTML page
            log.exception("moto failed on %s", request.describe())
            error = aws_error(
                request.service,
                "InternalFailure",
                f"moto failed on {request.describe()}: {exc}",
                500,
                sender=False,
            )
            return error(request.environ, start_response)

        status, headers = captured
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        head_miss = request.method == "HEAD" and status[:3] == "404"  # no body, as on AWS
        html_error = status[:3] in ("404", "405", "500", "501") and content_type.startswith(
            "text/html"
        )
        if html_error and not head_miss:
            if hasattr(body, "close"):
                body.close()
            return not_implemented(request.service, request.operation)(
                request.environ, start_response
            )
        start_response(status, headers)
        return body
