"""Who signed a request, and the policies IAM evaluates for them, read from moto's IAM state.

The access key id says who called (workshop_lib/emulator/request_log.py):
- keys of IAM users (iam create_access_key) and of sessions STS handed out (assume_role): that
  user or role, with its inline, attached managed (and, for users, group) policies;
- "ASIA<role name>" (request_log.role_access_key): a Lambda function's or a Glue job run's
  role, as AWS hands them their role's temporary credentials;
- the emulator's own clients ("EMULATOR-<module>"): the service's own work, whose IAM checks
  are made where the service makes them (service_roles.py), not per request;
- "LEARNER-<managed policy name>" (learner_access_key): a learner whose permissions are that
  policy, as on an event account (connect(stack=...) on the local target signs so, with the
  stack's LearnerPolicy);
- anything else, the "test" placeholder included: the account's owner (an administrator), who
  is not checked, as on an account where the learner is an administrator.

Everything here reads moto's backends in this process (the emulator's own state, no HTTP).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from ..config import LOCAL_ACCOUNT_ID
from ..request_log import INTERNAL_KEY_PREFIX, ROLE_KEY_PREFIX, role_access_key
from .policy import Principal

PARTITION = "aws"
LEARNER_KEY_PREFIX = "LEARNER-"
LEARNER_ROLE = "WorkshopLearner"  # the role name a learner's denials show (an event account's)


def learner_access_key(policy_arn: str) -> str:
    """The access key id of a learner whose permissions are this managed policy."""
    return LEARNER_KEY_PREFIX + policy_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Caller:
    """A checked principal: the ARN AWS names in a denial, and its identity policies."""

    arn: str  # e.g. arn:aws:sts::123456789012:assumed-role/ROLE/SESSION
    identity_arn: str  # the role's or user's own ARN (what resource policies name)
    policies: list[dict] = field(default_factory=list)

    @property
    def principal(self) -> Principal:
        # not the account id: in one account, a policy naming the account only delegates to
        # the identity policies
        return Principal(frozenset({self.arn, self.identity_arn}))


def document(text) -> dict:
    """A policy document as moto stores it: JSON text, sometimes URL-encoded, or a dict."""
    if isinstance(text, dict):
        return text
    text = text.decode() if isinstance(text, bytes) else str(text)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def _iam():
    from moto.iam.models import iam_backends

    return iam_backends[LOCAL_ACCOUNT_ID][PARTITION]


def _managed(policy) -> dict:
    version = next((v for v in policy.versions if v.version_id == policy.default_version_id), None)
    return document(version.document if version else policy.document)


def _policies_of(identity) -> list[dict]:
    docs = [document(text) for text in identity.policies.values()]
    docs += [_managed(p) for p in identity.managed_policies.values()]
    return docs


def role(name: str):
    """moto's Role by name, or None."""
    return next((r for r in _iam().roles.values() if r.name == name), None)


def role_by_arn(arn: str | None):
    if not arn:
        return None
    return next((r for r in _iam().roles.values() if r.arn == arn), None)


def role_caller(found, session: str) -> Caller:
    arn = f"arn:{PARTITION}:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{found.name}/{session}"
    return Caller(arn, found.arn, _policies_of(found))


def role_policies(found) -> list[dict]:
    return _policies_of(found)


def trust_policy(found) -> dict:
    return document(found.assume_role_policy_document)


def _user_caller(user) -> Caller:
    docs = _policies_of(user)
    for group in _iam().groups.values():
        if user in group.users:
            docs += _policies_of(group)
    arn = f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT_ID}:user{user.path}{user.name}"
    return Caller(arn, arn, docs)


def _assumed(key: str) -> Caller | None:
    from moto.sts.models import sts_backends

    backend = sts_backends[LOCAL_ACCOUNT_ID][PARTITION]
    session = next((s for s in backend.assumed_roles if s.access_key_id == key), None)
    if session is None:
        return None
    found = role_by_arn(session.role_arn)
    if found is None:  # the role is gone: its sessions may do nothing
        return Caller(session.arn, session.role_arn, [])
    return role_caller(found, session.session_name)


def _function_session(found) -> str:
    """The session name AWS gives a role's credentials: a Lambda function's name, Glue's."""
    try:
        from moto.awslambda.models import lambda_backends

        for region in lambda_backends[LOCAL_ACCOUNT_ID].values():
            for fn in region.list_functions():
                if fn.role == found.arn:
                    return fn.function_name
    except Exception:  # no Lambda state yet
        pass
    return "GlueJobRunnerSession"


def caller(key: str | None) -> Caller | None:
    """The principal of an access key id; None: not checked (the owner, the emulator)."""
    if not key or key.startswith(INTERNAL_KEY_PREFIX):
        return None
    if key.startswith(ROLE_KEY_PREFIX):
        assumed = _assumed(key)
        if assumed is not None:
            return assumed
        for found in _iam().roles.values():
            if role_access_key(found.arn) == key:
                return role_caller(found, _function_session(found))
        name = key.removeprefix(ROLE_KEY_PREFIX)  # a role deleted since: nothing is allowed
        return Caller(
            f"arn:{PARTITION}:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{name}/{name}",
            f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT_ID}:role/{name}",
        )
    iam = _iam()
    if key.startswith(LEARNER_KEY_PREFIX):
        return _learner(key.removeprefix(LEARNER_KEY_PREFIX))
    for user in iam.users.values():
        if any(k.access_key_id == key for k in user.access_keys):
            return _user_caller(user)
    return None


def _learner(policy_name: str) -> Caller:
    role = f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT_ID}:role/{LEARNER_ROLE}"
    arn = f"arn:{PARTITION}:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{LEARNER_ROLE}/{policy_name}"
    found = next((p for p in _iam().managed_policies.values() if p.name == policy_name), None)
    return Caller(arn, role, [_managed(found)] if found is not None else [])


def bucket_policy(bucket: str) -> dict | None:
    from moto.s3.models import s3_backends

    found = s3_backends[LOCAL_ACCOUNT_ID][PARTITION].buckets.get(bucket)
    return document(found.policy) if found is not None and found.policy else None


def function_policy(region: str, name: str) -> dict | None:
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[LOCAL_ACCOUNT_ID][region].get_function(name, None)
    except Exception:
        return None
    statements = list(fn.policy.statements) if fn.policy else []
    return {"Statement": statements} if statements else None
