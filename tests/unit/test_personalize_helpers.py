"""Client-side Personalize helpers, with botocore's Stubber (no emulator, no network)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from workshop_lib import personalize as p

REGION = "us-east-1"
DG = f"arn:aws:personalize:{REGION}:123456789012:dataset-group/shop"


@pytest.fixture
def client():
    c = boto3.client(
        "personalize", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        (DG, "dataset-group"),
        (f"arn:aws:personalize:{REGION}:123456789012:solution/s1", "solution"),
        (f"arn:aws:personalize:{REGION}:123456789012:solution/s1/3ba6a5be", "solution-version"),
        (f"arn:aws:personalize:{REGION}:123456789012:dataset/shop/INTERACTIONS", "dataset"),
        (f"arn:aws:personalize:{REGION}:123456789012:event-tracker/d2e0162e", "event-tracker"),
    ],
)
def test_kind_of(arn, kind):
    assert p.kind_of(arn) == kind


def test_kind_of_rejects_other_arns():
    with pytest.raises(ValueError, match="Not a Personalize resource ARN"):
        p.kind_of("arn:aws:s3:::bucket")


def test_get_or_create_creates(client):
    client.stub.add_response("create_dataset_group", {"datasetGroupArn": DG}, {"name": "shop"})
    assert p.get_or_create(client, "dataset-group", name="shop") == (DG, True)


def test_get_or_create_reuses_the_one_with_that_name(client):
    client.stub.add_client_error("create_dataset_group", "ResourceAlreadyExistsException")
    client.stub.add_response(
        "list_dataset_groups",
        {
            "datasetGroups": [
                {"name": "other", "datasetGroupArn": DG + "x", "status": "ACTIVE"},
                {"name": "shop", "datasetGroupArn": DG, "status": "ACTIVE"},
            ]
        },
    )
    assert p.get_or_create(client, "dataset-group", name="shop") == (DG, False)


def test_get_or_create_lists_under_the_parent(client):
    solution = f"arn:aws:personalize:{REGION}:123456789012:solution/user-pers"
    client.stub.add_client_error("create_solution", "ResourceAlreadyExistsException")
    client.stub.add_response(
        "list_solutions",
        {"solutions": [{"name": "user-pers", "solutionArn": solution, "status": "ACTIVE"}]},
        {"datasetGroupArn": DG},
    )
    arn, created = p.get_or_create(
        client,
        "solution",
        name="user-pers",
        datasetGroupArn=DG,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    )
    assert (arn, created) == (solution, False)


def test_get_or_create_explains_a_resource_being_deleted(client):
    client.stub.add_client_error("create_dataset_group", "ResourceAlreadyExistsException")
    client.stub.add_response(
        "list_dataset_groups",
        {"datasetGroups": [{"name": "shop", "datasetGroupArn": DG, "status": "DELETE PENDING"}]},
    )
    with pytest.raises(RuntimeError, match=r"being deleted.*run this cell again"):
        p.get_or_create(client, "dataset-group", name="shop")


def test_other_errors_pass_through(client):
    client.stub.add_client_error("create_dataset_group", "LimitExceededException")
    with pytest.raises(client.exceptions.LimitExceededException):
        p.get_or_create(client, "dataset-group", name="shop")


def test_wait_until_active_describes_each_kind(client):
    version = f"arn:aws:personalize:{REGION}:123456789012:solution/s1/3ba6a5be"
    client.stub.add_response(
        "describe_solution_version",
        {"solutionVersion": {"solutionVersionArn": version, "status": "CREATE IN_PROGRESS"}},
        {"solutionVersionArn": version},
    )
    client.stub.add_response(
        "describe_dataset_group",
        {"datasetGroup": {"datasetGroupArn": DG, "status": "ACTIVE"}},
        {"datasetGroupArn": DG},
    )
    client.stub.add_response(
        "describe_solution_version",
        {"solutionVersion": {"solutionVersionArn": version, "status": "ACTIVE"}},
        {"solutionVersionArn": version},
    )
    lines = []
    result = p.wait_until_active(
        client, [version, DG], poll=0, say=lines.append, sleep=lambda _: None
    )
    assert [d["status"] for d in result.values()] == ["ACTIVE", "ACTIVE"]
    assert lines[-1] == "Ready: solution-version s1/3ba6a5be (ACTIVE), dataset-group shop (ACTIVE)."
