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


def test_the_actions_the_emulator_authorizes_requests_against_exist_on_aws():
    """The hand-kept names of workshop_lib/emulator/iam/actions.py (operations whose action is
    not <prefix>:<Operation>, tagging, PassRole) against AWS's reference as parliament ships it."""
    from parliament import expand_action

    from workshop_lib.emulator.iam import actions

    names = set(actions.RENAMED.values()) | set(actions.TAG_ACTION.values()) | {"iam:PassRole"}
    kit_operations = [
        ("personalize-runtime", "GetRecommendations"),
        ("personalize-events", "PutEvents"),
        ("glue", "StartJobRun"),
        ("athena", "StartQueryExecution"),
        ("logs", "FilterLogEvents"),
    ]
    names |= {actions.iam_action(s, o) for s, o in kit_operations}
    for name in sorted(names):
        assert expand_action(name), name  # raises UnknownActionException for a wrong name
