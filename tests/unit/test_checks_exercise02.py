"""The checks of notebook 02's tasks accept the worked solutions and say what is wrong with a
plausible wrong answer, and "not done yet" while the cell holds its placeholder."""

from __future__ import annotations

import uuid

import pytest

from tests.exercise1_outputs import stage
from tests.unit.notebook02_cells import Cells
from workshop_lib.checks import exercise2 as check
from workshop_lib.connection import Workshop
from workshop_lib.paths import NOTEBOOKS_DIR
from workshop_lib.personalize import wait_until_active
from workshop_lib.settings import bucket_name

ACCOUNT = "123456789012"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"


@pytest.fixture(scope="module")
def cells(module_aws_env):
    """Notebook 02 up to its batch job, the tasks left undone."""
    prefix = f"chk2-{uuid.uuid4().hex[:6]}"
    bucket = bucket_name(prefix, ACCOUNT, "us-east-1")
    ws = Workshop(
        "local", "us-east-1", ACCOUNT, f"arn:aws:sts::{ACCOUNT}:user/moto", prefix, bucket
    )
    stage(ws.client("s3"), ws.bucket)
    return Cells(ws).run(until="create_batch_inference_job")


def _verdict(capsys, ok: bool, passed: bool) -> str:
    line = capsys.readouterr().out.strip()
    assert bool(ok) is passed, line
    assert line.startswith("✔" if passed else "✘"), line
    return line


def _solve(cells: Cells, name: str) -> None:
    """Run a worked solution in the notebook's namespace, as the runner puts it in the cell."""
    cells._execute((NOTEBOOKS_DIR / "solutions" / name).read_text())


def _solution(cells: Cells, name: str, recipe: str = RECIPE, train: bool = False, **params) -> str:
    """A solution (ACTIVE); with train, also a trained version."""
    personalize = cells["personalize"]
    arn = personalize.create_solution(
        name=name, datasetGroupArn=cells["dataset_group_arn"], recipeArn=recipe, **params
    )["solutionArn"]
    wait_until_active(personalize, arn, say=lambda _: None)
    if train:
        version = personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
        wait_until_active(personalize, version, say=lambda _: None)
    return arn


def test_fourth_solution_not_done_yet(cells, capsys):
    line = _verdict(capsys, check.fourth_solution(cells.ws, None), passed=False)
    assert line.startswith("✘ Not done yet: create a fourth solution")


def test_fourth_solution_rejects_one_of_the_three(cells, capsys):
    arn = cells["solution_arns"]["similar-items"]
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=False)
    assert "is one of the three solutions" in line


def test_fourth_solution_rejects_a_name_without_the_prefix(cells, capsys):
    arn = _solution(cells, f"other-{cells.ws.prefix}", performAutoTraining=False)
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=False)
    assert "does not start with the workshop prefix" in line


def test_fourth_solution_rejects_automatic_training(cells, capsys):
    arn = _solution(cells, cells.ws.name("auto"))  # performAutoTraining defaults to True
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=False)
    assert "performAutoTraining=False" in line


def test_fourth_solution_rejects_a_copy_of_user_personalization(cells, capsys):
    arn = _solution(cells, cells.ws.name("twin"), performAutoTraining=False)
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=False)
    assert f"the same settings as {cells.ws.name('user-personalization')}" in line


def test_fourth_solution_rejects_an_untrained_one(cells, capsys):
    config = {"algorithmHyperParameters": {"recency_mask": "false"}}
    arn = _solution(
        cells, cells.ws.name("untrained"), performAutoTraining=False, solutionConfig=config
    )
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=False)
    assert "it has no version yet" in line


def test_fourth_solution_accepts_the_worked_solution(cells, capsys):
    _solve(cells, "02_fourth_solution.py")
    capsys.readouterr()
    line = _verdict(capsys, check.fourth_solution(cells.ws, cells["my_solution_arn"]), True)
    assert line.startswith(f"✔ {cells.ws.name('no-recency')} (aws-user-personalization) is")
    assert "NDCG@10 0." in line and "Its metrics equal" not in line


def test_fourth_solution_says_when_the_emulator_trains_the_same_model(cells, capsys):
    """aws-personalized-ranking trains user-personalization's model here: the learner must be
    told why the metrics are a copy, not left to think the recipes are the same."""
    recipe = "arn:aws:personalize:::recipe/aws-personalized-ranking"
    arn = _solution(cells, cells.ws.name("ranking"), recipe, train=True, performAutoTraining=False)
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=True)
    assert "Its metrics equal user-personalization's: the local emulator trains" in line


def _filter(cells: Cells, suffix: str, expression: str) -> str:
    personalize = cells["personalize"]
    arn = personalize.create_filter(
        name=cells.ws.name(suffix),
        datasetGroupArn=cells["dataset_group_arn"],
        filterExpression=expression,
    )["filterArn"]
    wait_until_active(personalize, arn, say=lambda _: None)
    return arn


def test_own_filter_not_done_yet(cells, capsys):
    line = _verdict(capsys, check.own_filter(cells.ws, None), passed=False)
    assert line.startswith("✘ Not done yet: create your filter")


def test_own_filter_rejects_the_filter_of_the_notebook(cells, capsys):
    line = _verdict(capsys, check.own_filter(cells.ws, cells["filter_arn"]), passed=False)
    assert "that is the filter above" in line


def test_own_filter_rejects_a_filter_that_keeps_several_categories(cells, capsys):
    arn = _filter(cells, "no-footwear", 'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("footwear")')
    line = _verdict(capsys, check.own_filter(cells.ws, arn), passed=False)
    assert "the recommendations come from" in line and "categories" in line
    assert "footwear" not in line.split("(")[1].split(")")[0]


def test_own_filter_rejects_a_category_that_does_not_exist(cells, capsys):
    arn = _filter(cells, "only-shoes", 'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoes")')
    line = _verdict(capsys, check.own_filter(cells.ws, arn), passed=False)
    assert "no recommendation gets through" in line and "footwear" in line


def test_own_filter_rejects_a_placeholder(cells, capsys):
    arn = _filter(cells, "any-category", "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)")
    line = _verdict(capsys, check.own_filter(cells.ws, arn), passed=False)
    assert "has a placeholder" in line


def test_own_filter_accepts_the_worked_solution(cells, capsys):
    _solve(cells, "02_own_filter.py")
    capsys.readouterr()
    line = _verdict(capsys, check.own_filter(cells.ws, cells["my_filter_arn"]), passed=True)
    assert line == (
        f"✔ {cells.ws.name('only-footwear')} is ACTIVE: 50 recommendations for 5 shoppers, all "
        "in footwear (without it: 6 categories)."
    )


def test_fourth_solution_accepts_another_recipe_the_task_names(cells, capsys):
    recipe = "arn:aws:personalize:::recipe/aws-trending-now"
    arn = _solution(cells, cells.ws.name("trending"), recipe, train=True, performAutoTraining=False)
    line = _verdict(capsys, check.fourth_solution(cells.ws, arn), passed=True)
    assert "(aws-trending-now) is trained: NDCG@10 0." in line and "Its metrics equal" not in line
