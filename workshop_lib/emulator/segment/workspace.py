"""The workspace's configuration: sources (with write keys), destinations and Unify spaces.

Objects are shaped like Segment's Public API (`id`, `slug`, `name`, `enabled`, `writeKeys`,
`metadata`, `settings`), so what the admin API lists reads like what Segment's UI shows.
The runtime side of destinations (buffers, delivery logs) lives in the destination modules.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .ids import source_id, stable_token, write_key
from .timestamps import iso_ms_z

WORKSPACE = {"id": "wks_workshop0001", "slug": "workshop", "name": "Workshop (local emulator)"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")

# catalog entries the emulator delivers to: slug -> (metadata id, display name)
DESTINATION_CATALOG = {
    "aws-s3": ("60be92c8dabdd561bf6c9130", "AWS S3"),
    "amazon-s3": ("54f418c3db31d978f14aa925", "Amazon S3"),
    "amazon-personalize": ("5c7f0c9879726100019cc56b", "Amazon Personalize"),
    "amazon-lambda": ("5c86f0512f5eb100013d570b", "Amazon Lambda"),
}
S3_SLUGS = ("aws-s3", "amazon-s3")
LAMBDA_SLUGS = ("amazon-personalize", "amazon-lambda")


class WorkspaceError(Exception):
    """A request the Public API would refuse: `kind` is its error type, `status` the HTTP code."""

    def __init__(self, kind: str, message: str, status: int) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


def _now() -> str:
    return iso_ms_z(datetime.now(UTC))


@dataclass
class Source:
    id: str
    slug: str
    name: str
    write_key: str
    enabled: bool = True
    created_at: str = field(default_factory=_now)

    def public(self) -> dict:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "workspaceId": WORKSPACE["id"],
            "enabled": self.enabled,
            "writeKeys": [self.write_key],
            "metadata": {"slug": "http-api", "name": "HTTP API"},
            "createdAt": self.created_at,
        }


@dataclass
class Destination:
    id: str
    name: str
    slug: str
    source_id: str
    settings: dict
    enabled: bool = True
    created_at: str = field(default_factory=_now)

    def public(self) -> dict:
        metadata_id, display = DESTINATION_CATALOG[self.slug]
        return {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "sourceId": self.source_id,
            "metadata": {"id": metadata_id, "slug": self.slug, "name": display},
            "settings": self.settings,
            "createdAt": self.created_at,
        }


@dataclass
class Space:
    id: str
    slug: str
    name: str
    source_ids: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    created_at: str = field(default_factory=_now)

    def public(self) -> dict:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "sourceIds": list(self.source_ids),
            "createdAt": self.created_at,
        }


def _slug_of(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise WorkspaceError("validation", "`name` is required (a non-empty string).", 400)
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.strip().lower()).strip("-")
    if not SLUG.match(slug):
        raise WorkspaceError("validation", f"Cannot make a slug of the name {name!r}.", 400)
    return slug


class Workspace:
    """Thread-safe registry of sources, destinations and spaces."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.sources: dict[str, Source] = {}
        self.destinations: dict[str, Destination] = {}
        self.spaces: dict[str, Space] = {}
        self._by_key: dict[str, Source] = {}

    # sources -----------------------------------------------------------------------------
    def create_source(self, name: object, enabled: bool = True) -> Source:
        slug = _slug_of(name)
        with self.lock:
            if any(s.slug == slug for s in self.sources.values()):
                raise WorkspaceError("conflict", f"A source with slug {slug!r} exists.", 409)
            source = Source(source_id(slug), slug, str(name).strip(), write_key(slug), enabled)
            self.sources[source.id] = source
            self._by_key[source.write_key] = source
            return source

    def _get(self, table: dict, key: str, kind: str):
        with self.lock:
            found = table.get(key)
        if found is None:
            raise WorkspaceError("not-found", f"{kind} {key!r} was not found.", 404)
        return found

    def source(self, source_id_: str) -> Source:
        return self._get(self.sources, source_id_, "Source")

    def source_by_write_key(self, key: str) -> Source | None:
        with self.lock:
            return self._by_key.get(key)

    def delete_source(self, source_id_: str) -> list[Destination]:
        """Removes the source and its destinations (returned, so their buffers can flush)."""
        with self.lock:
            source = self.source(source_id_)
            del self.sources[source.id]
            del self._by_key[source.write_key]
            removed = [d for d in self.destinations.values() if d.source_id == source.id]
            for destination in removed:
                del self.destinations[destination.id]
            for space in self.spaces.values():
                if source.id in space.source_ids:
                    space.source_ids.remove(source.id)
            return removed

    # destinations ------------------------------------------------------------------------
    def add_destination(
        self, source_id_: str, slug: str, settings: dict, name: str | None, enabled: bool
    ) -> Destination:
        with self.lock:
            source = self.source(source_id_)
            if slug in S3_SLUGS and any(
                d.slug in S3_SLUGS for d in self.destinations.values() if d.source_id == source.id
            ):
                raise WorkspaceError(
                    "conflict", "A source can have only one S3 destination (as on Segment).", 409
                )
            # stable ids (same setup, same id) keep notebook outputs comparable between runs
            n = 0
            while (new_id := "dst_" + stable_token(f"{source.id}:{slug}:{n}", 22)) in (
                self.destinations
            ):
                n += 1
            destination = Destination(
                new_id,
                name or DESTINATION_CATALOG[slug][1],
                slug,
                source.id,
                settings,
                enabled,
            )
            self.destinations[destination.id] = destination
            return destination

    def destination(self, destination_id: str) -> Destination:
        return self._get(self.destinations, destination_id, "Destination")

    def destinations_of(self, source_id_: str) -> list[Destination]:
        with self.lock:
            return [d for d in self.destinations.values() if d.source_id == source_id_]

    def remove_destination(self, destination_id: str) -> Destination:
        with self.lock:
            return self.destinations.pop(self.destination(destination_id).id)

    # spaces ------------------------------------------------------------------------------
    def create_space(self, name: object) -> Space:
        slug = _slug_of(name)
        with self.lock:
            if any(s.slug == slug for s in self.spaces.values()):
                raise WorkspaceError("conflict", f"A space with slug {slug!r} exists.", 409)
            space = Space("spa_" + stable_token(f"space:{slug}", 22), slug, str(name).strip())
            self.spaces[space.id] = space
            return space

    def delete_space(self, space_id: str) -> None:
        with self.lock:
            self.spaces.pop(space_id, None)

    def space(self, space_id: str) -> Space:
        return self._get(self.spaces, space_id, "Space")

    def spaces_of(self, source_id_: str) -> list[Space]:
        with self.lock:
            return [s for s in self.spaces.values() if source_id_ in s.source_ids]

    def reset(self) -> None:
        with self.lock:
            self.sources.clear()
            self.destinations.clear()
            self.spaces.clear()
            self._by_key.clear()
