"""Where the kit's folders are, wherever the caller's working directory is."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "data" / "sample"


def state_dir() -> Path:
    """Folder for local run state (emulator pid and log files); git ignores it.

    WORKSHOP_STATE_DIR moves it, so tests never touch a learner's running emulator.
    """
    path = Path(os.environ.get("WORKSHOP_STATE_DIR") or REPO_ROOT / ".workshop")
    path.mkdir(parents=True, exist_ok=True)
    return path
