"""Calling deployed APIs: HTTP APIs (v2) and REST APIs (v1) with Lambda proxy integrations.

An API is reached at ``/_aws/execute-api/<api-id>/<stage>/<path>`` (for the `$default` stage
also without the stage segment), the local stand-in for https://<api-id>.execute-api.<region>.
amazonaws.com/<stage>/<path>. API Gateway's answers are kept: 404 {"message":"Not Found"} without
a route (REST: 403 Missing Authentication Token), 500 when the function's policy does not let
API Gateway invoke it, 500/502 when the function fails. CreateApi also gets its quick-create
part (Target), which moto ignores.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from typing import Any

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..compute import moto_state
from ..compute.api_routes import select_route
from ..compute.lambda_invoker import InvokeError, InvokeResult, invoker_for
from ..compute.permissions import allows_invoke
from ..compute.proxy_events import (
    MalformedResponse,
    ProxyRequest,
    ProxyResponse,
    event_v1,
    event_v2,
    response_v1,
    response_v2,
)
from ..errors import aws_error
from . import Provider, Route

log = logging.getLogger(__name__)

PATH_PREFIX = "/_aws/execute-api/"
_FUNCTION_IN_URI = re.compile(r":lambda:path/[^/]+/functions/(.+)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_HOP_HEADERS = {"connection", "transfer-encoding", "content-length"}
_REST_ERROR_TYPES = {  # REST APIs name their own errors in this header
    403: "MissingAuthenticationTokenException",
    500: "InternalServerErrorException",
    502: "InternalServerErrorException",
}


class _ApiAnswer(Exception):
    """API Gateway answers by itself (no route, no permission, function failure...)."""

    def __init__(self, status: int, message: str, why: str = "") -> None:
        super().__init__(why or message)
        self.status = status
        self.message = message


def _not_found(api: moto_state.ApiDefinition | None) -> _ApiAnswer:
    if api is not None and api.protocol == "REST":
        return _ApiAnswer(403, "Missing Authentication Token")
    return _ApiAnswer(404, "Not Found")


def _internal(api: moto_state.ApiDefinition, why: str) -> _ApiAnswer:
    text = "Internal server error" if api.protocol == "REST" else "Internal Server Error"
    return _ApiAnswer(500, text, why)


def _function_failed(api: moto_state.ApiDefinition, why: str) -> _ApiAnswer:
    if api.protocol == "REST":
        return _ApiAnswer(502, "Internal server error", why)
    return _ApiAnswer(500, "Internal Server Error", why)


def _headers(environ: dict) -> list[tuple[str, str]]:
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").title()
        else:
            continue
        pairs.append((name, value))
    pairs += [  # what API Gateway's front end adds
        ("X-Forwarded-For", environ.get("REMOTE_ADDR", "127.0.0.1")),
        ("X-Forwarded-Port", str(environ.get("SERVER_PORT", ""))),
        ("X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http")),
    ]
    return pairs


class ApiGatewayInvokeProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="apigateway-invoke",
            description="HTTP and REST APIs with Lambda proxy integrations at "
            f"{PATH_PREFIX}<api-id>/<stage>/<path>",
            services=["apigateway", "apigatewayv2"],
        )

    def routes(self) -> list[Route]:
        return [
            Route(self.call_api, path_prefix=PATH_PREFIX),
            Route(self.create_api, service="apigatewayv2", operations=frozenset({"CreateApi"})),
            Route(self.create_route, service="apigatewayv2", operations=frozenset({"CreateRoute"})),
            Route(
                self.create_rest_api, service="apigateway", operations=frozenset({"CreateRestApi"})
            ),
        ]

    # -- calling an API ----------------------------------------------------------------------------

    def call_api(self, request: AwsRequest) -> Response:
        request_id = str(uuid.uuid4())
        api = None
        try:
            api_id, _, rest = request.path[len(PATH_PREFIX) :].partition("/")
            try:
                api = moto_state.find_api(api_id)
            except moto_state.NotFound:
                raise _not_found(None) from None
            proxy = self._proxy_request(api, "/" + rest, request, request_id)
            answer = self._dispatch(api, proxy)
        except _ApiAnswer as exc:
            if exc.status >= 500:
                log.warning(
                    "API %s %s %s: %s", api and api.api_id, request.method, request.path, exc
                )
            headers = [("Content-Type", "application/json")]
            if api is not None and api.protocol == "REST" and exc.status in _REST_ERROR_TYPES:
                headers.append(("x-amzn-ErrorType", _REST_ERROR_TYPES[exc.status]))
            answer = ProxyResponse(
                exc.status, headers, json.dumps({"message": exc.message}).encode()
            )
        headers = [(k, v) for k, v in answer.headers if k.lower() not in _HOP_HEADERS]
        if api is None or api.protocol == "HTTP":
            headers.append(("apigw-requestid", request_id))
        else:
            headers += [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", request_id[:16])]
        return Response(answer.body, answer.status, headers)

    def _proxy_request(
        self, api: moto_state.ApiDefinition, path: str, request: AwsRequest, request_id: str
    ) -> ProxyRequest:
        segments = path.split("/", 2)  # "", stage, rest
        if len(segments) > 1 and segments[1] in api.stages:
            stage, path = segments[1], "/" + (segments[2] if len(segments) > 2 else "")
        elif "$default" in api.stages:
            stage = "$default"
        else:
            raise _not_found(api)
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        environ = request.environ
        return ProxyRequest(
            api_id=api.api_id,
            stage=stage,
            method=request.method,
            path=path,
            query_string=environ.get("QUERY_STRING", ""),
            headers=_headers(environ),
            body=request.body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            request_id=request_id,
            domain_name=f"{api.api_id}.execute-api.{api.region}.amazonaws.com",
            stage_variables=api.stages[stage],
        )

    def _dispatch(self, api: moto_state.ApiDefinition, proxy: ProxyRequest) -> ProxyResponse:
        match = select_route(api, proxy.method, proxy.path)
        if match is None or match.route.integration is None:
            raise _not_found(api)
        route, integration = match.route, match.route.integration
        if integration.type != "AWS_PROXY":
            raise _internal(
                api, f"integration type {integration.type}: the emulator runs Lambda proxy only"
            )
        function_arn = self._function_arn(integration.uri, proxy.stage_variables)
        region = function_arn.split(":")[3] if function_arn.startswith("arn:") else api.region
        if not integration.credentials:  # with a role, API Gateway needs no resource policy
            self._check_permission(api, proxy, route, region, function_arn)
        if integration.payload_format_version == "2.0":
            event = event_v2(proxy, route.route_key, match.path_parameters)
        else:
            binary = api.binary_media_types if api.protocol == "REST" else None
            resource = route.path or route.route_key  # "/items/{id}" ("$default" has no path)
            event = event_v1(proxy, resource, match.path_parameters, route.resource_id, binary)
        result = self._invoke_within(api, integration, region, function_arn, event)
        if result.function_error:
            raise _function_failed(api, f"the function failed: {result.payload[:500]!r}")
        try:
            if integration.payload_format_version == "2.0":
                return response_v2(result.payload)
            if api.protocol == "REST":
                return response_v1(result.payload, api.binary_media_types, proxy.header("accept"))
            return response_v1(result.payload)
        except MalformedResponse as exc:
            raise _function_failed(api, f"Malformed Lambda proxy response: {exc}") from None

    def _check_permission(
        self,
        api: moto_state.ApiDefinition,
        proxy: ProxyRequest,
        route: moto_state.ApiRoute,
        region: str,
        function_arn: str,
    ) -> None:
        """The function's resource policy must let API Gateway invoke it from this route."""
        path = "$default" if route.method == "$default" else f"{proxy.method}{route.path}"
        source_arn = (
            f"arn:aws:execute-api:{api.region}:{moto_state.LOCAL_ACCOUNT_ID}:{api.api_id}/"
            f"{proxy.stage}/{path}"
        )
        try:
            function = invoker_for(self.app).function(region, function_arn)
        except InvokeError as exc:
            raise _internal(api, exc.message) from None
        statements = moto_state.function_policy_statements(function)
        if not allows_invoke(statements, "apigateway.amazonaws.com", source_arn):
            raise _internal(
                api,
                f"Invalid permissions on Lambda function {function.function_name}: no resource "
                f"policy statement lets apigateway.amazonaws.com invoke it from {source_arn} "
                "(lambda add_permission)",
            )

    def _invoke_within(
        self,
        api: moto_state.ApiDefinition,
        integration: moto_state.ApiIntegration,
        region: str,
        function_arn: str,
        event: dict,
    ) -> InvokeResult:
        """Invoke, waiting at most the integration timeout; the function runs on regardless."""
        invoker = invoker_for(self.app)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def call() -> None:
            try:
                outcome["result"] = invoker.invoke(region, function_arn, json.dumps(event).encode())
            except InvokeError as exc:
                outcome["error"] = exc
            except Exception as exc:  # an emulator bug: a 500 for this call, logged
                log.exception("invoking %s failed", function_arn)
                outcome["error"] = InvokeError("ServiceException", str(exc), 500)
            finally:
                done.set()

        # A daemon thread, not a pool: an emulator that stops must not wait for slow functions.
        threading.Thread(target=call, name="api-invoke", daemon=True).start()
        if not done.wait(integration.timeout_ms / 1000):
            if api.protocol == "REST":
                raise _ApiAnswer(504, "Endpoint request timed out", "integration timeout")
            raise _ApiAnswer(503, "Service Unavailable", "integration timeout")
        if "error" in outcome:
            raise _internal(api, outcome["error"].message)
        return outcome["result"]

    @staticmethod
    def _function_arn(uri: str, stage_variables: dict[str, str]) -> str:
        uri = _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), uri)
        found = _FUNCTION_IN_URI.search(uri)
        return found.group(1) if found else uri

    # -- quick create ------------------------------------------------------------------------------

    def create_api(self, request: AwsRequest) -> Response:
        """CreateApi through moto, plus quick create: integration, route and $default stage."""
        params = request.params()  # MalformedRequest: a 400, as AWS gives
        response = self.app.moto.response(request)
        target = params.get("target")
        if response.status_code < 300 and target and params.get("protocolType") == "HTTP":
            api_id = json.loads(response.get_data())["apiId"]
            self._quick_create(api_id, params, request.region or "us-east-1")
        return response

    def create_route(self, request: AwsRequest) -> Response:
        """CreateRoute through moto, but a route key the API has already is refused with
        ConflictException, as AWS does (moto would add a second route with the same key)."""
        route_key = request.params().get("routeKey")
        api_id = request.path.split("/")[3] if request.path.count("/") >= 4 else ""
        try:
            routes = moto_state.find_api(api_id).routes
        except moto_state.NotFound:
            routes = []
        if route_key and any(route.route_key == route_key for route in routes):
            return aws_error(
                "apigatewayv2",
                "ConflictException",
                f"Route with key {route_key} already exists for this API",
                409,
            )
        return self.app.moto.response(request)

    def create_rest_api(self, request: AwsRequest) -> Response:
        """CreateRestApi through moto, keeping the binaryMediaTypes that moto drops."""
        types = request.params().get("binaryMediaTypes")
        response = self.app.moto.response(request)
        if response.status_code < 300 and types:
            answer = json.loads(response.get_data())
            moto_state.set_binary_media_types(answer["id"], request.region or "us-east-1", types)
            answer["binaryMediaTypes"] = types
            response.set_data(json.dumps(answer))
        return response

    def _quick_create(self, api_id: str, params: dict, region: str) -> None:
        client = self.app.client("apigatewayv2", region)
        target = params["target"]
        is_lambda = ":lambda:" in target
        integration = {
            "ApiId": api_id,
            "IntegrationType": "AWS_PROXY" if is_lambda else "HTTP_PROXY",
            "IntegrationUri": target,
            "PayloadFormatVersion": "2.0" if is_lambda else "1.0",
        }
        if not is_lambda:
            integration["IntegrationMethod"] = "ANY"
        if params.get("credentialsArn"):
            integration["CredentialsArn"] = params["credentialsArn"]
        integration_id = client.create_integration(**integration)["IntegrationId"]
        client.create_route(
            ApiId=api_id,
            RouteKey=params.get("routeKey") or "$default",
            Target=f"integrations/{integration_id}",
        )
        client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)


PROVIDERS = [ApiGatewayInvokeProvider]
