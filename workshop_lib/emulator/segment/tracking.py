"""Segment's HTTP Tracking API: `/v1/{identify,track,page,screen,group,alias,batch,import}`.

What it does with a request, in Segment's order:
1. read the body (gzip when `Content-Encoding: gzip`); a body too large for the route
   (32 KB single, 500 KB batch) or not a JSON object is a 400 with `code` and `message`;
2. find the write key: `writeKey` in the body (analytics-python 2.3 sends only that) or HTTP
   Basic (2.4 sends both); none at all is a 400, an unknown one is a 200 whose events are
   dropped with `project_not_found` in the debugger, as Segment's edge does;
3. process each message: envelope `context`/`integrations`/`sentAt` merged in, nulls dropped,
   the fields Segment adds (messageId, receivedAt, originalTimestamp, the skew-corrected
   timestamp, projectId, channel, version, writeKey); invalid ones dropped with Segment's
   Delivery Overview reason; duplicates of a messageId seen in the last 24 h dropped;
4. hand the accepted messages to the source's destinations and the profile store.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from .debugger import Debugger
from .ids import api_message_id
from .responses import TRACKING_OK, tracking_error
from .timestamps import corrected_timestamp, iso_ms_z

SINGLE_TYPES = ("identify", "track", "page", "screen", "group", "alias")
BATCH_ROUTES = ("batch", "import")
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_ITEMS = 2500
MOBILE_LIBRARIES = ("analytics-ios", "analytics-android", "analytics-swift", "analytics-kotlin")
DEDUPE_SECONDS = 24 * 3600


class Dedupe:
    """messageIds seen in the last 24 hours, across all sources."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def first_time(self, message_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 200_000:  # forget the expired ones now and then
                self._seen = {k: t for k, t in self._seen.items() if now - t < DEDUPE_SECONDS}
            seen = self._seen.get(message_id)
            if seen is not None and now - seen < DEDUPE_SECONDS:
                return False
            self._seen[message_id] = now
            return True

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


class BadRequest(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _body(request: AwsRequest, limit: int) -> bytes:
    data = request.body
    if request.environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        try:  # bounded: a small gzip must not inflate into gigabytes
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(data, limit + 1)
        except zlib.error:
            raise BadRequest(
                "invalid_request", "The gzip body could not be decompressed."
            ) from None
    if len(data) > limit:
        raise BadRequest(
            "request_too_large",
            f"The request body is larger than the {limit // 1024} KB this endpoint accepts.",
        )
    return data


def _parse(data: bytes) -> dict:
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("invalid_json", f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise BadRequest("invalid_request", "The request body must be a JSON object.")
    return payload


def write_key_of(request: AwsRequest, payload: dict) -> str | None:
    """The body's writeKey if any, else the Basic auth user name."""
    body_key = payload.get("writeKey")
    if isinstance(body_key, str) and body_key:
        return body_key
    auth = request.environ.get("HTTP_AUTHORIZATION", "")
    if auth[:6].lower() == "basic ":
        try:
            user = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None


def _merged(envelope: dict, item: dict, key: str) -> dict:
    outer, inner = envelope.get(key), item.get(key)
    merged = dict(outer) if isinstance(outer, dict) else {}
    if isinstance(inner, dict):
        merged.update(inner)  # the message's own keys win
    elif inner is not None:
        return inner  # left as sent; validation reports it
    return merged


def drop_reason(message: dict) -> str | None:
    """Why Segment would discard this message (Delivery Overview codes), or None."""
    kind = message.get("type")
    if kind not in SINGLE_TYPES:
        return "invalid_type"
    if kind == "alias":
        if not message.get("userId") or not message.get("previousId"):
            return "id_required"
    elif not message.get("userId") and not message.get("anonymousId"):
        return "no_user_anon_id"
    if kind == "track":
        if "event" not in message:
            return "event_not_defined"
        if not isinstance(message["event"], str):
            return "event_not_string"
    if kind == "group" and not message.get("groupId"):
        return "id_required"
    for name, reason in (("properties", "properties_not_object"), ("traits", "traits_not_object")):
        if name in message and not isinstance(message[name], dict):
            return reason
    for name in ("name", "category"):
        if name in message and not isinstance(message[name], str):
            return f"{name}_not_string"
    if not isinstance(message.get("context"), dict):
        return "context_not_object"
    return None


def _channel(context: dict) -> str:
    library = context.get("library")
    name = library.get("name") if isinstance(library, dict) else None
    if name == "analytics.js":
        return "client"
    return "mobile" if name in MOBILE_LIBRARIES else "server"


def process(
    item: object, envelope: dict, *, source_id: str, write_key: str, received: datetime, ip: str
) -> tuple[dict, str | None]:
    """(the message as Segment stores it, the drop reason or None)."""
    if not isinstance(item, dict):
        return {"value": item, "receivedAt": iso_ms_z(received)}, "invalid_message"
    message = {k: v for k, v in item.items() if v is not None and k != "writeKey"}
    for name in ("userId", "anonymousId", "previousId", "groupId"):
        if isinstance(message.get(name), int | float) and not isinstance(message[name], bool):
            message[name] = str(message[name])  # numbers are ids too
    message["context"] = _merged(envelope, message, "context")
    message["integrations"] = _merged(envelope, message, "integrations")
    if isinstance(message["context"], dict):
        message["context"].setdefault("library", {"name": "unknown", "version": "unknown"})
        if _channel(message["context"]) != "server" or message["context"].get("direct"):
            message["context"].setdefault("ip", ip)
    sent_at = message.get("sentAt", envelope.get("sentAt"))
    if sent_at is not None:
        message["sentAt"] = sent_at
    original = message.pop("timestamp", None)
    if original is not None:
        message["originalTimestamp"] = original
    message["receivedAt"] = iso_ms_z(received)
    message["timestamp"] = iso_ms_z(corrected_timestamp(received, original, sent_at))
    if not isinstance(message.get("messageId"), str) or not message["messageId"]:
        message["messageId"] = api_message_id()
    message["channel"] = _channel(
        message["context"] if isinstance(message["context"], dict) else {}
    )
    message.update(projectId=source_id, version=2, writeKey=write_key)
    reason = drop_reason(message)
    if reason is None and len(message["messageId"]) > 100:
        reason = "message_id_too_long"
    return message, reason


Deliver = Callable[[str, list[dict]], None]


class TrackingApi:
    """The HTTP handler; `deliver(source_id, messages)` receives the accepted messages."""

    def __init__(self, workspace, debugger: Debugger, deliver: Deliver) -> None:
        self.workspace = workspace
        self.debugger = debugger
        self.deliver = deliver
        self.dedupe = Dedupe()

    def handle(self, request: AwsRequest, route: str) -> Response:
        if route not in SINGLE_TYPES + BATCH_ROUTES:
            return tracking_error("not_found", f"No Tracking API endpoint /v1/{route}.", 404)
        if request.method != "POST":
            return tracking_error("method_not_allowed", "The Tracking API accepts POST only.", 405)
        batch = route in BATCH_ROUTES
        try:
            payload = _parse(_body(request, MAX_BATCH_BYTES if batch else MAX_MESSAGE_BYTES))
            key = write_key_of(request, payload)
            if not key:
                raise BadRequest(
                    "missing_write_key",
                    "No write key: send it as HTTP Basic user name or as writeKey in the body.",
                )
            if batch:
                items = payload.get("batch")
                if not isinstance(items, list):
                    raise BadRequest("invalid_request", "A batch body needs a `batch` array.")
                envelope = payload
            else:
                items, envelope = [{**payload, "type": route}], {}
        except BadRequest as exc:
            return tracking_error(exc.code, exc.message)
        ip = request.environ.get("REMOTE_ADDR", "127.0.0.1")
        self.ingest(items, envelope, key, ip, check_sizes=len(request.body) > MAX_MESSAGE_BYTES)
        return Response(TRACKING_OK, 200, content_type="application/json")

    def ingest(
        self, items: list, envelope: dict, key: str, ip: str = "127.0.0.1", check_sizes=True
    ) -> int:
        """Process and route messages as they arrived with write key `key`; returns accepted.

        `check_sizes=False` skips measuring each message when the whole body was small."""
        received = datetime.now(UTC)
        source = self.workspace.source_by_write_key(key)
        source_id = source.id if source else None
        if not items:
            self.debugger.record(
                {}, iso_ms_z(received), source_id=source_id, write_key=key, reason="empty_batch"
            )
        accepted = []
        too_many = len(items) > MAX_BATCH_ITEMS
        for item in items:
            message, reason = process(
                item, envelope, source_id=source_id or "", write_key=key, received=received, ip=ip
            )
            if source is None:
                reason = "project_not_found"
            elif not source.enabled:
                reason = "source_disabled"
            elif too_many:
                reason = "batch_too_large"
            elif reason is None and check_sizes and len(json.dumps(item)) > MAX_MESSAGE_BYTES:
                reason = "message_too_large"
            if reason is None and not self.dedupe.first_time(message["messageId"]):
                reason = "duplicate_message_id"
            self.debugger.record(
                message, message["receivedAt"], source_id=source_id, write_key=key, reason=reason
            )
            if reason is None:
                accepted.append(message)
        if accepted:
            self.deliver(source_id, accepted)
        return len(accepted)
