"""Defaults and the order in which settings are resolved: argument, environment, default."""

from __future__ import annotations

import os
import re

# The emulator owns these; the client reads them from it (never the reverse).
from .emulator.config import DEFAULT_PORT as DEFAULT_PORT
from .emulator.config import ENV_PORT as ENV_PORT
from .emulator.config import LOCAL_ACCOUNT_ID as LOCAL_ACCOUNT_ID
from .emulator.config import WorkshopConfigError as WorkshopConfigError
from .emulator.config import resolve_port as resolve_port

DEFAULT_TARGET = "local"
TARGETS = ("local", "aws")
DEFAULT_LOCAL_REGION = "us-east-1"
DEFAULT_PREFIX = "segment-personalize"

ENV_TARGET = "WORKSHOP_TARGET"
ENV_PREFIX = "WORKSHOP_PREFIX"
ENV_STACK = "WORKSHOP_STACK"


def resolve_target(target: str | None) -> str:
    value = (target or os.environ.get(ENV_TARGET) or DEFAULT_TARGET).strip().lower()
    if value not in TARGETS:
        raise WorkshopConfigError(
            f"Unknown target {value!r}. Use target='local' (the emulator, no account needed) "
            f"or target='aws' (your AWS account), as an argument or in ${ENV_TARGET}."
        )
    return value


def resolve_prefix(prefix: str | None) -> str:
    value = (prefix or os.environ.get(ENV_PREFIX) or DEFAULT_PREFIX).strip().lower()
    # The prefix starts S3 bucket names and Personalize resource names, so it must suit both.
    if not value or len(value) > 30 or not all(c.isalnum() or c == "-" for c in value):
        raise WorkshopConfigError(
            f"The resource name prefix {value!r} must be 1-30 characters of a-z, 0-9 and '-'."
        )
    if value[0] == "-" or value[-1] == "-":
        raise WorkshopConfigError(f"The prefix {value!r} must not start or end with '-'.")
    return value


def resolve_stack(stack: str | None) -> str | None:
    """The setup/ stack's name (argument, else $WORKSHOP_STACK), or None: no stack."""
    value = (stack or os.environ.get(ENV_STACK) or "").strip()
    if value and not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,127}$", value):
        raise WorkshopConfigError(
            f"{value!r} is not a CloudFormation stack name: a letter, then letters, digits "
            "and '-', at most 128 characters."
        )
    return value or None


def bucket_name(prefix: str, account_id: str, region: str) -> str:
    """One bucket per account and region, as S3 names are global.

    "personalize" stays in the name because the managed policy AmazonPersonalizeFullAccess
    only grants S3 access to buckets whose name contains it.
    """
    base = prefix if "personalize" in prefix else f"{prefix}-personalize"
    return f"{base}-{account_id}-{region}"[:63]


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def resolve_bucket(bucket: str | None, prefix: str, account_id: str, region: str) -> str:
    """The given bucket (e.g. one an instructor prepared), else the kit's name for it."""
    if not bucket:
        return bucket_name(prefix, account_id, region)
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise WorkshopConfigError(
            f"{bucket!r} is not a valid S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit."
        )
    return bucket
