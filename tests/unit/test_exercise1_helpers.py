"""Exercise 1's helpers that need no emulator."""

from __future__ import annotations

import pytest

from workshop_lib import athena, exercise1
from workshop_lib.datagen import INTERACTION_EVENT_TYPES


def test_live_events_are_the_same_for_the_same_seed():
    first, again = exercise1._live_events(50, seed=7), exercise1._live_events(50, seed=7)
    assert first == again
    assert first != exercise1._live_events(50, seed=8)
    assert len({e["message_id"] for e in first}) == 50  # unique, so Segment keeps them all
    assert {e["event"] for e in first} <= set(INTERACTION_EVENT_TYPES)
    assert all(e["properties"]["sku"] for e in first)


def test_sql_files_fill_their_placeholders():
    statement = athena.sql("segment_logs_table", database="shop_db", bucket="my-bucket")
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS shop_db.segment_logs" in statement
    assert "LOCATION 's3://my-bucket/segment-logs/'" in statement
    for name in (
        "events_by_type",
        "product_interactions",
        "daily_active_users",
        "top_products",
        "funnel",
        "sample_rows",
        "interactions_count",
    ):
        assert "{" not in athena.sql(name, database="shop_db")


def test_database_names_suit_glue():
    assert athena.database_name("segment-personalize") == "segment_personalize"


def test_a_missing_sql_file_is_a_clear_error():
    with pytest.raises(FileNotFoundError):
        athena.sql("no_such_query", database="d")
