"""Segment's S3 destination layout: `segment-logs/<source-id>/<received-day-ms>/<file>.gz`.

The received day is 00:00 UTC of the day Segment received the message, in epoch milliseconds.
Each file is gzipped NDJSON, one processed message per line, in the order received. Writing is
byte-for-byte deterministic (gzip without a timestamp or file name, JSON with sorted keys), so a
regenerated sample equals the committed one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

LOGS_FOLDER = "segment-logs"


def received_day_ms(received: datetime) -> int:
    """Epoch milliseconds of 00:00 UTC of the receiving day (the folder name)."""
    day = received.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(day.timestamp()) * 1000


def object_key(source_id: str, received: datetime, filename: str) -> str:
    return f"{LOGS_FOLDER}/{source_id}/{received_day_ms(received)}/{filename}"


def ndjson(messages: Iterable[dict]) -> bytes:
    """NDJSON lines with sorted keys and no spaces."""
    text = "".join(json.dumps(m, sort_keys=True, separators=(",", ":")) + "\n" for m in messages)
    return text.encode("utf-8")


def write_logs(rows: Iterable[tuple[str, datetime, dict]], out: Path) -> list[Path]:
    """Write (source_id, receivedAt, message) rows as one file per source and received day."""
    groups: dict[tuple[str, int], list[tuple[datetime, dict]]] = defaultdict(list)
    for source_id, received, message in rows:
        groups[(source_id, received_day_ms(received))].append((received, message))
    written = []
    for (source_id, day_ms), items in sorted(groups.items()):
        items.sort(key=lambda item: (item[0], item[1]["messageId"]))
        data = ndjson(m for _, m in items)
        name = f"{day_ms}-{hashlib.sha256(data).hexdigest()[:12]}.gz"
        path = out / LOGS_FOLDER / source_id / str(day_ms) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        written.append(path)
    return written


def read_logs(root: Path) -> list[dict]:
    """Every message under `root/segment-logs/`, in file order (for tests and analyses)."""
    messages = []
    for path in sorted((root / LOGS_FOLDER).rglob("*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            messages.extend(json.loads(line) for line in handle if line.strip())
    return messages
