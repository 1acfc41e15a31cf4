"""Exercise 2's steps against the emulator, through boto3 as the notebook runs them: reuse on a
second run, readable errors when run out of order, failure reasons, campaign updates."""

from __future__ import annotations

import io
import json
import uuid

import pandas as pd
import pytest

from tests.exercise1_outputs import interactions_csv, stage
from workshop_lib import exercise2 as ex2
from workshop_lib.connection import Workshop
from workshop_lib.exercise2.serving import NEW_ITEM_IDS
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
def ws(module_aws_env):
    ws = _workshop("chain")
    s3 = ws.client("s3")
    stage(s3, ws.bucket)
    other = {"Sid": "SomethingElse", "Effect": "Deny", "Principal": "*", "Action": "s3:Delete*"}
    other["Resource"] = f"arn:aws:s3:::{ws.bucket}/*"
    s3.put_bucket_policy(
        Bucket=ws.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]})
    )
    return ws


@pytest.fixture(scope="module")
def outputs(ws):
    """Every step once, in the notebook's order; their results by step name."""
    steps = [
        "check_inputs",
        "grant_access",
        "create_dataset_group",
        "create_schemas",
        "create_datasets",
        "import_data",
        "put_new_items",
        "train",
        "metrics",
        "create_campaigns",
        "recommendations_for_users",
        "related_items",
        "create_filter",
        "filter_before_after",
        "batch_recommendations",
        "created",
    ]
    return {step: getattr(ex2, step)(ws) for step in steps}


def test_missing_exercise_1_output_says_run_notebook_01(module_aws_env):
    ws = _workshop("empty")
    with pytest.raises(ex2.MissingInput, match=r"run notebook 01 \(01_segment"):
        ex2.check_inputs(ws)  # no bucket at all
    ws.client("s3").create_bucket(Bucket=ws.bucket)
    with pytest.raises(ex2.MissingInput, match=r"transformed/interactions\.csv is missing"):
        ex2.grant_access(ws)


def test_a_step_run_before_its_prerequisite_names_the_cell(module_aws_env):
    ws = _workshop("order")
    with pytest.raises(ex2.MissingStep, match=r"run the cell that calls create_dataset_group\(\)"):
        ex2.create_datasets(ws)
    with pytest.raises(ex2.MissingStep, match=r"run the cell that calls train\(\)"):
        ex2.metrics(ws)
    with pytest.raises(ex2.MissingStep, match=r"calls grant_access\(\)"):
        ex2.role_arn(ws)


def test_inputs_and_access(ws, outputs):
    table = outputs["check_inputs"]
    assert table.loc["all"].tolist() == [39371, 1242, 250]
    assert table.loc["Order Completed", "interactions"] == 1551
    policy = json.loads(ws.client("s3").get_bucket_policy(Bucket=ws.bucket)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["SomethingElse", "PersonalizeS3Access"]
    role = ws.client("iam").get_role(RoleName=f"{ws.prefix}-personalize-s3")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "personalize.amazonaws.com"
    }


def test_datasets_and_one_import_job_each_even_when_run_again(ws, outputs):
    assert outputs["create_datasets"]["status"].tolist() == ["ACTIVE", "ACTIVE"]
    ex2.import_data(ws)  # a second run reuses the jobs
    client = ws.client("personalize")
    for dataset_type in ("INTERACTIONS", "ITEMS"):
        dataset = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset/{ws.prefix}-dataset-group/"
        jobs = client.list_dataset_import_jobs(datasetArn=dataset + dataset_type)
        assert [j["status"] for j in jobs["datasetImportJobs"]] == ["ACTIVE"]


def test_training_reuses_the_versions_and_metrics_favour_personalization(ws, outputs):
    before = {s: ex2.version_arn(ws, s) for s in ex2.RECIPES}
    ex2.train(ws)
    assert {s: ex2.version_arn(ws, s) for s in ex2.RECIPES} == before
    solution = ws.client("personalize").describe_solution(
        solutionArn=before["user-personalization"].rsplit("/", 1)[0]
    )["solution"]
    assert solution["performAutoTraining"] is False
    table = outputs["metrics"]
    assert list(table.index) == list(ex2.RECIPES.values())
    personal, popular = table["NDCG@10"].iloc[0], table.loc["aws-popularity-count", "NDCG@10"]
    assert personal >= 1.5 * popular
    assert table["coverage"].iloc[0] > 5 * table.loc["aws-popularity-count", "coverage"]


def test_recommendations_show_names_and_the_new_items(outputs):
    table = outputs["recommendations_for_users"]
    assert table.index.get_level_values("user").nunique() == 3
    products = table[("recommended", "product")]
    assert products.str.contains(" ").all()  # names, not SKUs like "basix-heritage-grey-blouse"
    assert table[("recommended", "score")].str.endswith(" new").any()
    names = {item["NAME"] for item in ex2.NEW_ITEMS}
    assert set(products) & names
    related = outputs["related_items"]
    assert len(related) == 10 and not related["product"].isin(NEW_ITEM_IDS).any()


def test_filter_removes_purchases(ws, outputs):
    table = outputs["filter_before_after"]
    assert (table[("without filter", "")] == "bought").sum() >= 2
    assert (table[("with filter", "")] == "bought").sum() == 0


def test_batch_output_is_read_back(ws, outputs):
    table = outputs["batch_recommendations"]
    assert table["share of recommendations"].sum() == pytest.approx(1, abs=0.01)
    body = ws.client("s3").get_object(Bucket=ws.bucket, Key="batch/output/users.json.out")
    lines = body["Body"].read().decode().splitlines()
    assert len(lines) == 50
    assert len(json.loads(lines[0])["output"]["recommendedItems"]) == 10


def test_created_lists_everything_active(ws, outputs):
    frame = outputs["created"].frame
    assert set(frame["status"]) <= {"ACTIVE", "-"}
    assert frame["name"].str.startswith(ws.prefix).all()
    assert (frame["resource"] == "campaign").sum() == 2
    assert (frame["resource"] == "batch job").sum() == 1


def test_campaign_moves_to_a_newer_version(ws, outputs):
    client = ws.client("personalize")
    solution = ex2.version_arn(ws, "similar-items").rsplit("/", 1)[0]
    newer = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    ex2.train(ws)  # waits for the newer version rather than starting another
    assert ex2.version_arn(ws, "similar-items") == newer
    ex2.create_campaigns(ws)
    campaign = client.describe_campaign(campaignArn=ex2.campaign_arn(ws, "similar-items"))
    assert campaign["campaign"]["solutionVersionArn"] == newer


def test_an_import_that_fails_stops_with_personalize_reason(module_aws_env):
    ws = _workshop("bad")
    stage(ws.client("s3"), ws.bucket)
    frame = pd.read_csv(io.BytesIO(interactions_csv()))
    frame["TIMESTAMP"] *= 1000  # milliseconds: Personalize wants epoch seconds
    ws.client("s3").put_object(
        Bucket=ws.bucket, Key="transformed/interactions.csv", Body=frame.to_csv(index=False)
    )
    for step in ("grant_access", "create_dataset_group", "create_schemas", "create_datasets"):
        getattr(ex2, step)(ws)
    with pytest.raises(ResourceFailed, match=r"Interactions import is CREATE FAILED: .*seconds"):
        ex2.import_data(ws)
