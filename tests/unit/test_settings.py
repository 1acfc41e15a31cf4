from __future__ import annotations

import pytest

from workshop_lib.settings import (
    WorkshopConfigError,
    bucket_name,
    resolve_bucket,
    resolve_port,
    resolve_prefix,
    resolve_target,
)


def test_target_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    assert resolve_target("local") == "local"
    assert resolve_target(None) == "aws"
    monkeypatch.delenv("WORKSHOP_TARGET")
    assert resolve_target(None) == "local"


def test_unknown_target_names_the_choices():
    with pytest.raises(WorkshopConfigError, match=r"target='local'.*target='aws'"):
        resolve_target("gcp")


def test_port_from_argument_environment_or_default(monkeypatch):
    monkeypatch.setenv("WORKSHOP_EMULATOR_PORT", "5001")
    assert resolve_port(None) == 5001
    assert resolve_port("5002") == 5002
    monkeypatch.delenv("WORKSHOP_EMULATOR_PORT")
    assert resolve_port(None) == 4599
    with pytest.raises(WorkshopConfigError, match="0-65535"):
        resolve_port(70000)


@pytest.mark.parametrize("bad", ["UPPER_case", "-lead", "trail-", "x" * 31, "sp ace"])
def test_prefix_must_suit_bucket_and_resource_names(bad):
    with pytest.raises(WorkshopConfigError):
        resolve_prefix(bad)


def test_bucket_name_is_valid_and_keeps_personalize():
    assert bucket_name("segment-personalize", "123456789012", "us-east-1") == (
        "segment-personalize-123456789012-us-east-1"
    )
    name = bucket_name("class-" + "x" * 24, "123456789012", "ap-southeast-2")
    assert "personalize" in name and len(name) <= 63


def test_a_given_bucket_is_used_and_checked():
    assert resolve_bucket("class-bucket.2026", "p", "123456789012", "us-east-1") == (
        "class-bucket.2026"
    )
    assert resolve_bucket(None, "p", "123456789012", "us-east-1") == (
        "p-personalize-123456789012-us-east-1"
    )
    with pytest.raises(WorkshopConfigError, match="not a valid S3 bucket name"):
        resolve_bucket("Bad_Bucket", "p", "123456789012", "us-east-1")
