"""Segment's source debugger: the most recent events of each source, accepted or dropped.

Dropped events carry the reason Segment's Delivery Overview would show ("project_not_found"
for an unknown write key, "no_user_anon_id", "duplicate_message_id", ...). Events sent with an
unknown write key are kept under that key, since they belong to no source.
"""

from __future__ import annotations

import threading
from collections import deque

RECENT = 500  # per source, like the debugger's short live window


class Debugger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_source: dict[str, deque] = {}
        self._by_unknown_key: dict[str, deque] = {}

    def record(
        self,
        message: dict,
        received_at: str,
        *,
        source_id: str | None,
        write_key: str | None,
        reason: str | None = None,
    ) -> None:
        entry = {
            "receivedAt": received_at,
            "status": "dropped" if reason else "accepted",
            "reason": reason,
            "type": message.get("type"),
            "event": message.get("event"),
            "messageId": message.get("messageId"),
            "userId": message.get("userId"),
            "anonymousId": message.get("anonymousId"),
            "message": message,
        }
        with self._lock:
            if source_id is not None:
                bucket = self._by_source.setdefault(source_id, deque(maxlen=RECENT))
            else:
                bucket = self._by_unknown_key.setdefault(write_key or "", deque(maxlen=RECENT))
            bucket.append(entry)

    def recent(self, source_id: str, limit: int = 100) -> list[dict]:
        """Newest first."""
        with self._lock:
            entries = list(self._by_source.get(source_id, ()))
        return entries[::-1][:limit]

    def unknown_keys(self, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = [
                {**entry, "writeKey": key}
                for key, entries in self._by_unknown_key.items()
                for entry in entries
            ]
        rows.sort(key=lambda e: e["receivedAt"], reverse=True)
        return rows[:limit]

    def forget_source(self, source_id: str) -> None:
        with self._lock:
            self._by_source.pop(source_id, None)

    def reset(self) -> None:
        with self._lock:
            self._by_source.clear()
            self._by_unknown_key.clear()
