"""Exercise 2's plumbing: what notebook 02's cells need besides the calls they teach.

The cells make the Personalize calls themselves (create_dataset_group, create_schema, ...,
create_batch_inference_job). Here: the names notebooks 03-05, cleanup and the stack's policy
rely on, reading what notebook 01 left in S3 (with a "run notebook 01 first" when it is not
there), small finders (shoppers with clear tastes, a shopper whose purchases come back) and
tables and a chart that put product names next to the item ids Personalize answers with.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .prerequisites import need

INTERACTIONS_KEY = "transformed/interactions.csv"  # written by notebook 01's Glue job
CATALOGUE_KEY = "catalogue/products.csv"  # staged by notebook 01
BATCH_INPUT_KEY = "batch/input/users.json"
BATCH_OUTPUT_PREFIX = "batch/output/"
ROLE_SUFFIX = "personalize-s3"  # the role Personalize assumes (ws.roles key on the stack path)
# The solutions notebook 02 trains (name suffix -> recipe) and the campaigns and filter it
# makes: notebooks 03 and 04, cleanup and the stack's LearnerPolicy (setup/) use these names.
RECIPES = {
    "user-personalization": "aws-user-personalization",
    "similar-items": "aws-similar-items",
    "popularity-count": "aws-popularity-count",
}
CAMPAIGNS = ("user-personalization", "similar-items")
FILTER_SUFFIX = "exclude-purchased"
PURCHASED = "Order Completed"
# The capsule collection notebook 02 sends with put_items (its cell holds them as put_items
# takes them; this copy gives tables their names and categories, test_exercise2 keeps the two
# equal). Notebooks 03 and 04 show them too.
NEW_ITEMS = [
    {
        "ITEM_ID": item_id,
        "NAME": item_id.replace("-", " ").title(),  # the ids are the names, slugged
        "CATEGORY_L1": l1,
        "CATEGORY_L2": l2,
        "BRAND": item_id.split("-")[0],
        "PRICE_TIER": tier,
        "PRICE": price,
    }
    for item_id, l1, l2, tier, price in [
        ("northpeak-summit-navy-parka", "outerwear", "parka", "premium", 289.99),
        ("stride-aero-white-running-shoe", "footwear", "running-shoe", "mid", 119.99),
        ("loop-merino-grey-wool-socks", "socks", "wool-socks", "mid", 18.99),
    ]
]
METRICS = {  # get_solution_metrics' keys -> the table's columns
    "precision_at_5": "precision@5",
    "precision_at_10": "precision@10",
    "precision_at_25": "precision@25",
    "normalized_discounted_cumulative_gain_at_5": "NDCG@5",
    "normalized_discounted_cumulative_gain_at_10": "NDCG@10",
    "normalized_discounted_cumulative_gain_at_25": "NDCG@25",
    "mean_reciprocal_rank_at_25": "MRR@25",
    "coverage": "coverage",
}
CHARTED = ["precision@10", "NDCG@10", "MRR@25", "coverage"]
FUNNEL = {  # the furthest a shopper went with a product, deepest step first
    "Order Completed": "bought",
    "Product Added": "added to cart",
    "Product Viewed": "viewed",
    "Product Clicked": "clicked",
}


@dataclass(frozen=True)
class Listing:
    """A table shown in full (pandas' default display cuts ARNs at 50 characters)."""

    frame: pd.DataFrame

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False)

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


# --- names ------------------------------------------------------------------------------------


def names(ws: Any) -> dict[str, str]:
    """Every name notebook 02 gives a resource (all start with the workshop prefix)."""
    found = {"dataset group": ws.name("dataset-group"), "filter": ws.name(FILTER_SUFFIX)}
    for kind in ("interactions", "items"):
        found[f"{kind} schema"] = ws.name(f"{kind}-schema")
        found[f"{kind} dataset"] = ws.name(kind)
    found |= {f"solution {suffix}": ws.name(suffix) for suffix in RECIPES}
    return found | {"role": ws.name(ROLE_SUFFIX)}


def arn(ws: Any, kind: str, name: str) -> str:
    """The ARN Personalize gives a resource of this kind and name."""
    return f"arn:aws:personalize:{ws.region}:{ws.account_id}:{kind}/{name}"


def group_arn(ws: Any) -> str:
    return arn(ws, "dataset-group", ws.name("dataset-group"))


def campaign_arn(ws: Any, suffix: str = "user-personalization") -> str:
    """A campaign of notebook 02: "user-personalization" or "similar-items"."""
    return arn(ws, "campaign", ws.name(suffix))


def filter_arn(ws: Any) -> str:
    """The filter that drops what a user already bought."""
    return arn(ws, "filter", ws.name(FILTER_SUFFIX))


# --- what notebook 01 left in S3 --------------------------------------------------------------


def read_csv(ws: Any, key: str, *notebooks: str) -> pd.DataFrame:
    """A CSV of the workshop bucket; "run notebook 01 first" (or the given notebooks) when it
    is not there."""
    try:
        body = ws.client("s3").get_object(Bucket=ws.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("NoSuchKey", "NoSuchBucket", "404"):
            raise
        raise need(f"s3://{ws.bucket}/{key}", *(notebooks or ("01",))) from None
    return pd.read_csv(io.BytesIO(body), dtype={"USER_ID": str, "ITEM_ID": str})


def interactions(ws: Any) -> pd.DataFrame:
    """The interactions notebook 01 wrote: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP."""
    return read_csv(ws, INTERACTIONS_KEY)


def catalogue(ws: Any, *notebooks: str) -> pd.DataFrame:
    """Products by ITEM_ID: the imported catalogue plus the items put one by one."""
    frame = pd.concat([read_csv(ws, CATALOGUE_KEY, *notebooks), pd.DataFrame(NEW_ITEMS)])
    return frame.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID")


# --- finders ----------------------------------------------------------------------------------


def pick_users(frame: pd.DataFrame, products: pd.DataFrame, count: int = 3) -> list[str]:
    """Shoppers with clear tastes: at least 15 interactions, the largest share of them in
    one category first (ties: more interactions, then user id)."""
    joined = frame.join(products["CATEGORY_L1"], on="ITEM_ID")
    per_category = pd.crosstab(joined["USER_ID"], joined["CATEGORY_L1"])
    n = frame.groupby("USER_ID").size()
    stats = pd.DataFrame({"n": n, "share": (per_category.max(axis=1) / n).round(6)})
    stats = stats[stats["n"] >= 15].rename_axis("USER_ID").reset_index()
    ranked = stats.sort_values(["share", "n", "USER_ID"], ascending=[False, False, True])
    return ranked["USER_ID"].head(count).tolist()


def bought(frame: pd.DataFrame) -> pd.Series:
    """USER_ID -> the set of items the user bought."""
    return frame[frame["EVENT_TYPE"] == PURCHASED].groupby("USER_ID")["ITEM_ID"].agg(set)


def buyer_whose_purchases_come_back(
    runtime: Any, campaign: str, frame: pd.DataFrame, products: pd.DataFrame, scan: int = 40
) -> str:
    """A shopper whose top 10 holds products they bought (2 or more, else the most): the one
    a filter that excludes purchases changes visibly. Asks the campaign for at most `scan`."""
    purchases = bought(frame)
    candidates = [u for u in pick_users(frame, products, scan) if u in purchases.index]
    candidates += sorted(set(purchases.index) - set(candidates))
    best = (-1, "")
    for user in candidates[:scan]:
        items = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)
        found = sum(i["itemId"] in purchases[user] for i in items["itemList"])
        best = max(best, (found, user), key=lambda b: b[0])
        if found >= 2:
            break
    return best[1]


def batch_users(frame: pd.DataFrame, count: int = 50) -> list[str]:
    """An even sample of the users: every k-th user id in sorted order."""
    users = sorted(frame["USER_ID"].unique())
    return users[:: max(1, len(users) // count)][:count]


# --- tables and a chart -----------------------------------------------------------------------


def product(products: pd.DataFrame, item_id: str) -> tuple[str, str]:
    """(name, "category / subcategory") of an item; the bare id if the catalogue lacks it."""
    if item_id not in products.index:
        return item_id, "?"
    row = products.loc[item_id]
    return str(row["NAME"]), f"{row['CATEGORY_L1']} / {row['CATEGORY_L2']}"


def product_table(products: pd.DataFrame, item_list: list[dict], **marks: set) -> pd.DataFrame:
    """An itemList (get_recommendations) with names, categories and brands, 1-based; each
    keyword adds a column that marks the items of its set, e.g. bought=purchases."""
    ids = [item["itemId"] for item in item_list]
    table = pd.DataFrame(
        [(*product(products, i), products["BRAND"].get(i, "?")) for i in ids],
        columns=["product", "category", "brand"],
        index=pd.RangeIndex(1, len(ids) + 1, name="#"),
    )
    for label, marked in marks.items():
        table[label] = [label if i in marked else "" for i in ids]
    return table


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


def next_to_history(
    frame: pd.DataFrame, products: pd.DataFrame, user: str, item_list: list[dict]
) -> pd.DataFrame:
    """A user's recommendations next to the products they touched last (and how far they
    went); prints how many recommendations fall in the user's favourite categories."""
    mine = frame[frame["USER_ID"] == user].join(products["CATEGORY_L1"], on="ITEM_ID")
    top = mine["CATEGORY_L1"].value_counts()
    favourites = top[top >= top.iloc[0] / 2].index.tolist()
    inside = sum(product(products, i["itemId"])[1].split(" / ")[0] in favourites for i in item_list)
    print(
        f"user {user}: {len(mine)} interactions, mostly {', '.join(favourites)}; "
        f"{inside} of {len(item_list)} recommendations are in those categories"
    )
    did, n = latest_products(frame, user, len(item_list)), len(item_list)
    new = {item["ITEM_ID"] for item in NEW_ITEMS}
    rows = []
    for k, item in enumerate(item_list):
        touched = (
            (*product(products, did["ITEM_ID"][k]), did["step"][k]) if k < len(did) else [""] * 3
        )
        score = f"{item['score']:.4f}" if "score" in item else ""
        score += " new" if item["itemId"] in new else ""
        rows.append((*touched, *product(products, item["itemId"]), score))
    done, recommended = "products they touched last", "recommended"
    columns = [(done, "product"), (done, "category"), (done, "furthest step")]
    columns += [(recommended, "product"), (recommended, "category"), (recommended, "score")]
    return pd.DataFrame(
        rows,
        index=pd.RangeIndex(1, n + 1, name="#"),
        columns=pd.MultiIndex.from_tuples(columns),
    )


def metrics_table(metrics: dict[str, dict], prefix: str) -> pd.DataFrame:
    """{solution name: {"recipe": ..., get_solution_metrics' metrics}} as one row per
    solution (the prefix left out), rounded to 4 places: notebook 02's three first."""
    table = pd.DataFrame.from_dict(metrics, orient="index")
    table.index = [name.removeprefix(f"{prefix}-") for name in table.index]
    order = [*[s for s in RECIPES if s in table.index], *sorted(set(table.index) - set(RECIPES))]
    numbers = table.reindex(order)[list(METRICS)].astype(float).round(4).rename(columns=METRICS)
    numbers.insert(0, "recipe", table.reindex(order)["recipe"])
    numbers.index.name = "solution"
    return numbers


def metrics_chart(table: pd.DataFrame):
    """Grouped bars of the ranking metrics and coverage, one colour per solution."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(table)
    for i, (solution, row) in enumerate(table[CHARTED].iterrows()):
        ax.bar([k + i * width for k in range(len(CHARTED))], row.to_numpy(), width, label=solution)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(CHARTED))], CHARTED)
    if {"user-personalization", "popularity-count"} <= set(table.index):
        best, base = table["NDCG@10"]["user-personalization"], table["NDCG@10"]["popularity-count"]
        ratio = f"{best / base:.1f} times" if base else "far above"
        ax.set_title(f"NDCG@10 of user-personalization is {ratio} the popularity baseline's")
    ax.set_ylim(0, 1.2)  # all four metrics are shares; the top is left for the legend
    ax.legend(loc="upper center", ncol=len(table), frameon=False)
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's result (not again by the inline backend)
    return fig


def batch_summary(results: list[dict], frame: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The batch job's output lines: the share of each category among the recommendations,
    next to its share among what those users did."""
    items = [i for r in results if r.get("output") for i in r["output"]["recommendedItems"]]
    errors = sum(1 for r in results if r.get("error"))
    print(
        f"{len(results)} lines, {errors} errors, {len(items)} recommendations of "
        f"{len(set(items))} distinct products"
    )
    users = [r["input"]["userId"] for r in results]
    done = frame[frame["USER_ID"].isin(users)].join(products["CATEGORY_L1"], on="ITEM_ID")
    recommended = products["CATEGORY_L1"].reindex(items).value_counts()
    table = pd.DataFrame(
        {
            "share of recommendations": recommended / recommended.sum(),
            "share of what these users did": done["CATEGORY_L1"].value_counts(normalize=True),
        }
    )
    table.index.name = "category"
    return table.fillna(0).round(3).sort_values("share of recommendations", ascending=False)
