"""Segment messages exactly as the S3 destination stores them.

Each `Action` becomes the processed message Segment writes: what the source's library sends
(context, messageId, originalTimestamp as the device clock saw it, sentAt) plus what Segment adds
on ingest (receivedAt, the skew-corrected timestamp, projectId, channel, version, writeKey).
Mobile clients flush every 30 s and sometimes only after hours offline, so the received day of
a line can be later than the day it happened, as on a real Segment S3 destination.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from .sessions import Action
from .sources import SOURCES, Source

SHOP_URL = "https://shop.example.com"
USER_AGENTS = {
    "Chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Safari": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.1 Safari/605.1.15",
    "Firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Edge": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
}
_BY_PLATFORM = {s.platform: s for s in SOURCES}


def iso_ms_z(moment: datetime) -> str:
    """`2026-09-01T10:00:00.123Z`: Segment's own timestamp format (and analytics.js', mobile's)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _message_id(rng: random.Random, source: Source) -> str:
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    if source.platform == "web":
        return f"ajs-next-{value.hex}"
    return str(value).upper() if source.platform == "ios" else str(value)


def _context(action: Action, source: Source) -> dict:
    library = {"name": source.library, "version": source.library_version}
    device = action.device
    if device is None:  # the email tool sends server-side
        return {"library": library}
    if source.platform == "web":
        path = action.properties.get("path") or action.properties.get("url", SHOP_URL + "/")
        path = path.removeprefix(SHOP_URL)
        title = f"{action.name or action.properties.get('name', 'Home')} | Example Shop"
        return {
            "ip": device.ip,
            "library": library,
            "locale": "en-US",
            "page": {"path": path, "referrer": "", "title": title, "url": SHOP_URL + path},
            "userAgent": USER_AGENTS[device.model],
        }
    ios = source.platform == "ios"
    return {
        "app": {"build": "512", "name": "Example Shop", "namespace": "com.example.shop",
                "version": "5.4.0"},
        "device": {"id": device.anonymous_id[::-1], "manufacturer": "Apple" if ios else
                   ("Google" if device.model.startswith("Pixel") else "samsung"),
                   "model": device.model, "type": source.platform},
        "ip": device.ip,
        "library": library,
        "locale": "en-US",
        "network": {"wifi": device.anonymous_id[0] in "01234567"},
        "os": {"name": "iOS" if ios else "Android", "version": device.os_version},
        "timezone": "America/Chicago",
    }  # fmt: skip


def _payload(action: Action, source: Source) -> dict:
    message: dict = {"type": action.call}
    if action.call == "track":
        message["event"] = action.event
        message["properties"] = action.properties
    elif action.call == "page":
        path = action.properties["path"]
        message["name"] = action.name
        message["properties"] = {
            "path": path,
            "referrer": "",
            "search": "",
            "title": f"{action.name} | Example Shop",
            "url": SHOP_URL + path,
        }
    elif action.call == "screen":
        message["name"] = action.name
        message["properties"] = {"name": action.name}
    elif action.call == "identify":
        message["traits"] = action.traits
    if source.platform == "web":
        message["_metadata"] = {"bundled": ["Segment.io"], "unbundled": []}
    return message


def to_message(rng: random.Random, action: Action) -> tuple[Source, datetime, dict]:
    """(source, receivedAt, the processed message) for one action."""
    source = _BY_PLATFORM[action.platform]
    skew = timedelta(seconds=action.device.clock_skew_s if action.device else 0.0)
    if source.platform == "web":
        send_delay = rng.uniform(0.01, 0.3)
    elif source.platform == "email":
        send_delay = rng.uniform(0.0, 0.5)
    else:
        send_delay = rng.uniform(0.0, 30.0) + action.offline_s
    sent = action.at + timedelta(seconds=send_delay)
    received = _ms(sent + timedelta(seconds=rng.uniform(0.03, 0.4)))
    original = _ms(action.at + skew)
    client_sent = sent + skew
    corrected = _ms(received - (_ms(client_sent) - original))
    message = _payload(action, source)
    if action.user_id:
        message["userId"] = action.user_id
    if action.device:
        message["anonymousId"] = action.device.anonymous_id
    if source.platform == "email":  # analytics-python's formats
        original_text = original.isoformat(timespec="milliseconds")  # aware: ends +00:00
        sent_text = client_sent.isoformat(timespec="microseconds")
    else:
        original_text, sent_text = iso_ms_z(original), iso_ms_z(client_sent)
    message.update(
        {
            "channel": source.channel,
            "context": _context(action, source),
            "integrations": {},
            "messageId": _message_id(rng, source),
            "originalTimestamp": original_text,
            "projectId": source.source_id,
            "receivedAt": iso_ms_z(received),
            "sentAt": sent_text,
            "timestamp": iso_ms_z(corrected),
            "version": 2,
            "writeKey": source.write_key,
        }
    )
    return source, received, message
