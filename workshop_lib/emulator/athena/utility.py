"""Utility statements: SHOW TABLES/DATABASES/PARTITIONS/COLUMNS/CREATE TABLE and DESCRIBE."""

from __future__ import annotations

import fnmatch
import re

from sqlglot import exp

from .catalog import Table
from .context import StatementContext
from .ddl import NAME, named_table, unquote
from .errors import QueryFailed
from .results import ResultSet, text_column_info


def _hive_like(pattern: str | None, names: list[str]) -> list[str]:
    """Hive's SHOW pattern: `*` wildcard, `|` alternatives, case-insensitive."""
    if not pattern:
        return sorted(names)
    options = [p.strip().lower() for p in pattern.split("|")]
    return sorted(n for n in names if any(fnmatch.fnmatchcase(n.lower(), o) for o in options))


def show(text: str, ctx: StatementContext) -> ResultSet:
    body = text.strip().rstrip(";").strip()
    match = re.fullmatch(
        rf"(?is)TABLES(?:\s+(?:IN|FROM)\s+{NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?", body
    )
    if match:
        db = unquote(match.group(1)) if match.group(1) else ctx.database
        if not ctx.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
        names = _hive_like(match.group(2), [t["Name"] for t in ctx.catalog.tables(db)])
        return ResultSet(text_column_info(["tab_name"]), [[n] for n in names])
    match = re.fullmatch(r"(?is)(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?", body)
    if match:
        names = _hive_like(match.group(1), [d["Name"] for d in ctx.catalog.databases()])
        return ResultSet(text_column_info(["database_name"]), [[n] for n in names])
    match = re.fullmatch(rf"(?is)PARTITIONS\s+{NAME}", body)
    if match:
        table = named_table(match.group(1), ctx)
        rows = []
        for part in ctx.catalog.partitions(table):
            pairs = zip(table.partition_keys, part["Values"], strict=False)
            rows.append(["/".join(f"{k.name}={v}" for k, v in pairs)])
        return ResultSet(text_column_info(["partition"]), sorted(rows))
    match = re.fullmatch(rf"(?is)CREATE\s+(?:TABLE|VIEW)\s+{NAME}", body)
    if match:
        lines = show_create_table(named_table(match.group(1), ctx))
        return ResultSet(text_column_info(["createtab_stmt"]), [[line] for line in lines])
    match = re.fullmatch(rf"(?is)COLUMNS\s+(?:IN|FROM)\s+{NAME}", body)
    if match:
        table = named_table(match.group(1), ctx)
        return ResultSet(text_column_info(["field"]), [[c.name] for c in table.all_columns])
    raise QueryFailed(
        f"NOT_SUPPORTED: SHOW {body.split()[0] if body else ''} is not supported locally"
    )


def show_create_table(table: Table) -> list[str]:
    """The DDL that recreates a table, in the layout Athena's SHOW CREATE TABLE prints."""
    if table.view_sql is not None:
        return [f'CREATE VIEW "{table.database}"."{table.name}" AS', table.view_sql]

    def pairs(items: dict[str, str]) -> list[str]:
        body = [f"  '{k}'='{v}'" for k, v in sorted(items.items())]
        return [line + ("," if i < len(body) - 1 else ")") for i, line in enumerate(body)]

    cols = [f"  `{c.name}` {c.type}" for c in table.columns]
    lines = [f"CREATE EXTERNAL TABLE `{table.database}`.`{table.name}`("]
    lines += [c + ("," if i < len(cols) - 1 else ")") for i, c in enumerate(cols)]
    if table.partition_keys:
        keys = ", ".join(f"`{k.name}` {k.type}" for k in table.partition_keys)
        lines.append(f"PARTITIONED BY ( {keys})")
    lines += ["ROW FORMAT SERDE ", f"  '{table.serde}' "]
    if table.serde_params:
        lines += ["WITH SERDEPROPERTIES ( ", *pairs(table.serde_params)]
    lines += ["STORED AS INPUTFORMAT ", f"  '{table.input_format}' "]
    lines += ["OUTPUTFORMAT ", f"  '{table.output_format}'"]
    lines += ["LOCATION", f"  '{table.location}'"]
    props = {k: v for k, v in table.parameters.items() if k != "EXTERNAL"}
    if props:
        lines += ["TBLPROPERTIES (", *pairs(props)]
    return lines


def describe(tree: exp.Describe, ctx: StatementContext) -> ResultSet:
    node = tree.this
    table = ctx.catalog.table(unquote(node.db or ctx.database), unquote(node.name))
    comment = "from deserializer" if "json" in table.serde.lower() else ""
    rows = [[c.name, c.type, c.comment or comment] for c in table.all_columns]
    if table.partition_keys:
        rows += [[""], ["# Partition Information"], ["# col_name", "data_type", "comment"], [""]]
        rows += [[k.name, k.type, k.comment or ""] for k in table.partition_keys]
    cols = text_column_info(["col_name", "data_type", "comment"])
    return ResultSet(cols, [r + [""] * (3 - len(r)) for r in rows])
