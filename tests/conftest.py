from __future__ import annotations

import socket

import pytest

from workshop_lib.emulator.server import ThreadedEmulator


@pytest.fixture(scope="session")
def emulator():
    """The emulator in a thread of the test process, on a free port."""
    with ThreadedEmulator() as emu:
        yield emu


@pytest.fixture
def aws_env(emulator, monkeypatch):
    """Point boto3 and awswrangler at the threaded emulator through the environment alone."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    import boto3

    boto3.setup_default_session()
    yield emulator
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
