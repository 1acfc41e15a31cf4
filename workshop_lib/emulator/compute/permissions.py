"""Does a function's resource-based policy let a service invoke it (lambda add_permission)?"""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..config import LOCAL_ACCOUNT_ID

_INVOKE_ACTIONS = {"lambda:InvokeFunction", "lambda:*", "*"}


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, value: str, patterns: list[str]) -> bool:
    if operator in ("ArnLike", "StringLike"):
        return any(fnmatchcase(value, p) for p in patterns)
    if operator in ("ArnEquals", "StringEquals"):
        return value in patterns
    if operator in ("ArnNotLike", "StringNotLike"):
        return not any(fnmatchcase(value, p) for p in patterns)
    if operator in ("ArnNotEquals", "StringNotEquals"):
        return value not in patterns
    return True  # other operators do not concern the caller's ARN or account


def allows_invoke(statements: list[dict], service: str, source_arn: str) -> bool:
    """True if some Allow statement grants `service` lambda:InvokeFunction for `source_arn`."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": LOCAL_ACCOUNT_ID}
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = _as_list(
            principal.get("Service") if isinstance(principal, dict) else principal
        )
        if service not in principals and "*" not in principals:
            continue
        if not _INVOKE_ACTIONS & set(_as_list(statement.get("Action"))):
            continue
        conditions = statement.get("Condition") or {}
        if all(
            _condition_holds(operator, context[key.lower()], _as_list(patterns))
            for operator, entries in conditions.items()
            for key, patterns in entries.items()
            if key.lower() in context
        ):
            return True
    return False
