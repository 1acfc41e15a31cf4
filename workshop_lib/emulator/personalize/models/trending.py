"""aws-trending-now: items whose interaction count grows fastest between two time windows.

The window is the trend discovery frequency (`trend_discovery_frequency` hyperparameter:
"30 mins", "1 hour", "3 hours" default, "1 day"), counted back from the newest interaction.
Trend = recent count - previous count, with overall popularity as a small tie-breaker
(an emulator choice: AWS does not document the formula).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Model, TrainData

WINDOWS = {"30 mins": 1800, "1 hour": 3600, "3 hours": 10800, "1 day": 86400}


class Trending(Model):
    family = "trending"

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        super().fit(data, params)
        window = WINDOWS.get(params.get("trend_discovery_frequency", "3 hours"), 10800)
        end = data.timestamps.max() if len(data.timestamps) else 0.0
        recent = data.timestamps > end - window
        previous = (data.timestamps > end - 2 * window) & ~recent
        n = data.n_items
        growth = np.bincount(data.items[recent], minlength=n) - np.bincount(
            data.items[previous], minlength=n
        )
        self.trend = growth + 1e-6 * self.popularity / max(self.popularity.max(), 1.0)

    def scores(self, history: np.ndarray) -> np.ndarray:
        return self.trend.copy()
