"""IAM enforced locally as on AWS: each kind of denial, through boto3, with AWS's codes and
messages; WORKSHOP_EMULATOR_IAM=off turns it off."""

from __future__ import annotations

import json
import time
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError
from compute_helpers import TRUST, deploy, lambda_role, log_messages, unique, zip_source
from test_personalize_support import (
    INTERACTIONS_SCHEMA,
    personalize_bucket,
    personalize_role,
    wait,
)

from workshop_lib.emulator.iam import ENV_IAM

ACCOUNT = "123456789012"
CAMPAIGN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:campaign/nowhere"
PERSONALIZE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action, resource="*") -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


# the account's principals may assume it (a learner's role on an event account)
ACCOUNT_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def role_session(document: str | None, trust: str = ACCOUNT_TRUST) -> tuple[boto3.Session, str]:
    """A session of a new role with `document` inline (assumed through STS), and its name."""
    iam = boto3.client("iam")
    name = unique("iam-test")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if document:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document)
    creds = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="learner")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    return session, name


def user_session(*policy_arns: str, inline: str | None = None) -> tuple[boto3.Session, str]:
    """A session of a new IAM user with these managed policies (and an inline one)."""
    iam = boto3.client("iam")
    name = unique("iam-user")
    iam.create_user(UserName=name)
    for arn in policy_arns:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=inline)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    return session, name


def error_of(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture
def bucket(aws_env) -> str:
    name = unique("iam-test")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="data/a.csv", Body=b"a")
    s3.put_object(Bucket=name, Key="secret/b.csv", Body=b"b")
    return name


# ------------------------------------------------------------------ the caller's policies


def test_a_role_without_the_permission_gets_access_denied_exception(aws_env):
    session, role = role_session(policy(allow("s3:ListAllMyBuckets")))
    runtime = session.client("personalize-runtime")
    code, status, message = error_of(runtime.get_recommendations, campaignArn=CAMPAIGN, userId="u")
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/learner is not authorized to perform: "
        f"personalize:GetRecommendations on resource: {CAMPAIGN} because no identity-based "
        "policy allows the personalize:GetRecommendations action"
    )
    session.client("s3").list_buckets()  # what the policy allows still works


def test_s3_says_access_denied_403_with_the_quoted_resource(bucket):
    session, role = role_session(policy(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/data/*")))
    s3 = session.client("s3")
    assert s3.get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"a"
    code, status, message = error_of(s3.get_object, Bucket=bucket, Key="secret/b.csv")
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/learner is not authorized to perform: "
        f's3:GetObject on resource: "arn:aws:s3:::{bucket}/secret/b.csv" because no '
        "identity-based policy allows the s3:GetObject action"
    )


def test_an_explicit_deny_wins_over_an_allow(bucket):
    session, _ = role_session(
        policy(allow("s3:*"), deny("s3:GetObject", f"arn:aws:s3:::{bucket}/secret/*"))
    )
    s3 = session.client("s3")
    s3.get_object(Bucket=bucket, Key="data/a.csv")
    code, _, message = error_of(s3.get_object, Bucket=bucket, Key="secret/b.csv")
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_a_bucket_policy_allows_or_denies_a_principal_of_the_account(bucket):
    session, name = user_session(inline=policy(allow("s3:ListBucket")))
    user = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    s3 = session.client("s3")
    code, _, message = error_of(s3.get_object, Bucket=bucket, Key="data/a.csv")
    assert code == "AccessDenied" and f"User: {user} is not authorized" in message
    statements = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": user},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/secret/*",
        },
    ]
    boto3.client("s3").put_bucket_policy(Bucket=bucket, Policy=policy(*statements))
    assert s3.get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"a"
    _, _, message = error_of(s3.get_object, Bucket=bucket, Key="secret/b.csv")
    assert message.endswith("with an explicit deny in a resource-based policy")


def test_a_managed_policy_attached_to_a_user_counts(bucket):
    iam = boto3.client("iam")
    managed = iam.create_policy(
        PolicyName=unique("read"), PolicyDocument=policy(allow(["s3:GetObject"]))
    )["Policy"]["Arn"]
    session, _ = user_session(managed)
    assert session.client("s3").get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"a"


def test_pass_role_is_checked_for_a_learner_with_a_policy(aws_env):
    role = lambda_role()
    session, name = user_session(inline=policy(allow("lambda:CreateFunction")))
    client = session.client("lambda")
    params = {
        "FunctionName": unique("fn"),
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_source("def handler(e, c):\n    return 1\n")},
    }
    code, status, message = error_of(client.create_function, **params)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: iam:PassRole "
        f"on resource: {role} because no identity-based policy allows the iam:PassRole action"
    )
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role,
        "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
    }
    boto3.client("iam").put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=policy(allow("lambda:CreateFunction"), pass_role),
    )
    client.create_function(**params)


def test_sts_hands_out_a_role_only_to_whom_its_trust_policy_lets_in(aws_env):
    iam, sts = boto3.client("iam"), boto3.client("sts")
    lambdas = iam.create_role(RoleName=unique("fn-role"), AssumeRolePolicyDocument=TRUST)
    arn = lambdas["Role"]["Arn"]
    code, status, message = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="learner")
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole "
        f"on resource: {arn}"
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ACCOUNT},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "wks_1"}},
    }
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    arn = iam.create_role(RoleName=unique("ext"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    error_of(sts.assume_role, RoleArn=arn, RoleSessionName="learner", ExternalId="other")
    sts.assume_role(RoleArn=arn, RoleSessionName="learner", ExternalId="wks_1")


# ------------------------------------------------------------------ a function's role


GET_RECOMMENDATIONS = """
import boto3

def handler(event, context):
    runtime = boto3.client("personalize-runtime")
    return runtime.get_recommendations(campaignArn=event["campaign"], userId="u1")
"""


def test_a_function_whose_role_lacks_personalize_gets_access_denied_in_its_log(aws_env):
    role = lambda_role(policy(allow("s3:GetObject")))
    name = deploy(GET_RECOMMENDATIONS, Role=role)
    response = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"campaign": CAMPAIGN})
    )
    assert response["FunctionError"] == "Unhandled"
    result = json.loads(response["Payload"].read())
    assert result["errorType"] == "ClientError"
    denied = (
        "An error occurred (AccessDeniedException) when calling the GetRecommendations "
        f"operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/{role.rsplit('/', 1)[1]}/{name} "
        "is not authorized to perform: personalize:GetRecommendations on resource: "
        f"{CAMPAIGN} because no identity-based policy allows the "
        "personalize:GetRecommendations action"
    )
    assert result["errorMessage"] == denied
    messages = log_messages(f"/aws/lambda/{name}", "[ERROR] ClientError")
    assert any(f"[ERROR] ClientError: {denied}" in m for m in messages), messages


# ------------------------------------------------------------------ roles handed to services


@pytest.mark.parametrize("trusted", ["personalize.amazonaws.com", None])
def test_lambda_refuses_a_role_it_cannot_assume(aws_env, trusted):
    if trusted:
        role = boto3.client("iam").create_role(
            RoleName=unique("not-lambda"),
            AssumeRolePolicyDocument=json.dumps(PERSONALIZE_TRUST),
        )["Role"]["Arn"]
    else:
        role = f"arn:aws:iam::{ACCOUNT}:role/{unique('missing')}"
    code, status, message = error_of(
        boto3.client("lambda").create_function,
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_source("def handler(e, c):\n    return 1\n")},
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "The role defined for the function cannot be assumed by Lambda."


@pytest.fixture(scope="module")
def dataset(module_aws_env):
    """One Interactions dataset for the module's import jobs; deleted after them (the other
    modules count on the region's dataset group quota)."""
    personalize = boto3.client("personalize")
    group = personalize.create_dataset_group(name=unique("iam"))["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    schema = personalize.create_schema(name=unique("iam"), schema=INTERACTIONS_SCHEMA)
    arn = personalize.create_dataset(
        name=unique("iam"),
        schemaArn=schema["schemaArn"],
        datasetGroupArn=group,
        datasetType="Interactions",
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=arn), "dataset")
    yield arn
    personalize.delete_dataset(datasetArn=arn)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # deleting walks DELETE PENDING first
        try:
            personalize.describe_dataset(datasetArn=arn)
        except personalize.exceptions.ResourceNotFoundException:
            break
        time.sleep(0.05)
    personalize.delete_dataset_group(datasetGroupArn=group)
    personalize.delete_schema(schemaArn=schema["schemaArn"])


def _interactions(bucket: str) -> str:
    rows = "\n".join(f"u{i % 30},i{i % 17},View,{1700000000 + i}" for i in range(1200))
    body = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + rows + "\n"
    boto3.client("s3").put_object(Bucket=bucket, Key="in/interactions.csv", Body=body.encode())
    return f"s3://{bucket}/in/interactions.csv"


def _import(dataset: str, location: str, role: str) -> str:
    return boto3.client("personalize").create_dataset_import_job(
        jobName=unique("iam"),
        datasetArn=dataset,
        dataSource={"dataLocation": location},
        roleArn=role,
    )["datasetImportJobArn"]


@pytest.mark.parametrize("kind", ["missing", "trusts lambda"])
def test_personalize_refuses_a_role_it_cannot_assume(dataset, kind):
    location = _interactions(personalize_bucket())
    if kind == "missing":
        role = f"arn:aws:iam::{ACCOUNT}:role/{unique('missing')}"
    else:
        role = boto3.client("iam").create_role(
            RoleName=unique("lambda-only"), AssumeRolePolicyDocument=TRUST
        )["Role"]["Arn"]
    code, status, message = error_of(_import, dataset=dataset, location=location, role=role)
    assert (code, status) == ("InvalidInputException", 400)
    assert role in message and "personalize.amazonaws.com" in message


def test_the_learners_import_fails_until_the_bucket_policy_lets_personalize_in(dataset):
    """The flow a learner meets: role right, bucket policy statement missing, then added."""
    s3 = boto3.client("s3")
    bucket = unique("personalize-test")  # in the test role's buckets, no bucket policy yet
    s3.create_bucket(Bucket=bucket)
    location = _interactions(bucket)
    role = personalize_role()
    code, status, message = error_of(_import, dataset=dataset, location=location, role=role)
    assert (code, status) == ("InvalidInputException", 400)
    assert message == (
        "Insufficient privileges for accessing data in S3. Please look at "
        "https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html"
        f"#attach-bucket-policy and fix bucket policy on {bucket}."
    )
    personalize_bucket(bucket)  # adds the documented statement (create_bucket: already there)
    job = _import(dataset, location, role)
    personalize = boto3.client("personalize")
    status = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
        "datasetImportJob",
    )
    assert status["status"] == "ACTIVE", status.get("failureReason")


def test_personalize_needs_the_role_to_allow_the_reads_too(dataset):
    location = _interactions(personalize_bucket())
    role = boto3.client("iam").create_role(
        RoleName=unique("no-s3"), AssumeRolePolicyDocument=json.dumps(PERSONALIZE_TRUST)
    )["Role"]["Arn"]
    code, _, message = error_of(_import, dataset=dataset, location=location, role=role)
    assert code == "InvalidInputException"
    assert message.startswith("Insufficient privileges for accessing data in S3.")


# ------------------------------------------------------------------ the switch and the count


def _health(emulator) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{emulator.url}/_emulator/health", timeout=10) as answer:
        return json.loads(answer.read())


def test_workshop_emulator_iam_off_turns_it_off(aws_env, monkeypatch, bucket):
    session, _ = role_session(policy(allow("s3:ListAllMyBuckets")))
    s3 = session.client("s3")
    before = _health(aws_env)["iam"]
    assert before["enforced"] is True
    error_of(s3.get_object, Bucket=bucket, Key="data/a.csv")
    after = _health(aws_env)["iam"]
    assert after["checked"] > before["checked"] and after["denied"] > before["denied"]
    monkeypatch.setenv(ENV_IAM, "off")
    assert s3.get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"a"
    assert _health(aws_env)["iam"]["enforced"] is False
    not_lambdas = boto3.client("iam").create_role(
        RoleName=unique("not-lambda"), AssumeRolePolicyDocument=json.dumps(PERSONALIZE_TRUST)
    )["Role"]["Arn"]
    deploy("def handler(e, c):\n    return 1\n", Role=not_lambdas)


def test_get_caller_identity_names_the_principal_iam_checks(aws_env):
    """The stack's learner and a function's role: the ARN their denials name, not moto's default
    identity; the account's owner keeps moto's answer."""
    from workshop_lib.emulator.iam.principals import learner_access_key
    from workshop_lib.emulator.request_log import role_access_key

    iam = boto3.client("iam")
    learner_policy = iam.create_policy(
        PolicyName=unique("LearnerPolicy"), PolicyDocument=policy(allow("s3:ListAllMyBuckets"))
    )["Policy"]

    def whoami(key: str) -> dict:
        session = boto3.Session(aws_access_key_id=key, aws_secret_access_key="x")
        return session.client("sts").get_caller_identity()

    learner = whoami(learner_access_key(learner_policy["Arn"]))
    name = learner_policy["PolicyName"]
    assert learner["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/WorkshopLearner/{name}"
    assert learner["UserId"].startswith("AROA") and learner["UserId"].endswith(f":{name}")
    role = lambda_role()
    assumed = whoami(role_access_key(role))["Arn"]
    assert assumed.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.rsplit('/', 1)[-1]}/")
    assert whoami("test")["Account"] == ACCOUNT
