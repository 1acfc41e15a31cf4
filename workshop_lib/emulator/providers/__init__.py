"""The routing table: each provider claims some requests; everything else goes to moto.

A new provider is a module in this package whose `PROVIDERS` list names its `Provider`
subclasses; it is found at start-up, so neither the core (app.py) nor this file changes for it.
Provider modules import heavy libraries (duckdb, scipy, ...) lazily, to keep start-up fast.
"""

from __future__ import annotations

import importlib
import pkgutil
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

    # Durable state (persistence.py): what to save, how to take it back, what to report.

    def snapshot(self) -> Any:
        """This provider's state to save (plain pickle, locks allowed), or None for none."""
        return None

    def restore(self, state: Any) -> None:
        """Take back what snapshot() returned; runs at start, before any request."""

    def counts(self) -> dict[str, int]:
        """What it holds, in words a learner knows ({"solutions": 3}); zeros left out."""
        return {}


def provider_classes() -> list[type[Provider]]:
    """Every class listed in a `PROVIDERS` list of a module of this package, by module name."""
    classes: list[type[Provider]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        classes.extend(getattr(module, "PROVIDERS", []))
    return classes
