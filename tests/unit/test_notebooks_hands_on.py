"""The exercise notebooks teach by doing: the calls are in the cells, and learners get tasks.

Counted as a learner reads the notebook: a code cell "shows a call" when its own source holds
a boto3/awswrangler call, SQL text, a Segment client call or an HTTP request.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from workshop_lib.paths import NOTEBOOKS_DIR
from workshop_lib.solutions import TAG, task_cells

EXERCISES = sorted(NOTEBOOKS_DIR.glob("0[1-4]_*.ipynb"))
SOLUTIONS = NOTEBOOKS_DIR / "solutions"

CALL = re.compile(
    r"\.(create|put|get|start|describe|list|delete|update|add|filter|upload)_\w+\("
    r"|\b(SELECT|CREATE (EXTERNAL )?TABLE|CREATE DATABASE|MSCK)\b"
    r"|\banalytics\.(track|identify|page|flush|alias|group)\("
    r"|\b(requests|session|http)\.(get|post|put|delete)\("
    r"|\bwr\.\w+\.\w+\("
    r"|\.invoke\("
    r"|\bensure\(\s*\w+\.\w+,"  # ensure(personalize.create_x, ...): the create call, rerunnable
)


def _code_cells(nb) -> list:
    """Code cells a learner works through: the parameters and connect cells aside."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and "parameters" not in c.metadata.get("tags", [])
        and "workshop_lib.connect(" not in c.source
    ]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name[:2])
def test_most_cells_show_the_call_they_teach(path):
    cells = _code_cells(_read(path))
    showing = [c for c in cells if CALL.search(c.source)]
    assert len(showing) >= 0.6 * len(cells), (
        f"{path.name}: {len(showing)} of {len(cells)} code cells show a call"
    )


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name[:2])
def test_at_least_two_tasks_each_with_a_solution_and_a_check(path):
    nb = _read(path)
    tasks = task_cells(nb)
    assert len(tasks) >= 2, f"{path.name} has {len(tasks)} tasks"
    for cell in tasks:
        assert TAG in cell.metadata.get("tags", []), cell.source[:60]
        assert (SOLUTIONS / cell.metadata["solution"]).is_file(), cell.metadata["solution"]
        index = nb.cells.index(cell)
        intro = nb.cells[index - 1]
        assert intro.cell_type == "markdown" and "Your turn" in intro.source, intro.source[:80]
        assert cell.metadata["solution"] in intro.source  # the learner is told where it is
        after = [c for c in nb.cells[index + 1 :] if c.cell_type == "code"][:2]
        assert any("check." in c.source for c in after), f"no check after {cell.source[:60]}"


def test_every_solution_file_belongs_to_a_task():
    used = {c.metadata["solution"] for p in EXERCISES for c in task_cells(_read(p))}
    files = {p.name for p in SOLUTIONS.glob("*") if p.is_file()}
    assert files == used


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("0*.ipynb")), ids=lambda p: p.name[:2])
def test_no_test_marker_is_visible_to_learners(path):
    """nbval reads cell tags (nbval-ignore-output); a comment in the code is noise to learners."""
    for cell in _read(path).cells:
        assert "NBVAL_" not in cell.source, cell.source[:60]
