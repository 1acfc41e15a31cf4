"""The checks of exercise 4's tasks against a real (emulated) campaign: each accepts the right
answer and tells a plausible wrong one, and the untouched placeholder, in its ✘ line.

A small shop is trained in the threaded emulator under the names notebook 02 gives (dataset
group, user-personalization campaign, exclude-purchased filter) and notebook 01's catalogue is
in the workshop's bucket. The learner's events go to Personalize with put_events, as the
destination function sends them; the delivery log that Segment would keep is a stand-in."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

import boto3
import pandas as pd
import pytest

from tests.emulator.test_personalize_support import (
    INTERACTIONS_SCHEMA,
    RECIPE,
    personalize_role,
    point_boto3_at,
    upload_csv,
    wait,
)
from workshop_lib import exercise2, exercise4
from workshop_lib.checks import exercise4 as check
from workshop_lib.connection import Workshop

TOPS = [f"top-{k:02d}" for k in range(20)]
BAGS = [f"bag-{k:02d}" for k in range(20)]
USERS = [f"u{k}" for k in range(40)]


def _history() -> pd.DataFrame:
    """u0-u29 view and buy tops only, u30-u39 bags only (25 events each, spread over the 20
    products): 1000 in all, as many as an import needs."""
    rows = []
    for u, user in enumerate(USERS):
        products = TOPS if u < 30 else BAGS
        for k in range(25):
            event = "Order Completed" if k == 24 else "Product Viewed"
            rows.append((user, products[(u + 3 * k) % 20], event, 1_700_000_000 + 3600 * (u + k)))
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])


@pytest.fixture(scope="module")
def shop(emulator):
    """(workshop, tracking id) of a trained shop named as notebook 02 names its resources."""
    restore = point_boto3_at(emulator)
    prefix = f"chk4-{uuid.uuid4().hex[:6]}"
    ws = Workshop("local", "us-east-1", "123456789012", "me", prefix, f"{prefix}-b", emulator.url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ws.bucket)
    history = _history().to_csv(index=False).encode()
    s3.put_object(Bucket=ws.bucket, Key=exercise4.INTERACTIONS_KEY, Body=history)  # notebook 01's
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": TOPS + BAGS,
            "NAME": [i.replace("-", " ").title() for i in TOPS + BAGS],
            "CATEGORY_L1": ["tops"] * 20 + ["bags"] * 20,
        }
    )
    buffer = io.StringIO()
    catalogue.to_csv(buffer, index=False)
    s3.put_object(Bucket=ws.bucket, Key=exercise2.CATALOGUE_KEY, Body=buffer.getvalue().encode())

    p = boto3.client("personalize")
    group = p.create_dataset_group(name=ws.name("dataset-group"))["datasetGroupArn"]
    wait(lambda: p.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    schema = p.create_schema(name=ws.name("schema"), schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(
        name=ws.name("interactions"),
        schemaArn=schema,
        datasetGroupArn=group,
        datasetType="Interactions",
    )["datasetArn"]
    wait(lambda: p.describe_dataset(datasetArn=dataset), "dataset")
    job = p.create_dataset_import_job(
        jobName=ws.name("import"),
        datasetArn=dataset,
        dataSource={"dataLocation": upload_csv(_history())},
        roleArn=personalize_role(),
    )["datasetImportJobArn"]
    wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob")
    solution = p.create_solution(
        name=ws.name("user-personalization"),
        datasetGroupArn=group,
        recipeArn=RECIPE + "aws-user-personalization",
        performAutoTraining=False,
    )["solutionArn"]
    wait(lambda: p.describe_solution(solutionArn=solution), "solution")
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: p.describe_solution_version(solutionVersionArn=version), "solutionVersion")
    campaign = p.create_campaign(
        name=ws.name("user-personalization"), solutionVersionArn=version, minProvisionedTPS=1
    )["campaignArn"]
    wait(lambda: p.describe_campaign(campaignArn=campaign), "campaign")
    filter_ = p.create_filter(
        name=ws.name("exclude-purchased"),
        datasetGroupArn=group,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    )["filterArn"]
    wait(lambda: p.describe_filter(filterArn=filter_), "filter")
    tracker = p.create_event_tracker(name=ws.name("event-tracker"), datasetGroupArn=group)
    wait(
        lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]), "eventTracker"
    )
    yield ws, tracker["trackingId"]
    restore()


@pytest.fixture
def log(monkeypatch):
    """The destination's delivery log: what the function answered for each event sent."""
    entries: list[dict] = []
    monkeypatch.setattr(exercise4, "deliveries", lambda ws, limit=100: entries[::-1][:limit])
    return entries


def _send(shop, log, user: str, event: str, items: list[str], to_personalize: bool = True):
    """What the destination does for each event: put it to the tracker, log the delivery."""
    _, tracking_id = shop
    events = boto3.client("personalize-events")
    for item in items:
        message_id = str(uuid.uuid4())
        if to_personalize:
            events.put_events(
                trackingId=tracking_id,
                userId=user,
                sessionId=user,
                eventList=[
                    {
                        "eventId": message_id,
                        "eventType": event,
                        "itemId": item,
                        "sentAt": datetime.now(UTC),
                    }
                ],
            )
        answer = {"status": "sent", "itemId": item, "userId": user, "event": event}
        log.append(
            {
                "type": "track",
                "event": event,
                "userId": user,
                "status": "delivered",
                "response": json.dumps(answer),
            }
        )


def _before(ws, user: str) -> pd.DataFrame:
    return exercise4.product_table(ws, check._recommended(ws, user))


def test_own_clicks_accepts_views_that_move_the_category(shop, log, capsys):
    ws, _ = shop
    before = _before(ws, "u1")
    assert (before["category"] == "bags").sum() < 5
    _send(shop, log, "u1", "Product Viewed", BAGS[:4])
    assert check.own_clicks(ws, "u1", "bags", before)
    out = capsys.readouterr().out
    assert out.startswith("✔ 4 of your product views moved bags from") and "u1" in out


def test_own_clicks_tells_the_placeholder_and_a_category_that_does_not_exist(shop, log, capsys):
    ws, _ = shop
    before = _before(ws, "u2")
    assert not check.own_clicks(ws, "u2", None, before)
    assert capsys.readouterr().out.startswith("✘ Not done yet: set my_category")
    assert not check.own_clicks(ws, "u2", "shoes", before)
    assert "my_category is 'shoes'; the categories are bags, " in capsys.readouterr().out


def test_own_clicks_tells_views_sent_for_another_user(shop, log, capsys):
    ws, _ = shop
    before = _before(ws, "u3")
    _send(shop, log, "u4", "Product Viewed", BAGS[4:8])  # the wrong user_id
    assert not check.own_clicks(ws, "u3", "bags", before)
    out = capsys.readouterr().out
    assert out.startswith("✘ Not yet: 0 Product Viewed events of bags products for user u3")


def test_own_clicks_tells_a_category_the_shopper_touched_already(shop, log, capsys):
    ws, _ = shop
    before = _before(ws, "u5")
    _send(shop, log, "u5", "Product Viewed", TOPS[:4])  # u5's history is all tops
    assert not check.own_clicks(ws, "u5", "tops", before)
    assert capsys.readouterr().out == (
        "✘ Not yet: user u5 has 25 interactions with tops in the history: pick a category "
        "they never touched (0 in the table above).\n"
    )


def test_purchase_filtered_accepts_a_purchase_that_drops_out(shop, log, capsys):
    ws, _ = shop
    first = check._recommended(ws, "u6")[0]
    _send(shop, log, "u6", "Order Completed", [first])
    assert check.purchase_filtered(ws, "u6", first)
    assert capsys.readouterr().out.startswith(f"✔ {first.replace('-', ' ').title()} was bought")


def test_purchase_filtered_tells_the_placeholder_a_missing_event_and_a_wrong_id(shop, log, capsys):
    ws, _ = shop
    first = check._recommended(ws, "u7")[0]
    assert not check.purchase_filtered(ws, "u7", None)
    assert capsys.readouterr().out.startswith("✘ Not done yet: set bought")
    assert not check.purchase_filtered(ws, "u7", first)  # no Order Completed sent
    assert "no Order Completed event for" in capsys.readouterr().out
    assert not check.purchase_filtered(ws, "u7", "Top 00")  # a name, not an item id
    assert "it must be an item id" in capsys.readouterr().out


def test_purchase_filtered_tells_a_purchase_that_never_reached_personalize(shop, log, capsys):
    ws, _ = shop
    first = check._recommended(ws, "u8")[0]
    _send(shop, log, "u8", "Order Completed", [first], to_personalize=False)
    assert not check.purchase_filtered(ws, "u8", first)
    assert "is still recommended to user u8" in capsys.readouterr().out
