"""Notebook 02's code cells run in this process, against the threaded emulator, as the notebook
runs them: the unit tests of the calls the cells make and of the checks use them to build state.

`Cells(ws).run(until="...")` executes the code cells in order (parameters aside; the connect
cell gets `ws` instead of connecting) up to the first cell whose source contains `until`. The
value of each cell's last expression is kept (`value("text of the cell")`), what `display()`
was given in `displayed`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat

from workshop_lib.paths import NOTEBOOKS_DIR
from workshop_lib.solutions import SOLUTIONS_DIR_NAME, inject

NOTEBOOK = NOTEBOOKS_DIR / "02_personalize_train_and_deploy.ipynb"


def code_cells(solutions: bool = False) -> list[str]:
    """The sources of the notebook's code cells (the parameters cell aside)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    if solutions:
        inject(notebook, Path(NOTEBOOK.parent / SOLUTIONS_DIR_NAME))
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    return [c.source for c in cells if "parameters" not in c.metadata.get("tags", [])]


def cell(text: str) -> str:
    """The source of the first code cell that contains `text`."""
    return next(source for source in code_cells() if text in source)


class Cells:
    def __init__(self, ws: Any, solutions: bool = False) -> None:
        self.sources = code_cells(solutions)
        self.displayed: list[Any] = []
        self.results: list[Any] = []
        params = {"target": "local", "region": None, "prefix": None, "bucket": None, "stack": None}
        self.namespace: dict[str, Any] = {**params, "display": self.displayed.append}
        self.ws = ws
        self.done = 0

    def run(self, until: str | None = None) -> Cells:
        """Run the next cells, up to (not including) the first that contains `until`."""
        import workshop_lib

        connect, workshop_lib.connect = workshop_lib.connect, lambda **_: self.ws
        try:
            while self.done < len(self.sources):
                source = self.sources[self.done]
                if until is not None and until in source:
                    break
                self.results.append(self._execute(source))
                self.done += 1
        finally:
            workshop_lib.connect = connect
        return self

    def _execute(self, source: str) -> Any:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), self.namespace)
        if last is None:
            return None
        return eval(compile(ast.Expression(last.value), "<cell>", "eval"), self.namespace)

    def value(self, text: str) -> Any:
        """The value of the last expression of the first cell run that contains `text`."""
        return next(v for s, v in zip(self.sources, self.results, strict=False) if text in s)

    def __getitem__(self, name: str) -> Any:
        return self.namespace[name]
