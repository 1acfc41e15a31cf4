"""Exercise 1 runs end to end through papermill, twice in a row, with the same results."""

from __future__ import annotations

import nbformat
import pytest

from tests.notebooks.sanitize import sanitize
from workshop_lib.runner import run_notebooks

NOTEBOOK = "01_segment_s3_athena_glue.ipynb"


def outputs(path) -> list[str]:
    """The text of every code cell's outputs (streams and text/plain values), sanitized."""
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        text = "".join(
            o.get("text", "")
            if o.output_type == "stream"
            else o.get("data", {}).get("text/plain", "")
            for o in cell.outputs
        )
        texts.append(sanitize(text))
    return texts


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    runs = []
    for attempt in ("first", "second"):
        out = tmp_path_factory.mktemp(attempt)
        [result] = run_notebooks("local", output_dir=out, only=["01"])
        assert result.status == "ok", result.error
        runs.append(outputs(out / NOTEBOOK))
    return runs


def _cell(texts: list[str], marker: str) -> str:
    return next(t for t in texts if marker in t)


def test_output_checks_all_pass(two_runs):
    check = _cell(two_runs[0], "Personalize: at least 1,000 interactions")
    assert "False" not in check
    assert check.count("True") >= 8  # every row's ok column


def test_live_events_all_reach_s3(two_runs):
    table = _cell(two_runs[0], "in S3").splitlines()[1:]
    for row in table:
        name_and_numbers = row.rsplit(maxsplit=2)
        assert name_and_numbers[1] == name_and_numbers[2], row  # sent == in S3


def test_a_second_run_reuses_everything_and_shows_the_same(two_runs):
    first, second = two_runs
    assert len(first) == len(second)
    for a, b in zip(first[1:], second[1:], strict=True):  # [0] says the emulator was started
        assert a == b
