"""Event trackers, put_events/put_users/put_items validation, real-time recommendation changes."""

from __future__ import annotations

import json
import threading
import time

import pytest
from test_personalize_support import (
    campaign_for,
    clients,
    group_with_data,
    point_boto3_at,
    provider_of,
    trained_version,
    unique,
    wait,
)

from workshop_lib.emulator.personalize.synthetic import generate


@pytest.fixture(scope="module")
def setup(emulator):
    restore = point_boto3_at(emulator)
    personalize, _, _ = clients()
    interactions, items = generate(n_users=250, n_items=150, seed=5)
    arns = group_with_data(personalize, interactions, items)
    tracker = personalize.create_event_tracker(
        name=unique("tracker"), datasetGroupArn=arns["group"]
    )
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        "eventTracker",
    )
    arns.update(tracker=tracker["eventTrackerArn"], tracking_id=tracker["trackingId"])
    _, arns["up_version"] = trained_version(personalize, arns["group"], "aws-user-personalization")
    arns["up_campaign"] = campaign_for(personalize, arns["up_version"])
    _, arns["sims_version"] = trained_version(personalize, arns["group"], "aws-sims")
    arns["sims_campaign"] = campaign_for(personalize, arns["sims_version"])
    arns["interactions_frame"] = interactions
    yield arns
    restore()


def event(item: str, kind: str = "View", **extra) -> dict:
    return {"eventType": kind, "itemId": item, "sentAt": time.time(), **extra}


def test_tracker_describe_and_one_per_group(aws_env, setup):
    personalize, _, _ = clients()
    tracker = personalize.describe_event_tracker(eventTrackerArn=setup["tracker"])["eventTracker"]
    assert tracker["trackingId"] == setup["tracking_id"] and len(tracker["trackingId"]) == 36
    assert tracker["accountId"] == "123456789012" and tracker["status"] == "ACTIVE"
    assert len(setup["tracker"].rsplit("/", 1)[1]) == 8
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException):
        personalize.create_event_tracker(name=unique("t2"), datasetGroupArn=setup["group"])
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.delete_dataset_group(datasetGroupArn=setup["group"])


def test_put_events_changes_the_next_recommendations(aws_env, setup):
    _, runtime, events = clients()
    before = runtime.get_recommendations(campaignArn=setup["up_campaign"], userId="u3")
    before_ids = [i["itemId"] for i in before["itemList"]]
    # events on items of a category the user never touched pull that category in
    new_items = [i for i in ("i140", "i141", "i142", "i143", "i144") if i not in before_ids]
    events.put_events(
        trackingId=setup["tracking_id"],
        userId="u3",
        sessionId="s-u3",
        eventList=[event(i) for i in new_items],
    )
    after = runtime.get_recommendations(campaignArn=setup["up_campaign"], userId="u3")
    after_ids = [i["itemId"] for i in after["itemList"]]
    assert after_ids != before_ids
    assert set(new_items).isdisjoint(after_ids)  # seen items are not recommended again


def test_anonymous_session_becomes_personal(aws_env, setup):
    _, runtime, events = clients()
    session = unique("anon")
    cold = runtime.get_recommendations(campaignArn=setup["up_campaign"], userId=session)
    events.put_events(
        trackingId=setup["tracking_id"], sessionId=session, eventList=[event("i10"), event("i11")]
    )
    warm = runtime.get_recommendations(campaignArn=setup["up_campaign"], userId=session)
    assert [i["itemId"] for i in warm["itemList"]] != [i["itemId"] for i in cold["itemList"]]


def test_sims_ignores_events_until_retrained(aws_env, setup):
    _, runtime, events = clients()
    before = runtime.get_recommendations(campaignArn=setup["sims_campaign"], itemId="i5")
    events.put_events(
        trackingId=setup["tracking_id"],
        userId="u7",
        sessionId="s",
        eventList=[event("i5"), event("i99")],
    )
    after = runtime.get_recommendations(campaignArn=setup["sims_campaign"], itemId="i5")
    assert before["itemList"] == after["itemList"]
    assert all("score" not in i for i in after["itemList"])


@pytest.mark.parametrize(
    "change",
    [
        {"eventList": [event("i1")] * 11},
        {"eventList": [event("i1", properties="{not json")]},
        {"eventList": [event("i1", properties=json.dumps({"timestamp": 1}))]},
        {"eventList": [event("i1", properties=json.dumps({"userId": "x"}))]},
        {"eventList": [event("i1", recommendationId="r" * 41)]},
        {"eventList": [event("i1", impression=["a"] * 26)]},
        {"eventList": [event("i1", properties=json.dumps({"unknownColumn": 1}))]},
        {"trackingId": "00000000-0000-0000-0000-000000000000"},
        {"sessionId": "s" * 257},
    ],
)
def test_put_events_validation(aws_env, setup, change):
    _, _, events = clients()
    args = {"trackingId": setup["tracking_id"], "sessionId": "s1", "eventList": [event("i1")]}
    args.update(change)
    with pytest.raises(events.exceptions.InvalidInputException):
        events.put_events(**args)


def test_events_land_in_the_interactions_dataset_and_count_at_training(aws_env, setup):
    personalize, runtime, events = clients()
    user = unique("newuser")
    for batch in range(2):
        events.put_events(
            trackingId=setup["tracking_id"],
            userId=user,
            sessionId="s",
            eventList=[event(f"i{batch * 5 + k}") for k in range(5)],
        )
    _, version = trained_version(personalize, setup["group"], "aws-popularity-count")
    campaign = campaign_for(personalize, version)
    answer = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=500)
    assert len(answer["itemList"]) == 150  # every item, including the new user's ones


def test_put_items_and_users(aws_env, setup):
    _, _, events = clients()
    events.put_items(
        datasetArn=setup["items"],
        items=[{"itemId": "new-1", "properties": json.dumps({"category": "cat1", "price": 9.5})}],
    )
    with pytest.raises(events.exceptions.InvalidInputException):
        events.put_items(datasetArn=setup["items"], items=[{"itemId": "x"}] * 11)
    with pytest.raises(events.exceptions.InvalidInputException):
        events.put_items(
            datasetArn=setup["items"], items=[{"itemId": "x", "properties": "{broken"}]
        )
    with pytest.raises(events.exceptions.InvalidInputException):
        events.put_users(datasetArn=setup["items"], users=[{"userId": "u1"}])  # wrong type
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_items(datasetArn=setup["items"] + "X", items=[{"itemId": "x"}])


def test_concurrent_clients_lose_no_event(aws_env, setup):
    import boto3

    errors: list[BaseException] = []
    sent = [0] * 20
    stop = time.time() + 4

    def worker(n: int) -> None:
        rt = boto3.client("personalize-runtime")
        ev = boto3.client("personalize-events")
        try:
            while time.time() < stop:
                if n % 2:
                    rt.get_recommendations(campaignArn=setup["up_campaign"], userId=f"u{n}")
                else:
                    item = f"i{sent[n] % 150}"
                    ev.put_events(
                        trackingId=setup["tracking_id"],
                        userId=f"load-{n}",
                        sessionId=f"load-{n}",
                        eventList=[{"eventType": "View", "itemId": item, "sentAt": sent[n]}],
                    )
                    sent[n] += 1
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(sent) > 50
    provider = next(p for p in aws_env.app.providers if p.name == "personalize")
    dataset = provider.control.store.get(setup["interactions"])
    stored = [e for e in dataset.state["data"].puts if e["USER_ID"].startswith("load-")]
    assert len(stored) == sum(sent)


def test_anonymous_history_joins_the_user_at_training(aws_env, setup):
    _, _, events = clients()
    session, user = unique("sess"), unique("user")
    events.put_events(trackingId=setup["tracking_id"], sessionId=session, eventList=[event("i20")])
    events.put_events(
        trackingId=setup["tracking_id"], sessionId=session, userId=user, eventList=[event("i21")]
    )
    frame = provider_of(aws_env).control.store.get(setup["interactions"]).state["data"].frame()
    assert sorted(frame[frame["USER_ID"].eq(user)].ITEM_ID) == ["i20", "i21"]
    assert not frame["USER_ID"].eq(session).any()


def test_wrong_json_types_are_a_client_error_not_a_500(aws_env, setup):
    import urllib.error
    import urllib.request

    body = json.dumps({"trackingId": setup["tracking_id"], "sessionId": "s", "eventList": "x"})
    request = urllib.request.Request(
        aws_env.url + "/events",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/personalize/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert info.value.headers["x-amzn-ErrorType"] == "SerializationException"
