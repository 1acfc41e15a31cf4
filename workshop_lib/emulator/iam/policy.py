"""IAM's policy evaluation, as far as this kit's policies need it.

One account, no SCPs, no permissions boundaries, no session policies:
- an explicit Deny in any applying policy (identity or resource) wins;
- otherwise an Allow is needed, from an identity policy of the principal or from a resource
  policy (bucket policy, function policy) naming the principal: in one account either suffices;
- actions match case-insensitively with * and ? wildcards, resources case-sensitively;
- conditions: the String*, Arn*, Bool and Null operators with their IfExists forms and the
  ForAnyValue/ForAllValues prefixes; a key absent from the request context makes a condition
  false, except for negated operators, IfExists and Null (as IAM reads them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit-deny", "implicit-deny"


@dataclass(frozen=True)
class Need:
    """One IAM authorization a request needs. resources None: not named cheaply (the action
    alone is checked); ("*",): an action without resource-level permissions. context: the
    condition keys the request sets (iam:PassedToService, ...)."""

    action: str
    resources: tuple[str, ...] | None
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Decision:
    """IAM's answer for one action on one resource, and which kind of policy decided it."""

    effect: str  # ALLOW, EXPLICIT_DENY or IMPLICIT_DENY
    where: str = "identity-based"  # the policy kind of a deny ("identity-based"/"resource-based")

    @property
    def allowed(self) -> bool:
        return self.effect == ALLOW


def listed(value) -> list:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.I | re.S if ignore_case else re.S)


def matches(patterns: Iterable[str], value: str, ignore_case: bool) -> bool:
    """IAM's wildcard match. Both sides are compared URL-decoded: IAM answers with URL-encoded
    documents and botocore decodes them, but moto stores them plain, so a percent-encoded ARN
    in a policy (API Gateway's /tags/<encoded ARN>) arrives from the emulator decoded once
    more than from AWS."""
    value = unquote(value)
    return any(_pattern(unquote(str(p)), ignore_case).match(value) for p in patterns)


# ------------------------------------------------------------------ conditions


def _compare(base: str, wanted: list[str], value: str) -> bool:
    """One value against the condition's values, for a positive base operator."""
    if base in ("StringEquals", "ArnEquals"):
        return value in wanted
    if base == "StringEqualsIgnoreCase":
        return value.lower() in {w.lower() for w in wanted}
    if base in ("StringLike", "ArnLike"):
        return matches(wanted, value, False)
    if base == "Bool":
        return value.lower() in {w.lower() for w in wanted}
    return False  # an operator this evaluator does not know never grants (nor denies)


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition(operator: str, key: str, wanted, context: dict, absent_met: bool) -> bool:
    qualifier, _, base = operator.rpartition(":")  # ForAnyValue:StringLike
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    present = key.lower() in context
    if base == "Null":  # "true": the key must be absent
        return str(listed(wanted)[0]).lower() == str(not present).lower()
    if not present:
        return absent_met or if_exists or base in _NEGATED
    values = listed(context[key.lower()])
    wanted = [str(w) for w in listed(wanted)]
    negated = base in _NEGATED
    base = _NEGATED.get(base, base)
    hits = [_compare(base, wanted, str(v)) for v in values]
    # single-valued keys and ForAnyValue: one value matching is enough
    result = all(hits) if qualifier == "ForAllValues" else any(hits)
    return not result if negated else result


def conditions_hold(statement: dict, context: dict, absent_met: bool = False) -> bool:
    """Do the statement's conditions hold? `context`: lower-cased key -> value(s)."""
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, wanted in keys.items():
            if not _condition(operator, key, wanted, context, absent_met):
                return False
    return True


# ------------------------------------------------------------------ statements


def _names_principal(statement: dict, principal: Principal | None) -> bool:
    """Does a resource policy's statement name the caller (Principal / NotPrincipal)?"""
    if principal is None:
        return False
    if "NotPrincipal" in statement:
        return not _principal_in(statement["NotPrincipal"], principal)
    return _principal_in(statement.get("Principal"), principal)


def _principal_in(value, principal: Principal) -> bool:
    if value == "*":
        return True
    if not isinstance(value, dict):
        return False
    if "*" in listed(value.get("AWS", [])):
        return True
    if principal.service:
        return principal.service in listed(value.get("Service", []))
    names = {str(v) for v in listed(value.get("AWS", []))}
    return bool(names & principal.names)


@dataclass(frozen=True)
class Principal:
    """Who a resource policy is asked about: an IAM identity (its ARNs and account) or a
    service principal (personalize.amazonaws.com)."""

    names: frozenset[str] = frozenset()  # role/user ARN, assumed-role ARN, account id, root
    service: str | None = None


def applies(
    statement: dict,
    action: str,
    resource: str | None,
    context: dict,
    absent_met: bool = False,
) -> bool:
    if "Action" in statement:
        if not matches(listed(statement["Action"]), action, True):
            return False
    elif matches(listed(statement.get("NotAction", [])), action, True):
        return False
    if resource is not None:
        if "Resource" in statement:
            if not matches(listed(statement["Resource"]), resource, False):
                return False
        elif "NotResource" in statement and matches(
            listed(statement["NotResource"]), resource, False
        ):
            return False
    return conditions_hold(statement, context, absent_met)


def statements(documents: Iterable[dict]) -> list[dict]:
    return [s for d in documents for s in listed(d.get("Statement", []))]


def decide(
    identity: Iterable[dict],
    action: str,
    resource: str | None,
    context: dict | None = None,
    resource_policies: Iterable[dict] = (),
    principal: Principal | None = None,
    absent_met: bool = False,
) -> Decision:
    """IAM's decision for one action on one resource (see the module docstring)."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    own = [s for s in statements(identity) if applies(s, action, resource, context, absent_met)]
    theirs = [
        s
        for s in statements(resource_policies)
        if _names_principal(s, principal) and applies(s, action, resource, context, absent_met)
    ]
    if any(s.get("Effect") == "Deny" for s in own):
        return Decision(EXPLICIT_DENY, "identity-based")
    if any(s.get("Effect") == "Deny" for s in theirs):
        return Decision(EXPLICIT_DENY, "resource-based")
    if any(s.get("Effect") == "Allow" for s in own + theirs):
        return Decision(ALLOW)
    return Decision(IMPLICIT_DENY, "identity-based")


def allowed(documents: Iterable[dict], need: Need, resource: str | None) -> bool:
    """Identity policies only, keys the need does not set taken as met (the coverage test's
    reading of a logged request, whose context is partial)."""
    return decide(documents, need.action, resource, dict(need.context), absent_met=True).allowed


def refused(documents: list[dict], need: Need) -> list[str | None]:
    """The resources of `need` the documents do not allow it on (None: the action itself)."""
    resources = need.resources if need.resources is not None else (None,)
    return [r for r in resources if not allowed(documents, need, r)]
