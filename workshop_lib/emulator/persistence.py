"""Durable state: the emulator saves what it was given and restores it when it starts again.

What is saved: moto's backends (S3, IAM, Glue catalog and jobs, Lambda functions, API Gateway,
logs, CloudFormation) and each provider's own state (`Provider.snapshot()`), in one pickle file
per port under the state folder. Like LocalStack's persistence, it serialises the live backend
objects; locks in them are pickled as new, unlocked locks (`_state_pickler`).

When: a background thread saves soon after changes - after QUIET_SECONDS without a new one, or
at the latest MAX_DELAY_SECONDS after the first unsaved one - and once more when the emulator
stops. Requests hold a shared (read) lock; the snapshot is taken under the exclusive one, so it
is consistent and requests wait only while objects are pickled to memory, never while the file
is written. The write is crash-safe: a temporary file, fsync, then an atomic rename.

A state file that cannot be read (damaged, or written by another version of the kit or moto)
never stops the emulator: it starts empty, sets the file aside and says so in its log.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import logging
import os
import pickle
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import state_dir

log = logging.getLogger(__name__)

FORMAT = 2  # bump when what snapshot() returns changes shape: older files are set aside
MAGIC = b"workshop-emulator-state\n"
QUIET_SECONDS = 0.5
MAX_DELAY_SECONDS = 2.0
RETRY_SECONDS = 0.5
WRITER_WAIT_SECONDS = 5.0  # how long a save waits for requests in flight before trying later


def state_file(port: int) -> Path:
    return state_dir() / f"emulator-{port}.state"


# -- pickling ----------------------------------------------------------------------------------

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


def _reduce_defaultdict(value: defaultdict) -> tuple:
    """moto writes `defaultdict(lambda: {})`: a lambda has no name to pickle, but what it makes
    does (an empty dict, list, set)."""
    factory = value.default_factory
    if getattr(factory, "__name__", "") == "<lambda>":
        made = factory()
        if type(made) not in (dict, list, set) or made:
            raise pickle.PicklingError(f"cannot save a defaultdict whose factory makes {made!r}")
        factory = type(made)
    return defaultdict, (factory,), None, None, iter(value.items())


def _reduce_weak_values(value: weakref.WeakValueDictionary) -> tuple:
    return weakref.WeakValueDictionary, (dict(value.items()),)


def dispatch_table() -> dict:
    """copyreg's table, plus what moto's and the providers' objects hold: a lock pickles as a
    new unlocked lock (nothing waits on it after a restart), a WeakValueDictionary by its
    items, a defaultdict of a lambda by what the lambda makes."""
    table = copyreg.dispatch_table.copy()
    table[_LOCK] = lambda lock: (threading.Lock, ())
    table[_RLOCK] = lambda lock: (threading.RLock, ())
    table[defaultdict] = _reduce_defaultdict
    table[weakref.WeakValueDictionary] = _reduce_weak_values
    return table


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = dispatch_table()
    pickler.dump(value)
    return buffer.getvalue()


# -- the file ----------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes) -> None:
    """Write, fsync, rename: after a crash the file holds the old state or the new, never half."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    if os.name == "posix":  # the rename itself survives a power cut once the folder is synced
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class UnreadableState(ValueError):
    pass


def read_state(path: Path, versions: dict[str, str]) -> dict | None:
    """The saved document, None when there is none; UnreadableState when it cannot be used."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(MAGIC):
        raise UnreadableState("it is not an emulator state file")
    try:
        doc = pickle.loads(data[len(MAGIC) :])
    except Exception as exc:  # a damaged pickle fails in many ways
        raise UnreadableState(f"it is damaged ({type(exc).__name__}: {exc})") from None
    if not isinstance(doc, dict) or doc.get("versions") != versions:
        found = doc.get("versions") if isinstance(doc, dict) else None
        raise UnreadableState(
            f"it was written by another version of the emulator ({_versions(found)}; "
            f"this one: {_versions(versions)})"
        )
    return doc


def _versions(versions: Any) -> str:
    if not isinstance(versions, dict):
        return "unknown"
    return ", ".join(f"{name} {value}" for name, value in versions.items())


def set_aside(path: Path) -> Path:
    """Keep a bad state file next to where it was, for a look later; return its new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    os.replace(path, aside)
    return aside


# -- a shared/exclusive lock -------------------------------------------------------------------


class SharedLock:
    """Many requests (shared) or one snapshot (exclusive).

    Requests are never made to wait for a waiting snapshot: a provider's request may call the
    emulator again over HTTP (nested shared holds), which would deadlock behind a queued writer.
    The snapshot waits up to a timeout instead, and tries again later.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self, timeout: float) -> Iterator[bool]:
        """Yields True with every request held off, or False if requests did not finish."""
        with self._cond:
            got = self._cond.wait_for(lambda: not self._readers and not self._writer, timeout)
            if got:
                self._writer = True
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self._writer = False
                    self._cond.notify_all()


# -- the saver ---------------------------------------------------------------------------------


class Persistence:
    """Restores at start, saves after changes; `path=None` is an ephemeral emulator."""

    def __init__(
        self,
        path: Path | None,
        snapshot: Callable[[], dict],
        restore: Callable[[dict], None],
        reset: Callable[[], None],
        versions: dict[str, str],
    ) -> None:
        self.path = path
        self._snapshot = snapshot
        self._restore = restore
        self._reset = reset
        self.versions = versions
        self.lock = SharedLock()
        self._save_lock = threading.Lock()  # one save (or reset) at a time
        self._wake = threading.Condition()
        self._first_change: float | None = None
        self._last_change = 0.0
        self._closed = False
        self.report: dict[str, Any] = {"mode": "ephemeral" if path is None else "durable"}
        self._thread: threading.Thread | None = None

    # restore ----------------------------------------------------------------------------------

    def restore(self) -> None:
        """Load the saved state, if any, and start the saving thread."""
        if self.path is None:
            self.report.update(started="empty")
            return
        self.report.update(file=str(self.path), started="empty")
        began = time.perf_counter()
        try:
            doc = read_state(self.path, self.versions)
        except (UnreadableState, OSError) as exc:
            self._start_empty(f"could not be used ({exc})")
            doc = None
        if doc is not None:
            try:
                self._restore(doc)
            except Exception as exc:  # a state this code cannot take back: start empty
                log.exception("restoring %s failed", self.path)
                self._reset()
                self._start_empty(f"could not be restored ({type(exc).__name__}: {exc})")
                doc = None
        if doc is not None:
            seconds = time.perf_counter() - began
            self.report.update(
                started="restored",
                saved_at=doc["saved_at"],
                restore_seconds=round(seconds, 3),
                bytes=self.path.stat().st_size,
            )
            log.info("Restored the state saved at %s in %.2f s", _when(doc["saved_at"]), seconds)
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def _start_empty(self, why: str) -> None:
        """Keep the bad file for a look later, say so in the log and the health report."""
        try:
            kept = f"it was set aside as {set_aside(self.path).name}"
        except OSError as exc:
            kept = f"it could not be moved aside ({exc}) and will be overwritten"
        note = f"The saved state {self.path} {why}; {kept}, and the emulator started empty."
        log.warning(note)
        self.report["note"] = note

    # changes ----------------------------------------------------------------------------------

    def changed(self) -> None:
        """Something was changed: save soon."""
        if self.path is None:
            return
        now = time.monotonic()
        with self._wake:
            self._last_change = now
            if self._first_change is None:
                self._first_change = now
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._first_change is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                due = min(self._last_change + QUIET_SECONDS, self._first_change + MAX_DELAY_SECONDS)
                wait = due - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue  # look again: a newer change may have moved the time
            if not self.save():
                time.sleep(RETRY_SECONDS)

    def save(self) -> bool:
        """Save now if anything changed; False when it must be tried again later."""
        if self.path is None:
            return True
        with self._save_lock:
            with self._wake:
                pending, self._first_change = self._first_change, None
            if pending is None:
                return True
            try:
                data = self._dump()
            except Exception:
                log.exception("saving the emulator state failed; trying again")
                data = None
            if data is None:
                with self._wake:  # keep the change pending
                    self._first_change = self._first_change or pending
                return False
            began = time.perf_counter()
            write_atomically(self.path, data)
            self.report.update(
                last_saved_at=time.time(),
                last_save_write_seconds=round(time.perf_counter() - began, 3),
                bytes=len(data),
            )
            return True

    def _dump(self) -> bytes | None:
        began = time.perf_counter()
        with self.lock.exclusive(WRITER_WAIT_SECONDS) as held:
            if not held:
                log.info("requests kept running; the state will be saved a little later")
                return None
            doc = {"versions": self.versions, "saved_at": time.time(), **self._snapshot()}
            data = MAGIC + dumps(doc)
        self.report["last_snapshot_seconds"] = round(time.perf_counter() - began, 3)
        return data

    def forget(self, empty_live_state: Callable[[], None]) -> None:
        """Reset: empty the live state and the saved one, with no save in between."""
        if self.path is None:
            empty_live_state()
            return
        with self._save_lock:
            empty_live_state()
            with self._wake:
                self._first_change = None
            self.path.unlink(missing_ok=True)
            for key in ("saved_at", "restore_seconds", "last_saved_at", "bytes", "counts"):
                self.report.pop(key, None)
            self.report["started"] = "empty"
            self.report["reset_at"] = time.time()

    def close(self) -> None:
        """Save what is pending and stop the thread (the emulator is stopping)."""
        if self.path is None or self._thread is None:
            return
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)
        for _ in range(3):
            if self.save():
                return
        log.warning("the last changes could not be saved before stopping")


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))
