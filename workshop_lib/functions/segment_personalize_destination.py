"""Segment's Amazon Personalize destination calls this function once per event (exercise 4).

For a product event that names a product (a track call with `properties.sku`):
  1. PutEvents to the Personalize event tracker: sessionId = anonymousId (else userId), userId
     when known, eventId = messageId, sentAt = the event's timestamp, itemId = the SKU, eventType
     = the event's name. The next GetRecommendations already reflects it.
  2. For a known user: GetRecommendations from the campaign, then an identify call to Segment
     (the personas source's write key) that sets the `recommended_products` trait, so the
     user's profile (and every tool Segment feeds) carries their current recommendations.
Every other call (identify, page, a track without a SKU...) is skipped with one log line;
a malformed event is logged and skipped, never a crash. Transient failures (throttling, a
5xx, the network) raise, so that Segment retries the delivery; permanent ones (a missing
campaign, a rejected write key) are logged, since retrying would not help.

Configuration comes from the environment, so the same zip runs on AWS and on the emulator:
  PERSONALIZE_TRACKING_ID   the event tracker's tracking id
  PERSONALIZE_CAMPAIGN_ARN  the user-personalization campaign (unset: no recommendations back)
  PERSONALIZE_FILTER_ARN    optional: a filter for those recommendations
  SEGMENT_WRITE_KEY         the write key of the source the identify calls go to
  SEGMENT_HOST              Segment's Tracking API (default https://api.segment.io)
  RECOMMENDED_COUNT         how many products go into the trait (default 10)

Standard library and boto3 only (the Lambda Python runtime has both); HTTP goes through urllib
with a timeout, well inside Segment's 5 s.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.exceptions
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_SEGMENT_HOST = "https://api.segment.io"
HTTP_TIMEOUT_S = 3.0
TRAIT = "recommended_products"
# Errors that may pass if Segment tries again later; any other ClientError is final
TRANSIENT_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalServerError",
    "InternalFailure",
    "RequestTimeout",
}

_clients: dict[str, Any] = {}  # one client per service and execution environment


class Malformed(ValueError):
    """The event is not a Segment message this function can read."""


class Retry(RuntimeError):
    """A transient failure: raised out of the handler so that Segment delivers the event again."""


@dataclass(frozen=True)
class Config:
    tracking_id: str
    campaign_arn: str = ""
    filter_arn: str = ""
    write_key: str = ""
    segment_host: str = DEFAULT_SEGMENT_HOST
    count: int = 10

    @classmethod
    def from_environment(cls) -> Config:
        env = os.environ
        return cls(
            tracking_id=env.get("PERSONALIZE_TRACKING_ID", ""),
            campaign_arn=env.get("PERSONALIZE_CAMPAIGN_ARN", ""),
            filter_arn=env.get("PERSONALIZE_FILTER_ARN", ""),
            write_key=env.get("SEGMENT_WRITE_KEY", ""),
            segment_host=env.get("SEGMENT_HOST") or DEFAULT_SEGMENT_HOST,
            count=int(env.get("RECOMMENDED_COUNT") or 10),
        )


@dataclass(frozen=True)
class ProductEvent:
    """What Personalize needs from a Segment track call that names a product."""

    message_id: str
    session_id: str
    user_id: str | None
    item_id: str
    event_type: str
    sent_at: datetime


def log(**fields: Any) -> None:
    """One JSON line per decision, for CloudWatch Logs (and Segment's delivery log on Tail)."""
    print(json.dumps(fields, default=str, sort_keys=True))


def _text(event: dict, key: str) -> str | None:
    value = event.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int):
        raise Malformed(f"{key} must be a string, got {type(value).__name__}")
    return str(value)


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Malformed(f"timestamp must be an ISO 8601 string, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"timestamp {value!r} is not ISO 8601") from None


def product_event(event: Any) -> ProductEvent | None:
    """The product event in a Segment message; None when it is not one (skip it); Malformed
    when it cannot be read."""
    if not isinstance(event, dict):
        raise Malformed(f"a Segment event is a JSON object, got {type(event).__name__}")
    kind = event.get("type")
    if not isinstance(kind, str):
        raise Malformed("the event has no type")
    if kind != "track":
        return None
    properties = event.get("properties") or {}
    if not isinstance(properties, dict):
        raise Malformed("properties must be an object")
    sku = properties.get("sku")
    if sku is None or sku == "":
        return None
    if not isinstance(sku, str | int):
        raise Malformed(f"properties.sku must be a string, got {type(sku).__name__}")
    name = _text(event, "event")
    message_id = _text(event, "messageId")
    user_id, anonymous_id = _text(event, "userId"), _text(event, "anonymousId")
    if not name or not message_id:
        raise Malformed("a track call needs event and messageId")
    if not (user_id or anonymous_id):
        raise Malformed("the event has neither userId nor anonymousId")
    return ProductEvent(
        message_id=message_id,
        session_id=anonymous_id or user_id,  # Personalize needs a session; a user is one
        user_id=user_id,
        item_id=str(sku),
        event_type=name,
        sent_at=_timestamp(event.get("timestamp") or event.get("receivedAt")),
    )


def _transient(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in TRANSIENT_CODES or status >= 500 or status == 429
    # no answer at all (network, timeout); not a request botocore refused to send
    return isinstance(
        exc, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError
    )


def put_event(events_client: Any, config: Config, product: ProductEvent) -> None:
    params: dict[str, Any] = {
        "trackingId": config.tracking_id,
        "sessionId": product.session_id,
        "eventList": [
            {
                "eventId": product.message_id,
                "eventType": product.event_type,
                "itemId": product.item_id,
                "sentAt": product.sent_at,
            }
        ],
    }
    if product.user_id:
        params["userId"] = product.user_id
    events_client.put_events(**params)


def recommend(runtime_client: Any, config: Config, user_id: str) -> list[str]:
    params: dict[str, Any] = {
        "campaignArn": config.campaign_arn,
        "userId": user_id,
        "numResults": config.count,
    }
    if config.filter_arn:
        params["filterArn"] = config.filter_arn
    items = runtime_client.get_recommendations(**params)["itemList"]
    return [item["itemId"] for item in items]


def send_identify(config: Config, user_id: str, items: list[str]) -> int:
    """POST /v1/identify with the trait; Basic auth with the write key, as Segment documents.
    Returns the HTTP status; a 5xx, a 429 or no answer raises Retry."""
    body = json.dumps({"type": "identify", "userId": user_id, "traits": {TRAIT: items}}).encode()
    token = base64.b64encode(f"{config.write_key}:".encode()).decode()
    request = urllib.request.Request(
        config.segment_host.rstrip("/") + "/v1/identify",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
            json.loads(reply.read() or b"{}")  # Segment answers {"success": true}
            return reply.status
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise Retry(f"Segment answered {exc.code} to identify") from exc
        return exc.code
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise Retry(f"Segment did not answer identify: {exc}") from exc


def handle(
    event: Any,
    config: Config,
    events_client: Any,
    runtime_client: Any,
    identify: Callable[[Config, str, list[str]], int] = send_identify,
) -> dict:
    """The whole decision for one event; returns a summary (also logged)."""
    try:
        product = product_event(event)
    except Malformed as exc:
        log(status="malformed", reason=str(exc))
        return {"status": "malformed", "reason": str(exc)}
    if product is None:
        skipped = {
            "status": "skipped",
            "type": event.get("type"),
            "event": event.get("event"),
            "messageId": event.get("messageId"),
            "reason": "not a product event with a sku",
        }
        log(**skipped)
        return skipped
    summary: dict[str, Any] = {
        "status": "sent",
        "messageId": product.message_id,
        "event": product.event_type,
        "itemId": product.item_id,
        "userId": product.user_id,
        "sessionId": product.session_id,
    }
    try:
        put_event(events_client, config, product)
        if product.user_id and config.campaign_arn:
            items = recommend(runtime_client, config, product.user_id)
            summary[TRAIT] = items
            if config.write_key:
                summary["identify"] = identify(config, product.user_id, items)
    except (ClientError, BotoCoreError) as exc:
        if _transient(exc):
            log(status="retry", messageId=product.message_id, reason=str(exc))
            raise Retry(str(exc)) from exc
        summary.update(status="failed", reason=str(exc))
    except Retry as exc:
        log(status="retry", messageId=product.message_id, reason=str(exc))
        raise
    log(**summary)
    return summary


def client(service: str) -> Any:
    """A boto3 client created on the first event of this execution environment."""
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


def handler(event: Any, context: Any) -> dict:
    """Lambda's entry point."""
    return handle(
        event,
        Config.from_environment(),
        client("personalize-events"),
        client("personalize-runtime"),
    )
