"""Helpers for the Segment + Amazon Personalize workshop notebooks.

The notebooks start with ``ws = workshop_lib.connect(target=...)``; everything else is plain
boto3 / awswrangler, on AWS or on the local emulator.
"""

from .connection import Workshop, connect
from .settings import WorkshopConfigError

__all__ = ["Workshop", "WorkshopConfigError", "connect"]
__version__ = "0.1.0"
