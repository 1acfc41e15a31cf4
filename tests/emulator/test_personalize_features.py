"""Filters, ranking, related items, recipes, metrics protocol, imports, schemas, batch, HPO."""

from __future__ import annotations

import hashlib
import json
import math
import time

import boto3
import numpy as np
import pytest
from test_personalize_support import (
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    RECIPE,
    campaign_for,
    clients,
    group_with_data,
    personalize_bucket,
    personalize_role,
    point_boto3_at,
    provider_of,
    put_text,
    roomy_quotas,
    trained_version,
    unique,
    wait,
)

from workshop_lib.emulator.personalize.synthetic import generate


@pytest.fixture(scope="module")
def setup(emulator):
    restore = point_boto3_at(emulator)
    personalize, _, _ = clients()
    interactions, items = generate(n_users=260, n_items=120, seed=23, repeats=True)
    arns = group_with_data(personalize, interactions, items)
    arns["frames"] = (interactions, items)
    yield arns
    restore()


def test_metrics_follow_personalizes_protocol(aws_env, setup):
    """Recompute popularity-count's metrics independently from the documented split."""
    personalize, _, _ = clients()
    _, version = trained_version(personalize, setup["group"], "aws-popularity-count")
    metrics = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    frame = setup["frames"][0]
    counts = frame.USER_ID.value_counts()
    eligible = sorted(
        (u for u, n in counts.items() if n >= 2), key=lambda u: hashlib.md5(u.encode()).hexdigest()
    )
    test_users = eligible[: max(1, round(0.1 * len(eligible)))]
    train = frame[~frame.USER_ID.isin(test_users)]
    popular = train.ITEM_ID.value_counts()
    ranked = sorted(popular.index, key=lambda i: (-popular[i], i))[:25]
    ndcg10, p5, rr = [], [], []
    for user in test_users:
        rows = frame[frame["USER_ID"].eq(user)].sort_values("TIMESTAMP", kind="stable")
        relevant = set(rows.ITEM_ID.iloc[len(rows) * 9 // 10 :])
        hits = [1.0 if i in relevant else 0.0 for i in ranked]
        dcg = sum(h / math.log2(p + 2) for p, h in enumerate(hits[:10]))
        ideal = sum(1 / math.log2(p + 2) for p in range(min(len(relevant), 10)))
        ndcg10.append(dcg / ideal)
        p5.append(sum(hits[:5]) / 5)
        first = next((p for p, h in enumerate(hits) if h), None)
        rr.append(0.0 if first is None else 1 / (first + 1))
    assert metrics["normalized_discounted_cumulative_gain_at_10"] == pytest.approx(
        np.mean(ndcg10), abs=1e-4
    )
    assert metrics["precision_at_5"] == pytest.approx(np.mean(p5), abs=1e-4)
    assert metrics["mean_reciprocal_rank_at_25"] == pytest.approx(np.mean(rr), abs=1e-4)
    assert metrics["coverage"] == pytest.approx(25 / 120, abs=1e-4)


def test_user_personalization_uses_repeats(aws_env, setup):
    """In data where users repeat items, seen items stay recommendable and rank high."""
    personalize, runtime, _ = clients()
    _, version = trained_version(personalize, setup["group"], "aws-user-personalization")
    campaign = campaign_for(personalize, version)
    frame = setup["frames"][0]
    last = frame[frame.USER_ID == "u4"].ITEM_ID.iloc[-1]
    answer = runtime.get_recommendations(campaignArn=campaign, userId="u4", numResults=10)
    assert last in [i["itemId"] for i in answer["itemList"]]
    tuned = personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert tuned["tunedHPOParams"]["algorithmHyperParameters"]["repeat"] != "None"
    personalize.delete_campaign(campaignArn=campaign)


def test_filters_with_placeholders(aws_env, setup):
    personalize, runtime, _ = clients()
    group = setup["group"]
    include = personalize.create_filter(
        name=unique("f"),
        datasetGroupArn=group,
        filterExpression="INCLUDE ItemID WHERE Items.CATEGORY IN ($CATS)",
    )["filterArn"]
    exclude = personalize.create_filter(
        name=unique("f"),
        datasetGroupArn=group,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase") | '
        "EXCLUDE ItemID WHERE Items.PRICE > $MAXPRICE",
    )["filterArn"]
    for arn in (include, exclude):
        wait(lambda a=arn: personalize.describe_filter(filterArn=a), "filter")
    _, version = trained_version(personalize, group, "aws-popularity-count")
    campaign = campaign_for(personalize, version)
    interactions, items = setup["frames"]
    answer = runtime.get_recommendations(
        campaignArn=campaign,
        userId="u1",
        filterArn=include,
        filterValues={"CATS": '"cat2","cat3"'},
    )["itemList"]
    allowed = set(items[items.CATEGORY.isin(["cat2", "cat3"])].ITEM_ID)
    assert answer and {i["itemId"] for i in answer} <= allowed
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(campaignArn=campaign, userId="u1", filterArn=include)
    bought = set(
        interactions[
            (interactions.USER_ID == "u1") & (interactions.EVENT_TYPE == "Purchase")
        ].ITEM_ID
    )
    cheap = set(items[items.PRICE > 50].ITEM_ID)
    answer = runtime.get_recommendations(
        campaignArn=campaign,
        userId="u1",
        numResults=100,
        filterArn=exclude,
        filterValues={"MAXPRICE": "50"},
    )["itemList"]
    ids = {i["itemId"] for i in answer}
    assert bought and ids.isdisjoint(bought) and ids.isdisjoint(cheap)
    # without MAXPRICE the second EXCLUDE is skipped: expensive items come back
    answer = runtime.get_recommendations(
        campaignArn=campaign, userId="u1", numResults=100, filterArn=exclude
    )["itemList"]
    assert {i["itemId"] for i in answer} & cheap
    filters = personalize.list_filters(datasetGroupArn=group)["Filters"]
    assert {f["filterArn"] for f in filters} >= {include, exclude}
    personalize.delete_campaign(campaignArn=campaign)


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("INCLUDE ItemID WHERE Items.GENRE IN", 35),
        ('INCLUDE ItemID WHERE Interactions.ITEM_ID IN ("a")', 34),
        ('INCLUDE ItemID WHERE Items.A IN ("x") AND Interactions.EVENT_TYPE IN ("y")', 21),
        ('KEEP ItemID WHERE Items.A IN ("x")', 0),
        ('EXCLUDE ItemID WHERE Items.PRICE < "cheap"', 35),
    ],
)
def test_bad_filter_expression_names_the_position(aws_env, setup, expression, position):
    personalize, _, _ = clients()
    with pytest.raises(personalize.exceptions.InvalidInputException) as info:
        personalize.create_filter(
            name=unique("bad"), datasetGroupArn=setup["group"], filterExpression=expression
        )
    assert f"position {position}" in str(info.value)


def test_personalized_ranking_scores_sum_to_one(aws_env, setup):
    personalize, runtime, _ = clients()
    _, version = trained_version(personalize, setup["group"], "aws-personalized-ranking")
    campaign = campaign_for(personalize, version)
    answer = runtime.get_personalized_ranking(
        campaignArn=campaign, userId="u2", inputList=["i3", "never-seen", "i7", "i9"]
    )["personalizedRanking"]
    assert [i["itemId"] for i in answer][-1] == "never-seen" and "score" not in answer[-1]
    scores = [i["score"] for i in answer[:-1]]
    assert sum(scores) == pytest.approx(1.0, abs=1e-5) and scores == sorted(scores, reverse=True)
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(campaignArn=campaign, userId="u2")
    personalize.delete_campaign(campaignArn=campaign)


@pytest.mark.parametrize("recipe", ["aws-sims", "aws-similar-items"])
def test_related_items(aws_env, setup, recipe):
    personalize, runtime, _ = clients()
    _, version = trained_version(personalize, setup["group"], recipe)
    campaign = campaign_for(personalize, version)
    answer = runtime.get_recommendations(campaignArn=campaign, itemId="i1")["itemList"]
    assert answer and "i1" not in [i["itemId"] for i in answer]
    assert all("score" not in i for i in answer)
    unknown = runtime.get_recommendations(campaignArn=campaign, itemId="unknown")["itemList"]
    popular = setup["frames"][0].ITEM_ID.value_counts()
    assert unknown[0]["itemId"] == sorted(popular.index, key=lambda i: (-popular[i], i))[0]
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.get_recommendations(campaignArn=campaign, userId="u1")
    personalize.delete_campaign(campaignArn=campaign)


def test_trending_now(aws_env, setup):
    personalize, runtime, _ = clients()
    _, version = trained_version(personalize, setup["group"], "aws-trending-now")
    campaign = campaign_for(personalize, version)
    assert len(runtime.get_recommendations(campaignArn=campaign)["itemList"]) == 25
    personalize.delete_campaign(campaignArn=campaign)


def test_recipes_catalogue_and_refusals(aws_env, setup):
    personalize, _, _ = clients()
    names = {
        r["name"]
        for page in personalize.get_paginator("list_recipes").paginate()
        for r in page["recipes"]
    }
    assert {"aws-user-personalization", "aws-sims", "aws-ecomm-recommended-for-you"} <= names
    ecommerce = personalize.list_recipes(domain="ECOMMERCE")["recipes"]
    assert ecommerce and all(r["domain"] == "ECOMMERCE" for r in ecommerce)
    recipe = personalize.describe_recipe(recipeArn=RECIPE + "aws-sims")["recipe"]
    assert recipe["recipeType"] == "RELATED_ITEMS"
    assert recipe["algorithmArn"] == "arn:aws:personalize:::algorithm/aws-sims"
    for name, text in [
        ("aws-hrnn", "no longer available"),
        ("aws-semantic-similarity", "local emulator does not train"),
    ]:
        with pytest.raises(personalize.exceptions.InvalidInputException) as info:
            personalize.create_solution(
                name=unique("s"), datasetGroupArn=setup["group"], recipeArn=RECIPE + name
            )
        assert text in str(info.value)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.describe_recipe(recipeArn=RECIPE + "aws-nothing")
    algorithm = personalize.describe_algorithm(algorithmArn=recipe["algorithmArn"])["algorithm"]
    assert algorithm["defaultHyperParameters"]["min_cointeraction_count"] == "3"
    transformation = personalize.describe_feature_transformation(
        featureTransformationArn=recipe["featureTransformationArn"]
    )["featureTransformation"]
    assert transformation["name"] == "sims"


def test_bad_csv_fails_the_job_and_keeps_earlier_data(aws_env, setup):
    personalize, _, _ = clients()
    cases = [
        ("USER_ID,ITEM_ID\nu1,i1\n", "missing the following columns: [EVENT_TYPE, TIMESTAMP]"),
        ("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu1,i1,View,1700000000000\n", "epoch seconds"),
        ("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu1,i1,View,yesterday\n", "integers"),
    ]
    provider = next(p for p in aws_env.app.providers if p.name == "personalize")
    before = provider.control.store.get(setup["interactions"]).state["data"].count()
    for text, reason in cases:
        job = personalize.create_dataset_import_job(
            jobName=unique("bad"),
            datasetArn=setup["interactions"],
            dataSource={"dataLocation": put_text(text)},
            roleArn=personalize_role(),
        )["datasetImportJobArn"]
        status = wait(
            lambda j=job: personalize.describe_dataset_import_job(datasetImportJobArn=j),
            "datasetImportJob",
        )
        assert status["status"] == "CREATE FAILED" and reason in status["failureReason"]
    job = personalize.create_dataset_import_job(
        jobName=unique("nowhere"),
        datasetArn=setup["interactions"],
        dataSource={"dataLocation": "s3://no-such-bucket-here/x.csv"},
    )["datasetImportJobArn"]
    status = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
        "datasetImportJob",
    )
    assert "Invalid Data location" in status["failureReason"]
    assert provider.control.store.get(setup["interactions"]).state["data"].count() == before


def test_quoting_rules_of_the_csv(aws_env):
    personalize, _, _ = clients()
    frame = generate(n_users=150, n_items=60, seed=3)[0]
    items_csv = "ITEM_ID,CATEGORY,PRICE\n" + '"i1","a, b \\"quoted\\"",1.5\ni2,c|d,2\n'
    arns = group_with_data(personalize, frame)
    schema = personalize.create_schema(name=unique("s"), schema=ITEMS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(
        name=unique("d"), schemaArn=schema, datasetGroupArn=arns["group"], datasetType="Items"
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=dataset), "dataset")
    job = personalize.create_dataset_import_job(
        jobName=unique("items"),
        datasetArn=dataset,
        dataSource={"dataLocation": put_text(items_csv)},
    )["datasetImportJobArn"]
    status = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
        "datasetImportJob",
    )
    assert status["status"] == "ACTIVE", status
    provider = next(p for p in aws_env.app.providers if p.name == "personalize")
    rows = provider.control.store.get(dataset).state["data"].frame()
    assert rows.CATEGORY.tolist() == ['a, b "quoted"', "c|d"]


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ("{not json", "Interactions"),
        (
            json.dumps(
                {
                    "type": "record",
                    "name": "Interactions",
                    "fields": [
                        {"name": "USER_ID", "type": "string"},
                        {"name": "ITEM_ID", "type": "string"},
                    ],
                }
            ),
            "Interactions",
        ),
        (
            json.dumps(
                {
                    "type": "record",
                    "name": "Interactions",
                    "fields": [
                        {"name": "USER_ID", "type": "string"},
                        {"name": "ITEM_ID", "type": "string"},
                        {"name": "TIMESTAMP", "type": "string"},
                    ],
                }
            ),
            "Interactions",
        ),
        (
            json.dumps(
                {
                    "type": "record",
                    "name": "Items",
                    "fields": [{"name": "ITEM_ID", "type": "string"}],
                }
            ),
            "Items",
        ),
        (
            json.dumps(
                {
                    "type": "record",
                    "name": "Items",
                    "fields": [
                        {"name": "ITEM_ID", "type": "string"},
                        {"name": "TAGS", "type": {"type": "array"}},
                    ],
                }
            ),
            "Items",
        ),
        (INTERACTIONS_SCHEMA, "Items"),
    ],
)
def test_schema_rules(aws_env, setup, schema, kind):
    personalize, _, _ = clients()
    with pytest.raises(personalize.exceptions.InvalidInputException):
        arn = personalize.create_schema(name=unique("s"), schema=schema)["schemaArn"]
        group = personalize.create_dataset_group(name=unique("dg"))["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
        try:
            personalize.create_dataset(
                name=unique("d"), schemaArn=arn, datasetGroupArn=group, datasetType=kind
            )
        finally:
            personalize.delete_dataset_group(datasetGroupArn=group)


def test_batch_inference_job(aws_env, setup):
    personalize, _, _ = clients()
    _, version = trained_version(personalize, setup["group"], "aws-user-personalization")
    s3 = boto3.client("s3")
    bucket = personalize_bucket()
    s3.put_object(Bucket=bucket, Key="in/users.json", Body=b'{"userId": "u1"}\n{"userId": "u2"}\n')
    only = personalize.create_filter(
        name=unique("batch"),
        datasetGroupArn=setup["group"],
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY IN ("cat1", "cat2")',
    )["filterArn"]
    wait(lambda: personalize.describe_filter(filterArn=only), "filter")
    job = personalize.create_batch_inference_job(
        jobName=unique("b"),
        solutionVersionArn=version,
        filterArn=only,
        roleArn=personalize_role(),
        jobInput={"s3DataSource": {"path": f"s3://{bucket}/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/out/"}},
        numResults=7,
    )["batchInferenceJobArn"]
    status = wait(
        lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=job),
        "batchInferenceJob",
    )
    assert status["status"] == "ACTIVE", status
    body = s3.get_object(Bucket=bucket, Key="out/users.json.out")["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["input"]["userId"] for line in lines] == ["u1", "u2"]
    assert all(len(line["output"]["recommendedItems"]) == 7 for line in lines)
    assert all(len(line["output"]["scores"]) == 7 and line["error"] is None for line in lines)
    items = setup["frames"][1]
    allowed = set(items[items.CATEGORY.isin(["cat1", "cat2"])].ITEM_ID)
    assert all(set(line["output"]["recommendedItems"]) <= allowed for line in lines)


def test_hpo_update_mode_and_tags(aws_env, setup):
    personalize, _, _ = clients()
    solution, version = trained_version(
        personalize,
        setup["group"],
        "aws-user-personalization",
        performHPO=True,
        tags=[{"tagKey": "team", "tagValue": "ws"}],
    )
    tuned = personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert set(tuned["tunedHPOParams"]["algorithmHyperParameters"]) >= {"decay", "neighbours"}
    update = personalize.create_solution_version(solutionArn=solution, trainingMode="UPDATE")
    status = wait(
        lambda: personalize.describe_solution_version(
            solutionVersionArn=update["solutionVersionArn"]
        ),
        "solutionVersion",
    )
    assert status["status"] == "ACTIVE" and status["trainingMode"] == "UPDATE"
    assert personalize.list_tags_for_resource(resourceArn=solution)["tags"] == [
        {"tagKey": "team", "tagValue": "ws"}
    ]
    personalize.tag_resource(resourceArn=solution, tags=[{"tagKey": "b", "tagValue": "2"}])
    personalize.untag_resource(resourceArn=solution, tagKeys=["team"])
    assert personalize.list_tags_for_resource(resourceArn=solution)["tags"] == [
        {"tagKey": "b", "tagValue": "2"}
    ]
    pop, _ = trained_version(personalize, setup["group"], "aws-popularity-count")
    with pytest.raises(personalize.exceptions.InvalidInputException):
        personalize.create_solution_version(solutionArn=pop, trainingMode="UPDATE")


def test_too_little_data_fails_training(aws_env):
    personalize, _, _ = clients()
    frame = generate(n_users=150, n_items=60, seed=3)[0]
    arns = group_with_data(personalize, frame)
    solution = personalize.create_solution(
        name=unique("s"),
        datasetGroupArn=arns["group"],
        recipeArn=RECIPE + "aws-user-personalization",
        eventType="Purchase",  # this data has only View events
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=solution), "solution")
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=version),
        "solutionVersion",
    )
    assert status["status"] == "CREATE FAILED"
    assert "fewer than 1000 interactions" in status["failureReason"]
    with pytest.raises(personalize.exceptions.ResourceInUseException):
        personalize.get_solution_metrics(solutionVersionArn=version)


def test_limit_exceeded_on_campaigns_per_group(aws_env):
    personalize, _, _ = clients()
    frame = generate(n_users=150, n_items=60, seed=4)[0]
    arns = group_with_data(personalize, frame)
    _, version = trained_version(personalize, arns["group"], "aws-popularity-count")
    for _ in range(5):
        campaign_for(personalize, version)
    with pytest.raises(personalize.exceptions.LimitExceededException):
        personalize.create_campaign(name=unique("c"), solutionVersionArn=version)
    time.sleep(0)


def test_limit_exceeded_on_dataset_groups(aws_env):
    personalize, _, _ = clients()
    quotas = provider_of(aws_env).control.quotas
    existing = len(personalize.list_dataset_groups()["datasetGroups"])
    quotas["dataset_groups"] = existing
    try:
        with pytest.raises(personalize.exceptions.LimitExceededException):
            personalize.create_dataset_group(name=unique("dg"))
    finally:
        roomy_quotas(aws_env)


def test_import_modes_and_folder_prefix(aws_env):
    personalize, _, _ = clients()
    first, _ = generate(n_users=150, n_items=60, seed=8)
    arns = group_with_data(personalize, first)
    provider = provider_of(aws_env)
    data = provider.control.store.get(arns["interactions"]).state["data"]
    assert data.count() == len(first)
    s3 = boto3.client("s3")
    bucket = unique("folder")
    s3.create_bucket(Bucket=bucket)
    second, _ = generate(n_users=150, n_items=60, seed=9)
    halves = [second.iloc[: len(second) // 2], second.iloc[len(second) // 2 :]]
    for k, part in enumerate(halves):
        s3.put_object(
            Bucket=bucket, Key=f"more/part-{k}.csv", Body=part.to_csv(index=False).encode()
        )

    def run(mode: str) -> dict:
        job = personalize.create_dataset_import_job(
            jobName=unique("mode"),
            datasetArn=arns["interactions"],
            dataSource={"dataLocation": f"s3://{bucket}/more/"},
            importMode=mode,
        )["datasetImportJobArn"]
        return wait(
            lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
        )

    assert run("INCREMENTAL")["status"] == "ACTIVE"
    assert data.count() == len(first) + len(second)
    assert run("FULL")["importMode"] == "FULL"
    assert data.count() == len(second)
