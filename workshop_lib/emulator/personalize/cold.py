"""Cold starts for user-personalization: users without history, items without interactions.

- Cold users: with a Users dataset, a user with no history gets the items most popular among
  training users who share their categorical metadata values (each value's popularity vector,
  normalised, summed over the user's values); without metadata, plain popularity.
- Cold items (aws-user-personalization, exploration): items of the Items dataset that no
  interaction mentions, created (CREATION_TIMESTAMP) at most `explorationItemAgeCutOff` days
  before the newest training interaction, take floor(numResults * explorationWeight / 3) slots
  (at least one when the weight is positive), most similar by item metadata to the user's
  recent items first. The share is an emulator choice: AWS does not document it. Exploration
  is skipped when a filter is applied (filters are evaluated over trained items).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ColdStart:
    segment_popularity: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    cold_items: list[str] = field(default_factory=list)
    cold_created: np.ndarray = field(default_factory=lambda: np.array([]))
    features: Any = None  # sparse rows: known items first, then cold items
    newest_interaction: float = 0.0


def build_cold_start(data, model, users_frame, items_frame) -> ColdStart:
    """What the runtime needs for cold users and items (from the training snapshot)."""
    from .models.similar_items import metadata_features

    cold = ColdStart(newest_interaction=float(data.timestamps.max(initial=0.0)))
    if users_frame is not None and len(users_frame):
        users = users_frame.drop_duplicates("USER_ID", keep="last").set_index("USER_ID")
        code_of = {str(u): i for i, u in enumerate(data.user_ids)}
        user_codes = data.users
        for column in users.columns:
            values = users[column]
            if values.dtype.kind in "biuf":
                continue
            per_user = {str(u): str(v).split("|") for u, v in values.dropna().items()}
            tokens: dict[str, list[int]] = {}
            for user, parts in per_user.items():
                if user in code_of:
                    for part in parts:
                        tokens.setdefault(part, []).append(code_of[user])
            for token, codes in tokens.items():
                mask = np.isin(user_codes, codes)
                counts = np.bincount(data.items[mask], minlength=data.n_items).astype(float)
                if counts.sum():
                    cold.segment_popularity[(column, token)] = counts / counts.max()
    if items_frame is not None and len(items_frame) and data.extra_items:
        cold.cold_items = list(data.extra_items)
        created = items_frame.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID")
        if "CREATION_TIMESTAMP" in created.columns:
            stamps = created["CREATION_TIMESTAMP"].reindex(cold.cold_items).astype(float)
            cold.cold_created = stamps.fillna(cold.newest_interaction).to_numpy()
        else:
            cold.cold_created = np.full(len(cold.cold_items), cold.newest_interaction)
        ids = np.concatenate([model.item_ids, np.asarray(cold.cold_items, dtype=object)])
        cold.features = metadata_features(items_frame, ids)
    return cold


def cold_user_scores(cold: ColdStart, user_row: dict[str, Any], fallback: np.ndarray):
    total = np.zeros_like(fallback, dtype=float)
    for (column, token), vector in cold.segment_popularity.items():
        value = user_row.get(column)
        if isinstance(value, str) and token in value.split("|"):
            total += vector
    return total if total.any() else fallback


def exploration_items(
    cold: ColdStart,
    history: np.ndarray,
    n: int,
    weight: float,
    cutoff_days: float,
    allowed: set[str] | None = None,
) -> list[str]:
    """The cold items to mix into a list of n (most similar to the user's recent items), among
    those a filter allows (allowed=None: no filter)."""
    if weight <= 0 or not cold.cold_items or n <= 0:
        return []
    fresh = cold.cold_created >= cold.newest_interaction - cutoff_days * 86400
    if allowed is not None:
        fresh &= np.array([str(i) in allowed for i in cold.cold_items], dtype=bool)
    candidates = np.flatnonzero(fresh)
    if not len(candidates):
        return []
    slots = max(1, int(n * weight / 3))
    known = cold.features.shape[0] - len(cold.cold_items) if cold.features is not None else 0
    if cold.features is not None and len(history):
        profile = np.asarray(cold.features[history[-10:]].mean(axis=0)).ravel()
        similarity = cold.features[known + candidates] @ profile
        order = np.lexsort((candidates, -np.asarray(similarity).ravel()))
    else:
        order = np.argsort(candidates, kind="stable")
    return [cold.cold_items[candidates[k]] for k in order[:slots]]
