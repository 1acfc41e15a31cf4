"""`connect()`: the one call at the top of every notebook.

local: start (or reuse) the emulator and point boto3, awswrangler and every subprocess at it
through the environment variables botocore honours. aws: the normal credential chain, checked
once with STS so a missing region or credential is one readable message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
import botocore.exceptions

from .settings import (
    DEFAULT_LOCAL_REGION,
    ENV_PORT,
    ENV_TARGET,
    WorkshopConfigError,
    resolve_bucket,
    resolve_port,
    resolve_prefix,
    resolve_target,
)

# Variables connect(target="local") sets; a later connect(target="aws") in the same kernel
# removes those still holding our values, so no placeholder leaks to a real account.
_LOCAL_ENV: dict[str, str] = {}
_ENV_BLOCKING_LOCAL = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


@dataclass(frozen=True)
class Workshop:
    """Resolved settings shared by every notebook step (no secrets in here)."""

    target: str
    region: str
    account_id: str
    caller_arn: str
    prefix: str
    bucket: str
    endpoint_url: str | None = None  # the emulator's URL on the local target

    def client(self, service: str, **kwargs):
        """A boto3 client for this workshop's region (endpoints come from the environment)."""
        return boto3.client(service, region_name=self.region, **kwargs)

    def name(self, suffix: str) -> str:
        """A resource name owned by this workshop, e.g. name("dataset-group")."""
        return f"{self.prefix}-{suffix}"

    def check(self) -> None:
        """Prove the connection works: who we are (STS) and that S3 answers."""
        identity = self.client("sts").get_caller_identity()
        self.client("s3").list_buckets()
        print(f"STS GetCallerIdentity: {identity['Arn']}")
        print("S3 ListBuckets: ok")

    def describe(self) -> str:
        where = f"the local emulator at {self.endpoint_url}" if self.endpoint_url else "AWS"
        return (
            f"Connected to {where}\n"
            f"  account {self.account_id}, region {self.region}\n"
            f"  caller  {self.caller_arn}\n"
            f"  bucket  s3://{self.bucket}/, resource names start with {self.prefix}-"
        )


def _set_env(name: str, value: str) -> None:
    os.environ[name] = value
    _LOCAL_ENV[name] = value


def _point_environment_at(endpoint: str, region: str, port: int) -> None:
    for name in _ENV_BLOCKING_LOCAL:  # a profile or token would override the placeholders
        os.environ.pop(name, None)
    _set_env("AWS_ENDPOINT_URL", endpoint)
    _set_env("AWS_ACCESS_KEY_ID", "test")  # placeholders: the emulator accepts any
    _set_env("AWS_SECRET_ACCESS_KEY", "test")
    _set_env("AWS_REGION", region)
    _set_env("AWS_DEFAULT_REGION", region)
    _set_env(ENV_TARGET, "local")
    _set_env(ENV_PORT, str(port))
    no_proxy = [h for h in os.environ.get("NO_PROXY", "").split(",") if h]
    if "127.0.0.1" not in no_proxy:
        os.environ["NO_PROXY"] = ",".join([*no_proxy, "127.0.0.1"])
    boto3.setup_default_session(region_name=region)  # drop credentials cached before


def _forget_local_environment() -> None:
    for name, value in list(_LOCAL_ENV.items()):
        if os.environ.get(name) == value:
            del os.environ[name]
        del _LOCAL_ENV[name]


def _sts_client(session: boto3.Session):
    return session.client("sts")


def _identity(session: boto3.Session, where: str) -> dict:
    try:
        return _sts_client(session).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise WorkshopConfigError(
            "No AWS credentials were found. Run `aws configure` (or `aws sso login`), set "
            "AWS_PROFILE, or run on SageMaker with an execution role; then connect again."
        ) from None
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise WorkshopConfigError(
            f"{where} rejected the credentials ({error.get('Code')}: {error.get('Message')}). "
            "Refresh them (expired SSO or session token?) or pick another AWS_PROFILE."
        ) from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise WorkshopConfigError(f"Cannot reach {where}: {exc}. Check the network.") from None


def _connect_local(region: str | None, port: int | None) -> tuple[str, dict, str]:
    from .emulator import process

    resolved_port = resolve_port(port)
    region = region or os.environ.get("AWS_REGION") or DEFAULT_LOCAL_REGION
    status, started = process.start(resolved_port)
    _point_environment_at(status.url, region, resolved_port)
    state = "started" if started else "already running"
    print(f"Local emulator {state} at {status.url} (pid {status.pid}).")
    identity = _identity(boto3.Session(region_name=region), "The local emulator")
    return region, identity, status.url


def _connect_aws(region: str | None) -> tuple[str, dict]:
    _forget_local_environment()
    session = boto3.Session(region_name=region) if region else boto3.Session()
    if not session.region_name:
        raise WorkshopConfigError(
            "No AWS region is set. Pass region='us-east-1' (or your region) to connect(), set "
            "the notebook parameter `region`, or export AWS_REGION."
        )
    if session.get_credentials() is None:
        _identity(session, "AWS STS")  # raises the readable NoCredentials message
    identity = _identity(session, f"AWS STS in {session.region_name}")
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = session.region_name
    boto3.setup_default_session(region_name=session.region_name)
    return session.region_name, identity


def connect(
    target: str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    port: int | None = None,
    bucket: str | None = None,
) -> Workshop:
    """Connect this kernel to the workshop's target and return the resolved settings.

    Each argument left as None comes from the environment (WORKSHOP_TARGET, AWS_REGION,
    WORKSHOP_PREFIX, WORKSHOP_EMULATOR_PORT), else from the kit's defaults; the bucket defaults
    to <prefix>-<account>-<region> (with "personalize" in it).
    """
    resolved = resolve_target(target)
    prefix = resolve_prefix(prefix)
    endpoint = None
    if resolved == "local":
        region, identity, endpoint = _connect_local(region, port)
    else:
        region, identity = _connect_aws(region)
    account = identity["Account"]
    return Workshop(
        target=resolved,
        region=region,
        account_id=account,
        caller_arn=identity["Arn"],
        prefix=prefix,
        bucket=resolve_bucket(bucket, prefix, account, region),
        endpoint_url=endpoint,
    )
