"""The learner's working copy: made once, never overwritten, one notebook restorable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workshop_lib import workcopy
from workshop_lib.paths import REPO_ROOT


@pytest.fixture
def kit(tmp_path):
    source = tmp_path / "notebooks"
    (source / "solutions").mkdir(parents=True)
    (source / "01_first.ipynb").write_text("golden 01")
    (source / "02_second.ipynb").write_text("golden 02")
    (source / "solutions" / "01_task.py").write_text("answer")
    return source, tmp_path / "my-notebooks"


def test_first_copy_takes_everything_then_nothing_is_overwritten(kit):
    source, copy = kit
    assert workcopy.make_copy(source, copy) == ["01_first.ipynb", "02_second.ipynb"]
    assert (copy / "solutions" / "01_task.py").read_text() == "answer"
    (copy / "01_first.ipynb").write_text("my edits")
    (source / "03_third.ipynb").write_text("golden 03")
    assert workcopy.make_copy(source, copy) == ["03_third.ipynb"]
    assert (copy / "01_first.ipynb").read_text() == "my edits"


def test_restore_keeps_the_learners_version(kit):
    source, copy = kit
    workcopy.make_copy(source, copy)
    (copy / "02_second.ipynb").write_text("my edits")
    restored, backup = workcopy.restore("02", source, copy)
    assert restored.read_text() == "golden 02"
    assert backup.parent == copy / ".backup" and backup.read_text() == "my edits"


def test_restore_names_the_choices_when_ambiguous(kit):
    source, copy = kit
    with pytest.raises(ValueError, match=r"01_first\.ipynb, 02_second\.ipynb"):
        workcopy.restore("0", source, copy)


def test_the_copy_is_ignored_by_git():
    """After `make lab` and edits in the copy, `git status` stays clean."""
    probe = workcopy.COPY_DIR / "01_probe.ipynb"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=REPO_ROOT, check=False)
    assert ignored.returncode == 0


def test_cli_restore_error_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "workshop_lib", "restore", "99"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: '99' names 0 notebooks")
