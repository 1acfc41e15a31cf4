"""The issue's promise: a learner whose laptop dies after notebook 02 goes on with notebook 03.

Notebooks 01 and 02 run on an emulator that saves its state; once it has been idle two seconds it
is killed with SIGKILL (no chance to save anything then), and notebook 03 alone runs next: its
connect() starts the emulator again, which restores the bucket, the tables, the trained models,
the campaigns and the rest, so 03 needs no re-run of 01-02.
"""

from __future__ import annotations

import socket
import time

import psutil
import pytest

from tests.notebooks.fresh_emulator import cell, outputs
from workshop_lib.emulator import process
from workshop_lib.emulator.config import ENV_EPHEMERAL, ENV_PORT, ENV_STATE_DIR
from workshop_lib.runner import run_notebooks

pytestmark = pytest.mark.slow
NOTEBOOK = "03_recommendations_api.ipynb"


def test_notebook_03_runs_after_a_sigkill_that_followed_notebook_02(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_PORT, str(port))
        patch.setenv(ENV_STATE_DIR, str(tmp_path / "state"))
        patch.delenv(ENV_EPHEMERAL, raising=False)
        try:
            process.start(port)
            results = run_notebooks("local", output_dir=tmp_path / "before", only=["01", "02"])
            assert [r.status for r in results] == ["ok"] * 2, [r.error for r in results]
            time.sleep(2.5)  # idle for two seconds: what 01-02 made has been saved
            crashed = psutil.Process(process.status(port).pid)
            crashed.kill()
            crashed.wait(10)
            assert not process.status(port).running

            [after] = run_notebooks("local", output_dir=tmp_path / "after", only=["03"])
            assert after.status == "ok", after.error
            texts = outputs(tmp_path / "after" / NOTEBOOK)
            line = cell(texts, "connect(")
            assert "Local emulator" in line and "restored from" in line, line
            assert "1 bucket" in line and "campaigns" in line, line
            assert process.status(port).pid != crashed.pid
        finally:
            process.stop(port)
