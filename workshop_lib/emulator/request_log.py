"""An opt-in log of every AWS API request the emulator receives, and who signed it.

Why: the setup/ stack's policies are least privilege, and a missing action shows only on a real
account. With WORKSHOP_EMULATOR_REQUEST_LOG=<path> set in the emulator's environment, each AWS
request appends one JSON line: the SigV4 signing name, the botocore service and operation, the
access key id of the signature, and the parameters that name the resource, read cheaply (path
parameters, small JSON or form bodies, DeleteObjects' keys; never object or payload bodies).
Without the variable nothing is read or written.

The access key says who called, as on AWS, where every caller has its own credentials:
- Lambda functions and Glue job runs get `role_access_key(<their role ARN>)` (AWS hands them
  their role's temporary credentials, ASIA...);
- the emulator's own boto3 clients get `internal_access_key()`, which names the emulator module
  that made the client (Athena's S3 reads, Personalize's import jobs, Segment's S3 writes...), so
  a test can attribute them to the principal AWS would use;
- everything else (notebook kernels, tests) signs with whatever it was given ("test").
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote

ENV_REQUEST_LOG = "WORKSHOP_EMULATOR_REQUEST_LOG"
ROLE_KEY_PREFIX = "ASIA"  # AWS: temporary credentials of an assumed role start so
INTERNAL_KEY_PREFIX = "EMULATOR-"
MAX_JSON_BODY = 256 * 1024  # bigger bodies (function zips) are not read for the log
MAX_VALUE = 300  # longer strings (policy documents, SQL) are cut
_SKIP_BODY = {("lambda", "Invoke"), ("lambda", "InvokeAsync")}  # the payload is the function's
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.+=@-]")
_DELETE_KEY = re.compile(rb"<Key>(.*?)</Key>", re.S)
_lock = threading.Lock()


def role_access_key(role_arn: str | None) -> str:
    """The access key id a Lambda worker or Glue job run signs with: its role, recognisable."""
    name = (role_arn or "no-role").rsplit("/", 1)[-1]
    return ROLE_KEY_PREFIX + _KEY_CHARS.sub("_", name)


def internal_access_key(depth: int = 2) -> str:
    """The access key id of a client the emulator makes for itself: the module that asked for
    it, e.g. EMULATOR-athena.execution (depth 2: the caller of app.client)."""
    module = sys._getframe(depth).f_globals.get("__name__", "?")
    return INTERNAL_KEY_PREFIX + module.removeprefix("workshop_lib.emulator.")


def enabled() -> bool:
    return bool(os.environ.get(ENV_REQUEST_LOG))


def record(request: Any) -> None:
    """Append the request's line to the log, if one is asked for; never fails the request."""
    path = os.environ.get(ENV_REQUEST_LOG)
    if not path or request.service is None or request.path.startswith("/_"):
        return
    try:
        line = json.dumps(entry(request), default=str)
        with _lock, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    except Exception as exc:  # a log problem must not change what the caller gets
        print(f"request log: {type(exc).__name__}: {exc}", file=sys.stderr)


def entry(request: Any) -> dict:
    """The log line of one request (see the module docstring)."""
    auth = request.environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/,\s]+)/", auth)
    return {
        "time": round(time.time(), 3),
        "signing": request._scope[1],
        "service": request.service,
        "operation": request.operation,
        "method": request.method,
        "path": request.path,
        "key": match.group(1) if match else None,
        "params": params(request),
    }


def params(request: Any) -> dict:
    """The resource-naming parameters of the request (strings, cut at MAX_VALUE)."""
    from . import service_models

    service, operation = request.service, request.operation
    found: dict[str, Any] = {}
    proto = request.protocol or ""  # the request's own: Athena is JSON or rest-json by botocore
    if proto.startswith("rest") and operation:
        members = service_models.path_members(service, proto, operation, request.path)
        found.update({name: unquote(value) for name, value in members.items()})
    if service == "s3":
        query = parse_qs(request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
        for name in ("prefix", "uploadId", "partNumber", "versionId"):
            if name in query:
                found[name] = query[name][0]
        if operation == "DeleteObjects":
            keys = _DELETE_KEY.findall(request.body)
            found["Keys"] = [html.unescape(k.decode("utf-8", "replace")) for k in keys]
            found["VersionIds"] = request.body.count(b"<VersionId>")  # DeleteObjectVersion
        return found
    if proto == "query":
        found.update({k: _cut(v) for k, v in request.form.items() if k != "Action"})
        return found
    if (service, operation) in _SKIP_BODY:
        return found
    length = int(request.environ.get("CONTENT_LENGTH") or 0)
    if proto in ("json", "rest-json") and 0 < length <= MAX_JSON_BODY:
        try:
            body = request.json()
        except ValueError:
            return found
        if isinstance(body, dict):
            for key, value in body.items():
                if isinstance(value, str | int | float | bool) and key not in ("ZipFile",):
                    found.setdefault(key, _cut(value))
                elif key in ("Tags", "tags") and value:
                    found[key] = value
                elif isinstance(value, dict):  # DatabaseInput, JobUpdate...: their scalars
                    found[key] = {
                        k: _cut(v) for k, v in value.items() if isinstance(v, str | int | bool)
                    }
                elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                    found.setdefault(key, [_cut(v) for v in value[:50]])
    return found


def _cut(value: Any) -> Any:
    return value[:MAX_VALUE] if isinstance(value, str) else value
