"""Exercise 2 runs end to end through papermill on a fresh emulator, twice in a row with the
worked solutions in place (the second run reuses everything and shows the same), then once as
a learner first sees it (the tasks undone, under another prefix); the executed notebooks'
outputs are checked."""

from __future__ import annotations

import re

import boto3
import pytest

from tests.exercise1_outputs import stage
from tests.notebooks.fresh_emulator import outputs
from workshop_lib.emulator import process
from workshop_lib.runner import run_notebooks
from workshop_lib.settings import DEFAULT_PREFIX, ENV_PORT, LOCAL_ACCOUNT_ID, bucket_name

NOTEBOOK = "02_personalize_train_and_deploy.ipynb"
LEARNER_PREFIX = "learner"  # the run without solutions: its own resources, tasks undone


def _reused(line: str) -> bool:
    """A line of ensure() saying it found the resource rather than creating it."""
    return "exists already: using it" in line or line.startswith("The solution has a version")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, free_port_module):
    """A fresh emulator with what notebook 01 leaves in S3 (for two prefixes), then notebook 02
    twice with the solutions and once without: {"first", "second", "learner"} -> outputs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_PORT, str(free_port_module))
        status, _ = process.start(free_port_module)
        try:
            s3 = boto3.client(
                "s3",
                endpoint_url=status.url,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            for prefix in (DEFAULT_PREFIX, LEARNER_PREFIX):
                stage(s3, bucket_name(prefix, LOCAL_ACCOUNT_ID, "us-east-1"))
            runs = {}
            for attempt, parameters, solutions in (
                ("first", {}, True),
                ("second", {}, True),
                ("learner", {"prefix": LEARNER_PREFIX}, False),
            ):
                out = tmp_path_factory.mktemp(attempt)
                [result] = run_notebooks(
                    "local", parameters, output_dir=out, only=["02"], solutions=solutions
                )
                assert result.status == "ok", result.error
                print(f"notebook 02, {attempt} run: {result.seconds:.1f} s")
                runs[attempt] = outputs(out / NOTEBOOK)
        finally:
            process.stop(free_port_module)
    return runs


@pytest.fixture(scope="module")
def free_port_module():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cell(texts: dict[str, str], call: str) -> str:
    return next(text for source, text in texts.items() if call in source)


def _checks(texts: dict[str, str]) -> list[str]:
    return [text for source, text in texts.items() if source.startswith("check.")]


def test_inputs_from_exercise_1(runs):
    table = _cell(runs["first"], "ex2.interactions(ws)").splitlines()
    assert table[0].endswith("transformed/interactions.csv: 39,371 interactions")
    assert table[-1].split() == ["all", "39371", "1242", "250"]


def test_every_wait_ends_ready(runs):
    first = runs["first"]
    for call in ("create_dataset_group", "create_dataset,", "create_dataset_import_job"):
        assert "Ready: " in _cell(first, call), call
    training = _cell(first, "create_solution_version")
    assert training.startswith(
        "Ready: solution-version segment-personalize-user-personalization/"
    ), training
    for call in ("create_campaign", "create_filter", "create_batch_inference_job"):
        assert "Ready: " in _cell(first, call), call


def test_metrics_table_lists_the_fourth_solution_and_the_chart(runs):
    rows = {
        line.split()[0]: line.split()[1:]
        for line in _cell(runs["first"], "get_solution_metrics").splitlines()
        if line.split()[1:2] and line.split()[1].startswith("aws-")
    }
    # the table wraps at 80 columns: the first block is recipe, precision@5, precision@10
    assert rows == {
        "user-personalization": ["aws-user-personalization", *rows["user-personalization"][1:]],
        "similar-items": ["aws-similar-items", *rows["similar-items"][1:]],
        "popularity-count": ["aws-popularity-count", *rows["popularity-count"][1:]],
        "no-recency": ["aws-user-personalization", *rows["no-recency"][1:]],
    }
    precision = {solution: float(values[1]) for solution, values in rows.items()}
    assert precision["user-personalization"] > 2 * precision["popularity-count"]
    assert "<Figure size 900x360 with 1 Axes>" in _cell(runs["first"], "metrics_chart")


def test_every_check_passes_with_the_solutions(runs):
    checks = _checks(runs["first"])
    assert len(checks) == 2 and all(text.startswith("✔") for text in checks), checks
    assert "segment-personalize-no-recency (aws-user-personalization) is trained" in checks[0]
    assert "all in footwear" in checks[1]


def test_recommendations_filter_batch(runs):
    first = runs["first"]
    per_user = re.findall(
        r"user \d+: \d+ interactions, mostly [a-z, ]+; (\d+) of 10 recommendations are in those",
        _cell(first, "ex2.next_to_history"),
    )
    assert len(per_user) == 3 and all(int(n) >= 5 for n in per_user), per_user
    assert "Related to " in _cell(first, "itemId=item_id")
    assert "with it 0." in _cell(first, "buyer_whose_purchases_come_back")
    assert "50 lines, 0 errors, 500 recommendations" in _cell(first, "batch_summary")


def test_what_notebooks_03_and_04_use_is_listed(runs):
    listing = _cell(runs["first"], "list_campaigns")
    for name in ("campaign/segment-personalize-user-personalization", "filter/segment-"):
        assert name in listing
    assert listing.count(" ACTIVE ") == 4  # two campaigns, the filter and the learner's


def test_a_second_run_reuses_everything_and_shows_the_same(runs):
    first, second = runs["first"], runs["second"]
    assert list(first) == list(second)
    reused = 0
    for source in list(first)[1:]:  # [0] says whether the emulator was started
        lines = second[source].splitlines()
        kept = [line for line in lines if not _reused(line)]
        reused += len(lines) - len(kept)
        assert first[source].splitlines() == kept, source
    assert not any(_reused(line) for text in first.values() for line in text.splitlines())
    assert reused >= 15


def test_without_the_solutions_each_task_is_not_done_and_the_run_completes(runs):
    learner = runs["learner"]
    checks = _checks(learner)
    assert len(checks) == 2
    assert all(text.startswith("✘ Not done yet") for text in checks), checks
    rows = _cell(learner, "get_solution_metrics")
    assert "no-recency" not in rows and "popularity-count" in rows
    assert "50 lines, 0 errors, 500 recommendations" in _cell(learner, "batch_summary")
