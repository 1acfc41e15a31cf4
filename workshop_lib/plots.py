"""Small matplotlib charts for the notebooks (one call, one figure, readable defaults).

Each function closes its figure and returns it: the notebook shows it once, as the cell's value,
instead of also through pyplot's automatic display (which made the output count vary).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd


def bar(frame: pd.DataFrame, label: str, value: str, title: str, horizontal: bool = True):
    """A bar chart of `value` by `label`, largest on top."""
    import matplotlib.pyplot as plt

    data = frame.sort_values(value)
    labels = [str(v) if pd.notna(v) and v != "" else "(none)" for v in data[label]]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(data) + 1.2))
    if horizontal:
        ax.barh(labels, data[value], color="#3b7dd8")
        ax.set_xlabel(value)
    else:
        ax.bar(labels, data[value], color="#3b7dd8")
        ax.set_ylabel(value)
    ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def per_day(
    frame: pd.DataFrame,
    day: str,
    value: str,
    title: str,
    highlight: Iterable[date] = (),
    label: str = "",
):
    """Bars of `value` per day on a calendar axis, so that a gap between two periods shows as a
    gap; the days in `highlight` are drawn in another colour, with an arrow, `label` and value."""
    import matplotlib.pyplot as plt

    days = pd.to_datetime(frame[day])
    marked = days.dt.date.isin(set(highlight)).to_numpy()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.bar(days[~marked], frame[value][~marked], width=0.9, color="#3b7dd8")
    for when, height in zip(days[marked], frame[value][marked], strict=True):
        ax.bar([when], [height], width=0.9, color="#e4572e")
        ax.annotate(
            f"{label}: {height}",
            xy=(when, height),
            xytext=(0, 40),
            textcoords="offset points",
            ha="right",
            color="#e4572e",
            arrowprops={"arrowstyle": "->", "color": "#e4572e"},
        )
    ax.set_title(title)
    ax.set_ylabel(value)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig
