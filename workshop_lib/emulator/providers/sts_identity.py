"""STS GetCallerIdentity names the principal IAM checks: the stack's learner, a function's or the
Glue job's role, a user. moto would answer its default identity for keys it did not issue, so a
learner on the stack path would read an ARN that no denial ever names.

The account's owner (the placeholder credentials) and keys moto issued itself stay with moto.
"""

from __future__ import annotations

import hashlib
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..config import LOCAL_ACCOUNT_ID
from ..iam import enforce, principals
from . import Provider, Route


def user_id(arn: str) -> str:
    """AWS's UserId: the role's id and the session name for an assumed role, the user's id
    for a user (stable ids derived from the ARN, in AWS's alphabet)."""
    digest = hashlib.sha256(arn.encode()).hexdigest().upper()[:17]
    if ":assumed-role/" in arn:
        return f"AROA{digest}:{arn.rsplit('/', 1)[-1]}"
    return f"AIDA{digest}"


def identity_response(arn: str) -> Response:
    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult>"
        f"<Arn>{escape(arn)}</Arn><UserId>{escape(user_id(arn))}</UserId>"
        f"<Account>{LOCAL_ACCOUNT_ID}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )
    return Response(body, 200, content_type="text/xml")


class StsIdentityProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="sts-identity",
            description="GetCallerIdentity of the principals IAM checks",
            services=["sts"],
        )

    def routes(self) -> list[Route]:
        return [Route(self._identity, service="sts", operations=frozenset({"GetCallerIdentity"}))]

    def _identity(self, request: AwsRequest) -> Response:
        caller = principals.caller(enforce.access_key(request))
        if caller is None:
            return self.app.moto.response(request)
        return identity_response(caller.arn)


PROVIDERS = [StsIdentityProvider]
