"""aws-user-personalization(-v2) and aws-personalized-ranking(-v2): a sequence-aware item-kNN.

Why this model: it trains in seconds on 2 CPU cores (two sparse products), and a user's
recommendations are a weighted sum of item-similarity rows over the user's history, so an event
put a moment ago changes the next answer without retraining, as Personalize's real-time updates.

    score(u) = sum_t decay^age(t) * [(1 - blend) * C[h_t] + blend * T[h_t]]  (newest: age 0)
               + repeat * (decayed weight of u's own items) + prior * popularity

- C: item-item cosine of the (event-weighted) user x item matrix;
- T: item -> next-items transitions (the following 3 interactions, weight 1/distance), cosine-
  normalised: it captures order, which matters as Personalize measures on each user's newest events;
- both keep the `neighbours` strongest entries per item;
- `repeat` handles both kinds of data: where users repeat items (view, cart, purchase of one SKU)
  the user's own items score high; where they never do (`repeat` = None) seen items are excluded.

decay, blend and repeat are fitted at every training on a validation split of the training users
(Personalize's protocol inside the training set); performHPO widens the search (neighbours and
the popularity prior too). Hyperparameters given in algorithmHyperParameters are kept as given.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .base import Model, TrainData, top_n

DEFAULTS: dict[str, Any] = {
    "decay": 0.7,
    "blend": 0.5,
    "repeat": 0.5,
    "prior": 0.02,
    "neighbours": 100,
}
GRID = {"decay": [1.0, 0.8, 0.5, 0.25], "blend": [0.0, 0.5, 1.0], "repeat": [None, 0.3, 2.0]}
HPO_GRID = {
    **GRID,
    "decay": [1.0, 0.9, 0.7, 0.5, 0.3, 0.1],
    "repeat": [None, 0.1, 0.5, 2.0, 8.0],
    "prior": [0.0, 0.02, 0.1],
    "neighbours": [50, 100, 300],
}
TRANSITION_SPAN = 3
VALIDATION_USERS = 600


def _prune(matrix, keep: int):
    """Keep the `keep` largest entries of each row of a CSR matrix."""
    from scipy import sparse

    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    counts = np.diff(matrix.indptr)
    if counts.max(initial=0) <= keep:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-matrix.data, rows))
    rank = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = order[rank < keep]
    return sparse.csr_matrix(
        (matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape
    )


def _cosine(matrix):
    """Cosine-normalise a square co-count matrix by its row and column sums' square roots."""
    rows = np.sqrt(np.asarray(matrix.sum(axis=1)).ravel()) + 1e-9
    cols = np.sqrt(np.asarray(matrix.sum(axis=0)).ravel()) + 1e-9
    return matrix.multiply(1.0 / rows[:, None]).multiply(1.0 / cols[None, :]).tocsr()


def similarity_matrices(data: TrainData, neighbours: int):
    """(C, T): co-occurrence cosine and transition matrices, pruned per row."""
    from scipy import sparse

    n = data.n_items
    x = sparse.csr_matrix((data.weights, (data.users, data.items)), shape=(data.n_users, n))
    x.data = np.minimum(x.data, 3.0)  # repeated events count, but boundedly
    co = (x.T @ x).tocsr()
    co.setdiag(0)
    co = _cosine(co)
    rows, cols, vals = [], [], []
    for gap in range(1, TRANSITION_SPAN + 1):
        same = data.users[gap:] == data.users[:-gap]
        src, dst = data.items[:-gap][same], data.items[gap:][same]
        differ = src != dst
        rows.append(src[differ])
        cols.append(dst[differ])
        vals.append(np.full(differ.sum(), 1.0 / gap, np.float32))
    trans = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    trans = _cosine(trans)
    return _prune(co, neighbours), _prune(trans, neighbours)


def history_weights(histories: list[np.ndarray], decay: float, n_items: int):
    """Sparse (users x items) matrix of decayed history weights, newest event weight 1."""
    from scipy import sparse

    lengths = np.array([len(h) for h in histories])
    items = np.concatenate(histories) if len(histories) else np.array([], np.int32)
    rows = np.repeat(np.arange(len(histories)), lengths)
    ends = np.repeat(np.cumsum(lengths), lengths)
    age = ends - np.arange(len(items)) - 1
    weights = np.power(decay, age, dtype=np.float64)
    return sparse.csr_matrix((weights, (rows, items)), shape=(len(histories), n_items))


class SequenceKnn(Model):
    family = "user_personalization"

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        super().fit(data, params)
        given = {k: _parse(k, v) for k, v in params.items() if k in DEFAULTS}
        grid = HPO_GRID if hpo else GRID
        chosen = dict(DEFAULTS)
        if "neighbours" in given or not hpo:
            chosen["neighbours"] = given.get("neighbours", DEFAULTS["neighbours"])
            searched = {k: v for k, v in grid.items() if k not in given and k != "neighbours"}
        else:
            searched = {k: v for k, v in grid.items() if k not in given}
        chosen.update(given)
        if searched and data.n_users >= 50:
            chosen.update(self._search(data, chosen, searched))
        self.params = chosen
        self.c, self.t = similarity_matrices(data, int(chosen["neighbours"]))
        self._combine()

    def _combine(self) -> None:
        blend = float(self.params["blend"])
        self.similarity = ((1 - blend) * self.c + blend * self.t).tocsr()
        self.prior = self.popularity / max(self.popularity.max(), 1e-9)
        self.exclude_seen = self.params["repeat"] is None

    def _search(self, data: TrainData, fixed: dict, grid: dict) -> dict[str, Any]:
        """The grid point with the best NDCG@10 on held-out training users."""
        from ..metrics import holdout_split, ndcg_at

        split = holdout_split(data, fraction=0.1, max_users=VALIDATION_USERS)
        if not split.test_inputs:
            return {}
        best, best_score = {}, -1.0
        neighbour_values = grid.get("neighbours", [fixed["neighbours"]])
        for neighbours in neighbour_values:
            c, t = similarity_matrices(split.train, int(neighbours))
            prior = split.train_popularity / max(split.train_popularity.max(), 1e-9)
            for decay in grid.get("decay", [fixed["decay"]]):
                h = history_weights(split.test_inputs, decay, split.train.n_items)
                norm = np.asarray(h.sum(axis=1)).ravel()[:, None] + 1e-9
                sc, st = (h @ c).toarray() / norm, (h @ t).toarray() / norm
                own = h.toarray() / norm
                for blend, repeat, pri in itertools.product(
                    grid.get("blend", [fixed["blend"]]),
                    grid.get("repeat", [fixed["repeat"]]),
                    grid.get("prior", [fixed["prior"]]),
                ):
                    scores = (1 - blend) * sc + blend * st + pri * prior
                    if repeat is None:
                        scores[own > 0] = -np.inf
                    else:
                        scores += repeat * own
                    lists = [top_n(row, 10) for row in scores]
                    value = ndcg_at(lists, split.test_targets, 10)
                    if value > best_score:
                        best_score = value
                        best = {
                            "neighbours": neighbours,
                            "decay": decay,
                            "blend": blend,
                            "repeat": repeat,
                            "prior": pri,
                        }
        return {k: v for k, v in best.items() if k in grid}

    def _raw(self, weights, own) -> np.ndarray:
        norm = float(weights.sum()) + 1e-9
        scores = np.asarray((weights @ self.similarity).todense()).ravel() / norm
        scores += float(self.params["prior"]) * self.prior
        own_dense = np.asarray(own.todense()).ravel() / norm
        if self.exclude_seen:
            scores[own_dense > 0] = -np.inf
        else:
            scores += float(self.params["repeat"]) * own_dense
        return scores

    def scores(self, history: np.ndarray) -> np.ndarray:
        if len(history) == 0:
            return self.prior.copy()
        h = history_weights([history], float(self.params["decay"]), len(self.item_ids))
        return self._raw(h, h)

    def batch_scores(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(histories), len(self.item_ids)))
        for start in range(0, len(histories), 256):
            chunk = histories[start : start + 256]
            h = history_weights(chunk, float(self.params["decay"]), len(self.item_ids))
            norm = np.asarray(h.sum(axis=1)).ravel()[:, None] + 1e-9
            scores = (h @ self.similarity).toarray() / norm + self.params["prior"] * self.prior
            own = h.toarray() / norm
            if self.exclude_seen:
                scores[own > 0] = -np.inf
            else:
                scores += float(self.params["repeat"]) * own
            empty = np.array([len(c) == 0 for c in chunk])
            scores[empty] = self.prior
            out[start : start + len(chunk)] = scores
        return out


def _parse(key: str, value: Any) -> Any:
    if key == "repeat" and str(value).lower() in ("none", "exclude", "-1"):
        return None
    return int(value) if key == "neighbours" else float(value)


def softmax(scores: np.ndarray, temperature: float = 0.1) -> np.ndarray:
    """Scores that sum to 1 over the given items (-inf items get 0)."""
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros_like(scores)
    top = scores[finite].max()
    scale = max(abs(top), 1e-9)
    out = np.zeros_like(scores, dtype=np.float64)
    out[finite] = np.exp((scores[finite] - top) / (scale * temperature))
    return out / out.sum()
