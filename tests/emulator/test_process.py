"""`python -m workshop_lib.emulator start|stop|status|serve` as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import psutil
import pytest

from workshop_lib.emulator import process


def cli(*args: str, state_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKSHOP_STATE_DIR": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "workshop_lib.emulator", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_STATE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def started(state_dir, free_port):
    """An emulator started in the background; stopped at the end whatever happens."""
    result = cli("start", "--port", str(free_port), state_dir=state_dir)
    assert result.returncode == 0, result.stderr
    yield free_port
    process.stop(free_port)


def test_start_status_stop_cycle(state_dir, started):
    port = started
    pid = int((state_dir / f"emulator-{port}.pid").read_text())
    assert process.health(port)["pid"] == pid

    status = cli("status", "--port", str(port), state_dir=state_dir)
    assert status.returncode == 0
    assert f"running at http://127.0.0.1:{port}" in status.stdout
    assert f"pid {pid}" in status.stdout
    assert "moto (ready)" in status.stdout

    again = cli("start", "--port", str(port), state_dir=state_dir)
    assert again.returncode == 0 and "Already running" in again.stdout
    assert process.health(port)["pid"] == pid  # reused, not a second process

    stop = cli("stop", "--port", str(port), state_dir=state_dir)
    assert stop.returncode == 0 and f"(pid {pid})" in stop.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (state_dir / f"emulator-{port}.pid").exists()

    after = cli("status", "--port", str(port), state_dir=state_dir)
    assert after.returncode == 3 and "not running" in after.stdout


def test_listens_on_loopback_only(started):
    pid = process.health(started)["pid"]
    listening = [
        c.laddr
        for c in psutil.Process(pid).net_connections("tcp")
        if c.status == psutil.CONN_LISTEN
    ]
    assert [(a.ip, a.port) for a in listening] == [("127.0.0.1", started)]


@pytest.mark.parametrize("command", ["start", "serve"])
def test_busy_port_is_a_clear_error(state_dir, free_port, command):
    with socket.socket() as other:
        other.bind(("127.0.0.1", free_port))
        other.listen()
        result = cli(command, "--port", str(free_port), state_dir=state_dir)
    assert result.returncode == 2
    assert f"Port {free_port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr and "WORKSHOP_EMULATOR_PORT" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state_dir / f"emulator-{free_port}.pid").exists()


def test_stop_ends_only_its_own_process(state_dir, started):
    with socket.socket() as sock:  # a second free port (not just the first one plus one)
        sock.bind(("127.0.0.1", 0))
        other_port = sock.getsockname()[1]
    assert cli("start", "--port", str(other_port), state_dir=state_dir).returncode == 0
    try:
        first, second = process.health(started)["pid"], process.health(other_port)["pid"]
        assert cli("stop", "--port", str(started), state_dir=state_dir).returncode == 0
        assert process.health(started) is None
        assert process.health(other_port)["pid"] == second != first
    finally:
        process.stop(other_port)


def test_stop_never_kills_a_foreign_pid(state_dir, free_port):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (state_dir / f"emulator-{free_port}.pid").write_text(str(bystander.pid))
        result = cli("stop", "--port", str(free_port), state_dir=state_dir)
        assert result.returncode == 0 and "nothing to stop" in result.stdout
        assert bystander.poll() is None  # still alive
    finally:
        bystander.kill()
        bystander.wait()


def test_stale_pid_file_is_cleared_by_status(state_dir, free_port):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (state_dir / f"emulator-{free_port}.pid").write_text(str(gone.pid))
    result = cli("status", "--port", str(free_port), state_dir=state_dir)
    assert result.returncode == 3
    assert not (state_dir / f"emulator-{free_port}.pid").exists()


def test_bad_port_is_a_clear_error(state_dir):
    result = cli("status", "--port", "http", state_dir=state_dir)
    assert result.returncode == 1
    assert "must be a number" in result.stderr


def test_kernels_connecting_at_once_share_one_emulator(state_dir, free_port):
    from concurrent.futures import ThreadPoolExecutor

    try:
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(lambda _: process.start(free_port), range(4)))
        pids = {status.pid for status, _ in outcomes}
        assert len(pids) == 1
        assert sum(started for _, started in outcomes) == 1
    finally:
        process.stop(free_port)


# Portability (issue 19: Windows laptops). No Windows machine here: these tests run the code paths
# each system takes on this one, choosing the system by argument or by monkeypatching.


def test_start_holds_the_lock_while_it_checks_and_launches(state_dir, free_port, monkeypatch):
    from filelock import FileLock, Timeout

    seen = []

    def probe(port, timeout, ephemeral):
        try:  # another holder (as another kernel's start would be) cannot take it now
            with FileLock(process.lock_file(port), timeout=0):
                seen.append("free")
        except Timeout:
            seen.append("held")
        return "status", True

    monkeypatch.setattr(process, "_start_locked", probe)
    assert process.start(free_port) == ("status", True)
    assert seen == ["held"]
    with FileLock(process.lock_file(free_port), timeout=0):  # released afterwards
        pass


def test_process_module_needs_no_fcntl(tmp_path):
    """The import that stopped the emulator on Windows is gone: with neither fcntl nor msvcrt
    (filelock then falls back to its soft lock) the module imports and the lock works."""
    code = (
        "import sys; sys.modules['fcntl'] = None; sys.modules['msvcrt'] = None\n"
        "from workshop_lib.emulator import process\n"
        "from filelock import FileLock\n"
        "with FileLock(process.lock_file(4599), timeout=1) as lock:\n"
        "    print(type(lock).__name__, lock.is_locked)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "WORKSHOP_STATE_DIR": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SoftFileLock", "True"]


def test_detach_options_per_system():
    assert process.detach_options("posix") == {"start_new_session": True}
    # CREATE_NEW_PROCESS_GROUP (0x200) | CREATE_NO_WINDOW (0x08000000), as Windows defines them
    assert process.detach_options("nt") == {"creationflags": 0x08000200}


def _spawn(code: str) -> psutil.Process:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"  # its handlers and children are in place
    return psutil.Process(proc.pid)


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_terminate_ends_a_process_politely():
    proc = _spawn("import time; print('ready', flush=True); time.sleep(60)")
    process._terminate(proc.pid, grace=5)
    assert _gone(proc)


def test_terminate_kills_a_process_that_ignores_the_polite_request():
    proc = _spawn(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True); time.sleep(60)"
    )
    process._terminate(proc.pid, grace=0.5)
    proc.wait(timeout=5)
    assert _gone(proc)


PARENT_WITH_CHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('ready', flush=True); time.sleep(60)"
)


def test_terminate_on_windows_ends_the_emulators_subprocesses_too():
    """Windows' TerminateProcess runs none of the emulator's exit handlers: its Lambda workers
    and Glue runs are ended by _terminate itself (the os_name="nt" path, run here)."""
    parent = _spawn(PARENT_WITH_CHILD)
    (child,) = parent.children()
    process._terminate(parent.pid, grace=5, os_name="nt")
    child.wait(timeout=5)
    assert _gone(parent) and _gone(child)


def test_terminate_on_posix_leaves_children_to_the_emulator():
    parent = _spawn(PARENT_WITH_CHILD)
    (child,) = parent.children()
    try:
        process._terminate(parent.pid, grace=5, os_name="posix")
        assert _gone(parent)
        assert child.is_running() and not _gone(child)  # SIGTERM's handlers end them there
    finally:
        child.kill()


def test_terminate_of_a_gone_pid_is_quiet():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    process._terminate(gone.pid)  # no exception


def test_bind_option_is_exclusive_on_windows(monkeypatch):
    from workshop_lib.emulator import server

    assert server._address_option() == socket.SO_REUSEADDR  # POSIX: TIME_WAIT is not busy
    monkeypatch.setattr(socket, "SO_EXCLUSIVEADDRUSE", -5, raising=False)  # Windows' ~SO_REUSEADDR
    assert server._address_option() == -5


@pytest.mark.parametrize("winerror", [10048, 10013])
def test_bind_reads_windows_busy_port_errors(monkeypatch, winerror):
    from workshop_lib.emulator import server

    class WindowsSocket(socket.socket):
        def bind(self, address):
            exc = OSError(winerror, "Only one usage of each socket address is normally permitted")
            exc.winerror = winerror  # what Windows sets; errno is then not EADDRINUSE
            raise exc

    monkeypatch.setattr(server.socket, "socket", WindowsSocket)
    with pytest.raises(server.PortInUseError, match=r"Port 4599 on 127\.0\.0\.1 is already in use"):
        server.bind(4599)


def test_stale_cache_check_never_signals_a_process(tmp_path, monkeypatch):
    """os.kill(pid, 0) would end the process on Windows; the stale-cache sweep asks psutil."""
    from workshop_lib.emulator.athena import s3files

    class OsWithoutKill:  # s3files' own `os` (psutil keeps the real one: it calls os.kill on POSIX)
        def __getattr__(self, name):
            return getattr(os, name)

        def kill(self, *args):
            raise AssertionError(f"os.kill{args} was called")

    monkeypatch.setattr(s3files, "os", OsWithoutKill())
    monkeypatch.setattr(s3files.tempfile, "gettempdir", lambda: str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for pid in (gone.pid, alive.pid):
            (tmp_path / f"workshop-athena-cache-{pid}").mkdir()
        s3files._remove_stale_caches()
        assert [p.name for p in tmp_path.iterdir()] == [f"workshop-athena-cache-{alive.pid}"]
    finally:
        alive.kill()
        alive.wait()
