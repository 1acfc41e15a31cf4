"""`ensure(client.create_x, **params)`: the create call of a notebook cell, safe to run again.

The cell keeps the real boto3 call and its parameters in sight (that is the lesson); `ensure`
makes it, and on a rerun - after a kernel restart, or a second run of the notebook - returns
what exists under that name instead of failing with ResourceAlreadyExistsException.

It returns what the next step needs: the ARN (Personalize, IAM roles, Lambda functions), the
id (API Gateway APIs, integrations, routes) or the name (Glue jobs, stages). When a resource
is reused it says so in one line, because a changed parameter is then NOT applied: delete the
resource first (notebook 05, or the matching delete_x call) to create it anew.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from . import personalize as _personalize
from .deploy import _retry_new_role

# Error codes each service answers when a create names something that exists.
_EXISTS = {
    "ResourceAlreadyExistsException",  # Personalize
    "EntityAlreadyExists",  # IAM
    "ResourceConflictException",  # Lambda (function, permission statement)
    "AlreadyExistsException",  # Glue
    "ConflictException",  # API Gateway (route key, stage name)
}


def _service(call: Callable) -> str:
    client = getattr(call, "__self__", None)
    if client is None or not hasattr(client, "meta"):
        raise TypeError(
            "ensure() takes a boto3 client method, e.g. ensure(personalize.create_schema, ...)"
        )
    return client.meta.service_model.service_name


def _say_reused(what: str, name: str) -> None:
    print(f"{what} {name!r} exists already: using it (delete it first to change it).")


# --- find-first: APIs whose create does not refuse a duplicate name --------------------------


def _latest_solution_version(client: Any, params: dict) -> str | None:
    """A solution's newest version that is not failed: training again costs an hour on AWS."""
    versions = client.list_solution_versions(solutionArn=params["solutionArn"])
    usable = [
        v
        for v in versions["solutionVersions"]
        if v["status"] not in {"CREATE FAILED", "CREATE STOPPED", "CREATE STOPPING"}
    ]
    if not usable:
        return None
    newest = max(usable, key=lambda v: v["creationDateTime"])
    print(
        f"The solution has a version already ({newest['status']}): using it. To train "
        "again, call create_solution_version without ensure()."
    )
    return newest["solutionVersionArn"]


def _api_by_name(client: Any, params: dict) -> str | None:
    for api in client.get_apis().get("Items", []):  # names are not unique: the first one wins
        if api["Name"] == params["Name"]:
            _say_reused("The API", params["Name"])
            return api["ApiId"]
    return None


def _integration_by_uri(client: Any, params: dict) -> str | None:
    for item in client.get_integrations(ApiId=params["ApiId"]).get("Items", []):
        if item.get("IntegrationUri") == params.get("IntegrationUri"):
            _say_reused("The integration to", params.get("IntegrationUri", ""))
            return item["IntegrationId"]
    return None


def _route_if_any(client: Any, params: dict) -> str | None:
    for route in client.get_routes(ApiId=params["ApiId"]).get("Items", []):
        if route["RouteKey"] == params["RouteKey"]:
            _say_reused("The route", params["RouteKey"])
            if route.get("Target") != params.get("Target"):  # the usual slip: no Target at first
                print(f"  its Target is {route.get('Target')!r}, not {params.get('Target')!r}.")
            return route["RouteId"]
    return None


_FIND_FIRST: dict[tuple[str, str], Callable[[Any, dict], str | None]] = {
    ("apigatewayv2", "create_route"): _route_if_any,
    ("personalize", "create_solution_version"): _latest_solution_version,
    ("apigatewayv2", "create_api"): _api_by_name,
    ("apigatewayv2", "create_integration"): _integration_by_uri,
}

# --- what a successful create returns, and what to look up when it refused a duplicate -------


def _statement_by_id(client: Any, params: dict) -> str:
    import json

    policy = json.loads(client.get_policy(FunctionName=params["FunctionName"])["Policy"])
    for statement in policy["Statement"]:
        if statement["Sid"] == params["StatementId"]:
            return json.dumps(statement)
    raise LookupError(f"statement {params['StatementId']!r} not found")


_RESULT: dict[tuple[str, str], tuple[Callable[[dict], Any], Callable[[Any, dict], Any]]] = {
    ("iam", "create_role"): (
        lambda r: r["Role"]["Arn"],
        lambda c, p: c.get_role(RoleName=p["RoleName"])["Role"]["Arn"],
    ),
    ("lambda", "create_function"): (
        lambda r: r["FunctionArn"],
        lambda c, p: c.get_function(FunctionName=p["FunctionName"])["Configuration"]["FunctionArn"],
    ),
    ("lambda", "add_permission"): (lambda r: r["Statement"], _statement_by_id),
    ("glue", "create_job"): (lambda r: r["Name"], lambda c, p: p["Name"]),
    ("glue", "create_database"): (
        lambda r: r,
        lambda c, p: p["DatabaseInput"]["Name"],
    ),
    ("apigatewayv2", "create_route"): (lambda r: r["RouteId"], None),  # found first, above
    ("apigatewayv2", "create_stage"): (lambda r: r["StageName"], lambda c, p: p["StageName"]),
    ("apigatewayv2", "create_api"): (lambda r: r["ApiId"], None),
    ("apigatewayv2", "create_integration"): (lambda r: r["IntegrationId"], None),
}

_NAME_KEYS = ("name", "jobName", "RoleName", "FunctionName", "Name", "StatementId", "RouteKey")


def ensure(create: Callable, **params: Any) -> Any:
    """Call `create(**params)`; on a rerun, return the existing resource's ARN, id or name."""
    service, operation = _service(create), create.__name__
    find_first = _FIND_FIRST.get((service, operation))
    if find_first is not None:
        found = find_first(create.__self__, params)
        if found is not None:
            return found
    if service == "personalize" and operation != "create_solution_version":
        kind = next((k for k, spec in _personalize.KINDS.items() if spec.create == operation), None)
        if kind is None:
            raise TypeError(f"ensure() does not know personalize.{operation}")
        arn, created = _personalize.get_or_create(create.__self__, kind, **params)
        if not created:
            _say_reused(
                kind.replace("-", " ").capitalize(), params[_personalize.KINDS[kind].name_key]
            )
        return arn
    extract, lookup = _RESULT.get((service, operation), (None, None))
    try:
        if (service, operation) == ("lambda", "create_function"):
            # a role created seconds ago is not assumable yet on AWS: Lambda says so, retry
            response = _retry_new_role(lambda: create(**params))
        else:
            response = create(**params)
    except ClientError as exc:
        if lookup is None or exc.response["Error"]["Code"] not in _EXISTS:
            raise
        name = next((params[k] for k in _NAME_KEYS if k in params), operation)
        _say_reused(operation.removeprefix("create_").replace("_", " ").capitalize(), name)
        return lookup(create.__self__, params)
    if service == "personalize":  # create_solution_version
        return response["solutionVersionArn"]
    return extract(response) if extract else response
