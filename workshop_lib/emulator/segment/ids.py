"""Ids the way Segment shapes them: 10-character source ids, 32-character write keys, and
`api-` message ids for messages sent without one.

Source ids and write keys derive from the source's name, so a re-created `website-prod` gets
the same key (notebook outputs stay stable) and matches the committed sample data's folders.
"""

from __future__ import annotations

import hashlib
import secrets
import string

ALPHABET = string.digits + string.ascii_letters


def stable_token(text: str, length: int) -> str:
    """`length` base-62 characters derived from `text` (sha256)."""
    value = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 62)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def source_id(name: str) -> str:
    return stable_token(f"source-id:{name}", 10)


def write_key(name: str) -> str:
    return stable_token(f"write-key:{name}", 32)


def random_token(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def api_message_id() -> str:
    """What Segment's HTTP API gives a message that came without a messageId."""
    return "api-" + random_token(32)
