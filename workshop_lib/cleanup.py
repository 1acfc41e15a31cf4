"""Delete everything the workshop created, in dependency order, found by its name prefix.

Works without any state from the notebooks (a learner may have closed them): every resource the
kit creates carries the prefix in its name. Each step reports what it removed; a resource that is
already gone is not an error, so cleanup can run again after a partial run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .personalize import describe as describe_personalize

GONE = {
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchBucket",
    "EntityNotFoundException",
    "NotFoundException",
}
TRAINING = {"CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING"}


@dataclass(frozen=True)
class Removed:
    kind: str
    name: str
    result: str = "deleted"


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def _delete(kind: str, name: str, call: Callable[..., Any], **params: Any) -> Removed:
    try:
        call(**params)
        return Removed(kind, name)
    except ClientError as exc:
        if _code(exc) in GONE:
            return Removed(kind, name, "already gone")
        return Removed(kind, name, f"failed: {_code(exc)}: {exc.response['Error'].get('Message')}")


def _pages(client: Any, method: str, key: str, **params: Any) -> list[dict]:
    return [item for page in client.get_paginator(method).paginate(**params) for item in page[key]]


def _wait(done: Callable[[], bool], what: str, timeout: float, poll: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout:.0f} s; run the cleanup again later.")
        time.sleep(poll)


def _all_gone(client: Any, arns: list[str]) -> bool:
    """Personalize deletes asynchronously: a parent may go only once its children are gone."""
    for arn in arns:
        try:
            describe_personalize(client, arn)
            return False
        except ClientError as exc:
            if _code(exc) not in GONE:
                raise
    return True


def personalize(
    client: Any, prefix: str, timeout: float = 1800, poll: float = 1.0
) -> list[Removed]:
    """Campaigns -> solutions -> trackers and filters -> datasets -> groups -> schemas."""
    removed: list[Removed] = []

    def wait_gone(arns: list[str]) -> None:
        _wait(lambda: _all_gone(client, arns), f"Still being deleted: {arns}", timeout, poll)

    for group in _pages(client, "list_dataset_groups", "datasetGroups"):
        if not group["name"].startswith(prefix):
            continue
        dg = group["datasetGroupArn"]
        solutions = _pages(client, "list_solutions", "solutions", datasetGroupArn=dg)
        campaigns = [
            c
            for s in solutions
            for c in _pages(client, "list_campaigns", "campaigns", solutionArn=s["solutionArn"])
        ]
        for c in campaigns:
            removed.append(
                _delete("campaign", c["name"], client.delete_campaign, campaignArn=c["campaignArn"])
            )
        wait_gone([c["campaignArn"] for c in campaigns])
        for s in solutions:
            versions = _pages(
                client, "list_solution_versions", "solutionVersions", solutionArn=s["solutionArn"]
            )
            for v in versions:  # training cannot be deleted: stop it first
                if v["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS"):
                    client.stop_solution_version_creation(
                        solutionVersionArn=v["solutionVersionArn"]
                    )
            _wait(
                lambda s=s: (
                    not any(
                        v["status"] in TRAINING
                        for v in _pages(
                            client,
                            "list_solution_versions",
                            "solutionVersions",
                            solutionArn=s["solutionArn"],
                        )
                    )
                ),
                f"Training under {s['name']} did not stop",
                timeout,
                poll,
            )
            removed.append(
                _delete("solution", s["name"], client.delete_solution, solutionArn=s["solutionArn"])
            )
        trackers = _pages(client, "list_event_trackers", "eventTrackers", datasetGroupArn=dg)
        filters = _pages(client, "list_filters", "Filters", datasetGroupArn=dg)
        for t in trackers:
            removed.append(
                _delete(
                    "event tracker",
                    t["name"],
                    client.delete_event_tracker,
                    eventTrackerArn=t["eventTrackerArn"],
                )
            )
        for f in filters:
            removed.append(
                _delete("filter", f["name"], client.delete_filter, filterArn=f["filterArn"])
            )
        wait_gone(
            [s["solutionArn"] for s in solutions]
            + [t["eventTrackerArn"] for t in trackers]
            + [f["filterArn"] for f in filters]
        )
        datasets = _pages(client, "list_datasets", "datasets", datasetGroupArn=dg)
        for d in datasets:
            removed.append(
                _delete("dataset", d["name"], client.delete_dataset, datasetArn=d["datasetArn"])
            )
        wait_gone([d["datasetArn"] for d in datasets])
        removed.append(
            _delete("dataset group", group["name"], client.delete_dataset_group, datasetGroupArn=dg)
        )
        wait_gone([dg])
    for schema in _pages(client, "list_schemas", "schemas"):
        if schema["name"].startswith(prefix):
            removed.append(
                _delete(
                    "schema", schema["name"], client.delete_schema, schemaArn=schema["schemaArn"]
                )
            )
    return removed


def apis(apigw_v2: Any, apigw: Any, prefix: str) -> list[Removed]:
    removed = [
        _delete("http api", a["Name"], apigw_v2.delete_api, ApiId=a["ApiId"])
        for a in _pages(apigw_v2, "get_apis", "Items")
        if a["Name"].startswith(prefix)
    ]
    removed += [
        _delete("rest api", a["name"], apigw.delete_rest_api, restApiId=a["id"])
        for a in _pages(apigw, "get_rest_apis", "items")
        if a["name"].startswith(prefix)
    ]
    return removed


def functions(lambda_client: Any, logs: Any, prefix: str) -> list[Removed]:
    removed = []
    for f in _pages(lambda_client, "list_functions", "Functions"):
        name = f["FunctionName"]
        if name.startswith(prefix):
            removed.append(
                _delete("lambda function", name, lambda_client.delete_function, FunctionName=name)
            )
            removed.append(
                _delete(
                    "log group",
                    f"/aws/lambda/{name}",
                    logs.delete_log_group,
                    logGroupName=f"/aws/lambda/{name}",
                )
            )
    return removed


def glue(glue_client: Any, prefix: str) -> list[Removed]:
    removed = [
        _delete("glue job", j, glue_client.delete_job, JobName=j)
        for j in _pages(glue_client, "list_jobs", "JobNames")
        if j.startswith(prefix)
    ]
    db_prefix = prefix.replace("-", "_")  # Glue/Athena database names use underscores
    removed += [
        _delete("glue database", db["Name"], glue_client.delete_database, Name=db["Name"])
        for db in _pages(glue_client, "get_databases", "DatabaseList")
        if db["Name"].startswith(db_prefix)
    ]
    return removed


def roles(iam: Any, prefix: str) -> list[Removed]:
    removed = []
    for role in _pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        if not name.startswith(prefix):
            continue
        for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
        for p in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
            iam.delete_role_policy(RoleName=name, PolicyName=p)
        removed.append(_delete("iam role", name, iam.delete_role, RoleName=name))
    return removed


def bucket(s3: Any, name: str) -> list[Removed]:
    """Empty the bucket (every object version too) and delete it."""
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": o["Key"], "VersionId": o["VersionId"]}
                for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    except ClientError as exc:
        if _code(exc) in GONE:
            return [Removed("s3 bucket", name, "already gone")]
        raise
    return [_delete("s3 bucket", name, s3.delete_bucket, Bucket=name)]
