"""The local Segment as one object: workspace, Tracking API, destinations, profiles.

`deliver` is the fan-out Segment does after ingest: every accepted message goes to each enabled
destination of its source and to the profiles of every space the source is connected to.
"""

from __future__ import annotations

import contextlib
import threading

from .debugger import Debugger
from .lambda_destination import LambdaSink
from .lambda_destination import validate_settings as lambda_settings
from .profiles import ProfileApi, ProfileStore
from .s3_destination import Flusher, S3Sink
from .s3_destination import validate_settings as s3_settings
from .tracking import TrackingApi
from .workspace import DESTINATION_CATALOG, LAMBDA_SLUGS, S3_SLUGS, Destination, Workspace
from .workspace import WorkspaceError as WorkspaceError


class SegmentService:
    def __init__(self, app) -> None:
        self.app = app
        self.workspace = Workspace()
        self.debugger = Debugger()
        self.tracking = TrackingApi(self.workspace, self.debugger, self.deliver)
        self.profiles = ProfileStore()
        self.profile_api = ProfileApi(self.workspace, self.profiles)
        self.sinks: dict[str, S3Sink | LambdaSink] = {}
        self._sinks_lock = threading.Lock()
        self.flusher = Flusher(self.s3_sinks)

    def s3_sinks(self) -> list[S3Sink]:
        with self._sinks_lock:
            return [s for s in self.sinks.values() if isinstance(s, S3Sink)]

    def deliver(self, source_id: str, messages: list[dict]) -> None:
        for destination in self.workspace.destinations_of(source_id):
            sink = self.sinks.get(destination.id)
            if destination.enabled and sink is not None:
                sink.accept(messages)
        for space in self.workspace.spaces_of(source_id):
            self.profiles.apply(space.id, source_id, messages)

    def add_destination(self, body: dict) -> Destination:
        slug = body.get("metadataSlug") or body.get("slug") or body.get("type")
        if slug not in DESTINATION_CATALOG:
            raise WorkspaceError(
                "validation",
                f"Unknown destination {slug!r}; use one of {sorted(DESTINATION_CATALOG)}.",
                400,
            )
        settings = body.get("settings") or {}
        if not isinstance(settings, dict):
            raise WorkspaceError("validation", "`settings` must be an object.", 400)
        settings = s3_settings(settings) if slug in S3_SLUGS else lambda_settings(settings)
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise WorkspaceError("validation", "`enabled` must be true or false.", 400)
        destination = self.workspace.add_destination(
            str(body.get("sourceId", "")), slug, settings, body.get("name"), enabled
        )
        self._add_sink(destination)
        return destination

    def _add_sink(self, destination: Destination) -> S3Sink | LambdaSink:
        with self._sinks_lock:
            if destination.slug in LAMBDA_SLUGS:
                sink = self.sinks[destination.id] = LambdaSink(self.app, destination)
            else:
                sink = self.sinks[destination.id] = S3Sink(self.app, destination)
        if destination.slug in S3_SLUGS:
            self.flusher.ensure_running()
        return sink

    def update_destination(self, destination_id: str, body: dict) -> Destination:
        destination = self.workspace.destination(destination_id)
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise WorkspaceError("validation", "`enabled` must be true or false.", 400)
            destination.enabled = body["enabled"]
        if "settings" in body:
            merged = {**destination.settings, **(body["settings"] or {})}
            validate = s3_settings if destination.slug in S3_SLUGS else lambda_settings
            destination.settings = validate(merged)
            sink = self.sinks.get(destination.id)
            if isinstance(sink, LambdaSink):
                sink.settings_changed()
        return destination

    def remove_destination(self, destination_id: str) -> None:
        destination = self.workspace.remove_destination(destination_id)
        self._drop_sink(destination.id)

    def remove_source(self, source_id: str) -> None:
        for destination in self.workspace.delete_source(source_id):
            self._drop_sink(destination.id)
        self.debugger.forget_source(source_id)

    def _drop_sink(self, destination_id: str) -> None:
        with self._sinks_lock:
            sink = self.sinks.pop(destination_id, None)
        if isinstance(sink, S3Sink) and sink.pending():
            with contextlib.suppress(Exception):  # received events are still written
                sink.flush()
        elif isinstance(sink, LambdaSink):
            sink.close()

    def destination_view(self, destination: Destination) -> dict:
        sink = self.sinks.get(destination.id)
        return {**destination.public(), "status": sink.status() if sink else {}}

    # durable state: the workspace, what Segment remembers of the traffic, undelivered lines --

    def snapshot(self) -> dict:
        with self._sinks_lock:
            sinks = dict(self.sinks)
        return {
            "workspace": self.workspace,
            "debugger": self.debugger,
            "dedupe": self.tracking.dedupe,
            "profiles": self.profiles,
            "sinks": {key: sink.saved_state() for key, sink in sinks.items()},
        }

    def restore(self, state: dict) -> None:
        """Take the saved objects' contents into the live ones, which the APIs already hold."""
        for live, saved in (
            (self.workspace, state["workspace"]),
            (self.debugger, state["debugger"]),
            (self.tracking.dedupe, state["dedupe"]),
            (self.profiles, state["profiles"]),
        ):
            vars(live).update(vars(saved))
        for destination in self.workspace.destinations.values():
            sink = self._add_sink(destination)
            if destination.id in state["sinks"]:
                sink.restore_state(state["sinks"][destination.id])

    def reset(self) -> None:
        with self._sinks_lock:
            sinks, self.sinks = list(self.sinks.values()), {}
        for sink in sinks:
            if isinstance(sink, LambdaSink):
                sink.close()
        self.workspace.reset()
        self.debugger.reset()
        self.tracking.dedupe.reset()
        self.profiles.reset()
