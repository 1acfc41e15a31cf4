"""data/sample/README.md states what exercise 1's Glue job makes of the sample: the numbers
there are those the job's own rule gives on data/sample (run offline here) and those notebook 01's
golden output shows (the sample plus the live events the notebook sends). A regenerated sample or
a changed rule that leaves the README behind fails here."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

from workshop_lib.jobs import segment_to_interactions as job
from workshop_lib.paths import NOTEBOOKS_DIR, SAMPLE_DATA_DIR

README = SAMPLE_DATA_DIR / "README.md"
NOTEBOOK_01 = NOTEBOOKS_DIR / "01_segment_s3_athena_glue.ipynb"
WROTE = re.compile(r"wrote (\d+) interactions of (\d+) users and (\d+) items to s3://")


def _readme() -> str:
    """The README with every run of whitespace made one space (numbers wrap across lines)."""
    return " ".join(README.read_text().split())


def _sample_interactions() -> tuple[list[tuple[str, str, str, int]], Counter]:
    stats: Counter = Counter()
    lines = (
        line
        for path in sorted((SAMPLE_DATA_DIR / "segment-logs").rglob("*.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    )
    return job.interactions(job.parse(lines, stats), stats), stats


def _golden_wrote_line() -> tuple[int, int, int]:
    """(interactions, users, items) of the job's last log line in notebook 01's stored output."""
    found = []
    for cell in json.loads(NOTEBOOK_01.read_text())["cells"]:
        for output in cell.get("outputs", []):
            found += WROTE.findall("".join(output.get("text", "")))
    assert len(found) == 1, f"expected one 'wrote ... interactions' line, found {found}"
    interactions, users, items = (int(n) for n in found[0])
    return interactions, users, items


def test_the_readme_states_what_the_job_makes_of_the_sample():
    rows, stats = _sample_interactions()
    users = len({user for user, *_ in rows})
    text = _readme()
    assert f"keeps {len(rows):,} interactions of {users:,} users from these files" in text, (
        f"data/sample/README.md should say {len(rows):,} interactions of {users:,} users"
    )
    assert f"| events (lines) | {stats['lines']:,} |" in text


def test_the_readme_states_what_notebook_01_writes():
    interactions, users, items = _golden_wrote_line()
    assert f"writes {interactions:,} interactions of {users:,} users" in _readme(), (
        f"data/sample/README.md should say notebook 01 writes {interactions:,} interactions "
        f"of {users:,} users (its golden output)"
    )
    assert items == 250  # every product of the catalogue has interactions


def test_notebook_01_adds_its_live_events_to_the_sample():
    """The two numbers differ only by the live events: the golden run saw the sample plus them."""
    rows, _ = _sample_interactions()
    interactions, users, _ = _golden_wrote_line()
    sample_users = {user for user, *_ in rows}
    assert 0 < interactions - len(rows) <= 303  # notebook 01 sends 303 messages by default
    assert users >= len(sample_users)
