"""What an incoming request is: which AWS service, region and operation it calls.

Everything is read lazily and without consuming the body, except for the small form bodies
of the query protocol (IAM, STS, CloudFormation), which are put back for moto afterwards.
"""

from __future__ import annotations

import io
import json
import re
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.validate import ParamValidator
from werkzeug.wrappers import Request

from . import service_models

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_PERSONALIZE_RUNTIME = ("/recommendations", "/personalize-ranking", "/action-recommendations")
_PERSONALIZE_EVENTS = ("/events", "/users", "/items", "/actions", "/action-interactions")


class AwsRequest:
    """A WSGI request seen as an AWS API call."""

    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.path: str = environ.get("PATH_INFO", "") or "/"
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()

    @cached_property
    def _scope(self) -> tuple[str | None, str | None]:
        """(region, signing name) from SigV4: the Authorization header or a presigned URL."""
        auth = self.environ.get("HTTP_AUTHORIZATION", "")
        match = _SCOPE.search(auth)
        if not match:
            cred = parse_qs(self.environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])
            match = _SCOPE.search("Credential=" + cred[0])
        return (match.group(1), match.group(2)) if match else (None, None)

    @property
    def region(self) -> str | None:
        return self._scope[0]

    @property
    def target(self) -> str | None:
        """X-Amz-Target of the JSON protocol, e.g. ``AmazonPersonalize.CreateDatasetGroup``."""
        return self.environ.get("HTTP_X_AMZ_TARGET")

    @cached_property
    def service(self) -> str | None:
        """The botocore service name (not the signing name: three services sign as personalize)."""
        signing = self._scope[1]
        if signing == "apigateway":
            return "apigatewayv2" if self.path.startswith("/v2/") else "apigateway"
        if signing == "personalize" and not self.target:
            if self.path.startswith(_PERSONALIZE_RUNTIME):
                return "personalize-runtime"
            if self.path.startswith(_PERSONALIZE_EVENTS):
                return "personalize-events"
        if signing is None and self.query_keys & {"X-Amz-Signature", "Signature"}:
            return "s3"  # presigned SigV2 URLs are S3's
        return signing

    @cached_property
    def query_keys(self) -> set[str]:
        return set(parse_qs(self.environ.get("QUERY_STRING", ""), keep_blank_values=True))

    @cached_property
    def header_names(self) -> set[str]:
        """Header names in lower case (WSGI keeps two of them outside HTTP_*)."""
        keys = [
            k[5:] if k.startswith("HTTP_") else k
            for k in self.environ
            if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")
        ]
        return {k.replace("_", "-").lower() for k in keys}

    @cached_property
    def body(self) -> bytes:
        """The whole body (Content-Length or chunked), read once and put back for moto."""
        data = Request(self.environ).get_data()
        self.environ["wsgi.input"] = io.BytesIO(data)
        self.environ["CONTENT_LENGTH"] = str(len(data))
        self.environ.pop("HTTP_TRANSFER_ENCODING", None)
        return data

    def json(self) -> Any:
        """The body of a JSON-protocol call ({} when empty); MalformedRequest if not JSON."""
        try:
            return json.loads(self.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise MalformedRequest(
                "SerializationException", "The request body is not valid JSON."
            ) from None

    @cached_property
    def form(self) -> dict[str, str]:
        """The url-encoded body of a query-protocol call."""
        if not self.environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return {}
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    @cached_property
    def protocol(self) -> str:
        """The wire protocol this request uses (a client's botocore version decides: Athena is
        json up to botocore 1.44.8, rest-json later); errors are answered in the same one."""
        return service_models.request_protocol(self.service, bool(self.target))

    @cached_property
    def _rest_match(self) -> tuple[str, dict[str, str]] | None:
        if self.service is None or not self.protocol.startswith("rest"):
            return None
        return service_models.rest_match(
            self.service, self.protocol, self.method, self.path, self.query_keys, self.header_names
        )

    @cached_property
    def operation(self) -> str | None:
        """The API operation name as in the service's documentation (``CreateDatasetGroup``)."""
        if self.target and "." in self.target:
            return self.target.rsplit(".", 1)[1]
        if self.service is None:
            return None
        if self.protocol == "query":
            action = parse_qs(self.environ.get("QUERY_STRING", "")).get("Action")
            return action[0] if action else self.form.get("Action")
        return self._rest_match[0] if self._rest_match else None

    @cached_property
    def operation_model(self):
        """botocore's model of the operation (of this request's protocol where there are two)."""
        if not self.service or not self.operation:
            return None
        return service_models.operation_model(
            self.service, self.operation, self.protocol
        ) or service_models.operation_model(self.service, self.operation, "json")

    def params(self) -> dict[str, Any]:
        """The operation's input as the JSON protocol carries it: one JSON object, keyed as on
        the wire. A rest-json call's URI, query string and header members are merged into it.

        Raises MalformedRequest for a body that is not a JSON object or a member of the wrong
        type, as AWS answers such requests with a 400 before any handler runs.
        """
        op = self.operation_model
        shape = op.input_shape if op is not None else None
        payload = shape.serialization.get("payload") if shape is not None else None
        if self.protocol == "rest-json" and payload:  # the body is one member (Invoke's Payload)
            raw: Any = self.body if shape.members[payload].type_name == "blob" else self.json()
            body: Any = {payload: raw} if self.body else {}
        else:
            body = self.json()
            if not isinstance(body, dict):
                raise MalformedRequest(
                    "SerializationException", "The request body must be a JSON object."
                )
        if shape is not None:
            bound = _bound_members(shape, self) if self.protocol == "rest-json" else {}
            # body keys are wire names, bound ones member names (they differ: API Gateway's
            # PutIntegration has a URI member httpMethod and a body member named httpMethod)
            _validate(shape, {**_member_named(shape, body), **bound})
            for name, value in bound.items():
                body.setdefault(name, value)
        return body

    def describe(self) -> str:
        return f"{self.service or '?'}.{self.operation or '?'} ({self.method} {self.path})"


class MalformedRequest(ValueError):
    """A request that cannot be read as its operation's input: answered 400 with `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _validate(shape, params: dict) -> None:
    """Members of the wrong type, missing or under their minimum: botocore's own checks of the
    operation's input shape (what a client would have refused), answered as AWS does."""
    report = ParamValidator().validate(params, shape)
    # (reason, member, details) tuples; botocore has no public accessor for them
    errors = [e for e in report._errors if e[0] != "unknown field"]  # AWS ignores those
    if not errors:
        return
    code = (
        "SerializationException"
        if any(e[0].startswith("invalid type") for e in errors)
        else "ValidationException"
    )
    lines = [report._format_error(e) for e in errors[:5]]
    raise MalformedRequest(code, f"{len(errors)} validation error(s) detected: " + "; ".join(lines))


def _member_named(shape, value: Any) -> Any:
    """`value` with wire names (a member's locationName: apigatewayv2's camelCase) turned
    into the model's member names, which botocore's validator expects."""
    if shape.type_name == "structure" and isinstance(value, dict):
        names = {m.serialization.get("name", n): n for n, m in shape.members.items()}
        return {
            names.get(k, k): _member_named(shape.members[names[k]], v) if k in names else v
            for k, v in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_member_named(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _member_named(shape.value, v) for k, v in value.items()}
    return value


def _bound_members(shape, request: AwsRequest) -> dict[str, Any]:
    """The members a rest-json request carries outside its body, typed as the model says."""
    uri = request._rest_match[1] if request._rest_match else {}
    query = parse_qs(request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and name in uri:
            found[name] = unquote(uri[name])
        elif location == "querystring" and wire in query:
            values = query[wire]
            found[name] = values if member.type_name == "list" else _typed(member, wire, values[0])
        elif location == "header":
            value = request.environ.get("HTTP_" + wire.upper().replace("-", "_"))
            if value is not None:
                found[name] = _typed(member, wire, value)
    return found


def _typed(member, wire: str, text: str) -> Any:
    if member.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise MalformedRequest(
                "SerializationException", f"{wire} must be a number, not {text[:50]!r}."
            ) from None
    if member.type_name == "boolean":
        return text.lower() == "true"
    return text
