"""Names, ARNs, inputs and waiting shared by the steps of exercise 2.

Every resource is found by its name (prefix + suffix), so a cell needs no variable from an
earlier cell: it rebuilds the ARN Personalize gives that name and describes it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .. import personalize
from ..runner import CELL_TIMEOUT_SECONDS
from ..waiting import PROGRESS_MARK, Watch, wait_all

INTERACTIONS_KEY = "transformed/interactions.csv"
CATALOGUE_KEY = "catalogue/products.csv"
DATASET_TYPES = ("Interactions", "Items")
# solution (and campaign) name suffix -> recipe; popularity-count is the baseline
RECIPES = {
    "user-personalization": "aws-user-personalization",
    "similar-items": "aws-similar-items",
    "popularity-count": "aws-popularity-count",
}
CAMPAIGNS = ("user-personalization", "similar-items")
FILTER_SUFFIX = "exclude-purchased"
ROLE_SUFFIX = "personalize-s3"
# How long each step typically takes on AWS (added to the progress lines while waiting)
TYPICAL_ON_AWS = {
    "dataset group": "1-2 min",
    "datasets": "1-2 min",
    "imports": "10-20 min",
    "solutions": "1-2 min",
    "training": "30-60 min",
    "campaigns": "10-15 min",
    "filter": "1-5 min",
    "batch": "20-40 min",
}
WAIT_SHARE = 0.8  # of the runner's cell timeout


class MissingInput(FileNotFoundError):
    """What exercise 2 reads from S3 is not there: notebook 01 has not run yet."""


class MissingStep(RuntimeError):
    """A cell needs a resource that an earlier cell of this notebook creates."""


@dataclass(frozen=True)
class Listing:
    """A table shown in full (pandas' default display cuts ARNs at 50 characters)."""

    frame: pd.DataFrame

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False)

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


def names(ws: Any) -> dict[str, str]:
    """Every resource name this exercise uses (all start with the workshop prefix)."""
    result = {"dataset group": ws.name("dataset-group"), "filter": ws.name(FILTER_SUFFIX)}
    for kind in DATASET_TYPES:
        result[f"{kind} schema"] = ws.name(f"{kind.lower()}-schema")
        result[f"{kind} dataset"] = ws.name(kind.lower())
    return result


def arn(ws: Any, kind: str, name: str) -> str:
    """The ARN Personalize gives a resource of this kind and name."""
    return f"arn:aws:personalize:{ws.region}:{ws.account_id}:{kind}/{name}"


def group_arn(ws: Any) -> str:
    return arn(ws, "dataset-group", names(ws)["dataset group"])


def dataset_arn(ws: Any, dataset_type: str) -> str:
    """Datasets are named after their group and type: dataset/<group>/<TYPE>."""
    return arn(ws, "dataset", f"{names(ws)['dataset group']}/{dataset_type.upper()}")


def solution_arn(ws: Any, suffix: str) -> str:
    return arn(ws, "solution", ws.name(suffix))


def campaign_arn(ws: Any, suffix: str = "user-personalization") -> str:
    """The campaign notebooks 03 and 04 call: "user-personalization" or "similar-items"."""
    return arn(ws, "campaign", ws.name(suffix))


def filter_arn(ws: Any) -> str:
    """The filter that drops what a user already bought (notebooks 03 and 04 use it too)."""
    return arn(ws, "filter", ws.name(FILTER_SUFFIX))


def read_csv(ws: Any, key: str) -> pd.DataFrame:
    """A CSV of the workshop bucket; MissingInput (run notebook 01) when it is not there."""
    try:
        body = ws.client("s3").get_object(Bucket=ws.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("NoSuchKey", "NoSuchBucket", "404"):
            raise
        raise MissingInput(
            f"s3://{ws.bucket}/{key} is missing: run notebook 01 "
            "(01_segment_s3_athena_glue.ipynb) first. It writes the interactions CSV and the "
            "product catalogue that this notebook imports into Personalize."
        ) from None
    return pd.read_csv(io.BytesIO(body), dtype={"USER_ID": str, "ITEM_ID": str})


def interactions(ws: Any) -> pd.DataFrame:
    """The interactions exercise 1 wrote: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP."""
    return read_csv(ws, INTERACTIONS_KEY)


def timeout(ws: Any, aws_seconds: float) -> float:
    """The helper's own limit: at most 80 % of the runner's cell timeout on the target, so a
    slow step ends with the helper's message (run the cell again) and not a killed cell."""
    return min(aws_seconds, WAIT_SHARE * CELL_TIMEOUT_SECONDS[ws.target])


def wait(
    ws: Any, watched: dict[str, str | Callable[[], dict]], step: str, aws_seconds: float = 3600
) -> dict:
    """Wait for {label: ARN or describe call}: one line per poll with each status, elapsed time
    and how long this step typically takes on AWS; a failure raises with its failureReason."""
    client = ws.client("personalize")
    note = f" (typically {TYPICAL_ON_AWS[step]} on AWS)"

    def say(line: str) -> None:
        print(line + note if line.startswith(PROGRESS_MARK) else line)

    watches = [
        Watch(label, a if callable(a) else lambda a=a: personalize.describe(client, a))
        for label, a in watched.items()
    ]
    return wait_all(watches, timeout=timeout(ws, aws_seconds), say=say)


def require(ws: Any, resource_arn: str, cell: str) -> dict:
    """The description of a resource an earlier cell creates, or a clear "run that cell"."""
    try:
        return personalize.describe(ws.client("personalize"), resource_arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        raise MissingStep(
            f"{resource_arn.split(':', 5)[-1]} does not exist yet: run the cell that calls "
            f"{cell}() first."
        ) from None


def status_table(ws: Any, rows: dict[str, str]) -> pd.DataFrame:
    """resource | name | status for {label: ARN}."""
    client = ws.client("personalize")
    table = [
        (label, a.split("/", 1)[1], personalize.describe(client, a)["status"])
        for label, a in rows.items()
    ]
    return pd.DataFrame(table, columns=["resource", "name", "status"])
