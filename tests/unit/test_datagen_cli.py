"""The generator's CLI, presets and seeds."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workshop_lib.datagen import generate
from workshop_lib.datagen.s3_layout import read_logs


def test_cli_writes_a_small_dataset(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "workshop_lib.datagen", "--preset", "tiny", "--users", "40",
         "--days", "10", "--seed", "3", "--out", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "events from 40 users" in result.stdout
    messages = read_logs(tmp_path)
    assert len({m["userId"] for m in messages if "userId" in m}) == 40
    assert (tmp_path / "products.csv").exists()


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    generate(tmp_path / "a", "tiny", seed=1)
    generate(tmp_path / "b", "tiny", seed=1)
    generate(tmp_path / "c", "tiny", seed=2)
    a, b, c = (read_logs(tmp_path / x) for x in "abc")
    assert a == b
    assert a != c and len(a) > 1000


def test_regenerating_replaces_old_files(tmp_path):
    generate(tmp_path, "tiny", days=14)
    generate(tmp_path, "tiny", days=3)
    days = {p.parent.name for p in tmp_path.glob("segment-logs/*/*/*.gz")}
    assert len(days) <= 4  # 3 days, plus late mobile uploads received the next day


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown preset"):
        generate(tmp_path, "huge")
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, "tiny", users=0)
