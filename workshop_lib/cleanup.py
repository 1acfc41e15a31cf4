"""Delete everything the workshop created, in dependency order, found by its name prefix.

Works without any state from the notebooks (a learner may have closed them): every resource the
kit creates carries the prefix in its name (and its tags, which `tagged` checks on AWS). Each
step reports what it removed; a resource that is already gone is not an error, so cleanup can
run again after a partial run. What the setup/ stack owns (its roles, its bucket) is left to
the stack: only the kit's folders of its bucket go, and `delete_stack` empties the bucket before
it deletes the stack (CloudFormation cannot delete a bucket with objects in it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import stack
from .personalize import describe as describe_personalize
from .segment import WORKSHOP_SOURCES, WORKSHOP_SPACE, SegmentApiError, SegmentWorkspace
from .settings import bucket_name
from .tagging import PREFIX_KEY
from .waiting import default_poll_seconds

GONE = {
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchBucket",
    "EntityNotFoundException",
    "NotFoundException",
}
TRAINING = {"CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING"}
BATCH_RUNNING = {"CREATE PENDING", "CREATE IN_PROGRESS"}
WOULD_DELETE = "would delete"
# The folders the notebooks write to in the workshop's bucket
KIT_PREFIXES = (
    "segment-logs/",
    "catalogue/",
    "transformed/",
    "glue-scripts/",
    "athena-results/",
    "batch/",
)


@dataclass(frozen=True)
class Removed:
    kind: str
    name: str
    result: str = "deleted"


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def _delete(
    kind: str, name: str, call: Callable[..., Any], dry_run: bool = False, **params: Any
) -> Removed:
    """Call a delete API; a dry run only says what it would delete."""
    if dry_run:
        return Removed(kind, name, WOULD_DELETE)
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
    client: Any, prefix: str, timeout: float = 1800, poll: float = 1.0, dry_run: bool = False
) -> list[Removed]:
    """Campaigns -> batch jobs -> solutions -> trackers and filters -> datasets -> groups ->
    schemas. A dry run lists them and neither stops, deletes nor waits."""
    removed: list[Removed] = []

    def wait_gone(arns: list[str]) -> None:
        if not dry_run:
            _wait(lambda: _all_gone(client, arns), f"Still being deleted: {arns}", timeout, poll)

    def delete(kind: str, name: str, call: Callable[..., Any], **params: Any) -> None:
        removed.append(_delete(kind, name, call, dry_run, **params))

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
            delete("campaign", c["name"], client.delete_campaign, campaignArn=c["campaignArn"])
        wait_gone([c["campaignArn"] for c in campaigns])
        removed += batch_jobs(client, solutions, timeout, poll, dry_run)
        for s in solutions:
            if not dry_run:
                _stop_training(client, s, timeout, poll)
            delete("solution", s["name"], client.delete_solution, solutionArn=s["solutionArn"])
        trackers = _pages(client, "list_event_trackers", "eventTrackers", datasetGroupArn=dg)
        filters = _pages(client, "list_filters", "Filters", datasetGroupArn=dg)
        for t in trackers:
            delete(
                "event tracker",
                t["name"],
                client.delete_event_tracker,
                eventTrackerArn=t["eventTrackerArn"],
            )
        for f in filters:
            delete("filter", f["name"], client.delete_filter, filterArn=f["filterArn"])
        wait_gone(
            [s["solutionArn"] for s in solutions]
            + [t["eventTrackerArn"] for t in trackers]
            + [f["filterArn"] for f in filters]
        )
        datasets = _pages(client, "list_datasets", "datasets", datasetGroupArn=dg)
        for d in datasets:
            delete("dataset", d["name"], client.delete_dataset, datasetArn=d["datasetArn"])
        wait_gone([d["datasetArn"] for d in datasets])
        delete("dataset group", group["name"], client.delete_dataset_group, datasetGroupArn=dg)
        wait_gone([dg])
    for schema in _pages(client, "list_schemas", "schemas"):
        if schema["name"].startswith(prefix):
            delete("schema", schema["name"], client.delete_schema, schemaArn=schema["schemaArn"])
    return removed


def _versions(client: Any, solution_arn: str) -> list[dict]:
    return _pages(client, "list_solution_versions", "solutionVersions", solutionArn=solution_arn)


def _stop_training(client: Any, solution: dict, timeout: float, poll: float) -> None:
    """Training cannot be deleted: stop it first and wait until it has stopped."""
    for v in _versions(client, solution["solutionArn"]):
        if v["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS"):
            client.stop_solution_version_creation(solutionVersionArn=v["solutionVersionArn"])
    _wait(
        lambda: (
            not any(v["status"] in TRAINING for v in _versions(client, solution["solutionArn"]))
        ),
        f"Training under {solution['name']} did not stop",
        timeout,
        poll,
    )


def batch_jobs(
    client: Any, solutions: list[dict], timeout: float, poll: float, dry_run: bool = False
) -> list[Removed]:
    """Batch inference jobs have no delete or stop API: wait for running ones to end; the
    records go with their dataset group (their output goes with the S3 prefixes)."""
    jobs = [
        job
        for s in solutions
        for v in _versions(client, s["solutionArn"])
        for job in _pages(
            client,
            "list_batch_inference_jobs",
            "batchInferenceJobs",
            solutionVersionArn=v["solutionVersionArn"],
        )
    ]
    running = [j["batchInferenceJobArn"] for j in jobs if j["status"] in BATCH_RUNNING]

    def finished() -> bool:
        return all(
            client.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"][
                "status"
            ]
            not in BATCH_RUNNING
            for arn in running
        )

    if running and not dry_run:
        _wait(finished, f"Batch inference jobs still running: {running}", timeout, poll)
    result = WOULD_DELETE if dry_run else "deleted with its dataset group"
    return [Removed("batch inference job", j["jobName"], result) for j in jobs]


def apis(apigw_v2: Any, apigw: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    removed = [
        _delete("http api", a["Name"], apigw_v2.delete_api, dry_run, ApiId=a["ApiId"])
        for a in _pages(apigw_v2, "get_apis", "Items")
        if a["Name"].startswith(prefix)
    ]
    removed += [
        _delete("rest api", a["name"], apigw.delete_rest_api, dry_run, restApiId=a["id"])
        for a in _pages(apigw, "get_rest_apis", "items")
        if a["name"].startswith(prefix)
    ]
    return removed


def functions(lambda_client: Any, logs: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    """Each function's permissions (who may invoke it), the function, and its log group."""
    removed = []
    listed = _pages(lambda_client, "list_functions", "Functions")
    for f in sorted(listed, key=lambda f: f["FunctionName"]):
        name = f["FunctionName"]
        if not name.startswith(prefix):
            continue
        removed += permissions(lambda_client, name, dry_run)
        removed.append(
            _delete(
                "lambda function", name, lambda_client.delete_function, dry_run, FunctionName=name
            )
        )
        group = f"/aws/lambda/{name}"
        if not _log_group_exists(logs, group):  # only once it has logged
            continue
        removed.append(
            _delete("log group", group, logs.delete_log_group, dry_run, logGroupName=group)
        )
    return removed


def _log_group_exists(logs: Any, name: str) -> bool:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def permissions(lambda_client: Any, function: str, dry_run: bool = False) -> list[Removed]:
    """The statements of a function's resource policy (API Gateway, Segment's role...)."""
    try:
        policy = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])
    except ClientError as exc:
        if _code(exc) in GONE:
            return []  # no policy: nobody was granted anything
        raise
    return [
        _delete(
            "lambda permission",
            f"{function}/{statement['Sid']}",
            lambda_client.remove_permission,
            dry_run,
            FunctionName=function,
            StatementId=statement["Sid"],
        )
        for statement in policy.get("Statement", [])
    ]


def glue(glue_client: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    """The Glue jobs, then the Athena tables and databases (Athena keeps them in Glue)."""
    return glue_jobs(glue_client, prefix, dry_run) + athena_catalog(glue_client, prefix, dry_run)


def glue_jobs(glue_client: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    return [
        _delete("glue job", j, glue_client.delete_job, dry_run, JobName=j)
        for j in _pages(glue_client, "list_jobs", "JobNames")
        if j.startswith(prefix)
    ]


def athena_catalog(glue_client: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    db_prefix = prefix.replace("-", "_")  # Glue/Athena database names use underscores
    removed = []
    for db in _pages(glue_client, "get_databases", "DatabaseList"):
        if not db["Name"].startswith(db_prefix):
            continue
        for table in _pages(glue_client, "get_tables", "TableList", DatabaseName=db["Name"]):
            removed.append(
                _delete(
                    "athena table",
                    f"{db['Name']}.{table['Name']}",
                    glue_client.delete_table,
                    dry_run,
                    DatabaseName=db["Name"],
                    Name=table["Name"],
                )
            )
        removed.append(
            _delete(
                "glue database", db["Name"], glue_client.delete_database, dry_run, Name=db["Name"]
            )
        )
    return removed


def roles(iam: Any, prefix: str, dry_run: bool = False) -> list[Removed]:
    removed = []
    # sorted: IAM lists roles in no fixed order
    for role in sorted(_pages(iam, "list_roles", "Roles"), key=lambda r: r["RoleName"]):
        name = role["RoleName"]
        if not name.startswith(prefix) or role.get("Path") == stack.ROLE_PATH:
            continue  # not ours, or the setup/ stack's (its delete removes them)
        if not dry_run:  # a role with policies cannot be deleted
            for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
                iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
            for p in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
                iam.delete_role_policy(RoleName=name, PolicyName=p)
        removed.append(_delete("iam role", name, iam.delete_role, dry_run, RoleName=name))
    return removed


def _versions_of(s3: Any, bucket_name: str, prefix: str = "") -> list[list[dict]]:
    """Every object version and delete marker, a page (at most 1,000) at a time."""
    return [
        [
            {"Key": o["Key"], "VersionId": o["VersionId"]}
            for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket_name, Prefix=prefix
        )
    ]


def _delete_objects(s3: Any, bucket_name: str, pages: list[list[dict]]) -> int:
    """Delete the listed versions; returns how many S3 refused (e.g. AccessDenied), as
    DeleteObjects reports refusals per key instead of raising."""
    failed = 0
    for doomed in pages:
        answer = s3.delete_objects(Bucket=bucket_name, Delete={"Objects": doomed, "Quiet": True})
        failed += len(answer.get("Errors", []))
    return failed


def bucket(s3: Any, name: str, dry_run: bool = False, keep: bool = False) -> list[Removed]:
    """Empty the bucket (every object version too) and delete it; `keep`: only empty it
    (the setup/ stack's bucket, which its stack deletes)."""
    try:
        pages = [p for p in _versions_of(s3, name) if p]
    except ClientError as exc:
        if _code(exc) in GONE:
            return [] if dry_run else [Removed("s3 bucket", name, "already gone")]
        raise
    count = sum(len(p) for p in pages)
    failed = 0 if dry_run else _delete_objects(s3, name, pages)
    if failed:
        return [Removed("s3 objects", f"s3://{name}/", f"failed: {failed} of {count} objects")]
    if keep:
        if not count:
            return []
        done = WOULD_DELETE if dry_run else "deleted"
        return [Removed("s3 objects", f"s3://{name}/", f"{done} ({count} objects; stack's bucket)")]
    if dry_run:
        return [Removed("s3 bucket", name, f"{WOULD_DELETE} (with {count} objects)")]
    return [_delete("s3 bucket", name, s3.delete_bucket, Bucket=name)]


def s3_prefixes(
    s3: Any, bucket_name: str, prefixes: tuple[str, ...] = KIT_PREFIXES, dry_run: bool = False
) -> list[Removed]:
    """Only the kit's folders of a bucket the kit does not own (one an instructor gave)."""
    removed = []
    for prefix in prefixes:
        try:
            pages = [p for p in _versions_of(s3, bucket_name, prefix) if p]
        except ClientError as exc:
            if _code(exc) in GONE:
                return []
            raise
        if not pages:
            continue
        count = sum(len(p) for p in pages)
        where = f"s3://{bucket_name}/{prefix}"
        failed = 0 if dry_run else _delete_objects(s3, bucket_name, pages)
        result = f"{WOULD_DELETE if dry_run else 'deleted'} ({count} objects)"
        if failed:
            result = f"failed: {failed} of {count} objects"
        removed.append(Removed("s3 prefix", where, result))
    return removed


def segment_workspace(workspace: Any, dry_run: bool = False) -> list[Removed]:
    """Local target: the workshop's Segment sources and their destinations (S3, Personalize),
    and notebook 04's Unify space with its profiles."""
    removed = []
    for source in workspace.sources():
        if source["name"] not in WORKSHOP_SOURCES:
            continue
        for destination in workspace.destinations(source["id"]):
            name = f"{source['name']} -> {destination['metadata']['name']}"
            removed.append(
                _segment_delete(
                    "segment destination",
                    name,
                    dry_run,
                    workspace.delete_destination,
                    destination["id"],
                )
            )
        removed.append(
            _segment_delete(
                "segment source", source["name"], dry_run, workspace.delete_source, source["id"]
            )
        )
    for space in workspace.spaces():
        if space["name"] == WORKSHOP_SPACE:
            removed.append(
                _segment_delete(
                    "segment space", space["name"], dry_run, workspace.delete_space, space["id"]
                )
            )
    return removed


def _segment_delete(
    kind: str, name: str, dry_run: bool, call: Callable[[str], Any], resource_id: str
) -> Removed:
    if dry_run:
        return Removed(kind, name, WOULD_DELETE)
    try:
        call(resource_id)
    except SegmentApiError as exc:
        if "404" in str(exc):
            return Removed(kind, name, "already gone")
        return Removed(kind, name, f"failed: {exc}")
    return Removed(kind, name)


# ---------------------------------------------------------------- the whole workshop


def owns_bucket(ws: Any) -> bool:
    """The bucket carries the kit's own name (delete it), or was given (delete our folders)."""
    return ws.bucket == bucket_name(ws.prefix, ws.account_id, ws.region)


def everything(ws: Any, dry_run: bool = False, timeout: float = 1800) -> list[Removed]:
    """Delete (or, dry run, list) every resource the kit created on the workshop's target, in
    dependency order: Segment first (no more events flow), then what reads from the bucket,
    the roles, and the bucket last."""
    c = ws.client
    poll = default_poll_seconds()
    removed: list[Removed] = []
    if ws.target == "local":
        removed += segment_workspace(SegmentWorkspace(ws), dry_run)
    removed += personalize(c("personalize"), ws.prefix, timeout, poll, dry_run)
    removed += functions(c("lambda"), c("logs"), ws.prefix, dry_run)
    removed += apis(c("apigatewayv2"), c("apigateway"), ws.prefix, dry_run)
    removed += glue(c("glue"), ws.prefix, dry_run)
    if not ws.stack:  # with the stack, every role is the stack's (the notebooks create none)
        removed += roles(c("iam"), ws.prefix, dry_run)
    if ws.stack:  # the kit's folders only: LearnerPolicy may delete nothing else
        removed += s3_prefixes(c("s3"), ws.bucket, dry_run=dry_run)
    elif owns_bucket(ws):
        removed += bucket(c("s3"), ws.bucket, dry_run)
    else:
        removed += s3_prefixes(c("s3"), ws.bucket, dry_run=dry_run)
    return removed


@dataclass(frozen=True)
class Table:
    """kind | name | result, shown in full (no cut names, no index) and "(nothing)" if empty."""

    frame: pd.DataFrame

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False) if len(self.frame) else "<p>(nothing)</p>"

    def __repr__(self) -> str:
        return self.frame.to_string(index=False) if len(self.frame) else "(nothing)"


def table(removed: list[Removed]) -> Table:
    """The resources in the order they were (or would be) deleted."""
    return Table(pd.DataFrame([vars(r) for r in removed], columns=["kind", "name", "result"]))


def leftovers(ws: Any) -> list[Removed]:
    """What is still there: a dry run finds exactly what the kit would delete."""
    return everything(ws, dry_run=True)


def tagged(ws: Any) -> list[str]:
    """AWS: ARNs still carrying this prefix's workshop tag, outside the setup/ stack. A safety
    net behind the name search; the tagging index can lag deletes by a few minutes."""
    if ws.target != "aws":
        return []
    filters = [{"Key": PREFIX_KEY, "Values": [ws.prefix]}]
    found = []
    for page in (
        ws.client("resourcegroupstaggingapi")
        .get_paginator("get_resources")
        .paginate(TagFilters=filters)
    ):
        for item in page["ResourceTagMappingList"]:
            keys = {t["Key"] for t in item.get("Tags", [])}
            if "aws:cloudformation:stack-name" not in keys:
                found.append(item["ResourceARN"])
    return sorted(found)


def delete_stack(ws: Any, timeout: float = 1800) -> list[Removed]:
    """Delete the setup/ stack (its roles, bucket, notebook instance) once the rest is gone,
    emptying the bucket first: CloudFormation cannot delete a bucket with objects in it."""
    if not ws.stack:
        raise ValueError("No stack to delete: connect(stack=...) or $WORKSHOP_STACK names it.")
    emptied = bucket(ws.client("s3"), ws.bucket, keep=True)
    # LearnerPolicy may not delete the stack: its deployer does. On the local target that is
    # the account's owner, whose placeholder credentials the emulator does not restrict.
    owner = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    cloudformation = ws.client("cloudformation", **(owner if ws.target == "local" else {}))
    result = stack.delete(cloudformation, ws.stack, timeout, default_poll_seconds())
    return [*emptied, Removed("cloudformation stack", ws.stack, result)]


def advice(ws: Any, left: list[Removed]) -> str:
    """What is left, how to remove it, and what may still bill."""
    lines = []
    if left:
        count = "1 resource is" if len(left) == 1 else f"{len(left)} resources are"
        lines.append(f"{count} still there (listed below). Run the cleanup again")
        lines.append("in a few minutes: Personalize and IAM finish some deletes in the background.")
    else:
        lines.append(f"Nothing the kit created is left on the {ws.target} target.")
    if ws.target == "local":
        lines.append(
            "The emulator keeps running for JupyterLab; `python -m workshop_lib.emulator stop` "
            "ends it. Nothing local ever bills."
        )
        return "\n".join(lines)
    name = ws.stack or "<your stack name>"
    lines += [
        "Still yours to remove, if you made them:",
        f"- the CloudFormation stack from setup/ ({name}: its roles, the bucket, which the",
        "  cleanup emptied, and on SageMaker the notebook instance, which bills per hour while",
        "  running). From a terminal, not from that notebook instance:",
        f"  python -m workshop_lib cleanup --target aws --stack {name} --delete-stack",
        f"  (or: aws cloudformation delete-stack --stack-name {name})",
        "- in Segment's app: the Amazon Personalize and S3 destinations and the workshop sources.",
        "What bills after this cleanup: nothing the kit created (campaigns, the costliest part,",
        "bill per hour while ACTIVE and are deleted above). Check Billing > Bills tomorrow.",
    ]
    return "\n".join(lines)


def report(ws: Any, dry_run: bool = False, with_stack: bool = False) -> str:
    """Run the cleanup (or the dry run) and return the text the CLI prints; `with_stack` also
    deletes the setup/ stack once nothing of the kit's is left."""
    removed = everything(ws, dry_run=dry_run)
    if with_stack and dry_run:
        removed.append(Removed("cloudformation stack", ws.stack, WOULD_DELETE))
    shown = repr(table(removed))
    if dry_run:
        return f"Dry run: this is what the cleanup would delete, in order.\n{shown}"
    left = leftovers(ws)
    parts = [shown, ""]
    if with_stack and not left:
        parts += [repr(table(delete_stack(ws))), ""]
    elif with_stack:
        parts += [
            "The stack stays until the resources below are gone (its roles may be in use).",
            "",
        ]
    parts.append(advice(ws, left))
    if left:
        parts += ["", repr(table(left))]
    try:
        still_tagged = tagged(ws)
    except ClientError as exc:  # e.g. no tag:GetResources: the name search above still ran
        still_tagged = []
        parts += ["", f"The search by tag was refused ({_code(exc)}); the search by name ran."]
    if still_tagged:
        parts += ["", "Still tagged with this prefix (the tag index can lag a few minutes):"]
        parts += [f"  {arn}" for arn in still_tagged]
    return "\n".join(parts)
