"""Campaign options and updates, promotions, metadata, training configuration, list pages."""

from __future__ import annotations

import json
import time

import pytest
from test_personalize_support import (
    RECIPE,
    campaign_for,
    clients,
    group_with_data,
    point_boto3_at,
    provider_of,
    trained_version,
    unique,
    wait,
)

from workshop_lib.emulator.personalize.synthetic import generate


@pytest.fixture(scope="module")
def setup(emulator):
    restore = point_boto3_at(emulator)
    personalize, _, _ = clients()
    interactions, items = generate(n_users=240, n_items=100, seed=31, repeats=True)
    arns = group_with_data(personalize, interactions, items)
    arns["solution"], arns["version"] = trained_version(
        personalize, arns["group"], "aws-user-personalization"
    )
    arns["frames"] = (interactions, items)
    yield arns
    restore()


def test_metadata_columns_need_the_campaign_option(aws_env, setup):
    personalize, runtime, _ = clients()
    plain = campaign_for(personalize, setup["version"])
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(
            campaignArn=plain, userId="u1", metadataColumns={"ITEMS": ["CATEGORY"]}
        )
    rich = campaign_for(
        personalize,
        setup["version"],
        campaignConfig={"enableMetadataWithRecommendations": True},
    )
    answer = runtime.get_recommendations(
        campaignArn=rich, userId="u1", numResults=5, metadataColumns={"ITEMS": ["CATEGORY"]}
    )["itemList"]
    items = setup["frames"][1].set_index("ITEM_ID")
    assert [i["metadata"]["CATEGORY"] for i in answer] == [
        items.loc[i["itemId"], "CATEGORY"] for i in answer
    ]
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(
            campaignArn=rich, userId="u1", numResults=51, metadataColumns={"ITEMS": ["CATEGORY"]}
        )
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(
            campaignArn=rich, userId="u1", metadataColumns={"ITEMS": ["NOPE"]}
        )
    for arn in (plain, rich):
        personalize.delete_campaign(campaignArn=arn)


def test_promotions_take_their_share_of_slots(aws_env, setup):
    personalize, runtime, _ = clients()
    promo = personalize.create_filter(
        name=unique("promo"),
        datasetGroupArn=setup["group"],
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY IN ("cat1")',
    )["filterArn"]
    wait(lambda: personalize.describe_filter(filterArn=promo), "filter")
    campaign = campaign_for(personalize, setup["version"])
    answer = runtime.get_recommendations(
        campaignArn=campaign,
        userId="u2",
        numResults=10,
        promotions=[{"name": "summer", "percentPromotedItems": 30, "filterArn": promo}],
    )["itemList"]
    promoted = [i for i in answer if i.get("promotionName") == "summer"]
    category = setup["frames"][1].set_index("ITEM_ID").CATEGORY
    assert len(answer) == 10 and len(promoted) == 3
    assert all(category[i["itemId"]] == "cat1" for i in promoted)
    assert len({i["itemId"] for i in answer}) == 10
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(
            campaignArn=campaign,
            userId="u2",
            promotions=[{"name": "x", "percentPromotedItems": 101, "filterArn": promo}],
        )
    personalize.delete_campaign(campaignArn=campaign)


def test_update_campaign_switches_version_when_active(aws_env, setup):
    personalize, _, _ = clients()
    campaign = campaign_for(personalize, setup["version"])
    new = personalize.create_solution_version(solutionArn=setup["solution"])["solutionVersionArn"]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=new), "solutionVersion")
    personalize.update_campaign(
        campaignArn=campaign,
        solutionVersionArn=new,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.1"}},
    )
    described = personalize.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["latestCampaignUpdate"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    assert described["solutionVersionArn"] == setup["version"]
    time.sleep(0.3)
    described = personalize.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert described["solutionVersionArn"] == new
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.update_campaign(
            campaignArn=campaign,
            campaignConfig={"itemExplorationConfig": {"explorationWeight": "2"}},
        )
    personalize.delete_campaign(campaignArn=campaign)


def test_latest_version_sync(aws_env, setup):
    personalize, runtime, _ = clients()
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_campaign(
            name=unique("c"), solutionVersionArn=setup["solution"] + "/$LATEST"
        )
    campaign = campaign_for(
        personalize,
        setup["solution"] + "/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )
    assert runtime.get_recommendations(campaignArn=campaign, userId="u1")["itemList"]
    personalize.delete_campaign(campaignArn=campaign)


def test_stop_solution_version_creation(aws_env, setup):
    personalize, _, _ = clients()
    version = personalize.create_solution_version(solutionArn=setup["solution"])[
        "solutionVersionArn"
    ]
    personalize.stop_solution_version_creation(solutionVersionArn=version)
    status = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=version),
        "solutionVersion",
        want="CREATE STOPPED",
        timeout=2,
    )
    assert status["status"] == "CREATE STOPPED"
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.stop_solution_version_creation(solutionVersionArn=version)


def test_events_config_and_thresholds_select_training_events(aws_env, setup):
    personalize, runtime, _ = clients()
    interactions = setup["frames"][0]
    _, version = trained_version(
        personalize,
        setup["group"],
        "aws-popularity-count",
        solutionConfig={
            "eventsConfig": {
                "eventParametersList": [
                    {"eventType": "Purchase", "weight": 1.0},
                    {"eventType": "addtocart", "weight": 0.25},  # types match case-insensitively
                ]
            }
        },
    )
    campaign = campaign_for(personalize, version)
    answer = runtime.get_recommendations(campaignArn=campaign, numResults=5)["itemList"]
    weights = interactions.EVENT_TYPE.map({"Purchase": 1.0, "AddToCart": 0.25}).fillna(0.0)
    score = weights.groupby(interactions.ITEM_ID).sum()
    expected = sorted(score.index, key=lambda i: (-score[i], i))[:5]
    assert [i["itemId"] for i in answer] == expected
    personalize.delete_campaign(campaignArn=campaign)
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_solution(
            name=unique("s"),
            datasetGroupArn=setup["group"],
            recipeArn=RECIPE + "aws-popularity-count",
            solutionConfig={
                "eventsConfig": {"eventParametersList": [{"eventType": "View", "weight": 2.0}]}
            },
        )


def test_repeated_event_id_is_stored_once(aws_env, setup):
    personalize, _, events = clients()
    tracker = personalize.create_event_tracker(name=unique("t"), datasetGroupArn=setup["group"])
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        "eventTracker",
    )
    user = unique("u")
    for sent in (1.0, 2.0):
        events.put_events(
            trackingId=tracker["trackingId"],
            userId=user,
            sessionId="s",
            eventList=[{"eventType": "View", "itemId": "i1", "sentAt": sent, "eventId": "e-1"}],
        )
    data = provider_of(aws_env).control.store.get(setup["interactions"]).state["data"]
    assert sum(1 for e in data.puts if e["USER_ID"] == user) == 1
    personalize.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])


def test_filter_fields_are_checked_against_the_schemas(aws_env, setup):
    personalize, _, _ = clients()
    with pytest.raises(personalize.exceptions.InvalidInputException) as info:
        personalize.create_filter(
            name=unique("f"),
            datasetGroupArn=setup["group"],
            filterExpression='INCLUDE ItemID WHERE Items.COLOUR IN ("red")',
        )
    assert "COLOUR" in str(info.value)


def test_role_arn_pattern(aws_env, setup):
    personalize, _, _ = clients()
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_dataset_import_job(
            jobName=unique("j"),
            datasetArn=setup["interactions"],
            dataSource={"dataLocation": "s3://bucket/key.csv"},
            roleArn="not-a-role",
        )


@pytest.mark.parametrize(
    ("method", "key", "args"),
    [
        ("list_dataset_groups", "datasetGroups", {}),
        ("list_schemas", "schemas", {}),
        ("list_datasets", "datasets", {}),
        ("list_dataset_import_jobs", "datasetImportJobs", {}),
        ("list_solutions", "solutions", {}),
        ("list_solution_versions", "solutionVersions", {}),
        ("list_campaigns", "campaigns", {}),
        ("list_filters", "Filters", {}),
        ("list_recipes", "recipes", {}),
    ],
)
def test_every_list_paginates(aws_env, setup, method, key, args):
    personalize, _, _ = clients()
    whole = getattr(personalize, method)(**args)[key]
    pages = personalize.get_paginator(method).paginate(**args, PaginationConfig={"PageSize": 1})
    paged = [entry for page in pages for entry in page[key]]
    assert len(whole) >= 1 or method == "list_campaigns"
    assert [json.dumps(e, default=str, sort_keys=True) for e in paged][: len(whole)] == [
        json.dumps(e, default=str, sort_keys=True) for e in whole
    ][: len(paged)]
    with pytest.raises(personalize.exceptions.InvalidInputException):
        getattr(personalize, method)(**args, maxResults=101)


def test_cold_users_and_cold_items(aws_env):
    """Users metadata steers cold users; aws-user-personalization explores new items."""
    import pandas as pd

    personalize, runtime, _ = clients()
    interactions, items = generate(n_users=400, n_items=80, seed=41)
    # users of segment "a" only ever touch items of category cat0 (a planted taste)
    users = pd.DataFrame({"USER_ID": [f"u{k}" for k in range(400)] + ["newcomer"]})
    users["SEGMENT"] = ["a" if k % 2 else "b" for k in range(400)] + ["a"]
    cat0 = set(items[items.CATEGORY == "cat0"].ITEM_ID)
    in_a = interactions.USER_ID.isin(users[users.SEGMENT == "a"].USER_ID)
    interactions = interactions[~in_a | interactions.ITEM_ID.isin(cat0)]
    extra = pd.DataFrame({"ITEM_ID": ["fresh-1", "fresh-2"], "CATEGORY": "cat0", "PRICE": 3.0})
    arns = group_with_data(
        personalize, interactions, pd.concat([items, extra], ignore_index=True), users
    )
    _, version = trained_version(personalize, arns["group"], "aws-user-personalization")
    plain = campaign_for(
        personalize,
        version,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0"}},
    )
    top = runtime.get_recommendations(campaignArn=plain, userId="newcomer", numResults=5)
    assert {i["itemId"] for i in top["itemList"]} <= cat0
    anonymous = runtime.get_recommendations(campaignArn=plain, userId="stranger", numResults=5)
    assert {i["itemId"] for i in anonymous["itemList"]} - cat0
    exploring = campaign_for(
        personalize,
        version,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.6"}},
    )
    listed = runtime.get_recommendations(campaignArn=exploring, userId="u1", numResults=10)
    ids = [i["itemId"] for i in listed["itemList"]]
    assert len(ids) == 10 and {"fresh-1", "fresh-2"} <= set(ids)
    quiet = runtime.get_recommendations(campaignArn=plain, userId="u1", numResults=10)
    assert not {"fresh-1", "fresh-2"} & {i["itemId"] for i in quiet["itemList"]}
    # a filter applies to explored items as to the others: it neither stops exploration...
    filters = {}
    for name, expression in {
        "keep": 'INCLUDE ItemID WHERE Items.CATEGORY IN ("cat0")',
        "drop": 'EXCLUDE ItemID WHERE Items.CATEGORY IN ("cat0")',
    }.items():
        filters[name] = personalize.create_filter(
            name=unique(name), datasetGroupArn=arns["group"], filterExpression=expression
        )["filterArn"]
        wait(lambda arn=filters[name]: personalize.describe_filter(filterArn=arn), "filter")
    kept = runtime.get_recommendations(
        campaignArn=exploring, userId="u1", numResults=10, filterArn=filters["keep"]
    )
    assert {"fresh-1", "fresh-2"} <= {i["itemId"] for i in kept["itemList"]}
    # ...nor lets through what it excludes
    dropped = runtime.get_recommendations(
        campaignArn=exploring, userId="u1", numResults=10, filterArn=filters["drop"]
    )
    assert not {i["itemId"] for i in dropped["itemList"]} & (cat0 | {"fresh-1", "fresh-2"})
    for arn in (plain, exploring):
        personalize.delete_campaign(campaignArn=arn)


def test_kinds_the_emulator_cannot_create(aws_env):
    personalize, _, _ = clients()
    assert personalize.list_recommenders()["recommenders"] == []
    assert personalize.list_dataset_export_jobs()["datasetExportJobs"] == []
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.describe_recommender(
            recommenderArn="arn:aws:personalize:us-east-1:123456789012:recommender/x"
        )
    with pytest.raises(personalize.exceptions.ClientError) as info:
        personalize.create_recommender(
            name="r",
            datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/x",
            recipeArn=RECIPE + "aws-ecomm-recommended-for-you",
        )
    assert info.value.response["Error"]["Code"] == "NotImplemented"


def test_hpo_ranges_and_documented_hyperparameters(aws_env, setup):
    personalize, _, _ = clients()
    ranges = {
        "continuousHyperParameterRanges": [{"name": "decay", "minValue": 0.2, "maxValue": 0.8}]
    }
    _, version = trained_version(
        personalize,
        setup["group"],
        "aws-user-personalization",
        performHPO=True,
        solutionConfig={"hpoConfig": {"algorithmHyperParameterRanges": ranges}},
    )
    tuned = personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    chosen = tuned["tunedHPOParams"]["algorithmHyperParameters"]
    assert 0.2 <= float(chosen["decay"]) <= 0.8 and "__hpo_ranges__" not in chosen
    _, version = trained_version(
        personalize,
        setup["group"],
        "aws-user-personalization",
        solutionConfig={"algorithmHyperParameters": {"recency_mask": "false"}},
    )
    tuned = personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert tuned["tunedHPOParams"]["algorithmHyperParameters"]["decay"] == "1.0"
