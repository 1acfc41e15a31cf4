"""Wait for asynchronous AWS resources: one line of progress per poll, one wait for many.

Personalize (and Glue, Athena...) create things asynchronously and botocore has no waiters for
them. `wait_all` polls every resource, prints one progress line per poll, raises at once with
the `failureReason` of any resource that failed, and gives up with a clear message before the
notebook runner's cell timeout would kill the cell.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

READY = frozenset({"ACTIVE", "SUCCEEDED"})
FAILED = frozenset({"CREATE FAILED", "CREATE STOPPED", "FAILED", "STOPPED", "TIMEOUT"})
REPEAT_AFTER = 10.0  # seconds: on AWS (30 s polls) every poll gets its line
PROGRESS_MARK = "…"  # starts progress lines (in every font, unlike an emoji); nbval masks them


class ResourceFailed(RuntimeError):
    """At least one resource ended in a failed state; the message carries AWS's reasons."""


class WaitTimeout(TimeoutError):
    """Still not ready when the helper's time ran out (the resources keep being created)."""


class Descriptions(dict):
    """The resources' last descriptions, by label. A notebook cell that ends with a wait shows
    the wait's own lines only: Jupyter displays nothing more for this value."""

    def _ipython_display_(self) -> None:
        pass


@dataclass(frozen=True)
class Watch:
    """A resource to wait for: a label for humans and a call returning its description."""

    label: str
    describe: Callable[[], dict]


def default_poll_seconds() -> float:
    """Poll fast on the local emulator; on AWS every 30 s is plenty (and cheap on API quota)."""
    return 0.5 if os.environ.get("WORKSHOP_TARGET", "local") == "local" else 30.0


def _status(description: dict) -> str:
    return str(description.get("status") or description.get("JobRunState") or "UNKNOWN")


def wait_all(
    watches: Iterable[Watch],
    timeout: float = 900,
    poll: float | None = None,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Descriptions:
    """Poll until every resource is ready; return their last descriptions by label.

    One progress line per poll, except that a line that would only repeat the previous one is
    skipped for up to REPEAT_AFTER seconds (the local target polls several times a second)."""
    pending = {w.label: w for w in watches}
    poll = default_poll_seconds() if poll is None else poll
    done: dict[str, dict] = {}
    total, started = len(pending), clock()
    last_said, said_at = "", started
    while True:
        for label, watch in list(pending.items()):
            description = watch.describe()
            status = _status(description)
            if status in FAILED:
                reason = description.get("failureReason") or description.get("ErrorMessage") or ""
                raise ResourceFailed(f"{label} is {status}: {reason or 'no reason given'}")
            done[label] = description
            if status in READY:
                del pending[label]
        elapsed = clock() - started
        if not pending:
            say(f"Ready: {', '.join(f'{label} ({_status(d)})' for label, d in done.items())}.")
            return Descriptions(done)
        waiting = ", ".join(f"{label} ({_status(done[label])})" for label in pending)
        ready = total - len(pending)
        news = f"{ready}/{total} ready; waiting for {waiting}"
        if news != last_said or clock() - said_at >= REPEAT_AFTER:
            say(f"{PROGRESS_MARK} [{elapsed:5.0f} s] {news}")
            last_said, said_at = news, clock()
        if elapsed + poll > timeout:
            raise WaitTimeout(
                f"Still waiting after {elapsed:.0f} s for {waiting}. They keep being created: "
                "run this cell again to wait longer."
            )
        sleep(poll)
