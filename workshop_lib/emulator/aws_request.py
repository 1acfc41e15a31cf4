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
from urllib.parse import parse_qs

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
        """The body of a JSON-protocol call ({} when empty)."""
        return json.loads(self.body or b"{}")

    @cached_property
    def form(self) -> dict[str, str]:
        """The url-encoded body of a query-protocol call."""
        if not self.environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return {}
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    @cached_property
    def operation(self) -> str | None:
        """The API operation name as in the service's documentation (``CreateDatasetGroup``)."""
        if self.target and "." in self.target:
            return self.target.rsplit(".", 1)[1]
        if self.service is None:
            return None
        proto = service_models.protocol(self.service)
        if proto == "query":
            action = parse_qs(self.environ.get("QUERY_STRING", "")).get("Action")
            return action[0] if action else self.form.get("Action")
        if proto.startswith("rest"):
            return service_models.rest_operation(
                self.service, self.method, self.path, self.query_keys, self.header_names
            )
        return None

    def describe(self) -> str:
        return f"{self.service or '?'}.{self.operation or '?'} ({self.method} {self.path})"
