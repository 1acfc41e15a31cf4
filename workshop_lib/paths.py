"""Where the kit's folders are, wherever the caller's working directory is."""

from __future__ import annotations

from pathlib import Path

from .emulator.config import state_dir as state_dir  # the emulator owns its state folder

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "data" / "sample"
