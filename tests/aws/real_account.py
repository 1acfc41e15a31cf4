"""What a real-account run needs before it may spend anything: credentials, a region, and a
resource-name prefix no other run uses.

Apart from the test module so that tests/unit/test_aws_test_gating.py checks them offline.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

ENV_STACK = "WORKSHOP_STACK"  # a deployed setup/workshop-stack.yaml stack to run against

_issued: set[str] = set()


def unique_prefix(now: datetime | None = None) -> str:
    """`ws-ci-<UTC yyyymmddhhmm>-<4 hex>` (23 characters, valid for resolve_prefix): the time
    tells a leftover's age in the console; the random part keeps runs started in the same
    minute (two CI jobs) apart, and is drawn again if this process already issued it."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M")
    while (prefix := f"ws-ci-{stamp}-{secrets.token_hex(2)}") in _issued:
        pass
    _issued.add(prefix)
    return prefix


def region() -> str | None:
    """AWS_REGION, else the region botocore finds (AWS_DEFAULT_REGION, the profile's)."""
    import botocore.session

    configured = botocore.session.get_session().get_config_variable("region")
    return os.environ.get("AWS_REGION") or configured


def missing() -> str | None:
    """Why a real-account run cannot start, or None when it can. Looks only at the local
    configuration (no AWS call), so a skip never costs anything."""
    import botocore.exceptions
    import botocore.session

    try:
        credentials = botocore.session.get_session().get_credentials()
        where = region()
    except botocore.exceptions.BotoCoreError as exc:  # e.g. AWS_PROFILE names no profile
        return f"the AWS configuration could not be read: {exc}"
    if credentials is None:
        return (
            "no AWS credentials found (botocore's chain: environment, AWS_PROFILE, "
            "~/.aws, SSO, instance role); run `aws configure` or `aws sso login`"
        )
    if not where:
        return "no AWS region set: export AWS_REGION (a region where Amazon Personalize runs)"
    return None
