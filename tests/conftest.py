from __future__ import annotations

import socket

import pytest

from workshop_lib.emulator.server import ThreadedEmulator


@pytest.fixture(scope="session")
def emulator():
    """The emulator in a thread of the test process, on a free port."""
    with ThreadedEmulator() as emu:
        yield emu


def _point_at(emulator, patch) -> None:
    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        patch.setenv(name, value)
    boto3.setup_default_session()


@pytest.fixture
def aws_env(emulator, monkeypatch):
    """Point boto3 and awswrangler at the threaded emulator through the environment alone."""
    import boto3

    _point_at(emulator, monkeypatch)
    yield emulator
    boto3.DEFAULT_SESSION = None


@pytest.fixture(scope="module")
def module_aws_env(emulator):
    """aws_env for module-scoped fixtures; the environment is restored after the module."""
    import boto3

    with pytest.MonkeyPatch.context() as patch:
        _point_at(emulator, patch)
        yield emulator
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
