"""The `aws` marker keeps real-account tests out of offline runs."""

import os

import pytest


@pytest.mark.aws
def test_aws_marked_tests_run_only_with_a_real_account():
    assert os.environ.get("WORKSHOP_TEST_AWS") == "1"


def test_offline_runs_see_no_machine_aws_settings():
    if os.environ.get("WORKSHOP_TEST_AWS") == "1":
        pytest.skip("real-account run")
    assert "AWS_PROFILE" not in os.environ and "AWS_ACCESS_KEY_ID" not in os.environ
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
