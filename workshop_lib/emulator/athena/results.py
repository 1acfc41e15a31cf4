"""Query results as Athena presents them: value text, ColumnInfo, CSV and .metadata files, pages.

Athena's result CSV quotes every field and writes NULL as an empty unquoted field; values use
Trino's text forms (`2024-05-19 10:15:00.230` for timestamps, `[a, b]` for arrays, `{k=v}` for
rows and maps, `1.0E7` for large doubles), which is also what GetQueryResults returns.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from . import types
from .errors import InvalidRequest

MAX_PAGE = 1000


def java_double(value: float) -> str:
    """A double the way Java (and so Trino/Athena) prints it: 1.5, 1.0E7, 1.0E-4, NaN, Infinity."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    mantissa, exponent = f"{value:.16e}".split("e")
    mantissa = repr(float(mantissa))
    return f"{mantissa}E{int(exponent)}"


def text(value: Any) -> str | None:
    """Trino's text form of one value (None stays None: NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, datetime):
        base = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        if value.tzinfo is not None:
            zone = getattr(value.tzinfo, "key", None) or value.tzname() or "UTC"
            return f"{base} {'UTC' if zone in ('Etc/UTC', 'UTC') else zone}"
        return base
    if isinstance(value, date | time | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes | bytearray):
        return " ".join(f"{b:02x}" for b in value)
    return str(value)


def _nested(value: Any) -> str:
    shown = text(value)
    return "null" if shown is None else shown


def column_info(names: list[str], duck_types: list[str]) -> list[dict]:
    """ColumnInfo entries as Athena returns them for a SELECT."""
    info = []
    for name, duck in zip(names, duck_types, strict=True):
        athena, precision, scale = types.athena_name(duck)
        info.append(
            {
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Name": name,
                "Label": name,
                "Type": athena,
                "Precision": precision,
                "Scale": scale,
                "Nullable": "UNKNOWN",
                "CaseSensitive": athena == "varchar",
            }
        )
    return info


def text_column_info(names: list[str]) -> list[dict]:
    """ColumnInfo of DDL/utility results (SHOW, DESCRIBE): string columns."""
    return [
        {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": n,
            "Label": n,
            "Type": "string",
            "Precision": 0,
            "Scale": 0,
            "Nullable": "UNKNOWN",
            "CaseSensitive": False,
        }
        for n in names
    ]


def csv_bytes(rows: list[list[str | None]]) -> bytes:
    """Athena's result CSV: every value quoted, NULL as an empty unquoted field."""
    lines = [
        ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def tsv_bytes(rows: list[list[str | None]]) -> bytes:
    """The .txt result of DDL and utility statements: tab-separated lines."""
    return "".join("\t".join(v or "" for v in row) + "\n" for row in rows).encode()


@dataclass
class ResultSet:
    """What GetQueryResults pages through; `header` is True for SELECT (first row = names)."""

    columns: list[dict] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    header: bool = False

    def all_rows(self) -> list[list[str | None]]:
        names = [[c["Name"] for c in self.columns]] if self.header else []
        return names + self.rows

    def metadata_bytes(self) -> bytes:
        """The `.metadata` file (binary on AWS; here the same facts as JSON)."""
        return json.dumps({"ColumnInfo": self.columns, "RowCount": len(self.rows)}).encode()

    def page(self, next_token: str | None, max_results: int | None) -> dict:
        """One GetQueryResults page: header row first on page one, then NextToken."""
        size = MAX_PAGE if max_results is None else max_results
        if not 1 <= size <= MAX_PAGE:
            raise InvalidRequest(
                f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_PAGE}",
                athena_code="INVALID_INPUT",
            )
        start = _decode_token(next_token)
        rows = self.all_rows()
        chunk = rows[start : start + size]
        page: dict[str, Any] = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in chunk
                ],
                "ResultSetMetadata": {"ColumnInfo": self.columns},
            },
        }
        if start + size < len(rows):
            page["NextToken"] = base64.urlsafe_b64encode(f"row:{start + size}".encode()).decode()
        return page


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "row":
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidRequest("The NextToken is not valid.", athena_code="INVALID_INPUT")
