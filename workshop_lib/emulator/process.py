"""The emulator as a background process: start, stop and status, with a pid and a log file.

The pid file lets `stop` end exactly the process `start` launched; the health endpoint tells
whether something on the port really is the emulator. Portable to Windows: the start lock is
`filelock`'s (flock on POSIX, msvcrt on Windows), processes are ended through psutil (no POSIX
signal numbers) and the background process is detached the way each system does it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
from filelock import FileLock

from . import HEALTH_PATH, RESET_PATH
from .app import SERVICE_NAME
from .config import PACKAGE_ROOT, state_dir
from .persistence import state_file
from .server import HOST, PortInUseError, bind

# No proxy for 127.0.0.1, whatever HTTP_PROXY says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmulatorError(RuntimeError):
    pass


@dataclass
class Status:
    port: int
    running: bool
    pid: int | None = None
    uptime_seconds: float | None = None
    providers: list[dict] | None = None
    log_file: Path | None = None
    note: str = ""
    state: dict | None = None  # the health endpoint's "state": started empty or restored, ...

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def describe(self) -> str:
        if not self.running:
            return f"The emulator is not running on {self.url}." + (
                f" {self.note}" if self.note else ""
            )
        names = ", ".join(f"{p['name']} ({p['state']})" for p in self.providers or [])
        lines = [
            f"The emulator is running at {self.url}",
            f"  pid {self.pid}, up {self.uptime_seconds:.0f} s",
            f"  providers: {names}",
        ]
        if self.state:
            lines.append(f"  state: {describe_state(self.state)}")
        if self.log_file:
            lines.append(f"  log: {self.log_file}")
        return "\n".join(lines)


def pid_file(port: int) -> Path:
    return state_dir() / f"emulator-{port}.pid"


def log_file(port: int) -> Path:
    return state_dir() / f"emulator-{port}.log"


def lock_file(port: int) -> Path:
    """The file whose lock `start` holds while it checks for, and launches, an emulator."""
    return state_dir() / f"emulator-{port}.lock"


def health(port: int, timeout: float = 1.0) -> dict | None:
    """The emulator's health document, or None if nothing (or something else) answers."""
    try:
        with _opener.open(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=timeout) as resp:
            doc = json.loads(resp.read())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("service") == SERVICE_NAME else None


def _read_pid(port: int) -> int | None:
    try:
        return int(pid_file(port).read_text().strip())
    except (OSError, ValueError):
        return None


def _is_our_process(pid: int) -> bool:
    """True if pid is alive and runs this emulator (guards against a recycled pid)."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and "workshop_lib.emulator" in " ".join(
            proc.cmdline()
        )
    except psutil.Error:
        return False


def status(port: int) -> Status:
    doc = health(port)
    logged = log_file(port) if log_file(port).exists() else None
    if doc:
        return Status(
            port,
            True,
            doc["pid"],
            doc["uptime_seconds"],
            doc["providers"],
            logged,
            state=doc.get("state"),
        )
    pid = _read_pid(port)
    if pid and _is_our_process(pid):
        return Status(
            port,
            False,
            pid,
            log_file=logged,
            note=f"Its process {pid} exists but does not answer; see {logged}.",
        )
    if pid:
        pid_file(port).unlink(missing_ok=True)  # stale: the process is gone
    return Status(port, False, log_file=logged)


def start(port: int, timeout: float = 60.0, ephemeral: bool = False) -> tuple[Status, bool]:
    """Start the emulator in the background unless it runs; returns (status, started_now).

    A lock file makes kernels that connect at the same moment share one emulator. It restores
    the state saved under the state folder, unless ephemeral (or $WORKSHOP_EMULATOR_EPHEMERAL).
    """
    with FileLock(lock_file(port)):
        return _start_locked(port, timeout, ephemeral)


def detach_options(os_name: str = os.name) -> dict:
    """Popen options that let the emulator outlive the kernel or terminal that started it.

    POSIX: a new session, so the terminal's Ctrl-C and hang-up do not reach it. Windows ignores
    start_new_session: a new process group keeps the console's Ctrl-C away, and CREATE_NO_WINDOW
    gives it (and the Lambda and Glue subprocesses it starts) a console without a window.
    """
    if os_name == "nt":
        # the numbers of subprocess.CREATE_NEW_PROCESS_GROUP and CREATE_NO_WINDOW (Windows only)
        return {"creationflags": 0x00000200 | 0x08000000}
    return {"start_new_session": True}


def _start_locked(port: int, timeout: float, ephemeral: bool) -> tuple[Status, bool]:
    current = status(port)
    if current.running:
        return current, False
    bind(port).close()  # a busy port fails here, with a clear PortInUseError
    log = log_file(port)
    with open(log, "wb") as out:  # a fresh log per start
        proc = subprocess.Popen(
            [sys.executable, "-m", "workshop_lib.emulator", "serve", "--port", str(port)]
            + (["--ephemeral"] if ephemeral else []),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PACKAGE_ROOT,
            **detach_options(),  # survives the kernel that started it
        )
    pid_file(port).write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid_file(port).unlink(missing_ok=True)
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            if any("already in use" in line for line in tail):
                raise PortInUseError(port)
            raise EmulatorError(
                f"The emulator exited at start (code {proc.returncode}). Last lines of {log}:\n"
                + "\n".join(tail)
            )
        doc = health(port, timeout=0.5)
        if doc and doc["pid"] == proc.pid:
            return status(port), True
        time.sleep(0.05)
    _terminate(proc.pid)
    pid_file(port).unlink(missing_ok=True)
    raise EmulatorError(f"The emulator did not answer within {timeout:.0f} s; see {log}.")


def _terminate(pid: int, grace: float = 5.0, os_name: str = os.name) -> None:
    """End the emulator: politely, then by force after `grace` seconds.

    psutil's terminate() is SIGTERM on POSIX (the emulator then stops as on Ctrl-C and its own
    exit handlers end its Lambda workers) and TerminateProcess on Windows, which runs no handler
    of the emulator: there its subprocesses (Lambda workers, Glue job runs) are ended here too.
    """
    try:
        proc = psutil.Process(pid)
        children = proc.children(recursive=True) if os_name == "nt" else []
    except psutil.NoSuchProcess:
        return
    try:
        proc.terminate()
        proc.wait(timeout=grace)
    except psutil.TimeoutExpired:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    except psutil.NoSuchProcess:
        pass
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def stop(port: int) -> int | None:
    """Stop the emulator that `start` launched on this port; returns its pid, or None."""
    pid = _read_pid(port)
    pid_file(port).unlink(missing_ok=True)
    if pid is None or not _is_our_process(pid):
        return None
    _terminate(pid)
    return pid


def reset(port: int) -> str:
    """Empty the emulator's state: the running one's (which forgets its saved file too), or the
    file a stopped one would restore. Returns what was done, in a sentence."""
    if health(port) is not None:
        request = urllib.request.Request(f"http://{HOST}:{port}{RESET_PATH}", method="POST")
        _opener.open(request, timeout=60).close()
        return f"Reset the emulator on port {port}: it is empty, and so is its saved state."
    path = state_file(port)
    if path.exists():
        path.unlink()
        return f"Deleted the emulator's saved state {path}; it will start empty."
    return f"No saved state for port {port} ({path}); nothing to reset."


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def describe_state(state: dict) -> str:
    """One line a learner understands: what the emulator holds from before, and since when."""
    if state.get("mode") == "ephemeral":
        return "kept in memory only (--ephemeral): a restart starts empty"
    if state.get("started") == "restored":
        counts = state.get("counts") or {}
        what = ", ".join(_count(n, label) for label, n in counts.items()) or "nothing"
        return f"restored from {_when(state['saved_at'])}: {what}"
    text = "started empty"
    if state.get("reset_at"):
        text = f"reset at {_when(state['reset_at'])}"
    if state.get("note"):
        text += f" ({state['note']})"
    return text


def _count(n: int, label: str) -> str:
    """2 buckets, 1 bucket (every label is a plural made with a final "s")."""
    return f"{n} {label}" if n != 1 else f"1 {label.removesuffix('s')}"
