"""Refresh the notebooks' stored outputs (the golden outputs nbval checks): `make golden`.

Each notebook is executed in place, in order, on the local target against a private emulator
(its own state folder, on the default port), so the outputs come from a fresh state.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

from .paths import NOTEBOOKS_DIR
from .runner import QUIET_KERNEL, discover
from .settings import DEFAULT_PORT, ENV_PORT, ENV_TARGET


def _port() -> int:
    """The default port: the outputs show what learners see (a test keeps them on it)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", DEFAULT_PORT))
        except OSError:
            sys.exit(
                f"The default port {DEFAULT_PORT} is taken, and the golden outputs must show it: "
                "stop the emulator there (python -m workshop_lib.emulator stop), then run again."
            )
        return sock.getsockname()[1]


def refresh(notebooks: list[Path], timeout: int = 600) -> None:
    import nbclient
    import nbformat

    from .emulator import process

    with tempfile.TemporaryDirectory() as state:
        os.environ.update(
            {"WORKSHOP_STATE_DIR": state, ENV_PORT: str(_port()), ENV_TARGET: "local"}
        )
        try:
            for path in notebooks:
                print(f"executing {path.name} in place ...", flush=True)
                nb = nbformat.read(path, as_version=4)
                for cell in nb.cells:
                    cell.metadata.pop("execution", None)  # timings of an earlier run
                client = nbclient.NotebookClient(
                    nb,
                    kernel_name="python3",
                    timeout=timeout,
                    extra_arguments=QUIET_KERNEL,
                    record_timing=False,  # no timestamps in committed notebooks
                    resources={"metadata": {"path": str(path.parent)}},
                )
                client.execute()
                nbformat.write(nb, path)
        finally:
            process.stop(int(os.environ[ENV_PORT]))


if __name__ == "__main__":
    chosen = [
        p
        for p in discover(NOTEBOOKS_DIR)
        if not sys.argv[1:] or any(p.name.startswith(a) for a in sys.argv[1:])
    ]
    refresh(chosen)
