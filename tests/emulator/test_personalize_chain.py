"""The end-to-end chain through boto3: dataset group to campaign and recommendations."""

from __future__ import annotations

import time

import pytest
from test_personalize_support import (
    INTERACTIONS_SCHEMA,
    RECIPE,
    campaign_for,
    clients,
    group_with_data,
    point_boto3_at,
    trained_version,
    unique,
    wait,
)

from workshop_lib.emulator.personalize.synthetic import generate


@pytest.fixture(scope="module")
def data():
    return generate(n_users=300, n_items=200, seed=11)


@pytest.fixture(scope="module")
def chain(emulator, data):
    """One group with data, a user-personalization and a popularity campaign."""
    restore = point_boto3_at(emulator)
    personalize = clients()[0]
    interactions, items = data
    arns = group_with_data(personalize, interactions, items)
    arns["up_solution"], arns["up_version"] = trained_version(
        personalize, arns["group"], "aws-user-personalization"
    )
    arns["pop_solution"], arns["pop_version"] = trained_version(
        personalize, arns["group"], "aws-popularity-count"
    )
    arns["up_campaign"] = campaign_for(personalize, arns["up_version"])
    arns["pop_campaign"] = campaign_for(personalize, arns["pop_version"])
    yield arns
    restore()


def test_states_walk_from_pending_to_active(aws_env):
    personalize, _, _ = clients()
    arn = personalize.create_dataset_group(name=unique("dg"))["datasetGroupArn"]
    seen = []
    deadline = time.time() + 10
    while time.time() < deadline:
        status = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "ACTIVE":
            break
    assert seen[-1] == "ACTIVE"
    assert set(seen) <= {"CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"}
    personalize.delete_dataset_group(datasetGroupArn=arn)
    status = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
    assert status in ("DELETE PENDING", "DELETE IN_PROGRESS")
    time.sleep(0.5)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.describe_dataset_group(datasetGroupArn=arn)


def test_describe_fields_and_arns(aws_env, chain):
    personalize, _, _ = clients()
    group = personalize.describe_dataset_group(datasetGroupArn=chain["group"])["datasetGroup"]
    assert group["datasetGroupArn"].startswith("arn:aws:personalize:us-east-1:123456789012:")
    assert group["status"] == "ACTIVE"
    dataset = personalize.describe_dataset(datasetArn=chain["interactions"])["dataset"]
    assert dataset["datasetArn"] == (
        f"arn:aws:personalize:us-east-1:123456789012:dataset/{group['name']}/INTERACTIONS"
    )
    assert dataset["schemaArn"] == chain["interactions_schema"]
    version = personalize.describe_solution_version(solutionVersionArn=chain["up_version"])[
        "solutionVersion"
    ]
    assert version["solutionVersionArn"].startswith(chain["up_solution"] + "/")
    assert len(version["solutionVersionArn"].rsplit("/", 1)[1]) == 8
    assert version["trainingMode"] == "FULL"
    assert version["trainingHours"] > 0
    assert version["recipeArn"] == RECIPE + "aws-user-personalization"
    solution = personalize.describe_solution(solutionArn=chain["up_solution"])["solution"]
    assert solution["latestSolutionVersion"]["solutionVersionArn"] == chain["up_version"]
    assert solution["performAutoTraining"] is False


def test_metrics_have_the_eight_standard_keys(aws_env, chain):
    personalize, _, _ = clients()
    up = personalize.get_solution_metrics(solutionVersionArn=chain["up_version"])["metrics"]
    pop = personalize.get_solution_metrics(solutionVersionArn=chain["pop_version"])["metrics"]
    assert set(up) == {
        "coverage",
        "mean_reciprocal_rank_at_25",
        "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5",
        "precision_at_10",
        "precision_at_25",
    }
    assert all(0.0 <= v <= 1.0 for v in up.values())
    key = "normalized_discounted_cumulative_gain_at_10"
    assert up[key] > pop[key] > 0
    assert up["coverage"] > pop["coverage"]


def test_recommendations_are_personal_and_scored(aws_env, chain, data):
    _, runtime, _ = clients()
    interactions, _ = data
    first = runtime.get_recommendations(campaignArn=chain["up_campaign"], userId="u1")
    second = runtime.get_recommendations(campaignArn=chain["up_campaign"], userId="u2")
    assert len(first["itemList"]) == 25
    assert first["recommendationId"]
    assert [i["itemId"] for i in first["itemList"]] != [i["itemId"] for i in second["itemList"]]
    scores = [i["score"] for i in first["itemList"]]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
    seen = set(interactions[interactions.USER_ID == "u1"].ITEM_ID)
    assert seen.isdisjoint(i["itemId"] for i in first["itemList"])  # no repeats in this data
    ten = runtime.get_recommendations(campaignArn=chain["up_campaign"], userId="u1", numResults=10)
    assert [i["itemId"] for i in ten["itemList"]] == [i["itemId"] for i in first["itemList"]][:10]


def test_popularity_is_the_same_for_everyone_without_scores(aws_env, chain, data):
    _, runtime, _ = clients()
    interactions, _ = data
    a = runtime.get_recommendations(campaignArn=chain["pop_campaign"], userId="u1")["itemList"]
    b = runtime.get_recommendations(campaignArn=chain["pop_campaign"], userId="zz")["itemList"]
    assert a == b and all("score" not in i for i in a)
    counts = interactions.ITEM_ID.value_counts()
    expected = sorted(counts.index, key=lambda i: (-counts[i], i))[:25]
    assert [i["itemId"] for i in a] == expected


def test_cold_user_gets_popular_items(aws_env, chain):
    _, runtime, _ = clients()
    cold = runtime.get_recommendations(campaignArn=chain["up_campaign"], userId="nobody")
    pop = runtime.get_recommendations(campaignArn=chain["pop_campaign"], userId="nobody")
    assert [i["itemId"] for i in cold["itemList"]] == [i["itemId"] for i in pop["itemList"]]


def test_runtime_errors(aws_env, chain):
    _, runtime, _ = clients()
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(campaignArn=chain["up_campaign"])
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(campaignArn=chain["up_campaign"], userId="u1", numResults=501)
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(
            campaignArn=chain["up_campaign"], userId="u1", context={"bad-key": "x"}
        )
    answer = runtime.get_recommendations(
        campaignArn=chain["up_campaign"], userId="u1", context={"DEVICE": "mobile"}
    )
    assert len(answer["itemList"]) == 25
    missing = chain["up_campaign"] + "-gone"
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_recommendations(campaignArn=missing, userId="u1")


def test_common_control_plane_errors(aws_env, chain):
    personalize, _, _ = clients()
    name = personalize.describe_dataset_group(datasetGroupArn=chain["group"])["datasetGroup"][
        "name"
    ]
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException) as info:
        personalize.create_dataset_group(name=name)
    assert chain["group"] in str(info.value)
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_dataset_group(name="x" * 64)
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_dataset_group(name="-bad")
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.describe_dataset_group(datasetGroupArn=chain["group"] + "nope")
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.describe_dataset_group(datasetGroupArn="not-an-arn")
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.delete_dataset_group(datasetGroupArn=chain["group"])
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.delete_schema(schemaArn=chain["interactions_schema"])
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.delete_solution(solutionArn=chain["up_solution"])
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException):
        personalize.create_dataset(
            name=unique("ds"),
            schemaArn=chain["interactions_schema"],
            datasetGroupArn=chain["group"],
            datasetType="INTERACTIONS",
        )
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_dataset_import_job(
            jobName=unique("j"),
            datasetArn=chain["interactions"],
            dataSource={"dataLocation": "s3://b/k.csv"},
            importMode="SOMETIMES",
        )


def test_parent_not_active_is_resource_in_use(aws_env):
    personalize, _, _ = clients()
    group = personalize.create_dataset_group(name=unique("dg"))["datasetGroupArn"]
    schema = personalize.create_schema(name=unique("s"), schema=INTERACTIONS_SCHEMA)["schemaArn"]
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.create_dataset(
            name=unique("ds"), schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    personalize.delete_dataset_group(datasetGroupArn=group)


def test_deletion_in_dependency_order(aws_env, data):
    personalize, runtime, _ = clients()
    arns = group_with_data(personalize, data[0])
    solution, version = trained_version(personalize, arns["group"], "aws-popularity-count")
    campaign = campaign_for(personalize, version)
    personalize.delete_campaign(campaignArn=campaign)
    wait(lambda: personalize.describe_campaign(campaignArn=campaign), "campaign", timeout=0.01)
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.delete_solution(solutionArn=solution)  # the campaign is still deleting
    time.sleep(0.3)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_recommendations(campaignArn=campaign, userId="u1")
    personalize.delete_solution(solutionArn=solution)
    time.sleep(0.3)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.describe_solution_version(solutionVersionArn=version)
    personalize.delete_dataset(datasetArn=arns["interactions"])
    time.sleep(0.3)
    personalize.delete_schema(schemaArn=arns["interactions_schema"])
    personalize.delete_dataset_group(datasetGroupArn=arns["group"])
    time.sleep(0.3)
    names = [g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]
    assert arns["group"] not in names


def test_lists_paginate(aws_env, chain):
    personalize, _, _ = clients()
    pages = list(
        personalize.get_paginator("list_solutions").paginate(
            datasetGroupArn=chain["group"], PaginationConfig={"PageSize": 1}
        )
    )
    arns = [s["solutionArn"] for p in pages for s in p["solutions"]]
    assert sorted(arns) == sorted([chain["up_solution"], chain["pop_solution"]])
    assert len(pages) == 2
    with pytest.raises(personalize.exceptions.InvalidNextTokenException):
        personalize.list_solutions(nextToken="garbage!")
