"""The routing table: each provider claims some requests; everything else goes to moto.

A new provider is a module here with a `Provider` subclass, added to `PROVIDER_CLASSES`.
The core (app.py) never changes for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest

if TYPE_CHECKING:
    from ..app import EmulatorApp

Handler = Callable[[AwsRequest], Response]


@dataclass(frozen=True)
class Route:
    """Requests this route claims: by service (and operations), or by path prefix."""

    handler: Handler
    service: str | None = None
    operations: frozenset[str] | None = None  # None: every operation of `service`
    path_prefix: str | None = None

    def matches(self, request: AwsRequest) -> bool:
        if self.path_prefix is not None:
            return request.path.startswith(self.path_prefix)
        if self.service is None or request.service != self.service:
            return False
        return self.operations is None or request.operation in self.operations


@dataclass
class Provider:
    """Base class: a part of AWS or Segment that the emulator answers itself."""

    app: EmulatorApp
    name: str = "provider"
    description: str = ""
    services: list[str] = field(default_factory=list)

    def routes(self) -> list[Route]:
        return []

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "services": self.services,
            "state": "ready",
        }

    def reset(self) -> None:
        """Forget all state (tests and `/_emulator/reset`)."""


# Later providers (athena, glue job runs, lambda invoke, api gateway, personalize, segment)
# append their class here.
PROVIDER_CLASSES: list[type[Provider]] = []
