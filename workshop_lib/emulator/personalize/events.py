"""personalize-events: put_events, put_users, put_items with the spec's validation rules.

put_events needs an ACTIVE event tracker (unknown trackingId: InvalidInputException, the only
error the API declares) and an Interactions dataset in its group. Each event lands in that
dataset (identical events once; a repeated eventId is not used again) and in the group's live
log that campaigns read. Anonymous
events (no userId) are stored under the sessionId, which is the userId to ask recommendations
for; once an event carries both, the next training counts the session's events as the user's.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .validation import ApiError, check_arn, check_length, check_max_items, invalid, require

FORBIDDEN = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}
PROPERTY_LIMITS = {"USERS": 24000, "ITEMS": 32000}
MAX_EVENT_BYTES = 10 * 1024


def camel(column: str) -> str:
    """NUMBER_OF_RATINGS -> numberOfRatings: how properties name schema columns."""
    head, *rest = column.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def _properties(raw: Any, limit: int, field: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, str):
        raise invalid(f"{field} must be a JSON string.")
    check_length(raw, field, limit)
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid("Error parsing properties json") from None
    if not isinstance(value, dict):
        raise invalid("Error parsing properties json")
    return value


def _columns(schema, properties: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    by_camel = {camel(f.name): f for f in schema.fields if f.name not in skip}
    row: dict[str, Any] = {}
    for key, value in properties.items():
        field = by_camel.get(key) or by_camel.get(camel(key))
        if field is None:
            raise invalid(
                f"Property {key} is not a column of the dataset schema. Known properties: "
                f"{', '.join(sorted(by_camel))}."
            )
        if field.numeric and value is not None:
            try:
                value = float(value) if field.type in ("float", "double") else int(value)
            except (TypeError, ValueError):
                raise invalid(f"Property {key} must be a number.") from None
        row[field.name] = value
    return row


class Events:
    def __init__(self, control) -> None:
        self.control = control

    def put_events(self, body: dict) -> None:
        tracking_id = require(body, "trackingId")
        check_length(tracking_id, "trackingId", 256)
        session = require(body, "sessionId")
        check_length(session, "sessionId", 256)
        user = body.get("userId")
        check_length(user, "userId", 256)
        events = require(body, "eventList")
        check_max_items(events, "eventList", 10, 1)
        tracker = self.control.tracker_by_id(tracking_id)
        if tracker is None or not tracker.active:
            raise invalid(f"The tracking ID {tracking_id} does not belong to an ACTIVE tracker.")
        group = tracker.fields["datasetGroupArn"]
        dataset = self.control.dataset_of(group, "INTERACTIONS")
        if dataset is None:
            raise invalid(f"Dataset group {group} has no Interactions dataset for the events.")
        data = dataset.state["data"]
        rows = [self._event_row(e, user or session, data.schema) for e in events]
        if user and session != user:
            data.session_users[session] = user
        live = self.control.live_events(group)
        for row, sent in zip(rows, events, strict=True):
            if data.add_event(row, sent.get("eventId")):
                live.add(row["USER_ID"], row["ITEM_ID"], row.get("EVENT_TYPE") or "")

    def _event_row(self, event: dict, user: str, schema) -> dict[str, Any]:
        if len(json.dumps(event)) > MAX_EVENT_BYTES:
            raise invalid(f"An event can be at most {MAX_EVENT_BYTES} bytes.")
        event_type = require(event, "eventType")
        check_length(event_type, "eventType", 256)
        sent_at = event.get("sentAt")
        if not isinstance(sent_at, int | float) or not math.isfinite(sent_at):
            raise invalid("sentAt is required (epoch seconds).")
        for name, limit in (("eventId", 256), ("itemId", 256), ("recommendationId", 40)):
            check_length(event.get(name), name, limit)
        impression = event.get("impression")
        check_max_items(impression, "impression", 25, 1)
        properties = _properties(event.get("properties"), 1024, "properties")
        bad = [k for k in properties if k.lower() in FORBIDDEN]
        if bad:
            raise invalid(f"properties cannot contain the key(s) {bad}: they are event fields.")
        item = event.get("itemId") or properties.pop("itemId", None)
        if not item:
            raise invalid("Each event needs an itemId (or an itemId in properties).")
        row = {"USER_ID": user, "ITEM_ID": str(item), "TIMESTAMP": int(sent_at)}
        if schema.field("EVENT_TYPE") is not None:
            row["EVENT_TYPE"] = event_type
        if event.get("eventValue") is not None and schema.field("EVENT_VALUE") is not None:
            row["EVENT_VALUE"] = float(event["eventValue"])
        if impression and schema.field("IMPRESSION") is not None:
            row["IMPRESSION"] = "|".join(impression)
        if event.get("recommendationId") and schema.field("RECOMMENDATION_ID") is not None:
            row["RECOMMENDATION_ID"] = event["recommendationId"]
        row.update(_columns(schema, properties, {"USER_ID", "ITEM_ID", "TIMESTAMP"}))
        return row

    def _dataset(self, body: dict, dataset_type: str):
        value = check_arn(require(body, "datasetArn"), "datasetArn")
        dataset = self.control.store.get(value, "dataset")
        if dataset is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}.", 404
            )
        if dataset.state["type"] != dataset_type:
            raise invalid(f"Dataset {value} is not a {dataset_type.title()} dataset.")
        if not dataset.active:
            raise ApiError("ResourceInUseException", f"Dataset {value} is {dataset.status}.", 409)
        return dataset

    def put_records(self, body: dict, dataset_type: str) -> None:
        """put_users (USERS, key users/userId) or put_items (ITEMS, items/itemId)."""
        plural, id_key = ("users", "userId") if dataset_type == "USERS" else ("items", "itemId")
        dataset = self._dataset(body, dataset_type)
        records = require(body, plural)
        check_max_items(records, plural, 10, 1)
        data = dataset.state["data"]
        id_column = data.id_column
        rows = []
        for record in records:
            record_id = require(record, id_key)
            check_length(record_id, id_key, 256)
            properties = _properties(
                record.get("properties"), PROPERTY_LIMITS[dataset_type], "properties"
            )
            row = {id_column: record_id}
            row.update(_columns(data.schema, properties, {id_column}))
            rows.append((record_id, row))
        for record_id, row in rows:
            data.put_record(record_id, row)
