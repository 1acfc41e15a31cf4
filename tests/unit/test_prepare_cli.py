"""`python -m workshop_lib prepare`: its arguments reach the runner and connect() as documented,
and its summary says what is ready and what it costs. (The run through the notebooks on the
stack path: tests/notebooks/test_prepare.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.local_workshop import local_workshop
from workshop_lib import connection, prepare
from workshop_lib.__main__ import main
from workshop_lib.prepare import Found, inventory, summary
from workshop_lib.runner import NotebookResult
from workshop_lib.settings import ENV_PORT

P = "class-7"


def _ready() -> list[Found]:
    return [
        Found("dataset group", f"{P}-dataset-group", "ACTIVE"),
        Found("dataset", f"{P}-interactions", "ACTIVE", "import", "ACTIVE"),
        Found("dataset", f"{P}-items", "ACTIVE", "import", "ACTIVE"),
        Found("solution", f"{P}-popularity-count", "ACTIVE", "version", "ACTIVE"),
        Found("solution", f"{P}-similar-items", "ACTIVE", "version", "ACTIVE"),
        Found("solution", f"{P}-user-personalization", "ACTIVE", "version", "ACTIVE"),
        Found("campaign", f"{P}-user-personalization", "ACTIVE", tps=1),
        Found("campaign", f"{P}-similar-items", "ACTIVE", tps=1),
        Found("filter", f"{P}-exclude-purchased", "ACTIVE"),
        Found("batch job", f"{P}-batch-0a1b2c3d", "ACTIVE"),
    ]


@pytest.fixture
def calls(monkeypatch):
    """prepare's runner, connect() and inventory replaced by recorders: what they were given."""
    seen: dict = {"found": _ready(), "status": "ok"}

    def run_notebooks(target, parameters, **kwargs):
        seen["run"] = {"target": target, "parameters": parameters, **kwargs}
        return [
            NotebookResult("01_segment_s3_athena_glue.ipynb", "ok", 12.0),
            NotebookResult("02_personalize_train_and_deploy.ipynb", seen["status"], 7200.0),
        ]

    def connect(*args):
        seen["connect"] = args
        return local_workshop(P, "http://127.0.0.1:4599")

    monkeypatch.setattr(prepare, "run_notebooks", run_notebooks)
    monkeypatch.setattr(connection, "connect", connect)
    monkeypatch.setattr(prepare, "inventory", lambda client, prefix: seen["found"])
    monkeypatch.setenv(ENV_PORT, "4599")  # recorded, so the test's --port is undone after it
    monkeypatch.delenv(ENV_PORT)
    return seen


def test_aws_with_a_stack_runs_01_and_02_without_the_tasks_for_up_to_3_hours_a_cell(calls, capsys):
    code = main(["prepare", "--target", "aws", "--stack", "class-7", "--region", "eu-west-1"])
    assert code == 0
    assert calls["connect"] == ("aws", "eu-west-1", None, None, None, "class-7")
    run = calls["run"]
    assert run["target"] == "aws"
    assert run["parameters"] == {"stack": "class-7", "region": "eu-west-1"}
    assert run["only"] == ["01", "02"]
    assert run["solutions"] is False
    assert run["cell_timeout"] == 3 * 3600
    assert run["output_dir"] == Path(prepare.REPO_ROOT, "build", "prepare")
    printed = capsys.readouterr().out
    assert "cells up to 10800 s" in printed
    assert "02_personalize_train_and_deploy.ipynb  ok       7200.0" in printed
    assert printed.rstrip().endswith(
        "python -m workshop_lib cleanup --target aws --stack class-7 --region eu-west-1"
    )


def test_local_options_reach_the_notebooks_and_the_emulator(calls, tmp_path, monkeypatch):
    code = main(
        [
            "prepare",
            "--target",
            "local",
            "--prefix",
            "class-7",
            "--port",
            "4731",
            "--bucket",
            "my-bucket",
            "--cell-timeout",
            "900",
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert calls["connect"] == ("local", None, "class-7", "4731", "my-bucket", None)
    assert calls["run"]["parameters"] == {"prefix": "class-7", "bucket": "my-bucket"}
    assert calls["run"]["cell_timeout"] == 900
    assert calls["run"]["output_dir"] == tmp_path
    assert os.environ[ENV_PORT] == "4731"  # the kernels inherit it


def test_local_default_cell_timeout_is_the_runners(calls):
    assert main(["prepare", "--target", "local"]) == 0
    assert calls["run"]["cell_timeout"] == 600


def test_check_runs_no_notebook(calls, capsys):
    assert main(["prepare", "--target", "aws", "--stack", "class-7", "--check"]) == 0
    assert "run" not in calls
    assert "Ready: all 10 resources" in capsys.readouterr().out


def test_a_failed_notebook_or_a_missing_resource_exits_1(calls, capsys):
    calls["status"] = "failed"
    assert main(["prepare", "--target", "aws", "--stack", "class-7"]) == 1
    calls["status"] = "ok"
    calls["found"] = [*_ready()[:-1], Found("batch job", f"{P}-batch-0a1b2c3d", "CREATE PENDING")]
    assert main(["prepare", "--target", "aws", "--stack", "class-7"]) == 1
    assert "NOT READY: 1 of the 10" in capsys.readouterr().out


def test_a_wrong_setting_stops_before_any_notebook(calls, monkeypatch, capsys):
    def refuse(*args):
        raise connection.WorkshopConfigError("No AWS region is set.")

    monkeypatch.setattr(connection, "connect", refuse)
    assert main(["prepare", "--target", "aws", "--stack", "class-7"]) == 1
    assert "run" not in calls
    assert capsys.readouterr().err == "error: No AWS region is set.\n"


def test_summary_of_a_prepared_account():
    text = summary(_ready(), f"prefix {P}, region eu-west-1, aws target", "CLEANUP", local=False)
    assert text.splitlines() == [
        f"What notebook 02 will reuse (found by name, prefix {P}, region eu-west-1, aws target):",
        "  dataset group  class-7-dataset-group         ACTIVE",
        "  dataset        class-7-interactions          ACTIVE  import ACTIVE",
        "  dataset        class-7-items                 ACTIVE  import ACTIVE",
        "  solution       class-7-popularity-count      ACTIVE  version ACTIVE",
        "  solution       class-7-similar-items         ACTIVE  version ACTIVE",
        "  solution       class-7-user-personalization  ACTIVE  version ACTIVE",
        "  campaign       class-7-user-personalization  ACTIVE  minProvisionedTPS 1",
        "  campaign       class-7-similar-items         ACTIVE  minProvisionedTPS 1",
        "  filter         class-7-exclude-purchased     ACTIVE",
        "  batch job      class-7-batch-0a1b2c3d        ACTIVE",
        "",
        "Ready: all 10 resources notebook 02 needs are ACTIVE; in the session its cells reuse "
        "them and go on in seconds.",
        "",
        "What it costs to leave it until the session, on AWS (estimates, not quotes):",
        "  campaigns  2 ACTIVE (minProvisionedTPS 1 + 1): 2 TPS-hours every hour, idle or not,",
        "             about $0.42 an hour: about $6 for a 15-hour night (18:00 to 09:00), "
        "$10 a day",
        "  training   3 solution versions, trained once: a few training hours, a few dollars at "
        "most",
        "             (billed while training; nothing more overnight)",
        "  the rest   imports, the batch job (500 recommendations), S3 and logs: cents",
        "  (figures: setup/README.md#what-it-costs)",
        "",
        "After the event, delete it all (campaigns first): CLEANUP",
    ]


def test_summary_scales_with_the_campaigns_tps_and_marks_a_learners_own():
    found = _ready()
    found[6] = Found("campaign", f"{P}-user-personalization", "ACTIVE", tps=5)
    found.insert(3, Found("solution", f"{P}-no-recency", "ACTIVE", "version", "ACTIVE", False))
    text = summary(found, "here", "CLEANUP", local=True)
    assert "6 TPS-hours every hour" in text
    assert "about $1.25 an hour: about $19 for a 15-hour night" in text  # 6 x 10/48
    assert "$30 a day" in text
    assert "4 solution versions, trained once" in text
    assert (
        "  solution       class-7-no-recency            ACTIVE  version ACTIVE"
        "   (not prepare's: a learner's own)"
    ) in text
    assert "Ready: all 10 resources" in text  # the learner's own is not needed
    assert "(this is the local target: it costs nothing)" in text


def test_summary_names_what_is_not_ready():
    found = _ready()
    found[5] = Found("solution", f"{P}-user-personalization", "ACTIVE", "version", "CREATE PENDING")
    found[7] = Found("campaign", f"{P}-similar-items", "missing")
    text = summary(found, "here", "CLEANUP", local=False)
    assert (
        "NOT READY: 2 of the 10 resources notebook 02 needs are not ACTIVE: "
        f"{P}-user-personalization (ACTIVE, version CREATE PENDING), {P}-similar-items "
        "(missing)."
    ) in text
    assert "  campaign       class-7-similar-items         missing\n" in text
    assert "1 ACTIVE (minProvisionedTPS 1): 1 TPS-hour every hour" in text
    assert "2 solution versions, trained once" in text


def test_summary_of_an_account_not_prepared():
    found = [Found(f.kind, f.name, "missing") for f in _ready()]
    text = summary(found, "here", "CLEANUP", local=False)
    assert "NOT READY: none of the 10 resources notebook 02 needs exists yet." in text
    assert "  campaigns  none ACTIVE: nothing bills by the hour" in text
    assert "  training   no solution version trained yet" in text


def test_inventory_of_an_empty_account_lists_all_ten_as_missing(aws_env):
    import boto3

    found = inventory(boto3.client("personalize", region_name="us-east-1"), "nobody-here")
    assert [(f.kind, f.name, f.status) for f in found] == [
        ("dataset group", "nobody-here-dataset-group", "missing"),
        ("dataset", "nobody-here-interactions", "missing"),
        ("dataset", "nobody-here-items", "missing"),
        ("solution", "nobody-here-popularity-count", "missing"),
        ("solution", "nobody-here-similar-items", "missing"),
        ("solution", "nobody-here-user-personalization", "missing"),
        ("campaign", "nobody-here-user-personalization", "missing"),
        ("campaign", "nobody-here-similar-items", "missing"),
        ("filter", "nobody-here-exclude-purchased", "missing"),
        ("batch job", "nobody-here-batch-<version id>", "missing"),
    ]
    assert not any(f.ready for f in found)


def test_a_refused_listing_is_one_line_and_exit_1(calls, monkeypatch, capsys):
    from botocore.exceptions import ClientError

    def refuse(client, prefix):
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
        raise ClientError(error, "ListDatasetGroups")

    monkeypatch.setattr(prepare, "inventory", refuse)
    assert main(["prepare", "--target", "aws", "--stack", "class-7", "--check"]) == 1
    assert (
        capsys.readouterr().err
        == "error: listing Personalize: AccessDeniedException: not allowed\n"
    )
