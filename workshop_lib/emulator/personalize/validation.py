"""Errors and the input checks that botocore does not make (max lengths, patterns, enums, sizes).

`ApiError` carries the exception name AWS would send; the provider turns it into the wire shape
of the service being called (JSON 1.1 for the control plane, rest-json for runtime and events).
The message texts follow AWS's "1 validation error detected: ..." style.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*"
ARN_PATTERN = r"arn:([a-z\d-]+):personalize:.*:.*:.+"
ROLE_PATTERN = r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_NAME_RE = re.compile(NAME_PATTERN + "$")
_ARN_RE = re.compile(ARN_PATTERN + "$")
_ROLE_RE = re.compile(ROLE_PATTERN + "$")
MAX_TAGS = 200


class ApiError(Exception):
    """An error response: `code` is the AWS exception name, `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def invalid(message: str) -> ApiError:
    return ApiError("InvalidInputException", message)


def not_found(arn: str, kind: str = "Resource") -> ApiError:
    return ApiError("ResourceNotFoundException", f"{kind} {arn} does not exist.", 404)


def in_use(message: str) -> ApiError:
    return ApiError("ResourceInUseException", message, 409)


def already_exists(arn: str) -> ApiError:
    return ApiError(
        "ResourceAlreadyExistsException", f"Another resource with Arn {arn} already exists."
    )


def limit_exceeded(message: str) -> ApiError:
    return ApiError("LimitExceededException", message)


def _constraint(value: Any, field: str, constraint: str) -> ApiError:
    return invalid(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def require(body: dict, field: str) -> Any:
    """A member botocore marks required (raw HTTP callers may still omit it)."""
    if body.get(field) in (None, ""):
        raise _constraint(None, field, "Member must not be null")
    return body[field]


def check_length(value: Any, field: str, maximum: int, minimum: int = 1) -> None:
    if value is not None and not minimum <= len(value) <= maximum:
        raise _constraint(
            value,
            field,
            f"Member must have length less than or equal to {maximum} "
            f"and greater than or equal to {minimum}",
        )


def check_name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str):
        raise _constraint(value, field, "Member must not be null")
    check_length(value, field, 63)
    if not _NAME_RE.match(value):
        raise _constraint(
            value, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    return value


def check_arn(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _constraint(value, field, "Member must not be null")
    check_length(value, field, 256, 0)
    if not _ARN_RE.match(value):
        raise _constraint(
            value, field, f"Member must satisfy regular expression pattern: {ARN_PATTERN}"
        )
    return value


def check_role(value: Any, field: str = "roleArn") -> Any:
    """An IAM role ARN (optional member): the pattern botocore leaves to the server."""
    if value is None:
        return None
    check_length(value, field, 256, 0)
    if not isinstance(value, str) or not _ROLE_RE.match(value):
        raise _constraint(
            value, field, f"Member must satisfy regular expression pattern: {ROLE_PATTERN}"
        )
    return value


def check_enum(value: Any, field: str, allowed: tuple[str, ...]) -> Any:
    if value is not None and value not in allowed:
        raise _constraint(
            value, field, f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def check_max_items(values: Any, field: str, maximum: int, minimum: int = 0) -> None:
    if values is not None and not minimum <= len(values) <= maximum:
        raise _constraint(
            f"[{len(values)} items]",
            field,
            f"Member must have length less than or equal to {maximum} "
            f"and greater than or equal to {minimum}",
        )


def check_tags(tags: Any) -> dict[str, str]:
    """The tag list of a Create*/TagResource call as a dict (0-200 tags, AWS's key rules)."""
    tags = tags or []
    if len(tags) > MAX_TAGS:
        raise ApiError("TooManyTagsException", f"Too many tags: {len(tags)} > {MAX_TAGS}.")
    result: dict[str, str] = {}
    for i, tag in enumerate(tags):
        key, value = tag.get("tagKey"), tag.get("tagValue")
        check_length(key, f"tags.{i + 1}.member.tagKey", 128)
        check_length(value, f"tags.{i + 1}.member.tagValue", 256, 0)
        if key.lower().startswith("aws:"):
            raise invalid(f"Tag key {key} uses the reserved prefix aws:.")
        result[key] = value
    return result


def paginate(items: list[dict], body: dict, key: str) -> dict[str, Any]:
    """One page of a List* answer: maxResults 1-100 (default 100) and an opaque nextToken."""
    max_results = body.get("maxResults", 100)
    if not isinstance(max_results, int) or not 1 <= max_results <= 100:
        raise _constraint(
            max_results,
            "maxResults",
            "Member must have value less than or equal to 100 and greater than or equal to 1",
        )
    start = 0
    token = body.get("nextToken")
    if token is not None:
        try:
            decoded = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
            if not decoded.startswith("offset:"):
                raise ValueError(decoded)
            start = int(decoded[7:])
        except (ValueError, UnicodeError, binascii.Error):
            raise ApiError("InvalidNextTokenException", "Invalid next token.") from None
    page = items[start : start + max_results]
    answer: dict[str, Any] = {key: page}
    if start + max_results < len(items):
        nxt = f"offset:{start + max_results}".encode("ascii")
        answer["nextToken"] = base64.urlsafe_b64encode(nxt).decode("ascii")
    return answer
