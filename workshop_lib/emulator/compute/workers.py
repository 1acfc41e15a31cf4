"""Warm Lambda workers: one subprocess per execution environment, pooled per function.

A worker is started on the first call, reused for the next ones and replaced when the function's
code or configuration changes (its `signature`). Concurrent calls get more workers, up to a cap,
as Lambda scales out execution environments. Workers die with the emulator (stdin EOF, Linux
parent-death signal, atexit) and on reset.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import selectors
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from .lambda_runtime import RESULT_MARKER

RUNTIME_SCRIPT = Path(__file__).with_name("lambda_runtime.py")
MAX_WORKERS_PER_FUNCTION = 8
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit
IDLE_SECONDS = 600.0  # an idle worker older than this is stopped (Lambda freezes then reclaims)


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker runs: the same signature means the same code and configuration."""

    key: str  # the function (and qualifier) the workers belong to
    signature: str
    code_dir: Path
    env: dict[str, str]
    log_stream_prefix: str = ""  # each worker adds its own id: one log stream per environment


@dataclass
class Outcome:
    """One invocation as the worker reported it."""

    status: str  # "ok", "error" (handler or init error), "timeout", "exit" (worker died)
    payload: str | None = None
    error: dict | None = None
    output: bytes = b""  # what the function wrote during this call
    init_ms: float | None = None  # set on a cold start
    init_output: bytes = b""
    duration_ms: float = 0.0
    max_rss_kb: int = 0
    exit_code: int | None = None


class WorkerExited(Exception):
    def __init__(self, output: bytes, code: int | None) -> None:
        super().__init__(f"worker exited with {code}")
        self.output = output
        self.code = code


class Worker:
    """One execution environment: a `lambda_runtime.py` subprocess and its result stream."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.token = secrets.token_hex(8).encode()
        self.marker = RESULT_MARKER + self.token + b":"
        self.group: _FunctionWorkers | None = None  # the pool group that counts this worker
        self.log_stream = spec.log_stream_prefix + secrets.token_hex(16)
        self.last_used = time.monotonic()
        self._buffer = bytearray()
        env = {
            **spec.env,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "_WORKSHOP_WORKER_TOKEN": self.token.decode(),
        }
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(RUNTIME_SCRIPT)],
            cwd=spec.code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.init_output = b""
        self.init_error: dict | None = None
        try:
            ready, self.init_output = self._read_result(started + INIT_TIMEOUT_SECONDS)
        except (TimeoutError, WorkerExited) as exc:
            self.stop()
            self.init_error = {
                "errorMessage": f"Runtime failed to start: {exc}",
                "errorType": "Runtime.Unknown",
                "stackTrace": [],
            }
            self.init_output = getattr(exc, "output", b"")
            ready = {}
        self.init_ms = (time.monotonic() - started) * 1000
        self.init_error = self.init_error or ready.get("error")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, request: dict, timeout: float) -> Outcome:
        """Send one event and wait for its result, at most `timeout` seconds."""
        started = time.monotonic()
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
            result, output = self._read_result(started + timeout)
        except TimeoutError as exc:
            self.stop()
            return Outcome("timeout", output=exc.args[0], duration_ms=timeout * 1000)
        except (WorkerExited, OSError, ValueError) as exc:  # died, or stopped by a reset
            self.stop()
            output = exc.output if isinstance(exc, WorkerExited) else b""
            return Outcome("exit", output=output, exit_code=self.process.returncode)
        finally:
            self.last_used = time.monotonic()
        return Outcome(
            "error" if "error" in result else "ok",
            payload=result.get("payload"),
            error=result.get("error"),
            output=output,
            duration_ms=(time.monotonic() - started) * 1000,
            max_rss_kb=result.get("max_rss_kb", 0),
        )

    def _read_result(self, deadline: float) -> tuple[dict, bytes]:
        """Read output until the framed result: (result, what the function printed before)."""
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                found = self._frame()
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    if self._frame() is None:
                        raise TimeoutError(self._take_output())
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    self.process.wait()
                    raise WorkerExited(self._take_output(), self.process.returncode)
                self._buffer += chunk

    def _frame(self) -> tuple[dict, bytes] | None:
        start = self._buffer.find(self.marker)
        if start < 0:
            return None
        header_end = self._buffer.find(b"\n", start + len(self.marker))
        if header_end < 0:
            return None
        length = int(self._buffer[start + len(self.marker) : header_end])
        end = header_end + 1 + length
        if len(self._buffer) < end:
            return None
        result = json.loads(bytes(self._buffer[header_end + 1 : end]))
        output = bytes(self._buffer[:start])
        del self._buffer[:end]
        return result, output

    def _take_output(self) -> bytes:
        output = bytes(self._buffer)
        self._buffer.clear()
        return output

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()


@dataclass
class _FunctionWorkers:
    signature: str = ""
    idle: list[Worker] = field(default_factory=list)
    count: int = 0  # idle + busy workers of the current signature


class WorkerPool:
    """Warm workers per function; `acquire` blocks while all of a function's workers are busy."""

    def __init__(self, max_per_function: int = MAX_WORKERS_PER_FUNCTION) -> None:
        self.max_per_function = max_per_function
        self._functions: dict[str, _FunctionWorkers] = {}
        self._all: weakref.WeakSet[Worker] = weakref.WeakSet()
        self._changed = threading.Condition()
        atexit.register(self.stop_all)

    def acquire(self, spec: WorkerSpec) -> tuple[Worker, bool]:
        """A warm worker for `spec`, or a new one: (worker, cold_start)."""
        stale: list[Worker] = []
        worker: Worker | None = None
        with self._changed:
            self._stop_idle_for_too_long(stale)
            group = self._functions.setdefault(spec.key, _FunctionWorkers())
            if group.signature != spec.signature:  # new code or configuration: new workers
                stale += group.idle
                self._functions[spec.key] = group = _FunctionWorkers(spec.signature)
            while True:
                worker = self._pop_live(group)
                if worker or group.count < self.max_per_function:
                    break
                self._changed.wait()
                if self._functions.get(spec.key) is not group:
                    break  # updated or reset meanwhile: one worker outside the pool, then gone
            # Not counted when the group was replaced meanwhile: a one-off worker, then stopped.
            counted_in = group if self._functions.get(spec.key) is group else None
            if worker is None and counted_in is not None:
                group.count += 1
        for old in stale:
            old.stop()
        if worker:
            return worker, False
        try:
            worker = Worker(spec)
        except BaseException:
            self._discard(counted_in)
            raise
        worker.group = counted_in
        self._all.add(worker)
        return worker, True

    @staticmethod
    def _pop_live(group: _FunctionWorkers) -> Worker | None:
        while group.idle:
            worker = group.idle.pop()
            if worker.alive:
                return worker
            group.count -= 1
        return None

    def release(self, worker: Worker) -> None:
        """Give a worker back after a call; a dead or outdated one is dropped."""
        group = worker.group
        with self._changed:
            current = group is not None and self._functions.get(worker.spec.key) is group
            keep = current and worker.alive and worker.init_error is None
            if keep:
                group.idle.append(worker)
            elif current:
                group.count -= 1
            self._changed.notify_all()
        if not keep:
            worker.stop()

    def _discard(self, group: _FunctionWorkers | None) -> None:
        """A worker counted in `group` could not start."""
        with self._changed:
            if group is not None and group.count > 0:
                group.count -= 1
            self._changed.notify_all()

    def _stop_idle_for_too_long(self, stale: list[Worker]) -> None:
        limit = time.monotonic() - IDLE_SECONDS
        for group in self._functions.values():
            old = [w for w in group.idle if w.last_used < limit]
            for worker in old:
                group.idle.remove(worker)
                group.count -= 1
            stale += old

    def worker_count(self) -> int:
        """Workers alive now, idle or busy (the health endpoint shows it)."""
        with self._changed:
            return sum(group.count for group in self._functions.values())

    def stop_all(self) -> None:
        """Stop every worker (reset, emulator exit); busy ones end their call as 'exit'."""
        with self._changed:
            workers = list(self._all)  # before clearing: idle workers are only referenced there
            self._functions.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.stop()
