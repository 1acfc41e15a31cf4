"""Fixtures of the Segment tests (a pytest plugin: `pytest_plugins = ["segment_fixtures"]`)."""

from __future__ import annotations

import pytest
from segment_helpers import unique

from workshop_lib.segment import SegmentWorkspace


@pytest.fixture
def ws(aws_env, monkeypatch) -> SegmentWorkspace:
    monkeypatch.setenv("WORKSHOP_TARGET", "local")
    return SegmentWorkspace()


@pytest.fixture
def source(ws) -> dict:
    return ws.create_source(unique("src"))


@pytest.fixture
def write_key(source) -> str:
    return source["writeKeys"][0]
