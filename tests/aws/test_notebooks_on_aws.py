"""Notebooks 01-04 end to end on a real AWS account through the kit's runner, then the kit's
cleanup; afterwards nothing the kit created may be left.

Why: the emulator tests prove the kit's logic; only a real account proves the IAM policies,
the waits and the service behaviour a learner meets. Run it before an event and after changing
setup/workshop-stack.yaml or any helper that creates something on AWS.

How to run (from the repository root; it takes about 1.5-2.5 hours):

    WORKSHOP_TEST_AWS=1 AWS_PROFILE=<profile> AWS_REGION=us-east-1 \\
        .venv/bin/pytest tests/aws -p no:cacheprovider -rs

- Skipped unless WORKSHOP_TEST_AWS=1 (root conftest.py, through the `aws` marker), and skipped
  with the reason when no credentials or no region can be found (nothing is called then).
- Names start with a prefix of this run's own, `ws-ci-<UTC yyyymmddhhmm>-<4 hex>`, printed at
  the start, so it never touches a learner's `segment-personalize-*` resources. Without a stack
  the notebooks create their own bucket and IAM roles (the caller needs IAM and S3 rights).
- WORKSHOP_STACK=<stack name>: run against a deployed setup/workshop-stack.yaml stack instead
  (the notebooks get the parameter `stack`; bucket and roles come from its outputs, and so does
  the prefix: the stack's policies only allow `<its Prefix>-*`), so one run per stack at a
  time. The cleanup empties the stack's bucket; the stack itself is not deleted.
- The executed notebooks are kept in pytest's temporary folder (path printed; pytest keeps the
  last three runs' folders), to read what a failing cell showed.

What it costs, roughly (USD, us-east-1 list prices; https://aws.amazon.com/personalize/pricing/):
- Personalize training, the bulk of it: four solutions (notebook 02's three and its task's
  worked solution, trained after them), about 1.5-2.5 hours of wall-clock time, billed per
  training hour (about 0.24 each; one training may use several): about 1-6.
- Two campaigns at minProvisionedTPS=1: about 0.20 per hour each while ACTIVE, from notebook 02
  until the cleanup (about an hour): under 1. The batch job, imports, Glue job run, Athena
  queries, Lambda, API Gateway and logs: cents.

Cleanup always runs: `cleanup.everything` in a `finally` step right after the last notebook,
also when one fails or the run is interrupted (Ctrl-C), before any assertion. Only a killed
process (kill -9, a lost machine) skips it; then run the line this test printed at the start:
`python -m workshop_lib cleanup --target aws --region <region> --prefix <prefix>`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

import workshop_lib
from tests.aws.real_account import ENV_STACK, missing, region, unique_prefix
from tests.exercise1_outputs import interactions_csv
from tests.notebooks.fresh_emulator import cell, outputs
from workshop_lib import cleanup
from workshop_lib.runner import NotebookResult, run_notebooks, summary_table

pytestmark = [pytest.mark.aws, pytest.mark.slow]

NOTEBOOKS = ["01", "02", "03", "04"]


@dataclass
class AwsRun:
    prefix: str
    output_dir: Path
    results: list[NotebookResult]
    passes: list[list[cleanup.Removed]]  # what each cleanup pass did (a second if needed)
    left: list[cleanup.Removed]  # what a dry run still finds afterwards

    def texts(self, number: str) -> dict[str, str]:
        """Each code cell's output in the executed notebook `number`, by the cell's source."""
        [result] = [r for r in self.results if r.notebook.startswith(number)]
        assert result.status == "ok", result.error or f"{result.notebook} was not run"
        return outputs(self.output_dir / result.notebook)


@contextlib.contextmanager
def _shown(config: pytest.Config):
    """Print straight to the terminal: the prefix, the folder and the progress of a two-hour
    run are wanted while it runs, not only when a test fails."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        yield


def _connect(where: str, stack: str | None, prefix: str) -> workshop_lib.Workshop:
    """The cleanup's Workshop, resolved as the notebooks resolve theirs. `stack` is passed only
    when set; with a stack, its Prefix output names everything (a prefix argument that
    differed would be an error)."""
    if stack:
        return workshop_lib.connect(target="aws", region=where, stack=stack)
    return workshop_lib.connect(target="aws", region=where, prefix=prefix)


@pytest.fixture(scope="module")
def aws_run(pytestconfig, tmp_path_factory) -> AwsRun:
    problem = missing()
    if problem:
        pytest.skip(problem)
    where, stack = region(), os.environ.get(ENV_STACK) or None
    out = tmp_path_factory.mktemp("aws-notebooks")
    with _shown(pytestconfig), pytest.MonkeyPatch.context() as patch:
        # connect() exports the region and resets boto3's default session: undone afterwards
        patch.setenv("AWS_REGION", where)
        patch.setenv("AWS_DEFAULT_REGION", where)
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        ws = _connect(where, stack, unique_prefix())
        params = {"region": where, **({"stack": stack} if stack else {"prefix": ws.prefix})}
        print(f"\n{ws.describe()}\nexecuted notebooks: {out}")
        print(
            "if this process dies, clean up with: python -m workshop_lib cleanup --target aws "
            f"--region {where} " + (f"--stack {stack}" if stack else f"--prefix {ws.prefix}")
        )
        try:
            results = run_notebooks("aws", params, output_dir=out, only=NOTEBOOKS)
            print(summary_table(results, out))
        finally:
            passes = [cleanup.everything(ws)]
            print(f"cleanup:\n{cleanup.table(passes[0])}")
            left = cleanup.leftovers(ws)
            if left:  # Personalize and IAM finish some deletes in the background: again
                passes.append(cleanup.everything(ws))
                print(f"cleanup, second pass:\n{cleanup.table(passes[1])}")
                left = cleanup.leftovers(ws)
            print(f"left afterwards: {cleanup.table(left)}")
    return AwsRun(ws.prefix, out, results, passes, left)


def test_every_notebook_ran(aws_run):
    assert [r.notebook[:2] for r in aws_run.results] == NOTEBOOKS
    assert [r.status for r in aws_run.results] == ["ok"] * 4, [r.error for r in aws_run.results]


def test_01_glue_wrote_what_the_kit_computes(aws_run):
    """No live events without a Segment write key: the Glue job's CSV holds exactly what the
    kit's transform makes of the staged sample logs."""
    texts = aws_run.texts("01")
    rows = interactions_csv().count(b"\n") - 1  # the header
    etl = cell(texts, "glue.start_job_run(")
    assert f"Ready: job run of {aws_run.prefix}-etl (SUCCEEDED)." in etl
    assert f"wrote {rows} interactions" in etl
    checks = cell(texts, "athena_counts = sql(")  # Athena's count of the rule == the CSV's
    assert checks.count("True") == 3 and "False" not in checks, checks
    assert all(t.startswith("✔") for s, t in texts.items() if s.startswith("check.")), texts


def test_02_trained_and_deployed(aws_run):
    texts = aws_run.texts("02")
    rows = interactions_csv().count(b"\n") - 1
    inputs = cell(texts, "ex2.interactions(ws)")
    assert inputs.splitlines()[0].endswith(f": {rows:,} interactions")
    training = cell(texts, "personalize.create_solution_version, solutionArn=solution_arn")
    for name in ("user-personalization", "similar-items", "popularity-count"):
        assert re.search(rf"solution-version {aws_run.prefix}-{name}/\w+ \(ACTIVE\)", training)
    campaigns = cell(texts, "personalize.create_campaign,")
    assert campaigns.startswith(
        f"Ready: campaign {aws_run.prefix}-user-personalization (ACTIVE), "
        f"campaign {aws_run.prefix}-similar-items (ACTIVE)."
    )
    filtered = cell(texts, 'name=ws.name("exclude-purchased")')
    assert f"Ready: filter {aws_run.prefix}-exclude-purchased (ACTIVE)." in filtered
    assert "with it 0." in cell(texts, "buyer_whose_purchases_come_back")
    batch = cell(texts, "batch_summary(")
    assert "50 lines, 0 errors, 500 recommendations" in batch, batch
    checks = [t for s, t in texts.items() if s.startswith("check.")]
    assert len(checks) == 2 and all(t.startswith("✔") for t in checks), checks


def test_03_the_api_answers(aws_run):
    texts = aws_run.texts("03")
    assert cell(texts, "personalize.describe_campaign(").count(": ACTIVE") == 3
    assert cell(texts, "lambda_client.remove_permission(").startswith("500 ")
    after = cell(texts, "if response.status_code != 500")
    assert after.startswith("200 application/json"), after
    body = json.loads(after[after.index("{") :])
    assert body["userId"] and body["items"][0]["itemId"]
    bad = cell(texts, '"cheapest"').splitlines()
    assert [line.split()[0] for line in bad] == ["400"] * 6 + ["404"]
    checks = [text for source, text in texts.items() if source.startswith("check.")]
    assert len(checks) == 2 and all(text.startswith("✔") for text in checks), checks
    calls, answered = re.search(
        r"(\d+) calls, (\d+) answered 200", cell(texts, "session.get(")
    ).groups()
    assert int(calls) == int(answered) > 0


def test_04_the_function_sends_events(aws_run):
    texts = aws_run.texts("04")
    assert cell(texts, "exercise4.check_prerequisites(").count("ACTIVE") == 3
    assert re.search(r"trackingId: [0-9a-f-]{36}", cell(texts, "create_event_tracker"))
    invoked = cell(texts, "lambda_.invoke(")
    assert "Ready: event-tracker " in invoked and "(ACTIVE)." in invoked, invoked
    assert "'status': 'sent'" in invoked and "'event': 'Product Viewed'" in invoked, invoked


def test_cleanup_left_nothing(aws_run):
    assert aws_run.left == [], cleanup.table(aws_run.left)
    failed = [r for r in aws_run.passes[-1] if r.result.startswith("failed")]
    assert failed == [], cleanup.table(failed)


def test_cleanup_deleted_the_campaigns(aws_run):
    """The costliest part, found by name and deleted on the first pass."""
    campaigns = {r.name: r.result for r in aws_run.passes[0] if r.kind == "campaign"}
    assert campaigns == {
        f"{aws_run.prefix}-user-personalization": "deleted",
        f"{aws_run.prefix}-similar-items": "deleted",
    }
