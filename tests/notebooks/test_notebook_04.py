"""Exercise 4 runs end to end through papermill on a fresh emulator (after notebook 02, on what
notebook 01 leaves in S3), twice in a row; the real-time loop is checked in the emulator's
state as well as in the outputs."""

from __future__ import annotations

import pytest

from tests.exercise1_outputs import stage
from tests.notebooks.fresh_emulator import REGION, cell, fresh_emulator, outputs
from workshop_lib import exercise4
from workshop_lib.connection import Workshop
from workshop_lib.runner import run_notebooks
from workshop_lib.settings import LOCAL_ACCOUNT_ID

pytestmark = pytest.mark.slow
NOTEBOOK = "04_realtime_segment_personalize.ipynb"


def _state(ws: Workshop) -> dict:
    """What the loop left: the demo user's trait, their recommendations, the delivery log."""
    user, _, _ = exercise4.pick_shopper(ws)
    return {
        "trait": exercise4.profile_trait(ws, user)["item"].tolist(),
        "now": exercise4.recommendations(ws, user)["item"].tolist(),
        "log": exercise4.delivery_log(ws, limit=1000),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with fresh_emulator(tmp_path_factory.mktemp("state")) as ws:
        stage(ws.client("s3"), ws.bucket)
        [prepared] = run_notebooks("local", output_dir=tmp_path_factory.mktemp("02"), only=["02"])
        assert prepared.status == "ok", prepared.error
        results = []
        for attempt in ("first", "second"):
            out = tmp_path_factory.mktemp(attempt)
            [result] = run_notebooks("local", output_dir=out, only=["04"])
            assert result.status == "ok", result.error
            print(f"notebook 04, {attempt} run: {result.seconds:.1f} s")
            results.append({"texts": outputs(out / NOTEBOOK), **_state(ws)})
        yield results


def test_the_trait_on_the_profile_is_the_users_current_recommendations(runs):
    for run in runs:
        assert len(run["trait"]) == 10
        assert run["trait"] == run["now"]


def test_every_event_was_delivered_and_product_views_were_sent(runs):
    log = runs[-1]["log"]
    assert (log["delivery"] == "delivered").all()
    views = log[log["event"] == "Product Viewed"]
    assert len(views) >= 4 * 8  # a shopper and a visitor per run, 8 views each
    assert (views["function"] == "sent").all()


def test_the_browsing_session_moves_recommendations_into_the_new_category(runs):
    texts = runs[0]["texts"]
    category = cell(texts, "pick_shopper").splitlines()[0].rsplit(": ", 1)[1]
    before = cell(texts, "before = exercise4.recommendations").count(category)
    after_table = cell(texts, "after = exercise4.recommendations")
    assert after_table.count(category) > before
    assert " new" in after_table
    visitor = cell(texts, "visitor = exercise4.new_visitor()")
    assert visitor.count(category) > 0


def test_direct_invoke_and_setup_cells(runs):
    texts = runs[0]["texts"]
    assert "'status': 'sent'" in cell(texts, "test_invoke")
    assert "ACTIVE" in cell(texts, "create_tracker")
    connected = cell(texts, "connect_segment")
    assert "Amazon Personalize" in connected and "segment-personalize-segment-destination" in (
        connected
    )
    assert "PERSONALIZE_FILTER_ARN" in cell(texts, "deploy_destination")


def test_a_second_run_reuses_the_setup_and_shows_the_same(runs):
    first, second = (r["texts"] for r in runs)
    for call in ("check_exercise2", "deploy_destination", "connect_segment", "pick_shopper"):
        assert cell(first, call) == cell(second, call), call
    assert cell(first, "created(ws)") == cell(second, "created(ws)")


def test_run_out_of_order_says_to_run_notebook_02(emulator, aws_env, monkeypatch):
    monkeypatch.setenv("WORKSHOP_TARGET", "local")
    ws = Workshop("local", REGION, LOCAL_ACCOUNT_ID, "me", "nb04-missing", "b", emulator.url)
    with pytest.raises(exercise4.MissingExercise, match=r"Run notebook 02 \(02_personalize"):
        exercise4.check_exercise2(ws)
