"""Athena DDL applied to the Glue catalog: CREATE DATABASE/SCHEMA, CREATE EXTERNAL TABLE (JSON,
CSV and Parquet SerDes, PARTITIONED BY, SERDEPROPERTIES, TBLPROPERTIES), CREATE VIEW and DROP.

Errors read like Athena's, so a learner can act on them.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import tables, types
from .catalog import Table, view_text
from .context import StatementContext
from .errors import QueryFailed
from .results import ResultSet

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

_IDENT = r'(?:`[^`]+`|"[^"]+"|[\w$]+)'
NAME = rf"({_IDENT}(?:\s*\.\s*{_IDENT})?)"


def unquote(name: str) -> str:
    return name.strip().strip('`"').lower()


def split_name(name: str, default_db: str) -> tuple[str, str]:
    """('db', 'table') from `db.table`, "db"."table" or `table`."""
    parts = [unquote(p) for p in re.split(r"\s*\.\s*(?=[`\"\w$])", name.strip())]
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
    db, name = unquote(target.db or ctx.database), unquote(target.name)
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
        db, name = unquote(target.db or ctx.database), unquote(target.name)
        if ctx.catalog.find_table(db, name) is None if ctx.catalog.database_exists(db) else True:
            if tree.args.get("exists"):
                return ResultSet()
            raise QueryFailed(
                f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{db}.{name}' does not exist"
            )
        glue.delete_table(DatabaseName=db, Name=name)  # external data stays in S3, as on AWS
        return ResultSet()
    raise QueryFailed(f"NOT_SUPPORTED: DROP {kind} is not supported by the emulator")


def named_table(name: str, ctx: StatementContext) -> Table:
    db, table = split_name(name, ctx.database)
    return ctx.catalog.table(db, table)
