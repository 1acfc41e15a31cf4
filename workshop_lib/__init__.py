"""Helpers for the Segment + Amazon Personalize workshop notebooks.

The notebooks start with ``ws = workshop_lib.connect(target=...)``; everything else is plain
boto3 / awswrangler, on AWS or on the local emulator.

``connect`` and ``Workshop`` are imported on first use (PEP 562): importing the package then
needs only the standard library, so ``python -m workshop_lib setup`` runs on a bare
Python before boto3 and the rest are installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import WorkshopConfigError

if TYPE_CHECKING:
    from .connection import Workshop, connect

__all__ = ["Workshop", "WorkshopConfigError", "connect"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``workshop_lib.connect`` and ``workshop_lib.Workshop``, imported when first asked for."""
    if name in ("Workshop", "connect"):
        from . import connection

        return getattr(connection, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
