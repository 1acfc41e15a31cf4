"""Shared by the compute tests: deploy a Python handler as a zip, wait for CloudWatch lines."""

from __future__ import annotations

import io
import json
import textwrap
import time
import uuid
import zipfile

import boto3

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def zip_source(source: str, filename: str = "app.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(filename, textwrap.dedent(source))
    return buffer.getvalue()


# what the tests' handlers do with their role: read and write the tests' objects
ACCESS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": "*",
            }
        ],
    }
)


def lambda_role(policy: str | None = ACCESS) -> str:
    """A role Lambda may assume, with `policy` inline (None: no permission at all)."""
    iam = boto3.client("iam")
    name = unique("compute-test-role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=policy)
    return arn


def deploy(source: str, name: str | None = None, **kwargs) -> str:
    """Create a python3.12 function from handler source (app.handler); returns its name."""
    name = name or unique("fn")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime=kwargs.pop("Runtime", "python3.12"),
        Role=kwargs.pop("Role", None) or lambda_role(),
        Handler=kwargs.pop("Handler", "app.handler"),
        Code={"ZipFile": zip_source(source)},
        **kwargs,
    )
    return name


def log_messages(group: str, contains: str, timeout: float = 10.0) -> list[str]:
    """The messages of `group` once one of them contains `contains` (CloudWatch is async)."""
    logs = boto3.client("logs")
    deadline = time.monotonic() + timeout
    while True:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if any(contains in m for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.05)
