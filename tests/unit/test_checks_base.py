"""The @check decorator: one line, right or what to look at, and never an exception."""

from __future__ import annotations

from workshop_lib.checks import check, not_done, require


@check
def _is_three(answer):
    not_done(answer, "replace None with your number")
    require(answer == 3, f"expected 3, got {answer}")
    return "Three it is."


def test_right_answer(capsys):
    assert _is_three(3)
    assert capsys.readouterr().out == "✔ Three it is.\n"


def test_placeholder_says_not_done(capsys):
    assert not _is_three(None)
    assert capsys.readouterr().out == "✘ Not done yet: replace None with your number\n"


def test_wrong_answer_says_what_to_look_at(capsys):
    assert not _is_three(4)
    assert capsys.readouterr().out == "✘ Not yet: expected 3, got 4\n"


def test_an_answer_that_breaks_the_check_is_reported_not_raised(capsys):
    assert not _is_three("x")  # "x" == 3 is False: a Wrong
    assert _is_three.__name__ == "_is_three"

    @check
    def broken(answer):
        return answer["missing"]

    assert not broken({})
    assert capsys.readouterr().out.splitlines()[-1] == (
        "✘ Not yet: checking your answer failed with KeyError: 'missing'"
    )


def test_jupyter_shows_only_the_printed_line():
    """A check cell (or a cell ending in a wait) shows no `Out[n]: True` under its line."""
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from workshop_lib.checks import Verdict\nVerdict(True)"),
        nbformat.v4.new_code_cell(
            "from workshop_lib.waiting import Descriptions\nDescriptions(a={})"
        ),
    ]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    assert [cell.outputs for cell in nb.cells] == [[], []]
