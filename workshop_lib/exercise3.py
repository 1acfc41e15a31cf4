"""The steps of exercise 3, one call per notebook cell, each returning something to show.

app / curl -> API Gateway (HTTP API) -> Lambda (workshop_lib/functions/recommendations_api.py)
-> Personalize campaigns of exercise 2. Every step finds or creates its resources by name, so a
cell can run again (or after a kernel restart) and reuses what exists.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import requests
from botocore.exceptions import ClientError

from . import deploy
from .apis import api_base_url
from .exercise2 import common as ex2
from .exercise2.common import Listing
from .exercise2.datasets import catalogue
from .exercise2.serving import pick_users

MODULE = "recommendations_api"
SUFFIX = "recommendations-api"
ROUTES = ("GET /recommendations", "GET /related-items", "POST /rankings")
FILTER_NAME = "exclude-purchased"
STATEMENT_ID = "allow-api-gateway"
CATALOGUE_COLUMNS = ["ITEM_ID", "NAME", "CATEGORY_L1", "CATEGORY_L2", "BRAND", "PRICE"]
# Log lines written after this kernel imported the module are this session's requests.
SESSION_STARTED_MS = int(time.time() * 1000)


class RunNotebook02First(RuntimeError):
    """The campaigns this API serves do not exist yet."""


def name(ws: Any) -> str:
    """The role, the function and the API share one name: <prefix>-recommendations-api."""
    return ws.name(SUFFIX)


def _arns(ws: Any) -> dict[str, str]:
    return {
        "RECOMMENDATIONS_CAMPAIGN_ARN": ex2.campaign_arn(ws, "user-personalization"),
        "RELATED_ITEMS_CAMPAIGN_ARN": ex2.campaign_arn(ws, "similar-items"),
        "FILTER_ARNS": json.dumps({FILTER_NAME: ex2.filter_arn(ws)}),
    }


def check_campaigns(ws: Any) -> Listing:
    """The campaigns and the filter of exercise 2, ACTIVE; else say to run notebook 02."""
    client = ws.client("personalize")
    wanted = {
        "campaign user-personalization": ex2.campaign_arn(ws, "user-personalization"),
        "campaign similar-items": ex2.campaign_arn(ws, "similar-items"),
        "filter": ex2.filter_arn(ws),
    }
    rows = []
    for label, arn in wanted.items():
        kind = "campaign" if label.startswith("campaign") else "filter"
        try:
            described = getattr(client, f"describe_{kind}")(**{f"{kind}Arn": arn})[kind]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            raise RunNotebook02First(
                f"The {label} ({arn.split(':')[-1]}) does not exist: run notebook 02 "
                "(02_personalize_train_and_deploy.ipynb) first. It trains the models and "
                "deploys the campaigns this API calls."
            ) from None
        if described["status"] != "ACTIVE":
            raise RunNotebook02First(
                f"The {label} is {described['status']}, not ACTIVE: let notebook 02 finish first."
            )
        rows.append((label, arn.split("/", 1)[1], described["status"]))
    return Listing(pd.DataFrame(rows, columns=["resource", "name", "status"]))


def function_policy(ws: Any) -> dict:
    """Least privilege: read recommendations from this workshop's campaigns (and its filter),
    and write the function's own logs; nothing else."""
    logs = f"arn:aws:logs:{ws.region}:{ws.account_id}:log-group:/aws/lambda/{name(ws)}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadRecommendations",
                "Effect": "Allow",
                "Action": ["personalize:GetRecommendations", "personalize:GetPersonalizedRanking"],
                "Resource": [
                    ex2.campaign_arn(ws, "user-personalization"),
                    ex2.campaign_arn(ws, "similar-items"),
                    ex2.filter_arn(ws),
                ],
            },
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [logs, f"{logs}:*"],
            },
        ],
    }


def create_role(ws: Any) -> None:
    """The function's role (assumed by lambda.amazonaws.com), with the policy above, printed.
    With the setup/ stack the role exists already (same policy, for every campaign of the
    prefix)."""
    if ws.roles.get(SUFFIX):
        print(f"role {ws.roles[SUFFIX]} (from the stack {ws.stack})")
        return
    policy = function_policy(ws)
    arn = deploy.ensure_role(
        ws.client("iam"), name(ws), "lambda.amazonaws.com", inline_policy=policy
    )
    print(f"role {arn}\ninline policy:\n{json.dumps(policy, indent=2)}")


def _build(ws: Any, folder: Path) -> None:
    """The function's source and the catalogue (exercise 2's: S3 plus the items put one by
    one) side by side in `folder`, for deploy.package."""
    shutil.copyfile(deploy.FUNCTIONS_DIR / f"{MODULE}.py", folder / f"{MODULE}.py")
    products = catalogue(ws).reset_index()[CATALOGUE_COLUMNS].sort_values("ITEM_ID")
    products.to_csv(folder / "products.csv", index=False)


def deploy_function(ws: Any) -> Listing:
    """Package the zip (function + catalogue) and create the function or update what changed."""
    check_campaigns(ws)
    role = ws.roles.get(SUFFIX) or ws.client("iam").get_role(RoleName=name(ws))["Role"]["Arn"]
    with tempfile.TemporaryDirectory() as folder:
        _build(ws, Path(folder))
        config = deploy.deploy_function(
            ws.client("lambda"),
            name(ws),
            MODULE,
            role,
            environment=_arns(ws),
            timeout=10,
            extra_files=["products.csv"],
            source_dir=Path(folder),
        )
    rows = {
        "FunctionName": config["FunctionName"],
        "Runtime": config["Runtime"],
        "Handler": config["Handler"],
        "Timeout": config["Timeout"],
        "State": config["State"],
        "LastUpdateStatus": config["LastUpdateStatus"],
        **{f"env {k}": v for k, v in config["Environment"]["Variables"].items()},
    }
    return Listing(pd.DataFrame({"setting": list(rows), "value": [str(v) for v in rows.values()]}))


# -- the API -----------------------------------------------------------------------------------


def api_id(ws: Any) -> str | None:
    """The id of this workshop's HTTP API, found by name."""
    client = ws.client("apigatewayv2")
    for page in client.get_paginator("get_apis").paginate():
        for api in page["Items"]:
            if api["Name"] == name(ws):
                return api["ApiId"]
    return None


def _function_arn(ws: Any) -> str:
    return f"arn:aws:lambda:{ws.region}:{ws.account_id}:function:{name(ws)}"


def create_api(ws: Any) -> pd.DataFrame:
    """An HTTP API with the three routes, each to one Lambda proxy integration (payload 2.0),
    and the `$default` stage deployed automatically. Created once, reused after."""
    client = ws.client("apigatewayv2")
    found = api_id(ws)
    if found is None:
        found = client.create_api(
            Name=name(ws),
            ProtocolType="HTTP",
            CorsConfiguration={
                "AllowOrigins": ["*"],
                "AllowMethods": ["GET", "POST", "OPTIONS"],
                "AllowHeaders": ["content-type"],
            },
        )["ApiId"]
    uri = _function_arn(ws)
    integrations = client.get_integrations(ApiId=found)["Items"]
    integration = next((i for i in integrations if i.get("IntegrationUri") == uri), None)
    if integration is None:
        integration = client.create_integration(
            ApiId=found,
            IntegrationType="AWS_PROXY",
            IntegrationUri=uri,
            PayloadFormatVersion="2.0",
            TimeoutInMillis=10000,
        )
    existing = {r["RouteKey"] for r in client.get_routes(ApiId=found)["Items"]}
    for key in ROUTES:
        if key not in existing:
            client.create_route(
                ApiId=found, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
            )
    if not any(s["StageName"] == "$default" for s in client.get_stages(ApiId=found)["Items"]):
        client.create_stage(ApiId=found, StageName="$default", AutoDeploy=True)
    print(f"API {name(ws)}: {api_base_url(ws, found)}")
    routes = sorted(client.get_routes(ApiId=found)["Items"], key=lambda r: r["RouteKey"])
    return pd.DataFrame(
        [(r["RouteKey"], "Lambda proxy, payload 2.0", name(ws)) for r in routes],
        columns=["route", "integration", "function"],
    )


def base_url(ws: Any) -> str:
    found = api_id(ws)
    if found is None:
        raise RuntimeError("The API does not exist yet: run the cell that calls create_api().")
    return api_base_url(ws, found)


def source_arn(ws: Any) -> str:
    """Which API may invoke the function: any stage and route of this API only."""
    return f"arn:aws:execute-api:{ws.region}:{ws.account_id}:{api_id(ws)}/*"


def revoke_invoke(ws: Any) -> None:
    """Take API Gateway's permission away (if an earlier run granted it), to show the call."""
    try:
        ws.client("lambda").remove_permission(FunctionName=name(ws), StatementId=STATEMENT_ID)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


def grant_invoke(ws: Any) -> dict:
    """The statement in the function's resource policy that lets this API invoke it."""
    deploy.allow_invoke(
        ws.client("lambda"), name(ws), STATEMENT_ID, "apigateway.amazonaws.com", source_arn(ws)
    )
    policy = json.loads(ws.client("lambda").get_policy(FunctionName=name(ws))["Policy"])
    return next(s for s in policy["Statement"] if s["Sid"] == STATEMENT_ID)


def show_user(ws: Any) -> str:
    """The shopper the calls below are for: the one with the clearest taste (exercise 2's)."""
    return pick_users(ex2.interactions(ws), catalogue(ws), 1)[0]


def get(ws: Any, path: str, **params: Any) -> requests.Response:
    """GET <api>/<path>?params, as an app would."""
    return requests.get(f"{base_url(ws)}{path}", params=params, timeout=15)


def curl(ws: Any, path: str, body: dict | None = None, **params: Any) -> str:
    """The curl command for the same request."""
    url = f"{base_url(ws)}{path}" + (f"?{urlencode(params)}" if params else "")
    if body is None:
        return f"curl '{url}'"
    return f"curl -X POST '{url}' -H 'content-type: application/json' -d '{json.dumps(body)}'"


def show(response: requests.Response, items: int | None = 3) -> None:
    """Status, the headers an app cares about, and the JSON body (the first `items` items)."""
    print(f"HTTP {response.status_code}")
    for header in ("content-type", "access-control-allow-origin"):
        if header in response.headers:
            print(f"{header}: {response.headers[header]}")
    body = response.json()
    if items is not None and "items" in body and len(body["items"]) > items:
        rest = len(body["items"]) - items
        body = {**body, "items": [*body["items"][:items], f"... {rest} more"]}
    print(json.dumps(body, indent=2))


def call_before_permission(ws: Any) -> None:
    """Without the resource policy statement, API Gateway may not invoke the function."""
    revoke_invoke(ws)
    user = show_user(ws)
    show(get(ws, "/recommendations", userId=user))


def call_after_permission(ws: Any, attempts: int = 10, pause: float = 3.0) -> None:
    """The same call once the permission is in place. On AWS a new statement takes a few
    seconds to apply: until then API Gateway still answers 500, so the call is repeated."""
    grant_invoke(ws)
    for _ in range(attempts):
        response = get(ws, "/recommendations", userId=show_user(ws), numResults=5)
        if response.status_code != 500:
            break
        time.sleep(pause)
    show(response)


def items_table(response: requests.Response) -> pd.DataFrame:
    """The rehydrated items as an app would render them."""
    frame = pd.DataFrame(response.json()["items"])
    if "score" in frame:
        frame["score"] = frame["score"].round(6)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="#")
    return frame


def recommendations(ws: Any, n: int = 10, filter_name: str | None = FILTER_NAME) -> pd.DataFrame:
    """GET /recommendations for the shopper, through the purchase filter; curl printed."""
    params: dict[str, Any] = {"userId": show_user(ws), "numResults": n}
    if filter_name:
        params["filter"] = filter_name
    print(curl(ws, "/recommendations", **params))
    response = get(ws, "/recommendations", **params)
    response.raise_for_status()
    return items_table(response)


def related_items(ws: Any, n: int = 5) -> pd.DataFrame:
    """GET /related-items for the first product the shopper was recommended."""
    first = get(ws, "/recommendations", userId=show_user(ws), numResults=1).json()["items"][0]
    print(curl(ws, "/related-items", itemId=first["itemId"], numResults=n))
    response = get(ws, "/related-items", itemId=first["itemId"], numResults=n)
    response.raise_for_status()
    print(f"related to {first['name']}:")
    return items_table(response)


def ranking(ws: Any) -> pd.DataFrame:
    """POST /rankings: five products (alphabetical) put in the shopper's order."""
    products = sorted(catalogue(ws).index)[::50][:5]
    body = {"userId": show_user(ws), "itemIds": products}
    print(curl(ws, "/rankings", body=body))
    response = requests.post(f"{base_url(ws)}/rankings", json=body, timeout=15)
    response.raise_for_status()
    print(f"ranked by {response.json()['rankedBy']}")
    return items_table(response)


def bad_requests(ws: Any) -> Listing:
    """What the function answers to wrong input (and to an unknown shopper: popular items)."""
    cases = [
        ("GET", "/recommendations", {"numResults": "5"}, None),
        ("GET", "/recommendations", {"userId": "u1", "numResults": "ten"}, None),
        ("GET", "/recommendations", {"userId": "u1", "numResults": "1000"}, None),
        ("GET", "/recommendations", {"userId": "u1", "filter": "cheapest"}, None),
        ("POST", "/rankings", {}, "{not json"),
        ("POST", "/rankings", {}, '{"userId": "u1", "itemIds": []}'),
    ]
    rows = []
    for method, path, params, body in cases:
        response = requests.request(
            method,
            f"{base_url(ws)}{path}",
            params=params,
            data=body,
            headers={"content-type": "application/json"} if body else None,
            timeout=15,
        )
        query = urlencode(params)
        request = f"{method} {path}" + (f"?{query}" if query else "") + (f" {body}" if body else "")
        rows.append((request, response.status_code, response.json().get("error")))
    return Listing(pd.DataFrame(rows, columns=["request", "status", "error"]))


# -- latency, logs, what was created -----------------------------------------------------------


def measure_latency(ws: Any, calls: int = 200) -> pd.Series:
    """`calls` sequential GET /recommendations over one connection (as an app keeps one),
    for the 20 shoppers with the clearest tastes in turn; milliseconds per call."""
    users = pick_users(ex2.interactions(ws), catalogue(ws), 20)
    url = f"{base_url(ws)}/recommendations"
    timings, failures = [], 0
    with requests.Session() as session:
        for k in range(calls):
            started = time.perf_counter()
            response = session.get(url, params={"userId": users[k % len(users)]}, timeout=15)
            timings.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200
    series = pd.Series(timings, name="ms")
    print(
        f"{calls} calls, {calls - failures} answered 200: p50 {series.quantile(0.5):.1f} ms, "
        f"p95 {series.quantile(0.95):.1f} ms, max {series.max():.1f} ms"
    )
    return series


def latency_histogram(timings: pd.Series):
    """A histogram of the call times, p50 and p95 marked."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.hist(timings, bins=40, color="#3b7dd8")
    for q, style in ((0.5, "-"), (0.95, "--")):
        value = timings.quantile(q)
        ax.axvline(value, color="#d8553b", linestyle=style, label=f"p{int(q * 100)} {value:.1f} ms")
    ax.set_xlabel("ms per call (client side: HTTP, API Gateway, Lambda, Personalize)")
    ax.set_ylabel("calls")
    ax.set_title(f"Latency of {len(timings)} calls to GET /recommendations")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def log_lines(ws: Any, since_ms: int = SESSION_STARTED_MS) -> list[dict]:
    """The function's JSON log lines (one per request) since `since_ms`, oldest first."""
    logs = ws.client("logs")
    group = f"/aws/lambda/{name(ws)}"
    lines: list[dict] = []
    for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, startTime=since_ms
    ):
        for event in page["events"]:
            if event["message"].startswith("{"):
                lines.append(json.loads(event["message"]))
    return lines


def settled_log_lines(ws: Any, since_ms: int, pause: float = 2.0, limit: float = 30.0) -> list:
    """The log lines once their number stops growing: CloudWatch receives Lambda's lines a
    few seconds after the requests on AWS (the emulator writes them within milliseconds)."""
    deadline = time.monotonic() + limit
    lines = log_lines(ws, since_ms)
    while time.monotonic() < deadline:
        time.sleep(pause if ws.target == "aws" else 0.2)
        again = log_lines(ws, since_ms)
        if len(again) == len(lines):
            return again
        lines = again
    return lines


def function_logs(ws: Any, since_ms: int = SESSION_STARTED_MS) -> Listing | None:
    """This session's requests as the function logged them: one example line, then the count
    per route and status with the errors the function explained."""
    lines = settled_log_lines(ws, since_ms)
    if not lines:
        print(
            "No log lines: no request in this kernel session yet, or CloudWatch has not "
            "received them (it can take a few seconds on AWS); run the cell again."
        )
        return None
    example = next((line for line in lines if line["status"] == 400), lines[-1])
    print(f"{len(lines)} lines in /aws/lambda/{name(ws)}; one of them:\n{json.dumps(example)}")
    frame = pd.DataFrame(lines)
    frame["error"] = frame.get("error", pd.Series(dtype=str)).fillna("")
    table = frame.groupby(["method", "path", "status", "error"]).size().reset_index(name="lines")
    return Listing(table.sort_values(["path", "status", "error"]).reset_index(drop=True))


def created(ws: Any) -> Listing:
    """Everything this exercise created, found by name."""
    lam = ws.client("lambda")
    config = lam.get_function_configuration(FunctionName=name(ws))
    found = api_id(ws)
    routes = len(ws.client("apigatewayv2").get_routes(ApiId=found)["Items"]) if found else 0
    statements = json.loads(lam.get_policy(FunctionName=name(ws))["Policy"])["Statement"]
    rows = [
        ("IAM role", name(ws), "lambda.amazonaws.com; GetRecommendations on 2 campaigns"),
        ("Lambda function", config["FunctionName"], f"{config['Runtime']}, {config['State']}"),
        ("Lambda permission", STATEMENT_ID, f"{len(statements)} statement(s) in its policy"),
        ("HTTP API", name(ws), f"{routes} routes, stage $default"),
        ("CloudWatch log group", f"/aws/lambda/{name(ws)}", "one JSON line per request"),
    ]
    return Listing(pd.DataFrame(rows, columns=["resource", "name", "detail"]))
