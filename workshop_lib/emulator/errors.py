"""Error responses in the shape each AWS protocol uses, so botocore raises the same ClientError."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from . import service_models


def aws_error(
    service: str | None, code: str, message: str, status: int, *, sender: bool = True
) -> Response:
    """An error as `service` would send it: botocore reads code and message from it."""
    request_id = str(uuid.uuid4())
    proto = service_models.protocol(service)
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
    if proto == "query":
        kind = "Sender" if sender else "Receiver"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{kind}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return Response(body, status, headers, content_type="text/xml")
    if proto == "rest-xml":
        body = (
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return Response(body, status, headers, content_type="application/xml")
    body = json.dumps({"__type": code, "message": message})
    content_type = "application/x-amz-json-1.1" if proto == "json" else "application/json"
    return Response(body, status, headers, content_type=content_type)


def not_implemented(service: str | None, operation: str | None) -> Response:
    """501 NotImplemented: botocore does not retry it, so the caller hears at once."""
    name = f"{service or 'unknown service'}.{operation or 'unknown operation'}"
    return aws_error(
        service,
        "NotImplemented",
        f"The local emulator does not implement {name}: neither moto nor a workshop provider "
        "handles it. Use target='aws' for this call, or open an issue for the kit.",
        501,
        sender=False,
    )
