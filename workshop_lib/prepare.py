"""``python -m workshop_lib prepare``: run the long steps before the event, through the notebooks.

On AWS, notebook 02 takes 1.5-2.5 hours (imports, training, campaigns, the batch job): more than
a two-hour session has. Run in each learner's account the evening before, `prepare` executes
notebooks 01 and 02 with the runner, as a learner first sees them (the "Your turn" tasks left
undone), with a cell timeout long enough for training. Every create in them is idempotent by name
(`ensure(...)`), so in the session notebook 02 finds the dataset group, the trained solution
versions, the campaigns, the filter and the batch job ACTIVE and its cells go on in seconds; the
learner's own fourth solution (the task) is the one training left for the session.

It then lists what notebook 02 will reuse, found by name as the notebooks find it, and what
leaving it overnight costs (estimates, from the figures of setup/README.md). With ``--check`` it
only lists: the morning of the event, to see that everything is still ACTIVE.

Nothing is skipped: the batch job costs cents (500 recommendations) but takes 20-40 minutes on
AWS, which would otherwise be the one slow cell of the session; the campaigns are what bills
overnight, and they are what the session needs ACTIVE (10-15 minutes to create). Notebooks 03 and
04 are not run: they take minutes, and building them is the session's exercises.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import REPO_ROOT
from .runner import CELL_TIMEOUT_SECONDS, NotebookResult, run_notebooks, summary_table
from .settings import ENV_PORT, ENV_STACK, ENV_TARGET, WorkshopConfigError, resolve_target

NOTEBOOKS = ["01", "02"]  # 01 writes what 02 imports; 02 holds every long step
DEFAULT_OUTPUT_DIR = REPO_ROOT / "build" / "prepare"
ACTIVE = "ACTIVE"
# What notebook 02 creates, by the suffix of its name (ws.name(...)); import and batch job
# names carry a timestamp or a version id, so they are found through their dataset or version.
DATASET_GROUP = "dataset-group"
DATASETS = ("interactions", "items")
SOLUTIONS = ("user-personalization", "similar-items", "popularity-count")
CAMPAIGNS = ("user-personalization", "similar-items")
FILTER = "exclude-purchased"
BATCH_SOLUTION = "user-personalization"  # the batch job runs on this solution's version
# Cost figures of setup/README.md ("What it costs"), estimates: two campaigns at
# minProvisionedTPS=1 are 48 TPS-hours a day, "about $10 a day for both".
USD_PER_TPS_HOUR = 10 / 48
NIGHT_HOURS = 15  # prepared at 18:00 for a session at 09:00


@dataclass(frozen=True)
class Found:
    """One Personalize resource notebook 02 uses, as found by name."""

    kind: str  # "dataset group", "dataset", "solution", "campaign", "filter", "batch job"
    name: str
    status: str  # Personalize's status, or "missing"
    part: str = ""  # what else must be ACTIVE: a dataset's "import", a solution's "version"
    part_status: str = ""  # its status (the newest one), or "missing"
    needed: bool = True  # notebook 02 (without the tasks) needs it ACTIVE
    tps: int = 0  # a campaign's minProvisionedTPS

    @property
    def ready(self) -> bool:
        return self.status == ACTIVE and (not self.part or self.part_status == ACTIVE)

    @property
    def detail(self) -> str:
        if self.status == "missing":
            return ""
        if self.part:
            return f"{self.part} {self.part_status}"
        return f"minProvisionedTPS {self.tps}" if self.kind == "campaign" else ""


def _pages(client: Any, method: str, key: str, **parent: str | None) -> list[dict]:
    """Every item of a listing; none when its parent (a dataset group, ...) is missing."""
    if any(value is None for value in parent.values()):
        return []
    pages = client.get_paginator(method).paginate(**parent)
    return [item for page in pages for item in page[key]]


def _named(items: list[dict], name: str) -> dict | None:
    return next((i for i in items if i.get("name", i.get("jobName")) == name), None)


def _latest(items: list[dict]) -> dict | None:
    return max(items, key=lambda i: i["creationDateTime"]) if items else None


def inventory(personalize: Any, prefix: str) -> list[Found]:
    """What notebook 02 needs, found by name under `prefix` as its `ensure` calls find it, plus
    the dataset group's other solutions and filters (a learner's own): one Found each."""

    def name(suffix: str) -> str:
        return f"{prefix}-{suffix}"

    groups = _pages(personalize, "list_dataset_groups", "datasetGroups")
    group = _named(groups, name(DATASET_GROUP)) or {}
    group_arn = group.get("datasetGroupArn")
    found = [Found("dataset group", name(DATASET_GROUP), group.get("status", "missing"))]

    datasets = _pages(personalize, "list_datasets", "datasets", datasetGroupArn=group_arn)
    for suffix in DATASETS:
        dataset = _named(datasets, name(suffix)) or {}
        job = _latest(
            _pages(
                personalize,
                "list_dataset_import_jobs",
                "datasetImportJobs",
                datasetArn=dataset.get("datasetArn"),
            )
        )
        status = dataset.get("status", "missing")
        found.append(
            Found("dataset", name(suffix), status, "import", (job or {}).get("status", "missing"))
        )

    solutions = {
        s["name"]: s
        for s in _pages(personalize, "list_solutions", "solutions", datasetGroupArn=group_arn)
    }
    needed = {name(s) for s in SOLUTIONS}
    versions: dict[str, dict] = {}
    for solution_name in sorted(needed | set(solutions)):
        solution = solutions.get(solution_name, {})
        version = _latest(
            _pages(
                personalize,
                "list_solution_versions",
                "solutionVersions",
                solutionArn=solution.get("solutionArn"),
            )
        )
        if version:
            versions[solution_name] = version
        found.append(
            Found(
                "solution",
                solution_name,
                solution.get("status", "missing"),
                "version",
                (version or {}).get("status", "missing"),
                needed=solution_name in needed,
            )
        )

    for suffix in CAMPAIGNS:
        arn = solutions.get(name(suffix), {}).get("solutionArn")
        campaigns = _pages(personalize, "list_campaigns", "campaigns", solutionArn=arn)
        campaign = _named(campaigns, name(suffix))
        if campaign is None:
            found.append(Found("campaign", name(suffix), "missing"))
            continue
        described = personalize.describe_campaign(campaignArn=campaign["campaignArn"])["campaign"]
        tps = int(described.get("minProvisionedTPS", 1))
        found.append(Found("campaign", campaign["name"], campaign["status"], tps=tps))

    filters = {
        f["name"]: f
        for f in _pages(personalize, "list_filters", "Filters", datasetGroupArn=group_arn)
    }
    for filter_name in sorted({name(FILTER)} | set(filters)):
        status = filters.get(filter_name, {}).get("status", "missing")
        found.append(Found("filter", filter_name, status, needed=filter_name == name(FILTER)))

    # notebook 02 names its batch job after the version it runs on
    version_arn = versions.get(name(BATCH_SOLUTION), {}).get("solutionVersionArn")
    job_name = name(f"batch-{version_arn.rsplit('/', 1)[-1] if version_arn else '<version id>'}")
    jobs = _pages(
        personalize,
        "list_batch_inference_jobs",
        "batchInferenceJobs",
        solutionVersionArn=version_arn,
    )
    job = _named(jobs, job_name) or {}
    found.append(Found("batch job", job_name, job.get("status", "missing")))
    return found


def summary(found: list[Found], where: str, cleanup_command: str, local: bool) -> str:
    """The text `prepare` ends with: what notebook 02 will reuse, and what it costs to leave it
    until the session (estimates; on the local target nothing)."""
    needed = [f for f in found if f.needed]
    not_ready = [f for f in needed if not f.ready]
    width = max(len(f.name) for f in found)
    lines = [f"What notebook 02 will reuse (found by name, {where}):"]
    for f in found:
        mine = "" if f.needed else "   (not prepare's: a learner's own)"
        detail = f"  {f.detail}" if f.detail else ""
        lines.append(f"  {f.kind:<13}  {f.name:<{width}}  {f.status}{detail}{mine}")
    if not_ready and all(f.status == "missing" for f in not_ready) and not_ready == needed:
        lines += [
            "",
            f"NOT READY: none of the {len(needed)} resources notebook 02 needs exists yet.",
        ]
    elif not_ready:
        names = ", ".join(
            f"{f.name} ({f.status}{', ' + f.detail if f.detail else ''})" for f in not_ready
        )
        lines += [
            "",
            f"NOT READY: {len(not_ready)} of the {len(needed)} resources notebook 02 needs are "
            f"not ACTIVE: {names}.",
            "Run prepare again: it reuses what exists and waits for the rest.",
        ]
    else:
        lines += [
            "",
            f"Ready: all {len(needed)} resources notebook 02 needs are ACTIVE; in the session its "
            "cells reuse them and go on in seconds.",
        ]
    campaigns = [f for f in found if f.kind == "campaign" and f.status == ACTIVE]
    tps = sum(f.tps for f in campaigns)
    per_hour = tps * USD_PER_TPS_HOUR
    trained = [f for f in found if f.kind == "solution" and f.part_status == ACTIVE]
    lines += ["", "What it costs to leave it until the session, on AWS (estimates, not quotes):"]
    if campaigns:
        each = " + ".join(str(f.tps) for f in campaigns)
        lines += [
            f"  campaigns  {len(campaigns)} ACTIVE (minProvisionedTPS {each}): {tps} TPS-hour"
            f"{'s' if tps != 1 else ''} every hour, idle or not,",
            f"             about ${per_hour:.2f} an hour: about ${per_hour * NIGHT_HOURS:.0f} "
            f"for a {NIGHT_HOURS}-hour night (18:00 to 09:00), ${per_hour * 24:.0f} a day",
        ]
    else:
        lines.append("  campaigns  none ACTIVE: nothing bills by the hour")
    if trained:
        versions = f"{len(trained)} solution version{'s' if len(trained) != 1 else ''}"
        lines += [
            f"  training   {versions}, trained once: a few training hours, a few dollars at most",
            "             (billed while training; nothing more overnight)",
        ]
    else:
        lines.append("  training   no solution version trained yet")
    lines += [
        "  the rest   imports, the batch job (500 recommendations), S3 and logs: cents",
        "  (figures: setup/README.md#what-it-costs)",
    ]
    if local:
        lines.append("  (this is the local target: it costs nothing)")
    lines += ["", f"After the event, delete it all (campaigns first): {cleanup_command}"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m workshop_lib prepare` (those of `run` and `cleanup`)."""
    parser.add_argument(
        "--target", choices=["local", "aws"], help=f"default: ${ENV_TARGET} or local"
    )
    parser.add_argument("--stack", help=f"the setup/ stack's name (default: ${ENV_STACK})")
    parser.add_argument("--region", help="AWS region (default: $AWS_REGION; us-east-1 locally)")
    parser.add_argument(
        "--prefix", help="resource name prefix (default: the stack's, or $WORKSHOP_PREFIX)"
    )
    parser.add_argument("--bucket", help="the bucket to use, if not the kit's (or the stack's)")
    parser.add_argument("--port", help=f"emulator port (default: ${ENV_PORT} or 4599)")
    parser.add_argument(
        "--cell-timeout",
        type=int,
        help="seconds per cell (default: local 600, aws 10800, enough for training)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="where the executed notebooks go (default: build/prepare)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run nothing: list what is ready and what it costs (the morning of the event)",
    )


def _cleanup_command(args: argparse.Namespace, target: str) -> str:
    words = ["python -m workshop_lib cleanup", f"--target {target}"]
    for option in ("stack", "region", "prefix", "bucket", "port"):
        value = getattr(args, option)
        if value:
            words.append(f"--{option} {value}")
    return " ".join(words)


def main(args: argparse.Namespace) -> int:
    """Run notebooks 01 and 02 without the tasks, then print the runner's table and the summary;
    0 when everything notebook 02 needs is ACTIVE."""
    from .connection import connect

    if args.port:
        os.environ[ENV_PORT] = str(args.port)  # the kernels inherit it
    try:
        target = resolve_target(args.target)
        # connect first: a wrong region, credential or stack is one line now, not after an hour
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet):
            ws = connect(target, args.region, args.prefix, args.port, args.bucket, args.stack)
    except (WorkshopConfigError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(ws.describe())
    failed: list[NotebookResult] = []
    if not args.check:
        timeout = args.cell_timeout or CELL_TIMEOUT_SECONDS[target]
        params = {
            name: value
            for name, value in {
                "stack": args.stack,
                "region": args.region,
                "prefix": args.prefix,
                "bucket": args.bucket,
            }.items()
            if value
        }
        print(
            f"\nPreparing: notebooks {' and '.join(NOTEBOOKS)} without the tasks, "
            f"cells up to {timeout} s (on AWS 2-3 hours, an estimate: imports, training, "
            "campaigns)."
        )
        try:
            results = run_notebooks(
                target,
                params,
                output_dir=args.output_dir.resolve(),
                cell_timeout=timeout,
                only=NOTEBOOKS,
                solutions=False,
            )
        except (WorkshopConfigError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print()
        print(summary_table(results))
        failed = [r for r in results if r.status != "ok"]
        for r in failed:
            if r.error:
                print(f"\n{r.error}", file=sys.stderr)
    print()
    from botocore.exceptions import ClientError

    try:
        found = inventory(ws.client("personalize"), ws.prefix)
    except ClientError as exc:  # e.g. AccessDenied: an identity without LearnerPolicy
        error = exc.response.get("Error", {})
        print(
            f"error: listing Personalize: {error.get('Code')}: {error.get('Message')}",
            file=sys.stderr,
        )
        return 1
    where = f"prefix {ws.prefix}, region {ws.region}, {ws.target} target"
    print(summary(found, where, _cleanup_command(args, target), local=target == "local"))
    ready = all(f.ready for f in found if f.needed)
    return 0 if ready and not failed else 1
