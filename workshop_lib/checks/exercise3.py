"""The checks of exercise 3's tasks. Each calls the API itself, as an app would, and compares
with what the function must answer; none raises (see workshop_lib.checks)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlparse

import requests

from ..apis import api_base_url
from ..emulator.compute.permissions import allows_invoke
from ..exercise3 import SUFFIX, policy_statements, shoppers
from . import NotDone, check, not_done, require

PATH_ROUTE = "GET /recommendations/{userId}"
WHOLE_API_STATEMENT = "allow-api-gateway"


def _call(ws: Any, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request; on AWS a new route or permission takes seconds to apply, so a 404 or 500
    is tried again a few times there."""
    for _ in range(6 if ws.target == "aws" else 1):
        response = requests.request(method, url, timeout=15, **kwargs)
        if response.status_code not in (404, 500):
            break
        time.sleep(3)
    return response


def _ids(response: requests.Response) -> list[str]:
    return [item["itemId"] for item in response.json()["items"]]


@check
def path_route(ws: Any, api_id: str, path_response: Any) -> str:
    """Task 1: the route GET /recommendations/{userId} exists, goes to the function, and answers
    what GET /recommendations?userId= answers; the learner's own call used it."""
    not_done(
        path_response,
        "create the route with ensure(apigw.create_route, ...), call it with requests.get(...) "
        "and keep the answer in path_response.",
    )
    apigw = ws.client("apigatewayv2")
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    require(PATH_ROUTE in routes, f"the API has no route {PATH_ROUTE!r}; it has {sorted(routes)}.")
    integrations = {i["IntegrationId"] for i in apigw.get_integrations(ApiId=api_id)["Items"]}
    target = routes[PATH_ROUTE].get("Target", "")
    require(
        target.removeprefix("integrations/") in integrations,
        f'the route\'s Target is {target!r}: give it Target=f"integrations/{{integration_id}}".',
    )
    require(
        isinstance(path_response, requests.Response),
        "path_response should be what requests.get(...) returned.",
    )
    path = unquote(urlparse(path_response.url).path).rstrip("/")
    folder, _, user = path.rpartition("/")
    require(
        folder.endswith("/recommendations") and user,
        f"your call went to {path!r}: put the user id in the path, "
        f'f"{{base_url}}/recommendations/{{user}}".',
    )
    require(
        path_response.status_code == 200,
        f"your call answered {path_response.status_code}: {path_response.text[:150]}",
    )
    base = api_base_url(ws, api_id)
    by_path = _call(ws, "GET", f"{base}/recommendations/{user}", params={"numResults": 5})
    require(by_path.status_code == 200, f"GET /recommendations/{user} answered {by_path.text}")
    by_query = _call(ws, "GET", f"{base}/recommendations", params={"userId": user, "numResults": 5})
    require(
        _ids(by_path) == _ids(by_query),
        "the path route answers other items than GET /recommendations?userId=: is its Target "
        "the function's integration?",
    )
    return (
        f"GET /recommendations/{user} answers the same {len(_ids(by_path))} items as "
        f"GET /recommendations?userId={user}."
    )


def _example_requests(ws: Any) -> dict[str, dict]:
    """A request that must answer 200 for each route the notebook (or task 1) creates."""
    user = shoppers(ws)[0]
    item = "northpeak-summit-navy-parka"
    return {
        "GET /recommendations": {"params": {"userId": user}},
        "GET /related-items": {"params": {"itemId": item}},
        "POST /rankings": {"json": {"userId": user, "itemIds": [item]}},
        PATH_ROUTE: {"path": f"/recommendations/{user}"},
    }


@check
def permission_per_route(ws: Any, api_id: str) -> str:
    """Task 2: one statement per route instead of one for the whole API; each route still
    answers 200, and a route added later would be refused until granted."""
    statements = policy_statements(ws.client("lambda"), ws.name(SUFFIX))
    api_arn = f"arn:aws:execute-api:{ws.region}:{ws.account_id}:{api_id}"
    principal = "apigateway.amazonaws.com"
    other_route = f"{api_arn}/$default/DELETE/a-route-added-later"
    broad = [s["Sid"] for s in statements if allows_invoke([s], principal, other_route)]
    if broad == [WHOLE_API_STATEMENT] and len(statements) == 1:
        raise NotDone(
            f"the statement {WHOLE_API_STATEMENT!r} still lets every route invoke the function."
        )
    require(
        not broad,
        f"the statement(s) {broad} let any route invoke the function, even one added later: "
        "remove them with lam.remove_permission(...).",
    )
    routes = [r["RouteKey"] for r in ws.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]]
    for key in sorted(routes):
        method, path = key.split(" ", 1)
        require(
            allows_invoke(statements, principal, f"{api_arn}/$default/{method}{path}"),
            f"no statement lets the route {key} invoke the function: it would answer 500 "
            f'(SourceArn f"{{api_arn}}/*/{method}{path}").',
        )
    base, examples = api_base_url(ws, api_id), _example_requests(ws)
    called = []
    for key in sorted(routes):
        if key not in examples:
            continue
        method, path = key.split(" ", 1)
        request = dict(examples[key])
        response = _call(ws, method, base + request.pop("path", path), **request)
        require(response.status_code == 200, f"{key} answered {response.status_code}")
        called.append(key)
    return (
        f"{len(statements)} statements, one per route; {', '.join(called)} answer 200 and a "
        "route added later would be refused."
    )
