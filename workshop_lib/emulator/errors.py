"""Error responses in the shape each AWS protocol uses, so botocore raises the same ClientError."""

from __future__ import annotations

import json
import re
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from . import service_models


def aws_error(
    service: str | None,
    code: str,
    message: str,
    status: int,
    *,
    sender: bool = True,
    protocol: str | None = None,
) -> Response:
    """An error as `service` would send it: botocore reads code and message from it.

    `protocol` is the request's own (AwsRequest.protocol) where a service has two; by default
    the one the installed botocore speaks to `service`.
    """
    request_id = str(uuid.uuid4())
    proto = protocol or service_models.protocol(service)
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


def not_implemented(
    service: str | None, operation: str | None, protocol: str | None = None
) -> Response:
    """501 NotImplemented for a real operation nothing here implements (botocore does not retry
    it, so the caller hears at once); an operation the service does not have is the caller's
    error, answered as AWS does (unknown_operation)."""
    if not service_models.has_operation(service, operation):
        return unknown_operation(service, operation, protocol)
    name = f"{service}.{operation}"
    return aws_error(
        service,
        "NotImplemented",
        f"The local emulator does not implement {name}: neither moto nor a workshop provider "
        "handles it. Use target='aws' for this call, or open an issue for the kit.",
        501,
        sender=False,
        protocol=protocol,
    )


def unknown_operation(
    service: str | None, operation: str | None, protocol: str | None = None
) -> Response:
    """A call of no operation the service has: AWS answers 400 InvalidAction on the query
    protocol, 400 UnknownOperationException with the JSON protocol's X-Amz-Target, and 404
    UnknownOperationException for a REST path no operation has."""
    proto = protocol or service_models.protocol(service)
    if proto == "query":
        message = f"Could not find operation {operation or '(no Action)'} for {service}."
        return aws_error(service, "InvalidAction", message, 400, protocol=proto)
    if proto == "json":
        message = f"Unknown operation {operation or '(no X-Amz-Target)'} for {service}."
        return aws_error(service, "UnknownOperationException", message, 400, protocol=proto)
    return aws_error(
        service, "UnknownOperationException", "Unknown operation.", 404, protocol=proto
    )


_SIGV2 = re.compile(r"^AWS [^:\s]+:\S+$")


def malformed_authorization(environ: dict) -> Response | None:
    """400 for an Authorization header from which no SigV4 credential scope can be read
    (`Credential=AKID/date/region/service/aws4_request`), or None when there is no such header
    (anonymous and presigned requests) or it is SigV2's. In the shape of the likely protocol:
    JSON with X-Amz-Target, query with a form body, else S3's XML."""
    auth = environ.get("HTTP_AUTHORIZATION", "").strip()
    if not auth or _SIGV2.match(auth):
        return None
    if environ.get("HTTP_X_AMZ_TARGET"):
        proto = "json"
    elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        proto = "query"
    else:
        message = (
            "The authorization header is malformed; the Credential is mal-formed; expecting "
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
        return aws_error(None, "AuthorizationHeaderMalformed", message, 400, protocol="rest-xml")
    message = (
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        f"Authorization={auth[:60]}"
    )
    return aws_error(None, "IncompleteSignatureException", message, 400, protocol=proto)
