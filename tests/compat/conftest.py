"""The client-compatibility suite: one call per service the kit uses, the exercises' Athena flow
with awswrangler, and the AWS CLI. `make compat` runs it with the newest boto3/botocore on the
registry (and so an emulator running on them too); `make test` runs it with the pinned ones."""

from __future__ import annotations


def pytest_report_header(config):
    import boto3
    import botocore

    return f"clients: boto3 {boto3.__version__}, botocore {botocore.__version__}"
