"""The emulator's own settings: port, account, where its files live.

The emulator imports nothing from the client side (settings.py, paths.py, connection.py); the
client reads these names from here. WORKSHOP_STATE_DIR moves the state folder, so tests never
touch a learner's running emulator or saved state.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the kit's checkout (the emulator's cwd)
DEFAULT_PORT = 4599
LOCAL_ACCOUNT_ID = "123456789012"  # the account moto answers for

ENV_PORT = "WORKSHOP_EMULATOR_PORT"
ENV_STATE_DIR = "WORKSHOP_STATE_DIR"
ENV_EPHEMERAL = "WORKSHOP_EMULATOR_EPHEMERAL"


class WorkshopConfigError(RuntimeError):
    """A setting is missing or wrong; the message says what to set and where."""


def state_dir() -> Path:
    """Folder for local run state (emulator pid, log and saved state files); git ignores it."""
    path = Path(os.environ.get(ENV_STATE_DIR) or PACKAGE_ROOT / ".workshop")
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_port(port: int | str | None) -> int:
    raw = port if port not in (None, "") else os.environ.get(ENV_PORT) or DEFAULT_PORT
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise WorkshopConfigError(
            f"The emulator port must be a number, got {raw!r} (set --port or ${ENV_PORT})."
        ) from None
    if not 0 <= value <= 65535:
        raise WorkshopConfigError(f"The emulator port must be 0-65535, got {value}.")
    return value


def ephemeral_from_env() -> bool:
    """True when $WORKSHOP_EMULATOR_EPHEMERAL asks for an emulator that saves nothing."""
    return os.environ.get(ENV_EPHEMERAL, "").strip().lower() in ("1", "true", "yes")
