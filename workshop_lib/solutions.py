"""The worked solutions of the "Your turn" tasks, put in place for a run.

A task's editable cell carries the cell metadata `"solution": "<file>"` (a file in
notebooks/solutions/) and the tag `your-turn`. Learners can load a solution into that cell with
`%load solutions/<file>`; the runner (`make workshop`, the notebook tests) replaces each such
cell's source with its solution, so every solution is proven to run and to pass its check.
"""

from __future__ import annotations

from pathlib import Path

SOLUTIONS_DIR_NAME = "solutions"
TAG = "your-turn"


def task_cells(notebook) -> list:
    """The cells of a notebook (nbformat) that hold a task for the learner."""
    return [cell for cell in notebook.cells if cell.get("metadata", {}).get("solution")]


def inject(notebook, solutions_dir: Path) -> list[str]:
    """Replace every task cell's source with its solution; return the files used."""
    used = []
    for cell in task_cells(notebook):
        name = cell.metadata["solution"]
        path = solutions_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"the solution {name} of a task cell is not in {solutions_dir}")
        cell.source = path.read_text().rstrip("\n")
        used.append(name)
    return used


def with_solutions(notebook_path: Path, out_path: Path) -> list[str]:
    """Write a copy of the notebook with its solutions in place; return the files used."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    used = inject(notebook, notebook_path.parent / SOLUTIONS_DIR_NAME)
    nbformat.write(notebook, out_path)
    return used
