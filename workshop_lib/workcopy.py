"""The learner's working copy: `my-notebooks/`, made from `notebooks/` the first time.

The committed notebooks are the golden reference (nbval compares their outputs, papermill runs
them), so learners edit a git-ignored copy. `make lab` opens JupyterLab there. `restore` puts
one notebook back as it was in the kit, after keeping the learner's version in `.backup/`.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .paths import NOTEBOOKS_DIR, REPO_ROOT

COPY_DIR = REPO_ROOT / "my-notebooks"
BACKUP_DIR_NAME = ".backup"
SUPPORT_DIRS = ("solutions", "images")  # the notebooks link to them by relative paths


def _notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def make_copy(source: Path = NOTEBOOKS_DIR, copy: Path = COPY_DIR) -> list[str]:
    """Copy what the copy lacks (all of it the first time); never overwrite the learner's
    notebooks. The solutions and images are refreshed from the kit. Returns the files added."""
    copy.mkdir(parents=True, exist_ok=True)
    added = []
    for notebook in _notebooks(source):
        if not (copy / notebook.name).exists():
            shutil.copy2(notebook, copy / notebook.name)
            added.append(notebook.name)
    for folder in SUPPORT_DIRS:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, copy / folder, dirs_exist_ok=True)
    return added


def _match(prefix: str, folder: Path) -> Path:
    found = [p for p in _notebooks(folder) if p.name.startswith(prefix)]
    if len(found) != 1:
        names = ", ".join(p.name for p in _notebooks(folder))
        raise ValueError(f"{prefix!r} names {len(found)} notebooks; choose one of: {names}")
    return found[0]


def restore(
    prefix: str, source: Path = NOTEBOOKS_DIR, copy: Path = COPY_DIR
) -> tuple[Path, Path | None]:
    """Put the kit's version of one notebook (e.g. "02") into the copy. The learner's version
    is kept in my-notebooks/.backup/ first. Returns (restored file, backup or None)."""
    original = _match(prefix, source)
    target = copy / original.name
    backup = None
    if target.exists():
        backup_dir = copy / BACKUP_DIR_NAME
        backup_dir.mkdir(parents=True, exist_ok=True)
        backup = backup_dir / f"{target.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        shutil.copy2(target, backup)
    copy.mkdir(parents=True, exist_ok=True)
    shutil.copy2(original, target)
    return target, backup
