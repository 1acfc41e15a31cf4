"""Helpers (no tests) for the Personalize emulator tests: data, resource chains, waiting."""

from __future__ import annotations

import io
import json
import os
import time
import uuid

import boto3

from workshop_lib.deploy import ensure_role

INTERACTIONS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
        "version": "1.0",
    }
)
ITEMS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Items",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "CATEGORY", "type": "string", "categorical": True},
            {"name": "PRICE", "type": "float"},
        ],
        "version": "1.0",
    }
)
RECIPE = "arn:aws:personalize:::recipe/"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def clients():
    return (
        boto3.client("personalize"),
        boto3.client("personalize-runtime"),
        boto3.client("personalize-events"),
    )


def wait(describe, key: str, timeout: float = 60.0, want: str = "ACTIVE") -> dict:
    deadline = time.time() + timeout
    while True:
        resource = describe()[key]
        if resource["status"] in (want, "CREATE FAILED") or time.time() > deadline:
            return resource
        time.sleep(0.02)


PERSONALIZE_ROLE = "personalize-tests"
BUCKETS = "arn:aws:s3:::personalize-test-*"


def personalize_role() -> str:
    """The role the tests hand Personalize's jobs, as AWS wants it: trusting
    personalize.amazonaws.com, reading and writing the tests' buckets."""
    access = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKETS},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{BUCKETS}/*",
            },
        ],
    }
    return ensure_role(
        boto3.client("iam"), PERSONALIZE_ROLE, "personalize.amazonaws.com", inline_policy=access
    )


def personalize_bucket(bucket: str | None = None) -> str:
    """A new bucket whose policy lets Personalize in (its documented requirement)."""
    s3 = boto3.client("s3")
    bucket = bucket or unique("personalize-test")
    s3.create_bucket(Bucket=bucket)
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"},
        "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def upload_csv(frame, key: str | None = None) -> str:
    s3 = boto3.client("s3")
    bucket = personalize_bucket()
    key = key or "interactions.csv"
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue().encode())
    return f"s3://{bucket}/{key}"


def put_text(text: str) -> str:
    s3 = boto3.client("s3")
    bucket = personalize_bucket()
    s3.put_object(Bucket=bucket, Key="data.csv", Body=text.encode())
    return f"s3://{bucket}/data.csv"


USERS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Users",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "SEGMENT", "type": "string", "categorical": True},
        ],
        "version": "1.0",
    }
)


def group_with_data(personalize, interactions, items=None, users=None) -> dict:
    """An ACTIVE dataset group with imported Interactions (and Items): their ARNs."""
    group = personalize.create_dataset_group(name=unique("dg"))["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    out = {"group": group}
    specs = [("Interactions", INTERACTIONS_SCHEMA, interactions)]
    if items is not None:
        specs.append(("Items", ITEMS_SCHEMA, items))
    if users is not None:
        specs.append(("Users", USERS_SCHEMA, users))
    for kind, schema_text, frame in specs:
        schema = personalize.create_schema(name=unique("schema"), schema=schema_text)["schemaArn"]
        dataset = personalize.create_dataset(
            name=unique("ds"), schemaArn=schema, datasetGroupArn=group, datasetType=kind
        )["datasetArn"]
        wait(lambda d=dataset: personalize.describe_dataset(datasetArn=d), "dataset")
        job = personalize.create_dataset_import_job(
            jobName=unique("import"),
            datasetArn=dataset,
            dataSource={"dataLocation": upload_csv(frame)},
            roleArn=personalize_role(),
        )["datasetImportJobArn"]
        status = wait(
            lambda j=job: personalize.describe_dataset_import_job(datasetImportJobArn=j),
            "datasetImportJob",
        )
        assert status["status"] == "ACTIVE", status
        out[kind.lower()] = dataset
        out[f"{kind.lower()}_schema"] = schema
    return out


def trained_version(personalize, group: str, recipe: str, **solution_args) -> tuple[str, str]:
    """(solutionArn, solutionVersionArn) of an ACTIVE version of `recipe`."""
    solution = personalize.create_solution(
        name=unique("sol"),
        datasetGroupArn=group,
        recipeArn=RECIPE + recipe,
        performAutoTraining=False,
        **solution_args,
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=solution), "solution")
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=version),
        "solutionVersion",
    )
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return solution, version


def campaign_for(personalize, version: str, **args) -> str:
    campaign = personalize.create_campaign(
        name=unique("camp"), solutionVersionArn=version, minProvisionedTPS=1, **args
    )["campaignArn"]
    status = wait(lambda: personalize.describe_campaign(campaignArn=campaign), "campaign")
    assert status["status"] == "ACTIVE", status
    return campaign


def provider_of(emulator):
    return next(p for p in emulator.app.providers if p.name == "personalize")


def roomy_quotas(emulator) -> None:
    """Many test modules share one emulator: lift the per-region dataset group quota (5)."""
    provider_of(emulator).control.quotas["dataset_groups"] = 10_000


ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
)


def point_boto3_at(emulator):
    """Module fixtures: boto3's default session talks to the shared test emulator.

    Returns the function that puts the environment back (call it after the fixture's yield).
    """
    saved = {key: os.environ.get(key) for key in ENVIRONMENT}
    values = (emulator.url, "test", "test", "us-east-1")
    os.environ.update(dict(zip(ENVIRONMENT, values, strict=True)))
    boto3.setup_default_session()
    roomy_quotas(emulator)

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        boto3.DEFAULT_SESSION = None

    return restore
