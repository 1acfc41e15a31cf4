"""Deploying functions and roles is idempotent (against the emulator, through boto3 only)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import boto3
import pytest

from workshop_lib import deploy


@pytest.fixture
def source(tmp_path):
    (tmp_path / "hello_fn.py").write_text("def handler(event, context):\n    return event\n")
    return tmp_path


def test_package_is_byte_for_byte_repeatable(source):
    first = deploy.package("hello_fn", source_dir=source)
    assert first == deploy.package("hello_fn", source_dir=source)
    assert zipfile.ZipFile(BytesIO(first)).namelist() == ["hello_fn.py"]


def test_ensure_role_twice_gives_one_role(aws_env):
    iam = boto3.client("iam")
    policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    first = deploy.ensure_role(
        iam,
        "deploy-test-role",
        "lambda.amazonaws.com",
        [policy],
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "personalize:GetRecommendations", "Resource": "*"}
            ],
        },
    )
    again = deploy.ensure_role(iam, "deploy-test-role", "lambda.amazonaws.com", [policy])
    assert first == again == "arn:aws:iam::123456789012:role/deploy-test-role"
    attached = iam.list_attached_role_policies(RoleName="deploy-test-role")["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [policy]
    assert iam.list_role_policies(RoleName="deploy-test-role")["PolicyNames"] == [
        "deploy-test-role-policy"
    ]


def test_deploy_creates_then_updates_only_what_changed(aws_env, source):
    iam, lam = boto3.client("iam"), boto3.client("lambda")
    role = deploy.ensure_role(iam, "deploy-fn-role", "lambda.amazonaws.com")
    created = deploy.deploy_function(
        lam, "deploy-test-fn", "hello_fn", role, {"A": "1"}, source_dir=source
    )
    assert created["Handler"] == "hello_fn.handler" and created["State"] == "Active"
    assert created["Environment"]["Variables"] == {"A": "1"}

    same = deploy.deploy_function(
        lam, "deploy-test-fn", "hello_fn", role, {"A": "1"}, source_dir=source
    )
    assert same["CodeSha256"] == created["CodeSha256"]
    assert same["LastModified"] == created["LastModified"]  # nothing was re-uploaded

    (source / "hello_fn.py").write_text("def handler(event, context):\n    return 42\n")
    changed = deploy.deploy_function(
        lam, "deploy-test-fn", "hello_fn", role, {"A": "2"}, timeout=10, source_dir=source
    )
    assert changed["CodeSha256"] == deploy.code_sha256(
        deploy.package("hello_fn", source_dir=source)
    )
    assert changed["CodeSha256"] != created["CodeSha256"]
    assert changed["Environment"]["Variables"] == {"A": "2"} and changed["Timeout"] == 10


def test_allow_invoke_grants_once(aws_env, source):
    iam, lam = boto3.client("iam"), boto3.client("lambda")
    role = deploy.ensure_role(iam, "deploy-perm-role", "lambda.amazonaws.com")
    deploy.deploy_function(lam, "deploy-perm-fn", "hello_fn", role, source_dir=source)
    api = "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/recommendations"
    assert deploy.allow_invoke(lam, "deploy-perm-fn", "apigw", "apigateway.amazonaws.com", api)
    assert not deploy.allow_invoke(lam, "deploy-perm-fn", "apigw", "apigateway.amazonaws.com", api)
    statements = json.loads(lam.get_policy(FunctionName="deploy-perm-fn")["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["apigw"]
