"""Exercise 4 runs end to end through papermill on a fresh emulator (after notebook 02, on what
notebook 01 leaves in S3): twice in a row with the tasks' solutions in place, then once as a
learner first sees it. The real-time loop is checked in the emulator's state as well as in the
outputs, and so is the promise of a true "before" on every run."""

from __future__ import annotations

import re

import pytest

from tests.exercise1_outputs import stage
from tests.notebooks.fresh_emulator import cell, fresh_emulator, outputs
from workshop_lib import exercise4, segment
from workshop_lib.connection import Workshop
from workshop_lib.runner import run_notebooks

pytestmark = pytest.mark.slow
NOTEBOOK = "04_realtime_segment_personalize.ipynb"
PICK = "shopper, category, history = exercise4.next_shopper("
BEFORE = "before = exercise4.product_table(ws, response"
AFTER = "display(exercise4.side_by_side(before, after"
TASK = "my_shopper, _, my_history = exercise4.next_shopper(\n"
CHECKS = ("check.own_clicks(", "check.purchase_filtered(")


def _state(ws: Workshop, user: str) -> dict:
    """What the loop left for the run's shopper: the trait on their profile, their
    recommendations now (as the function asks for them), and the delivery log."""
    space, token = segment.SegmentWorkspace(ws).create_space(exercise4.SPACE)
    arn = f"arn:aws:personalize:{ws.region}:{ws.account_id}"
    now = ws.client("personalize-runtime").get_recommendations(
        campaignArn=f"{arn}:campaign/{ws.name('user-personalization')}",
        userId=user,
        numResults=10,
        filterArn=f"{arn}:filter/{ws.name('exclude-purchased')}",
    )
    return {
        "trait": segment.profile_traits(space["id"], token, user, ws)[exercise4.TRAIT],
        "now": [item["itemId"] for item in now["itemList"]],
        "log": exercise4.delivery_log(ws, limit=1000),
    }


def _picked(texts: dict[str, str]) -> tuple[str, str]:
    """(shopper, category) of a run, from the line the pick cell prints."""
    user, category = re.match(
        r"user (\S+); a category they never touched: (\S+)", cell(texts, PICK)
    ).groups()
    return user, category


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with fresh_emulator(tmp_path_factory.mktemp("state")) as ws:
        stage(ws.client("s3"), ws.bucket)
        [prepared] = run_notebooks("local", output_dir=tmp_path_factory.mktemp("02"), only=["02"])
        assert prepared.status == "ok", prepared.error
        results = []
        for attempt in ("first", "second", "learner"):
            out = tmp_path_factory.mktemp(attempt)
            [result] = run_notebooks(
                "local", output_dir=out, only=["04"], solutions=attempt != "learner"
            )
            assert result.status == "ok", result.error
            print(f"notebook 04, {attempt} run: {result.seconds:.1f} s")
            texts = outputs(out / NOTEBOOK)
            results.append({"texts": texts, **_state(ws, _picked(texts)[0])})
        yield results


def test_the_trait_on_the_profile_is_the_users_current_recommendations(runs):
    for run in runs:
        assert len(run["trait"]) == 10
        assert run["trait"] == run["now"]


def test_every_event_was_delivered_and_product_events_were_sent(runs):
    log = runs[-1]["log"]
    assert (log["delivery"] == "delivered").all()
    views = log[log["event"] == "Product Viewed"]
    assert len(views) >= 3 * (6 + 4) + 2 * 4  # shopper and visitor per run, 2 tasks solved
    assert (views["function"] == "sent").all()
    assert (log[log["event"] == "Order Completed"]["function"] == "sent").sum() == 2


def test_the_browsing_moves_recommendations_into_the_new_category_on_every_run(runs):
    for run in runs:
        texts = run["texts"]
        user, category = _picked(texts)
        before = cell(texts, BEFORE).count(f" {category} ")
        after = cell(texts, AFTER)
        assert after.count(f" {category} ") > before + 3, (user, category)
        assert " viewed" in after and " not viewed" in after
        visitor = cell(texts, "display(exercise4.side_by_side(visitor_before")
        assert " viewed" in visitor and visitor.count(f" {category} ") >= 4


def test_each_run_takes_a_shopper_nobody_browsed_for(runs):
    """The "before" of a rerun is the model's answer alone: a shopper nobody browsed for, for
    the demo and for task 1 alike, on every run."""
    shoppers = [_picked(run["texts"])[0] for run in runs]
    shoppers += [re.search(r"my_shopper: (\S+)", cell(run["texts"], TASK))[1] for run in runs]
    assert len(set(shoppers)) == 6, shoppers


def test_every_check_passes_with_the_solutions_and_says_not_done_without(runs):
    for run in runs[:2]:
        for call in CHECKS:
            assert cell(run["texts"], call).startswith("✔ "), call
    for call in CHECKS:
        assert cell(runs[2]["texts"], call).startswith("✘ Not done yet: "), call


def test_the_setup_cells_show_the_calls_results_and_reuse_them_on_a_rerun(runs):
    first, second = runs[0]["texts"], runs[1]["texts"]
    assert cell(first, "exercise4.check_prerequisites(").count("ACTIVE") == 3
    assert re.search(r"trackingId: [0-9a-f-]{36}", cell(first, "create_event_tracker"))
    assert cell(first, "lambda_.create_function").endswith(
        "function:segment-personalize-segment-destination"
    )
    settings = cell(first, "destination_settings = {")
    for value in ("segment-destination'", "role/segment-personalize-segment-invoke'", "'Tail'"):
        assert value in settings
    invoked = cell(first, "lambda_.invoke(")
    assert "'status': 'sent'" in invoked and "'sessionId': 'segment-event-tester'" in invoked
    for call in ("create_event_tracker", "lambda_.create_function", "iam.create_role"):
        assert "exists already: using it" in cell(second, call), call
    assert cell(first, "destination_settings = {") == cell(second, "destination_settings = {")


def test_the_profile_api_returns_the_after_list(runs):
    trait = cell(runs[0]["texts"], "requests.get(")
    assert "\n10 " in trait and "Set profile_space_id" not in trait
