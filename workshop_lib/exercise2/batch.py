"""Exercise 2, offline: a batch inference job for a sample of users, and what was created."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .. import personalize
from .common import (
    CAMPAIGNS,
    DATASET_TYPES,
    RECIPES,
    Listing,
    MissingStep,
    arn,
    campaign_arn,
    dataset_arn,
    filter_arn,
    group_arn,
    interactions,
    names,
    solution_arn,
    wait,
)
from .datasets import catalogue, role_arn, role_name
from .training import version_arn

BATCH_INPUT_KEY = "batch/input/users.json"
BATCH_OUTPUT_PREFIX = "batch/output/"
BATCH_USERS = 50
BATCH_RESULTS = 10


def batch_users(frame: pd.DataFrame, count: int = BATCH_USERS) -> list[str]:
    """An even sample of the users: every k-th user id in sorted order."""
    users = sorted(frame["USER_ID"].unique())
    step = max(1, len(users) // count)
    return users[::step][:count]


def _batch_jobs(ws: Any, version: str | None = None) -> list[dict]:
    """The batch jobs of a solution version (default: the user-personalization one)."""
    try:
        version = version or version_arn(ws, "user-personalization")
    except (MissingStep, ClientError):
        return []
    client = ws.client("personalize")
    pages = client.get_paginator("list_batch_inference_jobs").paginate(solutionVersionArn=version)
    return [job for page in pages for job in page["batchInferenceJobs"]]


def _batch_job(ws: Any, version: str) -> str:
    """The batch job already run for this version (not failed), else a new one.

    Batch jobs cannot be deleted; the name carries the version's id so that a retrained model
    gets its own job.
    """
    for job in _batch_jobs(ws, version):
        if "FAILED" not in job["status"]:
            return job["batchInferenceJobArn"]
    return ws.client("personalize").create_batch_inference_job(
        jobName=ws.name(f"batch-{version.rsplit('/', 1)[-1]}"),
        solutionVersionArn=version,
        roleArn=role_arn(ws),
        jobInput={"s3DataSource": {"path": f"s3://{ws.bucket}/{BATCH_INPUT_KEY}"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{ws.bucket}/{BATCH_OUTPUT_PREFIX}"}},
        numResults=BATCH_RESULTS,
    )["batchInferenceJobArn"]


def batch_recommendations(ws: Any) -> pd.DataFrame:
    """Write a JSON Lines file of users, run a batch job on the user-personalization version,
    read `<input>.out` back from S3 and summarize it by recommended category."""
    s3, frame, products = ws.client("s3"), interactions(ws), catalogue(ws)
    version = version_arn(ws, "user-personalization")
    users = batch_users(frame)
    lines = "".join(json.dumps({"userId": u}) + "\n" for u in users)
    s3.put_object(Bucket=ws.bucket, Key=BATCH_INPUT_KEY, Body=lines.encode())
    print(f"s3://{ws.bucket}/{BATCH_INPUT_KEY}: {len(users)} lines like {lines.splitlines()[0]}")
    wait(ws, {"batch inference job": _batch_job(ws, version)}, "batch", 3 * 3600)
    output_key = BATCH_OUTPUT_PREFIX + BATCH_INPUT_KEY.rsplit("/", 1)[-1] + ".out"
    body = s3.get_object(Bucket=ws.bucket, Key=output_key)["Body"].read().decode()
    results = [json.loads(line) for line in body.splitlines() if line.strip()]
    errors = sum(1 for r in results if r.get("error"))
    items = [i for r in results if r.get("output") for i in r["output"]["recommendedItems"]]
    print(
        f"s3://{ws.bucket}/{output_key}: {len(results)} lines, {errors} errors, "
        f"{len(items)} recommendations of {len(set(items))} distinct products"
    )
    recommended = products.loc[items, "CATEGORY_L1"].value_counts()
    done = frame[frame["USER_ID"].isin(users)].join(products["CATEGORY_L1"], on="ITEM_ID")
    table = pd.DataFrame(
        {
            "share of recommendations": recommended / recommended.sum(),
            "share of what these users did": done["CATEGORY_L1"].value_counts(normalize=True),
        }
    )
    table.index.name = "category"
    return table.fillna(0).round(3).sort_values("share of recommendations", ascending=False)


def _status(client: Any, resource_arn: str) -> str:
    """A resource's status ("-" for schemas, which have none; "missing" if it is gone)."""
    try:
        return personalize.describe(client, resource_arn).get("status", "-")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        return "missing"


def created(ws: Any) -> Listing:
    """Everything this notebook made, with its ARN. Notebooks 03 and 04 use the campaigns
    (campaign_arn) and the filter (filter_arn)."""
    client = ws.client("personalize")
    every = names(ws)
    resources = [("dataset group", every["dataset group"], group_arn(ws))]
    for t in DATASET_TYPES:
        resources.append(("schema", every[f"{t} schema"], arn(ws, "schema", every[f"{t} schema"])))
    resources += [("dataset", every[f"{t} dataset"], dataset_arn(ws, t)) for t in DATASET_TYPES]
    for suffix in RECIPES:
        resources.append(("solution", ws.name(suffix), solution_arn(ws, suffix)))
        try:
            resources.append(("solution version", ws.name(suffix), version_arn(ws, suffix)))
        except MissingStep:
            resources.append(("solution version", ws.name(suffix), ""))
    resources += [("campaign", ws.name(s), campaign_arn(ws, s)) for s in CAMPAIGNS]
    resources.append(("filter", every["filter"], filter_arn(ws)))
    rows = [(kind, name, _status(client, a) if a else "missing", a) for kind, name, a in resources]
    for job in _batch_jobs(ws):
        rows.append(("batch job", job["jobName"], job["status"], job["batchInferenceJobArn"]))
    try:
        rows.append(("IAM role", role_name(ws), "-", role_arn(ws)))
    except MissingStep:
        rows.append(("IAM role", role_name(ws), "missing", ""))
    return Listing(pd.DataFrame(rows, columns=["resource", "name", "status", "ARN"]))
