"""Small matplotlib charts for the notebooks (one call, one figure, readable defaults).

Each function closes its figure and returns it: the notebook shows it once, as the cell's value,
instead of also through pyplot's automatic display (which made the output count vary).
"""

from __future__ import annotations

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


def line(frame: pd.DataFrame, x: str, y: str, title: str):
    """A line chart of `y` over `x` (e.g. active people per day)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(pd.to_datetime(frame[x]), frame[y], color="#3b7dd8")
    ax.set_title(title)
    ax.set_ylabel(y)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig
