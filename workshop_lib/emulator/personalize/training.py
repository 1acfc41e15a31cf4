"""A solution version's training job: select events, check the minimums, measure, fit.

Runs in the store's background pool. It trains the recipe's model twice: on the training users
of the metrics split (get_solution_metrics, Personalize's protocol) and on all users (the model
campaigns and batch jobs serve); the hyperparameters searched in the first fit are reused by the
second. trainingMode=UPDATE reuses the previous ACTIVE version's hyperparameters without a search.
How the search chose (validation NDCG@10, and whether popularity alone won) is logged and shown
in tunedHPOParams under NOTE_KEY: a learner whose data favours popularity reads it there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import recipes
from .cold import ColdStart, build_cold_start
from .metrics import evaluate, holdout_split
from .models import Model, new_model
from .models.base import build, select_events
from .models.user_personalization import RANGES

log = logging.getLogger(__name__)
MIN_INTERACTIONS = 1000
NOTE_KEY = "emulator_validation"  # not a hyperparameter: the local search's verdict
MIN_USERS = 25


class TrainingFailure(Exception):
    """The data does not meet a minimum: CREATE FAILED with this failureReason."""


@dataclass
class Trained:
    """What a solution version serves: the model and the users' training histories."""

    recipe: str
    model: Model
    histories: dict[str, np.ndarray]
    metrics: dict[str, float]
    tuned: dict[str, Any]
    item_metadata: Any = None
    seconds: float = 0.0
    event_sequence: int = 0  # live events up to this number are in the training data
    interactions: Any = None  # the training snapshot (filters on Interactions read it)
    user_events: dict[str, Any] = field(default_factory=dict)  # built lazily by filters
    cold: ColdStart | None = None  # user-personalization: cold users and items


def train(
    recipe: str,
    interactions,
    items_frame,
    solution: dict[str, Any],
    previous: Trained | None = None,
    users_frame=None,
) -> Trained:
    """Train `recipe` on the group's data (pandas frames) for a solution's configuration."""
    started = time.time()
    config = solution.get("solutionConfig") or {}
    frame = select_events(interactions, solution.get("eventType"), config)
    if len(frame) < MIN_INTERACTIONS:
        kind = solution.get("eventType") or "all event types"
        raise TrainingFailure(
            f"Dataset has fewer than {MIN_INTERACTIONS} interactions after filtering by event "
            f"type: {kind} ({len(frame)} found)."
        )
    per_user = frame["USER_ID"].value_counts()
    if int((per_user >= 2).sum()) < MIN_USERS:
        raise TrainingFailure(
            "Create failed. Dataset has fewer than 25 users with at least 2 interactions each."
        )
    params = dict(config.get("algorithmHyperParameters") or {})
    frame = _history_percentiles(frame, params)
    data = build(frame, items_frame)
    ranges = _hpo_ranges(config.get("hpoConfig") or {})
    hpo = bool(solution.get("performHPO"))
    if previous is not None:
        params = {**previous.tuned, **params}
        hpo = False
    family = recipes.TRAINED[recipe]

    split = holdout_split(data)
    measured = new_model(family)
    measured.fit(split.train, {**params, RANGES: ranges}, hpo=hpo)
    catalogue = data.n_items + len(data.extra_items)
    metrics = evaluate(measured, split, catalogue)

    model = new_model(family)
    model.fit(data, {**params, **measured.params}, hpo=False)
    cold = None
    tuned = {k: str(v) for k, v in measured.params.items() if k != RANGES}
    if family == "user_personalization":
        cold = build_cold_start(data, model, users_frame, items_frame)
        if previous is None:
            tuned[NOTE_KEY] = measured.note
            log.info("%s on %d interactions: %s", recipe, len(data.items), measured.note)
    return Trained(
        recipe=recipe,
        model=model,
        histories=data.histories(),
        metrics=metrics,
        tuned=tuned,
        item_metadata=items_frame,
        seconds=time.time() - started,
        cold=cold,
    )


def _history_percentiles(frame, params: dict[str, Any]):
    """min/max_user_history_length_percentile (only when given): drop outlying users."""
    low = params.get("min_user_history_length_percentile")
    high = params.get("max_user_history_length_percentile")
    if low is None and high is None:
        return frame
    lengths = frame["USER_ID"].value_counts()
    lo = lengths.quantile(float(low)) if low is not None else 0
    hi = lengths.quantile(float(high)) if high is not None else lengths.max()
    keep = lengths[(lengths >= lo) & (lengths <= hi)].index
    return frame[frame["USER_ID"].isin(keep)]


def _hpo_ranges(hpo_config: dict[str, Any]) -> dict[str, list]:
    """hpoConfig.algorithmHyperParameterRanges as value lists (4 points per numeric range)."""
    ranges = hpo_config.get("algorithmHyperParameterRanges") or {}
    out: dict[str, list] = {}
    for spec in ranges.get("integerHyperParameterRanges") or []:
        values = np.linspace(spec["minValue"], spec["maxValue"], 4).round().astype(int)
        out[spec["name"]] = sorted(set(values.tolist()))
    for spec in ranges.get("continuousHyperParameterRanges") or []:
        out[spec["name"]] = np.linspace(spec["minValue"], spec["maxValue"], 4).tolist()
    for spec in ranges.get("categoricalHyperParameterRanges") or []:
        out[spec["name"]] = list(spec.get("values") or [])
    return out
