"""Do the setup/ stack's policies allow every AWS call the kit really makes? (test support)

The emulator's request log (workshop_lib/emulator/request_log.py) says, per request, the
service, operation, resource parameters and the access key that signed it. Here:
- `needs(entry)`: the IAM actions (and, where the request names them cheaply, the resource
  ARNs and condition keys) AWS would authorize the request against, and `allowed`/`refused`:
  IAM's evaluation of identity policies - both the emulator's own (workshop_lib/emulator/iam/),
  the ones that enforce IAM at run time;
- `Attribution`: which principal made the request: the learner's kernel, a function's or the
  Glue job's role, Segment's roles, or the AWS service itself (not checked);
- `gaps(...)`: each needed action no policy of its principal allows, as readable lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workshop_lib.emulator.iam.actions import GENERATED, Where, iam_action, needs
from workshop_lib.emulator.iam.policy import Need, allowed, refused
from workshop_lib.emulator.request_log import INTERNAL_KEY_PREFIX, role_access_key

__all__ = ["GENERATED", "Need", "Where", "allowed", "iam_action", "needs", "refused"]

LEARNER = "LearnerPolicy"  # the notebooks' kernel and the cleanup CLI sign with the learner's key
SERVICE = "(the AWS service itself)"  # the service's own work: no identity policy applies
OWNER = "(the stack's owner)"  # whoever deploys the stack (an administrator): not checked

# ------------------------------------------------------------------ who made the call


@dataclass
class Attribution:
    """Access key -> principal. Role keys come from the roles' ARNs (role_access_key): a
    function's, the Glue job's and Segment's (it invokes with the role it assumed); the
    learner's from the test; the emulator's own clients by module (RULES)."""

    keys: dict[str, str]  # access key id -> principal name
    roles: dict[str, str]  # principal name (logical id) -> role ARN

    @classmethod
    def of(
        cls,
        learner_keys: Iterable[str],
        roles: dict[str, str],
        owner_keys: Iterable[str] = (),
    ):
        keys = {k: OWNER for k in owner_keys}
        keys.update({k: LEARNER for k in learner_keys})
        keys.update({role_access_key(arn): name for name, arn in roles.items()})
        return cls(keys, roles)

    def principal(self, entry: dict) -> str | None:
        key = entry.get("key") or ""
        if key in self.keys:
            return self.keys[key]
        if key.startswith(INTERNAL_KEY_PREFIX):
            return internal_principal(key.removeprefix(INTERNAL_KEY_PREFIX), entry)
        return None


def internal_principal(module: str, entry: dict) -> str | None:
    """Whose credentials AWS would use for what the emulator does itself (None: unknown)."""
    service, params = entry["service"], entry.get("params", {})
    if module in ("athena.execution", "providers.athena"):
        return LEARNER  # Athena reads S3 and the catalog with the caller's credentials
    if module.startswith("personalize."):
        return "PersonalizeRole"  # import and batch jobs run with the role they were given
    if module == "segment.s3_destination":
        return "SegmentS3Role"  # Segment writes with the role it assumed
    if module == "compute.glue_runs":
        return "GlueJobRole" if service == "s3" else SERVICE  # the script: with the job's role
    if module == "compute.logs":
        group = str(params.get("logGroupName", ""))
        if group.startswith("/aws-glue/"):
            return "GlueJobRole"
        if group.startswith("/aws/lambda/"):
            return f"function:{group.removeprefix('/aws/lambda/')}"
        return None
    if module in (
        "segment.lambda_destination",  # STS checks the trust policy when Segment assumes
        "providers.lambda_permissions",  # API Gateway checks the function's resource policy
        "providers.apigateway_invoke",
    ):
        return SERVICE
    return None


# ------------------------------------------------------------------ the check


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def describe(entry: dict) -> str:
    params = {k: v for k, v in entry.get("params", {}).items() if k not in ("Tags", "tags")}
    text = json.dumps(params, default=str)
    return f"{entry['service']}.{entry['operation']} {text[:240]}"


def gaps(
    entries: Iterable[dict],
    attribution: Attribution,
    policies: dict[str, list[dict]],
    where: Where,
    functions: dict[str, str] | None = None,
    unchecked: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """(refusals, unattributed): one line per needed action a principal's policies refuse,
    and one per request nobody could be named for. `functions`: function name -> principal
    (the role it runs with); `unchecked`: actions left out (e.g. the stack owner's)."""
    refusals: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for entry in entries:
        principal = attribution.principal(entry)
        if principal and principal.startswith("function:"):
            principal = (functions or {}).get(principal.removeprefix("function:"))
        if principal in (SERVICE, OWNER):
            continue
        if principal is None or principal not in policies:
            unknown[f"{entry.get('key')}: {describe(entry)}"] = None
            continue
        for need in needs(entry, where):
            if need.action in unchecked:
                continue
            for resource in refused(policies[principal], need):
                refusals[
                    f"{principal} may not {need.action} on {resource or '(any resource)'}"
                    f" <- {describe(entry)}"
                ] = None
    return list(refusals), list(unknown)
