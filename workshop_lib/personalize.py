"""Amazon Personalize from the notebooks: get-or-create by name, describe any ARN, wait.

Every create step is idempotent: re-running a cell reuses the resource of that name instead of
failing with ResourceAlreadyExistsException, so a notebook can be run again from the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .waiting import Watch, wait_all


@dataclass(frozen=True)
class Kind:
    """How the Personalize API spells one resource type."""

    create: str
    arn_key: str  # in the create response and list items
    describe: str
    describe_key: str  # the describe response wraps the resource in this key
    listing: str | None = None
    list_key: str | None = None
    name_key: str = "name"
    parent_key: str | None = None  # list filter, e.g. datasetGroupArn


KINDS: dict[str, Kind] = {
    "dataset-group": Kind(
        "create_dataset_group",
        "datasetGroupArn",
        "describe_dataset_group",
        "datasetGroup",
        "list_dataset_groups",
        "datasetGroups",
    ),
    "schema": Kind(
        "create_schema", "schemaArn", "describe_schema", "schema", "list_schemas", "schemas"
    ),
    "dataset": Kind(
        "create_dataset",
        "datasetArn",
        "describe_dataset",
        "dataset",
        "list_datasets",
        "datasets",
        parent_key="datasetGroupArn",
    ),
    "dataset-import-job": Kind(
        "create_dataset_import_job",
        "datasetImportJobArn",
        "describe_dataset_import_job",
        "datasetImportJob",
        "list_dataset_import_jobs",
        "datasetImportJobs",
        "jobName",
        "datasetArn",
    ),
    "solution": Kind(
        "create_solution",
        "solutionArn",
        "describe_solution",
        "solution",
        "list_solutions",
        "solutions",
        parent_key="datasetGroupArn",
    ),
    "solution-version": Kind(
        "create_solution_version",
        "solutionVersionArn",
        "describe_solution_version",
        "solutionVersion",
    ),
    "campaign": Kind(
        "create_campaign",
        "campaignArn",
        "describe_campaign",
        "campaign",
        "list_campaigns",
        "campaigns",
        parent_key="solutionArn",
    ),
    "event-tracker": Kind(
        "create_event_tracker",
        "eventTrackerArn",
        "describe_event_tracker",
        "eventTracker",
        "list_event_trackers",
        "eventTrackers",
        parent_key="datasetGroupArn",
    ),
    "filter": Kind(
        "create_filter",
        "filterArn",
        "describe_filter",
        "filter",
        "list_filters",
        "Filters",
        parent_key="datasetGroupArn",
    ),
    "batch-inference-job": Kind(
        "create_batch_inference_job",
        "batchInferenceJobArn",
        "describe_batch_inference_job",
        "batchInferenceJob",
        "list_batch_inference_jobs",
        "batchInferenceJobs",
        "jobName",
    ),
}


def kind_of(arn: str) -> str:
    """The resource type of a Personalize ARN (solution versions are solution/<name>/<id>)."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "solution" and "/" in rest:
        return "solution-version"
    if kind not in KINDS:
        raise ValueError(f"Not a Personalize resource ARN this kit knows: {arn}")
    return kind


def describe(client: Any, arn: str) -> dict:
    """The resource's description (status, failureReason, ...) for any supported ARN."""
    kind = KINDS[kind_of(arn)]
    response = getattr(client, kind.describe)(**{kind.arn_key: arn})
    return response[kind.describe_key]


def find(client: Any, kind: str, name: str, parent_arn: str | None = None) -> dict | None:
    """The list entry of the resource with this name (under parent_arn), or None."""
    spec = KINDS[kind]
    params = {spec.parent_key: parent_arn} if spec.parent_key and parent_arn else {}
    for page in client.get_paginator(spec.listing).paginate(**params):
        for item in page[spec.list_key]:
            if item.get(spec.name_key) == name:
                return item
    return None


def get_or_create(client: Any, kind: str, **create_kwargs: Any) -> tuple[str, bool]:
    """Create the resource, or reuse the one with the same name: returns (arn, created)."""
    spec = KINDS[kind]
    try:
        response = getattr(client, spec.create)(**create_kwargs)
        return response[spec.arn_key], True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    name = create_kwargs[spec.name_key]
    parent = create_kwargs.get(spec.parent_key) if spec.parent_key else None
    existing = find(client, kind, name, parent)
    if existing is None:
        raise RuntimeError(
            f"Personalize says a {kind} named {name!r} exists, but it is not listed"
            + (" under the given parent" if parent else "")
            + ". It may belong to another dataset group: choose another name or prefix."
        )
    if str(existing.get("status", "")).startswith("DELETE"):
        raise RuntimeError(
            f"The {kind} {name!r} is being deleted ({existing['status']}); wait a minute and "
            "run this cell again."
        )
    return existing[spec.arn_key], False


def wait_until_active(
    client: Any, arns: str | list[str], timeout: float = 900, **kwargs: Any
) -> dict:
    """Wait for one Personalize resource or several at once (see waiting.wait_all): one line
    of progress per poll, AWS's failureReason raised as soon as one fails."""
    arns = [arns] if isinstance(arns, str) else list(arns)
    watches = [
        Watch(f"{kind_of(a)} {a.split('/', 1)[1]}", lambda a=a: describe(client, a)) for a in arns
    ]
    return wait_all(watches, timeout=timeout, **kwargs)
