"""The control plane (JSON 1.1, X-Amz-Target AmazonPersonalize.<Op>): resources and their rules.

Each operation is a method `op_<Name>(body, region)` of `ControlPlane` returning the response
dict or raising `ApiError`. Dependency rules (spec section 2): a parent must exist (else
ResourceNotFound) and be ACTIVE (else ResourceInUse); a resource still being created cannot be
deleted (ResourceInUse); a dataset group with datasets, solutions or an event tracker, a schema
used by a dataset, a solution with a campaign cannot be deleted (ResourceInUse). Choices where
AWS documents none: a second event tracker in a group is ResourceAlreadyExists; describing the
metrics of a version that is not ACTIVE is ResourceInUse.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from ..iam.service_roles import personalize_job_problem
from . import recipes, schemas
from .data import DatasetData
from .filters import parse_filter
from .imports import ImportFailure, run_import
from .store import ACCOUNT, Resource, Store
from .validation import (
    ApiError,
    already_exists,
    check_arn,
    check_enum,
    check_length,
    check_max_items,
    check_name,
    check_role,
    check_tags,
    in_use,
    invalid,
    limit_exceeded,
    paginate,
    require,
)

QUOTAS = {
    "dataset_groups": 5,
    "schemas": 500,
    "solutions_per_group": 10,
    "campaigns_per_group": 5,
    "filters_per_group": 30,
    "running_imports": 5,
    "running_versions": 20,
    "running_batch_jobs": 5,
}
DATASET_TYPES = {t.lower(): t for t in schemas.DATASET_RULES}
SUMMARY_FIELDS = {
    "dataset-group": ["name", "datasetGroupArn", "domain"],
    "schema": ["name", "schemaArn", "domain"],
    "dataset": ["name", "datasetArn", "datasetType"],
    "dataset-import-job": ["jobName", "datasetImportJobArn", "importMode"],
    "solution": ["name", "solutionArn", "recipeArn"],
    "solution-version": ["solutionVersionArn", "trainingMode", "trainingType"],
    "campaign": ["name", "campaignArn"],
    "event-tracker": ["name", "eventTrackerArn"],
    "filter": ["name", "filterArn", "datasetGroupArn"],
    "batch-inference-job": ["jobName", "batchInferenceJobArn", "solutionVersionArn"],
}
COMMON = ["status", "creationDateTime", "lastUpdatedDateTime", "failureReason"]
KIND_NAMES = {
    "dataset-group": "Dataset group",
    "schema": "Schema",
    "dataset": "Dataset",
    "dataset-import-job": "Dataset import job",
    "solution": "Solution",
    "solution-version": "Solution version",
    "campaign": "Campaign",
    "event-tracker": "Event tracker",
    "filter": "Filter",
    "batch-inference-job": "Batch inference job",
}


def arn(region: str, kind: str, name: str) -> str:
    return f"arn:aws:personalize:{region}:{ACCOUNT}:{kind}/{name}"


def summary(resource: Resource) -> dict[str, Any]:
    described = resource.describe()
    keys = SUMMARY_FIELDS[resource.kind] + COMMON
    return {k: described[k] for k in keys if k in described}


class ControlPlane:
    def __init__(self, store: Store, app) -> None:
        self.store = store
        self.app = app
        self.quotas = dict(QUOTAS)
        self.live: dict[str, Any] = {}  # dataset group ARN -> LiveEvents (solutions.py)

    # ---------------------------------------------------------------- helpers
    def _get(self, kind: str, value: Any, field: str) -> Resource:
        check_arn(value, field)
        resource = self.store.get(value, kind)
        if resource is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        return resource

    def _active(self, kind: str, value: Any, field: str) -> Resource:
        resource = self._get(kind, value, field)
        if not resource.active:
            raise in_use(f"{KIND_NAMES[kind]} {value} is not ACTIVE (status: {resource.status}).")
        return resource

    def _new(self, kind: str, resource_arn: str, name: str, fields: dict, tags: Any) -> Resource:
        with self.store.lock:
            existing = self.store.get(resource_arn)
            if existing is not None:
                raise already_exists(resource_arn)
            resource = self.store.add(kind, resource_arn, name, fields)
            resource.tags = check_tags(tags)
        return resource

    def _deletable(self, resource: Resource) -> None:
        status = resource.status
        if status.startswith("DELETE"):
            raise in_use(f"{KIND_NAMES[resource.kind]} {resource.arn} is being deleted.")
        if resource.busy:
            raise in_use(
                f"{KIND_NAMES[resource.kind]} {resource.arn} is {status}; it can be deleted "
                "once it is ACTIVE or CREATE FAILED."
            )

    def _list(self, kind: str, region: str, body: dict, key: str, **match: Any) -> dict:
        found = [
            r
            for r in self.store.all(kind, region)
            if all(r.fields.get(k) == v for k, v in match.items() if v is not None)
        ]
        found.sort(key=lambda r: r.created, reverse=True)
        return paginate([summary(r) for r in found], body, key)

    def _list_in_group(self, kind: str, region: str, body: dict, key: str) -> dict:
        """A List* call with the optional datasetGroupArn filter."""
        group = body.get("datasetGroupArn")
        if group is not None:
            check_arn(group, "datasetGroupArn")
        return self._list(kind, region, body, key, datasetGroupArn=group)

    def _running(self, kind: str, region: str) -> int:
        return sum(r.busy for r in self.store.all(kind, region))

    # ---------------------------------------------------------------- dataset groups
    def op_CreateDatasetGroup(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        check_enum(body.get("domain"), "domain", ("ECOMMERCE", "VIDEO_ON_DEMAND"))
        check_role(body.get("roleArn"))
        if body.get("roleArn") and not body.get("kmsKeyArn"):
            raise invalid("roleArn can only be specified together with kmsKeyArn.")
        groups = [r for r in self.store.all("dataset-group", region)]
        if len(groups) >= self.quotas["dataset_groups"]:
            raise limit_exceeded(
                f"More than {self.quotas['dataset_groups']} dataset groups in this region. "
                "Delete some and try again."
            )
        resource_arn = arn(region, "dataset-group", name)
        fields = {
            "name": name,
            "datasetGroupArn": resource_arn,
            "roleArn": body.get("roleArn"),
            "kmsKeyArn": body.get("kmsKeyArn"),
            "domain": body.get("domain"),
        }
        self._new("dataset-group", resource_arn, name, fields, body.get("tags"))
        out = {"datasetGroupArn": resource_arn}
        if body.get("domain"):
            out["domain"] = body["domain"]
        return out

    def op_DescribeDatasetGroup(self, body: dict, region: str) -> dict:
        group = self._get("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        return {"datasetGroup": group.describe()}

    def op_ListDatasetGroups(self, body: dict, region: str) -> dict:
        return self._list("dataset-group", region, body, "datasetGroups")

    def op_DeleteDatasetGroup(self, body: dict, region: str) -> dict:
        group = self._get("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        self._deletable(group)
        for kind in ("dataset", "solution", "event-tracker"):
            if self.store.children(kind, "datasetGroupArn", group.arn):
                raise in_use(
                    f"Dataset group {group.arn} still has {KIND_NAMES[kind].lower()}s; delete "
                    "its event tracker, solutions and datasets first."
                )
        for child in self.store.children("filter", "datasetGroupArn", group.arn):
            self.store.delete(child)
        self.live.pop(group.arn, None)  # a group re-created under this name starts afresh
        self.store.delete(group)
        return {}

    # ---------------------------------------------------------------- schemas
    def op_CreateSchema(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        text = require(body, "schema")
        check_length(text, "schema", 20000)
        check_enum(body.get("domain"), "domain", ("ECOMMERCE", "VIDEO_ON_DEMAND"))
        parsed = schemas.parse(text)
        if len(self.store.all("schema", region)) >= self.quotas["schemas"]:
            raise limit_exceeded(f"More than {self.quotas['schemas']} schemas in this region.")
        resource_arn = arn(region, "schema", name)
        fields = {"name": name, "schemaArn": resource_arn, "schema": text}
        fields["domain"] = body.get("domain")
        resource = self._new("schema", resource_arn, name, fields, None)
        resource.state["schema"] = parsed
        return {"schemaArn": resource_arn}

    def _describe_schema(self, resource: Resource) -> dict:
        out = resource.describe()
        out.pop("status", None)
        out["lastUpdatedDateTime"] = resource.created
        return out

    def op_DescribeSchema(self, body: dict, region: str) -> dict:
        resource = self._get("schema", body.get("schemaArn"), "schemaArn")
        return {"schema": self._describe_schema(resource)}

    def op_ListSchemas(self, body: dict, region: str) -> dict:
        found = sorted(self.store.all("schema", region), key=lambda r: r.created, reverse=True)
        items = []
        for r in found:
            described = self._describe_schema(r)
            items.append({k: described[k] for k in described if k != "schema"})
        return paginate(items, body, "schemas")

    def op_DeleteSchema(self, body: dict, region: str) -> dict:
        resource = self._get("schema", body.get("schemaArn"), "schemaArn")
        if self.store.children("dataset", "schemaArn", resource.arn):
            raise in_use(f"Schema {resource.arn} is used by a dataset; delete the dataset first.")
        self.store.forget(resource)
        return {}

    # ---------------------------------------------------------------- datasets
    def op_CreateDataset(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        raw_type = require(body, "datasetType")
        check_length(raw_type, "datasetType", 256)
        dataset_type = DATASET_TYPES.get(str(raw_type).lower())
        if dataset_type is None:
            raise invalid(
                f"Invalid datasetType {raw_type}. Use Interactions, Items, Users, Actions or "
                "Action_Interactions."
            )
        schema = self._get("schema", body.get("schemaArn"), "schemaArn")
        group = self._get("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        if not group.active:
            raise in_use(f"Dataset group {group.arn} is not ACTIVE (status: {group.status}).")
        schemas.check_for_dataset(schema.state["schema"], dataset_type)
        resource_arn = arn(region, "dataset", f"{group.name}/{dataset_type}")
        fields = {
            "name": name,
            "datasetArn": resource_arn,
            "datasetGroupArn": group.arn,
            "datasetType": raw_type,
            "schemaArn": schema.arn,
        }
        if dataset_type == "ACTION_INTERACTIONS":
            fields["trackingId"] = str(uuid.uuid4())
        resource = self._new("dataset", resource_arn, name, fields, body.get("tags"))
        resource.state["data"] = DatasetData(dataset_type, schema.state["schema"])
        resource.state["type"] = dataset_type
        return {"datasetArn": resource_arn}

    def op_DescribeDataset(self, body: dict, region: str) -> dict:
        resource = self._get("dataset", body.get("datasetArn"), "datasetArn")
        out = resource.describe()
        if "latestDatasetUpdate" in resource.state:
            out["latestDatasetUpdate"] = resource.state["latestDatasetUpdate"]
        return {"dataset": out}

    def op_ListDatasets(self, body: dict, region: str) -> dict:
        return self._list_in_group("dataset", region, body, "datasets")

    def op_UpdateDataset(self, body: dict, region: str) -> dict:
        resource = self._active("dataset", body.get("datasetArn"), "datasetArn")
        schema = self._get("schema", body.get("schemaArn"), "schemaArn")
        schemas.check_for_dataset(schema.state["schema"], resource.state["type"])
        data: DatasetData = resource.state["data"]
        data.schema = schema.state["schema"]
        resource.fields["schemaArn"] = schema.arn
        now = time.time()
        resource.state["latestDatasetUpdate"] = {
            "schemaArn": schema.arn,
            "status": "ACTIVE",
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        return {"datasetArn": resource.arn}

    def op_DeleteDataset(self, body: dict, region: str) -> dict:
        resource = self._get("dataset", body.get("datasetArn"), "datasetArn")
        self._deletable(resource)
        for job in self.store.children("dataset-import-job", "datasetArn", resource.arn):
            if job.busy:
                raise in_use(f"Import job {job.arn} on this dataset is {job.status}.")
        group = resource.fields["datasetGroupArn"]
        for version in self.store.children("solution-version", "datasetGroupArn", group):
            if version.busy:
                raise in_use(f"Solution version {version.arn} is training on this dataset.")
        self.store.delete(resource)
        return {}

    # ---------------------------------------------------------------- import jobs
    def op_CreateDatasetImportJob(self, body: dict, region: str) -> dict:
        name = check_name(body.get("jobName"), "jobName")
        dataset = self._get("dataset", body.get("datasetArn"), "datasetArn")
        source = require(body, "dataSource")
        location = source.get("dataLocation") if isinstance(source, dict) else None
        if not isinstance(location, str) or not location:
            raise invalid("dataSource.dataLocation is required.")
        check_length(location, "dataSource.dataLocation", 256)
        if not location.startswith(("s3://", "http://", "https://")):
            raise invalid(
                f"1 validation error detected: Value '{location}' at 'dataSource.dataLocation' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "(s3|http|https)://.+"
            )
        mode = body.get("importMode") or "FULL"
        check_enum(mode, "importMode", ("FULL", "INCREMENTAL"))
        check_role(body.get("roleArn"))
        if not dataset.active:
            raise in_use(f"Dataset {dataset.arn} is not ACTIVE (status: {dataset.status}).")
        if self._running("dataset-import-job", region) >= self.quotas["running_imports"]:
            raise limit_exceeded("More than 5 resources with PENDING or IN_PROGRESS status.")
        resource_arn = arn(region, "dataset-import-job", name)
        refused = personalize_job_problem(body.get("roleArn"), [location], [], resource_arn)
        if refused:  # AWS checks the role and the bucket policy when the job is created
            raise invalid(refused)
        fields = {
            "jobName": name,
            "datasetImportJobArn": resource_arn,
            "datasetArn": dataset.arn,
            "dataSource": {"dataLocation": location},
            "roleArn": body.get("roleArn"),
            "importMode": mode,
            "publishAttributionMetricsToS3": body.get("publishAttributionMetricsToS3", False),
        }
        job = self._new("dataset-import-job", resource_arn, name, fields, body.get("tags"))
        data: DatasetData = dataset.state["data"]

        def work() -> None:
            time.sleep(job.pace)  # CREATE PENDING first, as on AWS
            try:
                frame = run_import(
                    self.app.client("s3", region),
                    location,
                    data.schema,
                    data.dataset_type,
                    data.bulk is not None,
                    mode,
                )
            except ImportFailure as exc:
                raise RuntimeError(str(exc)) from None
            data.replace_bulk(frame, incremental=mode == "INCREMENTAL")

        self.store.run(job, work)
        return {"datasetImportJobArn": resource_arn}

    def op_DescribeDatasetImportJob(self, body: dict, region: str) -> dict:
        job = self._get(
            "dataset-import-job", body.get("datasetImportJobArn"), "datasetImportJobArn"
        )
        return {"datasetImportJob": job.describe()}

    def op_ListDatasetImportJobs(self, body: dict, region: str) -> dict:
        dataset = body.get("datasetArn")
        if dataset is not None:
            check_arn(dataset, "datasetArn")
        return self._list(
            "dataset-import-job", region, body, "datasetImportJobs", datasetArn=dataset
        )

    # ---------------------------------------------------------------- recipes
    def op_ListRecipes(self, body: dict, region: str) -> dict:
        check_enum(body.get("recipeProvider"), "recipeProvider", ("SERVICE",))
        check_enum(body.get("domain"), "domain", ("ECOMMERCE", "VIDEO_ON_DEMAND"))
        return paginate(recipes.all_summaries(body.get("domain")), body, "recipes")

    def op_DescribeRecipe(self, body: dict, region: str) -> dict:
        value = check_arn(body.get("recipeArn"), "recipeArn")
        name = recipes.name_of(value)
        if name is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        return {"recipe": recipes.describe(name)}

    def op_DescribeAlgorithm(self, body: dict, region: str) -> dict:
        value = check_arn(body.get("algorithmArn"), "algorithmArn")
        found = recipes.algorithm(value.rsplit("/", 1)[-1]) if ":::algorithm/" in value else None
        if found is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        return {"algorithm": found}

    def op_DescribeFeatureTransformation(self, body: dict, region: str) -> dict:
        value = check_arn(body.get("featureTransformationArn"), "featureTransformationArn")
        name = value.rsplit("/", 1)[-1]
        found = (
            recipes.feature_transformation(name) if ":::feature-transformation/" in value else None
        )
        if found is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        return {"featureTransformation": found}

    # ---------------------------------------------------------------- tags
    def _tagged(self, body: dict) -> Resource:
        value = check_arn(body.get("resourceArn"), "resourceArn")
        resource = self.store.get(value)
        if resource is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        return resource

    def op_TagResource(self, body: dict, region: str) -> dict:
        resource = self._tagged(body)
        new = check_tags(require(body, "tags"))
        merged = {**resource.tags, **new}
        if len(merged) > 200:
            raise ApiError("TooManyTagsException", "A resource can have at most 200 tags.")
        resource.tags = merged
        return {}

    def op_UntagResource(self, body: dict, region: str) -> dict:
        resource = self._tagged(body)
        keys = require(body, "tagKeys")
        check_max_items(keys, "tagKeys", 200)
        for key in keys:
            resource.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, body: dict, region: str) -> dict:
        resource = self._tagged(body)
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in resource.tags.items()]}

    # ---------------------------------------------------------------- event trackers
    def op_CreateEventTracker(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        group = self._active("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        with self.store.lock:
            existing = self.store.children("event-tracker", "datasetGroupArn", group.arn)
            if existing:
                raise ApiError(
                    "ResourceAlreadyExistsException",
                    f"Dataset group {group.arn} already has an event tracker "
                    f"({existing[0].arn}); a dataset group can have only one.",
                )
            if any(r.name == name for r in self.store.all("event-tracker", region)):
                raise already_exists(arn(region, "event-tracker", name))
            resource_arn = arn(region, "event-tracker", secrets.token_hex(4))
            tracking_id = str(uuid.uuid4())
            fields = {
                "name": name,
                "eventTrackerArn": resource_arn,
                "accountId": ACCOUNT,
                "trackingId": tracking_id,
                "datasetGroupArn": group.arn,
            }
            self._new("event-tracker", resource_arn, name, fields, body.get("tags"))
        return {"eventTrackerArn": resource_arn, "trackingId": tracking_id}

    def op_DescribeEventTracker(self, body: dict, region: str) -> dict:
        tracker = self._get("event-tracker", body.get("eventTrackerArn"), "eventTrackerArn")
        return {"eventTracker": tracker.describe()}

    def op_ListEventTrackers(self, body: dict, region: str) -> dict:
        return self._list_in_group("event-tracker", region, body, "eventTrackers")

    def op_DeleteEventTracker(self, body: dict, region: str) -> dict:
        tracker = self._get("event-tracker", body.get("eventTrackerArn"), "eventTrackerArn")
        self._deletable(tracker)
        self.store.delete(tracker)
        return {}

    def tracker_by_id(self, tracking_id: str) -> Resource | None:
        for tracker in self.store.all("event-tracker"):
            if tracker.fields["trackingId"] == tracking_id:
                return tracker
        return None

    def dataset_of(self, group_arn: str, dataset_type: str) -> Resource | None:
        for dataset in self.store.children("dataset", "datasetGroupArn", group_arn):
            if dataset.state["type"] == dataset_type and not dataset.status.startswith("DELETE"):
                return dataset
        return None

    # ---------------------------------------------------------------- filters
    def op_CreateFilter(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        expression = require(body, "filterExpression")
        check_length(expression, "filterExpression", 2500)
        group = self._active("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        parsed = parse_filter(expression)
        self._check_filter_fields(group.arn, parsed)
        group_filters = self.store.children("filter", "datasetGroupArn", group.arn)
        if len(group_filters) >= self.quotas["filters_per_group"]:
            raise limit_exceeded(
                f"More than {self.quotas['filters_per_group']} filters in dataset group "
                f"{group.arn}."
            )
        resource_arn = arn(region, "filter", name)
        fields = {
            "name": name,
            "filterArn": resource_arn,
            "datasetGroupArn": group.arn,
            "filterExpression": expression,
        }
        resource = self._new("filter", resource_arn, name, fields, body.get("tags"))
        resource.state["filter"] = parsed
        return {"filterArn": resource_arn}

    def _check_filter_fields(self, group_arn: str, expressions) -> None:
        """Fields must exist in the group's schemas, and be neither boolean nor textual."""
        fields: set[tuple[str, str]] = set()
        for expression in expressions:
            for condition in [c for g in expression.groups for c in g]:
                fields.add(
                    ("ITEMS" if condition.dataset != "Interactions" else "", condition.field)
                )
            fields |= {("USERS", c.field) for c in expression.user_conditions}
        if len({name for _, name in fields}) > 10:
            raise invalid("A filter can use at most 10 distinct fields.")
        for dataset_type, name in sorted(fields):
            dataset = self.dataset_of(group_arn, dataset_type) if dataset_type else None
            if dataset is None:
                continue
            field = dataset.state["data"].schema.field(name)
            if field is None:
                raise invalid(
                    f"Invalid Expression: {name} is not a field of the {dataset_type.title()} "
                    "dataset."
                )
            if field.type == "boolean" or field.textual:
                kind = "textual" if field.textual else "boolean"
                raise invalid(
                    f"Invalid Expression: {name} is a {kind} field; filters cannot use it."
                )

    def op_DescribeFilter(self, body: dict, region: str) -> dict:
        return {"filter": self._get("filter", body.get("filterArn"), "filterArn").describe()}

    def op_ListFilters(self, body: dict, region: str) -> dict:
        return self._list_in_group("filter", region, body, "Filters")

    def op_DeleteFilter(self, body: dict, region: str) -> dict:
        resource = self._get("filter", body.get("filterArn"), "filterArn")
        self._deletable(resource)
        for job in self.store.children("batch-inference-job", "filterArn", resource.arn):
            if job.busy:
                raise in_use(f"Batch inference job {job.arn} uses this filter.")
        self.store.delete(resource)
        return {}


# Resource kinds the emulator cannot create (recommenders, exports, segment jobs, deletions,
# metric attributions): their lists are empty and their describes say "not found", so generic
# listing and cleanup code runs unchanged; their Create* calls answer NotImplemented.
_EMPTY_LISTS = {
    "ListRecommenders": "recommenders",
    "ListDatasetExportJobs": "datasetExportJobs",
    "ListBatchSegmentJobs": "batchSegmentJobs",
    "ListDataDeletionJobs": "dataDeletionJobs",
    "ListMetricAttributions": "metricAttributions",
    "ListMetricAttributionMetrics": "metrics",
}
_DESCRIBES = {
    "DescribeRecommender": "recommenderArn",
    "DescribeDatasetExportJob": "datasetExportJobArn",
    "DescribeBatchSegmentJob": "batchSegmentJobArn",
    "DescribeDataDeletionJob": "dataDeletionJobArn",
    "DescribeMetricAttribution": "metricAttributionArn",
    "DeleteRecommender": "recommenderArn",
    "DeleteMetricAttribution": "metricAttributionArn",
}


def _empty_list(key: str):
    def operation(self, body: dict, region: str) -> dict:
        return paginate([], body, key)

    return operation


def _nothing_there(field: str):
    def operation(self, body: dict, region: str) -> dict:
        value = check_arn(body.get(field), field)
        raise ApiError("ResourceNotFoundException", f"Could not find resource with ARN {value}.")

    return operation


for _name, _key in _EMPTY_LISTS.items():
    setattr(ControlPlane, f"op_{_name}", _empty_list(_key))
for _name, _field in _DESCRIBES.items():
    setattr(ControlPlane, f"op_{_name}", _nothing_there(_field))
