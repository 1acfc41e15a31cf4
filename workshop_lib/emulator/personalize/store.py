"""Resources and their asynchronous lifecycle, with a configurable pace.

Each resource walks CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE | CREATE FAILED, and after a
delete DELETE PENDING -> DELETE IN_PROGRESS -> gone, as on AWS, so polling code is the same on
both targets. The status is computed from the clock when it is read (no timers): every phase
lasts at least `pace` seconds (env WORKSHOP_PERSONALIZE_PACE, default 0.05 s), and IN_PROGRESS
lasts until the resource's background work (import, training, batch job) is done. Work runs on a
small thread pool so the server keeps answering while a model trains.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import LOCAL_ACCOUNT_ID

log = logging.getLogger(__name__)
DEFAULT_PACE = 0.05
ENV_PACE = "WORKSHOP_PERSONALIZE_PACE"
ACCOUNT = LOCAL_ACCOUNT_ID
INTERRUPTED = "The local emulator stopped before this finished. Delete it and create it again."


def pace_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_PACE, DEFAULT_PACE)))
    except ValueError:
        return DEFAULT_PACE


class Resource:
    """One Personalize resource: its describe fields, tags, lifecycle and attached state."""

    def __init__(self, kind: str, arn: str, name: str, fields: dict[str, Any], pace: float):
        self.kind = kind
        self.arn = arn
        self.name = name
        self.fields = fields
        self.tags: dict[str, str] = {}
        self.pace = pace
        self.created = time.time()
        self.updated = self.created
        self.work_done = True
        self.failure: str | None = None
        self.deleted_at: float | None = None
        self.stopped_at: float | None = None
        self.state: dict[str, Any] = {}  # data, models, ... owned by the feature modules

    @property
    def status(self) -> str:
        now = time.time()
        if self.deleted_at is not None:
            elapsed = now - self.deleted_at
            if elapsed < self.pace or (self.kind == "dataset-group" and elapsed < 2 * self.pace):
                return "DELETE PENDING"  # dataset groups document no DELETE IN_PROGRESS
            return "DELETE IN_PROGRESS" if elapsed < 2 * self.pace else "GONE"
        if self.stopped_at is not None:
            return "CREATE STOPPING" if now - self.stopped_at < self.pace else "CREATE STOPPED"
        elapsed = now - self.created
        if elapsed < self.pace:
            return "CREATE PENDING"
        if not self.work_done or elapsed < 2 * self.pace:
            return "CREATE IN_PROGRESS"
        return "CREATE FAILED" if self.failure else "ACTIVE"

    @property
    def last_updated(self) -> float:
        status = self.status
        if status in ("ACTIVE", "CREATE FAILED"):
            return max(self.updated, self.created + 2 * self.pace)
        return self.updated

    @property
    def busy(self) -> bool:
        return self.status in ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING")

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    def describe(self) -> dict[str, Any]:
        out = {k: v for k, v in self.fields.items() if v is not None}
        out["status"] = self.status
        out["creationDateTime"] = self.created
        out["lastUpdatedDateTime"] = self.last_updated
        if self.failure and out["status"] == "CREATE FAILED":
            out["failureReason"] = self.failure
        return out


class Store:
    """All resources of the emulator, by ARN, behind one lock."""

    def __init__(
        self, pace: float | None = None, on_change: Callable[[], None] | None = None
    ) -> None:
        self.pace = pace_from_env() if pace is None else pace
        self.on_change = on_change or (lambda: None)  # background work ended: save soon
        self.lock = threading.RLock()
        self._by_arn: dict[str, Resource] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="personalize-work")

    def add(self, kind: str, arn: str, name: str, fields: dict[str, Any]) -> Resource:
        with self.lock:
            resource = Resource(kind, arn, name, fields, self.pace)
            self._by_arn[arn] = resource
            return resource

    def run(self, resource: Resource, work: Callable[[], None]) -> None:
        """Run `work` in the background; an exception becomes the resource's failureReason."""
        resource.work_done = False

        def job() -> None:
            try:
                work()
            except Exception as exc:  # the user's data or config failed: CREATE FAILED
                if type(exc) is not RuntimeError:  # RuntimeError carries a data problem's text
                    log.exception("%s %s failed", resource.kind, resource.arn)
                resource.failure = str(exc) or type(exc).__name__
            finally:
                resource.updated = time.time()
                resource.work_done = True
                self.on_change()

        self._pool.submit(job)

    def get(self, arn: str | None, kind: str | None = None) -> Resource | None:
        """The resource, or None when it never existed or has finished deleting."""
        with self.lock:
            resource = self._by_arn.get(arn or "")
            if resource is None or (kind is not None and resource.kind != kind):
                return None
            if resource.status == "GONE":
                del self._by_arn[resource.arn]
                return None
            return resource

    def all(self, kind: str, region: str | None = None) -> list[Resource]:
        """Live resources of a kind, oldest first (newest-first lists reverse this)."""
        found = []
        with self.lock:
            for resource in list(self._by_arn.values()):
                if resource.kind != kind:
                    continue
                if resource.status == "GONE":
                    self._by_arn.pop(resource.arn, None)
                elif region is None or f":{region}:" in resource.arn:
                    found.append(resource)
        return found

    def children(self, kind: str, parent_field: str, parent_arn: str) -> list[Resource]:
        return [r for r in self.all(kind) if r.fields.get(parent_field) == parent_arn]

    def delete(self, resource: Resource) -> None:
        resource.deleted_at = time.time()
        resource.updated = resource.deleted_at

    def forget(self, resource: Resource) -> None:
        with self.lock:
            self._by_arn.pop(resource.arn, None)

    def reset(self) -> None:
        with self.lock:
            self._by_arn.clear()

    def snapshot(self) -> dict[str, Resource]:
        with self.lock:
            return dict(self._by_arn)

    def restore(self, resources: dict[str, Resource]) -> None:
        """Take back saved resources; work the emulator stopped in the middle of has failed."""
        with self.lock:
            for resource in resources.values():
                if not resource.work_done:
                    resource.failure = INTERRUPTED
                    resource.work_done = True
            self._by_arn.update(resources)
