"""The rows of a dataset: bulk imports plus the records put one by one (events, users, items).

Bulk rows live in a pandas frame replaced by FULL imports and extended by INCREMENTAL ones;
individually put records are kept apart (a FULL import does not remove them, as on AWS).
Interactions keep every event (identical events are stored once); Users and Items keep the last
record per ID.
"""

from __future__ import annotations

import threading
from typing import Any

from .schemas import Schema


class DatasetData:
    def __init__(self, dataset_type: str, schema: Schema) -> None:
        self.dataset_type = dataset_type
        self.schema = schema
        self.lock = threading.Lock()
        self.bulk = None  # pandas.DataFrame | None
        self.puts: list[dict[str, Any]] = []  # interactions: events in arrival order
        self.records: dict[str, dict[str, Any]] = {}  # users/items: last record per ID
        self._event_keys: set[tuple] = set()
        self._event_ids: set[str] = set()
        self.session_users: dict[str, str] = {}  # anonymous sessionId -> the userId it became
        self.version = 0

    @property
    def id_column(self) -> str:
        return "ITEM_ID" if self.dataset_type == "ITEMS" else "USER_ID"

    def replace_bulk(self, frame, incremental: bool) -> None:
        import pandas as pd

        with self.lock:
            if incremental and self.bulk is not None:
                frame = pd.concat([self.bulk, frame], ignore_index=True)
                if self.dataset_type != "INTERACTIONS":
                    frame = frame.drop_duplicates(self.id_column, keep="last")
            self.bulk = frame.reset_index(drop=True)
            self.version += 1

    def add_event(self, row: dict[str, Any], event_id: str | None = None) -> bool:
        """Append an event; False when an identical one, or one with its eventId, is stored."""
        key = tuple(sorted((k, str(v)) for k, v in row.items()))
        with self.lock:
            if key in self._event_keys or (event_id is not None and event_id in self._event_ids):
                return False
            self._event_keys.add(key)
            if event_id is not None:
                self._event_ids.add(event_id)
            self.puts.append(row)
            self.version += 1
            return True

    def put_record(self, record_id: str, row: dict[str, Any]) -> None:
        with self.lock:
            self.records[record_id] = row
            self.version += 1

    def frame(self):
        """All rows as one frame with the schema's columns (bulk first, then puts)."""
        import pandas as pd

        with self.lock:
            parts = [] if self.bulk is None else [self.bulk]
            extra = (
                self.puts if self.dataset_type == "INTERACTIONS" else list(self.records.values())
            )
            if extra:
                put = pd.DataFrame(extra)
                if self.session_users:  # anonymous histories join their user at training
                    put["USER_ID"] = put["USER_ID"].map(lambda u: self.session_users.get(u, u))
                parts.append(put)
        columns = self.schema.names
        if not parts:
            return pd.DataFrame({c: [] for c in columns})
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        frame = frame.reindex(columns=columns)
        if self.dataset_type != "INTERACTIONS":
            frame = frame.drop_duplicates(self.id_column, keep="last").reset_index(drop=True)
        return frame

    def count(self) -> int:
        with self.lock:
            bulk = 0 if self.bulk is None else len(self.bulk)
            return bulk + len(self.puts) + len(self.records)
