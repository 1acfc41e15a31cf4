"""aws-similar-items: co-occurrence similarity blended with item-metadata similarity.

similarity = (1 - w) * cosine(co-occurrence) + w * cosine(metadata tokens), w = 0.3 when the
Items dataset has categorical or numeric fields (an emulator choice). Metadata tokens are the
`|`-separated values of categorical string fields; numeric fields are min-max scaled. Items in
the Items dataset without interactions are recommendable through their metadata (cold items).
An unknown item gets popular items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Model, TrainData
from .sims import Sims
from .user_personalization import _cosine, _prune

METADATA_WEIGHT = 0.3


def metadata_features(frame, item_ids: np.ndarray):
    """Row-normalised sparse features per item (rows follow item_ids), or None."""
    from pandas.api.types import is_numeric_dtype
    from scipy import sparse

    if frame is None or not len(frame):
        return None
    frame = frame.drop_duplicates("ITEM_ID", keep="last").set_index(
        frame.drop_duplicates("ITEM_ID", keep="last")["ITEM_ID"].astype(str)
    )
    frame = frame.reindex([str(i) for i in item_ids])
    blocks = []
    for column in frame.columns:
        if column in ("ITEM_ID", "CREATION_TIMESTAMP"):
            continue
        values = frame[column]
        if not is_numeric_dtype(values):
            tokens = values.fillna("").astype(str).str.split("|")
            vocab: dict[str, int] = {}
            rows, cols = [], []
            for r, toks in enumerate(tokens):
                for tok in toks:
                    if tok:
                        rows.append(r)
                        cols.append(vocab.setdefault(tok.lower(), len(vocab)))
            if vocab:
                blocks.append(
                    sparse.csr_matrix(
                        (np.ones(len(rows)), (rows, cols)), shape=(len(frame), len(vocab))
                    )
                )
        else:
            numbers = values.astype(float).to_numpy()
            span = np.nanmax(numbers) - np.nanmin(numbers) if np.isfinite(numbers).any() else 0
            if span:
                scaled = np.nan_to_num((numbers - np.nanmin(numbers)) / span)
                blocks.append(sparse.csr_matrix(scaled[:, None]))
    if not blocks:
        return None
    features = sparse.hstack(blocks).tocsr()
    norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel()) + 1e-9
    return features.multiply(1.0 / norms[:, None]).tocsr()


class SimilarItems(Sims):
    family = "similar_items"

    def fit(self, data: TrainData, params: dict[str, Any], hpo: bool = False) -> None:
        from scipy import sparse

        all_ids = np.concatenate([data.item_ids, np.asarray(data.extra_items, dtype=object)])
        Model.fit(self, data, params)
        n = len(all_ids)
        self.item_ids = all_ids
        self.item_index = {str(i): k for k, i in enumerate(all_ids)}
        self.popularity = np.concatenate([self.popularity, np.zeros(len(data.extra_items))])
        x = sparse.csr_matrix(
            (np.ones(len(data.items), np.float32), (data.users, data.items)),
            shape=(data.n_users, n),
        )
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        similarity = _prune(_cosine(co), 200)
        features = metadata_features(data.item_metadata, all_ids)
        if features is not None:
            meta = _prune(features @ features.T, 200)
            meta.setdiag(0)
            similarity = (1 - METADATA_WEIGHT) * similarity + METADATA_WEIGHT * meta
        self.similarity = similarity.tocsr()
