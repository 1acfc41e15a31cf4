"""Notebook 02's cells against the emulator, run in this process as the notebook runs them:
what they create, reuse on a second pass, the stack's role, a clear message when notebook 01
has not run, failure reasons, and a new import job for a dataset made anew."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import time
import uuid

import pandas as pd
import pytest

from tests.exercise1_outputs import interactions_csv, stage
from tests.unit.notebook02_cells import Cells
from workshop_lib import exercise2 as ex2
from workshop_lib.connection import Workshop
from workshop_lib.prerequisites import RunEarlierNotebooks
from workshop_lib.settings import bucket_name
from workshop_lib.waiting import ResourceFailed

ACCOUNT = "123456789012"


def _workshop(label: str) -> Workshop:
    prefix = f"ex2-{label}-{uuid.uuid4().hex[:6]}"
    return Workshop(
        target="local",
        region="us-east-1",
        account_id=ACCOUNT,
        caller_arn=f"arn:aws:sts::{ACCOUNT}:user/moto",
        prefix=prefix,
        bucket=bucket_name(prefix, ACCOUNT, "us-east-1"),
    )


@pytest.fixture(scope="module")
def cells(module_aws_env):
    """Every cell once (the tasks as the learner first sees them), then the reused ARNs."""
    ws = _workshop("chain")
    stage(ws.client("s3"), ws.bucket)
    return Cells(ws).run()


@pytest.fixture(scope="module")
def again(cells):
    """A second pass of every cell on the same state (a rerun, or after a kernel restart),
    and what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        second = Cells(cells.ws).run()
    return second, printed.getvalue()


def test_missing_exercise_1_output_says_run_notebook_01(module_aws_env):
    ws = _workshop("empty")
    with pytest.raises(RunEarlierNotebooks, match=r"transformed/interactions\.csv is missing.*01"):
        Cells(ws).run()  # no bucket at all: the first cell after connect stops
    ws.client("s3").create_bucket(Bucket=ws.bucket)
    with pytest.raises(RunEarlierNotebooks, match="Run notebook 01_segment_s3_athena_glue first"):
        Cells(ws).run()


def test_inputs_role_and_bucket_policy(cells):
    table = cells.value("interactions = ex2.interactions(ws)")
    assert table.loc["all"].tolist() == [39371, 1242, 250]
    assert table.loc["Order Completed", "interactions"] == 1551
    ws = cells.ws
    role = ws.client("iam").get_role(RoleName=f"{ws.prefix}-personalize-s3")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "personalize.amazonaws.com"
    }
    policy = json.loads(ws.client("s3").get_bucket_policy(Bucket=ws.bucket)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["PersonalizeS3Access"]


def test_with_the_stack_the_cells_use_its_role_and_write_no_iam(module_aws_env):
    stack_role = f"arn:aws:iam::{ACCOUNT}:role/stack/PersonalizeRole"
    ws = dataclasses.replace(_workshop("stack"), roles={"personalize-s3": stack_role})
    stage(ws.client("s3"), ws.bucket)
    run = Cells(ws).run(until="create_dataset_group")
    assert run["role_arn"] == stack_role
    roles = ws.client("iam").list_roles()["Roles"]
    assert not [r for r in roles if r["RoleName"].startswith(ws.prefix)]
    with pytest.raises(ws.client("s3").exceptions.ClientError, match="NoSuchBucketPolicy"):
        ws.client("s3").get_bucket_policy(Bucket=ws.bucket)


def test_one_import_job_per_dataset(cells, again):
    client = cells.ws.client("personalize")
    for dataset in (cells["interactions_dataset_arn"], cells["items_dataset_arn"]):
        jobs = client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
        assert [j["status"] for j in jobs] == ["ACTIVE"]


def test_a_second_pass_reuses_everything(cells, again):
    second, printed = again
    for name in ("dataset_group_arn", "import_job_arns", "version_arns", "campaign_arns"):
        assert second[name] == cells[name], name
    assert second["batch_job_arn"] == cells["batch_job_arn"]
    assert "Dataset group 'ex2-chain-" in printed and "exists already: using it" in printed
    assert printed.count("The solution has a version already (ACTIVE)") == 3


def test_solutions_do_not_train_by_themselves_and_metrics_favour_personalization(cells):
    client = cells.ws.client("personalize")
    for arn in cells["solution_arns"].values():
        assert client.describe_solution(solutionArn=arn)["solution"]["performAutoTraining"] is False
    table = cells["scores"]
    assert table.index.tolist() == list(ex2.RECIPES)  # the task left undone: the three only
    assert table["recipe"].tolist() == list(ex2.RECIPES.values())
    personal, popular = (
        table["NDCG@10"]["user-personalization"],
        table["NDCG@10"]["popularity-count"],
    )
    assert personal >= 1.5 * popular
    assert table["coverage"]["user-personalization"] > 5 * table["coverage"]["popularity-count"]


def test_recommendations_show_names_and_the_new_items(cells):
    tables = cells.displayed
    assert len(tables) == 3
    products = pd.concat(t[("recommended", "product")] for t in tables)
    assert products.str.contains(" ").all()  # names, not SKUs like "basix-heritage-grey-blouse"
    assert pd.concat(t[("recommended", "score")] for t in tables).str.endswith(" new").any()
    assert set(products) & {item["NAME"] for item in ex2.NEW_ITEMS}
    related = cells.value("itemId=item_id")
    assert len(related) == 10 and related["product"].str.contains(" ").all()


def test_filter_removes_purchases(cells):
    table = cells.value("filterArn=filter_arn")
    assert (table[("without filter", "bought")] == "bought").sum() >= 2
    assert (table[("with filterArn", "bought")] == "bought").sum() == 0


def test_batch_output_is_read_back(cells):
    results = cells["results"]
    assert len(results) == 50
    assert all(len(r["output"]["recommendedItems"]) == 10 for r in results)
    table = cells.value("batch_summary")
    assert table["share of recommendations"].sum() == pytest.approx(1, abs=0.01)


def test_what_notebooks_03_and_04_use_is_listed_active(cells):
    listing = cells.value("list_campaigns")
    frame = listing.frame
    prefix = cells.ws.prefix
    assert frame["name"].tolist() == sorted(
        [f"{prefix}-exclude-purchased", f"{prefix}-similar-items", f"{prefix}-user-personalization"]
    )
    assert set(frame["status"]) == {"ACTIVE"}


def test_an_import_that_fails_stops_with_personalize_reason(module_aws_env):
    ws = _workshop("bad")
    stage(ws.client("s3"), ws.bucket)
    frame = pd.read_csv(io.BytesIO(interactions_csv()))
    frame["TIMESTAMP"] *= 1000  # milliseconds: Personalize wants epoch seconds
    ws.client("s3").put_object(
        Bucket=ws.bucket, Key=ex2.INTERACTIONS_KEY, Body=frame.to_csv(index=False)
    )
    with pytest.raises(ResourceFailed, match=r"interactions-\d{14} is CREATE FAILED: .*seconds"):
        Cells(ws).run(until="put_items(")


def test_a_dataset_made_anew_gets_a_new_import_job(module_aws_env):
    """Import jobs outlive their dataset and keep their name (notebook 05 cannot delete them):
    the job's name carries the dataset's creation time, so the new dataset gets its data."""
    ws = _workshop("anew")
    stage(ws.client("s3"), ws.bucket)
    first = Cells(ws).run(until="put_items(")
    client = ws.client("personalize")
    for arn in (first["interactions_dataset_arn"], first["items_dataset_arn"]):
        client.delete_dataset(datasetArn=arn)
    while client.list_datasets(datasetGroupArn=first["dataset_group_arn"])["datasets"]:
        time.sleep(0.1)
    time.sleep(1)  # the names carry the creation time to the second
    second = Cells(ws).run(until="put_items(")
    assert set(second["import_job_arns"]).isdisjoint(first["import_job_arns"])
    dataset = second["interactions_dataset_arn"]
    jobs = client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert sorted(j["status"] for j in jobs) == ["ACTIVE", "ACTIVE"]  # the old one is listed too
