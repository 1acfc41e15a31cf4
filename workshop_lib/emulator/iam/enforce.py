"""The per-request check the app makes before a provider or moto answers.

`check(request)` returns AWS's error response when IAM would refuse the request, None when it
goes on. Two kinds of check:
- the caller's: the principal who signed it (principals.py) needs an Allow for each action
  the request needs (actions.py), from its identity policies or the resource's policy (bucket
  policy, function policy), and no Deny; the account's owner and the emulator's own clients
  are not checked;
- the service's, whoever calls: a role handed to Lambda must trust lambda.amazonaws.com, and
  STS hands out a role's credentials only to a caller its trust policy lets in.
"""

from __future__ import annotations

import re
import threading

from werkzeug.wrappers import Response

from .. import request_log
from ..config import LOCAL_ACCOUNT_ID
from ..errors import aws_error
from . import enabled, principals, service_roles
from .actions import Where, needs
from .policy import Decision, Principal, decide

_KEY = re.compile(r"Credential=([^/,\s]+)/")
_PRESIGNED_KEY = re.compile(r"(?:^|&)X-Amz-Credential=([^%/&]+)")
# (error code, HTTP status) of a denial, by protocol family; JSON services say 400 unless listed
_DENIAL = {
    "s3": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "cloudformation": ("AccessDenied", 403),
    "lambda": ("AccessDeniedException", 403),
    "apigateway": ("AccessDeniedException", 403),
    "apigatewayv2": ("AccessDeniedException", 403),
}
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/")
_NEVER_DENIED = {"sts:GetCallerIdentity"}  # AWS answers it whatever the policies say
_PASSES_ROLE_TO_LAMBDA = {"CreateFunction", "UpdateFunctionConfiguration"}

_counts = {"checked": 0, "denied": 0}
_lock = threading.Lock()


def stats() -> dict:
    """For the health endpoint: is IAM enforced, how many requests were checked, denied."""
    with _lock:
        return {"enforced": enabled(), **_counts}


def _count(name: str) -> None:
    with _lock:
        _counts[name] += 1


def access_key(request) -> str | None:
    match = _KEY.search(request.environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1)
    match = _PRESIGNED_KEY.search(request.environ.get("QUERY_STRING", ""))
    return match.group(1) if match else None


def check(request) -> Response | None:
    """AWS's refusal of this request, or None (see the module docstring)."""
    if request.service is None or not enabled():
        return None
    problem = _service_check(request)
    if problem is not None:
        return problem
    key = access_key(request)
    if request.service == "sts" and request.operation == "AssumeRole":
        refused = _assume_role_check(request, key)
        if refused is not None:
            return refused
    who = principals.caller(key)
    if who is None or request.operation is None:
        return None
    _count("checked")
    entry = request_log.entry(request)
    region = request.region or "us-east-1"
    where = Where(LOCAL_ACCOUNT_ID, region)
    for need in needs(entry, where):
        if need.action in _NEVER_DENIED:
            continue
        context = {"aws:SecureTransport": "true", "aws:PrincipalArn": who.identity_arn}
        context.update(dict(need.context))
        for resource in need.resources if need.resources is not None else (None,):
            decision = decide(
                who.policies,
                need.action,
                resource,
                context,
                _resource_policies(request.service, resource, region),
                who.principal,
            )
            if not decision.allowed:
                _count("denied")
                return denial(request.service, who.arn, need.action, resource, decision)
    return None


def _resource_policies(service: str, resource: str | None, region: str) -> list[dict]:
    """The resource-based policy that applies to `resource`, if its service has them."""
    if not resource or resource == "*":
        return []
    if resource.startswith("arn:aws:s3:::"):
        policy = principals.bucket_policy(resource.removeprefix("arn:aws:s3:::").split("/")[0])
    elif resource.startswith("arn:aws:lambda:"):
        policy = principals.function_policy(region, resource.split(":")[6])
    else:
        policy = None
    return [policy] if policy else []


def denial(
    service: str, caller_arn: str, action: str, resource: str | None, decision: Decision
) -> Response:
    """AWS's refusal: the protocol's code and status, and IAM's message form."""
    code, status = _DENIAL.get(service, ("AccessDeniedException", 400))
    shown = f'"{resource}"' if service == "s3" and resource else resource
    on = f" on resource: {shown}" if resource else ""
    if decision.effect == "explicit-deny":
        article = "a" if decision.where == "resource-based" else "an"
        why = f"with an explicit deny in {article} {decision.where} policy"
    else:
        why = f"because no identity-based policy allows the {action} action"
    message = f"User: {caller_arn} is not authorized to perform: {action}{on} {why}"
    return aws_error(service, code, message, status)


def _assume_role_check(request, key: str | None) -> Response | None:
    """STS: the role must exist and its trust policy let the caller in (external id too).
    A trust policy naming the account lets in its principals, the owner included."""
    if key and key.startswith(request_log.INTERNAL_KEY_PREFIX):
        return None
    who = principals.caller(key)
    root = f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:root"
    caller_arn = who.arn if who else root
    names = {caller_arn, root, LOCAL_ACCOUNT_ID} | ({who.identity_arn} if who else set())
    role_arn = request.form.get("RoleArn", "")
    found = principals.role_by_arn(role_arn)
    context = {"aws:SecureTransport": "true", "aws:PrincipalArn": caller_arn}
    if request.form.get("ExternalId"):
        context["sts:ExternalId"] = request.form["ExternalId"]
    if (
        found is not None
        and decide(
            [],
            "sts:AssumeRole",
            role_arn,
            context,
            [principals.trust_policy(found)],
            Principal(frozenset(names)),
        ).allowed
    ):
        return None
    _count("denied")
    message = (
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    return aws_error("sts", "AccessDenied", message, 403)


def _service_check(request) -> Response | None:
    """A role handed to Lambda must exist and trust lambda.amazonaws.com (AWS checks at once)."""
    if request.service != "lambda" or request.operation not in _PASSES_ROLE_TO_LAMBDA:
        return None
    try:
        role_arn = (request.json() or {}).get("Role")
    except ValueError:
        return None
    if not isinstance(role_arn, str) or not _ROLE_ARN.match(role_arn):
        return None  # no role, or a malformed ARN: the service's own validation answers
    if service_roles.assume_problem(role_arn, service_roles.LAMBDA):
        return aws_error(
            "lambda", "InvalidParameterValueException", service_roles.LAMBDA_CANNOT_ASSUME, 400
        )
    return None
