"""aws-user-personalization(-v2) and aws-personalized-ranking(-v2): a sequence-aware item model.

Why this model: it trains in seconds on 2 CPU cores, and a user's recommendations are a weighted
sum of item-to-item rows over the user's history, so an event put a moment ago changes the next
answer without retraining, as Personalize's real-time updates do.

    score(u) = sum_t decay^age(t) * [(1 - blend) * C[h_t] + blend * T[h_t]]  (newest: age 0)
               + repeat * (decayed weight of u's own items) + prior * popularity

- C, the item-item model: EASE (closed-form ridge regression of the user x item matrix on
  itself, zero diagonal, L2 weight `l2`). Its dense inverse is items x items while the
  catalogue has at most EASE_MAX_ITEMS items; above that, users x users (the same model through
  Woodbury's identity) while the users are at most that many; when both are many, EASE over the
  EASE_MAX_ITEMS most interacted items (the tail is reached through T and the prior);
- T: item -> next-items transitions (the following 3 interactions, weight 1/distance), cosine-
  normalised and pruned to `neighbours` per item: order matters, as Personalize measures on
  each user's newest events;
- `repeat` handles both kinds of data: where users repeat items (view, cart, purchase of one SKU,
  a grocery basket) the user's own recent items score high; where they never do
  (`repeat` = None) seen items are excluded, so no slot goes to them;
- `prior` leans on popularity; prior = inf ranks by popularity alone (aws-popularity-count's
  list, without the seen items when repeat = None).

decay, blend, repeat, prior and l2 are fitted at every training on a validation split of the
training users (Personalize's protocol inside the training set): the grid's full product on
small data, a coordinate search on large data. Popularity alone is always a candidate, so the
choice is never worse than aws-popularity-count on validation; when it wins, the solution
version says so (`note`, shown in tunedHPOParams). performHPO widens the search (neighbours
too), over hpoConfig's ranges where they name these parameters.
Hyperparameters given in algorithmHyperParameters are kept; of AWS's documented ones,
recency_mask=false means no recency decay (decay 1) and min/max_user_history_length_percentile
leave users with outlying history lengths out of training (training.py).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .base import Model, TrainData

EASE_MAX_ITEMS = 3000  # the dense matrix EASE inverts: items x items, or users x users (dual)
DEFAULTS: dict[str, Any] = {
    "decay": 0.7,
    "blend": 0.5,
    "repeat": 0.5,
    "prior": 0.0,
    "neighbours": 100,
    "l2": 200.0,
}
POPULARITY = math.inf  # prior=inf: popularity alone ranks (aws-popularity-count's list)
STRUCTURE = ("l2", "neighbours")  # parameters that change the matrices (searched in the outer loop)
GRID = {
    "decay": [1.0, 0.8, 0.6, 0.3],
    "blend": [0.0, 0.3, 1.0],
    "repeat": [None, 0.0, 0.3, 2.0],
    "prior": [0.0, 0.02, 0.2, 1.0],
    "l2": [150.0, 500.0],
}
HPO_GRID = {
    **GRID,
    "decay": [1.0, 0.9, 0.7, 0.5, 0.3, 0.1],
    "blend": [0.0, 0.15, 0.3, 0.6, 1.0],
    "repeat": [None, 0.0, 0.1, 0.5, 2.0, 8.0],
    "prior": [0.0, 0.02, 0.1, 0.3, 1.0, 3.0],
    "neighbours": [50, 100, 300],
    "l2": [50.0, 200.0, 500.0],
}
RANGES = "__hpo_ranges__"  # hpoConfig ranges, as lists of values (training.py builds them)
TRANSITION_SPAN = 3
VALIDATION_USERS = 1000
VALIDATION_CELLS = 5_000_000
FULL_GRID_CELLS = 300_000_000  # above (grid points x users x items), a coordinate search
MARGIN = 0.02  # a personal configuration must beat popularity by 2 % on validation, not by noise
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


def spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix, in float32 through Cholesky.

    Three times faster than numpy.linalg.inv in float64, with a relative error near 1e-6:
    plenty for ranking (a 3,000 x 3,000 Gram matrix inverts in about half a second).
    """
    from scipy.linalg import lapack

    factor, info = lapack.spotrf(matrix.astype(np.float32), lower=0)
    if info == 0:
        inverse, info = lapack.spotri(factor, lower=0)
    if info != 0:  # not positive definite in float32: the general inverse
        return np.linalg.inv(matrix.astype(np.float64)).astype(np.float32)
    inverse = np.ascontiguousarray(inverse)  # LAPACK's Fortran order slows sparse @ dense
    for start in range(0, len(inverse), 256):  # spotri fills the upper triangle: mirror it
        end = start + 256
        inverse[start:end, :start] = inverse[:start, start:end].T
        block = inverse[start:end, start:end]  # a view: its lower triangle from its upper
        below = np.tril_indices(len(block), -1)
        block[below] = block.T[below]
    return inverse


def ease(x, l2: float) -> np.ndarray:
    """EASE's item-item weights B = I - P / diag(P), P = (X'X + l2 I)^-1 (float32)."""
    gram = _dense(x.T @ x).astype(np.float32)
    gram[np.diag_indices_from(gram)] += l2
    p = spd_inverse(gram)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


class Ease:
    """EASE over items x items (at most EASE_MAX_ITEMS of them): h -> h B."""

    def __init__(self, x, l2: float) -> None:
        self.b = ease(x, l2)

    def apply(self, h) -> np.ndarray:
        return _dense(h @ self.b)


class DualEase:
    """Exact EASE for catalogues larger than the user base, inverting users x users instead.

    Woodbury: P = (X'X + l2 I)^-1 = (I - X' K^-1 X) / l2 with K = XX' + l2 I, so
    h B = h - (h - h X' K^-1 X) / (1 - d), d_j = x_j' K^-1 x_j (x_j: item j's column of X).
    Cost: users^3 and users x interactions, never items^2 (10,000+ items, few users).
    """

    def __init__(self, x, l2: float) -> None:
        x = x.tocsr().astype(np.float32)
        k = _dense(x @ x.T)
        k[np.diag_indices_from(k)] += l2
        kinv = spd_inverse(k)
        xt = x.T.tocsr()
        d = np.asarray(xt.multiply(xt @ kinv).sum(axis=1)).ravel()  # X' K^-1 row j . x_j
        self.x = x
        self.kinv = kinv
        self.keep = (1.0 / np.maximum(1.0 - d, 1e-6)).astype(np.float32)

    def apply(self, h) -> np.ndarray:
        hx = _dense(h @ self.x.T) @ self.kinv  # (users in h) x (training users)
        explained = _dense((self.x.T @ hx.T).T)  # h X' K^-1 X, through the sparse X
        h = _dense(h)
        return h - (h - explained) * self.keep


class HeadEase:
    """EASE on the EASE_MAX_ITEMS most interacted items when users and items are both many.

    The tail (items with the fewest interactions) gets no item-item score: transitions and the
    popularity prior still reach it.
    """

    def __init__(self, x, l2: float) -> None:
        counts = np.asarray(x.sum(axis=0)).ravel()
        self.head = np.sort(np.argsort(-counts, kind="stable")[:EASE_MAX_ITEMS])
        self.n_items = x.shape[1]
        self.inner = Ease(x[:, self.head], l2)

    def apply(self, h) -> np.ndarray:
        out = np.zeros((h.shape[0], self.n_items), np.float32)
        out[:, self.head] = self.inner.apply(h.tocsc()[:, self.head])
        return out


def item_model(x, l2: float):
    """EASE, in the form that fits the data's size (see the classes above)."""
    n_users, n_items = x.shape
    if n_items <= EASE_MAX_ITEMS:
        return Ease(x, l2)
    if n_users <= EASE_MAX_ITEMS:
        return DualEase(x, l2)
    return HeadEase(x, l2)


def similarity_matrices(data: TrainData, neighbours: int, l2: float):
    """(C, T): the item-item model (an EASE form) and the sparse transition matrix."""
    from scipy import sparse

    n = data.n_items
    x = sparse.csr_matrix((data.weights, (data.users, data.items)), shape=(data.n_users, n))
    x.data[:] = 1.0
    active = np.flatnonzero(np.diff(x.indptr))  # users without events add nothing
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
    return item_model(x[active], l2), _prune(_cosine(trans), neighbours)


def history_weights(histories: list[np.ndarray], decay: float, n_items: int):
    """Sparse (users x items) matrix of decayed history weights, newest event weight 1."""
    from scipy import sparse

    lengths = np.array([len(h) for h in histories], dtype=np.int64)
    items = np.concatenate(histories) if len(histories) else np.array([], np.int32)
    rows = np.repeat(np.arange(len(histories)), lengths)
    ends = np.repeat(np.cumsum(lengths), lengths)
    age = ends - np.arange(len(items)) - 1
    weights = np.power(decay, age, dtype=np.float64).astype(np.float32)  # as the matrices
    return sparse.csr_matrix((weights, (rows, items)), shape=(len(histories), n_items))


def top_rows(scores: np.ndarray, k: int) -> list[np.ndarray]:
    """The k best items of every row at once (the search's fast path; ties in any order)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    finite = np.isfinite(np.take_along_axis(scores, best, axis=1))
    return [row[mask] for row, mask in zip(best, finite, strict=True)]


def combine(sc, st, own, prior: np.ndarray, blend: float, repeat, weight: float) -> np.ndarray:
    """Scores from the item-item (sc) and transition (st) parts and the user's own items."""
    if math.isinf(weight):  # popularity alone; exclusion still applies
        scores = np.broadcast_to(prior, own.shape).astype(np.float32)
    else:
        scores = (1 - blend) * sc + blend * st + (weight + TIE_BREAK) * prior
    if repeat is None:
        scores[own > 0] = -np.inf
    elif not math.isinf(weight):
        scores += repeat * own
    return scores


def _parts(h, c, t):
    """The per-user parts combine() mixes, normalised by the user's total history weight."""
    norm = np.asarray(h.sum(axis=1)).ravel()[:, None] + 1e-9
    sc = (c.apply(h) / norm).astype(np.float32)
    st = (_dense(h @ t) / norm).astype(np.float32)
    own = (h.toarray() / norm).astype(np.float32)
    return sc, st, own


class _Validation:
    """NDCG@10 of configurations on held-out training users (Personalize's split inside)."""

    def __init__(self, data: TrainData, fixed: dict) -> None:
        from ..metrics import holdout_split

        # users x items dense score blocks stay near 5 million cells (speed on big catalogues)
        users = min(VALIDATION_USERS, max(200, VALIDATION_CELLS // max(data.n_items, 1)))
        self.split = holdout_split(data, fraction=0.2, max_users=users, salt="validation")
        popularity = self.split.train_popularity
        self.prior = (popularity / max(popularity.max(), 1e-9)).astype(np.float32)
        self.fixed = fixed
        self.matrices: dict[tuple, tuple] = {}
        self.parts_key: tuple | None = None
        self.parts: tuple = ()
        self.seen: dict[tuple, float] = {}

    @property
    def usable(self) -> bool:
        return bool(self.split.test_inputs)

    def ndcg(self, config: dict) -> float:
        from ..metrics import ndcg_at

        key = tuple(sorted(config.items(), key=lambda kv: kv[0]))
        if key in self.seen:
            return self.seen[key]
        structure = (float(config["l2"]), int(config["neighbours"]))
        if structure not in self.matrices:
            train = self.split.train  # kept: a coordinate search comes back to each l2
            self.matrices[structure] = similarity_matrices(train, structure[1], structure[0])
        c, t = self.matrices[structure]
        if self.parts_key != (structure, config["decay"]):
            h = history_weights(self.split.test_inputs, config["decay"], self.split.train.n_items)
            self.parts_key, self.parts = (structure, config["decay"]), _parts(h, c, t)
        scores = combine(
            *self.parts, self.prior, config["blend"], config["repeat"], config["prior"]
        )
        value = ndcg_at(top_rows(scores, 10), self.split.test_targets, 10)
        self.seen[key] = value
        return value


def search(data: TrainData, fixed: dict, grid: dict) -> tuple[dict, dict]:
    """(the best configuration's searched values, a summary of the validation).

    The grid's full product when small, else coordinate ascent (one parameter at a time, twice
    over, from the defaults). Popularity alone, with and without the user's seen items, is
    always a candidate, and is chosen unless a personal configuration beats it by MARGIN: the
    choice is never worse than aws-popularity-count on validation.
    """
    validation = _Validation(data, fixed)
    if not validation.usable:
        return {}, {}
    order = [k for k in ("l2", "neighbours", "decay", "blend", "repeat", "prior") if k in grid]
    size = math.prod(len(grid[k]) for k in order)
    cells = len(validation.split.test_inputs) * data.n_items
    if size * cells <= FULL_GRID_CELLS:
        candidates = [
            {**fixed, **dict(zip(order, values, strict=True))}
            for values in itertools.product(*(grid[k] for k in order))
        ]
        best = max(candidates, key=validation.ndcg)
    else:
        best = dict(fixed)
        for _ in range(2):
            for key in order:
                best = max(({**best, key: v} for v in grid[key]), key=validation.ndcg)
    personal_value = validation.ndcg(best)
    popularity_value = validation.ndcg({**best, "prior": POPULARITY, "repeat": 0.0})
    if "prior" in grid:
        repeats = (0.0, None) if "repeat" in grid else (best["repeat"],)
        popular = max(
            ({**best, "prior": POPULARITY, "repeat": r} for r in repeats), key=validation.ndcg
        )
        if personal_value < (1 + MARGIN) * validation.ndcg(popular):
            best = popular
    summary = {
        "chosen": validation.ndcg(best),
        "personal": personal_value,
        "popularity": popularity_value,
        "users": len(validation.split.test_inputs),
    }
    return {k: v for k, v in best.items() if k in grid}, summary


def describe_validation(summary: dict, params: dict) -> str:
    """One readable line: how the configuration was chosen (the solution version shows it)."""
    if not summary:
        return "no validation search (given hyperparameters, or too few users)"
    line = (
        f"validation NDCG@10 on {summary['users']} training users: chosen "
        f"{summary['chosen']:.4f}, popularity alone {summary['popularity']:.4f}"
    )
    if math.isinf(float(params["prior"])):
        line += (
            f"; no personal configuration beat popularity by {MARGIN:.0%} (best "
            f"{summary['personal']:.4f}), so the items are ranked by popularity"
            + (", without the user's seen items" if params["repeat"] is None else "")
        )
    return line


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
        self.validation: dict = {}
        if searched and data.n_users >= 50:
            found, self.validation = search(data, chosen, searched)
            chosen.update(found)
        self.params = chosen
        self.c, self.t = similarity_matrices(data, int(chosen["neighbours"]), chosen["l2"])
        self.prior = self.popularity / max(self.popularity.max(), 1e-9)
        self.exclude_seen = chosen["repeat"] is None

    @property
    def note(self) -> str:
        return describe_validation(getattr(self, "validation", {}), self.params)

    def _block(self, histories: list[np.ndarray]) -> np.ndarray:
        h = history_weights(histories, float(self.params["decay"]), len(self.item_ids))
        p = self.params
        return combine(*_parts(h, self.c, self.t), self.prior, p["blend"], p["repeat"], p["prior"])

    def scores(self, history: np.ndarray) -> np.ndarray:
        if len(history) == 0:
            return self.prior.copy()
        return self._block([history])[0].astype(np.float64)

    def batch_scores(self, histories: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(histories), len(self.item_ids)))
        for start in range(0, len(histories), 256):
            chunk = histories[start : start + 256]
            scores = self._block(chunk)
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
