"""The policy-coverage check of tests/notebooks/test_stack_path.py: request -> IAM actions,
the policy evaluator, and who made a call. A wrong answer here hides an AccessDenied that
only a real account would show, so each rule is pinned with the case it exists for."""

from __future__ import annotations

import pytest

from tests.notebooks.iam_coverage import (
    GENERATED,
    LEARNER,
    OWNER,
    SERVICE,
    Attribution,
    Need,
    Where,
    allowed,
    gaps,
    iam_action,
    needs,
    refused,
)
from workshop_lib.emulator.request_log import internal_access_key, role_access_key

WHERE = Where(
    "123456789012", "us-east-1", {"kit": "arn:aws:cloudformation:us-east-1:1:stack/kit/x"}
)
BUCKET = "arn:aws:s3:::kit-bucket"
ROLE = "arn:aws:iam::123456789012:role/workshop-stack/kit-GlueJobRole-ABC"


def entry(service, operation, method="POST", path="/", key="test", **params):
    return {
        "service": service,
        "operation": operation,
        "method": method,
        "path": path,
        "key": key,
        "params": params,
    }


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [
        ("s3", "HeadBucket", "s3:ListBucket"),
        ("s3", "ListObjectsV2", "s3:ListBucket"),
        ("s3", "HeadObject", "s3:GetObject"),
        ("s3", "DeleteObjects", "s3:DeleteObject"),
        ("s3", "ListObjectVersions", "s3:ListBucketVersions"),
        ("s3", "UploadPart", "s3:PutObject"),
        ("s3", "ListParts", "s3:ListMultipartUploadParts"),
        ("s3", "PutObject", "s3:PutObject"),
        ("lambda", "Invoke", "lambda:InvokeFunction"),
        ("lambda", "GetFunctionConfiguration", "lambda:GetFunctionConfiguration"),
        ("personalize-runtime", "GetRecommendations", "personalize:GetRecommendations"),
        ("personalize-events", "PutEvents", "personalize:PutEvents"),
        ("athena", "StartQueryExecution", "athena:StartQueryExecution"),
        ("resourcegroupstaggingapi", "GetResources", "tag:GetResources"),
    ],
)
def test_operations_map_to_their_iam_action(service, operation, action):
    assert iam_action(service, operation) == action


def test_s3_object_calls_name_the_object_and_bucket_calls_the_bucket():
    (get,) = needs(entry("s3", "HeadObject", Bucket="kit-bucket", Key="transformed/a.csv"), WHERE)
    assert get == Need("s3:GetObject", (f"{BUCKET}/transformed/a.csv",))
    (listing,) = needs(entry("s3", "ListObjectsV2", Bucket="kit-bucket", prefix="batch/"), WHERE)
    assert listing == Need("s3:ListBucket", (BUCKET,))


def test_delete_objects_needs_each_key_and_with_version_ids_delete_object_version():
    call = entry("s3", "DeleteObjects", Bucket="kit-bucket", Keys=["a/1", "b/2"], VersionIds=2)
    objects = (f"{BUCKET}/a/1", f"{BUCKET}/b/2")
    assert needs(call, WHERE) == [
        Need("s3:DeleteObject", objects),
        Need("s3:DeleteObjectVersion", objects),
    ]


def test_a_create_call_with_tags_also_needs_the_services_tag_action():
    call = entry("lambda", "CreateFunction", FunctionName="kit-fn", Role=ROLE, Tags={"a": "b"})
    function = "arn:aws:lambda:us-east-1:123456789012:function:kit-fn"
    assert needs(call, WHERE) == [
        Need("lambda:CreateFunction", (function,)),
        Need("lambda:TagResource", (function,)),
        Need("iam:PassRole", (ROLE,), (("iam:PassedToService", "lambda.amazonaws.com"),)),
    ]
    untagged = entry("lambda", "CreateFunction", FunctionName="kit-fn")
    assert [n.action for n in needs(untagged, WHERE)] == ["lambda:CreateFunction"]


def test_personalize_creates_name_the_new_resource_and_generated_ids_the_parent():
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/kit-dataset-group"
    (campaign, tag) = needs(
        entry("personalize", "CreateCampaign", name="kit-campaign", tags=[{"tagKey": "a"}]), WHERE
    )
    arn = "arn:aws:personalize:us-east-1:123456789012:campaign/kit-campaign"
    assert campaign.resources == tag.resources == (arn,)
    (dataset,) = needs(
        entry("personalize", "CreateDataset", datasetGroupArn=group, datasetType="Items"), WHERE
    )
    assert dataset.resources == (
        "arn:aws:personalize:us-east-1:123456789012:dataset/kit-dataset-group/ITEMS",
    )
    solution = "arn:aws:personalize:us-east-1:123456789012:solution/kit-sims"
    version, tag = needs(
        entry("personalize", "CreateSolutionVersion", solutionArn=solution, tags=[{"k": 1}]),
        WHERE,
    )
    assert version.resources == (solution,)
    assert tag.resources == (f"{solution}/{GENERATED}",)


def test_personalize_runtime_calls_name_every_arn_they_send():
    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/kit-c"
    filter_arn = "arn:aws:personalize:us-east-1:123456789012:filter/kit-f"
    call = entry("personalize-runtime", "GetRecommendations", campaignArn=campaign, userId="u1")
    call["params"]["filterArn"] = filter_arn
    (need,) = needs(call, WHERE)
    assert need.resources == (campaign, filter_arn)
    (events,) = needs(entry("personalize-events", "PutEvents", trackingId="t"), WHERE)
    assert events.resources is None  # a tracking id, not an ARN: the action alone is checked


def test_glue_catalog_calls_need_catalog_database_and_table():
    (get,) = needs(entry("glue", "GetTable", DatabaseName="kit", Name="logs"), WHERE)
    glue = "arn:aws:glue:us-east-1:123456789012"
    assert get.resources == (f"{glue}:catalog", f"{glue}:database/kit", f"{glue}:table/kit/logs")
    create = entry("glue", "CreateTable", DatabaseName="kit", TableInput={"Name": "logs"})
    assert needs(create, WHERE)[0].resources == get.resources
    (job,) = needs(entry("glue", "GetJobRun", JobName="kit-etl", RunId="jr_1"), WHERE)
    assert job.resources == (f"{glue}:job/kit-etl",)


def test_api_gateway_is_the_http_verb_on_the_path_and_tags_on_create_a_post_to_tags():
    call = entry(
        "apigatewayv2",
        "CreateStage",
        path="/v2/apis/abc/stages",
        ApiId="abc",
        stageName="$default",
        tags={"a": "b"},
    )
    create, tag = needs(call, WHERE)
    assert create == Need("apigateway:POST", ("arn:aws:apigateway:us-east-1::/apis/abc/stages",))
    assert tag == Need(
        "apigateway:POST",
        (
            "arn:aws:apigateway:us-east-1::/tags/"
            "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fabc%2Fstages%2F%24default",
        ),
    )
    (delete,) = needs(entry("apigatewayv2", "DeleteApi", "DELETE", "/v2/apis/abc"), WHERE)
    assert delete == Need("apigateway:DELETE", ("arn:aws:apigateway:us-east-1::/apis/abc",))


def test_cloudformation_calls_name_the_stack_by_its_id():
    (describe,) = needs(entry("cloudformation", "DescribeStacks", StackName="kit"), WHERE)
    assert describe.resources == ("arn:aws:cloudformation:us-east-1:1:stack/kit/x",)


# ------------------------------------------------------------------ the evaluator


def test_actions_match_wildcards_without_case_and_resources_with_case():
    document = policy(allow("S3:Get*", "arn:aws:s3:::kit-bucket/transformed/*"))
    assert allowed([document], Need("s3:GetObject", None), f"{BUCKET}/transformed/x.csv")
    assert not allowed([document], Need("s3:GetObject", None), f"{BUCKET}/Transformed/x.csv")
    assert not allowed([document], Need("s3:PutObject", None), f"{BUCKET}/transformed/x.csv")


def test_percent_encoded_arns_match_however_often_the_document_was_decoded():
    tags = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2F"
    need = Need("apigateway:POST", None)
    for pattern in (
        f"{tags}*",
        "arn:aws:apigateway:us-east-1::/tags/arn:aws:apigateway:us-east-1::/apis/*",
    ):
        assert allowed([policy(allow("apigateway:POST", pattern))], need, f"{tags}abc")
    assert not allowed(
        [policy(allow("apigateway:POST", f"{tags}*"))], need, tags.replace("apis", "restapis") + "x"
    )


def test_an_explicit_deny_wins():
    document = policy(
        allow("s3:*", f"{BUCKET}/*"),
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"{BUCKET}/keep/*"},
    )
    assert allowed([document], Need("s3:DeleteObject", None), f"{BUCKET}/other/x")
    assert not allowed([document], Need("s3:DeleteObject", None), f"{BUCKET}/keep/x")


def test_an_action_without_resource_level_permissions_needs_a_star_resource():
    scoped = policy(allow("lambda:ListFunctions", "arn:aws:lambda:us-east-1:1:function:kit-*"))
    assert not allowed([scoped], Need("lambda:ListFunctions", ("*",)), "*")
    assert allowed(
        [policy(allow("lambda:ListFunctions"))], Need("lambda:ListFunctions", ("*",)), "*"
    )


def test_pass_role_holds_only_for_the_service_in_the_condition():
    document = policy(
        allow(
            "iam:PassRole",
            ROLE,
            Condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
        )
    )
    to_glue = Need("iam:PassRole", (ROLE,), (("iam:PassedToService", "glue.amazonaws.com"),))
    to_lambda = Need("iam:PassRole", (ROLE,), (("iam:PassedToService", "lambda.amazonaws.com"),))
    assert refused([document], to_glue) == []
    assert refused([document], to_lambda) == [ROLE]


def test_refused_lists_each_resource_not_allowed():
    document = policy(allow("s3:DeleteObject", f"{BUCKET}/batch/*"))
    need = Need("s3:DeleteObject", (f"{BUCKET}/batch/a", f"{BUCKET}/secret/b"))
    assert refused([document], need) == [f"{BUCKET}/secret/b"]
    assert refused([policy(allow("s3:GetObject"))], Need("s3:PutObject", None)) == [None]


# ------------------------------------------------------------------ who made the call


def test_each_caller_is_named_by_its_key():
    invoke = "arn:aws:iam::1:role/p/kit-Invoke-X"
    roles = {"GlueJobRole": ROLE, "SegmentInvokeRole": invoke}
    who = Attribution.of(["test"], roles, owner_keys=["ADMIN"])
    assert who.principal(entry("s3", "PutObject", key="test")) == LEARNER
    assert who.principal(entry("s3", "GetObject", key=role_access_key(ROLE))) == "GlueJobRole"
    segment = role_access_key(invoke)  # Segment invokes with the role it assumed
    assert who.principal(entry("lambda", "Invoke", key=segment)) == "SegmentInvokeRole"
    assert who.principal(entry("iam", "GetRole", key="ADMIN")) == OWNER
    assert who.principal(entry("s3", "GetObject", key="somebody")) is None


def test_the_emulators_own_calls_are_named_after_the_aws_principal_that_makes_them():
    who = Attribution.of(["test"], {})

    def internal(module, service, **params):
        return who.principal(entry(service, "Any", key=f"EMULATOR-{module}", **params))

    assert internal("athena.execution", "s3") == LEARNER  # Athena uses the caller's rights
    assert internal("personalize.control", "s3") == "PersonalizeRole"
    assert internal("segment.s3_destination", "s3") == "SegmentS3Role"
    assert internal("compute.glue_runs", "s3") == "GlueJobRole"
    assert internal("compute.glue_runs", "glue") == SERVICE
    assert internal("compute.logs", "logs", logGroupName="/aws/lambda/kit-fn") == "function:kit-fn"
    assert internal("compute.logs", "logs", logGroupName="/aws-glue/python-jobs/output") == (
        "GlueJobRole"
    )
    assert internal("something.new", "s3") is None


def test_role_keys_are_temporary_credential_shaped_and_internal_keys_name_the_module():
    assert role_access_key(ROLE) == "ASIAkit-GlueJobRole-ABC"
    assert internal_access_key(depth=1) == f"EMULATOR-{__name__}"


def test_gaps_report_principal_action_resource_and_the_call():
    roles = {"GlueJobRole": ROLE}
    who = Attribution.of(["test"], roles)
    policies = {
        LEARNER: [policy(allow("s3:PutObject", f"{BUCKET}/segment-logs/*"))],
        "GlueJobRole": [policy(allow("s3:GetObject", f"{BUCKET}/segment-logs/*"))],
    }
    calls = [
        entry("s3", "PutObject", Bucket="kit-bucket", Key="segment-logs/a.gz"),
        entry("s3", "PutObject", Bucket="kit-bucket", Key="transformed/i.csv"),
        entry("s3", "PutObject", key=role_access_key(ROLE), Bucket="kit-bucket", Key="x/y"),
        entry("s3", "GetObject", key="stranger", Bucket="kit-bucket", Key="x/y"),
    ]
    refusals, unknown = gaps(calls, who, policies, WHERE)
    assert refusals == [
        f"LearnerPolicy may not s3:PutObject on {BUCKET}/transformed/i.csv <- s3.PutObject "
        '{"Bucket": "kit-bucket", "Key": "transformed/i.csv"}',
        f"GlueJobRole may not s3:PutObject on {BUCKET}/x/y <- s3.PutObject "
        '{"Bucket": "kit-bucket", "Key": "x/y"}',
    ]
    assert unknown == ['stranger: s3.GetObject {"Bucket": "kit-bucket", "Key": "x/y"}']


# ------------------------------------------------------------------ the emulator's request log


def test_the_emulator_logs_each_request_with_its_key_and_resource(aws_env, monkeypatch, tmp_path):
    import boto3
    from botocore.exceptions import ClientError

    from tests.notebooks.iam_coverage import read_log
    from workshop_lib.emulator.request_log import ENV_REQUEST_LOG

    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv(ENV_REQUEST_LOG, str(log))
    s3 = boto3.client("s3", aws_access_key_id="AKIALEARNER", aws_secret_access_key="x")
    s3.create_bucket(Bucket="log-test-bucket")
    s3.put_object(Bucket="log-test-bucket", Key="segment-logs/a b.gz", Body=b"x")
    s3.delete_objects(
        Bucket="log-test-bucket",
        Delete={"Objects": [{"Key": "segment-logs/a b.gz", "VersionId": "null"}]},
    )
    with pytest.raises(ClientError):
        boto3.client("lambda").get_function(FunctionName="log-test-missing")
    monkeypatch.delenv(ENV_REQUEST_LOG)
    s3.list_buckets()  # not logged any more
    lines = [(e["key"], e["service"], e["operation"], e["params"]) for e in read_log(log)]
    assert lines == [
        ("AKIALEARNER", "s3", "CreateBucket", {"Bucket": "log-test-bucket"}),
        (
            "AKIALEARNER",
            "s3",
            "PutObject",
            {"Bucket": "log-test-bucket", "Key": "segment-logs/a b.gz"},
        ),
        (
            "AKIALEARNER",
            "s3",
            "DeleteObjects",
            {"Bucket": "log-test-bucket", "Keys": ["segment-logs/a b.gz"], "VersionIds": 1},
        ),
        ("test", "lambda", "GetFunction", {"FunctionName": "log-test-missing"}),
    ]
