"""Partitions of Hive-style tables: ALTER TABLE ADD/DROP PARTITION and MSCK REPAIR TABLE."""

from __future__ import annotations

import re

from .catalog import Table
from .context import StatementContext
from .ddl import NAME, named_table, unquote
from .errors import QueryFailed
from .results import ResultSet, text_column_info

_PARTITION = re.compile(r"(?is)PARTITION\s*\(([^)]*)\)(?:\s*LOCATION\s*'([^']*)')?")


def _partition_values(spec: str, table: Table) -> list[str]:
    given = {}
    for pair in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", spec):
        key, _, value = pair.partition("=")
        given[unquote(key)] = value.strip().strip("'\"")
    names = [k.name for k in table.partition_keys]
    if sorted(given) != sorted(names):
        raise QueryFailed(
            f"HIVE_METASTORE_ERROR: Partition spec {spec.strip()} does not match the table's "
            f"partition keys ({', '.join(names)})"
        )
    return [given[n] for n in names]


def _default_location(table: Table, values: list[str]) -> str:
    base = table.location if table.location.endswith("/") else table.location + "/"
    return (
        base
        + "/".join(f"{k.name}={v}" for k, v in zip(table.partition_keys, values, strict=True))
        + "/"
    )


def alter_table(text: str, ctx: StatementContext) -> ResultSet:
    match = re.fullmatch(
        rf"(?is)TABLE\s+{NAME}\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)",
        text.strip().rstrip(";"),
    )
    if not match:
        raise QueryFailed("NOT_SUPPORTED: the emulator supports ALTER TABLE ... ADD/DROP PARTITION")
    table = named_table(match.group(1), ctx)
    if not table.partition_keys:
        raise QueryFailed(f"Table {table.name} is not partitioned")
    specs = _PARTITION.findall(match.group(4))
    if not specs:
        raise QueryFailed("line 1:1: ALTER TABLE needs PARTITION (key='value', ...)")
    existing = {tuple(p["Values"]) for p in ctx.catalog.partitions(table)}
    wanted = [(_partition_values(spec, table), loc) for spec, loc in specs]
    if match.group(2).upper() == "ADD":
        for values, _ in wanted:
            if tuple(values) in existing and not match.group(3):
                raise QueryFailed("AlreadyExistsException: Partition already exists.")
        new = [(v, loc or _default_location(table, v)) for v, loc in wanted]
        ctx.catalog.add_partitions(table, new)
    else:
        for values, _ in wanted:
            if tuple(values) not in existing and not match.group(3):
                raise QueryFailed("HIVE_METASTORE_ERROR: Partition not found.")
        gone = [{"Values": v} for v, _ in wanted if tuple(v) in existing]
        if gone:
            ctx.catalog.glue.batch_delete_partition(
                DatabaseName=table.database, TableName=table.name, PartitionsToDelete=gone
            )
    return ResultSet()


def msck_repair(text: str, ctx: StatementContext) -> ResultSet:
    """Add the Hive-style `key=value/` prefixes under the table location as partitions."""
    match = re.fullmatch(rf"(?is)\s*TABLE\s+{NAME}\s*;?\s*", text)
    if not match:
        raise QueryFailed("line 1:1: MSCK REPAIR TABLE needs a table name")
    table = named_table(match.group(1), ctx)
    if not table.partition_keys:
        return ResultSet()
    base = table.location if table.location.endswith("/") else table.location + "/"
    _, prefix = base[5:].split("/", 1)
    found: dict[tuple[str, ...], str] = {}
    for obj in ctx.objects.list(base):
        parts = obj.key[len(prefix) :].split("/")[: len(table.partition_keys)]
        values = []
        for key, part in zip(table.partition_keys, parts, strict=False):
            name, _, value = part.partition("=")
            if name.lower() != key.name:
                break
            values.append(value)
        if len(values) == len(table.partition_keys):
            found.setdefault(tuple(values), base + "/".join(parts) + "/")
    known = {tuple(p["Values"]) for p in ctx.catalog.partitions(table)}
    new = [(list(v), loc) for v, loc in sorted(found.items()) if v not in known]
    ctx.catalog.add_partitions(table, new)
    lines = []
    for values, _ in new:
        spec = "/".join(f"{k.name}={v}" for k, v in zip(table.partition_keys, values, strict=True))
        lines.append([f"Repair: Added partition to metastore {table.name}:{spec}"])
    return ResultSet(text_column_info(["result"]), lines)
