"""Exercise 4's plumbing: the shopper the demo takes (never one browsed for already), the tables
that mark what a shopper just viewed, the aws target without Segment values, the prerequisite
message; and the cleanup's advice on aws."""

from __future__ import annotations

import pandas as pd
import pytest

from workshop_lib import cleanup, exercise4
from workshop_lib.connection import Workshop
from workshop_lib.prerequisites import RunEarlierNotebooks

CATALOGUE = pd.DataFrame(
    {
        "NAME": ["Top A", "Top B", "Top C", "Bag A", "Bag B", "Cap A"],
        "CATEGORY_L1": ["tops", "tops", "tops", "bags", "bags", "accessories"],
    },
    index=pd.Index(["t1", "t2", "t3", "b1", "b2", "c1"], name="ITEM_ID"),
)


@pytest.fixture
def aws() -> Workshop:
    return Workshop("aws", "eu-west-1", "111122223333", "me", "shop", "shop-bucket")


@pytest.fixture
def shop(monkeypatch):
    """The catalogue above, and a history: u1 and u2 only ever touched tops, u3 is mixed."""
    history = pd.DataFrame(
        {
            "USER_ID": ["u1"] * 16 + ["u2"] * 15 + ["u3"] * 15 + ["u4"] * 3,
            "ITEM_ID": ["t1"] * 16 + ["t2"] * 15 + ["t1", "b1", "c1"] * 5 + ["t1"] * 3,
        }
    )
    monkeypatch.setattr(exercise4, "catalogue", lambda ws: CATALOGUE)
    frames = {exercise4.INTERACTIONS_KEY: history}
    monkeypatch.setattr(exercise4, "_csv", lambda ws, key: frames[key])


def test_shoppers_with_the_clearest_taste_come_first():
    frame = pd.DataFrame(
        {
            "USER_ID": ["a"] * 15 + ["b"] * 20 + ["c"] * 5,
            "ITEM_ID": ["t1"] * 15 + ["b1"] * 20 + ["t1"] * 5,
        }
    )
    frame.loc[:1, "ITEM_ID"] = "b1"  # a: 13 of 15 in one category, b: 20 of 20; c: too few
    assert exercise4._ranked_shoppers(frame, CATALOGUE) == ["b", "a"]


def test_the_next_shopper_is_one_nobody_browsed_for(shop, monkeypatch, capsys):
    ws = Workshop("local", "us-east-1", "123456789012", "me", "shop", "b", "http://x")
    browsed = {"u1"}
    monkeypatch.setattr(
        exercise4.segment,
        "profile_traits",
        lambda space, token, user, ws: {exercise4.TRAIT: ["t1"]} if user in browsed else {},
    )
    user, category, history = exercise4.next_shopper(ws, "space", "token")
    assert user == "u2"  # u1 ranks first (16 interactions) but has the trait already
    assert category == "bags"  # never touched, and the bigger of the two untouched categories
    assert history["interactions"].to_dict() == {"tops": 15, "accessories": 0, "bags": 0}
    browsed.add("u2")
    assert exercise4.next_shopper(ws, "space", "token")[0] == "u3"
    assert capsys.readouterr().out == ""


def test_without_profile_values_the_first_shopper_is_taken_and_it_says_so(shop, aws, capsys):
    assert exercise4.next_shopper(aws)[0] == "u1"
    assert exercise4.next_shopper(aws, skip=["u1"])[0] == "u2"
    assert "the first shopper, even if a run browsed" in capsys.readouterr().out


def test_product_tables_name_the_products_and_mark_what_was_viewed(shop):
    ws = None
    before = exercise4.product_table(ws, [{"itemId": "t1"}, {"itemId": "t2"}])
    after = exercise4.product_table(ws, ["b1", "t1", "zz"])
    assert after.to_dict("list") == {
        "item": ["b1", "t1", "zz"],
        "product": ["Bag A", "Top A", "zz"],
        "category": ["bags", "tops", "?"],
    }
    table = exercise4.side_by_side(before, after, viewed=["b1"])
    assert table[("after", "")].tolist() == ["viewed", "", "not viewed"]
    assert table[("before", "product")].tolist() == ["Top A", "Top B", ""]
    assert list(table.index) == [1, 2, 3]


def test_products_of_a_category_spread_over_it(shop):
    assert exercise4.products(None, "tops", count=2).index.tolist() == ["t1", "t2"]
    assert exercise4.products(None, "tops", count=2)["category"].eq("tops").all()
    with pytest.raises(ValueError, match="No product has the category 'shoes'"):
        exercise4.products(None, "shoes")


def test_on_aws_segment_steps_say_where_to_look(aws, monkeypatch, capsys):
    slept = []
    monkeypatch.setattr(exercise4.time, "sleep", slept.append)
    exercise4.wait_for_segment(aws)
    assert slept == [exercise4.SEGMENT_DELIVERY_SECONDS]
    assert exercise4.deliveries(aws) == []
    assert exercise4.delivery_log(aws).empty
    assert "Event Delivery" in capsys.readouterr().out


def test_a_stack_without_segments_role_says_how_to_fix_it():
    ws = Workshop("aws", "eu-west-1", "111122223333", "me", "shop", "b", stack="st", roles={})
    with pytest.raises(RuntimeError, match="deployed without SegmentWorkspaceId"):
        exercise4.stack_segment_role(ws)


def test_run_out_of_order_says_to_run_notebooks_01_and_02(aws_env):
    ws = Workshop("local", "us-east-1", "123456789012", "me", "nb04-missing", "b", aws_env.url)
    arn = f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{ws.name('dataset-group')}"
    with pytest.raises(RunEarlierNotebooks, match=r"not created.*01_segment.*and 02_personalize"):
        exercise4.check_prerequisites(ws, {"dataset group": arn})


def test_cleanup_advice_on_aws_names_the_stack_and_what_bills(aws):
    text = cleanup.advice(aws, [])
    assert text.startswith("Nothing the kit created is left on the aws target.")
    assert "aws cloudformation delete-stack" in text and "bill" in text
    left = [cleanup.Removed("campaign", "shop-user-personalization", "failed: X")]
    assert cleanup.advice(aws, left).startswith("1 resource is still there")


def test_a_given_bucket_is_not_the_kits(aws):
    assert not cleanup.owns_bucket(aws)
    own = Workshop(
        "aws", "eu-west-1", "111122223333", "me", "shop", "shop-personalize-111122223333-eu-west-1"
    )
    assert cleanup.owns_bucket(own)
