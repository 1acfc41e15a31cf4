"""Run a SELECT: resolve the catalog tables into DuckDB views, transpile, execute, format."""

from __future__ import annotations

import re

import duckdb
from sqlglot import exp

from . import information_schema, results, transpile
from .context import StatementContext
from .errors import QueryFailed


def connect(ctx: StatementContext) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB connection with Trino's semantics where a setting gives them."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; SET integer_division = true; SET threads = 2")
    ctx.connection = con
    return con


def prepare(
    tree: exp.Expression,
    ctx: StatementContext,
    con: duckdb.DuckDBPyConnection,
    database: str | None = None,
    views: dict[tuple[str, ...], str] | None = None,
    depth: int = 0,
) -> str:
    """DuckDB SQL for an Athena query, with a DuckDB view per catalog table or view it reads.

    `database` is the default schema (a view's own schema while expanding it); `views` is shared
    by the nested expansions so each table (with one set of pruned partitions) is read once.
    """
    database = database or ctx.database
    views = {} if views is None else views
    if depth > 10:
        raise QueryFailed("VIEW_IS_RECURSIVE: views nest more than 10 levels deep")

    def view_for(table: exp.Table) -> str:
        catalog = table.catalog.lower()
        if catalog and catalog != "awsdatacatalog":
            raise QueryFailed(
                f"CATALOG_NOT_FOUND: {transpile.where(ctx.sql, table)}: Catalog '{catalog}' "
                "does not exist"
            )
        db, name = (table.db or database).lower(), table.name.lower()
        if db == "information_schema":
            if (db, name) not in views:
                body = information_schema.relation(ctx.catalog, name)
                if body is None:
                    raise QueryFailed(
                        f"TABLE_NOT_FOUND: {transpile.where(ctx.sql, table)}: Table "
                        f"'awsdatacatalog.information_schema.{name}' does not exist"
                    )
                views[(db, name)] = f"athena_information_schema__{name}"
                con.execute(f'CREATE TEMP VIEW "{views[(db, name)]}" AS {body}')
            return views[(db, name)]
        found = ctx.catalog.table(db, name, where=transpile.where(ctx.sql, table))
        keys = [k.name for k in found.partition_keys]
        only = transpile.partition_filter(table, keys) if keys else {}
        key = (db, name, repr(sorted((k, sorted(v)) for k, v in only.items())))
        if key not in views:
            if found.view_sql is not None:
                body = prepare(
                    transpile.parse(found.view_sql), ctx, con, found.database, views, depth + 1
                )
            else:
                relation = ctx.reader.relation(found, with_path='"$path"' in ctx.sql, only=only)
                ctx.scanned_bytes += relation.scanned_bytes
                body = relation.sql
            views[key] = f"athena_{db}__{name}_{len(views)}"
            con.execute(f'CREATE TEMP VIEW "{views[key]}" AS {body}')
        return views[key]

    return transpile.to_duckdb(tree, view_for)


def run_select(tree: exp.Expression, ctx: StatementContext) -> results.ResultSet:
    con = connect(ctx)
    try:
        duck_sql = prepare(tree, ctx, con)
        relation = run(con, duck_sql, ctx)
        names, duck_types = [n.lower() for n in relation.columns], [str(t) for t in relation.types]
        spool = results.RowSpool(ctx.objects.root)
        cursor = con.execute(duck_sql)
        while batch := cursor.fetchmany(5000):
            spool.extend([results.text(v) for v in row] for row in batch)
        spool.close()
    except duckdb.Error as exc:
        raise failure(exc, ctx.sql) from None
    finally:
        con.close()
    return results.ResultSet(results.column_info(names, duck_types), header=True, spool=spool)


def run(con: duckdb.DuckDBPyConnection, duck_sql: str, ctx: StatementContext):
    """Execute DuckDB SQL and return the relation, mapping engine errors to Athena's."""
    try:
        return con.sql(duck_sql)
    except duckdb.Error as exc:
        raise failure(exc, ctx.sql) from None


def execute(con: duckdb.DuckDBPyConnection, duck_sql: str, ctx: StatementContext) -> int:
    """Run a COPY statement, mapping errors to Athena's; returns the rows it wrote."""
    try:
        written = con.execute(duck_sql).fetchall()
    except duckdb.Error as exc:
        raise failure(exc, ctx.sql) from None
    return int(written[0][0]) if written and written[0] else 0


def _locate(sql: str, name: str) -> str:
    match = re.search(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", sql, re.IGNORECASE)
    if not match:
        return "line 1:1"
    before = sql[: match.start()]
    return f"line {before.count(chr(10)) + 1}:{match.start() - (before.rfind(chr(10)) + 1) + 1}"


def failure(exc: Exception, sql: str) -> Exception:
    """An Athena-style failure reason for a DuckDB error (kept specific where we can)."""
    if isinstance(exc, QueryFailed):
        return exc
    message = str(exc).split("\n")[0]
    if isinstance(exc, duckdb.InterruptException):
        return QueryFailed("Query cancelled by user", category=2, error_type=1005)
    column = re.search(r'Referenced column "([^"]+)" not found', message)
    if column:
        name = column.group(1)
        return QueryFailed(
            f"COLUMN_NOT_FOUND: {_locate(sql, name)}: Column '{name}' cannot be resolved or "
            "requester is not authorized to access requested resources"
        )
    field = re.search(r'Could not find key "([^"]+)" in struct', message)
    if field:
        name = field.group(1)
        return QueryFailed(
            f"COLUMN_NOT_FOUND: {_locate(sql, name)}: Field '{name}' not found in row"
        )
    func = re.search(r"Function with name (\w+) does not exist", message)
    if func:
        name = func.group(1)
        return QueryFailed(
            f"FUNCTION_NOT_FOUND: {_locate(sql, name)}: Function '{name}' not registered"
        )
    if "Malformed JSON" in message or ("JSON" in message and "parse" in message.lower()):
        return QueryFailed(
            f"HIVE_CURSOR_ERROR: Row is not a valid JSON Object - {message}. Fix the file, or add "
            "'ignore.malformed.json'='true' to the table's SERDEPROPERTIES to read such lines "
            "as NULL rows."
        )
    if "Division by zero" in message:
        return QueryFailed("DIVISION_BY_ZERO: Division by zero")
    if isinstance(exc, duckdb.ConversionException | duckdb.InvalidInputException):
        return QueryFailed(f"INVALID_CAST_ARGUMENT: {message}")
    if isinstance(exc, duckdb.BinderException):
        return QueryFailed(f"TYPE_MISMATCH: line 1:1: {message}")
    return QueryFailed(f"GENERIC_USER_ERROR: {message}")
