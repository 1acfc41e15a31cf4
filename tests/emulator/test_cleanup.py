"""Cleanup finds the workshop's resources by prefix, deletes them, and spares everything else."""

from __future__ import annotations

import boto3
import pytest

from workshop_lib import cleanup, deploy

PREFIX = "cleanup-test"


@pytest.fixture
def clients(aws_env):
    return {
        name: boto3.client(name)
        for name in ("s3", "iam", "lambda", "logs", "glue", "apigateway", "apigatewayv2")
    }


def test_bucket_with_versions_is_emptied_and_deleted(clients):
    s3 = clients["s3"]
    s3.create_bucket(Bucket=f"{PREFIX}-bucket")
    s3.put_bucket_versioning(
        Bucket=f"{PREFIX}-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    for body in (b"1", b"2"):
        s3.put_object(Bucket=f"{PREFIX}-bucket", Key="segment-logs/a.gz", Body=body)
    s3.delete_object(Bucket=f"{PREFIX}-bucket", Key="segment-logs/a.gz")  # a delete marker
    assert cleanup.bucket(s3, f"{PREFIX}-bucket") == [
        cleanup.Removed("s3 bucket", f"{PREFIX}-bucket")
    ]
    assert f"{PREFIX}-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert cleanup.bucket(s3, f"{PREFIX}-bucket")[0].result == "already gone"


def test_roles_functions_apis_and_glue_by_prefix(clients, tmp_path):
    iam, lam = clients["iam"], clients["lambda"]
    (tmp_path / "fn.py").write_text("def handler(event, context):\n    return 1\n")
    role = deploy.ensure_role(
        iam,
        f"{PREFIX}-role",
        "lambda.amazonaws.com",
        ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        },
    )
    keep_role = deploy.ensure_role(iam, "someone-elses-role", "lambda.amazonaws.com")
    deploy.deploy_function(lam, f"{PREFIX}-fn", "fn", role, source_dir=tmp_path)
    deploy.deploy_function(lam, "someone-elses-fn", "fn", keep_role, source_dir=tmp_path)
    clients["logs"].create_log_group(logGroupName=f"/aws/lambda/{PREFIX}-fn")
    clients["apigatewayv2"].create_api(Name=f"{PREFIX}-api", ProtocolType="HTTP")
    clients["apigateway"].create_rest_api(name=f"{PREFIX}-rest")
    glue = clients["glue"]
    glue.create_job(
        Name=f"{PREFIX}-etl",
        Role=role,
        Command={"Name": "pythonshell", "ScriptLocation": "s3://b/etl.py"},
    )
    glue.create_database(DatabaseInput={"Name": "cleanup_test_db"})

    removed = (
        cleanup.apis(clients["apigatewayv2"], clients["apigateway"], PREFIX)
        + cleanup.functions(lam, clients["logs"], PREFIX)
        + cleanup.glue(glue, PREFIX)
        + cleanup.roles(iam, PREFIX)
    )
    assert [(r.kind, r.name, r.result) for r in removed] == [
        ("http api", f"{PREFIX}-api", "deleted"),
        ("rest api", f"{PREFIX}-rest", "deleted"),
        ("lambda function", f"{PREFIX}-fn", "deleted"),
        ("log group", f"/aws/lambda/{PREFIX}-fn", "deleted"),
        ("glue job", f"{PREFIX}-etl", "deleted"),
        ("glue database", "cleanup_test_db", "deleted"),
        ("iam role", f"{PREFIX}-role", "deleted"),
    ]
    assert [
        f["FunctionName"]
        for f in lam.list_functions()["Functions"]
        if "someone" in f["FunctionName"]
    ] == ["someone-elses-fn"]
    assert iam.get_role(RoleName="someone-elses-role")["Role"]["Arn"] == keep_role
    # a second run finds nothing left to remove
    assert cleanup.roles(iam, PREFIX) == [] and cleanup.glue(glue, PREFIX) == []
