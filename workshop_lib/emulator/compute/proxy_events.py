"""Lambda proxy integration payloads: the event API Gateway sends and how it reads the answer.

Payload format 2.0 is HTTP APIs' default, 1.0 is REST APIs' (and HTTP APIs' when configured).
The field names, the combining of repeated headers and query parameters, and the response rules
follow the API Gateway developer guide.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from urllib.parse import parse_qsl

from ..config import LOCAL_ACCOUNT_ID

_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass
class ProxyRequest:
    """One call to an API, with what the proxy events need from it."""

    api_id: str
    stage: str
    method: str
    path: str  # after the stage, e.g. /items/42
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    request_id: str
    domain_name: str
    stage_variables: dict[str, str] = field(default_factory=dict)
    received: float = field(default_factory=time.time)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class MalformedResponse(ValueError):
    """The function's answer does not fit the proxy response format (API Gateway: 502/500)."""


def is_text(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_SUFFIXES)


def is_binary_media(content_type: str | None, binary_media_types: list[str]) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return bool(kind) and any(fnmatchcase(kind, t.lower()) for t in binary_media_types)


def _body(data: bytes, as_base64: bool) -> tuple[str | None, bool]:
    if not data:
        return None, False
    if as_base64:
        return base64.b64encode(data).decode(), True
    return data.decode("utf-8", "replace"), False


def _request_time(request: ProxyRequest) -> str:
    return datetime.fromtimestamp(request.received, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def event_v2(request: ProxyRequest, route_key: str, path_parameters: dict[str, str]) -> dict:
    """Payload format 2.0: lower-case headers, repeated values joined by commas, cookies apart."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, encoded = _body(request.body, not is_text(request.header("content-type")))
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path
        if request.stage == "$default"
        else f"/{request.stage}{request.path}",
        "rawQueryString": request.query_string,
        "headers": headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": request.api_id,
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": route_key,
            "stage": request.stage,
            "time": _request_time(request),
            "timeEpoch": int(request.received * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.stage_variables:
        event["stageVariables"] = request.stage_variables
    return event


def event_v1(
    request: ProxyRequest,
    resource: str,
    path_parameters: dict[str, str],
    resource_id: str = "",
    binary_media_types: list[str] | None = None,
) -> dict:
    """Payload format 1.0 (REST APIs): single and multi-value headers and query parameters."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = request.header("content-type")
    if binary_media_types is None:  # an HTTP API with payload 1.0
        as_base64 = not is_text(content_type)
    else:
        as_base64 = is_binary_media(content_type, binary_media_types)
    body, encoded = _body(request.body, as_base64)
    stage_path = request.path if request.stage == "$default" else f"/{request.stage}{request.path}"
    return {
        "version": "1.0",
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": request.api_id,
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split(".")[0],
            "extendedRequestId": request.request_id,
            "httpMethod": request.method,
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.header("user-agent"),
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
            },
            "path": stage_path,
            "protocol": "HTTP/1.1",
            "requestId": request.request_id,
            "requestTime": _request_time(request),
            "requestTimeEpoch": int(request.received * 1000),
            "resourceId": resource_id,
            "resourcePath": resource,
            "stage": request.stage,
        },
        "pathParameters": path_parameters or None,
        "stageVariables": request.stage_variables or None,
        "body": body,
        "isBase64Encoded": encoded,
    }


def _decode_body(answer: dict, decode: bool) -> bytes:
    body = answer.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        body = json.dumps(body)
    if answer.get("isBase64Encoded") and decode:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("body is not valid base64") from None
    return body.encode()


def _headers(answer: dict) -> list[tuple[str, str]]:
    headers = answer.get("headers") or {}
    multi = answer.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers must be objects")
    pairs = [(str(k), str(v)) for k, v in headers.items() if k not in multi]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        pairs += [(str(name), str(v)) for v in values]
    return pairs


def _status(answer: dict) -> int:
    try:
        status = int(answer["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise MalformedResponse("statusCode is missing or not a number") from None
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is not an HTTP status")
    return status


def response_v2(payload: bytes) -> ProxyResponse:
    """Format 2.0: a dict with statusCode is a proxy response; any other JSON is the body."""
    try:
        answer = json.loads(payload)
    except ValueError:
        raise MalformedResponse("the function's response is not JSON") from None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return ProxyResponse(200, [("Content-Type", "application/json")], payload)
    headers = _headers(answer)
    headers += [("Set-Cookie", str(c)) for c in answer.get("cookies") or []]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return ProxyResponse(_status(answer), headers, _decode_body(answer, True))


def response_v1(
    payload: bytes, binary_media_types: list[str] | None = None, accept: str | None = None
) -> ProxyResponse:
    """Format 1.0: statusCode, headers, multiValueHeaders, body, isBase64Encoded, nothing else.

    REST APIs turn a base64 body back into bytes only for the API's binary media types
    (matched against the request's Accept or the response's Content-Type).
    """
    try:
        answer = json.loads(payload)
    except ValueError:
        raise MalformedResponse("the function's response is not JSON") from None
    if not isinstance(answer, dict):
        raise MalformedResponse("the function's response is not a JSON object")
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if set(answer) - allowed:
        raise MalformedResponse(f"unexpected fields {sorted(set(answer) - allowed)}")
    headers = _headers(answer)
    if binary_media_types is None:
        decode = True
    else:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        decode = is_binary_media(accept, binary_media_types) or is_binary_media(
            content_type, binary_media_types
        )
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return ProxyResponse(_status(answer), headers, _decode_body(answer, decode))
