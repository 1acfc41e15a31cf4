"""A step that needs an earlier notebook says which notebooks to run, in one short message.

IPython shows an exception that defines `_render_traceback_` by the lines it returns, so the
learner sees "Run notebooks 01 and 02 first: ..." instead of a traceback through workshop_lib.
papermill and plain Python still see an ordinary exception.
"""

from __future__ import annotations

from collections.abc import Iterable

NOTEBOOKS = {
    "01": "01_segment_s3_athena_glue",
    "02": "02_personalize_train_and_deploy",
    "03": "03_recommendations_api",
    "04": "04_realtime_segment_personalize",
}


class RunEarlierNotebooks(RuntimeError):
    """Something this step needs is missing: an earlier notebook has not run (or not to its end)."""

    def __init__(self, missing: str, notebooks: Iterable[str]) -> None:
        self.notebooks = [n for n in notebooks]
        names = [NOTEBOOKS.get(n, n) for n in self.notebooks]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        plural = "s" if len(names) > 1 else ""
        super().__init__(
            f"{missing} is missing. Run notebook{plural} {listed} first (to the end, in this "
            "order), then run this notebook again from the top."
        )

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


def need(missing: str, *notebooks: str) -> RunEarlierNotebooks:
    """The error to raise when `missing` is not there, e.g.
    `raise need("The dataset group", "01", "02")`."""
    return RunEarlierNotebooks(missing, notebooks)
