"""Show source code in a notebook: the part of a file that a step explains, highlighted.

The Lambda functions and the Glue job are files (they are deployed as files); a cell that
explains one shows the lines that matter with `show.source(path, "handler")` instead of
asking the learner to open the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .paths import REPO_ROOT


def _definition_lines(text: str, name: str) -> tuple[int, int]:
    for node in ast.walk(ast.parse(text)):
        kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        if isinstance(node, kinds) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return first, node.end_lineno or node.lineno
    raise LookupError(f"no function or class {name!r}")


def source(path: str | Path, *names: str):
    """The named functions/classes of a file (the whole file without names), as an IPython
    Code object that Jupyter shows highlighted; `path` is relative to the repository."""
    from IPython.display import Code

    file = Path(path) if Path(path).is_absolute() else REPO_ROOT / path
    text = file.read_text()
    if not names:
        return Code(text, language="python")
    lines = text.splitlines()
    parts = []
    for name in names:
        try:
            first, last = _definition_lines(text, name)
        except LookupError:
            raise LookupError(f"{file.name} has no function or class {name!r}") from None
        parts.append("\n".join(lines[first - 1 : last]))
    header = f"# {file.relative_to(REPO_ROOT) if file.is_relative_to(REPO_ROOT) else file}"
    return Code("\n\n".join([header, *parts]), language="python")
