"""Read-only access to the resources moto stores (functions, APIs), in this process.

The public APIs (get_function, get_routes, ...) would cost an HTTP round trip each per
invocation, and Lambda's Code.Location is not a URL moto serves; so the resource definitions
are read from moto's backends here, and only here, to keep moto's internals in one place.
"""

from __future__ import annotations

from typing import Any

from ...settings import LOCAL_ACCOUNT_ID


class NotFound(LookupError):
    """The resource does not exist; the message is the one AWS would give."""


def lambda_function(region: str, name_or_arn: str, qualifier: str | None) -> Any:
    """moto's LambdaFunction for a name, ARN or name:qualifier (raises NotFound)."""
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[LOCAL_ACCOUNT_ID][region]
    try:
        return backend.get_function(name_or_arn, qualifier)
    except LambdaClientError as exc:
        raise NotFound(exc.message) from None


def function_policy_statements(function: Any) -> list[dict]:
    """The statements of a function's resource-based policy (add_permission)."""
    return list(function.policy.statements)
