"""The real-AWS run (tests/aws) spends money, so it may start only when asked to
(WORKSHOP_TEST_AWS=1) and able to (credentials and a region); every other case is a skip that
says why. Its name prefix must be valid for the kit and never repeat.

Each gating case runs pytest on that module in a subprocess, as the root conftest reads
WORKSHOP_TEST_AWS once at import; the three run at the same time to stay fast. Their
environment holds no real AWS setting and points any AWS call at a closed local port, so even
a broken gate could not reach an account.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.aws.real_account import unique_prefix
from workshop_lib.settings import bucket_name, resolve_prefix

REPO = Path(__file__).resolve().parents[2]
AWS_MODULE = "tests/aws/test_notebooks_on_aws.py"
# the stack template's AllowedPattern for Prefix (setup/workshop-stack.yaml)
STACK_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$")


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKSHOP_"))}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # the discard port: nothing answers
    )
    env.update(settings)
    return env


CASES = {
    "not asked": ({}, "needs a real AWS account: set WORKSHOP_TEST_AWS=1"),
    "no credentials": (
        {"WORKSHOP_TEST_AWS": "1", "AWS_REGION": "us-east-1"},
        "no AWS credentials found",
    ),
    "no region": (
        {
            "WORKSHOP_TEST_AWS": "1",
            "AWS_ACCESS_KEY_ID": "placeholder",
            "AWS_SECRET_ACCESS_KEY": "placeholder",
        },
        "no AWS region set: export AWS_REGION",
    ),
}


@pytest.fixture(scope="module")
def gated_runs(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """Each case's exit code and output of `pytest <the aws module> -rs`."""
    started = {}
    for case, (settings, _) in CASES.items():
        tmp = tmp_path_factory.mktemp("gate")
        started[case] = subprocess.Popen(
            [sys.executable, "-m", "pytest", AWS_MODULE, "-p", "no:cacheprovider", "-q", "-rs"],
            cwd=REPO,
            env=_environment(tmp, **settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    runs = {}
    for case, process in started.items():
        out, _ = process.communicate(timeout=120)  # a hang guard, far above the ~3 s it takes
        runs[case] = (process.returncode, out)
    return runs


@pytest.mark.parametrize("case", list(CASES))
def test_the_aws_run_is_skipped_with_its_reason(gated_runs, case):
    code, out = gated_runs[case]
    reason = CASES[case][1]
    assert code == 0, out
    # "N skipped in" opens the summary line only when nothing passed, failed or erred
    assert re.search(r"^\d+ skipped in ", out, re.MULTILINE), out
    skips = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert skips and all(reason in line for line in skips), out


def test_the_prefix_is_valid_for_the_kit_and_the_stack():
    prefix = unique_prefix(datetime(2026, 11, 28, 17, 5, 59, tzinfo=UTC))
    assert re.fullmatch(r"ws-ci-202611281705-[0-9a-f]{4}", prefix)
    assert resolve_prefix(prefix) == prefix  # unchanged: valid, lower case, <= 30 characters
    assert STACK_PREFIX.match(prefix)
    # the kit's bucket name stays whole (<= 63) in the regions with the longest names
    assert bucket_name(prefix, "123456789012", "ap-southeast-2").endswith("-ap-southeast-2")


def test_the_prefix_never_repeats():
    """Same minute, many calls: the random part is drawn again on a repeat."""
    now = datetime(2026, 11, 28, 17, 5, tzinfo=UTC)
    prefixes = [unique_prefix(now) for _ in range(500)]
    assert len(set(prefixes)) == 500
    assert unique_prefix() != unique_prefix()
