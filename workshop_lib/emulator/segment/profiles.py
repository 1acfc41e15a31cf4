"""Unify (Personas) profiles and the Profile API.

Messages from sources connected to a space build profiles: each message's identifiers
(`user_id` from userId, `anonymous_id`, `email` from traits/context.traits/properties) find or
create a profile, and profiles sharing an identifier merge, unless that would give one profile
two user_ids. Traits (identify's `traits`, any `context.traits`) are merged key by key, last
write wins, lists kept as lists.

Profile API (`/v1/spaces/<space>/collections/users/profiles/<type>:<value>/<what>`): HTTP Basic
with an access token as user name; `traits` (limit, next cursor over sorted keys, include,
class, verbose), `external_ids`, `events`, `metadata`; errors as `{"error": {code, message}}`.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from .ids import random_token
from .responses import json_response
from .workspace import Workspace

ID_TYPES = ("user_id", "anonymous_id", "email")
MAX_TRAIT_LIMIT = 200
MAX_TRAITS = 300  # an identify with this many traits or more is rejected by Unify
RECENT_EVENTS = 100


@dataclass
class Profile:
    segment_id: str
    created_at: str
    updated_at: str
    first_message_id: str
    traits: dict = field(default_factory=dict)
    trait_meta: dict = field(default_factory=dict)  # key -> (source_id, updated_at)
    external_ids: list[dict] = field(default_factory=list)
    events: deque = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))

    def ids(self) -> set[tuple[str, str]]:
        return {(e["type"], e["id"]) for e in self.external_ids}

    def user_ids(self) -> set[str]:
        return {e["id"] for e in self.external_ids if e["type"] == "user_id"}


def identifiers(message: dict) -> list[tuple[str, str]]:
    found = []
    if message.get("userId"):
        found.append(("user_id", str(message["userId"])))
    if message.get("anonymousId"):
        found.append(("anonymous_id", str(message["anonymousId"])))
    for holder in (message.get("traits"), (message.get("context") or {}).get("traits")):
        if isinstance(holder, dict) and isinstance(holder.get("email"), str):
            found.append(("email", holder["email"]))
            break
    return found


def traits_of(message: dict) -> dict:
    traits = {}
    context_traits = (message.get("context") or {}).get("traits")
    if isinstance(context_traits, dict):
        traits.update(context_traits)
    if message.get("type") == "identify" and isinstance(message.get("traits"), dict):
        traits.update(message["traits"])
    return traits


class ProfileStore:
    """Profiles per space, with an index from (id type, value) to profile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: dict[str, dict[str, Profile]] = {}  # space -> segment_id -> profile
        self._index: dict[str, dict[tuple[str, str], str]] = {}

    def apply(self, space_id: str, source_id: str, messages: list[dict]) -> None:
        with self._lock:
            profiles = self._profiles.setdefault(space_id, {})
            index = self._index.setdefault(space_id, {})
            for message in messages:
                ids = identifiers(message)
                if ids:
                    self._apply_one(profiles, index, source_id, message, ids)

    def _apply_one(self, profiles, index, source_id, message, ids) -> None:
        received = message["receivedAt"]
        user_id = dict(ids).get("user_id")
        matches = []
        for key in ids:
            owner = index.get(key)
            if owner is None or owner in matches:
                continue
            if user_id and profiles[owner].user_ids() - {user_id}:
                continue  # another person's profile: never two user_ids on one profile
            matches.append(owner)
        if not matches:
            profile = Profile("use_" + random_token(27), received, received, message["messageId"])
            profiles[profile.segment_id] = profile
        else:
            profile = profiles[matches[0]]
            for other_id in matches[1:]:
                other = profiles[other_id]
                if profile.user_ids() and other.user_ids() - profile.user_ids():
                    continue
                self._merge(profiles, index, profile, other)
        known = profile.ids()
        for id_type, value in ids:
            owner = index.get((id_type, value))
            if owner not in (None, profile.segment_id):
                continue  # belongs to another person's profile
            if id_type == "user_id" and profile.user_ids() - {value}:
                continue
            if (id_type, value) not in known:
                profile.external_ids.append(
                    {
                        "id": value,
                        "type": id_type,
                        "source_id": source_id,
                        "collection": "users",
                        "created_at": received,
                        "encoding": "none",
                        "first_message_id": message["messageId"],
                    }
                )
                index[(id_type, value)] = profile.segment_id
        traits = traits_of(message)
        if len(traits) >= MAX_TRAITS:
            traits = {}  # Unify rejects such an identify (the profile keeps its ids)
        for key, value in traits.items():
            profile.traits[key] = value  # last write wins; lists stay lists
            profile.trait_meta[key] = (source_id, received)
        profile.updated_at = received
        profile.events.append(message)

    @staticmethod
    def _merge(profiles, index, into: Profile, other: Profile) -> None:
        for external in other.external_ids:
            if (external["type"], external["id"]) not in into.ids():
                into.external_ids.append(external)
            index[(external["type"], external["id"])] = into.segment_id
        for key, value in other.traits.items():
            if key not in into.traits or other.trait_meta[key][1] > into.trait_meta[key][1]:
                into.traits[key] = value
                into.trait_meta[key] = other.trait_meta[key]
        into.events.extend(other.events)
        del profiles[other.segment_id]

    def find(self, space_id: str, id_type: str, value: str) -> Profile | None:
        with self._lock:
            if id_type == "segment_id":
                return self._profiles.get(space_id, {}).get(value)
            segment_id = self._index.get(space_id, {}).get((id_type, value))
            return self._profiles.get(space_id, {}).get(segment_id) if segment_id else None

    def traits_of(self, profile: Profile) -> tuple[dict, dict]:
        """A consistent copy of (traits, key -> (source_id, updated_at))."""
        with self._lock:
            return dict(profile.traits), dict(profile.trait_meta)

    def drop(self, space_id: str) -> None:
        """Forget a space's profiles (the space was deleted)."""
        with self._lock:
            self._profiles.pop(space_id, None)
            self._index.pop(space_id, None)

    def reset(self) -> None:
        with self._lock:
            self._profiles.clear()
            self._index.clear()


def _error(code: str, message: str, status: int) -> Response:
    response = json_response({"error": {"code": code, "message": message}}, status)
    response.headers["Request-Id"] = str(uuid.uuid4())
    return response


def _token(request: AwsRequest) -> str | None:
    auth = request.environ.get("HTTP_AUTHORIZATION", "")
    if auth[:6].lower() != "basic ":
        return None
    try:
        return base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0] or None
    except (ValueError, UnicodeDecodeError):
        return None


class ProfileApi:
    """`GET {prefix}/profiles/v1/spaces/<space>/collections/users/profiles/<id>/<what>`."""

    def __init__(self, workspace: Workspace, store: ProfileStore) -> None:
        self.workspace = workspace
        self.store = store

    def handle(self, request: AwsRequest, path: str) -> Response:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        # v1 spaces <space> collections users profiles <id> <what>
        if (
            len(parts) != 8
            or parts[:2] != ["v1", "spaces"]
            or parts[3:6] != ["collections", "users", "profiles"]
        ):
            return _error("not_found", "Resource was not found.", 404)
        if request.method != "GET":
            return _error("invalid_request_error", "The Profile API is read-only (GET).", 405)
        space_id, identifier, what = parts[2], parts[6], parts[7]
        with self.workspace.lock:
            space = self.workspace.spaces.get(space_id)
        token = _token(request)
        if space is None or token is None or token not in space.tokens:
            return _error(
                "authentication_error",
                "The access token is missing or not valid for this space.",
                401,
            )
        id_type, sep, value = identifier.partition(":")
        if not sep or not value:
            return _error(
                "validation_error", "The profile id must look like <id_type>:<value>.", 400
            )
        if id_type != id_type.lower():
            return _error("validation_error", "The id type must be lower case (user_id).", 400)
        profile = self.store.find(space.id, id_type, value)
        if profile is None:
            return _error("not_found", "Profile was not found.", 404)
        query = {k: v[-1] for k, v in parse_qs(request.environ.get("QUERY_STRING", "")).items()}
        url = "/" + "/".join(
            ["v1", "spaces", space_id, "collections/users/profiles", identifier, what]
        )
        if what == "traits":
            return self._traits(profile, query, url)
        if what == "external_ids":
            return self._listing(profile.external_ids, query, url)
        if what == "events":
            return self._listing(list(profile.events)[::-1], query, url)
        if what == "metadata":
            return json_response(
                {
                    "metadata": {
                        "created_at": profile.created_at,
                        "updated_at": profile.updated_at,
                        "expires_at": None,
                        "first_message_id": profile.first_message_id,
                        "segment_id": profile.segment_id,
                    }
                }
            )
        if what == "links":
            return json_response({"data": [], "cursor": _cursor(url, False, "")})
        return _error("not_found", "Resource was not found.", 404)

    @staticmethod
    def _limit(query: dict, default: int, maximum: int) -> int | Response:
        raw = query.get("limit", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            return _error("validation_error", f"limit must be between 1 and {maximum}.", 400)
        return int(raw)

    def _traits(self, profile: Profile, query: dict, url: str) -> Response:
        limit = self._limit(query, 10, MAX_TRAIT_LIMIT)
        if isinstance(limit, Response):
            return limit
        kind = query.get("class")
        if kind not in (None, "audience", "computed_trait"):
            return _error("validation_error", "class must be audience or computed_trait.", 400)
        traits, meta = self.store.traits_of(profile)
        keys = sorted(traits) if kind is None else []  # custom traits are neither class
        if query.get("include"):
            wanted = set(query["include"].split(","))
            keys = [k for k in keys if k in wanted]
        start = query.get("next", "")
        keys = [k for k in keys if k >= start] if start else keys
        page, rest = keys[:limit], keys[limit:]
        if query.get("verbose") == "true":
            body = {
                k: {"value": traits[k], "source_id": meta[k][0], "updated_at": meta[k][1]}
                for k in page
            }
        else:
            body = {k: traits[k] for k in page}
        cursor = _cursor(url, bool(rest), rest[0] if rest else "")
        return json_response({"traits": body, "cursor": cursor, "limit": limit})

    def _listing(self, rows: list, query: dict, url: str) -> Response:
        limit = self._limit(query, 10, 100)
        if isinstance(limit, Response):
            return limit
        raw = query.get("next", "0")
        start = int(raw) if raw.isdigit() else 0
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return json_response(
            {"data": page, "cursor": _cursor(url, more, str(start + limit) if more else "")}
        )


def _cursor(url: str, has_more: bool, next_value: str) -> dict:
    return {"url": url, "has_more": has_more, "next": next_value}
