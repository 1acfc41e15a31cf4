"""The whole emulator's state: moto's backends plus each provider's, and which requests change it.

EmulatorApp hands these to persistence.Persistence, which decides when to save.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import moto_snapshot
from .aws_request import AwsRequest
from .persistence import Persistence

if TYPE_CHECKING:
    from .app import EmulatorApp

# Operations that only read (every protocol names its operations this way). A read never makes
# the emulator save; background work that changes state (training, query and job runs) says so
# itself through EmulatorApp.state_changed().
_READS = ("Get", "List", "Describe", "Head", "Search", "Lookup")


def attach(app: EmulatorApp, state_file: Path | None) -> Persistence:
    """The app's persistence, with the saved state (if any) restored into the app."""
    persistence = Persistence(
        state_file,
        snapshot=lambda: snapshot(app),
        restore=lambda doc: restore(app, doc),
        reset=app.reset_live,
        versions=versions(),
    )
    persistence.restore()
    if persistence.report["started"] == "restored":
        persistence.report["counts"] = counts(app)
    return persistence


def changes_state(request: AwsRequest) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return request.path.startswith("/_aws/execute-api/")  # a GET route runs a function
    return not (request.operation or "").startswith(_READS)


def versions() -> dict[str, str]:
    """A saved state is used only by the same code that wrote it."""
    import sys

    import moto

    from .persistence import FORMAT

    return {
        "format": str(FORMAT),
        "moto": moto.__version__,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def snapshot(app: EmulatorApp) -> dict[str, Any]:
    parts: list[tuple[str, Callable[[], Any]]] = [("moto", moto_snapshot.snapshot)]
    parts += [(p.name, p.snapshot) for p in app.providers]
    out: dict[str, Any] = {}
    for name, take in parts:
        try:
            out[name] = take()
        except Exception as exc:
            exc.add_note(f"(while taking the state of {name})")
            raise
    return {"moto": out.pop("moto"), "providers": out}


def restore(app: EmulatorApp, doc: dict[str, Any]) -> None:
    moto_snapshot.restore(doc["moto"])
    saved = doc["providers"]
    for provider in app.providers:
        if saved.get(provider.name) is not None:
            provider.restore(saved[provider.name])


def counts(app: EmulatorApp) -> dict[str, int]:
    out = moto_snapshot.counts()
    for provider in app.providers:
        for key, value in provider.counts().items():
            if value:
                out[key] = out.get(key, 0) + value
    return out
