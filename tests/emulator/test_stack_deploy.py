"""setup/workshop-stack.yaml deployed into the emulator's CloudFormation (moto).

What the emulator's CloudFormation creates is checked through the same APIs connect() and the
notebooks use: the outputs, the bucket with its settings and policy, the roles and their inline
policies, the learner policy, and that delete_stack removes them. moto 5.2.5 alone skips part of
the template; workshop_lib/emulator/cloudformation_fixes.py completes it (its own tests:
test_cloudformation_fixes.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

TEMPLATE = Path(__file__).resolve().parents[2] / "setup" / "workshop-stack.yaml"
LIFECYCLE_SCRIPT = TEMPLATE.with_name("sagemaker-lifecycle.sh")
ACCOUNT = "123456789012"  # the account moto answers for
WORKSPACE_ID = "wsTest4Stack"
ALWAYS = {
    "Region",
    "Prefix",
    "BucketName",
    "GlueJobRoleArn",
    "PersonalizeRoleArn",
    "RecommendationsApiRoleArn",
    "SegmentDestinationRoleArn",
    "LearnerPolicyArn",
}


def deploy(name: str, **parameters: str) -> dict[str, str]:
    """Create the stack; its outputs as {key: value}."""
    cfn = boto3.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def inline_policy(arn: str) -> dict:
    iam = boto3.client("iam")
    (policy_name,) = iam.list_role_policies(RoleName=role_name(arn))["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name(arn), PolicyName=policy_name)
    # AWS answers with URL-encoded JSON, which botocore decodes (a string: it was no JSON)
    assert isinstance(document["PolicyDocument"], dict), document["PolicyDocument"]
    return document["PolicyDocument"]


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


@pytest.fixture(scope="module")
def stack(module_aws_env):
    """The stack as an instructor deploys it for a class with Segment: workspace id given."""
    outputs = deploy("stack-test-segment", Prefix="stack-test", SegmentWorkspaceId=WORKSPACE_ID)
    return {"name": "stack-test-segment", "outputs": outputs, "bucket": outputs["BucketName"]}


def test_stack_is_created_with_every_output(stack):
    cfn = boto3.client("cloudformation")
    (described,) = cfn.describe_stacks(StackName=stack["name"])["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert set(stack["outputs"]) == ALWAYS | {"SegmentInvokeRoleArn", "SegmentS3RoleArn"}
    assert stack["outputs"]["Region"] == "us-east-1"
    assert stack["outputs"]["Prefix"] == "stack-test"


def test_connect_finds_every_role_and_the_workspace_id(stack):
    """workshop_lib.stack, which connect() uses, reads this template's outputs."""
    from workshop_lib import stack as stack_outputs

    info = stack_outputs.read(boto3.client("cloudformation"), stack["name"])
    assert info.roles == {
        key: stack["outputs"][output] for output, key in stack_outputs.ROLE_OUTPUTS.items()
    }
    assert info.parameters["SegmentWorkspaceId"] == WORKSPACE_ID
    assert info.outputs["BucketName"] == stack["bucket"]


def test_the_bucket_exists_with_the_kits_name_and_encryption(stack):
    s3 = boto3.client("s3")
    assert stack["bucket"] == f"stack-test-{ACCOUNT}-us-east-1"
    s3.head_bucket(Bucket=stack["bucket"])
    (rule,) = s3.get_bucket_encryption(Bucket=stack["bucket"])["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tags = s3.get_bucket_tagging(Bucket=stack["bucket"])["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "Project": "segment-personalize-workshop",
        "WorkshopPrefix": "stack-test",
    }


def test_the_bucket_blocks_public_access(stack):
    block = boto3.client("s3").get_public_access_block(Bucket=stack["bucket"])
    assert block["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_the_bucket_enforces_bucket_ownership(stack):
    rules = boto3.client("s3").get_bucket_ownership_controls(Bucket=stack["bucket"])
    assert rules["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_bucket_aborts_incomplete_uploads_after_a_day(stack):
    lifecycle = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=stack["bucket"])
    (rule,) = lifecycle["Rules"]
    assert rule["ID"] == "abort-incomplete-multipart-uploads"
    assert rule["Status"] == "Enabled"
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "Expiration" not in rule


def test_the_bucket_policy_lets_personalize_in(stack):
    policy = json.loads(boto3.client("s3").get_bucket_policy(Bucket=stack["bucket"])["Policy"])
    bucket = f"arn:aws:s3:::{stack['bucket']}"
    assert [s["Sid"] for s in policy["Statement"]] == [
        "PersonalizeS3Access",
        "DenyInsecureTransport",
    ]
    assert statement(policy, "PersonalizeS3Access") == {
        "Sid": "PersonalizeS3Access",
        "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"},
        "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
        "Resource": [bucket, f"{bucket}/*"],
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    deny = statement(policy, "DenyInsecureTransport")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_learner_uses_the_bucket_despite_its_policy(stack):
    """The emulator stands in for AWS's HTTPS endpoints: the deny of plain HTTP does not hit."""
    s3 = boto3.client("s3")
    s3.put_object(Bucket=stack["bucket"], Key="segment-logs/probe.json", Body=b"{}")
    body = s3.get_object(Bucket=stack["bucket"], Key="segment-logs/probe.json")["Body"].read()
    assert body == b"{}"
    deleted = s3.delete_objects(
        Bucket=stack["bucket"], Delete={"Objects": [{"Key": "segment-logs/probe.json"}]}
    )
    assert [d["Key"] for d in deleted["Deleted"]] == ["segment-logs/probe.json"]
    assert "Errors" not in deleted


@pytest.mark.parametrize(
    ("output", "service"),
    [
        ("GlueJobRoleArn", "glue.amazonaws.com"),
        ("PersonalizeRoleArn", "personalize.amazonaws.com"),
        ("RecommendationsApiRoleArn", "lambda.amazonaws.com"),
        ("SegmentDestinationRoleArn", "lambda.amazonaws.com"),
    ],
)
def test_service_roles_are_real_and_on_the_stack_path(stack, output, service):
    arn = stack["outputs"][output]
    role = boto3.client("iam").get_role(RoleName=role_name(arn))["Role"]
    assert role["Arn"] == arn
    assert role["Path"] == "/workshop-stack/"
    assert arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/workshop-stack/stack-test-segment-")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": service}


def test_the_glue_role_reads_only_the_logs_and_its_script(stack):
    document = inline_policy(stack["outputs"]["GlueJobRoleArn"])
    bucket = f"arn:aws:s3:::{stack['bucket']}"
    assert statement(document, "ReadLogsAndScript") == {
        "Sid": "ReadLogsAndScript",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [f"{bucket}/segment-logs/*", f"{bucket}/glue-scripts/*"],
    }
    assert statement(document, "WriteInteractions")["Resource"] == f"{bucket}/transformed/*"
    allowed = {a for s in document["Statement"] for a in json.dumps(s["Action"]).split('"')}
    assert not {"s3:*", "s3:PutObject*"} & allowed


def test_the_function_roles_read_the_kits_campaigns(stack):
    document = inline_policy(stack["outputs"]["RecommendationsApiRoleArn"])
    personalize = f"arn:aws:personalize:us-east-1:{ACCOUNT}"
    assert statement(document, "ReadRecommendations")["Resource"] == [
        f"{personalize}:campaign/stack-test-user-personalization",
        f"{personalize}:campaign/stack-test-similar-items",
        f"{personalize}:filter/stack-test-exclude-purchased",
    ]
    logs = statement(document, "WriteItsLogStreams")["Resource"]
    assert logs == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/stack-test-recommendations-api"
        ":log-stream:*"
    )


@pytest.mark.parametrize(
    ("output", "principal"),
    [
        ("SegmentInvokeRoleArn", "customer-personalize-prod-destination-access"),
        ("SegmentS3RoleArn", "segment-s3-integration-production-access"),
    ],
)
def test_segment_roles_need_the_workspace_id(stack, output, principal):
    role = boto3.client("iam").get_role(RoleName=role_name(stack["outputs"][output]))["Role"]
    assert role["Path"] == "/workshop-stack/"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::595280932656:role/{principal}"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": WORKSPACE_ID}}


def test_the_segment_invoke_role_invokes_only_the_destination(stack):
    document = inline_policy(stack["outputs"]["SegmentInvokeRoleArn"])
    (only,) = document["Statement"]
    assert only["Action"] == "lambda:InvokeFunction"
    assert only["Resource"] == (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:stack-test-segment-destination"
    )


def test_the_learner_policy_is_bound_to_this_stack(stack):
    iam, arn = boto3.client("iam"), stack["outputs"]["LearnerPolicyArn"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Path"] == "/workshop-stack/"
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]["Document"]
    (described,) = boto3.client("cloudformation").describe_stacks(StackName=stack["name"])["Stacks"]
    assert statement(document, "ReadStackOutputs")["Resource"] == described["StackId"]
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    assert statement(document, "WorkshopDatabase")["Resource"] == [
        f"{glue}:catalog",
        f"{glue}:database/stack_test",  # Athena's name for the prefix: - becomes _
        f"{glue}:table/stack_test/segment_logs",
    ]
    passed = statement(document, "PassGlueJobRole")
    assert passed["Resource"] == stack["outputs"]["GlueJobRoleArn"]
    assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}


def test_without_a_workspace_id_there_are_no_segment_roles(module_aws_env):
    outputs = deploy("stack-test-plain", Prefix="stack-plain")
    assert set(outputs) == ALWAYS
    roles = boto3.client("iam").list_roles(PathPrefix="/workshop-stack/")["Roles"]
    names = [r["RoleName"] for r in roles if r["RoleName"].startswith("stack-test-plain-")]
    assert len(names) == 4
    assert not [n for n in names if "Segment" in n and "Destination" not in n]


def test_the_notebook_instance_gets_the_lifecycle_script(module_aws_env):
    """Fn::Sub puts the repository into the script; the rest is the file, byte for byte."""
    url = "https://git.example.com/workshop-kit.git"
    outputs = deploy(
        "stack-test-notebook",
        Prefix="stack-notebook",
        CreateNotebookInstance="true",
        KitRepositoryUrl=url,
        KitRepositoryBranch="class-7",
    )
    assert set(outputs) == ALWAYS | {"NotebookInstanceName"}
    sagemaker = boto3.client("sagemaker")
    instance = sagemaker.describe_notebook_instance(
        NotebookInstanceName=outputs["NotebookInstanceName"]
    )
    assert role_name(instance["RoleArn"]).startswith("stack-test-notebook-NotebookRole-")
    resources = boto3.client("cloudformation").list_stack_resources(
        StackName="stack-test-notebook"
    )["StackResourceSummaries"]
    config = next(r for r in resources if r["LogicalResourceId"] == "NotebookLifecycle")
    described = sagemaker.describe_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=config["PhysicalResourceId"].rsplit("/", 1)[1]
    )
    script = base64.b64decode(described["OnStart"][0]["Content"]).decode()
    expected = (
        LIFECYCLE_SCRIPT.read_text()
        .replace("${KitRepositoryUrl}", url)
        .replace("${KitRepositoryBranch}", "class-7")
        .replace("${AWS::StackName}", "stack-test-notebook")
        .replace("${AWS::Region}", "us-east-1")
    )
    assert script == expected


@pytest.fixture(scope="module")
def deleted(module_aws_env):
    """A stack deployed, then deleted: its outputs."""
    outputs = deploy("stack-test-delete", Prefix="stack-delete", SegmentWorkspaceId=WORKSPACE_ID)
    boto3.client("cloudformation").delete_stack(StackName="stack-test-delete")
    return outputs


def test_deleting_the_stack_removes_the_bucket_and_the_roles(deleted):
    with pytest.raises(ClientError) as gone:
        boto3.client("s3").head_bucket(Bucket=deleted["BucketName"])
    assert gone.value.response["Error"]["Code"] == "404"
    roles = [arn for key, arn in deleted.items() if key.endswith("RoleArn")]
    assert len(roles) == 6
    for arn in roles:
        with pytest.raises(ClientError) as missing:
            boto3.client("iam").get_role(RoleName=role_name(arn))
        assert missing.value.response["Error"]["Code"] == "NoSuchEntity", arn


def test_deleting_the_stack_removes_the_learner_policy(deleted):
    with pytest.raises(ClientError) as missing:
        boto3.client("iam").get_policy(PolicyArn=deleted["LearnerPolicyArn"])
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_every_policy_of_the_stack_passes_parliament(stack):
    """The roles' inline policies, LearnerPolicy and the bucket policy: no unknown action, no
    resource that does not fit its action (parliament, AWS's Service Authorization Reference)."""
    from tests.policy_lint import problems

    iam = boto3.client("iam")
    found = []
    for key, arn in stack["outputs"].items():
        if key.endswith("RoleArn"):
            found += problems(inline_policy(arn), key)
    learner = stack["outputs"]["LearnerPolicyArn"]
    version = iam.get_policy(PolicyArn=learner)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=learner, VersionId=version)["PolicyVersion"]
    found += problems(document["Document"], "LearnerPolicy")
    bucket = json.loads(boto3.client("s3").get_bucket_policy(Bucket=stack["bucket"])["Policy"])
    found += problems(bucket, "DataBucketPolicy")
    assert found == []
