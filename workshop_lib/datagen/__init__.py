"""Realistic, deterministic clickstream data for the workshop (Segment S3-destination logs).

    from workshop_lib.datagen import generate
    summary = generate(out="data/sample", preset="default")

or `python -m workshop_lib.datagen --preset default --out data/sample`. The same seed and sizes
always give the same files, byte for byte.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .catalogue import build_catalogue, write_items_csv
from .messages import to_message
from .people import build_people
from .s3_layout import LOGS_FOLDER, write_logs
from .sessions import simulate

ITEMS_CSV_NAME = "products.csv"
# exercise 1's filter keeps these events when they have a userId and a properties.sku
INTERACTION_EVENT_TYPES = ("Product Clicked", "Product Viewed", "Product Added", "Order Completed")


@dataclass(frozen=True)
class Preset:
    users: int  # registered users (with a userId); 20 % more anonymous visitors come on top
    days: int
    products: int
    seed: int = 42
    start: str = "2026-09-01"  # fixed, so output never depends on today's date


PRESETS: dict[str, Preset] = {
    "tiny": Preset(users=120, days=21, products=60),
    "default": Preset(users=1500, days=60, products=250),
    "large": Preset(users=10000, days=90, products=600),
}


@dataclass(frozen=True)
class Summary:
    """What `generate` wrote."""

    out: str
    events: int
    users: int
    products: int
    files: int
    bytes: int
    items_csv: str

    def as_dict(self) -> dict:
        return asdict(self)


def generate(
    out: str | Path,
    preset: str = "default",
    users: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    products: int | None = None,
) -> Summary:
    """Write the catalogue CSV and the Segment logs for a preset (arguments override it).

    `out/segment-logs/` is replaced, so a smaller run leaves no stale files behind.
    """
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    base = PRESETS[preset]
    users = base.users if users is None else users
    days = base.days if days is None else days
    seed = base.seed if seed is None else seed
    products_count = base.products if products is None else products
    if users < 1 or days < 1 or products_count < 10:
        raise ValueError("Need at least 1 user, 1 day and 10 products.")
    start = datetime.fromisoformat(base.start).replace(tzinfo=UTC)
    out = Path(out)
    # independent streams, so changing e.g. the id format does not reshuffle behaviour
    catalogue = build_catalogue(random.Random(f"{seed}:catalogue"), products_count, start, days)
    people = build_people(random.Random(f"{seed}:people"), users, catalogue, start, days)
    actions = simulate(random.Random(f"{seed}:sessions"), people, catalogue, start, days)
    delivery = random.Random(f"{seed}:delivery")
    rows = []
    for action in actions:
        source, received, message = to_message(delivery, action)
        rows.append((source.source_id, received, message))
    shutil.rmtree(out / LOGS_FOLDER, ignore_errors=True)
    files = write_logs(rows, out)
    items_csv = out / ITEMS_CSV_NAME
    write_items_csv(catalogue, items_csv)
    user_ids = {m["userId"] for _, _, m in rows if "userId" in m}
    return Summary(
        out=str(out),
        events=len(rows),
        users=len(user_ids),
        products=len(catalogue),
        files=len(files),
        bytes=sum(f.stat().st_size for f in files) + items_csv.stat().st_size,
        items_csv=str(items_csv),
    )
