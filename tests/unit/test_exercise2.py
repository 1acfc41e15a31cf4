"""Exercise 2's helpers that need no service: names, schemas, choices, waiting lines, charts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workshop_lib import exercise2 as ex2
from workshop_lib.connection import Workshop
from workshop_lib.exercise2 import common
from workshop_lib.exercise2.batch import batch_users
from workshop_lib.exercise2.datasets import NEW_ITEMS, camel, schema_text
from workshop_lib.exercise2.serving import pick_users

ACCOUNT = "123456789012"


def _workshop(target: str = "local") -> Workshop:
    return Workshop(
        target=target,
        region="eu-west-1",
        account_id=ACCOUNT,
        caller_arn=f"arn:aws:sts::{ACCOUNT}:user/me",
        prefix="shop",
        bucket="shop-personalize-bucket",
    )


def test_names_all_start_with_the_prefix_and_arns_follow_personalize():
    ws = _workshop()
    assert all(name.startswith("shop-") for name in ex2.names(ws).values())
    assert ex2.campaign_arn(ws) == (
        f"arn:aws:personalize:eu-west-1:{ACCOUNT}:campaign/shop-user-personalization"
    )
    assert ex2.campaign_arn(ws, "similar-items").endswith(":campaign/shop-similar-items")
    assert ex2.filter_arn(ws).endswith(":filter/shop-exclude-purchased")
    assert common.dataset_arn(ws, "Items") == (
        f"arn:aws:personalize:eu-west-1:{ACCOUNT}:dataset/shop-dataset-group/ITEMS"
    )


def test_schemas_match_the_csv_columns_and_personalize_rules():
    interactions = ex2.schema("Interactions")
    items = ex2.schema("Items")
    assert interactions["name"] == "Interactions" and items["name"] == "Items"
    assert [f["name"] for f in interactions["fields"]] == [
        "USER_ID",
        "ITEM_ID",
        "EVENT_TYPE",
        "TIMESTAMP",
    ]
    catalogue_columns = (
        "ITEM_ID,NAME,CATEGORY_L1,CATEGORY_L2,BRAND,PRICE_TIER,PRICE,CREATION_TIMESTAMP"
    )
    assert ",".join(f["name"] for f in items["fields"]) == catalogue_columns
    assert sum(bool(f.get("textual")) for f in items["fields"]) == 1  # at most one allowed
    assert all(f["type"] == "string" for f in items["fields"] if f.get("categorical"))
    # the printed form is the same JSON, one field per line
    assert json.loads(schema_text("Items")) == items
    assert schema_text("Items").count("\n") == len(items["fields"]) + 1


def test_camel_case_property_names():
    assert camel("CATEGORY_L1") == "categoryL1"
    assert camel("CREATION_TIMESTAMP") == "creationTimestamp"
    assert camel("NAME") == "name"


def test_new_items_have_every_items_column_and_are_not_in_the_catalogue():
    columns = [f["name"] for f in ex2.schema("Items")["fields"]]
    catalogue = pd.read_csv("data/sample/products.csv")
    for item in NEW_ITEMS:
        assert [*item, "CREATION_TIMESTAMP"] == columns  # the timestamp is set at put time
        assert item["ITEM_ID"] not in set(catalogue["ITEM_ID"])


def test_pick_users_prefers_clear_tastes_and_is_deterministic():
    products = pd.DataFrame(
        {"CATEGORY_L1": ["tops", "tops", "bags", "socks"]}, index=["t1", "t2", "b1", "s1"]
    )
    rows = (
        [("u-focused", "t1")] * 10
        + [("u-focused", "t2")] * 6  # 16 interactions, all tops
        + [("u-mixed", "t1")] * 8
        + [("u-mixed", "b1")] * 8  # 16, half and half
        + [("u-short", "s1")] * 5  # too few interactions to show
        + [("a-focused", "b1")] * 16  # same share as u-focused, same count: id decides
    )
    frame = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID"])
    assert pick_users(frame, products, count=3) == ["a-focused", "u-focused", "u-mixed"]


def test_batch_users_are_an_even_sorted_sample():
    frame = pd.DataFrame({"USER_ID": [f"u{i:03d}" for i in range(200)] * 2})
    users = batch_users(frame, count=50)
    assert len(users) == 50 and users == sorted(users)
    assert users[:3] == ["u000", "u004", "u008"]
    assert batch_users(frame.head(10), count=50) == [f"u{i:03d}" for i in range(10)]


def test_helper_timeouts_stay_under_the_runner_cell_timeout():
    from workshop_lib.runner import CELL_TIMEOUT_SECONDS

    assert common.timeout(_workshop("local"), 3 * 3600) < CELL_TIMEOUT_SECONDS["local"]
    assert common.timeout(_workshop("aws"), 3 * 3600) < CELL_TIMEOUT_SECONDS["aws"]
    assert common.timeout(_workshop("local"), 60) == 60
    assert common.timeout(_workshop("aws"), 900) == 900


def test_wait_lines_say_how_long_the_step_takes_on_aws(monkeypatch, capsys):
    states = iter(["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"])
    monkeypatch.setattr("workshop_lib.waiting.time.sleep", lambda s: None)
    common.wait(_workshop(), {"training x": lambda: {"status": next(states)}}, "training")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("…") and lines[0].endswith("(typically 30-60 min on AWS)")
    assert "training x (CREATE PENDING)" in lines[0]
    assert lines[-1] == "Ready: training x (ACTIVE)."


def test_wait_surfaces_the_failure_reason(monkeypatch):
    from workshop_lib.waiting import ResourceFailed

    monkeypatch.setattr("workshop_lib.waiting.time.sleep", lambda s: None)
    failed = {"status": "CREATE FAILED", "failureReason": "Dataset has fewer than 25 users"}
    with pytest.raises(ResourceFailed, match="training x is CREATE FAILED: Dataset has fewer"):
        common.wait(_workshop(), {"training x": lambda: failed}, "training")


def test_metrics_chart_draws_one_bar_per_recipe_and_metric():
    table = pd.DataFrame(
        {"precision@10": [0.12, 0.03, 0.02], "NDCG@10": [0.5, 0.09, 0.1]}
        | {"MRR@25": [0.6, 0.1, 0.1], "coverage": [0.9, 1.0, 0.1]},
        index=list(ex2.RECIPES.values()),
    )
    fig = ex2.metrics_chart(table)
    ax = fig.axes[0]
    assert len(ax.patches) == 12
    assert "5.0 times" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(ex2.RECIPES.values())


def test_listing_shows_long_values_in_full():
    arn = "arn:aws:personalize:us-east-1:123456789012:solution/" + "x" * 60
    listing = common.Listing(pd.DataFrame({"ARN": [arn]}))
    assert arn in repr(listing) and arn in listing._repr_html_()


def test_latest_products_are_distinct_with_the_furthest_step():
    from workshop_lib.exercise2.serving import latest_products

    frame = pd.DataFrame(
        [
            ("u", "shoe", "Product Clicked", 10),
            ("u", "shoe", "Product Viewed", 11),
            ("u", "sock", "Product Viewed", 12),
            ("u", "shoe", "Order Completed", 20),
            ("u", "hat", "Product Added", 15),
            ("v", "bag", "Product Viewed", 30),
        ],
        columns=["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
    )
    table = latest_products(frame, "u", n=10)
    assert table[["ITEM_ID", "step"]].values.tolist() == [
        ["shoe", "bought"],
        ["hat", "added to cart"],
        ["sock", "viewed"],
    ]
    assert len(latest_products(frame, "u", n=2)) == 2
