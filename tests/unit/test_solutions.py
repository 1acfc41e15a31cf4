"""Task cells get their worked solutions for a run; the notebook file is left as it is."""

from __future__ import annotations

import nbformat
import pytest

from workshop_lib.solutions import inject, with_solutions


def _notebook(tmp_path, solution="01_task.py"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(
            "answer = None  # TODO", metadata={"tags": ["your-turn"], "solution": solution}
        ),
    ]
    path = tmp_path / "01_nb.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "solutions").mkdir(exist_ok=True)
    (tmp_path / "solutions" / "01_task.py").write_text("answer = 42\n")
    return path


def test_with_solutions_writes_a_copy(tmp_path):
    path = _notebook(tmp_path)
    out = tmp_path / "out.ipynb"
    assert with_solutions(path, out) == ["01_task.py"]
    assert [c.source for c in nbformat.read(out, as_version=4).cells] == ["x = 1", "answer = 42"]
    assert nbformat.read(path, as_version=4).cells[1].source == "answer = None  # TODO"


def test_a_missing_solution_file_is_an_error(tmp_path):
    nb = nbformat.read(_notebook(tmp_path, solution="01_nope.py"), as_version=4)
    with pytest.raises(FileNotFoundError, match=r"01_nope\.py"):
        inject(nb, tmp_path / "solutions")
