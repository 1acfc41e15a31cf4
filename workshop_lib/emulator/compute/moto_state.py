"""Read-only access to the resources moto stores (functions, APIs), in this process.

The public APIs (get_function, get_routes, ...) would cost an HTTP round trip each per
invocation, and Lambda's Code.Location is not a URL moto serves; so the resource definitions
are read from moto's backends here, and only here, to keep moto's internals in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import LOCAL_ACCOUNT_ID


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


@dataclass(frozen=True)
class ApiIntegration:
    """What a route calls: for Lambda proxy integrations, type AWS_PROXY and the function URI."""

    type: str
    uri: str
    payload_format_version: str
    credentials: str | None = None
    timeout_ms: int = 30000  # how long API Gateway waits for the function


@dataclass(frozen=True)
class ApiRoute:
    """A method + path template (``$default``: path None) and its integration."""

    method: str  # GET, POST, ..., ANY, or $default
    path: str | None
    route_key: str  # HTTP API: "GET /items/{id}" or "$default"; REST: the resource path
    integration: ApiIntegration | None
    resource_id: str = ""  # REST APIs only


@dataclass(frozen=True)
class ApiDefinition:
    api_id: str
    protocol: str  # "HTTP" (API Gateway v2) or "REST" (v1)
    region: str
    stages: dict[str, dict[str, str]]  # stage name -> stage variables
    routes: list[ApiRoute] = field(default_factory=list)
    binary_media_types: list[str] = field(default_factory=list)


def find_api(api_id: str) -> ApiDefinition:
    """An HTTP or REST API by id, from whichever region holds it (raises NotFound)."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    for region, backend in list(apigatewayv2_backends[LOCAL_ACCOUNT_ID].items()):
        api = backend.apis.get(api_id)
        if api is not None and api.protocol_type == "HTTP":
            return _http_api(api, region)
    for region, backend in list(apigateway_backends[LOCAL_ACCOUNT_ID].items()):
        api = backend.apis.get(api_id)
        if api is not None:
            return _rest_api(api, region)
    raise NotFound(f"No API with id {api_id}")


def _http_api(api: Any, region: str) -> ApiDefinition:
    routes = []
    for route in list(api.routes.values()):
        target = route.target or ""
        integration = api.integrations.get(target.removeprefix("integrations/"))
        method, _, path = route.route_key.partition(" ")
        routes.append(
            ApiRoute(
                method=method,
                path=path or None,
                route_key=route.route_key,
                integration=integration
                and ApiIntegration(
                    integration.integration_type,
                    integration.integration_uri or "",
                    integration.payload_format_version or "2.0",
                    integration.credentials_arn,
                    int(integration.timeout_in_millis or 30000),
                ),
            )
        )
    stages = {name: dict(stage.stage_variables or {}) for name, stage in api.stages.items()}
    return ApiDefinition(api.api_id, "HTTP", region, stages, routes)


def _rest_api(api: Any, region: str) -> ApiDefinition:
    routes = []
    for resource in list(api.resources.values()):
        path = resource.get_path()
        for method_name, method in list(resource.resource_methods.items()):
            integration = method.method_integration
            routes.append(
                ApiRoute(
                    method=method_name,
                    path=path,
                    route_key=path,
                    integration=integration
                    and ApiIntegration(
                        integration.integration_type,
                        integration.uri or "",
                        "1.0",
                        integration.credentials,
                        int(integration.timeout_in_millis or 29000),
                    ),
                    resource_id=resource.id,
                )
            )
        if not resource.resource_methods:  # a resource without methods still "exists"
            routes.append(ApiRoute("", path, path, None, resource.id))
    stages = {name: dict(stage.variables or {}) for name, stage in api.stages.items()}
    return ApiDefinition(api.id, "REST", region, stages, routes, list(api.binaryMediaTypes or []))


def set_binary_media_types(api_id: str, region: str, types: list[str]) -> None:
    """moto's CreateRestApi drops binaryMediaTypes; the emulator stores them afterwards."""
    from moto.apigateway.models import apigateway_backends

    api = apigateway_backends[LOCAL_ACCOUNT_ID][region].apis.get(api_id)
    if api is not None:
        api.binaryMediaTypes = list(types)
