"""Exercise 2, models: three solutions trained at once, then their offline metrics."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import personalize
from .common import (
    RECIPES,
    MissingStep,
    dataset_arn,
    group_arn,
    require,
    solution_arn,
    wait,
)

NOT_REUSABLE = ("CREATE FAILED", "CREATE STOPPING", "CREATE STOPPED")
METRIC_COLUMNS = {
    "precision_at_5": "precision@5",
    "precision_at_10": "precision@10",
    "precision_at_25": "precision@25",
    "normalized_discounted_cumulative_gain_at_5": "NDCG@5",
    "normalized_discounted_cumulative_gain_at_10": "NDCG@10",
    "normalized_discounted_cumulative_gain_at_25": "NDCG@25",
    "mean_reciprocal_rank_at_25": "MRR@25",
    "coverage": "coverage",
}
CHARTED = ["precision@10", "NDCG@10", "MRR@25", "coverage"]
BASELINE = "aws-popularity-count"


def _version_to_wait_for(client: Any, solution: str) -> str:
    """The solution's latest version if it trained or is training; else start a new one."""
    latest = client.describe_solution(solutionArn=solution)["solution"].get("latestSolutionVersion")
    if latest and latest["status"] not in NOT_REUSABLE:
        return latest["solutionVersionArn"]
    return client.create_solution_version(solutionArn=solution, trainingMode="FULL")[
        "solutionVersionArn"
    ]


def train(ws: Any) -> pd.DataFrame:
    """One solution per recipe, then all their versions trained at the same time.

    performAutoTraining=False: on AWS a new solution would otherwise train (and bill) by itself
    within the hour, and again every 7 days.
    """
    client = ws.client("personalize")
    require(ws, dataset_arn(ws, "Interactions"), "create_datasets")
    solutions = {}
    for suffix, recipe in RECIPES.items():
        solutions[recipe], _ = personalize.get_or_create(
            client,
            "solution",
            name=ws.name(suffix),
            datasetGroupArn=group_arn(ws),
            recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            performAutoTraining=False,
        )
    wait(ws, {f"solution {r}": a for r, a in solutions.items()}, "solutions", 900)
    versions = {f"training {r}": _version_to_wait_for(client, a) for r, a in solutions.items()}
    wait(ws, versions, "training", 3 * 3600)
    rows = [(recipe, ws.name(suffix), "ACTIVE") for suffix, recipe in RECIPES.items()]
    return pd.DataFrame(rows, columns=["recipe", "solution", "latest version"])


def version_arn(ws: Any, suffix: str) -> str:
    """The trained (ACTIVE) version of one of the solutions."""
    solution = require(ws, solution_arn(ws, suffix), "train")
    latest = solution.get("latestSolutionVersion") or {}
    if latest.get("status") != "ACTIVE":
        raise MissingStep(f"{ws.name(suffix)} has no trained version: run the cell train() first.")
    return latest["solutionVersionArn"]


def metrics(ws: Any) -> pd.DataFrame:
    """The offline metrics of the three versions side by side, rounded to 4 places."""
    client = ws.client("personalize")
    rows = {}
    for suffix, recipe in RECIPES.items():
        found = client.get_solution_metrics(solutionVersionArn=version_arn(ws, suffix))["metrics"]
        rows[recipe] = {label: found.get(key) for key, label in METRIC_COLUMNS.items()}
    table = pd.DataFrame.from_dict(rows, orient="index").astype(float).round(4)
    table.index.name = "recipe"
    return table


def metrics_chart(table: pd.DataFrame):
    """Grouped bars of the ranking metrics and coverage, one colour per recipe."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(table)
    for i, (recipe, row) in enumerate(table[CHARTED].iterrows()):
        ax.bar([k + i * width for k in range(len(CHARTED))], row.to_numpy(), width, label=recipe)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(CHARTED))], CHARTED)
    best = table.loc[RECIPES["user-personalization"], "NDCG@10"]
    base = table.loc[BASELINE, "NDCG@10"]
    ratio = f"{best / base:.1f} times" if base else "far above"
    ax.set_title(f"NDCG@10 of aws-user-personalization is {ratio} the popularity baseline's")
    ax.set_ylim(0, 1.2)  # all four metrics are shares; the top is left for the legend
    ax.legend(loc="upper center", ncol=len(table), frameon=False)
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's result (not again by the inline backend)
    return fig
