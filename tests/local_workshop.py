"""A Workshop for tests that talk to the threaded emulator (no connect(): the fixture points the
environment at it already)."""

from __future__ import annotations

from workshop_lib.connection import Workshop
from workshop_lib.settings import LOCAL_ACCOUNT_ID


def local_workshop(prefix: str, endpoint_url: str) -> Workshop:
    return Workshop(
        target="local",
        region="us-east-1",
        account_id=LOCAL_ACCOUNT_ID,
        caller_arn=f"arn:aws:sts::{LOCAL_ACCOUNT_ID}:user/moto",
        prefix=prefix,
        bucket=f"{prefix}-bucket",
        endpoint_url=endpoint_url,
    )
