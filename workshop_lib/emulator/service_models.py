"""Facts about AWS services read from botocore's own models: protocol and operation names.

Used to name the operation of any request (also the REST ones, which carry no action name)
and to shape errors the way botocore parses them for that service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.exceptions import UnknownServiceError


@dataclass(frozen=True)
class RestOperation:
    name: str
    method: str
    path: re.Pattern[str]
    query_keys: frozenset[str]
    headers: frozenset[str]  # required header members (CopyObject needs x-amz-copy-source)
    literal_chars: int  # more literal characters = a more specific URI template


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _model(service: str):
    try:
        return _session().get_service_model(service)
    except UnknownServiceError:
        return None


def protocol(service: str | None) -> str:
    """The wire protocol botocore speaks to this service (json, rest-json, query, rest-xml)."""
    model = _model(service) if service else None
    return model.metadata.get("protocol", "json") if model else "json"


def has_service(service: str) -> bool:
    return _model(service) is not None


def _required(op_model, location: str) -> set[str]:
    shape = op_model.input_shape
    if shape is None:
        return set()
    required = set(shape.required_members)
    return {
        m.serialization["name"].lower() if location == "header" else m.serialization["name"]
        for n, m in shape.members.items()
        if n in required and m.serialization.get("location") == location
    }


def _compile(op_model) -> RestOperation:
    http = op_model.http
    path, _, query = http["requestUri"].partition("?")
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            pattern += ".+" if part.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(part)
    keys = frozenset(
        {kv.split("=")[0] for kv in query.split("&") if kv} | _required(op_model, "querystring")
    )
    headers = frozenset(_required(op_model, "header"))
    literal = len(re.sub(r"\{[^}]+\}", "", path)) + 10 * (len(keys) + len(headers))
    return RestOperation(
        op_model.name, http["method"], re.compile(f"^{pattern}/?$"), keys, headers, literal
    )


@cache
def _rest_operations(service: str) -> tuple[RestOperation, ...]:
    model = _model(service)
    if model is None:
        return ()
    ops = [_compile(model.operation_model(name)) for name in model.operation_names]
    return tuple(sorted(ops, key=lambda op: -op.literal_chars))


def rest_operation(
    service: str, method: str, path: str, query_keys: set[str], headers: set[str]
) -> str | None:
    """The operation a REST request calls, matched against the model's URI templates.

    `headers` are the request's header names in lower case.
    """
    for op in _rest_operations(service):
        if (
            op.method == method
            and op.query_keys <= query_keys
            and op.headers <= headers
            and op.path.match(path)
        ):
            return op.name
    return None
