"""Exercise 4's plumbing: what notebook 04's cells need but do not teach.

The cells make the calls themselves (create_event_tracker, create_role, create_function, the
Segment destination's settings, lambda.invoke, analytics.track, get_recommendations, the
Profile API request). Here: the prerequisite check, the product catalogue for display, the
choice of a shopper nobody browsed for yet (so a rerun's "before" is clean), the wait for
Segment's deliveries, tables and a chart, and the emulated Segment's delivery log.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import exercise2, personalize, segment, stack
from .prerequisites import need

FUNCTION_SUFFIX = "segment-destination"  # the function and its execution role
SEGMENT_ROLE_SUFFIX = "segment-invoke"  # the role Segment assumes to invoke the function
LIVE_SOURCE = "website-prod"
SPACE = segment.WORKSHOP_SPACE  # the Unify space the notebook feeds (local target)
TRAIT = "recommended_products"
INTERACTIONS_KEY = "transformed/interactions.csv"  # written by notebook 01, imported by 02
SEGMENT_DELIVERY_SECONDS = 10  # aws: Segment delivers to the function within seconds


def check_prerequisites(ws: Any, arns: dict[str, str]) -> pd.DataFrame:
    """The status of each resource notebook 02 made ({label: ARN}); a short "run notebooks 01
    and 02 first" when one is missing or not ACTIVE."""
    rows = []
    for label, arn in arns.items():
        try:
            status = personalize.describe(ws.client("personalize"), arn)["status"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            status = "not created"
        if status != "ACTIVE":
            raise need(f"The {label} {arn.rsplit('/', 1)[-1]} ({status})", "01", "02")
        rows.append((label, arn.rsplit("/", 1)[-1], status))
    return pd.DataFrame(rows, columns=["resource", "name", "status"])


def stack_segment_role(ws: Any) -> tuple[str, str]:
    """(role ARN, Segment workspace id) of the role the setup/ stack made for Segment."""
    role = ws.roles.get(SEGMENT_ROLE_SUFFIX)
    if not role:  # the stack's LearnerPolicy may create no role: the stack must hold it
        raise RuntimeError(
            f"The stack {ws.stack} has no role for Segment: it was deployed without "
            "SegmentWorkspaceId. Update the stack with your workspace id (Segment: Settings > "
            "General), then run this cell again."
        )
    return role, stack.read(ws.client("cloudformation"), ws.stack).parameters["SegmentWorkspaceId"]


_read: dict[tuple, pd.DataFrame] = {}  # what notebook 01 wrote does not change: read it once


def _csv(ws: Any, key: str) -> pd.DataFrame:
    where = (ws.endpoint_url, ws.bucket, key)
    if where not in _read:
        _read[where] = exercise2.read_csv(ws, key, "01", "02")
    return _read[where]


def interactions(ws: Any) -> pd.DataFrame:
    """The history notebook 01 wrote (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP), read once."""
    return _csv(ws, INTERACTIONS_KEY)


def catalogue(ws: Any) -> pd.DataFrame:
    """Products by ITEM_ID (NAME, CATEGORY_L1, ...): notebook 01's catalogue, plus the products
    notebook 02 puts one by one."""
    where = (ws.endpoint_url, ws.bucket, "catalogue")
    if where not in _read:
        _read[where] = exercise2.catalogue(ws, "01", "02")
    return _read[where]


def products(ws: Any, category: str, count: int = 8) -> pd.DataFrame:
    """`count` products of a category, spread over its brands: what a shopper browses."""
    pool = catalogue(ws)
    pool = pool[pool["CATEGORY_L1"] == category].sort_index()
    if pool.empty:
        raise ValueError(f"No product has the category {category!r}.")
    chosen = pool.iloc[:: max(1, len(pool) // count)].head(count)
    table = chosen[["NAME", "CATEGORY_L1"]].set_axis(["product", "category"], axis=1)
    return table.rename_axis("sku")


def _ranked_shoppers(frame: pd.DataFrame, products_: pd.DataFrame) -> list[str]:
    """Shoppers with clear tastes: 15 interactions or more, the largest share of them in one
    category first (ties: more interactions, then user id)."""
    joined = frame.join(products_["CATEGORY_L1"], on="ITEM_ID")
    counts = joined.groupby(["USER_ID", "CATEGORY_L1"]).size().unstack(fill_value=0)
    stats = pd.DataFrame({"n": frame.groupby("USER_ID").size()})
    stats["share"] = (counts.max(axis=1) / counts.sum(axis=1)).round(6)
    stats = stats[stats["n"] >= 15].rename_axis("USER_ID").reset_index()
    ranked = stats.sort_values(["share", "n", "USER_ID"], ascending=[False, False, True])
    return ranked["USER_ID"].tolist()


def next_shopper(
    ws: Any, space_id: str = "", access_token: str = "", skip: tuple = ()
) -> tuple[str, str, pd.DataFrame]:
    """(user, a category they never touched, their interactions per category) for the first
    shopper with clear tastes whose Segment profile has no `recommended_products` trait yet:
    nobody browsed for them in real time, so their recommendations are the model's alone and a
    rerun of the notebook shows a true "before". Without Profile API values (aws), the first
    one not in `skip`."""
    frame, items = _csv(ws, INTERACTIONS_KEY), catalogue(ws)
    ranked = [u for u in _ranked_shoppers(frame, items) if u not in skip]
    user = ranked[0]
    if not (space_id and access_token):
        print("(No Profile API values: the first shopper, even if a run browsed for them.)")
    for candidate in ranked if space_id and access_token else []:
        if TRAIT not in segment.profile_traits(space_id, access_token, candidate, ws):
            user = candidate
            break
    mine = frame[frame["USER_ID"] == user].join(items["CATEGORY_L1"], on="ITEM_ID")
    sizes = items.groupby("CATEGORY_L1").size()
    counts = mine["CATEGORY_L1"].value_counts().reindex(sizes.index, fill_value=0)
    history = counts.sort_values(ascending=False, kind="stable").rename("interactions")
    untouched = sizes[counts == 0].sort_values(ascending=False, kind="stable")
    category = untouched.index[0] if len(untouched) else counts.idxmin()
    return user, category, history.rename_axis("category").to_frame()


def product_table(ws: Any, items: list) -> pd.DataFrame:
    """Recommended items (get_recommendations' itemList, or item ids) with name and category."""
    known = catalogue(ws)
    rows = []
    for i in (i["itemId"] if isinstance(i, dict) else str(i) for i in items):
        rows.append((i, *(known.loc[i, ["NAME", "CATEGORY_L1"]] if i in known.index else (i, "?"))))
    frame = pd.DataFrame(rows, columns=["item", "product", "category"])
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="#")
    return frame


def side_by_side(before: pd.DataFrame, after: pd.DataFrame, viewed: Any = ()) -> pd.DataFrame:
    """Two recommendation lists next to each other; each "after" entry says whether the shopper
    just viewed it, or whether it entered the list without having been viewed ("not viewed")."""
    seen, old = set(viewed), set(before["item"])
    marks = ["viewed" if i in seen else "not viewed" if i not in old else "" for i in after["item"]]
    pair = [before[["product", "category"]], after[["product", "category"]].assign(why=marks)]
    table = pd.concat(pair, axis=1, keys=["before", "after"]).fillna("")
    return table.rename(columns={"why": ""}, level=1)


def category_shares(before: pd.DataFrame, after: pd.DataFrame, title: str):
    """A bar chart of the categories' shares of the recommendations, before and after."""
    import matplotlib.pyplot as plt

    lists = {"before": before, "after": after}
    shares = pd.DataFrame({k: v["category"].value_counts(normalize=True) for k, v in lists.items()})
    shares = shares.fillna(0.0).sort_index()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(shares) + 1.4))
    y = range(len(shares))
    ax.barh([i + 0.2 for i in y], shares["before"], height=0.4, label="before", color="#9db9e3")
    ax.barh([i - 0.2 for i in y], shares["after"], height=0.4, label="after", color="#3b7dd8")
    ax.set_yticks(list(y), shares.index)
    ax.set_xlabel("share of the recommendations")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _destination_id(ws: Any) -> str:
    workspace = segment.SegmentWorkspace(ws)
    source = workspace.create_source(LIVE_SOURCE)
    for destination in workspace.destinations(source["id"]):
        if destination["metadata"]["slug"] == "amazon-personalize":
            return destination["id"]
    raise RuntimeError("No Amazon Personalize destination yet: run the cell that connects it.")


def wait_for_segment(ws: Any, timeout: float = 60) -> None:
    """Wait until Segment handed every event to the function (local: the emulated Segment
    says when; aws: Segment delivers within seconds, its Event Delivery page shows them)."""
    if ws.target != "local":
        time.sleep(SEGMENT_DELIVERY_SECONDS)
        return
    workspace, destination = segment.SegmentWorkspace(ws), _destination_id(ws)
    deadline = time.monotonic() + timeout
    while pending := workspace.deliveries(destination, 1)["pending"]:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if pending:
        print(f"{pending} events are still on their way to the function.")


def deliveries(ws: Any, limit: int = 100) -> list[dict]:
    """The emulated destination's delivery log, newest first ([] on aws)."""
    if ws.target != "local":
        return []
    return segment.SegmentWorkspace(ws).deliveries(_destination_id(ws), limit)["deliveries"]


def delivery_log(ws: Any, limit: int = 10) -> pd.DataFrame:
    """The destination's latest deliveries (newest first) and what the function answered."""
    if ws.target != "local":
        print("On AWS: Segment app > Connections > the destination > Event Delivery.")
        return pd.DataFrame()
    rows = []
    for e in deliveries(ws, limit):
        answer = json.loads(e.get("response") or "{}")
        who = (e["type"], e.get("event") or "", e.get("userId") or "", e["status"], e["attempts"])
        rows.append(
            (*who, answer.get("status", ""), answer.get("itemId", ""), e.get("error") or "")
        )
    columns = ["type", "event", "userId", "delivery", "attempts", "function", "itemId", "error"]
    return pd.DataFrame(rows, columns=columns)
