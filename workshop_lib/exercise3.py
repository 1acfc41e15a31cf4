"""Plumbing of exercise 3 (the recommendations API); the lesson's calls are in the notebook.

What stays here is not the lesson: packaging the function's zip with the catalogue beside it,
a small finder for the shopper the calls are for, and tables and a chart to show answers.
The role, the function, the API, the permission and the HTTP calls are written in the cells.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from . import deploy
from .exercise2 import Listing, catalogue, interactions, pick_users

MODULE = "recommendations_api"  # workshop_lib/functions/recommendations_api.py
SUFFIX = "recommendations-api"  # the role, the function and the API: <prefix>-recommendations-api
SOURCE = f"workshop_lib/functions/{MODULE}.py"
CATALOGUE_COLUMNS = ["ITEM_ID", "NAME", "CATEGORY_L1", "CATEGORY_L2", "BRAND", "PRICE"]


def package(ws: Any) -> bytes:
    """The deployment zip: the function's source and `products.csv` beside it (exercise 2's
    catalogue, with the items put one by one), so the function can turn item ids into names.
    Built the same way every time: same source and catalogue, same bytes, same CodeSha256."""
    products = catalogue(ws).reset_index()[CATALOGUE_COLUMNS].sort_values("ITEM_ID")
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(deploy.FUNCTIONS_DIR / f"{MODULE}.py", Path(folder) / f"{MODULE}.py")
        products.to_csv(Path(folder) / "products.csv", index=False)
        return deploy.package(MODULE, ["products.csv"], source_dir=Path(folder))


def shoppers(ws: Any, count: int = 1) -> list[str]:
    """The shoppers with the clearest tastes (most of their interactions in one category):
    their recommendations are easy to judge by eye."""
    return pick_users(interactions(ws), catalogue(ws), count)


def policy_statements(lambda_client: Any, function: str) -> list[dict]:
    """The statements of the function's resource policy (none before add_permission)."""
    try:
        policy = lambda_client.get_policy(FunctionName=function)["Policy"]
    except lambda_client.exceptions.ResourceNotFoundException:
        return []
    return json.loads(policy)["Statement"]


def items_table(items: list[dict]) -> pd.DataFrame:
    """The items of an answer as an app would render them, numbered from 1."""
    frame = pd.DataFrame(items)
    if "score" in frame:
        frame["score"] = frame["score"].round(6)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="#")
    return frame


def latency_histogram(timings: list[float]):
    """A histogram of the call times in ms, p50 and p95 marked."""
    import matplotlib.pyplot as plt

    series = pd.Series(timings)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.hist(series, bins=40, color="#3b7dd8")
    for q, style in ((0.5, "-"), (0.95, "--")):
        value = series.quantile(q)
        ax.axvline(value, color="#d8553b", linestyle=style, label=f"p{int(q * 100)} {value:.1f} ms")
    ax.set_xlabel("ms per call (client side: HTTP, API Gateway, Lambda, Personalize)")
    ax.set_ylabel("calls")
    ax.set_title(f"Latency of {len(series)} calls to GET /recommendations")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def log_table(lines: list[dict]) -> Listing:
    """The function's JSON log lines counted per route, status and the error it explained."""
    frame = pd.DataFrame(lines)
    frame["error"] = frame.get("error", pd.Series(dtype=str)).fillna("")
    table = frame.groupby(["method", "path", "status", "error"]).size().reset_index(name="lines")
    return Listing(table.sort_values(["path", "method", "status", "error"]).reset_index(drop=True))
