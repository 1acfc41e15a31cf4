"""The parliament lint of the kit's policies catches what AWS refuses."""

from __future__ import annotations

from tests.policy_lint import problems


def _policy(action: str, resource: str) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_an_unknown_action_is_a_problem():
    found = problems(_policy("s3:GetObjects", "arn:aws:s3:::b/*"), "p")
    assert len(found) == 1 and "UNKNOWN_ACTION" in found[0]


def test_a_resource_that_does_not_fit_the_action_is_a_problem():
    found = problems(_policy("s3:GetObject", "arn:aws:s3:::bucket"), "p")
    assert len(found) == 1 and "RESOURCE_MISMATCH" in found[0]


def test_a_right_policy_has_none():
    assert problems(_policy("s3:GetObject", "arn:aws:s3:::bucket/*"), "p") == []
