"""The checks of exercise 1's "Your turn" tasks: each runs its own Athena query over the
segment_logs table and compares the learner's DataFrame with that answer."""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import Wrong, check, not_done, require

SIGNUPS = """
SELECT date(from_iso8601_timestamp("timestamp")) AS day, count(*) AS signups
FROM segment_logs
WHERE type = 'track' AND event = 'Signed Up'
GROUP BY 1
"""

ANONYMOUS = """
SELECT type, count(*) AS events, count_if(userId IS NULL OR userId = '') AS anonymous
FROM segment_logs
GROUP BY type
"""


def _sql(ws: Any, query: str) -> pd.DataFrame:
    """The notebook's sql(): a query over the workshop's Athena database, as a DataFrame."""
    import awswrangler as wr

    return wr.athena.read_sql_query(
        query,
        database=ws.prefix.replace("-", "_"),
        s3_output=f"s3://{ws.bucket}/athena-results/",
        ctas_approach=False,
    )


def _frame(answer: Any, name: str, columns: list[str]) -> pd.DataFrame:
    require(
        isinstance(answer, pd.DataFrame),
        f"`{name}` should be the DataFrame that sql(...) returns, not a {type(answer).__name__}.",
    )
    missing = [c for c in columns if c not in answer.columns]
    require(
        not missing,
        f"name the columns {', '.join(f'`{c}`' for c in columns)} (with AS in the SELECT); "
        f"yours are {', '.join(map(str, answer.columns)) or 'none'}.",
    )
    return answer


def _per_day(frame: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(frame["day"].astype(str)).dt.strftime("%Y-%m-%d")
    return pd.Series(frame["signups"].astype(int).to_numpy(), index=days).sort_index()


@check
def signups_per_day(ws: Any, signups: Any) -> str:
    """The `Signed Up` events per day (columns `day` and `signups`)."""
    not_done(signups, 'assign your query\'s result to `signups`: signups = sql("""SELECT ...""")')
    yours = _per_day(_frame(signups, "signups", ["day", "signups"]))
    expected = _per_day(_sql(ws, SIGNUPS))
    require(
        yours.sum() == expected.sum(),
        f"{yours.sum():,} sign-ups in all, expected {expected.sum():,}: count the track events "
        "named 'Signed Up' (WHERE event = 'Signed Up').",
    )
    require(
        yours.index.is_unique and len(yours) == len(expected),
        f"{len(yours)} rows for {len(expected)} days: one row per day (GROUP BY the day).",
    )
    require(
        yours.equals(expected),
        'the right total on other days: take the day of the event\'s own "timestamp", '
        'date(from_iso8601_timestamp("timestamp")), not when Segment received it.',
    )
    busiest = expected.idxmax()
    return (
        f"Right: {expected.sum():,} sign-ups over {len(expected)} days; the most on {busiest} "
        f"({expected[busiest]})."
    )


@check
def anonymous_share(ws: Any, shares: Any) -> str:
    """Per message type: all events and the share without a userId (columns `type`, `events`,
    `anonymous_share`, a fraction between 0 and 1)."""
    not_done(shares, 'assign your query\'s result to `shares`: shares = sql("""SELECT ...""")')
    yours = _frame(shares, "shares", ["type", "events", "anonymous_share"]).set_index("type")
    expected = _sql(ws, ANONYMOUS).set_index("type")
    require(
        sorted(yours.index) == sorted(expected.index),
        f"one row per message type ({', '.join(sorted(expected.index))}); yours: "
        f"{', '.join(map(str, sorted(yours.index)))}. GROUP BY type, and no WHERE.",
    )
    yours = yours.loc[expected.index]
    require(
        (yours["events"].astype(int) == expected["events"].astype(int)).all(),
        "`events` should count every message of the type: count(*).",
    )
    share = yours["anonymous_share"].astype(float)
    want = expected["anonymous"].astype(float) / expected["events"].astype(float)
    if (share == 0).all() and (want > 0).any():
        raise Wrong(
            "every share is 0: in SQL an integer divided by an integer is an integer. Divide "
            "as double: count_if(userId IS NULL) / CAST(count(*) AS double)."
        )
    require(
        not ((share - 100 * want).abs() < 0.5).all(),
        "those are percentages: `anonymous_share` is a fraction between 0 and 1.",
    )
    require(
        ((share - want).abs() <= 0.005).all(),
        "count the messages without a userId (userId IS NULL) and divide by all of the type.",
    )
    total = expected["anonymous"].sum() / expected["events"].sum()
    most = want.idxmax()
    return (
        f"Right: {total:.0%} of all messages have no userId; the most anonymous type is "
        f"{most} ({want[most]:.0%})."
    )
