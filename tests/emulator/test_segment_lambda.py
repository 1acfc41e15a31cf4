"""The Amazon Personalize destination invokes a real Lambda function once per event."""

from __future__ import annotations

import json

import boto3
import pytest
from compute_helpers import deploy
from segment_helpers import client, unique

from workshop_lib.segment import SegmentApiError

pytest_plugins = ["segment_fixtures"]  # the ws, source and write_key fixtures

ECHO = """
def handler(event, context):
    print("segment event", event["messageId"])
    custom = context.client_context.custom if context.client_context else None
    return {"messageId": event["messageId"], "type": event["type"], "event": event.get("event"),
            "keys": sorted(event), "custom": custom}
"""
FAILING = """
def handler(event, context):
    raise ValueError("cannot handle " + event["type"])
"""


def test_each_event_invokes_the_function_with_the_segment_event(ws, source, write_key, aws_env):
    function = deploy(ECHO)
    destination = ws.connect_personalize(
        source["id"], function, "us-east-1", clientContext={"team": "shop"}, logType="Tail"
    )
    assert destination["metadata"]["slug"] == "amazon-personalize"
    assert destination["metadata"]["id"] == "5c7f0c9879726100019cc56b"
    c = client(write_key)
    c.track(user_id="u1", anonymous_id="a1", event="Product Viewed", properties={"sku": "s1"})
    c.identify("u1", {"email": "u1@example.com"})
    c.screen("u1", name="Home")  # not a call type this destination receives
    result = ws.wait_for_deliveries(destination["id"])
    assert result["pending"] == 0
    deliveries = result["deliveries"]
    assert [d["type"] for d in deliveries] == ["identify", "track"]  # newest first
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in deliveries)
    track = deliveries[1]
    answer = json.loads(track["response"])
    assert answer["messageId"] == track["messageId"] and answer["event"] == "Product Viewed"
    assert "writeKey" not in answer["keys"]  # Segment's Lambda payload has no write key
    assert {"projectId", "receivedAt", "timestamp", "channel", "version"} <= set(answer["keys"])
    assert answer["custom"] == {"team": "shop"}
    assert track["statusCode"] == 200 and track["logResult"]  # LogType Tail


def test_function_errors_are_retried_then_logged_as_failed(ws, source, write_key, aws_env):
    function = deploy(FAILING)
    destination = ws.connect_personalize(source["id"], function, "us-east-1", maxAttempts=2)
    client(write_key).track(user_id="u", event="Order Completed")
    [delivery] = ws.wait_for_deliveries(destination["id"])["deliveries"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 2
    assert delivery["error"].startswith("Execution Error") and "cannot handle" in delivery["error"]
    assert delivery["functionError"] == "Unhandled"
    [view] = ws.destinations(source["id"])
    assert view["status"]["failed"] == 1 and view["status"]["delivered"] == 0


def test_a_missing_function_fails_without_retrying(ws, source, write_key, aws_env):
    destination = ws.connect_personalize(source["id"], unique("no-such-fn"), "us-east-1")
    client(write_key).track(user_id="u", event="E")
    [delivery] = ws.wait_for_deliveries(destination["id"])["deliveries"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["error"].startswith("ResourceNotFoundException")


def test_the_events_setting_limits_track_calls(ws, source, write_key, aws_env):
    function = deploy(ECHO)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
    destination = ws.connect_personalize(source["id"], arn, "us-east-1", events=["Product Added"])
    c = client(write_key)
    c.track(user_id="u", event="Product Viewed")
    c.track(user_id="u", event="Product Added")
    c.page(user_id="u", name="Home")
    deliveries = ws.wait_for_deliveries(destination["id"])["deliveries"]
    assert [(d["type"], d["event"]) for d in deliveries] == [
        ("page", None), ("track", "Product Added"),
    ]  # fmt: skip


def test_lambda_settings_are_checked(ws, source):
    for settings, message in [
        ({}, "need `function`"),
        ({"function": "f", "logType": "Full"}, "logType"),
        ({"function": "f", "events": "Product Added"}, "events"),
        ({"function": "f", "maxAttempts": 0}, "maxAttempts"),
    ]:
        with pytest.raises(SegmentApiError, match=message):
            ws._call("POST", "/destinations", {"sourceId": source["id"],
                     "metadataSlug": "amazon-lambda", "settings": settings})  # fmt: skip
    destination = ws.connect_personalize(source["id"], "f", "eu-west-1")
    with pytest.raises(SegmentApiError, match="Only S3"):
        ws._call("POST", f"/destinations/{destination['id']}/flush")
    assert destination["settings"]["region"] == "eu-west-1"
    default = ws._call(
        "POST",
        "/destinations",
        {"sourceId": source["id"], "metadataSlug": "amazon-lambda", "settings": {"function": "g"}},
    )
    assert default["destination"]["settings"]["region"] == "us-west-2"  # Segment's default


INVOKE = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}


def segment_role(trust_principal: dict, external_id: str | None, may_invoke: bool = True) -> str:
    """A role Segment assumes; its policy lets it invoke functions unless `may_invoke` is False."""
    statement = {"Effect": "Allow", "Principal": trust_principal, "Action": "sts:AssumeRole"}
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam = boto3.client("iam")
    name = unique("segment-role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
    if may_invoke:
        policy = json.dumps({"Version": "2012-10-17", "Statement": [INVOKE]})
        iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=policy)
    return role["Role"]["Arn"]


SEGMENT = {"AWS": "arn:aws:iam::595280932656:role/customer-personalize-prod-destination-access"}


@pytest.mark.parametrize(
    ("principal", "trusted_id", "sent_id", "error"),
    [
        (SEGMENT, "wks-1", "wks-1", None),
        ({"AWS": "arn:aws:iam::595280932656:root"}, None, "", None),
        (SEGMENT, "wks-1", "other", "Accessdenied"),
        ({"Service": "lambda.amazonaws.com"}, None, "wks-1", "Accessdenied"),
        (None, None, "wks-1", "Invalid Credentials"),
    ],
)
def test_segment_assumes_the_role_address_first(
    ws, source, write_key, aws_env, principal, trusted_id, sent_id, error
):
    function = deploy(ECHO)
    role = (
        segment_role(principal, trusted_id)
        if principal
        else "arn:aws:iam::123456789012:role/" + unique("missing")
    )
    destination = ws.connect_personalize(
        source["id"], function, "us-east-1", roleAddress=role, externalId=sent_id
    )
    client(write_key).track(user_id="u", event="E")
    [delivery] = ws.wait_for_deliveries(destination["id"])["deliveries"]
    if error is None:
        assert delivery["status"] == "delivered", delivery["error"]
    else:
        assert delivery["status"] == "failed" and delivery["error"].startswith(error)
        assert delivery["attempts"] == 1


def test_segment_invokes_with_the_roles_permissions(ws, source, write_key, aws_env):
    """The role Segment assumes must allow lambda:InvokeFunction, as on AWS."""
    function = deploy(ECHO)
    role = segment_role(SEGMENT, "wks-1", may_invoke=False)
    destination = ws.connect_personalize(
        source["id"], function, "us-east-1", roleAddress=role, externalId="wks-1"
    )
    client(write_key).track(user_id="u", event="E")
    [delivery] = ws.wait_for_deliveries(destination["id"])["deliveries"]
    assert delivery["status"] == "failed", delivery
    assert delivery["error"].startswith("AccessDeniedException: User: "), delivery["error"]
    assert "is not authorized to perform: lambda:InvokeFunction" in delivery["error"]
