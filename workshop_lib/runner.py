"""Run the numbered notebooks in order with papermill, then print a summary table.

This is what `make workshop` (``python -m workshop_lib run``) does. It stops at the first
failure, names the notebook and cell, and keeps the executed notebook for debugging.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import NOTEBOOKS_DIR, REPO_ROOT
from .settings import resolve_port, resolve_target

NOTEBOOK_NAME = re.compile(r"^\d\d_.+\.ipynb$")
DEFAULT_OUTPUT_DIR = REPO_ROOT / "build" / "notebooks"
# Per-cell limits: above the helpers' own wait timeouts, so a helper explains a slow step
# before papermill kills the cell. On AWS, training a solution can take an hour.
CELL_TIMEOUT_SECONDS = {"local": 600, "aws": 3 * 3600}
# ipykernel warns on every start that its local TCP transport is unencrypted; not news here.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


@dataclass
class NotebookResult:
    notebook: str
    status: str  # "ok", "failed" or "not run"
    seconds: float | None = None
    output: Path | None = None
    error: str = ""


def discover(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The exercise notebooks (01_..., 02_..., ...) in numbered order."""
    return sorted(p for p in notebooks_dir.iterdir() if NOTEBOOK_NAME.match(p.name))


def _failure(exc: Exception, notebook: str, output: Path) -> str:
    """Which cell failed, as the learner finds it in the kept notebook: In [n] and its start."""
    count = getattr(exc, "exec_count", None)
    source = (getattr(exc, "source", "") or "").strip().splitlines()
    where = f" at cell In [{count}]" if count is not None else ""
    if source:
        where += f" (it starts: {source[0][:80]})"
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    return f"{notebook} failed{where}: {ename}: {evalue}\nThe executed notebook is kept at {output}"


def run_notebooks(
    target: str | None = None,
    parameters: dict[str, Any] | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    cell_timeout: int | None = None,
    only: list[str] | None = None,
    solutions: bool = True,
) -> list[NotebookResult]:
    """Execute the notebooks in order; each gets `target` and `parameters`. With `solutions`,
    each "Your turn" cell runs its worked solution (see solutions.py), as CI wants; without,
    the notebooks run as a learner first sees them (the checks then say "not done yet")."""
    import tempfile

    import papermill

    from .solutions import with_solutions

    target = resolve_target(target)
    notebooks = discover(notebooks_dir)
    if only:
        notebooks = [p for p in notebooks if any(p.name.startswith(o) for o in only)]
    if target == "local":  # one emulator for all kernels, started before the first one
        from .emulator import process

        process.start(resolve_port(None))
    output_dir.mkdir(parents=True, exist_ok=True)
    params = {"target": target, **(parameters or {})}
    timeout = cell_timeout or CELL_TIMEOUT_SECONDS[target]
    results: list[NotebookResult] = []
    failed = False
    inputs = tempfile.TemporaryDirectory(prefix="workshop-inputs-")
    for path in notebooks:
        output = output_dir / path.name
        if failed:
            results.append(NotebookResult(path.name, "not run"))
            continue
        print(f"running {path.name} ...", flush=True)
        started = time.monotonic()
        source = path
        if solutions:
            source = Path(inputs.name) / path.name
            with_solutions(path, source)
        try:
            papermill.execute_notebook(
                str(source),
                str(output),
                parameters=params,
                kernel_name="python3",
                cwd=str(notebooks_dir),
                execution_timeout=timeout,
                progress_bar=False,
                request_save_on_cell_execute=True,
                extra_arguments=QUIET_KERNEL,
            )
            results.append(NotebookResult(path.name, "ok", time.monotonic() - started, output))
        except Exception as exc:  # papermill's error names the cell; keep going to the summary
            failed = True
            results.append(
                NotebookResult(
                    path.name,
                    "failed",
                    time.monotonic() - started,
                    output,
                    _failure(exc, path.name, output),
                )
            )
    inputs.cleanup()
    return results


def summary_table(results: list[NotebookResult], base: Path = REPO_ROOT) -> str:
    rows = [("notebook", "status", "seconds", "output")]
    for r in results:
        out = ""
        if r.output:
            out = (
                str(r.output.relative_to(base)) if r.output.is_relative_to(base) else str(r.output)
            )
        rows.append(
            (r.notebook, r.status, f"{r.seconds:.1f}" if r.seconds is not None else "-", out)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.rjust(w) if i == 2 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
