"""Statements that write data files to S3: CTAS, INSERT INTO and UNLOAD.

DuckDB writes the files to a temporary folder (Hive-style `key=value/` folders when partitioned),
they are uploaded under the target prefix, and the written URIs go to the query's data manifest
(`<output>/<query-id>-manifest.csv`), which is how awswrangler finds CTAS and UNLOAD results.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from sqlglot import exp

from . import ddl, query, tables, transpile, types
from .catalog import Table
from .context import StatementContext
from .errors import QueryFailed
from .results import ResultSet


def _count_result(count: int) -> ResultSet:
    cols = [
        {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": "rows",
            "Label": "rows",
            "Type": "bigint",
            "Precision": 19,
            "Scale": 0,
            "Nullable": "UNKNOWN",
            "CaseSensitive": False,
        }
    ]
    return ResultSet(cols, [[str(count)]], header=True)


def _require_empty(ctx: StatementContext, location: str, what: str) -> None:
    if ctx.objects.list(location):
        raise QueryFailed(
            f"HIVE_PATH_ALREADY_EXISTS: Target directory for {what} already exists: {location}. "
            "Athena never overwrites data: delete the objects under that prefix or choose another "
            "location.",
            error_type=1500,
        )


def _copy_options(fmt: str, compression: str | None, delimiter: str) -> tuple[list[str], str]:
    """DuckDB COPY options and the file extension for an Athena format and write_compression.

    Athena's defaults: Parquet with SNAPPY, TEXTFILE and JSON gzipped; TEXTFILE has no header
    and no quoting, with `\\N` for NULL (what LazySimpleSerDe reads back).
    """
    if fmt not in ("PARQUET", "TEXTFILE", "JSON"):
        raise QueryFailed(
            f"NOT_SUPPORTED: the emulator writes PARQUET, TEXTFILE and JSON, not {fmt}"
        )
    codec = (compression or ("SNAPPY" if fmt == "PARQUET" else "GZIP")).upper()
    plain = codec in ("NONE", "UNCOMPRESSED")
    if fmt == "PARQUET":
        duck = "uncompressed" if plain else codec.lower()
        duck = duck if duck in ("snappy", "gzip", "zstd", "uncompressed") else "snappy"
        return ["FORMAT parquet", f"COMPRESSION {duck}"], ".parquet"
    options = [f"FORMAT {'csv' if fmt == 'TEXTFILE' else 'json'}"]
    options.append(f"COMPRESSION {'none' if plain else 'gzip'}")
    if fmt == "JSON":
        return options, ".json" if plain else ".json.gz"
    quoted = delimiter.replace("'", "''")
    options += [f"DELIMITER '{quoted}'", "HEADER false", "QUOTE ''", "NULLSTR '\\N'"]
    return options, "" if plain else ".gz"


def _write(
    ctx: StatementContext,
    duck_sql: str,
    con,
    target: str,
    fmt: str,
    compression: str | None,
    delimiter: str,
    partitioned_by: list[str],
) -> int:
    """Write the query's rows under `target` (s3://...) in `fmt`; returns the row count.

    Column names are written in lower case, as Athena (Trino) names every column.
    """
    names = query.run(con, duck_sql, ctx).columns
    lowered = ", ".join(f"{types.quote(n)} AS {types.quote(n.lower())}" for n in names)
    duck_sql = f"SELECT {lowered} FROM ({duck_sql})"
    options, ext = _copy_options(fmt, compression, delimiter)
    tmp = Path(tempfile.mkdtemp(prefix="athena-write-"))
    try:
        destination = tmp / (ctx.query_id + "_0" + ext)
        if partitioned_by:
            cols = ", ".join(types.quote(c) for c in partitioned_by)
            options += [f"PARTITION_BY ({cols})", f"FILENAME_PATTERN '{ctx.query_id}_{{i}}'"]
            destination = tmp
        copy = f"COPY ({duck_sql}) TO '{destination}' ({', '.join(options)})"
        count = query.execute(con, copy, ctx)
        if not count:  # Athena writes no data file for an empty result
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        base = target if target.endswith("/") else target + "/"
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            relative = path.relative_to(tmp).as_posix()
            if partitioned_by and not relative.endswith(ext):
                relative += ext
            uri = base + relative
            ctx.put(uri, path.read_bytes())
            ctx.manifest.append(uri)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return count


def _properties(tree: exp.Create) -> dict[str, object]:
    props: dict[str, object] = {}
    for prop in (tree.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.FileFormatProperty):
            props["format"] = prop.this.name
        elif isinstance(prop, exp.PartitionedByProperty):
            node = prop.this
            items = node.expressions if hasattr(node, "expressions") else [node]
            props["partitioned_by"] = [i.name for i in items]
        elif isinstance(prop, exp.Property):
            value = prop.args.get("value")
            if isinstance(value, exp.Array):
                props[prop.this.name.lower()] = [v.name for v in value.expressions]
            elif value is not None:
                props[prop.this.name.lower()] = value.name
    return props


def _serde_for(fmt: str, delimiter: str) -> tuple[str, dict[str, str], bool]:
    if fmt == "PARQUET":
        return tables.PARQUET, {"serialization.format": "1"}, True
    if fmt == "JSON":
        return "org.apache.hive.hcatalog.data.JsonSerDe", {}, False
    return tables.LAZY_SIMPLE, {"field.delim": delimiter, "serialization.format": delimiter}, False


def ctas(tree: exp.Create, ctx: StatementContext) -> ResultSet:
    """CREATE TABLE ... WITH (format, external_location, partitioned_by, ...) AS SELECT."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    db, name = (target.db or ctx.database).lower(), target.name.lower()
    if not ctx.catalog.database_exists(db):
        raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
    if ctx.catalog.find_table(db, name) is not None:
        if tree.args.get("exists"):
            return _count_result(0)
        raise QueryFailed(
            f"TABLE_ALREADY_EXISTS: line 1:1: Destination table 'awsdatacatalog.{db}.{name}' "
            "already exists"
        )
    props = _properties(tree)
    fmt = str(props.get("format", "PARQUET")).upper()
    if str(props.get("table_type", "HIVE")).upper() == "ICEBERG":
        raise QueryFailed("NOT_SUPPORTED: Iceberg tables are not supported by the local emulator")
    location = str(props.get("external_location") or f"{ctx.output_dir}/tables/{ctx.query_id}/")
    _require_empty(ctx, location, f"table '{db}.{name}'")
    delimiter = str(props.get("field_delimiter", "\x01"))
    partitioned_by = [p.lower() for p in props.get("partitioned_by", [])]  # type: ignore[union-attr]
    compression = props.get("write_compression") or props.get("parquet_compression")
    con = query.connect(ctx)
    try:
        duck_sql = query.prepare(tree.args["expression"], ctx, con)
        relation = query.run(con, duck_sql, ctx)
        names = [n.lower() for n in relation.columns]
        hive = [types.duckdb_to_hive(str(t)) for t in relation.types]
        missing = [p for p in partitioned_by if p not in names]
        if missing:
            raise QueryFailed(
                f"INVALID_TABLE_PROPERTY: Partition columns {missing} not present in the query"
            )
        with_data = (
            tree.args.get("with_data") is not False and "WITH NO DATA" not in ctx.sql.upper()
        )
        count = 0
        if with_data:
            count = _write(
                ctx, duck_sql, con, location, fmt, compression, delimiter, partitioned_by
            )
    finally:
        con.close()
    serde, serde_params, parquet = _serde_for(fmt, delimiter)
    columns = [
        {"Name": n, "Type": t} for n, t in zip(names, hive, strict=True) if n not in partitioned_by
    ]
    keys = [{"Name": n, "Type": t} for n, t in zip(names, hive, strict=True) if n in partitioned_by]
    sd = ddl.storage(serde, serde_params, parquet)
    sd.update(Columns=columns, Location=location)
    params = {"EXTERNAL": "TRUE", "has_encrypted_data": "false"}
    if fmt == "PARQUET":
        params["parquet.compression"] = str(compression or "SNAPPY").upper()
    ctx.catalog.glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
            "PartitionKeys": keys,
            "StorageDescriptor": sd,
        },
    )
    if keys and with_data:
        _register_written_partitions(ctx, ctx.catalog.table(db, name))
    return _count_result(count)


def _register_written_partitions(ctx: StatementContext, table: Table) -> None:
    base = table.location if table.location.endswith("/") else table.location + "/"
    found = {}
    for uri in ctx.manifest:
        parts = uri[len(base) :].split("/")[: len(table.partition_keys)]
        values = [p.partition("=")[2] for p in parts]
        found[tuple(values)] = base + "/".join(parts) + "/"
    ctx.catalog.add_partitions(table, [(list(v), loc) for v, loc in sorted(found.items())])


def insert(tree: exp.Insert, ctx: StatementContext) -> ResultSet:
    """INSERT INTO db.table [(columns)] SELECT ...: new files in the table's format."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    table = ctx.catalog.table(
        (target.db or ctx.database).lower(),
        target.name.lower(),
        where=transpile.where(ctx.sql, target),
    )
    fmt = (
        "PARQUET"
        if table.serde == tables.PARQUET
        else ("JSON" if "json" in table.serde.lower() else "TEXTFILE")
    )
    if table.serde == tables.OPEN_CSV:
        raise QueryFailed(
            "NOT_SUPPORTED: INSERT INTO an OpenCSVSerde table is not supported by Athena"
        )
    delimiter = table.serde_params.get("field.delim", "\x01")
    all_cols = table.all_columns
    given = (
        [c.name.lower() for c in tree.this.expressions]
        if isinstance(tree.this, exp.Schema)
        else [c.name for c in all_cols]
    )
    con = query.connect(ctx)
    try:
        inner = query.prepare(tree.args["expression"], ctx, con)
        relation = query.run(con, inner, ctx)
        if len(relation.columns) != len(given):
            raise QueryFailed(
                f"TYPE_MISMATCH: line 1:1: Insert query has {len(relation.columns)} columns, "
                f"but table '{table.database}.{table.name}' has {len(given)} target columns"
            )
        source = dict(zip(given, relation.columns, strict=True))
        projection = []
        for col in all_cols:
            duck = types.duckdb_type(types.parse_hive(col.type))
            value = f"src.{types.quote(source[col.name])}" if col.name in source else "NULL"
            projection.append(f"CAST({value} AS {duck}) AS {types.quote(col.name)}")
        duck_sql = f"SELECT {', '.join(projection)} FROM ({inner}) AS src"
        keys = [k.name for k in table.partition_keys]
        count = _write(ctx, duck_sql, con, table.location, fmt, None, delimiter, keys)
    finally:
        con.close()
    if keys:
        _register_written_partitions(ctx, table)
    return _count_result(count)


_UNLOAD = re.compile(
    r"(?is)^\s*\((?P<query>.*)\)\s*TO\s*'(?P<to>[^']*)'\s*WITH\s*\((?P<props>.*)\)\s*;?\s*$"
)


def _unload_props(text: str) -> dict[str, object]:
    props: dict[str, object] = {}
    for match in re.finditer(r"(\w+)\s*=\s*(ARRAY\s*\[[^\]]*\]|'[^']*')", text):
        key, value = match.group(1).lower(), match.group(2)
        if value.upper().startswith("ARRAY"):
            props[key] = re.findall(r"'([^']*)'", value)
        else:
            props[key] = value.strip("'")
    return props


def unload(text: str, ctx: StatementContext) -> ResultSet:
    """UNLOAD (SELECT ...) TO 's3://...' WITH (format = ..., compression = ..., ...)."""
    match = _UNLOAD.match(text)
    if not match:
        raise QueryFailed("line 1:1: UNLOAD needs (SELECT ...) TO 's3://...' WITH (format = '...')")
    props = _unload_props(match.group("props"))
    fmt = str(props.get("format", "")).upper()
    if not fmt:
        raise QueryFailed(
            "line 1:1: UNLOAD needs WITH (format = 'PARQUET' | 'TEXTFILE' | 'JSON' | ...)"
        )
    target = match.group("to")
    _require_empty(ctx, target, "UNLOAD")
    tree = transpile.parse(match.group("query"))
    con = query.connect(ctx)
    try:
        duck_sql = query.prepare(tree, ctx, con)
        partitioned_by = [p.lower() for p in props.get("partitioned_by", [])]  # type: ignore[union-attr]
        count = _write(
            ctx,
            duck_sql,
            con,
            target,
            fmt,
            props.get("compression"),  # type: ignore[arg-type]
            str(props.get("field_delimiter", "\x01")),
            partitioned_by,
        )
    finally:
        con.close()
    return _count_result(count)
