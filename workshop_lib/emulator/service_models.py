"""Facts about AWS services read from botocore's own models: protocol and operation names.

Used to name the operation of any request (also the REST ones, which carry no action name)
and to shape errors the way botocore parses them for that service.

A service can change protocol between botocore versions (Athena: json up to botocore 1.44.8,
rest-json from 1.44.18), and learners' clients span both. AWS accepts either, so the emulator
knows both whichever botocore it runs with: wire_models/ holds both models, copied from
botocore 1.44.8 and 1.44.18 (Apache-2.0), named `<service>-<protocol>.json.gz`; the installed
botocore's own model wins for its protocol.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationModel, ServiceModel

WIRE_MODELS = Path(__file__).parent / "wire_models"


@dataclass(frozen=True)
class RestOperation:
    name: str
    method: str
    path: re.Pattern[str]
    query_keys: frozenset[str]
    headers: frozenset[str]  # required header members (CopyObject needs x-amz-copy-source)
    literal_chars: int  # more literal characters = a more specific URI template
    labels: dict[str, str]  # regex group -> input member bound to that URI label


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
    """The wire protocol the installed botocore speaks to this service (json, rest-json...)."""
    model = _model(service) if service else None
    return model.metadata.get("protocol", "json") if model else "json"


@cache
def models(service: str) -> dict[str, ServiceModel]:
    """This service's models by protocol: the installed botocore's, and any in wire_models/."""
    found: dict[str, ServiceModel] = {}
    installed = _model(service)
    if installed is not None:
        found[installed.metadata.get("protocol", "json")] = installed
    for path in sorted(WIRE_MODELS.glob(f"{service}-*.json.gz")):
        proto = path.name.removeprefix(f"{service}-").removesuffix(".json.gz")
        if proto not in found:
            with gzip.open(path, "rt", encoding="utf-8") as data:
                found[proto] = ServiceModel(json.load(data), service_name=service)
    return found


@cache
def request_protocol(service: str | None, has_target: bool) -> str:
    """The protocol of one request: X-Amz-Target is only sent by the JSON protocol; without
    it a service that has a REST model (Athena from botocore 1.44.18) is called the REST way."""
    if has_target or service is None:
        return "json"
    known = list(models(service))
    rest = [p for p in known if p != "json"]
    return rest[0] if rest else (known[0] if known else "json")


def has_service(service: str) -> bool:
    return _model(service) is not None


def has_operation(service: str | None, operation: str | None) -> bool:
    """Whether `operation` is a real operation of `service` (in any protocol's model)."""
    if not service or not operation:
        return False
    return any(operation in m.operation_names for m in models(service).values())


def operation_model(service: str, operation: str, proto: str) -> OperationModel | None:
    model = models(service).get(proto)
    if model is None or operation not in model.operation_names:
        return None
    return model.operation_model(operation)


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
    labels: dict[str, str] = {}
    shape = op_model.input_shape
    members = {
        m.serialization.get("name", n): n
        for n, m in (shape.members.items() if shape else [])
        if m.serialization.get("location") == "uri"
    }
    for i, part in enumerate(re.split(r"(\{[^}]+\})", path)):
        if part.startswith("{"):
            label = part.strip("{}+")
            labels[f"g{i}"] = members.get(label, label)
            pattern += f"(?P<g{i}>.+)" if part.endswith("+}") else f"(?P<g{i}>[^/]+)"
        else:
            pattern += re.escape(part)
    keys = frozenset(
        {kv.split("=")[0] for kv in query.split("&") if kv} | _required(op_model, "querystring")
    )
    headers = frozenset(_required(op_model, "header"))
    literal = len(re.sub(r"\{[^}]+\}", "", path)) + 10 * (len(keys) + len(headers))
    return RestOperation(
        op_model.name, http["method"], re.compile(f"^{pattern}/?$"), keys, headers, literal, labels
    )


@cache
def _rest_operations(service: str, proto: str) -> tuple[RestOperation, ...]:
    model = models(service).get(proto)
    if model is None:
        return ()
    ops = [_compile(model.operation_model(name)) for name in model.operation_names]
    return tuple(sorted(ops, key=lambda op: -op.literal_chars))


def path_members(service: str, proto: str, operation: str, path: str) -> dict[str, str]:
    """The URI members of a REST request to a known operation (%-encoded, as in the path)."""
    for op in _rest_operations(service, proto):
        if op.name == operation:
            match = op.path.match(path)
            return {op.labels[g]: v for g, v in match.groupdict().items()} if match else {}
    return {}


def rest_match(
    service: str, proto: str, method: str, path: str, query_keys: set[str], headers: set[str]
) -> tuple[str, dict[str, str]] | None:
    """(operation, URI members) of a REST request, matched against the model's URI templates.

    `headers` are the request's header names in lower case; URI members are still %-encoded.
    """
    for op in _rest_operations(service, proto):
        if op.method != method or not op.query_keys <= query_keys or not op.headers <= headers:
            continue
        match = op.path.match(path)
        if match:
            return op.name, {op.labels[g]: v for g, v in match.groupdict().items()}
    return None
