"""Deploy the kit's Lambda functions and their IAM roles, idempotently, on either target.

Sources live in workshop_lib/functions/ (stdlib + boto3 only) and ship as a zip built the same
way every time, so an unchanged function is not re-uploaded when a notebook runs again.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from base64 import b64encode
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

FUNCTIONS_DIR = Path(__file__).resolve().parent / "functions"
LAMBDA_RUNTIME = "python3.12"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entry times: same source, same bytes, same hash


def package(module: str, extra: list[str] | None = None, source_dir: Path = FUNCTIONS_DIR) -> bytes:
    """A deployment zip of <source_dir>/<module>.py (plus extra files of that folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in [f"{module}.py", *(extra or [])]:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, (source_dir / name).read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def code_sha256(zip_bytes: bytes) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the zip."""
    return b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def ensure_role(
    iam: Any,
    name: str,
    service: str,
    managed_policies: list[str] | None = None,
    inline_policy: dict | None = None,
    trust: dict | None = None,
) -> str:
    """An IAM role that `service` (e.g. lambda.amazonaws.com) may assume; returns its ARN.

    `trust` replaces that trust policy (e.g. another account's role with an external id)."""
    trust = trust or {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
    for policy in managed_policies or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    if inline_policy:
        iam.put_role_policy(
            RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(inline_policy)
        )
    return arn


def _retry_new_role(call: Any, attempts: int = 10, pause: float = 3.0) -> Any:
    """A new IAM role takes seconds to become assumable on AWS; Lambda says so in this error."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            message = exc.response["Error"].get("Message", "")
            if "cannot be assumed" not in message or attempt == attempts - 1:
                raise
            time.sleep(pause)
    return None


def deploy_function(
    lambda_client: Any,
    name: str,
    module: str,
    role_arn: str,
    environment: dict[str, str] | None = None,
    timeout: int = 30,
    memory: int = 256,
    extra_files: list[str] | None = None,
    source_dir: Path = FUNCTIONS_DIR,
) -> dict:
    """Create the function, or update its code and configuration if they changed.

    Returns the function's configuration once it is Active and its last update finished.
    """
    code = package(module, extra_files, source_dir)
    config = {
        "Role": role_arn,
        "Handler": f"{module}.handler",
        "Runtime": LAMBDA_RUNTIME,
        "Timeout": timeout,
        "MemorySize": memory,
        "Environment": {"Variables": environment or {}},
    }
    try:
        current = lambda_client.get_function_configuration(FunctionName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        _retry_new_role(
            lambda: lambda_client.create_function(
                FunctionName=name, Code={"ZipFile": code}, Publish=False, **config
            )
        )
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
        return lambda_client.get_function_configuration(FunctionName=name)
    if current["CodeSha256"] != code_sha256(code):
        lambda_client.update_function_code(FunctionName=name, ZipFile=code)
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    wanted = {k: v for k, v in config.items() if k != "Environment"}
    changed = any(current.get(k) != v for k, v in wanted.items()) or current.get(
        "Environment", {}
    ).get("Variables", {}) != (environment or {})
    if changed:
        _retry_new_role(
            lambda: lambda_client.update_function_configuration(FunctionName=name, **config)
        )
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    return lambda_client.get_function_configuration(FunctionName=name)


def allow_invoke(
    lambda_client: Any, function: str, statement_id: str, principal: str, source_arn: str
) -> bool:
    """Grant `principal` (e.g. apigateway.amazonaws.com) the right to invoke; False if granted."""
    try:
        lambda_client.add_permission(
            FunctionName=function,
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
        )
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceConflictException":
            return False  # this statement id exists already: the grant is in place
        raise
