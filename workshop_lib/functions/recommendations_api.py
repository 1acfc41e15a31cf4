"""The recommendations API: the Lambda function behind API Gateway in exercise 3.

Routes (HTTP API payload 2.0 and REST API payload 1.0 alike):
  GET  /recommendations?userId=U[&numResults=N][&filter=NAME]  for a user (user-personalization)
  GET  /related-items?itemId=I[&numResults=N]                  items like an item (similar-items)
  POST /rankings  {"userId": U, "itemIds": [...]}              the given items, best first for U
A parameter may also be a path parameter of the route: `GET /recommendations/{userId}` serves
`/recommendations/U?numResults=N` as the first route does.

The function sits between the app and Personalize: it checks the input (a 400 that says what is
wrong), maps Personalize's errors to HTTP statuses (404 when a campaign or filter is missing, 502
when the service fails, the reason in the log), turns item ids into what an app shows (name,
category, brand, price from the catalogue packaged next to this file), logs one JSON line per
request, and adds CORS headers for browser apps.

Configuration comes from the environment, so the same zip runs on AWS and on the emulator:
  RECOMMENDATIONS_CAMPAIGN_ARN  the user-personalization campaign
  RELATED_ITEMS_CAMPAIGN_ARN    the similar-items campaign
  RANKING_CAMPAIGN_ARN          optional: a personalized-ranking campaign; without it rankings
                                order the items by the user-personalization campaign's scores
  FILTER_ARNS                   JSON {"filter name": "filter ARN", ...}

Standard library and boto3 only (the Lambda Python runtime has both).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

CATALOGUE_FILE = Path(__file__).resolve().parent / "products.csv"
MAX_RESULTS = 500  # Personalize's limit for numResults and for a ranking's inputList
DEFAULT_RESULTS = 10
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}

LOGGED_PARAMETERS = ("userId", "itemId", "filter")  # strings as given; numResults once parsed

_runtime: Any = None  # one client per execution environment, reused by every request
_catalogue: dict[str, dict] | None = None


class BadRequest(ValueError):
    """The caller's input is wrong: a 400 with this message."""


class Failure(Exception):
    """Personalize could not answer: `status` for the caller, `reason` for the log."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


def personalize_runtime() -> Any:
    """The personalize-runtime client, created on the first request of this container."""
    global _runtime
    if _runtime is None:
        _runtime = boto3.client("personalize-runtime")
    return _runtime


def catalogue() -> dict[str, dict]:
    """ITEM_ID -> product row of the packaged catalogue (read once per container)."""
    global _catalogue
    if _catalogue is None:
        with CATALOGUE_FILE.open(newline="", encoding="utf-8") as handle:
            _catalogue = {row["ITEM_ID"]: row for row in csv.DictReader(handle)}
    return _catalogue


def rehydrate(item: dict) -> dict:
    """A Personalize item ({"itemId", "score"?}) with what an app shows; unknown ids keep
    their id and get nulls (an item put after the catalogue was packaged)."""
    row = catalogue().get(item["itemId"], {})
    price = row.get("PRICE")
    result = {
        "itemId": item["itemId"],
        "name": row.get("NAME"),
        "category": row.get("CATEGORY_L1"),
        "subcategory": row.get("CATEGORY_L2"),
        "brand": row.get("BRAND"),
        "price": float(price) if price else None,
    }
    if "score" in item:
        result["score"] = item["score"]
    return result


# -- reading the request ---------------------------------------------------------------------------


def method_and_path(event: dict) -> tuple[str, str]:
    """(HTTP method, route path) of a payload 2.0 or 1.0 event."""
    if event.get("version") == "2.0":
        method = event["requestContext"]["http"]["method"]
        route_key = event.get("routeKey", "$default")
        path = route_key.split(" ", 1)[1] if " " in route_key else event.get("rawPath", "/")
    else:
        method = event.get("httpMethod", "")
        path = event.get("resource") or event.get("path") or "/"
    return method.upper(), path.rstrip("/")


def query(event: dict) -> dict[str, str]:
    """The query string's parameters and the route's path parameters (`{userId}`) together."""
    return {**(event.get("queryStringParameters") or {}), **(event.get("pathParameters") or {})}


def required(params: dict, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required")
    return value.strip()


def num_results(params: dict) -> int:
    raw = params.get("numResults")
    if raw is None:
        return DEFAULT_RESULTS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"numResults must be a whole number, got {raw!r}") from None
    if not 1 <= value <= MAX_RESULTS:
        raise BadRequest(f"numResults must be from 1 to {MAX_RESULTS}, got {value}")
    return value


def filter_arn(params: dict) -> str | None:
    """The ARN of the named filter, None without one; 400 for a name not configured."""
    name = params.get("filter")
    if not name:
        return None
    filters = json.loads(os.environ.get("FILTER_ARNS") or "{}")
    if name not in filters:
        known = ", ".join(sorted(filters)) or "none"
        raise BadRequest(f"unknown filter {name!r}; known filters: {known}")
    return filters[name]


def json_body(event: dict) -> dict:
    body = event.get("body") or ""
    try:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body, validate=True).decode("utf-8", "replace")
        parsed = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, or binascii.Error for bad base64
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise BadRequest("the body must be a JSON object")
    return parsed


def campaign(variable: str) -> str:
    arn = os.environ.get(variable)
    if not arn:
        raise Failure(500, "the API is not configured", f"{variable} is not set")
    return arn


# -- the routes ------------------------------------------------------------------------------------


def call_personalize(operation: str, **params: Any) -> dict:
    """A personalize-runtime call; its errors become Failures with an HTTP status."""
    try:
        return getattr(personalize_runtime(), operation)(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        reason = f"{operation}: {error.get('Code')}: {error.get('Message')}"
        if error.get("Code") == "ResourceNotFoundException":
            raise Failure(
                404, "the recommender is not deployed (campaign or filter not found)", reason
            ) from None
        if error.get("Code") == "InvalidInputException":
            raise Failure(400, error.get("Message") or "invalid input", reason) from None
        raise Failure(502, "Personalize failed to answer; try again", reason) from None
    except BotoCoreError as exc:
        raise Failure(
            502, "Personalize failed to answer; try again", f"{operation}: {exc}"
        ) from None


def recommendations(event: dict) -> tuple[dict, dict]:
    params = query(event)
    user, count, chosen_filter = required(params, "userId"), num_results(params), filter_arn(params)
    request = {"campaignArn": campaign("RECOMMENDATIONS_CAMPAIGN_ARN"), "userId": user}
    request["numResults"] = count
    if chosen_filter:
        request["filterArn"] = chosen_filter
    answer = call_personalize("get_recommendations", **request)
    items = [rehydrate(item) for item in answer["itemList"]]
    body = {"userId": user, "filter": params.get("filter"), "items": items}
    return body, {"userId": user, "numResults": count, "filter": params.get("filter")}


def related_items(event: dict) -> tuple[dict, dict]:
    params = query(event)
    item, count = required(params, "itemId"), num_results(params)
    answer = call_personalize(
        "get_recommendations",
        campaignArn=campaign("RELATED_ITEMS_CAMPAIGN_ARN"),
        itemId=item,
        numResults=count,
    )
    body = {"itemId": item, "items": [rehydrate(i) for i in answer["itemList"]]}
    return body, {"itemId": item, "numResults": count}


def ranking(event: dict) -> tuple[dict, dict]:
    body = json_body(event)
    user = required(body, "userId")
    items = body.get("itemIds")
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise BadRequest("itemIds must be a non-empty list of item id strings")
    if len(items) > MAX_RESULTS:
        raise BadRequest(f"itemIds holds {len(items)} ids; at most {MAX_RESULTS}")
    if os.environ.get("RANKING_CAMPAIGN_ARN"):
        answer = call_personalize(
            "get_personalized_ranking",
            campaignArn=os.environ["RANKING_CAMPAIGN_ARN"],
            userId=user,
            inputList=items,
        )
        ranked, method = answer["personalizedRanking"], "personalized-ranking campaign"
    else:
        ranked, method = rank_by_recommendations(user, items), "user-personalization scores"
    result = {"userId": user, "rankedBy": method, "items": [rehydrate(i) for i in ranked]}
    return result, {"userId": user, "itemIds": len(items)}


def rank_by_recommendations(user: str, items: list[str]) -> list[dict]:
    """The items by the scores the user-personalization campaign gives them (it returns up to
    500 items); items outside that list follow in the order given. No third campaign bills."""
    answer = call_personalize(
        "get_recommendations",
        campaignArn=campaign("RECOMMENDATIONS_CAMPAIGN_ARN"),
        userId=user,
        numResults=MAX_RESULTS,
    )
    scored = {entry["itemId"]: entry for entry in answer["itemList"]}
    position = {item: k for k, item in enumerate(scored)}
    unique = list(dict.fromkeys(items))
    # by score where there is one (exploration may place a new item above its score)
    known = sorted(
        (i for i in unique if i in scored),
        key=lambda i: (-scored[i].get("score", 0.0), position[i]),
    )
    return [scored[i] for i in known] + [{"itemId": i} for i in unique if i not in scored]


ROUTES = {
    ("GET", "/recommendations"): recommendations,
    ("GET", "/related-items"): related_items,
    ("POST", "/rankings"): ranking,
}


def respond(status: int, body: dict | None) -> dict:
    """A proxy response both payload versions accept."""
    headers = {"Content-Type": "application/json", **CORS_HEADERS}
    return {
        "statusCode": status,
        "headers": headers,
        "body": json.dumps(body) if body is not None else "",
        "isBase64Encoded": False,
    }


def handler(event: dict, context: Any) -> dict:
    started = time.perf_counter()
    method, path = method_and_path(event)
    base = re.sub(r"/\{[^/]+\}", "", path)  # /recommendations/{userId} -> /recommendations
    route = next((fn for (m, p), fn in ROUTES.items() if m == method and base.endswith(p)), None)
    # what the request asked, logged even when it fails (a route adds what it understood)
    fields: dict[str, Any] = {k: v for k, v in query(event).items() if k in LOGGED_PARAMETERS}
    reason = None
    if method == "OPTIONS":  # a browser's CORS preflight
        status, body = 204, None
    elif route is None:
        status, body = 404, {"error": f"no route {method} {path}; see the API's documentation"}
    else:
        try:
            body, understood = route(event)
            fields.update(understood)
            status = 200
        except BadRequest as exc:
            status, body = 400, {"error": str(exc)}
        except Failure as exc:
            status, body, reason = exc.status, {"error": exc.message}, exc.reason
        except Exception as exc:  # a bug: still a JSON answer with CORS, and the reason logged
            status, body, reason = 500, {"error": "internal error"}, repr(exc)
    line = {
        "requestId": getattr(context, "aws_request_id", None),
        "method": method,
        "path": path,
        "status": status,
        **fields,
        "items": len(body.get("items", [])) if body else 0,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if status >= 400:
        line["error"] = body["error"]
    if reason:
        line["reason"] = reason
    print(json.dumps(line))  # stdout goes to CloudWatch Logs, one JSON line per request
    return respond(status, body)
