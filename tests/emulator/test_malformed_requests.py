"""Requests AWS refuses with a 4xx get that 4xx here too, not a 5xx (issue 17's three cases,
and what the fuzz test found), and the emulator goes on serving."""

from __future__ import annotations

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

BUCKET = "malformed-requests"


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


@pytest.fixture(scope="module")
def s3(module_aws_env):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.mark.parametrize("body", [b"<Delete><Object><Key>k</Key></Obj", b"not xml", b""])
def test_delete_objects_with_invalid_xml_is_malformed_xml(emulator, s3, body):
    response = requests.post(
        f"{emulator.url}/{BUCKET}?delete", data=body, headers={"Authorization": _auth("s3")}
    )
    assert response.status_code == 400, response.text
    assert "<Code>MalformedXML</Code>" in response.text


@pytest.mark.parametrize(
    "header", ["garbage", "AWS4-HMAC-SHA256 Credential=", "AWS4-HMAC-SHA256 Credential=a/b"]
)
def test_an_unreadable_authorization_header_is_a_400(emulator, s3, header):
    s3_call = requests.get(f"{emulator.url}/{BUCKET}", headers={"Authorization": header})
    assert s3_call.status_code == 400
    assert "<Code>AuthorizationHeaderMalformed</Code>" in s3_call.text
    json_call = requests.post(
        f"{emulator.url}/",
        data=b"{}",
        headers={
            "Authorization": header,
            "X-Amz-Target": "AWSGlue.GetDatabases",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert json_call.status_code == 400
    assert json_call.json()["__type"] == "IncompleteSignatureException"
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0  # still serving


def test_an_operation_the_service_does_not_have_is_unknown(emulator):
    glue = requests.post(
        f"{emulator.url}/",
        data=b"{}",
        headers={
            "Authorization": _auth("glue"),
            "X-Amz-Target": "AWSGlue.NoSuchOperation",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert glue.status_code == 400
    assert glue.json()["__type"] == "UnknownOperationException"
    assert "NoSuchOperation" in glue.json()["message"]
    iam = requests.post(
        f"{emulator.url}/",
        data=b"Action=NoSuchOperation&Version=2010-05-08",
        headers={
            "Authorization": _auth("iam"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert iam.status_code == 400
    assert "<Code>InvalidAction</Code>" in iam.text
    lambda_path = requests.get(
        f"{emulator.url}/2015-03-31/no/such/path", headers={"Authorization": _auth("lambda")}
    )
    assert lambda_path.status_code == 404
    assert lambda_path.json()["__type"] == "UnknownOperationException"


def test_a_member_of_the_wrong_type_is_a_400_through_moto_too(emulator):
    response = requests.post(
        f"{emulator.url}/",
        data=b'{"DatabaseInput": {"Name": 5}}',
        headers={
            "Authorization": _auth("glue"),
            "X-Amz-Target": "AWSGlue.CreateDatabase",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
    assert "DatabaseInput.Name" in response.json()["message"]


def test_a_bucket_policy_that_is_not_a_policy_is_refused_and_the_bucket_keeps_working(s3):
    for policy in ("not json", "1.5", '{"Statement": [1]}'):
        with pytest.raises(ClientError) as err:
            s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
        assert err.value.response["Error"]["Code"] == "MalformedPolicy"
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"
    s3.delete_object(Bucket=BUCKET, Key="k")
