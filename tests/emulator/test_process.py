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
