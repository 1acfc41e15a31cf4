"""Shared by the Segment tests: the real client, raw posts, unique names, polling."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid

import requests

from workshop_lib.segment import analytics_client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client(write_key: str, **options):
    """The real segment-analytics-python client, pointed at the emulator."""
    options.setdefault("sync_mode", True)
    return analytics_client(write_key, **options)


def post(url: str, body, *, key: str | None = None, gzipped: bool = False, raw: bool = False):
    """A raw Tracking API request (as other clients send it)."""
    data = body if raw else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    if gzipped:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return requests.post(url, data=data, headers=headers, timeout=10)


def wait_for(condition, timeout: float = 10.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
