"""`information_schema.schemata / tables / columns`, built from the Glue catalog for one query."""

from __future__ import annotations

from . import types
from .catalog import Catalog

COLUMNS = {
    "schemata": ["catalog_name", "schema_name"],
    "tables": ["table_catalog", "table_schema", "table_name", "table_type"],
    "columns": [
        "table_catalog",
        "table_schema",
        "table_name",
        "column_name",
        "ordinal_position",
        "column_default",
        "is_nullable",
        "data_type",
        "comment",
        "extra_info",
    ],
}


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _presto_type(hive: str) -> str:
    try:
        return types.parse_hive(hive).sql("athena").lower()
    except Exception:  # a type sqlglot cannot read: show the catalog's spelling
        return hive


def relation(catalog: Catalog, name: str) -> str | None:
    """DuckDB SQL for one information_schema table, or None when there is no such table."""
    if name not in COLUMNS:
        return None
    rows: list[list[object]] = []
    for db in catalog.databases():
        schema = db["Name"]
        if name == "schemata":
            rows.append(["awsdatacatalog", schema])
            continue
        for table in catalog.tables(schema):
            if name == "tables":
                kind = "VIEW" if table.get("TableType") == "VIRTUAL_VIEW" else "BASE TABLE"
                rows.append(["awsdatacatalog", schema, table["Name"], kind])
                continue
            columns = table.get("StorageDescriptor", {}).get("Columns", [])
            keys = table.get("PartitionKeys", [])
            for i, col in enumerate(columns + keys, start=1):
                extra = "partition key" if i > len(columns) else None
                rows.append(
                    [
                        "awsdatacatalog", schema, table["Name"], col["Name"], i, None, "YES",
                        _presto_type(col.get("Type", "string")), col.get("Comment"), extra,
                    ]
                )  # fmt: skip
    names = ", ".join(types.quote(c) for c in COLUMNS[name])
    if not rows:
        nulls = ", ".join(f"NULL AS {types.quote(c)}" for c in COLUMNS[name])
        return f"SELECT {nulls} WHERE false"
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"SELECT * FROM (VALUES {values}) AS t({names})"
