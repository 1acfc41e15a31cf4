"""`connect()`: the one call at the top of every notebook.

local: start (or reuse) the emulator and point boto3, awswrangler and every subprocess at it
through the environment variables botocore honours. aws: the normal credential chain, checked
once with STS so a missing region or credential is one readable message.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import boto3
import botocore.exceptions

from . import stack as stack_outputs
from .settings import (
    DEFAULT_LOCAL_REGION,
    ENV_PORT,
    ENV_TARGET,
    WorkshopConfigError,
    resolve_bucket,
    resolve_port,
    resolve_prefix,
    resolve_stack,
    resolve_target,
)
from .tagging import add_tags, workshop_tags

# Variables connect(target="local") sets; a later connect(target="aws") in the same kernel
# removes those still holding our values, so no placeholder leaks to a real account.
_LOCAL_ENV: dict[str, str] = {}
WR_ATHENA_POLLING = "WR_ATHENA_QUERY_WAIT_POLLING_DELAY"
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
    stack: str | None = None  # the setup/ CloudFormation stack the bucket and roles come from
    roles: dict[str, str] = field(default_factory=dict)  # role key -> ARN, from the stack

    @property
    def tags(self) -> dict[str, str]:
        """The tags every resource the kit creates carries (see tagging.py)."""
        return workshop_tags(self.prefix)

    def client(self, service: str, **kwargs):
        """A boto3 client for this workshop's region (endpoints come from the environment)
        whose create calls tag what they create."""
        client = boto3.client(service, region_name=self.region, **kwargs)
        add_tags(client, self.tags)
        return client

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
            + (
                f"\n  stack   {self.stack}: the bucket and {len(self.roles)} roles"
                if self.stack
                else ""
            )
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
    # awswrangler waits 1 s between polls of an Athena query; the emulator answers sooner
    _set_env(WR_ATHENA_POLLING, "0.1")
    if "awswrangler" in sys.modules:  # imported before connect(): its config is read already
        sys.modules["awswrangler"].config.athena_query_wait_polling_delay = 0.1
    no_proxy = [h for h in os.environ.get("NO_PROXY", "").split(",") if h]
    if "127.0.0.1" not in no_proxy:
        os.environ["NO_PROXY"] = ",".join([*no_proxy, "127.0.0.1"])
    boto3.setup_default_session(region_name=region)  # drop credentials cached before


def _forget_local_environment() -> None:
    for name, value in list(_LOCAL_ENV.items()):
        if os.environ.get(name) == value:
            del os.environ[name]
        del _LOCAL_ENV[name]
    if "awswrangler" in sys.modules:  # back to awswrangler's default (or $WR_...)
        sys.modules["awswrangler"].config.reset("athena_query_wait_polling_delay")


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
    print(_local_emulator_line(status, started))
    identity = _identity(boto3.Session(region_name=region), "The local emulator")
    return region, identity, status.url


def _sign_as_learner(policy_arn: str, region: str) -> dict:
    """With a stack on the local target, the kernel signs as a learner whose permissions are
    the stack's LearnerPolicy, as on an event account: the emulator enforces it (IAM)."""
    from .emulator.iam.principals import learner_access_key

    _set_env("AWS_ACCESS_KEY_ID", learner_access_key(policy_arn))
    boto3.setup_default_session(region_name=region)
    return _identity(boto3.Session(region_name=region), "The local emulator")


def _local_emulator_line(status, started: bool) -> str:
    """Where the learner stands: a new or running emulator, and what it kept from before."""
    from .emulator import process

    state = "started" if started else "already running"
    line = f"Local emulator {state} at {status.url} (pid {status.pid})"
    if not status.state:  # an emulator of an older kit
        return line + "."
    return f"{line}; its state: {process.describe_state(status.state)}."


def _check_personalize_region(session: boto3.Session) -> None:
    """Personalize runs in some regions only; say so before anything is created elsewhere."""
    partition = session.get_partition_for_region(session.region_name)
    regions = session.get_available_regions("personalize", partition_name=partition)
    if regions and session.region_name not in regions:
        raise WorkshopConfigError(
            f"Amazon Personalize is not available in {session.region_name}. Use one of: "
            f"{', '.join(sorted(regions))} (set `region`, or AWS_REGION)."
        )


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
    _check_personalize_region(session)
    identity = _identity(session, f"AWS STS in {session.region_name}")
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = session.region_name
    os.environ[ENV_TARGET] = "aws"  # helpers (e.g. poll intervals) and subprocesses read it
    boto3.setup_default_session(region_name=session.region_name)
    return session.region_name, identity


def connect(
    target: str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    port: int | None = None,
    bucket: str | None = None,
    stack: str | None = None,
) -> Workshop:
    """Connect this kernel to the workshop's target and return the resolved settings.

    With a stack (argument or $WORKSHOP_STACK) deployed from setup/, the prefix, bucket and roles
    come from its outputs. Otherwise each argument left as None comes from the environment
    (WORKSHOP_TARGET, AWS_REGION, WORKSHOP_PREFIX, WORKSHOP_EMULATOR_PORT), else from the kit's
    defaults; the bucket defaults to <prefix>-<account>-<region> (with "personalize" in it).
    """
    resolved = resolve_target(target)
    stack = resolve_stack(stack)
    endpoint = None
    if resolved == "local":
        region, identity, endpoint = _connect_local(region, port)
    else:
        region, identity = _connect_aws(region)
    account = identity["Account"]
    info = _read_stack(stack, region) if stack else None
    if resolved == "local" and info and info.outputs.get("LearnerPolicyArn"):
        identity = _sign_as_learner(info.outputs["LearnerPolicyArn"], region)
    given = resolve_prefix(prefix) if prefix else None  # normalised, so "Class-7" agrees
    prefix = _from_stack(info, "Prefix", "prefix", given) or resolve_prefix(prefix)
    bucket = _from_stack(info, "BucketName", "bucket", bucket)
    return Workshop(
        target=resolved,
        region=region,
        account_id=account,
        caller_arn=identity["Arn"],
        prefix=prefix,
        bucket=resolve_bucket(bucket, prefix, account, region),
        endpoint_url=endpoint,
        stack=stack,
        roles=info.roles if info else {},
    )


def _cloudformation_client(region: str):
    return boto3.client("cloudformation", region_name=region)


def _read_stack(name: str, region: str) -> stack_outputs.StackInfo:
    return stack_outputs.read(_cloudformation_client(region), name)


def _from_stack(
    info: stack_outputs.StackInfo | None, output: str, argument: str, given: str | None
) -> str | None:
    """The stack's value; an argument saying otherwise is an error (the stack's roles only
    reach resources of its own prefix and bucket), never silently ignored."""
    value = info.outputs.get(output) if info else None
    if not value:
        return given
    if given and given != value:
        raise WorkshopConfigError(
            f"{argument}={given!r} contradicts the stack {info.name!r}, which was deployed for "
            f"{argument} {value!r}. Drop the {argument} argument, or deploy a stack with "
            f"that {argument} (its roles only reach resources of its own {argument})."
        )
    return value
