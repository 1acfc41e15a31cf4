"""Personalize's offline metrics protocol, as get_solution_metrics reports it.

Split (deterministic, so a test can recompute it): among users with at least 2 interactions,
the test users are the first round(10 %) (at least 1) when sorted by the hex MD5 of their user
ID; the other users, with all their interactions, are the training set. Each test user's
interactions are sorted by timestamp (stable); the oldest n * 9 // 10 are the input and the rest
(the newest 10 %, at least 1) the relevant items. The model trained on the training users ranks
25 items per test user: from the input history for user recipes, from the newest input item for
related-items recipes, the common list for popularity recipes. Seen items stay in the list
unless the model excludes them.

Metrics, averaged over test users (R = relevant items, L = list): precision_at_K = |L[:K] & R| / K;
mean_reciprocal_rank_at_25 = 1 / rank of the first relevant item (0 if none);
normalized_discounted_cumulative_gain_at_K = sum over hits at p <= K of 1/log2(1+p), divided by
the same sum over min(|R|, K) ideal places; coverage = distinct recommended items / distinct
items of the Interactions and Items datasets.

The protocol is the same for every recipe type but USER_SEGMENTATION (AWS's guide, "Evaluating
a solution version with metrics"), and GetPersonalizedRanking scores "identically to
GetRecommendations" over the given items (its "How personalized ranking scoring works"): so
aws-personalized-ranking, trained here with user-personalization's model, reports the same
metrics as aws-user-personalization; notebook 02's fourth-solution task and its check say so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .models.base import Model, TrainData, top_n

KS = (5, 10, 25)


@dataclass
class Split:
    train: TrainData
    train_popularity: np.ndarray
    test_users: list[str] = field(default_factory=list)
    test_inputs: list[np.ndarray] = field(default_factory=list)
    test_targets: list[set[int]] = field(default_factory=list)


def test_user_ids(counts: dict[str, int], fraction: float = 0.1, salt: str = "") -> list[str]:
    """The held-out users: see the module docstring."""
    eligible = [u for u, n in counts.items() if n >= 2]
    eligible.sort(key=lambda u: hashlib.md5((salt + u).encode()).hexdigest())
    if not eligible:
        return []
    return eligible[: max(1, round(fraction * len(eligible)))]


def holdout_split(
    data: TrainData, fraction: float = 0.1, max_users: int | None = None, salt: str = ""
) -> Split:
    """Training set (other users) and each test user's input / relevant items."""
    starts = data.user_starts()
    counts = {str(data.user_ids[u]): int(starts[u + 1] - starts[u]) for u in range(data.n_users)}
    chosen = test_user_ids(counts, fraction, salt)
    if max_users is not None:
        chosen = chosen[:max_users]
    code_of = {str(u): i for i, u in enumerate(data.user_ids)}
    is_test = np.zeros(data.n_users, dtype=bool)
    inputs, targets = [], []
    for user in chosen:
        code = code_of[user]
        is_test[code] = True
        items = data.items[starts[code] : starts[code + 1]]
        cut = len(items) * 9 // 10
        inputs.append(items[:cut])
        targets.append(set(items[cut:].tolist()))
    keep = ~is_test[data.users]
    train = TrainData(
        users=data.users[keep],
        items=data.items[keep],
        timestamps=data.timestamps[keep],
        weights=data.weights[keep],
        user_ids=data.user_ids,
        item_ids=data.item_ids,
        item_metadata=data.item_metadata,
        extra_items=data.extra_items,
    )
    popularity = np.bincount(train.items, weights=train.weights, minlength=data.n_items)
    return Split(train, popularity, chosen, inputs, targets)


def _dcg(hits: np.ndarray) -> float:
    return float((hits / np.log2(np.arange(2, len(hits) + 2))).sum())


def ndcg_at(lists: list[np.ndarray], targets: list[set[int]], k: int) -> float:
    values = []
    for ranked, relevant in zip(lists, targets, strict=True):
        hits = np.array([item in relevant for item in ranked[:k]], dtype=float)
        ideal = _dcg(np.ones(min(len(relevant), k)))
        values.append(_dcg(hits) / ideal if ideal else 0.0)
    return float(np.mean(values)) if values else 0.0


def ranking_metrics(lists: list[np.ndarray], targets: list[set[int]]) -> dict[str, float]:
    """The seven ranking metrics (all but coverage) of ranked lists against relevant sets."""
    out: dict[str, float] = {}
    reciprocal = []
    for ranked, relevant in zip(lists, targets, strict=True):
        ranks = [p for p, item in enumerate(ranked[:25], 1) if item in relevant]
        reciprocal.append(1.0 / ranks[0] if ranks else 0.0)
    out["mean_reciprocal_rank_at_25"] = float(np.mean(reciprocal)) if reciprocal else 0.0
    for k in KS:
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = ndcg_at(lists, targets, k)
        precision = [
            sum(item in relevant for item in ranked[:k]) / k
            for ranked, relevant in zip(lists, targets, strict=True)
        ]
        out[f"precision_at_{k}"] = float(np.mean(precision)) if precision else 0.0
    return out


def recommend_lists(model: Model, inputs: list[np.ndarray], n: int = 25) -> list[np.ndarray]:
    if not model.uses_history:
        return [top_n(model.related(int(h[-1])) if len(h) else model.popularity, n) for h in inputs]
    lists = []
    for start in range(0, len(inputs), 512):  # a users x items block at a time (memory)
        lists.extend(top_n(row, n) for row in model.batch_scores(inputs[start : start + 512]))
    return lists


def evaluate(model: Model, split: Split, catalogue_size: int) -> dict[str, float]:
    """The eight standard metrics of `model` (trained on split.train), rounded to 4 places."""
    lists = recommend_lists(model, split.test_inputs)
    metrics = ranking_metrics(lists, split.test_targets)
    recommended = {int(i) for ranked in lists for i in ranked}
    metrics["coverage"] = len(recommended) / catalogue_size if catalogue_size else 0.0
    return {k: round(v, 4) for k, v in sorted(metrics.items())}
