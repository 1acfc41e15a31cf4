"""The checks of notebook 02's tasks: a fourth solution, and a filter of your own.

Each check looks at what the learner made (by the ARN their cell holds), works out the
expected answer itself (the three solutions' settings; recommendations with and without the
learner's filter), and prints one line.
"""

from __future__ import annotations

import json
from typing import Any

from .. import exercise2 as ex2
from . import check, not_done, require

NDCG = "normalized_discounted_cumulative_gain_at_10"


def _settings(solution: dict) -> tuple:
    """What makes two solutions train different models: recipe, event type and config."""
    config = json.dumps(solution.get("solutionConfig") or {}, sort_keys=True)
    return solution["recipeArn"], solution.get("eventType"), solution.get("performHPO"), config


def _ndcg(personalize: Any, solution: dict) -> float:
    version = solution["latestSolutionVersion"]["solutionVersionArn"]
    return personalize.get_solution_metrics(solutionVersionArn=version)["metrics"][NDCG]


# recipes the emulator trains with aws-user-personalization's model (same offline metrics)
SAME_MODEL_LOCALLY = {
    "aws-user-personalization-v2",
    "aws-personalized-ranking",
    "aws-personalized-ranking-v2",
}


@check
def fourth_solution(ws: Any, solution_arn: str | None) -> str:
    """A solution beside the three, in the dataset group, named with the prefix, with other
    settings than the one of the same recipe, and a trained (ACTIVE) version with metrics."""
    not_done(solution_arn, "create a fourth solution and put its ARN in my_solution_arn.")
    personalize = ws.client("personalize")
    solution = personalize.describe_solution(solutionArn=solution_arn)["solution"]
    name, recipe = solution["name"], solution["recipeArn"].rsplit("/", 1)[-1]
    require(
        name.startswith(f"{ws.prefix}-"),
        f"{name!r} does not start with the workshop prefix: name it ws.name(...), so that "
        "notebook 05 deletes it.",
    )
    three = {s: ws.name(s) for s in ex2.RECIPES}
    require(name not in three.values(), f"{name} is one of the three solutions: make a new one.")
    require(
        solution["datasetGroupArn"] == ex2.group_arn(ws),
        "it belongs to another dataset group: pass datasetGroupArn=dataset_group_arn.",
    )
    require(
        solution.get("performAutoTraining") is False,
        "pass performAutoTraining=False (on AWS it would otherwise train, and bill, by itself).",
    )
    described = {
        s: personalize.describe_solution(solutionArn=ex2.arn(ws, "solution", n))["solution"]
        for s, n in three.items()
    }
    twin = next((s for s, d in described.items() if _settings(d) == _settings(solution)), None)
    require(
        twin is None,
        f"it trains {recipe} with the same settings as {three.get(twin)}: change the recipe, "
        "or a setting (solutionConfig, e.g. algorithmHyperParameters).",
    )
    latest = solution.get("latestSolutionVersion") or {}
    require(latest, "it has no version yet: create_solution_version(solutionArn=...), then wait.")
    require(
        latest["status"] == "ACTIVE",
        f"its version is {latest['status']}: wait_until_active(personalize, <version ARN>).",
    )
    mine, theirs = _ndcg(personalize, solution), _ndcg(personalize, described[ex2.CAMPAIGNS[0]])
    same_model = ""
    if recipe in SAME_MODEL_LOCALLY and ws.target == "local" and round(mine, 4) == round(theirs, 4):
        same_model = (
            f" Its metrics equal user-personalization's: the local emulator trains {recipe} "
            "with aws-user-personalization's model (on AWS it has a model of its own); other "
            "settings, or aws-trending-now, make a comparison here."
        )
    return (
        f"{name} ({recipe}) is trained: NDCG@10 {mine:.4f}, against {theirs:.4f} for "
        f"user-personalization. The metrics table below shows it beside the three.{same_model}"
    )


@check
def own_filter(ws: Any, filter_arn: str | None) -> str:
    """An ACTIVE filter of the learner's (prefix, this dataset group) through which the
    recommendations of a few shoppers all come from one category, where without it they
    come from several."""
    not_done(filter_arn, "create your filter and put its ARN in my_filter_arn.")
    described = ws.client("personalize").describe_filter(filterArn=filter_arn)["filter"]
    name, expression = described["name"], described["filterExpression"]
    require(
        name.startswith(f"{ws.prefix}-"),
        f"{name!r} does not start with the workshop prefix: name it ws.name(...).",
    )
    require(name != ws.name(ex2.FILTER_SUFFIX), "that is the filter above: create one of yours.")
    require(described["status"] == "ACTIVE", f"it is {described['status']}: wait for it.")
    require(
        "$" not in expression,
        f"{expression} has a placeholder: for this task write the category in the expression.",
    )
    frame, products = ex2.interactions(ws), ex2.catalogue(ws)
    runtime, campaign = ws.client("personalize-runtime"), ex2.campaign_arn(ws)
    with_filter, without = set(), set()
    count = 0
    for user in ex2.pick_users(frame, products, 5):
        request = {"campaignArn": campaign, "userId": user, "numResults": 10}
        for found, extra in ((with_filter, {"filterArn": filter_arn}), (without, {})):
            items = runtime.get_recommendations(**request, **extra)["itemList"]
            found.update(products["CATEGORY_L1"].get(i["itemId"], "?") for i in items)
            count += len(items) if extra else 0
    require(
        count,
        f"no recommendation gets through {expression}: is the category spelled as in the "
        f"catalogue ({', '.join(sorted(products['CATEGORY_L1'].unique()))})?",
    )
    require(
        len(with_filter) == 1,
        f"through your filter the recommendations come from {len(with_filter)} categories "
        f"({', '.join(sorted(with_filter))}): keep one, with INCLUDE ItemID WHERE Items.CATEGORY_L1"
        ' IN ("...").',
    )
    return (
        f"{name} is ACTIVE: {count} recommendations for 5 shoppers, all in {with_filter.pop()} "
        f"(without it: {len(without)} categories)."
    )
