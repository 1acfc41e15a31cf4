"""Dataset import jobs: read the CSV object (or every CSV under a prefix) from the emulator's S3.

Personalize's CSV rules: a header row naming schema fields (unquoted), epoch-second timestamps,
`a|b` for multi-value categoricals, lowercase booleans, empty cell = null (only where the schema
allows null), double quotes around text with commas and backslash escapes inside (`\\"`, `\\\\`),
not RFC 4180 doubling. The whole file is parsed and checked before anything is stored, so a bad
file fails the job with a failureReason that says what to fix and loses nothing imported before.
"""

from __future__ import annotations

import io
from typing import Any

from .schemas import Schema

MIN_INTERACTIONS = 1000
MAX_ID = 256
MAX_CATEGORY = 1000
# Seconds since 1970 stay below this until year 5138; milliseconds are far above it.
MAX_EPOCH_SECONDS = 10**11


class ImportFailure(Exception):
    """A data problem: the job fails with this text as failureReason."""


def split_location(location: str) -> tuple[str, str]:
    if not location.startswith("s3://") or "/" not in location[5:]:
        if location.startswith("s3://"):
            return location[5:], ""
        raise ImportFailure("Invalid Data location.")
    bucket, _, key = location[5:].partition("/")
    return bucket, key


def read_objects(s3, location: str) -> list[tuple[str, bytes]]:
    """(key, bytes) of the CSV object, or of every object under the folder prefix."""
    from botocore.exceptions import ClientError

    bucket, key = split_location(location)
    try:
        if key and not key.endswith("/"):
            try:
                return [(key, s3.get_object(Bucket=bucket, Key=key)["Body"].read())]
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("NoSuchKey", "404"):
                    raise
                key += "/"
        keys: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        if not keys:
            raise ImportFailure("Invalid Data location.")
        return [(k, s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in sorted(keys)]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchBucket", "AccessDenied"):
            raise ImportFailure(
                f"Invalid Data location. {exc.response['Error']['Code']}: {location}"
            ) from None
        raise


def _convert(frame, schema: Schema, source: str):
    import numpy as np
    import pandas as pd

    out = {}
    for field in schema.fields:
        if field.name not in frame.columns:
            out[field.name] = pd.Series([None] * len(frame), dtype=object)
            continue
        raw = frame[field.name]
        empty = raw == ""
        if empty.any() and not field.nullable:
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 2
            raise ImportFailure(
                f"{source}: column {field.name} is empty on line {row}, but the schema does not "
                f'allow null. Fill it in, or declare the field as ["null", "{field.type}"].'
            )
        if field.type in ("long", "int"):
            values = pd.to_numeric(raw.where(~empty, None), errors="coerce")
            bad = values.isna() & ~empty | (values.notna() & (values != values.round()))
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ImportFailure(
                    f"{source}: column {field.name} must hold integers; line {row + 2} has "
                    f"{raw.iloc[row]!r}."
                )
            if (
                field.name in ("TIMESTAMP", "CREATION_TIMESTAMP")
                and (values.abs() >= MAX_EPOCH_SECONDS).any()
            ):
                row = int(np.flatnonzero((values.abs() >= MAX_EPOCH_SECONDS).to_numpy())[0])
                raise ImportFailure(
                    f"{source}: {field.name} must be Unix epoch seconds; line {row + 2} has "
                    f"{raw.iloc[row]} (milliseconds?). Divide by 1000."
                )
            out[field.name] = values.astype("float64" if field.nullable else "int64")
        elif field.type in ("float", "double"):
            values = pd.to_numeric(raw.where(~empty, None), errors="coerce")
            bad = values.isna() & ~empty
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ImportFailure(
                    f"{source}: column {field.name} must hold numbers; line {row + 2} has "
                    f"{raw.iloc[row]!r}."
                )
            out[field.name] = values.astype("float64")
        elif field.type == "boolean":
            bad = ~raw.isin(["true", "false", ""])
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ImportFailure(
                    f"{source}: column {field.name} must be lowercase true or false; line "
                    f"{row + 2} has {raw.iloc[row]!r}."
                )
            out[field.name] = raw.map({"true": True, "false": False, "": None})
        else:
            limit = MAX_ID if field.name.endswith("_ID") else MAX_CATEGORY
            if not field.textual:
                too_long = raw.str.len() > limit
                if too_long.any():
                    row = int(np.flatnonzero(too_long.to_numpy())[0])
                    raise ImportFailure(
                        f"{source}: {field.name} on line {row + 2} is longer than {limit} "
                        "characters."
                    )
            out[field.name] = raw.where(~empty, None)
    return pd.DataFrame(out)


def parse_csv(data: bytes, schema: Schema, source: str):
    """A typed frame from one CSV file, or ImportFailure saying what to fix."""
    import pandas as pd

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailure(f"{source}: the file is not UTF-8 encoded CSV.") from None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            escapechar="\\",
            doublequote=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFailure(f"{source}: not a valid CSV file ({exc}).") from None
    header = [str(c) for c in frame.columns]
    quoted = [c for c in header if c.startswith('"')]
    if quoted:
        raise ImportFailure(f"{source}: header names must not be quoted: {quoted}.")
    required = [f.name for f in schema.fields if not f.nullable]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailure(f"Input CSV is missing the following columns: [{', '.join(missing)}]")
    unknown = [c for c in header if schema.field(c) is None]
    if unknown:
        raise ImportFailure(
            f"{source}: the header has columns that are not in the schema: "
            f"[{', '.join(unknown)}]. Schema fields: [{', '.join(schema.names)}]."
        )
    return _convert(frame, schema, source)


def run_import(
    s3, location: str, schema: Schema, dataset_type: str, has_bulk: bool, mode: str
) -> Any:
    """The typed frame of a whole import job (all files), checked against the minimums."""
    import pandas as pd

    if mode == "INCREMENTAL" and not has_bulk:
        raise ImportFailure(
            "An INCREMENTAL import needs data imported before; run a FULL import first."
        )
    frames = [parse_csv(body, schema, key) for key, body in read_objects(s3, location)]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if dataset_type == "INTERACTIONS" and len(frame) < MIN_INTERACTIONS:
        raise ImportFailure(
            f"Input data has {len(frame)} interaction records; an import job needs at least "
            f"{MIN_INTERACTIONS}."
        )
    return frame
