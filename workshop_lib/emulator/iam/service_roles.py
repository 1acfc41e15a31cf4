"""A service acting with a role it was handed: can it assume the role, may the role (and the
bucket's policy) let it do its work? The checks AWS makes when a service uses a role, with the
texts AWS answers."""

from __future__ import annotations

from ..config import LOCAL_ACCOUNT_ID
from . import enabled, principals
from .policy import Principal, decide

PERSONALIZE = "personalize.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
GLUE = "glue.amazonaws.com"
LAMBDA_CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
PERSONALIZE_S3_DOC = (
    "https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html"
)


def trusts(trust: dict, service: str, context: dict | None = None) -> bool:
    """Does a trust policy let `service` assume the role (sts:AssumeRole, its conditions)?"""
    context = {"aws:SourceAccount": LOCAL_ACCOUNT_ID, **(context or {})}
    return decide(
        [],
        "sts:AssumeRole",
        None,
        context,
        resource_policies=[trust],
        principal=Principal(service=service),
        absent_met=True,  # aws:SourceArn of a job not created yet: the service would set it
    ).allowed


def assume_problem(role_arn: str | None, service: str) -> str | None:
    """Why `service` could not assume the role (None: it can)."""
    found = principals.role_by_arn(role_arn)
    if found is None:
        return f"the role {role_arn} does not exist"
    if not trusts(principals.trust_policy(found), service):
        return f"the trust policy of {role_arn} does not let {service} assume it"
    return None


def role_allows(role_arn: str, action: str, resource: str) -> bool:
    found = principals.role_by_arn(role_arn)
    if found is None:
        return False
    context = {"aws:SecureTransport": "true"}
    return decide(principals.role_policies(found), action, resource, context).allowed


def bucket_allows_service(
    bucket: str, service: str, action: str, resource: str, source_arn: str
) -> bool:
    """Does the bucket policy grant the service principal the action (Personalize needs it)?"""
    policy = principals.bucket_policy(bucket)
    if policy is None:
        return False
    context = {
        "aws:SecureTransport": "true",
        "aws:SourceAccount": LOCAL_ACCOUNT_ID,
        "aws:SourceArn": source_arn,
    }
    return decide([], action, resource, context, [policy], Principal(service=service)).allowed


def split_s3(location: str) -> tuple[str, str]:
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key


def s3_accesses(location: str, write: bool = False) -> list[tuple[str, str, str]]:
    """(bucket, action, resource ARN) a service needs to read (or write) an s3:// location."""
    bucket, key = split_s3(location)
    objects = f"arn:aws:s3:::{bucket}/{key}" + ("*" if key.endswith("/") or not key else "")
    if write:
        return [(bucket, "s3:PutObject", objects)]
    return [(bucket, "s3:ListBucket", f"arn:aws:s3:::{bucket}"), (bucket, "s3:GetObject", objects)]


def personalize_s3_problem(role_arn: str, accesses, source_arn: str) -> str | None:
    """AWS's text when Personalize's role or the bucket policy refuses one of the accesses."""
    for bucket, action, resource in accesses:
        if not role_allows(role_arn, action, resource) or not bucket_allows_service(
            bucket, PERSONALIZE, action, resource, source_arn
        ):
            return (
                "Insufficient privileges for accessing data in S3. Please look at "
                f"{PERSONALIZE_S3_DOC}#attach-bucket-policy and fix bucket policy on {bucket}."
            )
    return None


def personalize_job_problem(
    role_arn: str | None, reads: list[str], writes: list[str], job_arn: str
) -> str | None:
    """Why Personalize refuses a job that reads `reads` and writes `writes` (s3:// locations)
    with `role_arn`: the role cannot be assumed, or it or the bucket policy refuses an access.
    None when IAM is not enforced or all is well."""
    if not enabled() or not role_arn:
        return None
    if assume_problem(role_arn, PERSONALIZE):
        return (
            f"Amazon Personalize cannot assume the role {role_arn}. Check that the role exists "
            f"and that its trust policy allows {PERSONALIZE} to assume it."
        )
    accesses = [a for loc in reads for a in s3_accesses(loc)]
    accesses += [a for loc in writes for a in s3_accesses(loc, write=True)]
    return personalize_s3_problem(role_arn, accesses, job_arn)


def glue_role_problem(role: str | None) -> str | None:
    """Glue's run failure when it cannot assume the job's role (a name or an ARN)."""
    if not enabled():
        return None
    role = role or ""
    arn = role if role.startswith("arn:") else f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{role}"
    if assume_problem(arn, GLUE):
        return "Service is unable to assume provided role. Please verify role's TrustPolicy"
    return None
