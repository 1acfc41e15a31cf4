"""Segment from the notebooks: the analytics client, the workspace, and the Profile API.

On the local target everything is the emulator's Segment (`<emulator>/_segment`); on the aws
target the real Segment hosts (sources and destinations are then configured in Segment's UI, so
the workspace helpers here are for the local target only).

    client = analytics_client(write_key)                 # segment-analytics-python, right host
    ws = SegmentWorkspace()                              # local admin API
    web = ws.create_source("website-prod")               # get-or-create: {"id", "writeKeys"...}
    ws.connect_s3(web["id"], bucket)                     # Segment's S3 destination
    ws.flush(web["id"])                                  # write buffered events now

A Lambda function on the local target reaches this Segment at `$AWS_ENDPOINT_URL/_segment`
(the emulator gives its functions its endpoint variables); pass `tracking_host()` to it.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import requests

from .settings import ENV_TARGET, WorkshopConfigError

SEGMENT_PATH = "/_segment"
SEGMENT_TRACKING_HOST = "https://api.segment.io"
SEGMENT_PROFILES_URL = "https://profiles.segment.com"
WORKSHOP_SOURCES = ("website-prod", "ios-prod", "android-prod", "personas-event-source")
WORKSHOP_SPACE = "workshop"  # the Unify space notebook 04 feeds (local target)
TIMEOUT_S = 30


def _target(workshop=None) -> str:
    if workshop is not None:
        return workshop.target
    return (os.environ.get(ENV_TARGET) or "local").lower()


def emulator_url(workshop=None) -> str:
    """The local emulator's base URL (from the Workshop, else the variables connect() sets)."""
    url = getattr(workshop, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        raise WorkshopConfigError(
            "The local emulator's URL is unknown: run `workshop = connect()` first."
        )
    return url.rstrip("/")


def tracking_host(workshop=None) -> str:
    """What to pass as `host=` to the analytics client (it appends /v1/batch)."""
    if _target(workshop) == "aws":
        return SEGMENT_TRACKING_HOST
    return emulator_url(workshop) + SEGMENT_PATH


def profiles_url(workshop=None) -> str:
    if _target(workshop) == "aws":
        return SEGMENT_PROFILES_URL
    return emulator_url(workshop) + SEGMENT_PATH + "/profiles"


def analytics_client(write_key: str, workshop=None, **options: Any):
    """A `segment.analytics.Client` sending to Segment (aws) or the emulator (local).

    Options are the client's own (sync_mode, gzip, upload_size, on_error, ...).
    """
    from segment.analytics import Client

    if "host" not in options:
        options["host"] = tracking_host(workshop)
    return Client(write_key, **options)


def configure_module_client(write_key: str, workshop=None, **options: Any):
    """Point the module-level API (`import segment.analytics as analytics; analytics.track(...)`)
    at the right host. The module builds its client on first use and ignores later changes, so
    the old client is flushed and dropped here; returns the module."""
    import segment.analytics as analytics

    if analytics.default_client is not None:
        old = analytics.default_client
        if old.consumers:  # None in sync mode
            old.flush()
            old.join()
        analytics.default_client = None
    analytics.write_key = write_key
    analytics.host = options.pop("host", None) or tracking_host(workshop)
    for name, value in options.items():
        if not hasattr(analytics, name):
            raise TypeError(f"segment.analytics has no setting {name!r}")
        setattr(analytics, name, value)
    return analytics


def profile_traits(
    space_id: str, access_token: str, user_id: str, workshop=None, limit: int = 50
) -> dict:
    """All custom traits of a user from the Profile API ({} if there is no such profile)."""
    url = (
        f"{profiles_url(workshop)}/v1/spaces/{space_id}/collections/users/profiles/"
        f"user_id:{requests.utils.quote(user_id, safe='')}/traits"
    )
    traits: dict = {}
    cursor = ""
    while True:
        params = {"limit": limit, **({"next": cursor} if cursor else {})}
        reply = requests.get(url, params=params, auth=(access_token, ""), timeout=TIMEOUT_S)
        if reply.status_code == 404:
            return traits
        _raise_for(reply)
        body = reply.json()
        traits.update(body["traits"])
        if not body["cursor"]["has_more"]:
            return traits
        cursor = body["cursor"]["next"]


class SegmentApiError(RuntimeError):
    """The emulator's Segment refused a request; the message says why."""


def _raise_for(reply: requests.Response) -> None:
    if reply.ok:
        return
    try:
        body = reply.json()
        errors = body.get("errors") or [body.get("error") or body]
        detail = "; ".join(str(e.get("message", e)) for e in errors)
    except ValueError:
        detail = reply.text[:300]
    raise SegmentApiError(f"Segment answered {reply.status_code}: {detail}")


class SegmentWorkspace:
    """The local emulator's Segment workspace (its admin API). Every create is idempotent."""

    def __init__(self, workshop=None) -> None:
        if _target(workshop) == "aws":
            raise WorkshopConfigError(
                "On the aws target, create sources and destinations in Segment's web UI "
                "(app.segment.com); the notebook lists the steps."
            )
        self.base = emulator_url(workshop) + SEGMENT_PATH + "/admin"
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: dict | None = None, **params) -> dict:
        reply = self.session.request(
            method,
            self.base + path,
            data=None if body is None else json.dumps(body),
            params=params or None,
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT_S,
        )
        _raise_for(reply)
        return reply.json()["data"]

    # sources
    def sources(self) -> list[dict]:
        return self._call("GET", "/sources")["sources"]

    def source(self, name: str) -> dict | None:
        return next((s for s in self.sources() if name in (s["name"], s["slug"])), None)

    def create_source(self, name: str) -> dict:
        """The source named `name`, created if missing; its write key is `["writeKeys"][0]`."""
        return self.source(name) or self._call("POST", "/sources", {"name": name})["source"]

    def create_workshop_sources(self) -> dict[str, dict]:
        return {name: self.create_source(name) for name in WORKSHOP_SOURCES}

    def delete_source(self, source_id: str) -> None:
        self._call("DELETE", f"/sources/{source_id}")

    def debugger(self, source_id: str, limit: int = 20, status: str | None = None) -> list[dict]:
        """The source's most recent events (newest first), accepted or dropped with a reason."""
        params = {"limit": limit, **({"status": status} if status else {})}
        return self._call("GET", f"/sources/{source_id}/debugger", **params)["events"]

    def unknown_write_key_events(self, limit: int = 20) -> list[dict]:
        return self._call("GET", "/debugger/unknown-write-keys", limit=limit)["events"]

    # destinations
    def destinations(self, source_id: str | None = None) -> list[dict]:
        params = {"sourceId": source_id} if source_id else {}
        return self._call("GET", "/destinations", **params)["destinations"]

    def _connect(self, source_id: str, slug: str, settings: dict) -> dict:
        for destination in self.destinations(source_id):
            if destination["metadata"]["slug"] == slug:
                if destination["settings"] != {**destination["settings"], **settings}:
                    body = {"settings": settings}
                    path = f"/destinations/{destination['id']}"
                    return self._call("PATCH", path, body)["destination"]
                return destination
        body = {"sourceId": source_id, "metadataSlug": slug, "settings": settings}
        return self._call("POST", "/destinations", body)["destination"]

    def delete_destination(self, destination_id: str) -> None:
        self._call("DELETE", f"/destinations/{destination_id}")

    def connect_s3(self, source_id: str, bucket: str, prefix: str = "", **flush: Any) -> dict:
        """Segment's AWS S3 destination for a source (flushIntervalSeconds, flushBytes)."""
        return self._connect(source_id, "aws-s3", {"bucket": bucket, "prefix": prefix, **flush})

    def connect_personalize(
        self, source_id: str, function: str, region: str, **settings: Any
    ) -> dict:
        """The Amazon Personalize destination: invokes `function` once per event."""
        body = {"function": function, "region": region, **settings}
        return self._connect(source_id, "amazon-personalize", body)

    def overview(self) -> list[dict]:
        """One row per source and destination, for a notebook table (sorted, stable)."""
        rows = []
        destinations = self.destinations()
        for source in self.sources():
            mine = [d for d in destinations if d["sourceId"] == source["id"]] or [None]
            for destination in mine:
                settings = destination["settings"] if destination else {}
                target = settings.get("bucket") or settings.get("function") or ""
                if settings.get("prefix"):
                    target += "/" + settings["prefix"]
                rows.append(
                    {
                        "source": source["name"],
                        "source_id": source["id"],
                        "write_key": source["writeKeys"][0],
                        "destination": destination["metadata"]["name"] if destination else "",
                        "target": target,
                        "enabled": source["enabled"] and (destination or {}).get("enabled", True),
                    }
                )
        return sorted(rows, key=lambda r: (r["source"], r["destination"]))

    def validate_s3(self, source_id: str) -> str:
        """Segment's Validate button: writes segment-logs/dummy-object.txt; returns its key."""
        for destination in self.destinations(source_id):
            if destination["metadata"]["slug"] in ("aws-s3", "amazon-s3"):
                return self._call("POST", f"/destinations/{destination['id']}/validate")["objects"][
                    0
                ]
        raise SegmentApiError(f"Source {source_id} has no S3 destination.")

    def flush(self, source_id: str) -> list[str]:
        """Write the source's buffered events to S3 now; returns the object keys written."""
        keys = []
        for destination in self.destinations(source_id):
            if destination["metadata"]["slug"] in ("aws-s3", "amazon-s3"):
                keys += self._call("POST", f"/destinations/{destination['id']}/flush")["objects"]
        return keys

    def deliveries(self, destination_id: str, limit: int = 20) -> dict:
        """{"deliveries": newest first, "pending": events not delivered yet}."""
        return self._call("GET", f"/destinations/{destination_id}/deliveries", limit=limit)

    def wait_for_deliveries(self, destination_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            result = self.deliveries(destination_id)
            if result["pending"] == 0 or time.monotonic() > deadline:
                return result
            time.sleep(0.2)

    # Unify spaces and profiles
    def create_space(self, name: str) -> tuple[dict, str]:
        """(space, a new Profile API access token); the space is created if missing."""
        for space in self._call("GET", "/spaces")["spaces"]:
            if name in (space["name"], space["slug"]):
                token = self._call("POST", f"/spaces/{space['id']}/access-tokens")["accessToken"]
                return space, token
        data = self._call("POST", "/spaces", {"name": name})
        return data["space"], data["accessToken"]

    def spaces(self) -> list[dict]:
        return self._call("GET", "/spaces")["spaces"]

    def delete_space(self, space_id: str) -> None:
        """Delete a Unify space and its profiles."""
        self._call("DELETE", f"/spaces/{space_id}")

    def connect_space(self, space_id: str, source_id: str) -> dict:
        """Feed a source's messages into the space's profiles."""
        return self._call("POST", f"/spaces/{space_id}/sources", {"sourceId": source_id})["space"]
