"""Interaction data of other shapes than the workshop's shop, for benchmarks and tests (seeded).

The recommender must hold up on every shape a learner may bring, not only on data/sample:

- `basket`: a grocery store's purchases. A few staples dominate, members buy the same products
  again, histories are short (5-15 events), a few thousand members, under 200 products. Little
  personal signal beyond "what this member bought before": popularity is hard to beat.
- `long_tail`: a large catalogue (10,000+ items) with a long popularity tail and taste clusters,
  each user rating dozens of distinct items (no repeats), as movie ratings are.
- `few_users`: the same catalogue with a few hundred users of long histories (330 x ~230).
- `sparse_users`: the same catalogue with more users and shorter histories (5,000 x ~20).
- `no_signal`: every event drawn from one popularity distribution, whoever the user: nothing
  personal predicts anything, popularity is the best ranking there is.
- `ratings`: MovieLens-100k-like: about a thousand users, under 2,000 items, around 100 distinct
  items per user drawn from a few tastes.

Each returns an Interactions frame (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP), events of a user
in time order. Generation is vectorised where the shape allows it (a second at most).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = 1_700_000_000


def _frame(users: np.ndarray, items: np.ndarray, event_type: str, rng) -> pd.DataFrame:
    """A frame where users' events interleave in time, each user's in the given order."""
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    times = START + rng.integers(0, 90 * 86400, len(users))  # 90 days
    stamps = times[np.lexsort((times, users))]  # a user's block gets its own times, ascending
    return pd.DataFrame(
        {
            "USER_ID": np.char.add("u", users.astype(str)),
            "ITEM_ID": np.char.add("i", items.astype(str)),
            "EVENT_TYPE": event_type,
            "TIMESTAMP": stamps,
        }
    )


def basket(users: int = 3000, items: int = 150, seed: int = 5) -> pd.DataFrame:
    """Repeat-heavy grocery purchases: staples, own repeats, 5-15 events per member."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 1.3  # item 0 is the top staple
    segments = 6
    segment_of_item = rng.integers(0, segments, items)
    out_users, out_items = [], []
    for u in range(users):
        # a member's tastes: the store's popularity, with their segment's products favoured
        weights = popularity * np.where(segment_of_item == rng.integers(0, segments), 1.5, 1.0)
        weights /= weights.sum()
        length = int(rng.integers(5, 16))
        fresh = rng.choice(items, size=length, p=weights)
        repeat = rng.random(length) < 0.25
        bought: list[int] = []
        for k in range(length):
            item = int(bought[rng.integers(len(bought))]) if repeat[k] and bought else fresh[k]
            bought.append(item)
        out_users.extend([u] * length)
        out_items.extend(bought)
    return _frame(np.array(out_users), np.array(out_items), "Purchase", rng)


def clustered(
    users: int, items: int, per_user: int, clusters: int, tail: float, seed: int
) -> pd.DataFrame:
    """Distinct items per user from 1-3 taste clusters, item popularity Pareto(`tail`) skewed."""
    rng = np.random.default_rng(seed)
    cluster_of = rng.integers(0, clusters, items)
    order = np.argsort(cluster_of, kind="stable")
    starts = np.searchsorted(cluster_of[order], np.arange(clusters + 1))
    n = users * per_user * 2  # draw twice the events: duplicates are dropped below
    user = np.repeat(np.arange(users), per_user * 2)
    tastes = rng.integers(0, clusters, (users, 3))
    taste = tastes[user, rng.integers(0, 3, n)]
    explore = rng.random(n) < 0.25
    taste[explore] = rng.integers(0, clusters, explore.sum())
    size = starts[taste + 1] - starts[taste]
    within = np.minimum((rng.pareto(tail, n) * size / 10).astype(int), np.maximum(size - 1, 0))
    item = order[np.minimum(starts[taste] + within, items - 1)]
    frame = pd.DataFrame({"u": user, "i": item, "r": rng.random(n)})
    frame = frame.drop_duplicates(["u", "i"])
    lengths = rng.integers(max(2, per_user // 3), per_user * 5 // 3 + 1, users)
    frame = frame[frame.groupby("u").cumcount() < lengths[frame.u.to_numpy()]]
    frame = frame.sort_values(["u", "r"])
    return _frame(frame.u.to_numpy(), frame.i.to_numpy(), "Watch", rng)


def long_tail(users: int = 1500, items: int = 12000, per_user: int = 66, seed: int = 11):
    """A large catalogue with a long tail (about 100,000 interactions by default)."""
    return clustered(users, items, per_user, clusters=120, tail=1.1, seed=seed)


def few_users(users: int = 330, items: int = 10000, per_user: int = 300, seed: int = 3):
    """The large catalogue with a few hundred users of long histories (about 77,000)."""
    return clustered(users, items, per_user, clusters=120, tail=1.1, seed=seed)


def sparse_users(users: int = 5000, items: int = 12000, per_user: int = 20, seed: int = 17):
    """The large catalogue with many users of short histories (about 100,000 interactions)."""
    return clustered(users, items, per_user, clusters=120, tail=1.1, seed=seed)


def ratings(users: int = 950, items: int = 1650, per_user: int = 105, seed: int = 13):
    """MovieLens-100k-like ratings (about 100,000 interactions)."""
    return clustered(users, items, per_user, clusters=20, tail=1.5, seed=seed)


def no_signal(users: int = 1500, items: int = 60, seed: int = 3) -> pd.DataFrame:
    """Purchases drawn from the store's popularity alone (8-15 per user)."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 1.2
    user = np.repeat(np.arange(users), rng.integers(8, 16, users))
    item = rng.choice(items, size=len(user), p=popularity / popularity.sum())
    return _frame(user, item, "Purchase", rng)
