"""Athena DDL and utility statements, applied to the Glue catalog.

CREATE DATABASE/SCHEMA, CREATE EXTERNAL TABLE (JSON, CSV and Parquet SerDes, PARTITIONED BY,
SERDEPROPERTIES, TBLPROPERTIES), DROP TABLE/DATABASE, ALTER TABLE ADD/DROP PARTITION,
MSCK REPAIR TABLE, SHOW TABLES/DATABASES/PARTITIONS/COLUMNS and DESCRIBE. Errors read like
Athena's, so a learner can act on them.
"""

from __future__ import annotations

import fnmatch
import re

from sqlglot import exp

from . import tables, types
from .catalog import Table, view_text
from .context import StatementContext
from .errors import QueryFailed
from .results import ResultSet, text_column_info

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

_IDENT = r'(?:`[^`]+`|"[^"]+"|[\w$]+)'
_NAME = rf"({_IDENT}(?:\s*\.\s*{_IDENT})?)"


def _unquote(name: str) -> str:
    return name.strip().strip('`"').lower()


def split_name(name: str, default_db: str) -> tuple[str, str]:
    """('db', 'table') from `db.table`, "db"."table" or `table`."""
    parts = [_unquote(p) for p in re.split(r"\s*\.\s*(?=[`\"\w$])", name.strip())]
    return (parts[0], parts[1]) if len(parts) == 2 else (default_db, parts[0])


def storage(serde: str, params: dict[str, str], parquet: bool) -> dict:
    """A Glue StorageDescriptor skeleton for a SerDe."""
    return {
        "InputFormat": PARQUET_INPUT if parquet else TEXT_INPUT,
        "OutputFormat": PARQUET_OUTPUT if parquet else TEXT_OUTPUT,
        "SerdeInfo": {"SerializationLibrary": serde, "Parameters": params},
        "Compressed": False,
        "NumberOfBuckets": -1,
        "StoredAsSubDirectories": False,
    }


def _columns(defs: list[exp.ColumnDef]) -> list[dict]:
    cols = []
    for d in defs:
        col = {"Name": d.this.name.lower(), "Type": types.hive_name(d.args["kind"])}
        comment = d.find(exp.CommentColumnConstraint)
        if comment is not None:
            col["Comment"] = comment.this.name
        cols.append(col)
    return cols


def _props(node: exp.Expression | None) -> dict[str, str]:
    if node is None:
        return {}
    return {p.this.name: p.args["value"].name for p in node.expressions if p.args.get("value")}


# CREATE ---------------------------------------------------------------------------------------


def create_database(tree: exp.Create, ctx: StatementContext) -> ResultSet:
    name = (tree.this.db or tree.this.name).lower()
    if ctx.catalog.database_exists(name):
        if tree.args.get("exists"):
            return ResultSet()
        raise QueryFailed(f"Database {name} already exists", error_type=1300)
    db_input: dict = {"Name": name}
    for prop in (tree.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.SchemaCommentProperty):
            db_input["Description"] = prop.this.name
        elif isinstance(prop, exp.LocationProperty):
            db_input["LocationUri"] = prop.this.name
        elif isinstance(prop, exp.Property) and prop.args.get("value") is not None:
            db_input.setdefault("Parameters", {})[prop.this.name] = prop.args["value"].name
    ctx.catalog.glue.create_database(DatabaseInput=db_input)
    return ResultSet()


def create_table(tree: exp.Create, ctx: StatementContext) -> ResultSet:
    schema = tree.this
    table_node = schema.this if isinstance(schema, exp.Schema) else schema
    db = (table_node.db or ctx.database).lower()
    name = table_node.name.lower()
    props = (tree.args.get("properties") or exp.Properties()).expressions
    if not any(isinstance(p, exp.ExternalProperty) for p in props):
        raise QueryFailed(
            "NOT_SUPPORTED: Only CREATE EXTERNAL TABLE (or CREATE TABLE ... AS SELECT) is "
            "supported for Hive tables. Add EXTERNAL and a LOCATION.",
            error_type=1200,
        )
    if not ctx.catalog.database_exists(db):
        raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
    if ctx.catalog.find_table(db, name) is not None:
        if tree.args.get("exists"):
            return ResultSet()
        raise QueryFailed(f"AlreadyExistsException: Table {db}.{name} already exists", 1300)
    serde, serde_params, parquet, location, parameters = tables.LAZY_SIMPLE, {}, False, None, {}
    partition_keys: list[dict] = []
    for prop in props:
        if isinstance(prop, exp.RowFormatSerdeProperty):
            serde = prop.this.name
            serde_params = _props(prop.args.get("serde_properties"))
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            delim = prop.args.get("fields")
            if delim is not None:
                value = delim.name.encode().decode("unicode_escape")
                serde_params.update({"field.delim": value, "serialization.format": value})
            for arg, key in (
                ("collection_items", "collection.delim"),
                ("map_keys", "mapkey.delim"),
            ):
                if prop.args.get(arg) is not None:
                    serde_params[key] = prop.args[arg].name
        elif isinstance(prop, exp.FileFormatProperty):
            fmt = prop.this.name.upper() if prop.this is not None else ""
            if fmt == "PARQUET":
                serde, parquet = tables.PARQUET, True
                serde_params.setdefault("serialization.format", "1")
            elif fmt not in ("TEXTFILE", ""):
                raise QueryFailed(f"NOT_SUPPORTED: STORED AS {fmt} is not readable by the emulator")
        elif isinstance(prop, exp.LocationProperty):
            location = prop.this.name
        elif isinstance(prop, exp.PartitionedByProperty):
            partition_keys = _columns(prop.this.expressions)
        elif isinstance(prop, exp.Property) and prop.args.get("value") is not None:
            parameters[prop.this.name] = prop.args["value"].name
    if serde == tables.LAZY_SIMPLE and "serialization.format" not in serde_params:
        serde_params["serialization.format"] = "1"
    if not location:
        raise QueryFailed(
            "INVALID_TABLE_PROPERTY: CREATE EXTERNAL TABLE needs a LOCATION 's3://...'"
        )
    if not location.startswith("s3://"):
        raise QueryFailed(f"INVALID_TABLE_PROPERTY: Location '{location}' is not an s3:// URI")
    sd = storage(serde, serde_params, parquet)
    sd.update(Columns=_columns(list(schema.expressions)), Location=location)
    ctx.catalog.glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", **parameters},
            "PartitionKeys": partition_keys,
            "StorageDescriptor": sd,
        },
    )
    return ResultSet()


def create_view(tree: exp.Create, ctx: StatementContext) -> ResultSet:
    """CREATE [OR REPLACE] VIEW: a VIRTUAL_VIEW in Glue holding the SQL, as Athena stores it."""
    from . import query  # views need the query engine to learn their column types

    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    db, name = _unquote(target.db or ctx.database), _unquote(target.name)
    if not ctx.catalog.database_exists(db):
        raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
    existing = ctx.catalog.find_table(db, name)
    if existing is not None and (existing.view_sql is None or not tree.args.get("replace")):
        what = "View" if existing.view_sql is not None else "Table"
        raise QueryFailed(
            f"ALREADY_EXISTS: line 1:1: {what} 'awsdatacatalog.{db}.{name}' already exists"
        )
    select = tree.args["expression"]
    con = query.connect(ctx)
    try:
        duck_sql = query.prepare(select, ctx, con)
        relation = query.run(con, f"SELECT * FROM ({duck_sql}) LIMIT 0", ctx)
        columns = [
            {"Name": n.lower(), "Type": types.duckdb_to_hive(str(t))}
            for n, t in zip(relation.columns, relation.types, strict=True)
        ]
    finally:
        con.close()
    original = select.sql(dialect="athena")
    table_input = {
        "Name": name,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": view_text(original, db, columns),
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {"Columns": columns, "SerdeInfo": {}, "Location": ""},
    }
    if existing is None:
        ctx.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
    else:
        ctx.catalog.glue.update_table(DatabaseName=db, TableInput=table_input)
    return ResultSet()


# DROP -----------------------------------------------------------------------------------------


def drop(tree: exp.Drop, ctx: StatementContext) -> ResultSet:
    kind = (tree.args.get("kind") or "").upper()
    target = tree.this if tree.this is not None else (tree.args.get("tables") or [None])[0]
    if target is None:
        raise QueryFailed("line 1:1: DROP needs a name")
    glue = ctx.catalog.glue
    if kind in ("DATABASE", "SCHEMA"):
        name = (target.db or target.name).lower()
        if not ctx.catalog.database_exists(name):
            if tree.args.get("exists"):
                return ResultSet()
            raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{name}' does not exist")
        found = ctx.catalog.tables(name)
        if found and not tree.args.get("cascade"):
            raise QueryFailed(
                f"InvalidOperationException: Database {name} is not empty. One or more tables "
                "exist. Drop them first, or use DROP DATABASE ... CASCADE."
            )
        for table in found:
            glue.delete_table(DatabaseName=name, Name=table["Name"])
        glue.delete_database(Name=name)
        return ResultSet()
    if kind in ("TABLE", "VIEW"):
        db, name = _unquote(target.db or ctx.database), _unquote(target.name)
        if ctx.catalog.find_table(db, name) is None if ctx.catalog.database_exists(db) else True:
            if tree.args.get("exists"):
                return ResultSet()
            raise QueryFailed(
                f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{db}.{name}' does not exist"
            )
        glue.delete_table(DatabaseName=db, Name=name)  # external data stays in S3, as on AWS
        return ResultSet()
    raise QueryFailed(f"NOT_SUPPORTED: DROP {kind} is not supported by the emulator")


# SHOW / DESCRIBE --------------------------------------------------------------------------------


def _hive_like(pattern: str | None, names: list[str]) -> list[str]:
    """Hive's SHOW pattern: `*` wildcard, `|` alternatives, case-insensitive."""
    if not pattern:
        return sorted(names)
    options = [p.strip().lower() for p in pattern.split("|")]
    return sorted(n for n in names if any(fnmatch.fnmatchcase(n.lower(), o) for o in options))


def show(text: str, ctx: StatementContext) -> ResultSet:
    body = text.strip().rstrip(";").strip()
    match = re.fullmatch(
        rf"(?is)TABLES(?:\s+(?:IN|FROM)\s+{_NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?", body
    )
    if match:
        db = _unquote(match.group(1)) if match.group(1) else ctx.database
        if not ctx.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
        names = _hive_like(match.group(2), [t["Name"] for t in ctx.catalog.tables(db)])
        return ResultSet(text_column_info(["tab_name"]), [[n] for n in names])
    match = re.fullmatch(r"(?is)(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?", body)
    if match:
        names = _hive_like(match.group(1), [d["Name"] for d in ctx.catalog.databases()])
        return ResultSet(text_column_info(["database_name"]), [[n] for n in names])
    match = re.fullmatch(rf"(?is)PARTITIONS\s+{_NAME}", body)
    if match:
        table = _table(match.group(1), ctx)
        rows = []
        for part in ctx.catalog.partitions(table):
            pairs = zip(table.partition_keys, part["Values"], strict=False)
            rows.append(["/".join(f"{k.name}={v}" for k, v in pairs)])
        return ResultSet(text_column_info(["partition"]), sorted(rows))
    match = re.fullmatch(rf"(?is)CREATE\s+(?:TABLE|VIEW)\s+{_NAME}", body)
    if match:
        lines = show_create_table(_table(match.group(1), ctx))
        return ResultSet(text_column_info(["createtab_stmt"]), [[line] for line in lines])
    match = re.fullmatch(rf"(?is)COLUMNS\s+(?:IN|FROM)\s+{_NAME}", body)
    if match:
        table = _table(match.group(1), ctx)
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


def _table(name: str, ctx: StatementContext) -> Table:
    db, table = split_name(name, ctx.database)
    return ctx.catalog.table(db, table)


def describe(tree: exp.Describe, ctx: StatementContext) -> ResultSet:
    node = tree.this
    table = ctx.catalog.table(_unquote(node.db or ctx.database), _unquote(node.name))
    comment = "from deserializer" if "json" in table.serde.lower() else ""
    rows = [[c.name, c.type, c.comment or comment] for c in table.all_columns]
    if table.partition_keys:
        rows += [[""], ["# Partition Information"], ["# col_name", "data_type", "comment"], [""]]
        rows += [[k.name, k.type, k.comment or ""] for k in table.partition_keys]
    cols = text_column_info(["col_name", "data_type", "comment"])
    return ResultSet(cols, [r + [""] * (3 - len(r)) for r in rows])


# Partitions -----------------------------------------------------------------------------------

_PARTITION = re.compile(r"(?is)PARTITION\s*\(([^)]*)\)(?:\s*LOCATION\s*'([^']*)')?")


def _partition_values(spec: str, table: Table) -> list[str]:
    given = {}
    for pair in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", spec):
        key, _, value = pair.partition("=")
        given[_unquote(key)] = value.strip().strip("'\"")
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
        rf"(?is)TABLE\s+{_NAME}\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)",
        text.strip().rstrip(";"),
    )
    if not match:
        raise QueryFailed("NOT_SUPPORTED: the emulator supports ALTER TABLE ... ADD/DROP PARTITION")
    table = _table(match.group(1), ctx)
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
    match = re.fullmatch(rf"(?is)\s*TABLE\s+{_NAME}\s*;?\s*", text)
    if not match:
        raise QueryFailed("line 1:1: MSCK REPAIR TABLE needs a table name")
    table = _table(match.group(1), ctx)
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
