"""The committed notebooks' outputs show the emulator on its default port only.

tests/nbval_sanitize.cfg masks the port (a developer's run on another port still passes nbval),
so nbval cannot see a golden output made on another port: this test does. A learner reading the
reference notebooks then meets the one URL the README gives, http://127.0.0.1:4599.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from workshop_lib.paths import NOTEBOOKS_DIR
from workshop_lib.settings import DEFAULT_PORT

PORT = re.compile(r"(?:127\.0\.0\.1|localhost):(\d+)")


def _ports_in_outputs() -> dict[str, Counter]:
    """Per notebook, how often each port appears in its stored outputs (text, HTML, JSON)."""
    found = {}
    for notebook in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        outputs = json.dumps([cell.get("outputs", []) for cell in cells])
        found[notebook.name] = Counter(int(port) for port in PORT.findall(outputs))
    return found


def test_every_port_in_the_outputs_is_the_default_one():
    other = {
        name: {port: n for port, n in ports.items() if port != DEFAULT_PORT}
        for name, ports in _ports_in_outputs().items()
    }
    other = {name: ports for name, ports in other.items() if ports}
    assert not other, (
        f"stored outputs show ports other than {DEFAULT_PORT}: {other}; refresh the golden "
        "outputs on the default port (make golden)"
    )


def test_the_outputs_do_show_the_emulator_url():
    """Each exercise notebook prints where it connected: the check above has something to see."""
    found = _ports_in_outputs()
    assert DEFAULT_PORT == 4599
    for name in ["01_segment_s3_athena_glue.ipynb", "05_cleanup.ipynb"]:
        assert found[name][DEFAULT_PORT] >= 2, name
