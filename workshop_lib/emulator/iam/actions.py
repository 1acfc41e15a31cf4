"""Which IAM actions, resources and condition keys AWS authorizes a request against.

`needs(entry, where)` reads one request as the request log writes it (request_log.entry:
service, operation, method, path, params) and answers the IAM actions (the Service
Authorization Reference's names), the resource ARNs where the request names them cheaply, and
the condition keys it sets (iam:PassedToService). Shared by the enforcement (enforce.py) and
the policy-coverage tests (tests/notebooks/iam_coverage.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from .policy import Need

GENERATED = "(generated)"  # a part of an ARN AWS generates on create (matched by a wildcard)

# botocore service -> IAM service prefix, where they differ
IAM_PREFIX = {
    "personalize-runtime": "personalize",
    "personalize-events": "personalize",
    "apigatewayv2": "apigateway",
    "resourcegroupstaggingapi": "tag",
}
# Operations whose IAM action is not <prefix>:<Operation> (the Service Authorization Reference)
RENAMED = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "ListMultipartUploads"): "s3:ListBucketMultipartUploads",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("s3", "CopyObject"): "s3:PutObject",
    ("s3", "ListParts"): "s3:ListMultipartUploadParts",
}
# Tag-on-create: a create call carrying tags is authorized for the tagging action as well
TAGS_PARAM = ("Tags", "tags")
TAG_ACTION = {
    "lambda": "lambda:TagResource",
    "personalize": "personalize:TagResource",
    "glue": "glue:TagResource",
}
# Calls that hand a role to a service: iam:PassRole on the role, with iam:PassedToService
PASS_ROLE = {
    ("lambda", "CreateFunction"): ("Role", "lambda.amazonaws.com"),
    ("lambda", "UpdateFunctionConfiguration"): ("Role", "lambda.amazonaws.com"),
    ("glue", "CreateJob"): ("Role", "glue.amazonaws.com"),
    ("glue", "UpdateJob"): ("JobUpdate.Role", "glue.amazonaws.com"),
    ("personalize", "CreateDatasetImportJob"): ("roleArn", "personalize.amazonaws.com"),
    ("personalize", "CreateBatchInferenceJob"): ("roleArn", "personalize.amazonaws.com"),
}
# Personalize creates: the new resource's ARN type and the parameter holding its name
PERSONALIZE_CREATES = {
    "CreateDatasetGroup": ("dataset-group", "name"),
    "CreateSchema": ("schema", "name"),
    "CreateSolution": ("solution", "name"),
    "CreateCampaign": ("campaign", "name"),
    "CreateFilter": ("filter", "name"),
    "CreateDatasetImportJob": ("dataset-import-job", "jobName"),
    "CreateBatchInferenceJob": ("batch-inference-job", "jobName"),
}
GLUE_CATALOG_OPS = re.compile(r"(Database|Table|Partition)")


@dataclass(frozen=True)
class Where:
    """The account and region the requests were made in, and the stacks' ARNs by name."""

    account: str
    region: str
    stacks: dict[str, str] = field(default_factory=dict)
    partition: str = "aws"

    def arn(self, service: str, rest: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{rest}"


# ------------------------------------------------------------------ request -> actions


def iam_action(service: str, operation: str) -> str:
    return RENAMED.get((service, operation)) or f"{IAM_PREFIX.get(service, service)}:{operation}"


def needs(entry: dict, where: Where) -> list[Need]:
    """What AWS authorizes for this logged request."""
    service, operation, params = entry["service"], entry["operation"], entry.get("params", {})
    if service in ("apigateway", "apigatewayv2"):
        return _apigateway(entry, where)
    action = iam_action(service, operation)
    resources = _resources(service, operation, params, where)
    result = [Need(action, resources)]
    if service == "s3" and operation == "DeleteObjects" and params.get("VersionIds"):
        result.append(Need("s3:DeleteObjectVersion", resources))
    if service == "s3" and operation == "CopyObject" and params.get("CopySource"):
        result.append(Need("s3:GetObject", None))
    if service in TAG_ACTION and operation.startswith("Create") and _tags(params):
        result.append(
            Need(TAG_ACTION[service], _tagged_resource(service, operation, params, where))
        )
    if (service, operation) in PASS_ROLE:
        path, to_service = PASS_ROLE[(service, operation)]
        role = _param(params, path)
        if role:
            result.append(Need("iam:PassRole", (role,), (("iam:PassedToService", to_service),)))
    return result


def _tags(params: dict) -> bool:
    return any(params.get(name) for name in TAGS_PARAM)


def _param(params: dict, path: str):
    value = params
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _resources(service: str, operation: str, params: dict, where: Where):
    handler = {
        "s3": _s3,
        "lambda": _lambda,
        "personalize": _personalize,
        "personalize-runtime": _personalize,
        "personalize-events": _personalize,
        "glue": _glue,
        "logs": _logs,
        "athena": _athena,
        "cloudformation": _cloudformation,
        "sts": lambda *_: ("*",),
        "resourcegroupstaggingapi": lambda *_: ("*",),
    }.get(service)
    return handler(operation, params, where) if handler else None


def _s3(operation: str, params: dict, where: Where):
    bucket = params.get("Bucket")
    if operation == "ListBuckets":
        return ("*",)
    if not bucket:
        return None
    if operation == "DeleteObjects":
        return tuple(f"arn:{where.partition}:s3:::{bucket}/{k}" for k in params.get("Keys", []))
    if params.get("Key"):
        return (f"arn:{where.partition}:s3:::{bucket}/{params['Key']}",)
    return (f"arn:{where.partition}:s3:::{bucket}",)


def _lambda(operation: str, params: dict, where: Where):
    if operation == "ListFunctions":
        return ("*",)
    name = params.get("FunctionName")
    if not name:
        return None
    if name.startswith("arn:"):
        return (":".join(name.split(":")[:7]),)  # without a qualifier
    return (where.arn("lambda", f"function:{name}"),)


def _personalize(operation: str, params: dict, where: Where):
    if operation.startswith("List"):
        return ("*",)
    if operation in PERSONALIZE_CREATES:
        kind, name = PERSONALIZE_CREATES[operation]
        return (where.arn("personalize", f"{kind}/{params.get(name, '')}"),)
    if operation == "CreateDataset":
        group = str(params.get("datasetGroupArn", "")).rsplit("/", 1)[-1]
        kind = str(params.get("datasetType", "")).upper()
        return (where.arn("personalize", f"dataset/{group}/{kind}"),)
    arns = tuple(
        v
        for k, v in params.items()
        if k.endswith("Arn") and k != "roleArn" and isinstance(v, str) and v.startswith("arn:")
    )
    return arns or None  # PutEvents names a tracking id, not an ARN


def _tagged_resource(service: str, operation: str, params: dict, where: Where):
    """The ARN the tags of a create call go to (generated ids as GENERATED)."""
    if service == "personalize" and operation in ("CreateSolutionVersion", "CreateEventTracker"):
        if operation == "CreateSolutionVersion":
            return (f"{params.get('solutionArn', '')}/{GENERATED}",)
        return (where.arn("personalize", f"event-tracker/{GENERATED}"),)
    if service == "glue" and operation == "CreateJob":
        return (where.arn("glue", f"job/{params.get('Name', '')}"),)
    return _resources(service, operation, params, where)


def _glue(operation: str, params: dict, where: Where):
    if operation in ("ListJobs", "GetJobs"):
        return ("*",)
    if "Job" in operation:
        name = params.get("JobName") or params.get("Name")
        return (where.arn("glue", f"job/{name}"),) if name else None
    if not GLUE_CATALOG_OPS.search(operation):
        return None
    catalog = where.arn("glue", "catalog")
    if operation == "GetDatabases":
        return (catalog,)
    database = (
        params.get("DatabaseName")
        or _param(params, "DatabaseInput.Name")
        or (params.get("Name") if "Database" in operation else None)
    )
    if not database:
        return None
    found = [catalog, where.arn("glue", f"database/{database}")]
    table = _param(params, "TableInput.Name") or (
        params.get("Name") if "Table" in operation else None
    )
    if table and operation != "GetTables":
        found.append(where.arn("glue", f"table/{database}/{table}"))
    if operation == "DeleteDatabase":  # authorized against everything in the database too
        found += [
            where.arn("glue", f"table/{database}/{GENERATED}"),
            where.arn("glue", f"userDefinedFunction/{database}/{GENERATED}"),
        ]
    return tuple(found)


def _logs(operation: str, params: dict, where: Where):
    group = params.get("logGroupName")
    if operation == "DescribeLogGroups" or not group:
        return ("*",) if operation == "DescribeLogGroups" else None
    arn = where.arn("logs", f"log-group:{group}")
    stream = params.get("logStreamName")
    return (f"{arn}:log-stream:{stream}",) if stream else (arn,)


def _athena(operation: str, params: dict, where: Where):
    # the kit runs every query in the primary workgroup (query ids do not name it)
    return (where.arn("athena", f"workgroup/{params.get('WorkGroup', 'primary')}"),)


def _cloudformation(operation: str, params: dict, where: Where):
    name = params.get("StackName")
    if name in where.stacks:
        return (where.stacks[name],)
    if name and name.startswith("arn:"):
        return (name,)
    return None


def _apigateway(entry: dict, where: Where) -> list[Need]:
    """API Gateway authorizes the HTTP verb on the resource path (HTTP APIs: without /v2);
    tags given on create are also a POST to the new resource's tags."""
    path = entry["path"].removeprefix("/v2")
    arn = f"arn:{where.partition}:apigateway:{where.region}::{path}"
    result = [Need(f"apigateway:{entry['method']}", (arn,))]
    params = entry.get("params", {})
    if entry["operation"].startswith("Create") and _tags(params):
        name = params.get("stageName") if entry["operation"] == "CreateStage" else GENERATED
        created = quote(f"{arn}/{name}", safe="")
        result.append(Need("apigateway:POST", (f"{arn.split('::')[0]}::/tags/{created}",)))
    return result
