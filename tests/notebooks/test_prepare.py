"""`python -m workshop_lib prepare --stack NAME` on the local target, through the stack path.

The setup/ stack is deployed into a private emulator (tests/notebooks/setup_stack.py, as
test_stack_path.py does); `prepare` runs notebooks 01 and 02 with the stack, without the tasks.
Then notebook 02 runs again as a learner runs it in the session, through the runner: first as
the learner first sees it, then with the tasks solved. Asserted: prepare said everything is
ready; the session's run created nothing (every Personalize ARN is the same before and after,
and its cells say "exists already" for each create); with the tasks solved, the only new
resources are the learner's own (a fourth solution and its version, a filter), and the three
prepared solutions keep their versions. The durations are printed, not asserted: prepare's
run of 02 is the cold run, the session's runs are the warm ones.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass, field

import boto3
import pytest

from tests.notebooks.fresh_emulator import REGION, cell, fresh_emulator, outputs
from tests.notebooks.iam_coverage import LEARNER, Attribution, Where, gaps, read_log
from tests.notebooks.setup_stack import (
    OWNER_KEY,
    deploy,
    deployed_policies,
    owner_session,
    stack_roles,
)
from workshop_lib import prepare
from workshop_lib.__main__ import main
from workshop_lib.emulator.iam.principals import learner_access_key
from workshop_lib.emulator.request_log import ENV_REQUEST_LOG
from workshop_lib.runner import NotebookResult, run_notebooks
from workshop_lib.settings import LOCAL_ACCOUNT_ID

pytestmark = pytest.mark.slow

STACK = "prepared"
PREFIX = "prepared"  # the stack's Prefix parameter: the notebooks' names start with it
NOTEBOOK = "02_personalize_train_and_deploy.ipynb"
# notebook 02's creates, as ensure() reports a reuse: "<Kind> '<name>' exists already"
REUSED = {
    ("Dataset group", f"{PREFIX}-dataset-group"),
    ("Schema", f"{PREFIX}-interactions-schema"),
    ("Schema", f"{PREFIX}-items-schema"),
    ("Dataset", f"{PREFIX}-interactions"),
    ("Dataset", f"{PREFIX}-items"),
    ("Solution", f"{PREFIX}-user-personalization"),
    ("Solution", f"{PREFIX}-similar-items"),
    ("Solution", f"{PREFIX}-popularity-count"),
    ("Campaign", f"{PREFIX}-user-personalization"),
    ("Campaign", f"{PREFIX}-similar-items"),
    ("Filter", f"{PREFIX}-exclude-purchased"),
}
PREPARED_SOLUTIONS = {f"{PREFIX}-{s}" for s in prepare.SOLUTIONS}


@dataclass
class Prepared:
    exit_code: int
    printed: str
    results: list[NotebookResult]  # prepare's runs of 01 and 02
    before: dict[str, set[str]]  # Personalize ARNs by kind, after prepare
    session: dict[str, NotebookResult] = field(default_factory=dict)  # "as seen", "tasks done"
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # run -> cell outputs
    after: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # run -> ARNs
    check_exit: int | None = None
    check_printed: str = ""
    check_requests: list[dict] = field(default_factory=list)  # what `prepare --check` called
    policies: dict[str, list[dict]] = field(default_factory=dict)  # the deployed stack's
    roles: dict[str, str] = field(default_factory=dict)
    learner_key: str = ""  # connect(stack=...) signs the kernel's calls as LearnerPolicy's
    stack_id: str = ""


def _pages(client, method: str, key: str, **params) -> list[dict]:
    return [i for page in client.get_paginator(method).paginate(**params) for i in page[key]]


def _arns(personalize) -> dict[str, set[str]]:
    """Every Personalize resource in the emulator, ARNs by kind."""
    arns: dict[str, set[str]] = {}

    def add(kind: str, arn: str) -> None:
        arns.setdefault(kind, set()).add(arn)

    for group in _pages(personalize, "list_dataset_groups", "datasetGroups"):
        group_arn = group["datasetGroupArn"]
        add("dataset group", group_arn)
        for dataset in _pages(personalize, "list_datasets", "datasets", datasetGroupArn=group_arn):
            add("dataset", dataset["datasetArn"])
            for job in _pages(
                personalize,
                "list_dataset_import_jobs",
                "datasetImportJobs",
                datasetArn=dataset["datasetArn"],
            ):
                add("import job", job["datasetImportJobArn"])
        for solution in _pages(
            personalize, "list_solutions", "solutions", datasetGroupArn=group_arn
        ):
            add("solution", solution["solutionArn"])
            for version in _pages(
                personalize,
                "list_solution_versions",
                "solutionVersions",
                solutionArn=solution["solutionArn"],
            ):
                add("solution version", version["solutionVersionArn"])
            for campaign in _pages(
                personalize, "list_campaigns", "campaigns", solutionArn=solution["solutionArn"]
            ):
                add("campaign", campaign["campaignArn"])
        for f in _pages(personalize, "list_filters", "Filters", datasetGroupArn=group_arn):
            add("filter", f["filterArn"])
    for schema in _pages(personalize, "list_schemas", "schemas"):
        add("schema", schema["schemaArn"])
    for job in _pages(personalize, "list_batch_inference_jobs", "batchInferenceJobs"):
        add("batch job", job["batchInferenceJobArn"])
    return arns


def _printed(argv: list[str]) -> tuple[int, str]:
    """`python -m workshop_lib <argv>` in this process: its exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Prepared:
    saved = dict(os.environ)  # connect() in this process sets AWS_REGION and the like
    try:
        return _prepare_then_session(tmp_path_factory)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _prepare_then_session(tmp_path_factory) -> Prepared:
    log = tmp_path_factory.mktemp("requests") / "requests.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_REQUEST_LOG, str(log))  # the emulator started below logs every request
        with fresh_emulator(tmp_path_factory.mktemp("state")):
            owner = owner_session()
            stack_outputs, stack_id = deploy(owner, STACK, PREFIX)
            ran: list[NotebookResult] = []

            def recording(*args, **kwargs) -> list[NotebookResult]:
                results = run_notebooks(*args, **kwargs)
                ran.extend(results)
                return results

            patch.setattr(prepare, "run_notebooks", recording)
            out = tmp_path_factory.mktemp("prepare")
            code, printed = _printed(["prepare", "--stack", STACK, "--output-dir", str(out)])
            personalize = boto3.client("personalize", region_name=REGION)
            run = Prepared(code, printed, list(ran), _arns(personalize))
            for label, solutions in (("as seen", False), ("tasks done", True)):
                session_out = tmp_path_factory.mktemp("session")
                [result] = run_notebooks(
                    "local",
                    {"stack": STACK},
                    output_dir=session_out,
                    only=["02"],
                    solutions=solutions,
                )
                run.session[label] = result
                if result.status == "ok":
                    run.texts[label] = outputs(session_out / NOTEBOOK)
                run.after[label] = _arns(personalize)
            start = len(read_log(log))
            run.check_exit, run.check_printed = _printed(["prepare", "--check", "--stack", STACK])
            run.check_requests = read_log(log)[start:]
            run.policies = deployed_policies(owner, stack_outputs)
            run.roles, run.stack_id = stack_roles(stack_outputs), stack_id
            run.learner_key = learner_access_key(stack_outputs["LearnerPolicyArn"])
    for result in run.results:
        print(f"\n{result.notebook}, cold (prepare's run, tasks undone): {result.seconds:.1f} s")
    for label, result in run.session.items():
        print(f"{NOTEBOOK}, in the session after prepare ({label}): {result.seconds:.1f} s")
    return run


def _reused(text: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^(\w[\w ]*?) '([^']+)' exists already: using it", text, re.M))


def test_prepare_runs_01_and_02_and_says_everything_is_ready(prepared):
    assert [(r.notebook[:2], r.status) for r in prepared.results] == [("01", "ok"), ("02", "ok")], [
        r.error for r in prepared.results
    ]
    assert prepared.exit_code == 0, prepared.printed
    assert "Ready: all 10 resources notebook 02 needs are ACTIVE" in prepared.printed
    assert f"stack   {STACK}: the bucket and 6 roles" in prepared.printed
    for name in (*PREPARED_SOLUTIONS, f"{PREFIX}-exclude-purchased"):
        assert re.search(rf"^  \w[\w ]+ +{name} +ACTIVE", prepared.printed, re.M), name
    assert "2 ACTIVE (minProvisionedTPS 1 + 1): 2 TPS-hours every hour" in prepared.printed
    assert f"cleanup --target local --stack {STACK}" in prepared.printed


def test_prepare_left_the_tasks_to_the_learner(prepared):
    """Trained: the three solutions of the notebook, not the task's fourth; one filter."""
    names = {arn.rsplit("/", 1)[1] for arn in prepared.before["solution"]}
    assert names == PREPARED_SOLUTIONS
    assert len(prepared.before["solution version"]) == 3
    assert len(prepared.before["campaign"]) == 2
    assert {a.rsplit("/", 1)[1] for a in prepared.before["filter"]} == {
        f"{PREFIX}-exclude-purchased"
    }
    assert len(prepared.before["batch job"]) == 1


def test_the_session_run_of_02_creates_nothing(prepared):
    result = prepared.session["as seen"]
    assert result.status == "ok", result.error
    assert prepared.after["as seen"] == prepared.before


def test_the_session_run_of_02_says_it_reuses_every_create(prepared):
    texts = prepared.texts["as seen"]
    reused = _reused("\n".join(texts.values()))
    jobs = {(kind, name) for kind, name in reused if kind.endswith(" job")}
    assert reused - jobs == REUSED
    # jobs are named after their dataset's creation time, or the version they run on
    (version,) = (
        arn
        for arn in prepared.before["solution version"]
        if arn.split("/")[1] == f"{PREFIX}-user-personalization"
    )
    assert sorted(re.sub(r"-\d{14}$", "", name) for _, name in jobs) == [
        f"{PREFIX}-batch-{version.rsplit('/', 1)[1]}",
        f"{PREFIX}-interactions",
        f"{PREFIX}-items",
    ]
    versions = cell(texts, "personalize.create_solution_version")
    assert versions.count("The solution has a version already (ACTIVE): using it.") == 3


def test_with_the_tasks_done_only_the_learners_own_resources_are_new(prepared):
    result = prepared.session["tasks done"]
    assert result.status == "ok", result.error
    before, after = prepared.before, prepared.after["tasks done"]
    new = {kind: sorted(after[kind] - before.get(kind, set())) for kind in after}
    new = {kind: arns for kind, arns in new.items() if arns}
    assert {kind: [a.split(":", 5)[5] for a in arns] for kind, arns in new.items()} == {
        "solution": [f"solution/{PREFIX}-no-recency"],
        "solution version": [new["solution version"][0].split(":", 5)[5]],
        "filter": [f"filter/{PREFIX}-only-footwear"],
    }
    assert new["solution version"][0].startswith(
        f"arn:aws:personalize:{REGION}:123456789012:solution/{PREFIX}-no-recency/"
    )
    assert all(set(before[kind]) <= set(after[kind]) for kind in before)
    prepared_versions = {
        arn for arn in after["solution version"] if arn.split("/")[1] in PREPARED_SOLUTIONS
    }
    assert prepared_versions == before["solution version"]


def test_check_lists_the_learners_own_apart(prepared):
    assert prepared.check_exit == 0, prepared.check_printed
    assert "Preparing:" not in prepared.check_printed  # --check runs no notebook
    assert re.search(
        rf"^  solution +{PREFIX}-no-recency +ACTIVE  version ACTIVE   \(not prepare's",
        prepared.check_printed,
        re.M,
    )
    assert "3 solution versions" not in prepared.check_printed
    assert "4 solution versions, trained once" in prepared.check_printed


def test_the_learner_policy_allows_what_check_calls(prepared):
    """`prepare --check` the morning of the event may run with a learner's rights: every call
    it made (connect, the stack's outputs, the listings) is allowed by LearnerPolicy."""
    assert prepared.check_requests
    assert {e["operation"] for e in prepared.check_requests} >= {
        "DescribeStacks",
        "ListDatasetGroups",
        "ListSolutionVersions",
        "DescribeCampaign",
        "ListBatchInferenceJobs",
    }
    # "test": connect reads the stack before it signs as the learner
    keys = ["test", prepared.learner_key]
    attribution = Attribution.of(keys, prepared.roles, [OWNER_KEY])
    where = Where(
        LOCAL_ACCOUNT_ID, REGION, {STACK: prepared.stack_id, prepared.stack_id: prepared.stack_id}
    )
    refusals, unknown = gaps(prepared.check_requests, attribution, prepared.policies, where)
    assert refusals == [], "\n".join(["calls LearnerPolicy refuses:", *refusals])
    assert unknown == []
    assert {attribution.principal(e) for e in prepared.check_requests} == {LEARNER}
