"""Exercise 2 runs end to end through papermill on a fresh emulator, twice in a row, with the
same results; its key values are checked in the executed notebook."""

from __future__ import annotations

import boto3
import pytest

from tests.exercise1_outputs import stage
from tests.notebooks.fresh_emulator import outputs
from workshop_lib.emulator import process
from workshop_lib.runner import run_notebooks
from workshop_lib.settings import DEFAULT_PREFIX, ENV_PORT, LOCAL_ACCOUNT_ID, bucket_name

NOTEBOOK = "02_personalize_train_and_deploy.ipynb"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, free_port_module):
    """A fresh emulator with what notebook 01 leaves in S3, then notebook 02 twice."""
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
            stage(s3, bucket_name(DEFAULT_PREFIX, LOCAL_ACCOUNT_ID, "us-east-1"))
            runs = []
            for attempt in ("first", "second"):
                out = tmp_path_factory.mktemp(attempt)
                [result] = run_notebooks("local", output_dir=out, only=["02"])
                assert result.status == "ok", result.error
                print(f"notebook 02, {attempt} run: {result.seconds:.1f} s")
                runs.append(outputs(out / NOTEBOOK))
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


def test_inputs_from_exercise_1(two_runs):
    table = _cell(two_runs[0], "check_inputs").splitlines()
    assert table[0].endswith("transformed/interactions.csv: 39,371 interactions")
    assert table[-1].split() == ["all", "39371", "1242", "250"]


def test_every_wait_ends_ready(two_runs):
    for call in ("create_dataset_group", "create_datasets", "import_data", "train"):
        assert "Ready: " in _cell(two_runs[0], call)
    training = _cell(two_runs[0], "train(ws)")
    assert "Ready: training aws-user-personalization (ACTIVE), training aws-similar-items" in (
        training
    )


def test_metrics_table_and_chart(two_runs):
    rows = {
        line.split()[0]: [float(v) for v in line.split()[1:]]
        for line in _cell(two_runs[0], "ex2.metrics(ws)").splitlines()
        if line.startswith("aws-")
    }
    # the table wraps at 80 columns: the first block is precision@5/10/25 and NDCG@5
    assert set(rows) == {"aws-user-personalization", "aws-similar-items", "aws-popularity-count"}
    assert rows["aws-user-personalization"][3] > 2 * rows["aws-popularity-count"][3]
    assert "<Figure size 900x360 with 1 Axes>" in _cell(two_runs[0], "metrics_chart")


def test_recommendations_filter_batch(two_runs):
    first = two_runs[0]
    per_user = [
        line
        for line in _cell(first, "recommendations_for_users").splitlines()
        if line.startswith("user ") and ":" in line
    ]
    assert len(per_user) == 3
    assert all("recommendations are in those categories" in line for line in per_user)
    assert "Related to " in _cell(first, "related_items")
    assert "with it 0." in _cell(first, "filter_before_after")
    assert "50 lines, 0 errors, 500 recommendations" in _cell(first, "batch_recommendations")


def test_created_lists_the_campaigns_for_notebook_03(two_runs):
    listing = _cell(two_runs[0], "ex2.created(ws)")
    assert "missing" not in listing
    for name in ("campaign/segment-personalize-user-personalization", "filter/segment-"):
        assert name in listing
    assert "123456789012" in listing and "arn:aws:iam::123456789012:role/" in listing


def test_a_second_run_reuses_everything_and_shows_the_same(two_runs):
    first, second = two_runs
    assert list(first) == list(second)
    for source in list(first)[1:]:  # [0] says whether the emulator was started
        assert first[source] == second[source], source
