"""show.source: the named definitions of a deployed file, as the learner sees them."""

from __future__ import annotations

import pytest

from workshop_lib import show


def test_shows_the_named_function_with_its_file(tmp_path):
    path = tmp_path / "f.py"
    path.write_text(
        "import os\n\n\ndef a():\n    return 1\n\n\n@staticmethod\ndef b():\n    return 2\n"
    )
    code = show.source(path, "b")
    assert code.data == f"# {path}\n\n@staticmethod\ndef b():\n    return 2"


def test_unknown_name_is_named(tmp_path):
    path = tmp_path / "f.py"
    path.write_text("x = 1\n")
    with pytest.raises(LookupError, match=r"f\.py has no function or class .handler."):
        show.source(path, "handler")
