"""boto3 and awswrangler reach moto through the emulator with only environment variables."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

import awswrangler as wr
import boto3
import botocore.config
import botocore.exceptions
import pytest

BUCKET = "workshop-passthrough-test"


def test_sts_identity_is_the_emulator_account(aws_env):
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:sts::123456789012:user/moto"


def test_s3_gzipped_objects_round_trip(aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    events = [{"type": "track", "event": "Product Viewed", "userId": f"u{i}"} for i in range(50)]
    body = gzip.compress("\n".join(json.dumps(e) for e in events).encode())
    for day in ("2026-11-01", "2026-11-02"):
        s3.put_object(
            Bucket=BUCKET,
            Key=f"segment-logs/src1/{day}/part.json.gz",
            Body=body,
            ContentEncoding="gzip",
            Metadata={"segment_source": "src1"},
        )
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="segment-logs/src1/")
    assert [o["Key"] for o in listed["Contents"]] == [
        "segment-logs/src1/2026-11-01/part.json.gz",
        "segment-logs/src1/2026-11-02/part.json.gz",
    ]
    got = s3.get_object(Bucket=BUCKET, Key="segment-logs/src1/2026-11-01/part.json.gz")
    assert got["Metadata"] == {"segment_source": "src1"}  # underscores survive
    lines = gzip.decompress(got["Body"].read()).decode().splitlines()
    assert [json.loads(line)["userId"] for line in lines] == [f"u{i}" for i in range(50)]


def test_awswrangler_reads_and_writes_gzipped_ndjson(aws_env):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    for part in range(2):
        events = [{"event": "Product Viewed", "userId": f"u{part}-{i}"} for i in range(30)]
        body = gzip.compress("\n".join(json.dumps(e) for e in events).encode())
        boto3.client("s3").put_object(Bucket=BUCKET, Key=f"wr/in/{part}.json.gz", Body=body)
    df = wr.s3.read_json(f"s3://{BUCKET}/wr/in/", lines=True)
    assert sorted(df["userId"])[:2] == ["u0-0", "u0-1"]
    assert len(df) == 60
    wr.s3.to_json(
        df, f"s3://{BUCKET}/wr/out/all.json.gz", orient="records", lines=True, compression="gzip"
    )
    assert wr.s3.list_objects(f"s3://{BUCKET}/wr/out/") == [f"s3://{BUCKET}/wr/out/all.json.gz"]
    assert len(wr.s3.read_json(f"s3://{BUCKET}/wr/out/all.json.gz", lines=True)) == 60


def test_iam_role_with_inline_and_managed_policy(aws_env):
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "personalize.amazonaws.com"},
            }
        ],
    }
    role = iam.create_role(
        RoleName="workshop-test-role", AssumeRolePolicyDocument=json.dumps(trust)
    )
    assert role["Role"]["Arn"] == "arn:aws:iam::123456789012:role/workshop-test-role"
    iam.attach_role_policy(
        RoleName="workshop-test-role",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess",
    )
    attached = iam.list_attached_role_policies(RoleName="workshop-test-role")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonPersonalizeFullAccess"]


def test_glue_database_and_table_seen_by_boto3_and_awswrangler(aws_env):
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "workshop_test_db"})
    glue.create_table(
        DatabaseName="workshop_test_db",
        TableInput={
            "Name": "segment_logs",
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "userid", "Type": "string"},
                    {"Name": "properties", "Type": "struct<sku:string,price:double>"},
                ],
                "Location": f"s3://{BUCKET}/segment-logs/",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )
    assert "workshop_test_db" in wr.catalog.databases()["Database"].tolist()
    types = wr.catalog.get_table_types(database="workshop_test_db", table="segment_logs")
    assert types == {"userid": "string", "properties": "struct<sku:string,price:double>"}


def test_unimplemented_operation_answers_at_once_with_its_name(aws_env):
    client = boto3.client("lambda")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.get_function_recursion_config(FunctionName="f")
    response = err.value.response
    assert response["Error"]["Code"] == "NotImplemented"
    assert "lambda.GetFunctionRecursionConfig" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0  # not retried by botocore


# One operation per protocol that neither moto nor a provider implements (as of moto 5.2.5).
@pytest.mark.parametrize(
    ("service", "call", "operation"),
    [
        ("logs", lambda c: c.list_anomalies(), "logs.ListAnomalies"),  # json
        ("glue", lambda c: c.list_data_quality_rulesets(), "glue.ListDataQualityRulesets"),
        (
            "iam",  # query: the form body must still be readable after moto gave up
            lambda c: c.generate_service_last_accessed_details(
                Arn="arn:aws:iam::123456789012:role/x"
            ),
            "iam.GenerateServiceLastAccessedDetails",
        ),
        (
            "sts",
            lambda c: c.decode_authorization_message(EncodedMessage="abc"),
            "sts.DecodeAuthorizationMessage",
        ),
    ],
)
def test_unimplemented_operations_of_other_protocols(aws_env, service, call, operation):
    client = boto3.client(service, config=botocore.config.Config(read_timeout=10))
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(client)
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert operation in err.value.response["Error"]["Message"]
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_health_lists_providers_and_pid(emulator):
    with urllib.request.urlopen(f"{emulator.url}/_emulator/health") as resp:
        doc = json.loads(resp.read())
    assert doc["service"] == "workshop-emulator"
    assert doc["url"] == emulator.url
    assert doc["providers"][0]["name"] == "moto"
    assert "s3" in doc["providers"][0]["services"]


def test_unknown_control_path_is_a_json_404(emulator):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{emulator.url}/_emulator/nope")
    assert err.value.code == 404
    assert "/_emulator/health" in json.loads(err.value.read())["message"]


def test_head_of_a_missing_bucket_is_404_as_on_aws(aws_env):
    """A HEAD answer has no body, so moto's bodiless 404 must pass, not become a 501."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        boto3.client("s3").head_bucket(Bucket="workshop-no-such-bucket")
    assert caught.value.response["Error"]["Code"] == "404"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
