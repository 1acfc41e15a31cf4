"""CloudWatch Logs lines from Lambda invocations and Glue job runs, written through the logs API.

Writing happens on one background thread, so an invocation does not wait for the logs service;
as on AWS, lines show up in CloudWatch a moment after the call returns (here: milliseconds).
What queued up while a put was under way goes out together, one put per log stream: a burst of
invocations (a benchmark, a class calling one API) costs a few puts, not one HTTP call each,
which kept the emulator busy, and every other call slower, for seconds after the burst.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..app import EmulatorApp

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch's event size limit, minus its per-event overhead
BATCH_EVENTS = 1000


@dataclass(frozen=True)
class _Batch:
    region: str
    group: str
    stream: str
    events: list[dict]


def split_lines(text: str, timestamp_ms: int) -> list[dict]:
    """One log event per line; a \\r inside a line (tracebacks) stays in one event, as on AWS."""
    events = []
    for line in text.splitlines():
        message = line.replace("\r", "\n")
        if message.strip():
            events.append({"timestamp": timestamp_ms, "message": message[:MAX_EVENT_BYTES]})
    return events


def merged(batches: list[_Batch]) -> list[_Batch]:
    """One batch per log stream, its events in the order they were queued (CloudWatch wants a
    put's events in time order; queue order is that order)."""
    streams: dict[tuple[str, str, str], _Batch] = {}
    for batch in batches:
        key = (batch.region, batch.group, batch.stream)
        if key in streams:
            streams[key].events.extend(batch.events)
        else:
            streams[key] = _Batch(*key, list(batch.events))
    return list(streams.values())


class LogWriter:
    """Queues log lines and writes them in order: create group and stream once, then put."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self._queue: queue.Queue[_Batch | None] = queue.Queue()
        self._known: set[tuple[str, str, str | None]] = set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, region: str, group: str, stream: str, text: str) -> None:
        """Queue `text` (lines) for group/stream, stamped now."""
        events = split_lines(text, int(time.time() * 1000))
        if not events:
            return
        self._queue.put(_Batch(region, group, stream, events))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is written (tests and reset use it)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def reset(self) -> None:
        self.flush()
        self._known.clear()

    def _run(self) -> None:
        clients: dict[str, object] = {}
        while True:
            try:
                batches = [self._queue.get(timeout=30)]
            except queue.Empty:
                return  # idle: the thread ends; the next write starts another
            batches += self._waiting()
            try:
                for batch in merged(batches):
                    try:
                        if batch.region not in clients:
                            clients[batch.region] = self.app.client("logs", batch.region)
                        self._put(clients[batch.region], batch)
                    except Exception:  # logging must never break an invocation
                        log.exception("could not write logs to %s/%s", batch.group, batch.stream)
            finally:
                for _ in batches:
                    self._queue.task_done()

    def _waiting(self) -> list[_Batch]:
        """Every batch queued right now (without waiting for more)."""
        found: list[_Batch] = []
        while True:
            try:
                found.append(self._queue.get_nowait())
            except queue.Empty:
                return found

    def _put(self, client, batch: _Batch) -> None:
        try:
            self._put_events(client, batch)
        except client.exceptions.ResourceNotFoundException:  # deleted since: create again
            self._known = {k for k in self._known if k[:2] != (batch.region, batch.group)}
            self._put_events(client, batch)

    def _put_events(self, client, batch: _Batch) -> None:
        self._ensure(client, batch.region, batch.group, None)
        self._ensure(client, batch.region, batch.group, batch.stream)
        for start in range(0, len(batch.events), BATCH_EVENTS):
            client.put_log_events(
                logGroupName=batch.group,
                logStreamName=batch.stream,
                logEvents=batch.events[start : start + BATCH_EVENTS],
            )

    def _ensure(self, client, region: str, group: str, stream: str | None) -> None:
        key = (region, group, stream)
        if key in self._known:
            return
        try:
            if stream is None:
                client.create_log_group(logGroupName=group)
            else:
                client.create_log_stream(logGroupName=group, logStreamName=stream)
        except client.exceptions.ResourceAlreadyExistsException:
            pass
        self._known.add(key)
