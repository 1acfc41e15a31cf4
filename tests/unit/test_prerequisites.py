"""A missing earlier notebook is named in one short line, all of them, in order."""

from __future__ import annotations

import pytest

from workshop_lib.prerequisites import RunEarlierNotebooks, need


def test_names_every_notebook_to_run():
    error = need("The campaign", "01", "02")
    assert str(error) == (
        "The campaign is missing. Run notebooks 01_segment_s3_athena_glue and "
        "02_personalize_train_and_deploy first (to the end, in this order), then run this "
        "notebook again from the top."
    )
    with pytest.raises(RunEarlierNotebooks):
        raise error


def test_one_notebook():
    assert "Run notebook 01_segment_s3_athena_glue first" in str(need("The CSV", "01"))


def test_ipython_shows_one_line_without_traceback():
    lines = need("The campaign", "01", "02")._render_traceback_()
    assert len(lines) == 1 and "RunEarlierNotebooks" in lines[0] and "Traceback" not in lines[0]
