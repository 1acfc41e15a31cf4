"""Events streamed to a dataset group since start: the real-time part of user histories.

Every accepted put_events event gets a sequence number; a trained version remembers the number
it had seen at its data snapshot, so a campaign adds to each user's training history exactly the
events that came later (no double counting, no retraining).
"""

from __future__ import annotations

import threading
from collections import defaultdict


class LiveEvents:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sequence = 0
        self.by_user: dict[str, list[tuple[int, str, str]]] = defaultdict(list)

    def add(self, user: str, item: str, event_type: str) -> None:
        with self.lock:
            self.sequence += 1
            self.by_user[user].append((self.sequence, item, event_type))

    def since(self, user: str, sequence: int) -> list[tuple[str, str]]:
        """(item, event type) of `user` after `sequence`, oldest first."""
        with self.lock:
            events = self.by_user.get(user, [])
            return [(item, kind) for seq, item, kind in events if seq > sequence]
