"""Synthetic interaction data with planted tastes, for tests and benchmarks (seeded).

Each user likes one or two categories; items in a category have Zipf popularity; a user's next
item is often a neighbour of the previous one in the same category (a sequential signal), and
otherwise a popular item of a liked category or, rarely, of any. With `repeats=True` a chosen
item is viewed, then often added to cart and purchased (the same SKU repeated); without it a
user never interacts with the same item twice.
"""

from __future__ import annotations

import numpy as np


def generate(
    n_users: int = 300,
    n_items: int = 200,
    per_user: float = 12.0,
    n_categories: int = 8,
    repeats: bool = False,
    seed: int = 7,
    start: int = 1_700_000_000,
):
    """(interactions frame, items frame) as a Personalize CSV import would carry them."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    category = rng.integers(0, n_categories, n_items)
    by_category = [np.flatnonzero(category == c) for c in range(n_categories)]
    weight = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rng.shuffle(weight)
    users, items, kinds, stamps = [], [], [], []
    clock = start
    for u in range(n_users):
        liked = rng.choice(n_categories, size=rng.integers(1, 3), replace=False)
        length = max(2, int(rng.geometric(1.0 / per_user)))
        seen: set[int] = set()
        previous = None
        for _ in range(length):
            roll = rng.random()
            if previous is not None and roll < 0.45:
                pool = by_category[category[previous]]
                where = int(np.searchsorted(pool, previous))
                pick = int(pool[(where + rng.integers(1, 3)) % len(pool)])
            elif roll < 0.9:
                pool = by_category[int(rng.choice(liked))]
                p = weight[pool] / weight[pool].sum()
                pick = int(rng.choice(pool, p=p))
            else:
                pick = int(rng.choice(n_items, p=weight / weight.sum()))
            if not repeats and pick in seen:
                continue
            seen.add(pick)
            steps = ["View"]
            if repeats and rng.random() < 0.5:
                steps.append("AddToCart")
                if rng.random() < 0.6:
                    steps.append("Purchase")
            for kind in steps:
                clock += int(rng.integers(30, 600))
                users.append(f"u{u}")
                items.append(f"i{pick}")
                kinds.append(kind)
                stamps.append(clock)
            previous = pick
    interactions = pd.DataFrame(
        {"USER_ID": users, "ITEM_ID": items, "EVENT_TYPE": kinds, "TIMESTAMP": stamps}
    )
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": [f"i{i}" for i in range(n_items)],
            "CATEGORY": [f"cat{c}" for c in category],
            "PRICE": np.round(rng.uniform(5, 200, n_items), 2),
        }
    )
    return interactions, catalogue
