"""workshop_lib/emulator/cloudformation_fixes.py, one small template per fix: create, update,
delete, read back through the APIs a notebook uses (not through moto's objects)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def allow(*actions: str, resource: str = "*") -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }


def deploy(name: str, resources: dict, outputs: dict | None = None) -> dict[str, str]:
    """Create the stack, or update it when it exists; its outputs as {key: value}."""
    cfn = boto3.client("cloudformation")
    template = json.dumps({"Resources": resources, "Outputs": outputs or {}})
    try:
        cfn.describe_stacks(StackName=name)
    except ClientError:
        cfn.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_IAM"])
        done = "CREATE_COMPLETE"
    else:
        cfn.update_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_IAM"])
        done = "UPDATE_COMPLETE"
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == done
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def delete(name: str) -> None:
    cfn = boto3.client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=name)
    (stack,) = cfn.describe_stacks(StackName=stack_id)["Stacks"]
    assert stack["StackStatus"] == "DELETE_COMPLETE"


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]["Code"]


def bucket(name: str, **properties) -> dict:
    return {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name, **properties}}


# --- AWS::S3::BucketPolicy


def bucket_policy(bucket_ref, sid: str) -> dict:
    statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": bucket_ref,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        },
    }


def sids(bucket_name: str) -> list[str]:
    policy = boto3.client("s3").get_bucket_policy(Bucket=bucket_name)["Policy"]
    return [s["Sid"] for s in json.loads(policy)["Statement"]]


def test_a_bucket_policy_is_created_updated_moved_and_deleted(aws_env):
    s3 = boto3.client("s3")
    for name in ("cfx-policy-a", "cfx-policy-b"):  # outside the stack, to see what it leaves
        s3.create_bucket(Bucket=name)
    outputs = deploy(
        "cfx-policy",
        {"Policy": bucket_policy("cfx-policy-a", "First")},
        {"PolicyRef": {"Value": {"Ref": "Policy"}}},
    )
    assert sids("cfx-policy-a") == ["First"]
    assert outputs["PolicyRef"] == "cfx-policy-a"  # Ref: the bucket's name, as on AWS
    (resource,) = boto3.client("cloudformation").list_stack_resources(StackName="cfx-policy")[
        "StackResourceSummaries"
    ]
    assert (resource["LogicalResourceId"], resource["ResourceType"]) == (
        "Policy",
        "AWS::S3::BucketPolicy",
    )

    deploy("cfx-policy", {"Policy": bucket_policy("cfx-policy-a", "Second")})
    assert sids("cfx-policy-a") == ["Second"]

    deploy("cfx-policy", {"Policy": bucket_policy("cfx-policy-b", "Moved")})  # a replacement
    assert sids("cfx-policy-b") == ["Moved"]
    assert error_code(s3.get_bucket_policy, Bucket="cfx-policy-a") == "NoSuchBucketPolicy"

    delete("cfx-policy")
    assert error_code(s3.get_bucket_policy, Bucket="cfx-policy-b") == "NoSuchBucketPolicy"


def test_a_bucket_policy_removed_from_the_template_is_deleted(aws_env):
    bucket_ref = {"Ref": "Bucket"}
    deploy(
        "cfx-policy-drop",
        {"Bucket": bucket("cfx-policy-drop"), "Policy": bucket_policy(bucket_ref, "Only")},
    )
    assert sids("cfx-policy-drop") == ["Only"]
    deploy("cfx-policy-drop", {"Bucket": bucket("cfx-policy-drop")})
    s3 = boto3.client("s3")
    assert error_code(s3.get_bucket_policy, Bucket="cfx-policy-drop") == "NoSuchBucketPolicy"
    delete("cfx-policy-drop")  # and the stack goes, bucket and all
    assert error_code(s3.head_bucket, Bucket="cfx-policy-drop") == "404"


def test_the_stack_deletes_its_bucket_and_its_policy_in_either_order(aws_env):
    for n in range(3):  # moto deletes a stack's resources in no fixed order
        name = f"cfx-policy-order-{n}"
        deploy(name, {"Bucket": bucket(name), "Policy": bucket_policy({"Ref": "Bucket"}, "P")})
        delete(name)
        assert error_code(boto3.client("s3").head_bucket, Bucket=name) == "404"


# --- AWS::S3::Bucket: public access block, ownership controls, lifecycle

SETTINGS = {
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    },
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    "LifecycleConfiguration": {
        "Rules": [
            {
                "Id": "abort-uploads",
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    },
}


def test_the_bucket_gets_its_three_settings_and_an_update_changes_or_removes_them(aws_env):
    s3 = boto3.client("s3")
    deploy("cfx-bucket", {"Bucket": bucket("cfx-bucket", **SETTINGS)})
    block = s3.get_public_access_block(Bucket="cfx-bucket")["PublicAccessBlockConfiguration"]
    assert block == SETTINGS["PublicAccessBlockConfiguration"]
    ownership = s3.get_bucket_ownership_controls(Bucket="cfx-bucket")["OwnershipControls"]
    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket="cfx-bucket")["Rules"]
    assert rule == {
        "ID": "abort-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }

    deploy(
        "cfx-bucket",
        {
            "Bucket": bucket(
                "cfx-bucket",
                PublicAccessBlockConfiguration={"BlockPublicAcls": True},  # the rest: false
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "Id": "expire-tmp",
                            "Status": "Enabled",
                            "Prefix": "tmp/",
                            "ExpirationInDays": 7,
                        }
                    ]
                },
            )
        },
    )
    block = s3.get_public_access_block(Bucket="cfx-bucket")["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    code = error_code(s3.get_bucket_ownership_controls, Bucket="cfx-bucket")
    assert code == "OwnershipControlsNotFoundError"  # dropped from the template: removed
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket="cfx-bucket")["Rules"]
    assert rule == {
        "ID": "expire-tmp",
        "Status": "Enabled",
        "Filter": {"Prefix": "tmp/"},
        "Expiration": {"Days": 7},
    }

    deploy("cfx-bucket", {"Bucket": bucket("cfx-bucket")})
    code = error_code(s3.get_public_access_block, Bucket="cfx-bucket")
    assert code == "NoSuchPublicAccessBlockConfiguration"
    code = error_code(s3.get_bucket_lifecycle_configuration, Bucket="cfx-bucket")
    assert code == "NoSuchLifecycleConfiguration"
    delete("cfx-bucket")
    assert error_code(s3.head_bucket, Bucket="cfx-bucket") == "404"


def test_lifecycle_rules_with_tags_transitions_and_noncurrent_versions(aws_env):
    rules = [
        {
            "Id": "tagged",
            "Status": "Enabled",
            "Prefix": "logs/",
            "TagFilters": [{"Key": "tier", "Value": "cold"}],
            "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 30}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 5},
        },
        {
            "Id": "one-tag",
            "Status": "Disabled",
            "TagFilters": [{"Key": "k", "Value": "v"}],
            "ExpirationInDays": 2,
        },
    ]
    deploy(
        "cfx-lifecycle",
        {"Bucket": bucket("cfx-lifecycle", LifecycleConfiguration={"Rules": rules})},
    )
    got = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket="cfx-lifecycle")["Rules"]
    assert got == [
        {
            "ID": "tagged",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}]}},
            "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 5},
        },
        {
            "ID": "one-tag",
            "Status": "Disabled",
            "Filter": {"Tag": {"Key": "k", "Value": "v"}},
            "Expiration": {"Days": 2},
        },
    ]
    delete("cfx-lifecycle")


def test_unknown_or_unusable_bucket_properties_are_ignored_as_before(aws_env):
    """A property nobody applies, and one S3 would refuse: the stack and the rest still work."""
    deploy(
        "cfx-ignored",
        {
            "Bucket": bucket(
                "cfx-ignored",
                IntelligentTieringConfigurations=[{"Id": "x", "Status": "Enabled", "Tierings": []}],
                OwnershipControls={"Rules": []},  # no rule to apply
                PublicAccessBlockConfiguration=SETTINGS["PublicAccessBlockConfiguration"],
            )
        },
    )
    s3 = boto3.client("s3")
    assert s3.get_public_access_block(Bucket="cfx-ignored")["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"
    ]
    code = error_code(s3.get_bucket_ownership_controls, Bucket="cfx-ignored")
    assert code == "OwnershipControlsNotFoundError"
    delete("cfx-ignored")


# --- AWS::IAM::ManagedPolicy


def managed_policy(document: dict, **properties) -> dict:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"Path": "/cfx/", "PolicyDocument": document, **properties},
    }


def default_document(arn: str) -> dict:
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def attached(role: str) -> list[str]:
    policies = boto3.client("iam").list_attached_role_policies(RoleName=role)
    return [p["PolicyArn"] for p in policies["AttachedPolicies"]]


def test_a_managed_policy_is_updated_in_place_and_deleted_detached(aws_env):
    iam = boto3.client("iam")
    for role in ("cfx-mp-one", "cfx-mp-two"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    ref = {"PolicyArn": {"Value": {"Ref": "Policy"}}}
    arn = deploy(
        "cfx-mp", {"Policy": managed_policy(allow("s3:GetObject"), Roles=["cfx-mp-one"])}, ref
    )["PolicyArn"]
    assert arn.startswith(f"arn:aws:iam::{ACCOUNT}:policy/cfx/cfx-mp-Policy-")
    assert attached("cfx-mp-one") == [arn]
    iam.create_user(UserName="cfx-mp-learner")  # the instructor attaches it to a learner
    iam.attach_user_policy(UserName="cfx-mp-learner", PolicyArn=arn)

    outputs = deploy(
        "cfx-mp",
        {"Policy": managed_policy(allow("s3:PutObject"), Roles=["cfx-mp-two"])},
        ref,
    )
    assert outputs["PolicyArn"] == arn  # same policy, a new default version
    assert default_document(arn) == allow("s3:PutObject")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted((v["VersionId"], v["IsDefaultVersion"]) for v in versions) == [
        ("v1", False),
        ("v2", True),
    ]
    assert (attached("cfx-mp-one"), attached("cfx-mp-two")) == ([], [arn])

    delete("cfx-mp")
    assert error_code(iam.get_policy, PolicyArn=arn) == "NoSuchEntity"
    assert attached("cfx-mp-two") == []
    learner = iam.list_attached_user_policies(UserName="cfx-mp-learner")["AttachedPolicies"]
    assert learner == []


def test_a_sixth_document_drops_the_oldest_version(aws_env):
    ref = {"PolicyArn": {"Value": {"Ref": "Policy"}}}
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "sqs:*", "sns:*"]
    for action in actions:
        arn = deploy("cfx-mp-versions", {"Policy": managed_policy(allow(action))}, ref)["PolicyArn"]
    versions = boto3.client("iam").list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v2", "v3", "v4", "v5", "v6"]
    assert default_document(arn) == allow("sns:*")
    delete("cfx-mp-versions")


def test_a_new_description_replaces_the_managed_policy(aws_env):
    ref = {"PolicyArn": {"Value": {"Ref": "Policy"}}}
    first = deploy(
        "cfx-mp-new", {"Policy": managed_policy(allow("s3:GetObject"), Description="a")}, ref
    )
    second = deploy(
        "cfx-mp-new", {"Policy": managed_policy(allow("s3:GetObject"), Description="b")}, ref
    )
    iam = boto3.client("iam")
    assert first["PolicyArn"] != second["PolicyArn"]
    assert error_code(iam.get_policy, PolicyArn=first["PolicyArn"]) == "NoSuchEntity"
    assert iam.get_policy(PolicyArn=second["PolicyArn"])["Policy"]["Description"] == "b"
    delete("cfx-mp-new")
    assert error_code(iam.get_policy, PolicyArn=second["PolicyArn"]) == "NoSuchEntity"


# --- AWS::IAM::Role: inline policies


def role(policies: dict[str, dict]) -> dict:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "cfx-inline-role",
            "AssumeRolePolicyDocument": TRUST,
            "Policies": [{"PolicyName": n, "PolicyDocument": d} for n, d in policies.items()],
        },
    }


def inline_policies(role_name: str) -> dict[str, dict]:
    iam = boto3.client("iam")
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    return {
        name: iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        for name in names
    }


def test_inline_role_policies_read_back_as_json_and_follow_updates(aws_env):
    separate = {  # an AWS::IAM::Policy on the same role: the role's updates leave it alone
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "separate",
            "PolicyDocument": allow("logs:PutLogEvents"),
            "Roles": [{"Ref": "Role"}],
        },
    }
    deploy(
        "cfx-inline",
        {
            "Role": role({"read": allow("s3:GetObject"), "list": allow("s3:ListBucket")}),
            "Separate": separate,
        },
    )
    assert inline_policies("cfx-inline-role") == {
        "read": allow("s3:GetObject"),  # a dict: botocore decoded JSON (moto alone: a repr)
        "list": allow("s3:ListBucket"),
        "separate": allow("logs:PutLogEvents"),
    }

    deploy(
        "cfx-inline",
        {
            "Role": role({"read": allow("s3:PutObject"), "logs": allow("logs:*")}),
            "Separate": separate,
        },
    )
    assert inline_policies("cfx-inline-role") == {
        "read": allow("s3:PutObject"),
        "logs": allow("logs:*"),
        "separate": allow("logs:PutLogEvents"),
    }

    delete("cfx-inline")
    assert error_code(boto3.client("iam").get_role, RoleName="cfx-inline-role") == "NoSuchEntity"


# --- Bucket policies: conditions, for a caller on HTTPS


@pytest.mark.parametrize(
    ("condition", "denied"),
    [
        (None, True),  # moto's own check, kept
        ({"Bool": {"aws:SecureTransport": "false"}}, False),  # the stack's statement
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
        ({"Bool": {"aws:securetransport": ["true"]}}, True),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, False),  # a key the emulator lacks
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, True),
        ({"NumericLessThan": {"aws:SecureTransport": "1"}}, False),  # an operator it lacks
    ],
)
def test_a_deny_applies_only_when_its_condition_holds(aws_env, condition, denied):
    s3, name = boto3.client("s3"), "cfx-deny"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/*",
    }
    if condition:
        deny["Condition"] = condition
    s3.put_bucket_policy(
        Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )
    try:
        if denied:
            assert error_code(s3.get_object, Bucket=name, Key="k") in ("403", "AccessDenied")
        else:
            assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
    finally:
        s3.delete_bucket_policy(Bucket=name)
        s3.delete_object(Bucket=name, Key="k")
        s3.delete_bucket(Bucket=name)
