"""Exercise 2's plumbing without a service: names, what the notebook's cells write (schemas,
items, recipes, keys) against what the rest of the kit relies on, finders, tables, the chart."""

from __future__ import annotations

import ast
import re

import pandas as pd
import pytest

from tests.unit.notebook02_cells import cell
from workshop_lib import exercise2 as ex2
from workshop_lib.connection import Workshop

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


def _literal(source: str, name: str):
    """The literal value assigned to `name` in a cell's source."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise LookupError(name)


def test_names_all_start_with_the_prefix_and_arns_follow_personalize():
    ws = _workshop()
    assert all(name.startswith("shop-") for name in ex2.names(ws).values())
    assert ex2.campaign_arn(ws) == (
        f"arn:aws:personalize:eu-west-1:{ACCOUNT}:campaign/shop-user-personalization"
    )
    assert ex2.campaign_arn(ws, "similar-items").endswith(":campaign/shop-similar-items")
    assert ex2.filter_arn(ws).endswith(":filter/shop-exclude-purchased")
    assert ex2.group_arn(ws).endswith(":dataset-group/shop-dataset-group")


def test_the_cells_use_the_names_and_keys_the_kit_relies_on():
    """cleanup, notebooks 03-04 and the stack's policy know these names from ex2's constants:
    the notebook's cells must give its resources the same ones."""
    recipes = _literal(cell("recipes = {"), "recipes")
    assert {s: arn.rsplit("/", 1)[-1] for s, arn in recipes.items()} == ex2.RECIPES
    campaigns = cell("create_campaign")
    assert f"for suffix in {list(ex2.CAMPAIGNS)!r}".replace("'", '"') in campaigns
    assert f'name=ws.name("{ex2.FILTER_SUFFIX}")' in cell("create_filter")
    assert f'ws.roles.get("{ex2.ROLE_SUFFIX}")' in cell("create_role")
    assert f'RoleName=ws.name("{ex2.ROLE_SUFFIX}")' in cell("create_role")
    imports = cell("create_dataset_import_job")
    assert f'"{ex2.INTERACTIONS_KEY}"' in imports and f'"{ex2.CATALOGUE_KEY}"' in imports
    batch = cell("create_batch_inference_job")
    assert batch.count(ex2.BATCH_INPUT_KEY) == 3 and f"/{ex2.BATCH_OUTPUT_PREFIX}" in batch
    assert 'jobName=ws.name(f"batch-' in batch  # the stack allows batch-inference-job/<p>-batch-*


def test_schemas_match_the_csv_columns_and_personalize_rules():
    interactions = _literal(cell("interactions_schema = {"), "interactions_schema")
    items = _literal(cell("items_schema = {"), "items_schema")
    assert interactions["name"] == "Interactions" and items["name"] == "Items"
    assert [f["name"] for f in interactions["fields"]] == [
        "USER_ID",
        "ITEM_ID",
        "EVENT_TYPE",
        "TIMESTAMP",
    ]
    header = pd.read_csv("data/sample/products.csv", nrows=0).columns.tolist()
    assert [f["name"] for f in items["fields"]] == header
    assert sum(bool(f.get("textual")) for f in items["fields"]) == 1  # at most one allowed
    assert all(f["type"] == "string" for f in items["fields"] if f.get("categorical"))


def test_the_items_put_in_the_cell_are_the_ones_tables_show():
    """The cell sends put_items' camelCase properties (categoryL1 for CATEGORY_L1);
    ex2.NEW_ITEMS (the copy that gives tables their names, in notebooks 03 and 04 too) must
    say the same."""
    sent = _literal(cell("put_items("), "new_items")
    as_columns = [
        {"ITEM_ID": item["itemId"]}
        | {
            re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper(): value
            for key, value in item["properties"].items()
        }
        for item in sent
    ]
    assert as_columns == ex2.NEW_ITEMS
    items = _literal(cell("items_schema = {"), "items_schema")
    catalogue = pd.read_csv("data/sample/products.csv")
    for item in ex2.NEW_ITEMS:
        assert [*item, "CREATION_TIMESTAMP"] == [f["name"] for f in items["fields"]]
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
    assert ex2.pick_users(frame, products, count=3) == ["a-focused", "u-focused", "u-mixed"]


def test_batch_users_are_an_even_sorted_sample():
    frame = pd.DataFrame({"USER_ID": [f"u{i:03d}" for i in range(200)] * 2})
    users = ex2.batch_users(frame, count=50)
    assert len(users) == 50 and users == sorted(users)
    assert users[:3] == ["u000", "u004", "u008"]
    assert ex2.batch_users(frame.head(10), count=50) == [f"u{i:03d}" for i in range(10)]


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "NAME": ["Shoe", "Sock", "Hat"],
            "CATEGORY_L1": ["footwear", "socks", "accessories"],
            "CATEGORY_L2": ["sneaker", "ankle", "cap"],
            "BRAND": ["b1", "b2", "b3"],
        },
        index=pd.Index(["shoe", "sock", "hat"], name="ITEM_ID"),
    )


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("u", "shoe", "Product Clicked", 10),
            ("u", "shoe", "Product Viewed", 11),
            ("u", "sock", "Product Viewed", 12),
            ("u", "shoe", "Order Completed", 20),
            ("u", "hat", "Product Added", 15),
            ("v", "hat", "Product Viewed", 30),
        ],
        columns=["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
    )


def test_latest_products_are_distinct_with_the_furthest_step():
    table = ex2.latest_products(_history(), "u", n=10)
    assert table[["ITEM_ID", "step"]].values.tolist() == [
        ["shoe", "bought"],
        ["hat", "added to cart"],
        ["sock", "viewed"],
    ]
    assert len(ex2.latest_products(_history(), "u", n=2)) == 2
    assert ex2.bought(_history()).to_dict() == {"u": {"shoe"}}


def test_product_table_names_items_and_marks_a_set():
    items = [{"itemId": "sock"}, {"itemId": "gone"}, {"itemId": "shoe"}]
    table = ex2.product_table(_products(), items, bought={"shoe"})
    assert table.index.tolist() == [1, 2, 3]
    assert table["product"].tolist() == ["Sock", "gone", "Shoe"]  # unknown ids stay as they are
    assert table["category"].tolist() == ["socks / ankle", "?", "footwear / sneaker"]
    assert table["bought"].tolist() == ["", "", "bought"]


def test_recommendations_next_to_history(capsys):
    items = [{"itemId": "hat", "score": 0.61234}, {"itemId": ex2.NEW_ITEMS[0]["ITEM_ID"]}]
    products = pd.concat([_products(), pd.DataFrame(ex2.NEW_ITEMS).set_index("ITEM_ID")])
    table = ex2.next_to_history(_history(), products, "u", items)
    line = capsys.readouterr().out.strip()
    assert (
        line
        == "user u: 5 interactions, mostly footwear; 0 of 2 recommendations are in those categories"
    )
    assert table[("products they touched last", "product")].tolist() == ["Shoe", "Hat"]
    assert table[("recommended", "score")].tolist() == ["0.6123", " new"]
    assert table[("recommended", "product")].iloc[1] == "Northpeak Summit Navy Parka"


def test_metrics_table_puts_the_three_first_and_any_other_after():
    metric = {key: 0.123456 for key in ex2.METRICS}
    metrics = {
        f"shop-{name}": {"recipe": recipe, **metric}
        for name, recipe in [
            ("zz-mine", "aws-user-personalization"),
            ("popularity-count", "aws-popularity-count"),
            ("user-personalization", "aws-user-personalization"),
            ("similar-items", "aws-similar-items"),
        ]
    }
    table = ex2.metrics_table(metrics, "shop")
    assert table.index.tolist() == [
        "user-personalization",
        "similar-items",
        "popularity-count",
        "zz-mine",
    ]
    assert table.columns.tolist() == ["recipe", *ex2.METRICS.values()]
    assert table["NDCG@10"].tolist() == [0.1235] * 4


def test_metrics_chart_draws_one_bar_per_solution_and_metric():
    table = pd.DataFrame(
        {"precision@10": [0.12, 0.03, 0.02, 0.1], "NDCG@10": [0.5, 0.09, 0.1, 0.4]}
        | {"MRR@25": [0.6, 0.1, 0.1, 0.5], "coverage": [0.9, 1.0, 0.1, 0.9]},
        index=[*ex2.RECIPES, "no-recency"],
    )
    fig = ex2.metrics_chart(table)
    ax = fig.axes[0]
    assert len(ax.patches) == 16
    assert "5.0 times" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [*ex2.RECIPES, "no-recency"]


def test_batch_summary_compares_categories(capsys):
    results = [
        {"input": {"userId": "u"}, "output": {"recommendedItems": ["hat", "hat", "sock"]}},
        {"input": {"userId": "v"}, "error": "no such user"},
    ]
    table = ex2.batch_summary(results, _history(), _products())
    assert capsys.readouterr().out.strip() == (
        "2 lines, 1 errors, 3 recommendations of 2 distinct products"
    )
    assert table["share of recommendations"].to_dict() == pytest.approx(
        {"accessories": 0.667, "socks": 0.333, "footwear": 0.0}
    )
    assert table.loc["footwear", "share of what these users did"] == pytest.approx(0.5)


def test_listing_shows_long_values_in_full():
    arn = "arn:aws:personalize:us-east-1:123456789012:solution/" + "x" * 60
    listing = ex2.Listing(pd.DataFrame({"ARN": [arn]}))
    assert arn in repr(listing) and arn in listing._repr_html_()
