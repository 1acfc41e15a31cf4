"""Lambda AddPermission as AWS checks it: a statement id may be used once per function, and
holds letters, digits, '-' and '_' only (1-100 characters).

moto accepts a duplicate or malformed statement id silently, so a notebook that would fail on
AWS would pass locally; here it gets AWS's ResourceConflictException or ValidationException, and
everything else goes on to moto.
"""

from __future__ import annotations

import json
import re

from botocore.exceptions import ClientError
from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..errors import aws_error
from . import Provider, Route

STATEMENT_ID = re.compile(r"[a-zA-Z0-9-_]{1,100}")  # the service model's pattern and lengths


class LambdaPermissions(Provider):
    def __init__(self, app) -> None:
        super().__init__(app, "lambda-permissions", "AddPermission checks as on AWS", ["lambda"])

    def routes(self) -> list[Route]:
        return [
            Route(self.add_permission, service="lambda", operations=frozenset({"AddPermission"}))
        ]

    def _existing_sids(self, request: AwsRequest, function: str) -> set[str]:
        try:
            policy = self.app.client("lambda", request.region or "us-east-1").get_policy(
                FunctionName=function
            )["Policy"]
        except ClientError:
            return set()  # no policy yet (or no function: moto gives that error itself)
        return {s.get("Sid") for s in json.loads(policy).get("Statement", [])}

    def add_permission(self, request: AwsRequest) -> Response:
        # path: /2015-03-31/functions/<name>/policy
        function = request.path.rstrip("/").split("/")[-2]
        sid = request.params().get("StatementId")
        if not isinstance(sid, str) or not STATEMENT_ID.fullmatch(sid):
            return aws_error(
                "lambda",
                "ValidationException",
                f"1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
                400,
            )
        if sid in self._existing_sids(request, function):
            return aws_error(
                "lambda",
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please specify a new "
                "statement id, or remove the existing statement.",
                409,
            )
        return self.app.moto.response(request)


PROVIDERS = [LambdaPermissions]
