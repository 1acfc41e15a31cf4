"""Exercise 1 runs end to end through papermill on a fresh emulator (solutions in place), then a
second time with the same results, then as a learner first sees it (no solution: the checks say
"not done yet" and the notebook still completes); its key values are checked in the outputs."""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.exercise1_outputs import interactions_csv
from tests.notebooks.fresh_emulator import fresh_emulator
from tests.notebooks.sanitize import sanitize
from workshop_lib.runner import run_notebooks

NOTEBOOK = "01_segment_s3_athena_glue.ipynb"
REUSED = re.compile(r"^.* exists already: using it \(delete it first to change it\)\.\n", re.M)
LIVE = 300 + 3  # the parameter live_events, and the shopper sent call by call


def outputs(path) -> dict[str, str]:
    """Each code cell's output text (stdout and text/plain), sanitized, by the cell's source."""
    nb = nbformat.read(path, as_version=4)
    texts = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        text = "".join(
            o.get("text", "")
            if o.output_type == "stream"
            else o.get("data", {}).get("text/plain", "")
            for o in cell.outputs
        )
        texts[cell.source] = sanitize(text)
    return texts


def cell(texts: dict[str, str], call: str) -> str:
    """The output of the first cell whose source contains `call`."""
    return next(text for source, text in texts.items() if call in source)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A fresh emulator; notebook 01 twice with the solutions, then once without; the bucket's
    tags after the runs."""
    with fresh_emulator(tmp_path_factory.mktemp("state")) as ws:
        texts, paths = {}, {}
        for name, solutions in (("first", True), ("second", True), ("learner", False)):
            out = tmp_path_factory.mktemp(name)
            [result] = run_notebooks("local", output_dir=out, only=["01"], solutions=solutions)
            assert result.status == "ok", result.error
            paths[name] = out / NOTEBOOK
            texts[name] = outputs(paths[name])
        tag_set = ws.client("s3").get_bucket_tagging(Bucket=ws.bucket)["TagSet"]
        yield texts, paths, ws, {t["Key"]: t["Value"] for t in tag_set}


def _checks(texts: dict[str, str]) -> list[str]:
    return [text for source, text in texts.items() if source.startswith("check.")]


def test_every_check_says_right_with_the_solutions(runs):
    texts = runs[0]["first"]
    checks = _checks(texts)
    assert len(checks) == 2
    assert all(text.startswith("✔ Right") for text in checks), checks
    assert "673 sign-ups over 57 days" in checks[0]
    assert "31% of all messages have no userId; the most anonymous type is page" in checks[1]


def test_without_solutions_each_task_is_not_done_and_the_notebook_completes(runs):
    texts = runs[0]["learner"]
    checks = _checks(texts)
    assert len(checks) == 2 and all(t.startswith("✘ Not done yet") for t in checks), checks
    assert "wrote " in cell(texts, "glue.start_job_run(")  # the steps after the tasks ran


def test_the_bucket_is_made_and_tagged(runs):
    texts, _, ws, tags = runs[0]["first"], *runs[1:]
    assert cell(texts, "s3.create_bucket(") == f"s3://{ws.bucket}/ is ready\n"
    assert tags == ws.tags


def test_the_segment_side_and_the_history(runs):
    texts = runs[0]["first"]
    segment = cell(texts, "workspace.connect_s3(")
    assert "website-prod" in segment and "AWS S3" in segment
    assert '"bucket": "segment-personalize-123456789012-us-east-1"' in segment
    staged = cell(texts, "exercise1.stage_history(ws)")
    assert re.search(r"^all\s+198\s+6\.32(?!\d)", staged, re.M), staged
    assert '"event": "Product Viewed"' in staged and '"sku": ' in staged


def test_live_events_all_reach_s3(runs):
    text = cell(runs[0]["first"], "exercise1.arrivals(")
    assert text.startswith(f"{LIVE} of the {LIVE} messages sent are in s3://"), text
    counts = re.findall(r"^(.+?)\s+(\d+)$", text, re.M)
    assert ("(identify)", "1") in counts
    assert sum(int(n) for _, n in counts) == LIVE


def test_athena_names_its_database_and_answers_the_queries(runs):
    texts = runs[0]["first"]
    assert "database: segment_personalize;" in cell(texts, "CREATE EXTERNAL TABLE")
    assert "properties  struct<sku:string" in cell(texts, "CREATE EXTERNAL TABLE")
    events = cell(texts, "def sql(")
    assert re.search(r"track\s+Signed Up\s+673", events) and re.search(r"page\s+\(page\)", events)
    funnel = cell(texts, "'viewed a product'")
    assert re.search(r"viewed a product\s+\d+", funnel)


def test_the_daily_chart_is_drawn(runs):
    nb = nbformat.read(runs[1]["first"], as_version=4)
    [daily] = [c for c in nb.cells if "plots.per_day(" in c.source]
    assert any("image/png" in o.get("data", {}) for o in daily.outputs)


def test_glue_wrote_what_athena_counts(runs):
    texts = runs[0]["first"]
    etl = cell(texts, "glue.start_job_run(")
    assert "Ready: job run of segment-personalize-etl (SUCCEEDED)." in etl
    # the history's interactions (the job's own transform of data/sample), the 300 live ones and
    # the shopper's two: the anonymous view counts for them through their identify call
    rows = interactions_csv().count(b"\n") - 1 + 300 + 2
    assert f"wrote {rows} interactions of 1262 users and 250 items" in etl, etl
    comparison = cell(texts, "athena_counts = sql(")
    assert re.search(rf"interactions\s+{rows}\s+{rows}\s+True", comparison), comparison
    assert comparison.count("True") == 3 and "False" not in comparison
    minimums = cell(texts, 'Key="transformed/interactions.csv"')
    assert minimums.count("True") == 2 and "False" not in minimums


def test_a_second_run_reuses_everything_and_shows_the_same(runs):
    first, second = runs[0]["first"], runs[0]["second"]
    assert list(first) == list(second)
    reused = [text for text in second.values() if REUSED.search(text)]
    # the Glue job's role found by name, not made again (AWS says so of the job too; the
    # emulator's CreateJob replaces a job of the same name)
    assert reused and "Role 'segment-personalize-glue-job' exists already" in reused[0]
    for (source, a), b in zip(list(first.items())[1:], list(second.values())[1:], strict=True):
        assert a == REUSED.sub("", b), source  # [0] says the emulator was started
