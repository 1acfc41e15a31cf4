"""The checks of notebook 04's tasks: events the learner sends change what Personalize answers.

Each check asks the campaign itself (through the exclude-purchased filter, as the notebook
does) and, on the local target, reads the emulated Segment destination's delivery log to see
that the learner's events reached the function and went on to Personalize.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .. import exercise4
from . import check, not_done, require


def _recommended(ws: Any, user: str) -> list[str]:
    """The user's top 10, as the notebook asks for them (campaign and filter by name)."""
    arn = f"arn:aws:personalize:{ws.region}:{ws.account_id}"
    reply = ws.client("personalize-runtime").get_recommendations(
        campaignArn=f"{arn}:campaign/{ws.name('user-personalization')}",
        userId=user,
        numResults=10,
        filterArn=f"{arn}:filter/{ws.name('exclude-purchased')}",
    )
    return [item["itemId"] for item in reply["itemList"]]


def _sent(ws: Any, user: str, event: str) -> list[str]:
    """Item ids of `event`s for `user` that the function put to Personalize (local target)."""
    items = []
    for entry in exercise4.deliveries(ws, limit=1000):
        answer = json.loads(entry.get("response") or "{}")
        if (entry.get("userId"), entry.get("event"), answer.get("status")) == (user, event, "sent"):
            items.append(answer.get("itemId"))
    return items


@check
def own_clicks(ws: Any, my_shopper: str, my_category: Any, my_before: Any) -> str:
    """Task 1: Product Viewed events of `my_category` for `my_shopper` reached Personalize,
    and the category's share of the shopper's recommendations rose above `my_before`'s."""
    not_done(my_category, "set my_category and send the product views (the cell's TODO).")
    products = exercise4.catalogue(ws)
    categories = sorted(products["CATEGORY_L1"].unique())
    require(
        my_category in categories,
        f"my_category is {my_category!r}; the categories are {', '.join(categories)}.",
    )
    history = exercise4.interactions(ws)
    touched = history["ITEM_ID"][history["USER_ID"] == str(my_shopper)].map(products["CATEGORY_L1"])
    require(
        (touched != my_category).all(),
        f"user {my_shopper} has {int((touched == my_category).sum())} interactions with "
        f"{my_category} in the history: pick a category they never touched (0 in the table above).",
    )
    require(
        isinstance(my_before, pd.DataFrame) and "category" in my_before,
        "my_before is not the table the cell above made: run that cell again, then yours.",
    )
    in_category = set(products.index[products["CATEGORY_L1"] == my_category])
    sent = [i for i in _sent(ws, my_shopper, "Product Viewed") if i in in_category]
    if ws.target == "local":
        require(
            len(sent) >= 3,
            f"{len(sent)} Product Viewed events of {my_category} products for user {my_shopper} "
            "reached Personalize (the delivery log); send 4 with analytics.track(user_id="
            "my_shopper, ...), then analytics.flush() and exercise4.wait_for_segment(ws).",
        )
    was = int((my_before["category"] == my_category).sum())
    now = sum(item in in_category for item in _recommended(ws, my_shopper))
    require(
        now > was,
        f"{my_category} has {now} of user {my_shopper}'s 10 recommendations, as many as before "
        f"({was}): pick a category they never touched and view more of its products.",
    )
    events = f"{len(sent)} of your product views" if sent else "your product views"
    return f"{events} moved {my_category} from {was} to {now} of user {my_shopper}'s top 10."


@check
def purchase_filtered(ws: Any, shopper: str, bought: Any) -> str:
    """Task 2: an Order Completed event for `bought` reached Personalize, and the
    exclude-purchased filter now keeps that product out of the shopper's recommendations."""
    not_done(bought, "set bought to the item id the shopper buys and send Order Completed.")
    products = exercise4.catalogue(ws)
    require(
        isinstance(bought, str) and bought in products.index,
        f"bought is {bought!r}: it must be an item id such as after['item'].iloc[0].",
    )
    if ws.target == "local":
        require(
            bought in _sent(ws, shopper, "Order Completed"),
            f"no Order Completed event for {bought} and user {shopper} reached Personalize (the "
            "delivery log): analytics.track(user_id=shopper, event='Order Completed', "
            "properties={'sku': bought}), then analytics.flush() and exercise4.wait_for_segment.",
        )
    require(
        bought not in _recommended(ws, shopper),
        f"{bought} is still recommended to user {shopper}: did the Order Completed event name "
        "it as properties.sku, for that user?",
    )
    name = products.loc[bought, "NAME"]
    return f"{name} was bought: the filter keeps it out of user {shopper}'s recommendations."
