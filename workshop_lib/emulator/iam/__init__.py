"""IAM as AWS enforces it, in the local emulator (on by default; WORKSHOP_EMULATOR_IAM=off).

- policy.py: the evaluation of identity and resource policies (Deny wins, an Allow is needed);
- actions.py: request -> IAM actions, resource ARNs and condition keys;
- principals.py: access key -> principal and its policies (moto's IAM state);
- service_roles.py: a service acting with the role it was handed (trust, role and bucket policy);
- enforce.py: the hook the app calls per request, with AWS's denials.
IAM's propagation delay (seconds on AWS) is not emulated: a change applies at once.
"""

from __future__ import annotations

import os

ENV_IAM = "WORKSHOP_EMULATOR_IAM"


def enabled() -> bool:
    """On unless $WORKSHOP_EMULATOR_IAM says off (read per call: tests flip it)."""
    return os.environ.get(ENV_IAM, "on").strip().lower() not in ("off", "0", "false", "no")
