"""The emulator's IAM evaluator (workshop_lib/emulator/iam/policy.py), rule by rule."""

from __future__ import annotations

import pytest

from workshop_lib.emulator.iam.policy import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Principal,
    decide,
)

OBJECT = "arn:aws:s3:::kit/segment-logs/a.json"
ROLE = "arn:aws:iam::123456789012:role/r"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def effect(documents, action="s3:GetObject", resource=OBJECT, context=None, **kwargs) -> str:
    return decide(documents, action, resource, context or {}, **kwargs).effect


def test_an_allow_is_needed():
    assert effect([]) == IMPLICIT_DENY
    assert effect([doc(allow("s3:PutObject"))]) == IMPLICIT_DENY
    assert effect([doc(allow("s3:GetObject"))]) == ALLOW


def test_an_explicit_deny_wins_wherever_it_is():
    denied = {"Effect": "Deny", "Action": "s3:*", "Resource": OBJECT}
    assert effect([doc(allow("*")), doc(denied)]) == EXPLICIT_DENY


def test_actions_match_case_insensitively_with_wildcards_resources_case_sensitively():
    assert effect([doc(allow("S3:get*"))]) == ALLOW
    assert effect([doc(allow("s3:Get?bject"))]) == ALLOW
    assert effect([doc(allow("s3:GetObject", "arn:aws:s3:::kit/segment-logs/*"))]) == ALLOW
    assert effect([doc(allow("s3:GetObject", "arn:aws:s3:::KIT/*"))]) == IMPLICIT_DENY


def test_not_action_and_not_resource():
    assert effect([doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]) == ALLOW
    statement = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::kit/*"}
    assert effect([doc(statement)]) == IMPLICIT_DENY


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        (
            {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            {"iam:PassedToService": "lambda.amazonaws.com"},
            ALLOW,
        ),
        (
            {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            {"iam:PassedToService": "glue.amazonaws.com"},
            IMPLICIT_DENY,
        ),
        ({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, {}, IMPLICIT_DENY),
        ({"StringLike": {"sts:ExternalId": "wks_*"}}, {"sts:ExternalId": "wks_1"}, ALLOW),
        ({"StringNotEquals": {"aws:SourceAccount": "1"}}, {}, ALLOW),
        (
            {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:*:abc/*"}},
            {"aws:SourceArn": "arn:aws:execute-api:us-east-1:1:abc/GET/x"},
            ALLOW,
        ),
        (
            {"ArnEquals": {"aws:SourceArn": "arn:aws:x"}},
            {"aws:SourceArn": "arn:aws:y"},
            IMPLICIT_DENY,
        ),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, ALLOW),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, {}, ALLOW),
        ({"Null": {"aws:SourceArn": "true"}}, {}, ALLOW),
        ({"Null": {"aws:SourceArn": "true"}}, {"aws:SourceArn": "arn:aws:x"}, IMPLICIT_DENY),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, ALLOW),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}},
            {"aws:TagKeys": ["a", "c"]},
            IMPLICIT_DENY,
        ),
    ],
)
def test_conditions(condition, context, expected):
    assert effect([doc(allow("s3:GetObject", Condition=condition))], context=context) == expected


def test_the_bucket_policys_deny_of_plain_http_does_not_hit_the_local_https_stand_in():
    deny_http = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::kit/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    who = Principal(frozenset({ROLE}))
    documents = [doc(allow("s3:GetObject"))]
    kwargs = {"resource_policies": [doc(deny_http)], "principal": who}
    assert effect(documents, context={"aws:SecureTransport": "true"}, **kwargs) == ALLOW
    assert effect(documents, context={"aws:SecureTransport": "false"}, **kwargs) == EXPLICIT_DENY


def test_a_resource_policy_grants_the_principal_it_names():
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "s3:GetObject",
        "Resource": OBJECT,
    }
    named, other = Principal(frozenset({ROLE})), Principal(frozenset({"arn:aws:iam::1:role/x"}))
    assert effect([], resource_policies=[doc(grant)], principal=named) == ALLOW
    assert effect([], resource_policies=[doc(grant)], principal=other) == IMPLICIT_DENY
    service = {**grant, "Principal": {"Service": "personalize.amazonaws.com"}}
    personalize = Principal(service="personalize.amazonaws.com")
    assert effect([], resource_policies=[doc(service)], principal=personalize) == ALLOW
    assert effect([], resource_policies=[doc(service)], principal=named) == IMPLICIT_DENY
