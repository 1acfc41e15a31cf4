"""Do the setup/ stack's policies allow every AWS call the kit really makes? (test support)

The emulator's request log (workshop_lib/emulator/request_log.py) says, per request, the
service, operation, resource parameters and the access key that signed it. Here:
- `needs(entry)`: the IAM actions (and, where the request names them cheaply, the resource
  ARNs and condition keys) AWS would authorize the request against;
- `allows(document, need)`: IAM's evaluation of one identity policy (explicit Deny wins,
  wildcards in actions case-insensitive, in resources case-sensitive);
- `Attribution`: which principal made the request: the learner's kernel, a function's or the
  Glue job's role, Segment's roles, or the AWS service itself (not checked);
- `gaps(...)`: each needed action no policy of its principal allows, as readable lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from workshop_lib.emulator.request_log import INTERNAL_KEY_PREFIX, role_access_key

LEARNER = "LearnerPolicy"  # the notebooks' kernel and the cleanup CLI sign with the learner's key
SERVICE = "(the AWS service itself)"  # the service's own work: no identity policy applies
OWNER = "(the stack's owner)"  # whoever deploys the stack (an administrator): not checked
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


@dataclass(frozen=True)
class Need:
    """One IAM authorization a request needs. resources None: not named cheaply (the action
    alone is checked); ("*",): an action without resource-level permissions."""

    action: str
    resources: tuple[str, ...] | None
    context: tuple[tuple[str, str], ...] = ()


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


# ------------------------------------------------------------------ policy evaluation


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.I if ignore_case else 0)


def _matches(patterns: Iterable[str], value: str, ignore_case: bool) -> bool:
    """IAM's wildcard match. Both sides are compared URL-decoded: IAM answers with URL-encoded
    documents and botocore decodes them, but moto stores them plain, so a percent-encoded ARN
    in a policy (API Gateway's /tags/<encoded ARN>) arrives from the emulator decoded once
    more than from AWS."""
    value = unquote(value)
    return any(_pattern(unquote(p), ignore_case).match(value) for p in patterns)


def _conditions_hold(statement: dict, context: dict[str, str]) -> bool:
    """String conditions on the keys we know; a key we cannot know is taken as met."""
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if key not in context:
                continue
            values = [str(v) for v in _listed(wanted)]
            if operator.startswith("StringEquals") and context[key] not in values:
                return False
            if operator.startswith("StringLike") and not _matches(values, context[key], False):
                return False
    return True


def _applies(statement: dict, need: Need, resource: str | None) -> bool:
    if "Action" in statement:
        if not _matches(_listed(statement["Action"]), need.action, True):
            return False
    elif _matches(_listed(statement.get("NotAction", [])), need.action, True):
        return False
    if resource is not None:
        if "Resource" in statement:
            if not _matches(_listed(statement["Resource"]), resource, False):
                return False
        elif _matches(_listed(statement.get("NotResource", [])), resource, False):
            return False
    return _conditions_hold(statement, dict(need.context))


def allowed(documents: Iterable[dict], need: Need, resource: str | None) -> bool:
    """IAM's answer for one action on one resource: an Allow applies and no Deny does."""
    applying = [
        s for d in documents for s in _listed(d["Statement"]) if _applies(s, need, resource)
    ]
    return any(s["Effect"] == "Allow" for s in applying) and not any(
        s["Effect"] == "Deny" for s in applying
    )


def refused(documents: list[dict], need: Need) -> list[str | None]:
    """The resources of `need` the documents do not allow it on (None: the action itself)."""
    resources = need.resources if need.resources is not None else (None,)
    return [r for r in resources if not allowed(documents, need, r)]


# ------------------------------------------------------------------ who made the call


@dataclass
class Attribution:
    """Access key -> principal. Role keys come from the roles' ARNs (role_access_key), the
    learner's and Segment's from the test; the emulator's own clients by module (RULES)."""

    keys: dict[str, str]  # access key id -> principal name
    roles: dict[str, str]  # principal name (logical id) -> role ARN

    @classmethod
    def of(
        cls,
        learner_keys: Iterable[str],
        roles: dict[str, str],
        segment_key: str,
        owner_keys: Iterable[str] = (),
    ):
        keys = {k: OWNER for k in owner_keys}
        keys.update({k: LEARNER for k in learner_keys})
        keys.update({role_access_key(arn): name for name, arn in roles.items()})
        if "SegmentInvokeRole" in roles:  # Segment invokes the function with the role it assumed
            keys[segment_key] = "SegmentInvokeRole"
        return cls(keys, roles)

    def principal(self, entry: dict) -> str | None:
        key = entry.get("key") or ""
        if key in self.keys:
            return self.keys[key]
        if key.startswith(INTERNAL_KEY_PREFIX):
            return internal_principal(key.removeprefix(INTERNAL_KEY_PREFIX), entry)
        return None


def internal_principal(module: str, entry: dict) -> str | None:
    """Whose credentials AWS would use for what the emulator does itself (None: unknown)."""
    service, params = entry["service"], entry.get("params", {})
    if module in ("athena.execution", "providers.athena"):
        return LEARNER  # Athena reads S3 and the catalog with the caller's credentials
    if module.startswith("personalize."):
        return "PersonalizeRole"  # import and batch jobs run with the role they were given
    if module == "segment.s3_destination":
        return "SegmentS3Role"  # Segment writes with the role it assumed
    if module == "compute.glue_runs":
        return "GlueJobRole" if service == "s3" else SERVICE  # the script: with the job's role
    if module == "compute.logs":
        group = str(params.get("logGroupName", ""))
        if group.startswith("/aws-glue/"):
            return "GlueJobRole"
        if group.startswith("/aws/lambda/"):
            return f"function:{group.removeprefix('/aws/lambda/')}"
        return None
    if module in (
        "segment.lambda_destination",  # STS checks the trust policy when Segment assumes
        "providers.lambda_permissions",  # API Gateway checks the function's resource policy
        "providers.apigateway_invoke",
    ):
        return SERVICE
    return None


# ------------------------------------------------------------------ the check


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def describe(entry: dict) -> str:
    params = {k: v for k, v in entry.get("params", {}).items() if k not in ("Tags", "tags")}
    text = json.dumps(params, default=str)
    return f"{entry['service']}.{entry['operation']} {text[:240]}"


def gaps(
    entries: Iterable[dict],
    attribution: Attribution,
    policies: dict[str, list[dict]],
    where: Where,
    functions: dict[str, str] | None = None,
    unchecked: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """(refusals, unattributed): one line per needed action a principal's policies refuse,
    and one per request nobody could be named for. `functions`: function name -> principal
    (the role it runs with); `unchecked`: actions left out (e.g. the stack owner's)."""
    refusals: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for entry in entries:
        principal = attribution.principal(entry)
        if principal and principal.startswith("function:"):
            principal = (functions or {}).get(principal.removeprefix("function:"))
        if principal in (SERVICE, OWNER):
            continue
        if principal is None or principal not in policies:
            unknown[f"{entry.get('key')}: {describe(entry)}"] = None
            continue
        for need in needs(entry, where):
            if need.action in unchecked:
                continue
            for resource in refused(policies[principal], need):
                refusals[
                    f"{principal} may not {need.action} on {resource or '(any resource)'}"
                    f" <- {describe(entry)}"
                ] = None
    return list(refusals), list(unknown)
