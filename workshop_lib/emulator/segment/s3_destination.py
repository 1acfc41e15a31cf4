"""The S3 destination: gzipped NDJSON objects in Segment's key layout, written to a bucket.

`[prefix/]segment-logs/<source-id>/<received-day-ms>/<flush-ms>-<random>.gz`, one processed
message per line. Segment batches for about an hour; the emulator flushes a buffer when its
oldest message is `flushIntervalSeconds` old, when it holds `flushBytes`, or on demand (the
admin API's flush). A failed write keeps the buffer for the next flush and shows the error in
the destination's status: nothing is lost silently.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

from .ids import random_token
from .workspace import Destination, WorkspaceError

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 60.0
DEFAULT_FLUSH_BYTES = 8 * 1024 * 1024
BUCKET_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


def validate_settings(settings: dict) -> dict:
    """Segment's settings (`bucket`, optional path prefix, `region`) and the emulator's two
    flush knobs; the bucket may be given as `bucket/path/prefix` as in Segment's UI."""
    bucket = settings.get("bucket") or settings.get("s3Bucket")
    if not isinstance(bucket, str) or not bucket:
        raise WorkspaceError("validation", "S3 destination settings need `bucket`.", 400)
    bucket, _, path = bucket.partition("/")
    prefix = settings.get("prefix") or path
    if not (3 <= len(bucket) <= 63 and set(bucket) <= BUCKET_NAME_CHARS):
        raise WorkspaceError("validation", f"{bucket!r} is not a valid S3 bucket name.", 400)
    interval = settings.get("flushIntervalSeconds", DEFAULT_INTERVAL_S)
    size = settings.get("flushBytes", DEFAULT_FLUSH_BYTES)
    if not isinstance(interval, int | float) or interval <= 0:
        raise WorkspaceError("validation", "`flushIntervalSeconds` must be > 0.", 400)
    if not isinstance(size, int) or size <= 0:
        raise WorkspaceError("validation", "`flushBytes` must be a positive integer.", 400)
    return {
        "bucket": bucket,
        "prefix": (prefix or "").strip("/"),
        "region": settings.get("region") or settings.get("awsRegion") or "us-east-1",
        "iamRoleArn": settings.get("iamRoleArn", ""),
        "flushIntervalSeconds": interval,
        "flushBytes": size,
    }


def day_ms(received_at: str) -> int:
    day = datetime.fromisoformat(received_at.replace("Z", "+00:00")).astimezone(UTC).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


class S3Sink:
    """Buffers one source's messages and writes them to its S3 destination."""

    def __init__(self, app, destination: Destination) -> None:
        self.app = app
        self.destination = destination
        self._lock = threading.Lock()
        self._lines: dict[int, list[bytes]] = defaultdict(list)  # received day -> lines
        self._bytes = 0
        self._oldest: float | None = None
        self.objects_written = 0
        self.events_written = 0
        self.last_error: str | None = None
        self.last_flush_at: str | None = None

    @property
    def settings(self) -> dict:
        return self.destination.settings

    def accept(self, messages: list[dict]) -> None:
        lines = [
            (day_ms(m["receivedAt"]), (json.dumps(m, separators=(",", ":")) + "\n").encode())
            for m in messages
        ]
        with self._lock:
            for day, line in lines:
                self._lines[day].append(line)
                self._bytes += len(line)
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = self._bytes >= self.settings["flushBytes"]
        if full:
            self.flush()

    def due(self) -> bool:
        with self._lock:
            oldest = self._oldest
        return (
            oldest is not None
            and time.monotonic() - oldest >= self.settings["flushIntervalSeconds"]
        )

    def pending(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._lines.values())

    def flush(self) -> list[str]:
        """Write every buffered message now; returns the keys written."""
        with self._lock:
            taken, self._lines = self._lines, defaultdict(list)
            self._bytes, self._oldest = 0, None
        written = []
        s3 = self.app.client("s3", self.settings["region"])
        source_id = self.destination.source_id
        prefix = self.settings["prefix"]
        for day in sorted(taken):
            name = f"{int(time.time() * 1000)}-{random_token(12)}.gz"
            key = f"segment-logs/{source_id}/{day}/{name}"
            key = f"{prefix}/{key}" if prefix else key
            body = gzip.compress(b"".join(taken[day]), compresslevel=6)
            try:
                s3.put_object(
                    Bucket=self.settings["bucket"],
                    Key=key,
                    Body=body,
                    ContentType="text/plain",
                    ContentEncoding="gzip",
                )
            except Exception as exc:  # keep the data; report the failure in the status
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("S3 destination %s: %s", self.destination.id, self.last_error)
                self._put_back({d: taken[d] for d in taken if d >= day})
                raise
            written.append(key)
            self.objects_written += 1
            self.events_written += len(taken[day])
            self.last_error = None
        self.last_flush_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        return written

    def validate(self) -> str:
        """What Segment's Validate button does: write `segment-logs/dummy-object.txt`."""
        key = "segment-logs/dummy-object.txt"
        key = f"{self.settings['prefix']}/{key}" if self.settings["prefix"] else key
        s3 = self.app.client("s3", self.settings["region"])
        s3.put_object(Bucket=self.settings["bucket"], Key=key, Body=b"", ContentType="text/plain")
        return key

    def _put_back(self, unsent: dict[int, list[bytes]]) -> None:
        with self._lock:
            for day, lines in unsent.items():
                self._lines[day][:0] = lines
                self._bytes += sum(len(line) for line in lines)
            if self._oldest is None:
                self._oldest = time.monotonic()

    def saved_state(self) -> dict:
        """Lines received but not written yet, and the delivery counters."""
        with self._lock:
            lines = {day: list(v) for day, v in self._lines.items()}
        return {
            "lines": lines,
            "objects_written": self.objects_written,
            "events_written": self.events_written,
            "last_flush_at": self.last_flush_at,
        }

    def restore_state(self, state: dict) -> None:
        self.objects_written = state["objects_written"]
        self.events_written = state["events_written"]
        self.last_flush_at = state["last_flush_at"]
        if state["lines"]:
            self._put_back(state["lines"])  # written at the next flush interval

    def status(self) -> dict:
        return {
            "pendingEvents": self.pending(),
            "objectsWritten": self.objects_written,
            "eventsWritten": self.events_written,
            "lastFlushAt": self.last_flush_at,
            "lastError": self.last_error,
        }


class Flusher:
    """One background thread flushing every S3 sink whose interval has passed."""

    def __init__(self, sinks) -> None:
        self._sinks = sinks  # a callable returning the current sinks
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="segment-s3-flusher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            for sink in self._sinks():
                if sink.due():
                    # a failure is reported in the sink's status and retried next round
                    with contextlib.suppress(Exception):
                        sink.flush()
