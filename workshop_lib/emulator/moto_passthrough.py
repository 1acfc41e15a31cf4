"""Everything no provider claims goes to moto's server application, untouched.

moto answers an operation it lacks with an HTML page (500 or 404) that botocore retries for
seconds; here that becomes an immediate AWS-shaped 501 naming the operation.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from botocore.model import OperationNotFoundError
from werkzeug.wrappers import Response

from . import service_models
from .aws_request import AwsRequest, MalformedRequest
from .errors import aws_error, malformed_authorization, not_implemented, unknown_operation

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

        refused = self._refuse(request)
        if refused is not None:
            return refused(request.environ, start_response)
        if (
            request.service
            and request.protocol == "rest-json"
            and "json" in service_models.models(request.service)
        ):
            _as_json_protocol(request)  # moto's Athena speaks JSON only
        try:
            body = self.app(request.environ, capture)
        except NotImplementedError:
            return not_implemented(request.service, request.operation, request.protocol)(
                request.environ, start_response
            )
        except OperationNotFoundError:
            return unknown_operation(request.service, request.operation, request.protocol)(
                request.environ, start_response
            )
        except (ExpatError, ParseError, ValueError) as exc:  # moto read a malformed body
            log.info("malformed %s: %s", request.describe(), exc)
            return _malformed_body(request, exc)(request.environ, start_response)
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
            return not_implemented(request.service, request.operation, request.protocol)(
                request.environ, start_response
            )
        start_response(status, headers)
        return body

    @staticmethod
    def _refuse(request: AwsRequest) -> Response | None:
        """The 4xx AWS answers before any operation runs, or None: an Authorization header
        that names no credential scope, an operation the service does not have, or (JSON
        protocols) a body that is not the operation's input. moto would fail on them with a
        500 or a traceback."""
        if request.service is None:
            return malformed_authorization(request.environ)
        if request.protocol == "query":
            request.operation  # noqa: B018 - reads the small form body before moto consumes it
        if request.protocol in ("json", "query") and not service_models.has_operation(
            request.service, request.operation
        ):
            return unknown_operation(request.service, request.operation, request.protocol)
        if request.protocol in ("json", "rest-json") and request.operation_model is not None:
            try:
                request.params()
            except MalformedRequest as err:
                return aws_error(
                    request.service, err.code, str(err), 400, protocol=request.protocol
                )
        return None


def _as_json_protocol(request: AwsRequest) -> None:
    """Rewrite a rest-json call (a newer botocore's Athena) as the JSON-protocol call that moto
    answers (its Athena reads X-Amz-Target, whichever botocore is installed): same members, one
    body. Outputs bind no member to headers there, so moto's JSON answer parses the same."""
    model = service_models.models(request.service or "").get("json")
    if model is None or request.operation is None:
        return
    body = json.dumps(request.params(), default=str).encode()
    target = f"{model.metadata['targetPrefix']}.{request.operation}"
    request.environ.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "HTTP_X_AMZ_TARGET": target,
            "CONTENT_TYPE": f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )


def _malformed_body(request: AwsRequest, exc: Exception) -> Response:
    """moto could not parse the body: the 400 the service gives for it."""
    if request.protocol == "rest-xml":
        message = (
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )
        return aws_error(request.service, "MalformedXML", message, 400, protocol="rest-xml")
    code = "MalformedInput" if request.protocol == "query" else "SerializationException"
    return aws_error(
        request.service,
        code,
        f"The request body could not be read: {exc}",
        400,
        protocol=request.protocol,
    )
