"""Exercise 2, real time: campaigns, recommendations shown next to what users did, related
items, and a filter that leaves out what a user already bought."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import personalize
from .common import (
    CAMPAIGNS,
    RECIPES,
    campaign_arn,
    filter_arn,
    group_arn,
    interactions,
    names,
    require,
    status_table,
    wait,
)
from .datasets import NEW_ITEMS, catalogue
from .training import version_arn

PURCHASED = "Order Completed"
SCAN = 40  # users tried at most when looking for a filter example
FILTER_EXPRESSION = f'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("{PURCHASED}")'
NEW_ITEM_IDS = {item["ITEM_ID"] for item in NEW_ITEMS}


def _campaign_watch(client: Any, campaign: str, version: str) -> Any:
    """What to wait for so that `campaign` serves `version`: the campaign itself, or the
    update (latestCampaignUpdate) that switches it to a newer version."""
    current = client.describe_campaign(campaignArn=campaign)["campaign"]
    update = current.get("latestCampaignUpdate") or {}
    if current["solutionVersionArn"] != version and update.get("solutionVersionArn") != version:
        client.update_campaign(
            campaignArn=campaign, solutionVersionArn=version, minProvisionedTPS=1
        )
        update = {"solutionVersionArn": version}
    if update.get("solutionVersionArn") == version:
        return lambda: client.describe_campaign(campaignArn=campaign)["campaign"].get(
            "latestCampaignUpdate", {"status": "CREATE PENDING"}
        )
    return campaign


def create_campaigns(ws: Any) -> pd.DataFrame:
    """Deploy the user-personalization and similar-items versions, each as a campaign with the
    smallest provisioned throughput (minProvisionedTPS=1: it sets the minimum bill)."""
    client = ws.client("personalize")
    watched = {}
    for suffix in CAMPAIGNS:
        version = version_arn(ws, suffix)
        campaign, created = personalize.get_or_create(
            client,
            "campaign",
            name=ws.name(suffix),
            solutionVersionArn=version,
            minProvisionedTPS=1,
        )
        watched[f"campaign {suffix}"] = (
            campaign if created else _campaign_watch(client, campaign, version)
        )
    wait(ws, watched, "campaigns", 2 * 3600)
    table = status_table(ws, {f"campaign {s}": campaign_arn(ws, s) for s in CAMPAIGNS})
    return table.assign(
        recipe=[RECIPES[s] for s in CAMPAIGNS],
        minProvisionedTPS=[
            client.describe_campaign(campaignArn=campaign_arn(ws, s))["campaign"][
                "minProvisionedTPS"
            ]
            for s in CAMPAIGNS
        ],
    )


def recommend(
    ws: Any, user_id: str | None = None, item_id: str | None = None, n: int = 10, filtered=False
) -> list[dict]:
    """get_recommendations from the user-personalization campaign (user_id) or the
    similar-items campaign (item_id); optionally through the exclude-purchased filter."""
    suffix = "user-personalization" if user_id is not None else "similar-items"
    params: dict[str, Any] = {"campaignArn": campaign_arn(ws, suffix), "numResults": n}
    params.update({"userId": user_id} if user_id is not None else {"itemId": item_id})
    if filtered:
        params["filterArn"] = filter_arn(ws)
    return ws.client("personalize-runtime").get_recommendations(**params)["itemList"]


def _product(products: pd.DataFrame, item_id: str) -> tuple[str, str]:
    """(name, "category / subcategory") of an item; the bare id if the catalogue lacks it."""
    if item_id not in products.index:
        return item_id, "?"
    row = products.loc[item_id]
    return str(row["NAME"]), f"{row['CATEGORY_L1']} / {row['CATEGORY_L2']}"


def pick_users(frame: pd.DataFrame, products: pd.DataFrame, count: int = 3) -> list[str]:
    """Shoppers with clear tastes: at least 15 interactions, the largest share of them in
    one category first (ties: more interactions, then user id)."""
    joined = frame.join(products["CATEGORY_L1"], on="ITEM_ID")
    stats = joined.groupby("USER_ID").agg(
        n=("ITEM_ID", "size"),
        share=("CATEGORY_L1", lambda s: s.value_counts(normalize=True).iloc[0]),
    )
    stats = stats[stats["n"] >= 15].reset_index()
    stats["share"] = stats["share"].round(6)
    ranked = stats.sort_values(["share", "n", "USER_ID"], ascending=[False, False, True])
    return ranked["USER_ID"].head(count).tolist()


# the furthest a shopper went with a product, deepest step first
FUNNEL = {
    "Order Completed": "bought",
    "Product Added": "added to cart",
    "Product Viewed": "viewed",
    "Product Clicked": "clicked",
}


def latest_products(frame: pd.DataFrame, user: str, n: int) -> pd.DataFrame:
    """A user's n most recently touched products, each with the furthest funnel step."""
    mine = frame[frame["USER_ID"] == user]
    rank = {event: i for i, event in enumerate(FUNNEL)}
    per_item = mine.groupby("ITEM_ID").agg(
        last=("TIMESTAMP", "max"),
        step=("EVENT_TYPE", lambda events: min(events, key=lambda e: rank.get(e, len(rank)))),
    )
    per_item["step"] = per_item["step"].map(FUNNEL).fillna(per_item["step"])
    ordered = per_item.reset_index().sort_values(["last", "ITEM_ID"], ascending=[False, True])
    return ordered.head(n).reset_index(drop=True)


def recommendations_for_users(ws: Any, count: int = 3, n: int = 10) -> pd.DataFrame:
    """For a few shoppers: the products they touched last, next to their recommendations."""
    frame, products = interactions(ws), catalogue(ws)
    tables = {}
    for user in pick_users(frame, products, count):
        mine = frame[frame["USER_ID"] == user].join(products["CATEGORY_L1"], on="ITEM_ID")
        top = mine["CATEGORY_L1"].value_counts()
        favourites = top[top >= top.iloc[0] / 2].index.tolist()
        recommended = recommend(ws, user_id=user, n=n)
        in_favourites = sum(
            _product(products, r["itemId"])[1].split(" / ")[0] in favourites for r in recommended
        )
        print(
            f"user {user}: {len(mine)} interactions, mostly {', '.join(favourites)}; "
            f"{in_favourites} of {len(recommended)} recommendations are in those categories"
        )
        did = latest_products(frame, user, n)
        rows = []
        for k in range(n):
            touched = did.iloc[k] if k < len(did) else None
            rec = recommended[k] if k < len(recommended) else None
            rows.append(
                (
                    *(_product(products, touched["ITEM_ID"]) if touched is not None else ("", "")),
                    touched["step"] if touched is not None else "",
                    *(_product(products, rec["itemId"]) if rec else ("", "")),
                    _score(rec),
                )
            )
        done, rec_head = "products they touched last", "recommended"
        tables[user] = pd.DataFrame(
            rows,
            index=pd.RangeIndex(1, n + 1, name="#"),
            columns=pd.MultiIndex.from_tuples(
                [
                    (done, "product"),
                    (done, "category"),
                    (done, "furthest step"),
                    (rec_head, "product"),
                    (rec_head, "category"),
                    (rec_head, "score"),
                ]
            ),
        )
    return pd.concat(tables, names=["user"])


def _score(rec: dict | None) -> str:
    """The score rounded, with "new" for the items put through put_items (exploration)."""
    if not rec:
        return ""
    score = f"{rec['score']:.4f}" if "score" in rec else ""
    return f"{score} new" if rec["itemId"] in NEW_ITEM_IDS else score


def related_items(ws: Any, item_id: str | None = None, n: int = 10) -> pd.DataFrame:
    """Items similar to one product (default: the most interacted with one)."""
    frame, products = interactions(ws), catalogue(ws)
    if item_id is None:
        counts = frame.groupby("ITEM_ID").size().reset_index(name="n")
        item_id = counts.sort_values(["n", "ITEM_ID"], ascending=[False, True]).iloc[0]["ITEM_ID"]
    name, category = _product(products, item_id)
    print(f"Related to {name} ({category}, {products.loc[item_id, 'BRAND']}):")
    rows = []
    for rank, rec in enumerate(recommend(ws, item_id=item_id, n=n), start=1):
        rows.append(
            (rank, *_product(products, rec["itemId"]), products.loc[rec["itemId"], "BRAND"])
        )
    return pd.DataFrame(rows, columns=["#", "product", "category", "brand"]).set_index("#")


def create_filter(ws: Any) -> pd.DataFrame:
    """A filter, applied at request time, that drops the items a user already bought."""
    client = ws.client("personalize")
    group = require(ws, group_arn(ws), "create_dataset_group")["datasetGroupArn"]
    made, _ = personalize.get_or_create(
        client,
        "filter",
        name=names(ws)["filter"],
        datasetGroupArn=group,
        filterExpression=FILTER_EXPRESSION,
    )
    wait(ws, {"filter": made}, "filter", 1800)
    print(f"filterExpression: {FILTER_EXPRESSION}")
    return status_table(ws, {"filter": made})


def filter_before_after(ws: Any, n: int = 10) -> pd.DataFrame:
    """One shopper's recommendations without and with the filter, purchases marked."""
    frame, products = interactions(ws), catalogue(ws)
    require(ws, filter_arn(ws), "create_filter")
    bought_by = frame[frame["EVENT_TYPE"] == PURCHASED].groupby("USER_ID")["ITEM_ID"].agg(set)
    # a shopper whose list shows the problem: at most SCAN calls, the first with 2 bought items
    # in the top n, else the one with the most
    candidates = [u for u in pick_users(frame, products, count=SCAN) if u in bought_by.index]
    candidates += sorted(set(bought_by.index) - set(candidates))
    if not candidates:
        raise ValueError(f"No user has an {PURCHASED!r} interaction: nothing to filter out.")
    best = (-1, "", [])
    for user in candidates[:SCAN]:
        before = recommend(ws, user_id=user, n=n)
        found = sum(r["itemId"] in bought_by[user] for r in before)
        best = max(best, (found, user, before), key=lambda b: b[0])
        if found >= 2:
            break
    _, user, before = best
    bought = bought_by.get(user, set())
    after = recommend(ws, user_id=user, n=n, filtered=True)
    print(
        f"user {user} bought {len(bought)} products; without the filter "
        f"{sum(r['itemId'] in bought for r in before)} of the top {n} are among them, "
        f"with it {sum(r['itemId'] in bought for r in after)}."
    )
    rows = []
    for k in range(n):
        b = before[k]["itemId"] if k < len(before) else None
        a = after[k]["itemId"] if k < len(after) else None
        rows.append(
            (
                _product(products, b)[0] if b else "",
                "bought" if b in bought else "",
                _product(products, a)[0] if a else "",
                "bought" if a in bought else "",
            )
        )
    columns = pd.MultiIndex.from_tuples(
        [
            ("without filter", "product"),
            ("without filter", ""),
            ("with filter", "product"),
            ("with filter", ""),
        ]
    )
    return pd.DataFrame(rows, index=pd.RangeIndex(1, n + 1, name="#"), columns=columns)
