"""The committed sample data: Segment's S3 layout and fields, identity, Personalize fitness."""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from workshop_lib.datagen import INTERACTION_EVENT_TYPES, ITEMS_CSV_NAME, PRESETS, generate
from workshop_lib.datagen.quality import holdout_comparison, interactions, personalize_minimums
from workshop_lib.datagen.s3_layout import read_logs
from workshop_lib.datagen.sources import SOURCES
from workshop_lib.paths import SAMPLE_DATA_DIR

KEY = re.compile(r"^segment-logs/([A-Za-z0-9]{10})/(\d{13})/[\w.-]+\.gz$")
SEGMENT_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def files():
    return sorted(SAMPLE_DATA_DIR.glob("segment-logs/**/*.gz"))


@pytest.fixture(scope="module")
def messages():
    return read_logs(SAMPLE_DATA_DIR)


@pytest.fixture(scope="module")
def rows(messages):
    return interactions(messages)


def test_sample_has_the_promised_size(files, messages):
    total = sum(f.stat().st_size for f in files) + (SAMPLE_DATA_DIR / ITEMS_CSV_NAME).stat().st_size
    assert len(messages) >= 50_000
    assert len({m["userId"] for m in messages if "userId" in m}) >= 1_500
    assert (
        len({m["properties"]["sku"] for m in messages if "sku" in m.get("properties", {})}) >= 200
    )
    assert total <= 8 * 1024 * 1024


def test_files_follow_segments_key_layout(files):
    ids = {s.source_id for s in SOURCES}
    seen = set()
    for path in files:
        key = path.relative_to(SAMPLE_DATA_DIR).as_posix()
        match = KEY.match(key)
        assert match, key
        source_id, day_ms = match.group(1), int(match.group(2))
        assert source_id in ids
        assert day_ms % 86_400_000 == 0  # 00:00 UTC in epoch milliseconds
        seen.add(source_id)
        with gzip.open(path, "rt") as handle:
            lines = handle.read().splitlines()
        received = [parse(__import__("json").loads(line)["receivedAt"]) for line in lines]
        day = datetime.fromtimestamp(day_ms / 1000, UTC)
        assert all(day <= r < day + timedelta(days=1) for r in received), key
        assert received == sorted(received)
    assert seen == ids


def test_every_line_carries_the_fields_segment_adds(messages):
    by_id = {s.source_id: s for s in SOURCES}
    for m in messages:
        source = by_id[m["projectId"]]
        assert m["writeKey"] == source.write_key
        assert m["channel"] == source.channel and m["version"] == 2
        assert m["context"]["library"]["name"] == source.library
        assert m["integrations"] == {}
        assert m["type"] in {"track", "page", "screen", "identify"}
        assert "userId" in m or "anonymousId" in m
        assert None not in m.values()
        assert SEGMENT_TS.match(m["receivedAt"]) and SEGMENT_TS.match(m["timestamp"])
        # Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp)
        skew = parse(m["sentAt"]) - parse(m["originalTimestamp"])
        expected = parse(m["receivedAt"]) - skew
        assert abs(parse(m["timestamp"]) - expected) <= timedelta(milliseconds=1)
    assert len({m["messageId"] for m in messages}) == len(messages)
    web = next(m for m in messages if m["channel"] == "client")
    assert web["messageId"].startswith("ajs-next-") and "page" in web["context"]
    mobile = next(m for m in messages if m["channel"] == "mobile")
    assert {"app", "device", "os"} <= set(mobile["context"])


def test_device_clock_skew_is_corrected(messages):
    skewed = [
        m for m in messages
        if abs(parse(m["originalTimestamp"]) - parse(m["timestamp"])) > timedelta(minutes=1)
    ]  # fmt: skip
    assert skewed, "some devices have wrong clocks, as in real data"


def test_anonymous_browsing_is_later_tied_to_a_user(messages):
    by_anon = defaultdict(list)
    for m in messages:
        if "anonymousId" in m:
            by_anon[m["anonymousId"]].append(m)
    tied = 0
    for events in by_anon.values():
        events.sort(key=lambda m: m["timestamp"])
        if "userId" in events[0]:
            continue
        identify = next((m for m in events if m["type"] == "identify"), None)
        if identify is None:
            continue
        assert identify["traits"]["email"].endswith((".com", ".org", ".net"))
        after = [m for m in events if m["timestamp"] > identify["timestamp"]]
        assert all(m.get("userId") == identify["userId"] for m in after)
        tied += 1
    assert tied >= 300
    signups = Counter(m["event"] for m in messages if m.get("event", "").startswith("Signed"))
    assert signups["Signed Up"] >= 300 and signups["Signed In"] >= 300


def test_funnel_drops_off(messages):
    events = Counter(m.get("event") for m in messages)
    assert events["Product Viewed"] > 3 * events["Product Added"]
    assert events["Product Added"] > events["Order Completed"] > 0
    sources = Counter(m["projectId"] for m in messages)
    assert len(sources) == 4 and min(sources.values()) > 1000
    assert events["Email Opened"] > events["Email Link Clicked"] > 0


def test_weekday_and_hour_patterns(messages):
    sessions = [parse(m["timestamp"]) for m in messages if m.get("name") == "Home"]
    days = {t.date() for t in sessions}
    per_day = {
        weekday: sum(t.weekday() == weekday for t in sessions)
        / sum(d.weekday() == weekday for d in days)
        for weekday in range(7)
    }
    assert per_day[5] > 1.2 * per_day[0]  # Saturdays are busier than Mondays
    by_hour = Counter(t.hour for t in sessions)
    assert by_hour[20] > 3 * by_hour[3]


def test_shoes_then_socks(rows):
    orders = [r for r in rows if r.event_type == "Order Completed"]
    category = {row["ITEM_ID"]: row["CATEGORY_L1"] for row in _catalogue()}
    followed = Counter()
    for r in orders:
        later = {
            category[o.item_id]
            for o in orders
            if o.user_id == r.user_id
            and 0 <= o.timestamp - r.timestamp <= 10 * 86400
            and o.item_id != r.item_id
        }
        followed[category[r.item_id], "socks" in later] += 1
    after_shoes = followed["footwear", True] / (
        followed["footwear", True] + followed["footwear", False]
    )
    after_tops = followed["tops", True] / (followed["tops", True] + followed["tops", False])
    assert after_shoes > 2 * after_tops


def _catalogue() -> list[dict]:
    with (SAMPLE_DATA_DIR / ITEMS_CSV_NAME).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_catalogue_csv_is_a_personalize_items_file(messages):
    text = (SAMPLE_DATA_DIR / ITEMS_CSV_NAME).read_text()
    assert text.splitlines()[0] == (
        "ITEM_ID,NAME,CATEGORY_L1,CATEGORY_L2,BRAND,PRICE_TIER,PRICE,CREATION_TIMESTAMP"
    )
    assert '"' not in text
    items = _catalogue()
    assert len(items) == PRESETS["default"].products == len({i["ITEM_ID"] for i in items})
    assert all(1e9 < int(i["CREATION_TIMESTAMP"]) < 2e9 and float(i["PRICE"]) > 0 for i in items)
    skus = {m["properties"]["sku"] for m in messages if "sku" in m.get("properties", {})}
    assert skus <= {i["ITEM_ID"] for i in items}


def test_exercise1_filter_meets_personalize_minimums(rows):
    assert {r.event_type for r in rows} == set(INTERACTION_EVENT_TYPES)
    stats = personalize_minimums(rows)
    assert stats["meets_minimums"]
    assert stats["interactions"] >= 20_000 and stats["users_with_2_or_more"] >= 1000


def test_cooccurrence_beats_most_popular_on_a_time_holdout(rows):
    result = holdout_comparison(rows, k=10)
    print(result)
    assert result["test_users"] >= 300
    assert result["cooccurrence"] >= 1.5 * result["most_popular"]


def test_regenerating_the_sample_gives_identical_content(tmp_path, files):
    summary = generate(tmp_path, "default")
    mine = sorted(tmp_path.glob("segment-logs/**/*.gz"))
    assert [p.relative_to(tmp_path) for p in mine] == [
        p.relative_to(SAMPLE_DATA_DIR) for p in files
    ]
    for new, old in zip(mine, files, strict=True):
        assert gzip.decompress(new.read_bytes()) == gzip.decompress(old.read_bytes()), new
    assert (tmp_path / ITEMS_CSV_NAME).read_bytes() == (
        SAMPLE_DATA_DIR / ITEMS_CSV_NAME
    ).read_bytes()
    assert summary.events >= 50_000
