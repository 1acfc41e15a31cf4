"""Checks that the generated data is fit for the workshop.

- `interactions`: exercise 1's filter (a userId, a properties.sku, a product event type), as
  the Glue job applies it, giving Personalize's (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) rows;
- `personalize_minimums`: Personalize's training minimums on those rows;
- `holdout_comparison`: a plain item-to-item co-occurrence recommender against most-popular on
  a time-based holdout, proof that the planted tastes are learnable signal.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from . import INTERACTION_EVENT_TYPES


@dataclass(frozen=True)
class Interaction:
    user_id: str
    item_id: str
    event_type: str
    timestamp: int  # epoch seconds, as in the Personalize CSV


def interactions(messages: Iterable[dict]) -> list[Interaction]:
    """Exercise 1's filter and mapping, in time order."""
    rows = []
    for m in messages:
        sku = (m.get("properties") or {}).get("sku")
        if m.get("userId") and sku and m.get("event") in INTERACTION_EVENT_TYPES:
            moment = datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
            rows.append(Interaction(m["userId"], sku, m["event"], int(moment.timestamp())))
    rows.sort(key=lambda r: (r.timestamp, r.user_id, r.item_id))
    return rows


def personalize_minimums(rows: list[Interaction]) -> dict:
    """Personalize's training minimums: >=1000 interactions, >=25 users with >=2 each."""
    per_user = Counter(r.user_id for r in rows)
    users_with_two = sum(1 for n in per_user.values() if n >= 2)
    return {
        "interactions": len(rows),
        "users": len(per_user),
        "items": len({r.item_id for r in rows}),
        "users_with_2_or_more": users_with_two,
        "meets_minimums": len(rows) >= 1000 and users_with_two >= 25,
    }


def _top(scores: dict[str, float], exclude: set[str], k: int) -> list[str]:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [item for item, _ in ranked if item not in exclude][:k]


def holdout_comparison(rows: list[Interaction], k: int = 10, train_share: float = 0.8) -> dict:
    """Recall@k of co-occurrence vs most-popular on the last (1 - train_share) of the period.

    For each user active in both periods, the truth is the set of items they interacted with
    after the cut that they had not touched before it; both recommenders skip items the user
    already had. Co-occurrence: cosine similarity of items over users' training histories.
    """
    first, last = rows[0].timestamp, rows[-1].timestamp
    cut = first + (last - first) * train_share
    train: dict[str, set[str]] = defaultdict(set)
    test: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        (train if r.timestamp < cut else test)[r.user_id].add(r.item_id)
    popularity = Counter(item for items in train.values() for item in items)
    pair_counts: dict[str, Counter] = defaultdict(Counter)
    for items in train.values():
        for a in items:
            for b in items:
                if a != b:
                    pair_counts[a][b] += 1
    popular = dict(popularity)
    recalls = {"cooccurrence": [], "most_popular": []}
    for user, truth_all in test.items():
        seen = train.get(user)
        truth = truth_all - (seen or set())
        if not seen or not truth:
            continue
        scores: dict[str, float] = defaultdict(float)
        for a in seen:
            for b, n in pair_counts[a].items():
                scores[b] += n / math.sqrt(popularity[a] * popularity[b])
        for name, ranked in (
            ("cooccurrence", _top(scores, seen, k)),
            ("most_popular", _top(popular, seen, k)),
        ):
            recalls[name].append(len(truth.intersection(ranked)) / min(len(truth), k))
    users = len(recalls["cooccurrence"])
    result = {name: round(sum(v) / max(1, users), 4) for name, v in recalls.items()}
    result["k"] = k
    result["test_users"] = users
    result["lift"] = round(result["cooccurrence"] / max(result["most_popular"], 1e-9), 2)
    return result
