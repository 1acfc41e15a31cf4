"""The workspace admin API (`{prefix}/admin/...`): what Segment's UI and Public API do.

    GET  /workspace
    GET  /sources                      POST /sources {name, enabled?}
    GET|PATCH|DELETE /sources/<id>     GET /sources/<id>/debugger?limit=&status=
    GET  /debugger/unknown-write-keys
    GET  /destinations?sourceId=       POST /destinations {sourceId, metadataSlug, settings, ...}
    GET|PATCH|DELETE /destinations/<id>
    POST /destinations/<id>/flush      (S3: write buffered events now)
    POST /destinations/<id>/validate   (S3: write segment-logs/dummy-object.txt, as Segment's UI)
    GET  /destinations/<id>/deliveries?limit=   (Lambda: the delivery log)
    GET  /spaces                       POST /spaces {name}  (answers with an access token)
    GET  /spaces/<id>                  POST /spaces/<id>/access-tokens   DELETE /spaces/<id>
    POST /spaces/<id>/sources {sourceId}          DELETE /spaces/<id>/sources/<sourceId>

Bodies and answers are JSON: `{"data": {...}}`, errors `{"errors": [{"type", "message"}]}`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from .ids import random_token
from .lambda_destination import LambdaSink
from .responses import json_response
from .s3_destination import S3Sink
from .service import SegmentService
from .workspace import WORKSPACE, WorkspaceError


def _data(value: dict, status: int = 200) -> Response:
    return json_response({"data": value}, status)


def _query(request: AwsRequest) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.environ.get("QUERY_STRING", "")).items()}


def _limit(query: dict, default: int = 100) -> int:
    raw = query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise WorkspaceError("validation", "limit must be between 1 and 1000.", 400)
    return int(raw)


def _body(request: AwsRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkspaceError("validation", f"The body is not valid JSON: {exc}.", 400) from None
    if not isinstance(body, dict):
        raise WorkspaceError("validation", "The body must be a JSON object.", 400)
    return body


class AdminApi:
    def __init__(self, service: SegmentService) -> None:
        self.service = service
        self.workspace = service.workspace

    def handle(self, request: AwsRequest, path: str) -> Response:
        parts = [p for p in path.strip("/").split("/") if p]
        try:
            return self._route(request, request.method, parts)
        except WorkspaceError as exc:
            return json_response(
                {"errors": [{"type": exc.kind, "message": exc.message}]}, exc.status
            )

    def _route(self, request: AwsRequest, method: str, parts: list[str]) -> Response:
        head = parts[0] if parts else ""
        if parts == ["workspace"] and method == "GET":
            return _data({"workspace": WORKSPACE})
        if head == "sources":
            return self._sources(request, method, parts[1:])
        if parts == ["debugger", "unknown-write-keys"] and method == "GET":
            events = self.service.debugger.unknown_keys(_limit(_query(request)))
            return _data({"events": events})
        if head == "destinations":
            return self._destinations(request, method, parts[1:])
        if head == "spaces":
            return self._spaces(request, method, parts[1:])
        raise WorkspaceError("not-found", f"No admin endpoint {method} /{'/'.join(parts)}.", 404)

    def _sources(self, request, method, rest) -> Response:
        if not rest and method == "GET":
            with self.workspace.lock:
                sources = [s.public() for s in self.workspace.sources.values()]
            return _data({"sources": sorted(sources, key=lambda s: s["slug"])})
        if not rest and method == "POST":
            body = _body(request)
            enabled = body.get("enabled", True)
            if not isinstance(enabled, bool):
                raise WorkspaceError("validation", "`enabled` must be true or false.", 400)
            source = self.workspace.create_source(body.get("name"), enabled)
            return _data({"source": source.public()}, 201)
        source = self.workspace.source(rest[0])
        if len(rest) == 1 and method == "GET":
            return _data({"source": source.public()})
        if len(rest) == 1 and method == "PATCH":
            body = _body(request)
            if "enabled" in body:
                if not isinstance(body["enabled"], bool):
                    raise WorkspaceError("validation", "`enabled` must be true or false.", 400)
                source.enabled = body["enabled"]
            return _data({"source": source.public()})
        if len(rest) == 1 and method == "DELETE":
            self.service.remove_source(source.id)
            return _data({"status": "SUCCESS"})
        if rest[1:] == ["debugger"] and method == "GET":
            query = _query(request)
            events = self.service.debugger.recent(source.id, 1000)
            if query.get("status"):
                events = [e for e in events if e["status"] == query["status"]]
            return _data({"events": events[: _limit(query)]})
        raise WorkspaceError("not-found", "No such source endpoint.", 404)

    def _destinations(self, request, method, rest) -> Response:
        service = self.service
        if not rest and method == "GET":
            wanted = _query(request).get("sourceId")
            with self.workspace.lock:
                destinations = list(self.workspace.destinations.values())
            views = [
                service.destination_view(d)
                for d in destinations
                if wanted is None or d.source_id == wanted
            ]
            return _data({"destinations": views})
        if not rest and method == "POST":
            destination = service.add_destination(_body(request))
            return _data({"destination": service.destination_view(destination)}, 201)
        destination = self.workspace.destination(rest[0])
        if len(rest) == 1 and method == "GET":
            return _data({"destination": service.destination_view(destination)})
        if len(rest) == 1 and method == "PATCH":
            destination = service.update_destination(destination.id, _body(request))
            return _data({"destination": service.destination_view(destination)})
        if len(rest) == 1 and method == "DELETE":
            service.remove_destination(destination.id)
            return _data({"status": "SUCCESS"})
        sink = service.sinks.get(destination.id)
        if rest[1:] in (["flush"], ["validate"]) and method == "POST":
            if not isinstance(sink, S3Sink):
                raise WorkspaceError("validation", "Only S3 destinations write objects.", 400)
            try:
                keys = sink.flush() if rest[1] == "flush" else [sink.validate()]
            except Exception as exc:
                raise WorkspaceError(
                    "delivery", f"Writing to S3 failed (events kept): {exc}", 502
                ) from None
            return _data({"objects": keys, "bucket": destination.settings["bucket"]})
        if rest[1:] == ["deliveries"] and method == "GET":
            if not isinstance(sink, LambdaSink):
                raise WorkspaceError("validation", "Only Lambda destinations log deliveries.", 400)
            deliveries = sink.deliveries(_limit(_query(request)))
            return _data({"deliveries": deliveries, "pending": sink.pending()})
        raise WorkspaceError("not-found", "No such destination endpoint.", 404)

    def _spaces(self, request, method, rest) -> Response:
        workspace = self.workspace
        if not rest and method == "GET":
            with workspace.lock:
                spaces = [s.public() for s in workspace.spaces.values()]
            return _data({"spaces": spaces})
        if not rest and method == "POST":
            space = workspace.create_space(_body(request).get("name"))
            token = self._new_token(space)
            return _data({"space": space.public(), "accessToken": token}, 201)
        space = workspace.space(rest[0])
        if len(rest) == 1 and method == "GET":
            return _data({"space": space.public()})
        if len(rest) == 1 and method == "DELETE":  # with its profiles, as deleting it in the app
            workspace.delete_space(space.id)
            self.service.profiles.drop(space.id)
            return _data({"status": "SUCCESS"})
        if rest[1:] == ["access-tokens"] and method == "POST":
            return _data({"accessToken": self._new_token(space)}, 201)
        if rest[1:] == ["sources"] and method == "POST":
            source = workspace.source(str(_body(request).get("sourceId", "")))
            with workspace.lock:
                if source.id not in space.source_ids:
                    space.source_ids.append(source.id)
            return _data({"space": space.public()})
        if len(rest) == 3 and rest[1] == "sources" and method == "DELETE":
            with workspace.lock:
                if rest[2] in space.source_ids:
                    space.source_ids.remove(rest[2])
            return _data({"space": space.public()})
        raise WorkspaceError("not-found", "No such space endpoint.", 404)

    def _new_token(self, space) -> str:
        token = "sgp_" + random_token(60)  # shown once, like Segment's UI
        with self.workspace.lock:
            space.tokens.add(token)
        return token
