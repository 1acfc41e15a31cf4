"""Training data as integer codes, and the interface every model implements.

Event selection, as the solution configures it: `eventType` keeps one event type; an
`eventsConfig.eventParametersList` keeps the listed types, each with its weight and value
threshold (types not listed are left out: an emulator choice); `eventValueThreshold` drops
events whose EVENT_VALUE is below it. Event types match case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class TrainData:
    """Interactions sorted by (user, time): codes into `user_ids` / `item_ids`."""

    users: np.ndarray  # int32 codes, sorted by user then timestamp
    items: np.ndarray  # int32 codes
    timestamps: np.ndarray  # float64 epoch seconds
    weights: np.ndarray  # float32 event weights
    user_ids: np.ndarray  # object array of ids, code -> id
    item_ids: np.ndarray
    item_metadata: Any = None  # pandas frame of the Items dataset (or None)
    extra_items: list[str] = field(default_factory=list)  # Items-dataset ids without events

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_starts(self) -> np.ndarray:
        """Row offsets of each user's block (length n_users + 1)."""
        return np.searchsorted(self.users, np.arange(self.n_users + 1))

    def histories(self) -> dict[str, np.ndarray]:
        starts = self.user_starts()
        return {
            str(self.user_ids[u]): self.items[starts[u] : starts[u + 1]]
            for u in range(self.n_users)
        }


def select_events(frame, event_type: str | None, config: dict[str, Any]):
    """The rows a solution trains on, with a `WEIGHT` column (see the module docstring)."""
    frame = frame.copy()
    frame["WEIGHT"] = 1.0
    has_type = "EVENT_TYPE" in frame.columns and frame["EVENT_TYPE"].notna().any()
    lowered = frame["EVENT_TYPE"].fillna("").str.lower() if has_type else None
    has_value = "EVENT_VALUE" in frame.columns
    values = frame["EVENT_VALUE"].astype(float) if has_value else None
    if event_type and lowered is not None:
        frame = frame[lowered == event_type.lower()]
        lowered = lowered[frame.index]
        values = values[frame.index] if has_value else None
    params = (config.get("eventsConfig") or {}).get("eventParametersList") or []
    if params and lowered is not None:
        keep = np.zeros(len(frame), dtype=bool)
        weights = np.ones(len(frame))
        for p in params:
            match = (lowered == str(p.get("eventType", "")).lower()).to_numpy()
            if p.get("eventValueThreshold") is not None and has_value:
                match &= (values.fillna(-np.inf) >= float(p["eventValueThreshold"])).to_numpy()
            keep |= match
            weights[match] = float(p.get("weight", 1.0))
        frame = frame.assign(WEIGHT=weights)[keep & (weights > 0)]
    threshold = config.get("eventValueThreshold")
    if threshold not in (None, "") and has_value:
        frame = frame[frame["EVENT_VALUE"].astype(float).fillna(-np.inf) >= float(threshold)]
    return frame


def build(frame, item_metadata=None) -> TrainData:
    """Codes for a selected interactions frame (USER_ID, ITEM_ID, TIMESTAMP, WEIGHT)."""
    import pandas as pd

    user_codes, user_ids = pd.factorize(frame["USER_ID"].astype(str), sort=True)
    item_codes, item_ids = pd.factorize(frame["ITEM_ID"].astype(str), sort=True)
    ts = frame["TIMESTAMP"].to_numpy(dtype=np.float64)
    weights = (
        frame["WEIGHT"].to_numpy(dtype=np.float32)
        if "WEIGHT" in frame.columns
        else np.ones(len(frame), np.float32)
    )
    order = np.lexsort((np.arange(len(frame)), ts, user_codes))
    extra: list[str] = []
    if item_metadata is not None and len(item_metadata):
        known = set(item_ids)
        extra = [i for i in item_metadata["ITEM_ID"].astype(str) if i not in known]
    return TrainData(
        users=user_codes[order].astype(np.int32),
        items=item_codes[order].astype(np.int32),
        timestamps=ts[order],
        weights=weights[order],
        user_ids=np.asarray(user_ids, dtype=object),
        item_ids=np.asarray(item_ids, dtype=object),
        item_metadata=item_metadata,
        extra_items=extra,
    )


class Model:
    """A trained recommender over the item catalogue `item_ids`."""

    family = "base"
    uses_history = True  # user recipes score a history; related-items recipes score an item
    exclude_seen = False  # whether the user's own items are left out of recommendations

    def __init__(self) -> None:
        self.item_ids: np.ndarray = np.array([], dtype=object)
        self.item_index: dict[str, int] = {}
        self.popularity: np.ndarray = np.array([])
        self.params: dict[str, Any] = {}

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        self.item_ids = data.item_ids
        self.item_index = {str(i): n for n, i in enumerate(data.item_ids)}
        counts = np.bincount(data.items, weights=data.weights, minlength=data.n_items)
        self.popularity = counts.astype(np.float64)
        self.params = dict(params)

    def scores(self, history: np.ndarray) -> np.ndarray:
        """Relevance of every item for a user whose item codes (oldest first) are `history`."""
        return self.popularity.copy()

    def related(self, item: int) -> np.ndarray:
        return self.popularity.copy()

    def batch_scores(self, histories: list[np.ndarray]) -> np.ndarray:
        """Scores for many users at once (metrics); models override it to vectorise."""
        return np.vstack([self.scores(h) for h in histories])

    def update(self, data: TrainData) -> None:
        """trainingMode=UPDATE: refresh what is cheap (popularity) without a full refit."""
        self.fit(data, self.params)


def top_n(scores: np.ndarray, n: int, banned: np.ndarray | None = None) -> np.ndarray:
    """Indices of the n best finite scores, best first (ties: lower index first)."""
    scores = scores.astype(np.float64, copy=True)
    if banned is not None and len(banned):
        scores[banned] = -np.inf
    finite = np.isfinite(scores)
    n = min(n, int(finite.sum()))
    if n <= 0:
        return np.array([], dtype=np.int64)
    kth = -np.partition(-scores, n - 1)[n - 1]
    candidates = np.flatnonzero(scores >= kth)
    order = np.lexsort((candidates, -scores[candidates]))[:n]
    return candidates[order]
