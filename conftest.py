"""Session-wide isolation for every test, nbval notebook included.

Tests get their own emulator port and state folder (so a learner's running emulator is never
touched), emulators that save nothing (WORKSHOP_EMULATOR_EPHEMERAL) and no AWS configuration
from the machine (so nothing can reach a real account).
Tests marked `aws` run only with WORKSHOP_TEST_AWS=1, which also keeps the machine's AWS settings.
"""

from __future__ import annotations

import os
import socket
import tempfile

_STATE = tempfile.mkdtemp(prefix="workshop-tests-")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REAL_AWS = os.environ.get("WORKSHOP_TEST_AWS") == "1"

for _name in [n for n in os.environ if n.startswith(("AWS_", "WR_", "WORKSHOP_"))]:
    if not (REAL_AWS and _name.startswith(("AWS_", "WORKSHOP_STACK"))):
        del os.environ[_name]  # a real-account run keeps its credentials and stack
os.environ.update(
    {
        "WORKSHOP_STATE_DIR": _STATE,
        "WORKSHOP_EMULATOR_PORT": str(_free_port()),
        # throwaway emulators keep nothing; persistence tests turn this off where they test it
        "WORKSHOP_EMULATOR_EPHEMERAL": "1",
    }
)
if not REAL_AWS:
    os.environ.update(
        {
            "AWS_CONFIG_FILE": os.path.join(_STATE, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(_STATE, "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )


def pytest_collection_modifyitems(config, items) -> None:
    import pytest

    if REAL_AWS:
        return
    skip = pytest.mark.skip(reason="needs a real AWS account: set WORKSHOP_TEST_AWS=1")
    for item in items:
        if "aws" in item.keywords:
            item.add_marker(skip)


_notebooks_started = False


def pytest_runtest_setup(item) -> None:
    """nbval's notebooks start from a fresh emulator, as their stored outputs did (`make golden`).

    Earlier tests (the runner's run of 01 -> 05) share this emulator; Segment would drop the
    live events of notebook 01 as repeats, and every count downstream would differ.
    """
    global _notebooks_started
    if _notebooks_started or not str(item.fspath).endswith(".ipynb"):
        return
    _notebooks_started = True
    import urllib.request

    from workshop_lib.emulator import RESET_PATH, process

    port = int(os.environ["WORKSHOP_EMULATOR_PORT"])
    if process.status(port).running:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{RESET_PATH}", method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(request, timeout=60).close()


def pytest_terminal_summary(terminalreporter) -> None:
    """Report the shared emulator's memory, then stop it (by its pid file)."""
    import psutil

    from workshop_lib.emulator import process

    port = int(os.environ["WORKSHOP_EMULATOR_PORT"])
    current = process.status(port)
    if current.running:
        rss = psutil.Process(current.pid).memory_info().rss / 2**20
        terminalreporter.write_line(
            f"shared test emulator: pid {current.pid}, resident memory {rss:.0f} MiB, "
            f"up {current.uptime_seconds:.0f} s; stopping it"
        )
    process.stop(port)
