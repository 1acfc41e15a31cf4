"""Exercise 4's helpers on the aws target need the learner's Segment values; without them each
step says what to set instead of failing, and the cleanup's advice names what still bills."""

from __future__ import annotations

import pytest

from workshop_lib import cleanup, exercise4
from workshop_lib.connection import Workshop


@pytest.fixture
def aws() -> Workshop:
    return Workshop("aws", "eu-west-1", "111122223333", "me", "shop", "shop-bucket")


def test_segment_steps_without_values_say_what_to_set(aws, capsys):
    assert exercise4.connect_segment(aws).empty
    assert exercise4.profile_trait(aws, "u1").empty
    assert exercise4.delivery_log(aws).empty
    out = capsys.readouterr().out
    assert "Set segment_workspace_id" in out
    assert "Set profile_space_id and profile_access_token" in out
    assert "Event Delivery" in out


def test_shown_settings_hide_the_write_key_and_the_account(aws):
    assert exercise4._shown("SEGMENT_WRITE_KEY", "secret") == "(set)"
    assert exercise4._shown("SEGMENT_WRITE_KEY", "").startswith("(none")
    arn = "arn:aws:personalize:eu-west-1:111122223333:campaign/shop-user-personalization"
    assert exercise4._shown("PERSONALIZE_CAMPAIGN_ARN", arn) == "campaign/shop-user-personalization"


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
