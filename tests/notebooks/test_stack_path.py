"""The "with the setup/ stack" path, 01 -> 05 and the cleanup CLI, on a private emulator.

setup/workshop-stack.yaml is deployed through the emulator's CloudFormation (with the local
Segment workspace's id, so exercise 4's Segment role trusts the emulated Segment), then the
notebooks run with `stack` set, as on a real account. Then:
- the notebooks used the stack's roles and bucket and created no IAM role of their own;
- after 05 the stack's roles and bucket are still there, the kit's folders are gone, and
  `python -m workshop_lib cleanup --stack ... --delete-stack` deletes the stack;
- policy coverage: the emulator logged every AWS request with the key that signed it
  (WORKSHOP_EMULATOR_REQUEST_LOG); each call of the learner's kernel must be allowed by the
  deployed LearnerPolicy, each call of a function, the Glue job, Personalize's jobs and
  Segment's destinations by its role's inline policy (tests/notebooks/iam_coverage.py).
  That is the failure a real account would show first and that we cannot reach from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.notebooks.fresh_emulator import REGION, fresh_emulator
from tests.notebooks.iam_coverage import LEARNER, Attribution, Where, gaps, read_log
from tests.notebooks.setup_stack import (
    OWNER_KEY,
    deploy,
    deployed_policies,
    owner_session,
    role_name,
    stack_roles,
)
from workshop_lib import cleanup, stack
from workshop_lib.__main__ import main
from workshop_lib.emulator.iam.principals import learner_access_key
from workshop_lib.emulator.request_log import ENV_REQUEST_LOG, role_access_key
from workshop_lib.runner import NotebookResult, run_notebooks
from workshop_lib.settings import LOCAL_ACCOUNT_ID

pytestmark = pytest.mark.slow

STACK = "stackpath"
PREFIX = "stackpath"
PLACEHOLDER_KEY = "test"  # the account owner's: the cleanup CLI deletes the stack with it


def learner_key(run: StackRun) -> str:
    """connect(stack=...) on the local target signs the kernel's calls as LearnerPolicy's."""
    return learner_access_key(run.outputs["LearnerPolicyArn"])


FUNCTIONS = (f"{PREFIX}-recommendations-api", f"{PREFIX}-segment-destination")
# --delete-stack "needs the rights of whoever deployed the stack" (setup/README.md)
OWNER_ONLY = frozenset({"cloudformation:DeleteStack", "cloudformation:DescribeStackEvents"})


@dataclass
class StackRun:
    outputs: dict[str, str]
    stack_id: str
    results: list[NotebookResult]
    log: list[dict]
    marks: dict[str, int]  # phase -> number of log lines before it
    after_04: dict = field(default_factory=dict)
    after_05: dict = field(default_factory=dict)
    after_cli: dict = field(default_factory=dict)
    policies: dict[str, list[dict]] = field(default_factory=dict)
    bucket_policy: dict = field(default_factory=dict)
    cli_exit: int | None = None

    def phase(self, start: str, end: str | None = None) -> list[dict]:
        return self.log[self.marks[start] : self.marks[end] if end else None]


def _roles_of_the_kit(owner: boto3.Session) -> list[tuple[str, str]]:
    roles = owner.client("iam").get_paginator("list_roles").paginate()
    return [
        (r["RoleName"], r["Path"])
        for page in roles
        for r in page["Roles"]
        if PREFIX in r["RoleName"]
    ]


def _after_04(owner: boto3.Session) -> dict:
    lam = owner.client("lambda")
    return {
        "function roles": {
            f: lam.get_function_configuration(FunctionName=f)["Role"] for f in FUNCTIONS
        },
        "glue job role": owner.client("glue").get_job(JobName=f"{PREFIX}-etl")["Job"]["Role"],
        "roles": _roles_of_the_kit(owner),
    }


def _exists(call, **params) -> bool:
    try:
        call(**params)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in (
            "404",
            "NoSuchEntity",
            "NoSuchBucket",
            "ValidationError",
        ):
            return False
        raise


def _state(owner: boto3.Session, outputs: dict[str, str]) -> dict:
    s3, iam = owner.client("s3"), owner.client("iam")
    bucket = outputs["BucketName"]
    state = {
        "roles": {
            name: _exists(iam.get_role, RoleName=role_name(arn))
            for name, arn in stack_roles(outputs).items()
        },
        "bucket": _exists(s3.head_bucket, Bucket=bucket),
        "stack": _exists(owner.client("cloudformation").describe_stacks, StackName=STACK),
    }
    if state["bucket"]:
        state["kit objects"] = {
            folder: s3.list_objects_v2(Bucket=bucket, Prefix=folder)["KeyCount"]
            for folder in cleanup.KIT_PREFIXES
        }
    return state


def _lines(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture(scope="module")
def stack_run(tmp_path_factory) -> StackRun:
    log = tmp_path_factory.mktemp("requests") / "requests.jsonl"
    out = tmp_path_factory.mktemp("notebooks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_REQUEST_LOG, str(log))  # the emulator started below logs every request
        with fresh_emulator(tmp_path_factory.mktemp("state")):
            owner = owner_session()
            outputs, stack_id = deploy(owner, STACK, PREFIX)
            marks = {"notebooks": _lines(log)}
            results = run_notebooks(
                "local", {"stack": STACK}, output_dir=out, only=["01", "02", "03", "04"]
            )
            run = StackRun(outputs, stack_id, results, [], marks)
            run.policies = deployed_policies(owner, outputs)
            bucket = outputs["BucketName"]
            run.bucket_policy = json.loads(
                owner.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
            )
            if all(r.status == "ok" for r in results):
                run.after_04 = _after_04(owner)
                run.results += run_notebooks("local", {"stack": STACK}, output_dir=out, only=["05"])
                run.after_05 = _state(owner, outputs)
                marks["cli"] = _lines(log)
                run.cli_exit = main(["cleanup", "--stack", STACK, "--delete-stack"])
                run.after_cli = _state(owner, outputs)
            marks.setdefault("cli", _lines(log))
    run.log = read_log(log)
    return run


def _ok(run: StackRun) -> None:
    failed = [r.error for r in run.results if r.status != "ok"]
    assert not failed, failed


def test_every_notebook_ran_with_the_stack(stack_run):
    assert [(r.notebook[:2], r.status) for r in stack_run.results] == [
        ("01", "ok"),
        ("02", "ok"),
        ("03", "ok"),
        ("04", "ok"),
        ("05", "ok"),
    ], [r.error for r in stack_run.results]


def test_the_functions_and_the_glue_job_run_with_the_stacks_roles(stack_run):
    _ok(stack_run)
    outputs = stack_run.outputs
    assert stack_run.after_04["function roles"] == {
        f"{PREFIX}-recommendations-api": outputs["RecommendationsApiRoleArn"],
        f"{PREFIX}-segment-destination": outputs["SegmentDestinationRoleArn"],
    }
    assert stack_run.after_04["glue job role"] == outputs["GlueJobRoleArn"]
    for arn in (*stack_run.after_04["function roles"].values(), outputs["GlueJobRoleArn"]):
        assert arn.startswith(f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role{stack.ROLE_PATH}{STACK}-")


def test_every_role_handed_to_a_service_is_the_stacks(stack_run):
    """Personalize's import and batch jobs too: every Role/roleArn the notebooks sent."""
    handed = {
        (e["operation"], e["params"].get("Role") or e["params"].get("roleArn"))
        for e in stack_run.phase("notebooks", "cli")
        if e["key"] == learner_key(stack_run)
        and (e["params"].get("Role") or e["params"].get("roleArn"))
    }
    outputs = stack_run.outputs
    assert handed == {
        ("CreateFunction", outputs["RecommendationsApiRoleArn"]),
        ("CreateFunction", outputs["SegmentDestinationRoleArn"]),
        ("CreateJob", outputs["GlueJobRoleArn"]),
        ("CreateDatasetImportJob", outputs["PersonalizeRoleArn"]),
        ("CreateBatchInferenceJob", outputs["PersonalizeRoleArn"]),
    }


def test_segment_invoked_the_function_through_the_stacks_role(stack_run):
    """The emulated Segment assumes roleAddress with the workspace id before each invoke; a
    trust policy that does not match stops it before any Invoke."""
    segment = role_access_key(stack_run.outputs["SegmentInvokeRoleArn"])  # the role it assumed
    invokes = [e for e in stack_run.log if e["key"] == segment and e["operation"] == "Invoke"]
    assert invokes
    functions = {e["params"]["FunctionName"].rsplit(":", 1)[-1] for e in invokes}  # name or ARN
    assert functions == {f"{PREFIX}-segment-destination"}


def test_the_notebooks_create_no_role_of_their_own(stack_run):
    _ok(stack_run)
    assert stack_run.after_04["roles"]
    assert [r for r in stack_run.after_04["roles"] if r[1] != stack.ROLE_PATH] == []
    iam_writes = [
        (e["key"], e["operation"])
        for e in stack_run.phase("notebooks")
        if e["service"] == "iam" and not e["operation"].startswith(("Get", "List"))
    ]
    assert iam_writes == []


def test_after_05_the_stack_keeps_its_roles_and_bucket_and_the_kits_folders_are_gone(stack_run):
    _ok(stack_run)
    state = stack_run.after_05
    assert state["stack"] is True
    assert state["roles"] == dict.fromkeys(stack_roles(stack_run.outputs), True)
    assert state["bucket"] is True
    assert state["kit objects"] == dict.fromkeys(cleanup.KIT_PREFIXES, 0)


def test_the_cleanup_cli_deletes_the_stack(stack_run):
    _ok(stack_run)
    assert stack_run.cli_exit == 0
    state = stack_run.after_cli
    assert state["stack"] is False
    assert state["bucket"] is False
    assert state["roles"] == dict.fromkeys(stack_roles(stack_run.outputs), False)


def _coverage(run: StackRun, start: str, end: str | None = None, unchecked=frozenset()):
    functions = {f: role_name(arn) for f, arn in run.after_04.get("function roles", {}).items()}
    by_role_name = {role_name(arn): name for name, arn in stack_roles(run.outputs).items()}
    attribution = Attribution.of(
        [learner_key(run)], stack_roles(run.outputs), [OWNER_KEY, PLACEHOLDER_KEY]
    )
    where = Where(LOCAL_ACCOUNT_ID, REGION, {STACK: run.stack_id, run.stack_id: run.stack_id})
    return gaps(
        run.phase(start, end),
        attribution,
        run.policies,
        where,
        functions={f: by_role_name[r] for f, r in functions.items()},
        unchecked=unchecked,
    )


def test_every_aws_call_is_attributed_to_a_principal(stack_run):
    _ok(stack_run)
    _, unknown = _coverage(stack_run, "notebooks")
    assert unknown == [], "\n".join(["requests nobody could be named for:", *unknown])


def test_every_principal_of_the_stack_made_calls(stack_run):
    """The attribution works: the learner, every role of the stack (the notebook role apart)."""
    _ok(stack_run)
    attribution = Attribution.of(
        [learner_key(stack_run)], stack_roles(stack_run.outputs), [OWNER_KEY]
    )
    seen = {attribution.principal(e) for e in stack_run.phase("notebooks")}
    assert {LEARNER, *stack_roles(stack_run.outputs)} - seen == set()


def test_the_stacks_policies_allow_every_call_of_the_notebooks(stack_run):
    _ok(stack_run)
    refusals, _ = _coverage(stack_run, "notebooks", "cli")
    assert refusals == [], "\n".join(["calls the stack's policies refuse:", *refusals])


def test_the_learner_policy_allows_the_cleanup_cli_up_to_the_stack_delete(stack_run):
    _ok(stack_run)
    refusals, unknown = _coverage(stack_run, "cli", unchecked=OWNER_ONLY)
    assert refusals == [], "\n".join(["calls the stack's policies refuse:", *refusals])
    assert unknown == []


def test_the_bucket_policy_lets_personalize_make_its_s3_calls(stack_run):
    """Personalize reads and writes S3 only when the bucket policy lets its service principal
    in as well as the role it was given (its documented requirement): each S3 call of its import
    and batch jobs must be allowed by the bucket policy's Personalize statements too."""
    _ok(stack_run)
    attribution = Attribution.of([learner_key(stack_run)], stack_roles(stack_run.outputs))
    calls = [e for e in stack_run.log if attribution.principal(e) == "PersonalizeRole"]
    assert {e["operation"] for e in calls} == {"GetObject", "PutObject"}
    personalize = [
        s
        for s in stack_run.bucket_policy["Statement"]
        if s.get("Principal") == {"Service": "personalize.amazonaws.com"}
    ]
    where = Where(LOCAL_ACCOUNT_ID, REGION)
    refusals, _ = gaps(calls, attribution, {"PersonalizeRole": [{"Statement": personalize}]}, where)
    assert refusals == [], "\n".join(["the bucket policy refuses Personalize:", *refusals])
