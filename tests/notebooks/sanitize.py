"""The masks of tests/nbval_sanitize.cfg, read exactly as nbval reads them, for notebook tests
that compare two runs' outputs the way nbval compares stored and fresh ones."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from nbval.plugin import get_sanitize_patterns

SANITIZE_FILE = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


@cache
def _patterns() -> list[tuple[str, str]]:
    return get_sanitize_patterns(SANITIZE_FILE.read_text())


def sanitize(text: str) -> str:
    for pattern, replacement in _patterns():
        text = re.sub(pattern, replacement, text)
    return text
