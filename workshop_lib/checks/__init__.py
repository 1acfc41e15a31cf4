"""The check cells of the "Your turn" tasks: one line that says right, or what to look at.

A check computes the expected answer itself and compares; it never raises, so a wrong or
unfinished answer never stops the notebook (nor papermill's run of it). Each exercise has its
module (`from workshop_lib.checks import exercise1 as check`); each check is a function
decorated with `@check`, which prints the verdict and returns it as a Verdict (true when right)
for the tests; Jupyter shows nothing more than the printed line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

PASS, FAIL = "✔", "✘"


class Verdict:
    """A check's result: true when the answer is right. The check printed its line already, so
    Jupyter displays nothing for it (no `Out[n]: True` under the ✔ line)."""

    def __init__(self, right: bool) -> None:
        self.right = right

    def __bool__(self) -> bool:
        return self.right

    def __repr__(self) -> str:
        return f"Verdict({self.right})"

    def _ipython_display_(self) -> None:
        pass


class Wrong(Exception):
    """Raised inside a check to say what is wrong with the learner's answer."""


class NotDone(Wrong):
    """The task's cell still holds its TODO placeholder."""


def require(condition: Any, message: str) -> None:
    """Inside a check: stop with `message` (what to look at) unless `condition` holds."""
    if not condition:
        raise Wrong(message)


def not_done(value: Any, message: str) -> None:
    """Inside a check: stop with `message` when the answer is still the placeholder None."""
    if value is None:
        raise NotDone(message)


def check(function: Callable[..., str | None]) -> Callable[..., Verdict]:
    """Make a check: the function raises Wrong (or NotDone) with a hint, or returns the message
    to print on success. Any other error is reported as a hint, never raised."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Verdict:
        try:
            message = function(*args, **kwargs)
        except NotDone as exc:
            print(f"{FAIL} Not done yet: {exc}")
            return Verdict(False)
        except Wrong as exc:
            print(f"{FAIL} Not yet: {exc}")
            return Verdict(False)
        except Exception as exc:  # the answer broke the check: say so, do not stop the run
            print(f"{FAIL} Not yet: checking your answer failed with {type(exc).__name__}: {exc}")
            return Verdict(False)
        print(f"{PASS} {message or 'Right.'}")
        return Verdict(True)

    return run
