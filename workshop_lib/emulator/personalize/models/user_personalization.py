"""aws-user-personalization(-v2) and aws-personalized-ranking(-v2): a sequence-aware item model.

Why this model: it trains in seconds on 2 CPU cores, and a user's recommendations are a weighted
sum of item-to-item rows over the user's history, so an event put a moment ago changes the next
answer without retraining, as Personalize's real-time updates do.

    score(u) = sum_t decay^age(t) * [(1 - blend) * C[h_t] + blend * T[h_t]]  (newest: age 0)
               + repeat * (decayed weight of u's own items) + prior * popularity

- C, the item-item model: EASE (closed-form ridge regression of the user x item matrix on
  itself, zero diagonal, L2 weight `l2`) while the catalogue has at most EASE_MAX_ITEMS items;
  above that (the dense inverse would cost too much time and memory), the item-item cosine of
  the event-weighted user x item matrix, keeping the `neighbours` strongest entries per item;
- T: item -> next-items transitions (the following 3 interactions, weight 1/distance), cosine-
  normalised: order matters, as Personalize measures on each user's newest events;
- `repeat` handles both kinds of data: where users repeat items (view, cart, purchase of one SKU)
  the user's own recent items score high; where they never do (`repeat` = None) seen items are
  excluded, so no slot goes to them.

decay, blend and repeat are fitted at every training on a validation split of the training users
(Personalize's protocol inside the training set); performHPO widens the search (l2, neighbours
and the popularity prior too), over hpoConfig's ranges where they name these parameters.
Hyperparameters given in algorithmHyperParameters are kept; of AWS's documented ones,
recency_mask=false means no recency decay (decay 1) and min/max_user_history_length_percentile
leave users with outlying history lengths out of training (training.py).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .base import Model, TrainData

EASE_MAX_ITEMS = 3000
DEFAULTS: dict[str, Any] = {
    "decay": 0.7,
    "blend": 0.5,
    "repeat": 0.5,
    "prior": 0.0,
    "neighbours": 100,
    "l2": 200.0,
}
STRUCTURE = ("l2", "neighbours")  # parameters that change the matrices (searched in the outer loop)
GRID = {
    "decay": [1.0, 0.8, 0.6, 0.3],
    "blend": [0.0, 0.3, 1.0],
    "repeat": [None, 0.3, 2.0],
    "prior": [0.0, 0.01],
    "l2": [150.0, 500.0],
}
HPO_GRID = {
    **GRID,
    "decay": [1.0, 0.9, 0.7, 0.5, 0.3, 0.1],
    "blend": [0.0, 0.15, 0.3, 0.6, 1.0],
    "repeat": [None, 0.1, 0.5, 2.0, 8.0],
    "prior": [0.0, 0.02, 0.1],
    "neighbours": [50, 100, 300],
    "l2": [50.0, 200.0, 500.0],
}
RANGES = "__hpo_ranges__"  # hpoConfig ranges, as lists of values (training.py builds them)
TRANSITION_SPAN = 3
VALIDATION_USERS = 1000
VALIDATION_CELLS = 10_000_000
TIE_BREAK = 1e-9  # popularity orders items whose scores are otherwise equal


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


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


def ease(x, l2: float) -> np.ndarray:
    """EASE's item-item weights B = I - P / diag(P), P = (X'X + l2 I)^-1 (float32)."""
    gram = _dense(x.T @ x).astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


def similarity_matrices(data: TrainData, neighbours: int, l2: float):
    """(C, T): the item-item model (dense EASE or sparse cosine) and the transition matrix."""
    from scipy import sparse

    n = data.n_items
    x = sparse.csr_matrix((data.weights, (data.users, data.items)), shape=(data.n_users, n))
    if n <= EASE_MAX_ITEMS:
        x.data[:] = 1.0
        item_model = ease(x, l2)
    else:
        x.data = np.minimum(x.data, 3.0)  # repeated events count, but boundedly
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        item_model = _prune(_cosine(co), neighbours)
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
    return item_model, _prune(_cosine(trans), neighbours)


def history_weights(histories: list[np.ndarray], decay: float, n_items: int):
    """Sparse (users x items) matrix of decayed history weights, newest event weight 1."""
    from scipy import sparse

    lengths = np.array([len(h) for h in histories], dtype=np.int64)
    items = np.concatenate(histories) if len(histories) else np.array([], np.int32)
    rows = np.repeat(np.arange(len(histories)), lengths)
    ends = np.repeat(np.cumsum(lengths), lengths)
    age = ends - np.arange(len(items)) - 1
    weights = np.power(decay, age, dtype=np.float64)
    return sparse.csr_matrix((weights, (rows, items)), shape=(len(histories), n_items))


def top_rows(scores: np.ndarray, k: int) -> list[np.ndarray]:
    """The k best items of every row at once (the search's fast path; ties in any order)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    finite = np.isfinite(np.take_along_axis(scores, best, axis=1))
    return [row[mask] for row, mask in zip(best, finite, strict=True)]


def _score_block(h, similarity, params: dict, prior: np.ndarray) -> np.ndarray:
    """Scores of a block of users (rows of the history-weight matrix h)."""
    norm = np.asarray(h.sum(axis=1)).ravel()[:, None] + 1e-9
    scores = _dense(h @ similarity) / norm + (float(params["prior"]) + TIE_BREAK) * prior
    own = h.toarray() / norm
    if params["repeat"] is None:
        scores[own > 0] = -np.inf
    else:
        scores += float(params["repeat"]) * own
    return scores


class SequenceKnn(Model):
    family = "user_personalization"

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        super().fit(data, params)
        given = {k: _parse(k, v) for k, v in params.items() if k in DEFAULTS}
        if str(params.get("recency_mask", "")).lower() == "false":
            given["decay"] = 1.0  # AWS's switch for weighting recent history more
        grid = HPO_GRID if hpo else GRID
        ranges = params.get(RANGES) or {}
        if hpo and ranges:
            grid = {**grid, **{k: [_parse(k, v) for v in ranges[k]] for k in ranges if k in grid}}
        searched = {k: v for k, v in grid.items() if k not in given}
        chosen = {**DEFAULTS, **given}
        if searched and data.n_users >= 50:
            chosen.update(self._search(data, chosen, searched))
        self.params = chosen
        self.c, self.t = similarity_matrices(data, int(chosen["neighbours"]), chosen["l2"])
        blend = float(chosen["blend"])
        mixed = (1 - blend) * self.c + blend * self.t
        self.similarity = mixed if isinstance(mixed, np.ndarray) else mixed.tocsr()
        self.prior = self.popularity / max(self.popularity.max(), 1e-9)
        self.exclude_seen = chosen["repeat"] is None

    def _search(self, data: TrainData, fixed: dict, grid: dict) -> dict[str, Any]:
        """The grid point with the best NDCG@10 on held-out training users."""
        from ..metrics import holdout_split, ndcg_at

        # users x items dense score blocks stay near 10 million cells (speed on big catalogues)
        users = min(VALIDATION_USERS, max(200, VALIDATION_CELLS // max(data.n_items, 1)))
        split = holdout_split(data, fraction=0.2, max_users=users, salt="validation")
        if not split.test_inputs:
            return {}
        prior = split.train_popularity / max(split.train_popularity.max(), 1e-9)
        prior = prior.astype(np.float32)
        best, best_score = {}, -1.0
        if data.n_items > EASE_MAX_ITEMS:
            grid = {k: v for k, v in grid.items() if k != "l2"}  # l2 is EASE's alone
        else:
            grid = {k: v for k, v in grid.items() if k != "neighbours"}  # kNN's alone
        outer = [grid.get(k, [fixed[k]]) for k in STRUCTURE]
        for l2, neighbours in itertools.product(*outer):
            c, t = similarity_matrices(split.train, int(neighbours), float(l2))
            for decay in grid.get("decay", [fixed["decay"]]):
                h = history_weights(split.test_inputs, decay, split.train.n_items)
                norm = np.asarray(h.sum(axis=1)).ravel()[:, None] + 1e-9
                sc = (_dense(h @ c) / norm).astype(np.float32)
                st = (_dense(h @ t) / norm).astype(np.float32)
                own = (h.toarray() / norm).astype(np.float32)
                for blend, repeat, pri in itertools.product(
                    grid.get("blend", [fixed["blend"]]),
                    grid.get("repeat", [fixed["repeat"]]),
                    grid.get("prior", [fixed["prior"]]),
                ):
                    scores = (1 - blend) * sc + blend * st + (pri + TIE_BREAK) * prior
                    if repeat is None:
                        scores[own > 0] = -np.inf
                    else:
                        scores += repeat * own
                    value = ndcg_at(top_rows(scores, 10), split.test_targets, 10)
                    if value > best_score:
                        best_score = value
                        best = dict(
                            l2=l2, neighbours=neighbours, decay=decay, blend=blend, repeat=repeat
                        )
                        best["prior"] = pri
        return {k: v for k, v in best.items() if k in grid}

    def scores(self, history: np.ndarray) -> np.ndarray:
        if len(history) == 0:
            return self.prior.copy()
        h = history_weights([history], float(self.params["decay"]), len(self.item_ids))
        return _score_block(h, self.similarity, self.params, self.prior)[0]

    def batch_scores(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(histories), len(self.item_ids)))
        for start in range(0, len(histories), 256):
            chunk = histories[start : start + 256]
            h = history_weights(chunk, float(self.params["decay"]), len(self.item_ids))
            scores = _score_block(h, self.similarity, self.params, self.prior)
            scores[[len(c) == 0 for c in chunk]] = self.prior
            out[start : start + len(chunk)] = scores
        return out


def _parse(key: str, value: Any) -> Any:
    if key == "repeat" and str(value).lower() in ("none", "exclude", "-1"):
        return None
    return int(float(value)) if key == "neighbours" else float(value)


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
