"""aws-sims: item-to-item co-occurrence (users who interacted with both items).

similarity(i, j) = co(i, j) / (pop(i) * pop(j)) ** popularity_discount_factor, kept where
co(i, j) >= min_cointeraction_count (the recipe's hyperparameters, defaults 0.5 and 3).
An unknown item, or one without enough co-occurrences, gets popular items (as on AWS).
Events put after training are ignored until the next training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Model, TrainData


def user_item_matrix(data: TrainData):
    from scipy import sparse

    matrix = sparse.csr_matrix(
        (np.ones(len(data.items), np.float32), (data.users, data.items)),
        shape=(data.n_users, data.n_items),
    )
    matrix.data[:] = 1.0  # duplicates were summed: back to "interacted"
    return matrix


class Sims(Model):
    family = "sims"
    uses_history = False

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        super().fit(data, params)
        discount = float(params.get("popularity_discount_factor", 0.5))
        min_co = float(params.get("min_cointeraction_count", 3))
        x = user_item_matrix(data)
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.data[co.data < min_co] = 0
        co.eliminate_zeros()
        users_per_item = np.asarray(x.sum(axis=0)).ravel() + 1e-9
        scale = users_per_item**-discount
        self.similarity = co.multiply(scale[:, None]).multiply(scale[None, :]).tocsr()

    def related(self, item: int) -> np.ndarray:
        row = self.similarity.getrow(item)
        # popular items fill the places co-occurrence leaves empty, below every similar item
        scores = self.popularity / (self.popularity.max() + 1.0) * 1e-6
        scores[row.indices] += row.data + 1.0
        scores[item] = -np.inf
        return scores
