"""The runner behind `make workshop`, on the real notebooks and on a failing one."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workshop_lib.paths import NOTEBOOKS_DIR, REPO_ROOT
from workshop_lib.runner import discover, run_notebooks, summary_table


def test_discovers_the_numbered_notebooks_in_order():
    names = [p.name for p in discover()]
    assert names == sorted(names) and len(names) == 5
    assert names[0].startswith("01_") and names[-1] == "05_cleanup.ipynb"


def test_runs_every_notebook_on_the_local_target(tmp_path):
    results = run_notebooks("local", output_dir=tmp_path)
    assert [(r.notebook, r.status) for r in results] == [(p.name, "ok") for p in discover()]
    executed = nbformat.read(tmp_path / results[0].notebook, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'target = "local"' in injected[0].source
    outputs = "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    )
    assert "s3://segment-personalize-123456789012-us-east-1/ is ready" in outputs
    table = summary_table(results, base=tmp_path).splitlines()
    assert table[0].split() == ["notebook", "status", "seconds", "output"]
    assert table[2].split()[:2] == [results[0].notebook, "ok"]


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


@pytest.fixture
def failing_notebooks(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01_ok.ipynb", "import os\nprint(os.getcwd())")
    _notebook(folder / "02_fails.ipynb", "x = 1", "raise ValueError('boom in step 2')", "y = 2")
    _notebook(folder / "03_never.ipynb", "print('must not run')")
    return folder


def test_stops_at_the_first_failure_and_names_notebook_and_cell(failing_notebooks, tmp_path):
    out = tmp_path / "out"
    results = run_notebooks("local", notebooks_dir=failing_notebooks, output_dir=out)
    assert [r.status for r in results] == ["ok", "failed", "not run"]
    assert (
        "02_fails.ipynb failed at cell In [3] (it starts: raise ValueError('boom in step 2'))"
        in results[1].error
    )
    assert "ValueError: boom in step 2" in results[1].error
    assert (out / "02_fails.ipynb").exists()  # kept for debugging
    assert not (out / "03_never.ipynb").exists()
    # cwd is the notebooks folder, as when a learner opens it in JupyterLab
    first = nbformat.read(out / "01_ok.ipynb", as_version=4)
    assert first.cells[-1].outputs[0]["text"].strip() == str(failing_notebooks)


def test_cli_exit_code_summary_and_error(failing_notebooks, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workshop_lib",
            "run",
            "--notebooks-dir",
            str(failing_notebooks),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        timeout=300,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("notebook"))
    assert [line.split()[1] for line in lines[header + 2 : header + 5]] == ["ok", "failed", "not"]
    assert "02_fails.ipynb failed at cell In [3]" in result.stderr


def test_cli_runs_chosen_notebooks_with_parameters(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workshop_lib",
            "run",
            "05",
            "-p",
            "prefix",
            "cli-test",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS_DIR,
        env=os.environ.copy(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "All 1 notebook ran" in result.stdout
    executed = (tmp_path / "05_cleanup.ipynb").read_text()
    assert "cli-test-personalize-123456789012-us-east-1" in executed
