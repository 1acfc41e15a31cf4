"""The Glue Data Catalog as Athena sees it, through the emulator's own Glue API (moto's Glue).

Athena and Glue share one catalog, so a table created by Athena DDL is visible to
`glue.get_table` and `wr.catalog`, and a table created through Glue is queryable by Athena.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import QueryFailed

PRESTO_VIEW = re.compile(r"/\* Presto View: (.*) \*/", re.DOTALL)


def view_sql(original_text: str | None) -> str | None:
    """The SQL of an Athena view, from Glue's ViewOriginalText (`/* Presto View: b64 */`)."""
    match = PRESTO_VIEW.fullmatch((original_text or "").strip())
    if not match:
        return None
    return json.loads(base64.b64decode(match.group(1)))["originalSql"]


def view_text(sql: str, database: str, columns: list[dict]) -> str:
    """Glue's ViewOriginalText for an Athena view, in the encoding Athena (Presto) uses."""
    payload = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": c["Name"], "type": c["Type"]} for c in columns],
        "owner": "arn:aws:iam::123456789012:root",
        "runAsInvoker": False,
        "properties": {},
    }
    return f"/* Presto View: {base64.b64encode(json.dumps(payload).encode()).decode()} */"


@dataclass
class Column:
    name: str
    type: str  # Glue/Hive spelling
    comment: str | None = None


@dataclass
class Table:
    """The parts of a Glue table that reading and writing it needs."""

    database: str
    name: str
    columns: list[Column]
    partition_keys: list[Column]
    location: str
    serde: str
    serde_params: dict[str, str]
    input_format: str
    output_format: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    table_type: str = "EXTERNAL_TABLE"
    view_sql: str | None = None  # the SELECT of an Athena view (TableType VIRTUAL_VIEW)

    @classmethod
    def from_glue(cls, database: str, table: dict[str, Any]) -> Table:
        sd = table.get("StorageDescriptor", {})
        serde = sd.get("SerdeInfo", {})

        def cols(items: list[dict]) -> list[Column]:
            return [Column(c["Name"], c.get("Type", "string"), c.get("Comment")) for c in items]

        return cls(
            database=database,
            name=table["Name"],
            columns=cols(sd.get("Columns", [])),
            partition_keys=cols(table.get("PartitionKeys", [])),
            location=sd.get("Location", ""),
            serde=serde.get("SerializationLibrary", ""),
            serde_params=dict(serde.get("Parameters", {})),
            input_format=sd.get("InputFormat", ""),
            output_format=sd.get("OutputFormat", ""),
            parameters=dict(table.get("Parameters", {})),
            table_type=table.get("TableType", "EXTERNAL_TABLE"),
            view_sql=view_sql(table.get("ViewOriginalText")),
        )

    @property
    def all_columns(self) -> list[Column]:
        return self.columns + self.partition_keys


class Catalog:
    """Glue calls with the errors Athena reports for them."""

    def __init__(self, glue) -> None:
        self.glue = glue

    def database_exists(self, name: str) -> bool:
        try:
            self.glue.get_database(Name=name)
            return True
        except self.glue.exceptions.EntityNotFoundException:
            return False

    def databases(self) -> list[dict]:
        pages = self.glue.get_paginator("get_databases").paginate()
        return [d for page in pages for d in page["DatabaseList"]]

    def tables(self, database: str) -> list[dict]:
        pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
        return [t for page in pages for t in page["TableList"]]

    def find_table(self, database: str, name: str) -> Table | None:
        try:
            found = self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None
        return Table.from_glue(database, found)

    def table(self, database: str, name: str, where: str = "line 1:1") -> Table:
        """The table, or the query FAILS as Athena's does for a missing schema or table."""
        if not self.database_exists(database):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: {where}: Schema '{database}' does not exist")
        found = self.find_table(database, name)
        if found is None:
            raise QueryFailed(
                f"TABLE_NOT_FOUND: {where}: Table 'awsdatacatalog.{database}.{name}' does not exist"
            )
        return found

    def partitions(self, table: Table) -> list[dict]:
        pages = self.glue.get_paginator("get_partitions").paginate(
            DatabaseName=table.database, TableName=table.name
        )
        return [p for page in pages for p in page["Partitions"]]

    def add_partitions(self, table: Table, partitions: list[tuple[list[str], str]]) -> None:
        """Register (values, location) partitions that the catalog does not have yet."""
        known = {tuple(p["Values"]) for p in self.partitions(table)}
        sd_template = self.glue.get_table(DatabaseName=table.database, Name=table.name)["Table"][
            "StorageDescriptor"
        ]
        new = [(v, loc) for v, loc in partitions if tuple(v) not in known]
        for start in range(0, len(new), 100):
            inputs = [
                {"Values": values, "StorageDescriptor": {**sd_template, "Location": location}}
                for values, location in new[start : start + 100]
            ]
            self.glue.batch_create_partition(
                DatabaseName=table.database, TableName=table.name, PartitionInputList=inputs
            )
