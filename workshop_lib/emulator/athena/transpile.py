"""Athena (Trino) SQL to DuckDB: sqlglot does most of it, this module fixes what it gets wrong.

Fixes: Joda-format `parse_datetime` / `format_datetime`, `to_iso8601`, `at_timezone`,
`url_extract_*`, Trino's printf-style `format`. Integer division is Trino's because the DuckDB
connection runs with `integer_division` on (see execution). Table references are replaced by the
views that read the catalog tables, keeping the original name as alias.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .errors import InvalidRequest, position

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_JODA = [
    ("yyyy", "%Y"),
    ("YYYY", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("h", "%-I"),
    ("mm", "%M"),
    ("m", "%-M"),
    ("ss", "%S"),
    ("s", "%-S"),
    ("SSSSSS", "%f"),
    ("SSS", "%g"),
    ("a", "%p"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("ZZ", "%z"),
    ("Z", "%z"),
    ("DDD", "%j"),
]


def joda_to_strftime(fmt: str) -> str:
    """A Joda-Time pattern (Trino's format_datetime/parse_datetime) as a strftime pattern."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "'":
            end = fmt.find("'", i + 1)
            end = len(fmt) if end < 0 else end
            out.append(fmt[i + 1 : end].replace("%", "%%") or "'")
            i = end + 1
            continue
        for joda, strf in _JODA:
            if fmt.startswith(joda, i):
                out.append(strf)
                i += len(joda)
                break
        else:
            out.append("%%" if fmt[i] == "%" else fmt[i])
            i += 1
    return "".join(out)


def parse(sql: str) -> exp.Expression:
    """One Athena statement, or InvalidRequest with Athena's `line L:C: ...` message."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        line, col = detail.get("line") or 1, detail.get("col") or 1
        highlight = detail.get("highlight") or ""
        col = max(1, col - len(highlight) + 1)
        message = _plain(detail.get("description") or str(err))
        near = f"mismatched input '{highlight}'. " if highlight else ""
        raise InvalidRequest(f"line {line}:{col}: {near}{message}") from None
    except TokenError as err:
        raise InvalidRequest(f"line 1:1: {err}") from None
    if not statements:
        raise InvalidRequest(
            "line 1:1: mismatched input '<EOF>'. Expecting: 'ALTER', 'CREATE', 'DESCRIBE', "
            "'DROP', 'INSERT', 'MSCK', 'SHOW', 'UNLOAD', <query>"
        )
    if len(statements) > 1:
        raise InvalidRequest("Only one sql statement is allowed.")
    return statements[0]


def _plain(description: str) -> str:
    """sqlglot's parse error in words a SQL user knows (no Python class names)."""
    missing = re.match(
        r"Required keyword: '(\w+)' missing for <class '[\w.]*\.(\w+)'>", description
    )
    if missing:
        wanted = "expression" if missing.group(1) in ("this", "expression") else missing.group(1)
        return f"Expecting: <{wanted}> to complete {missing.group(2).upper()}"
    return re.sub(r"\s*for <class '[^']*'>", "", description)


def table_references(tree: exp.Expression) -> list[exp.Table]:
    """Catalog tables a query reads (CTE names and table functions excluded)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    refs = []
    for table in tree.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        refs.append(table)
    return refs


def partition_filter(table: exp.Table, keys: list[str]) -> dict[str, set[str]]:
    """Values the query's WHERE allows for each partition key (`key = 'v'`, `key IN (...)`).

    Only top-level AND conjuncts of the SELECT that reads `table` count, so a partition that is
    skipped can hold no row of the result (Athena prunes partitions the same way).
    """
    select = table.find_ancestor(exp.Select)
    condition = select.args.get("where") if select is not None else None
    if condition is None:
        return {}
    names = {table.alias_or_name.lower(), table.name.lower(), ""}
    allowed: dict[str, set[str]] = {}
    for part in (
        condition.this.flatten() if isinstance(condition.this, exp.And) else [condition.this]
    ):
        column, values = None, []
        if isinstance(part, exp.EQ):
            column, values = part.this, [part.expression]
        elif isinstance(part, exp.In) and not part.args.get("query"):
            column, values = part.this, part.expressions
        if not isinstance(column, exp.Column) or column.table.lower() not in names:
            continue
        key = column.name.lower()
        if key in keys and values and all(isinstance(v, exp.Literal) for v in values):
            found = {str(v.this) for v in values}
            allowed[key] = allowed[key] & found if key in allowed else found
    return allowed


def where(sql: str, node: exp.Expression) -> str:
    """`line L:C` of a node in the original SQL (Athena's position format)."""
    ident = node.this if isinstance(node.this, exp.Identifier) else node
    if isinstance(node, exp.Table) and node.args.get("db") is not None:
        ident = node.args["db"]
    meta = getattr(ident, "meta", None) or {}
    if "start" in meta:
        line, col = position(sql, meta["start"])
        return f"line {line}:{col}"
    return "line 1:1"


def _fix(node: exp.Expression) -> exp.Expression:
    """Rewrite one node that sqlglot would hand to DuckDB with the wrong meaning."""
    if isinstance(node, exp.ParseDatetime) or (
        isinstance(node, exp.StrToTime) and _is_joda(node.args.get("format"))
    ):
        fmt = node.args.get("format")
        pattern = joda_to_strftime(fmt.this) if isinstance(fmt, exp.Literal) else "%Y-%m-%d"
        return exp.func("strptime", node.this, exp.Literal.string(pattern))
    if isinstance(node, exp.Format):
        return exp.func("printf", node.this, *node.expressions)
    if not isinstance(node, exp.Anonymous):
        return node
    name, args = node.name.lower(), node.expressions
    if name == "format_datetime" and len(args) == 2 and isinstance(args[1], exp.Literal):
        return exp.func("strftime", args[0], exp.Literal.string(joda_to_strftime(args[1].this)))
    if name == "to_iso8601" and args:
        iso = "%Y-%m-%dT%H:%M:%S.%gZ"
        utc = exp.AtTimeZone(this=args[0], zone=exp.Literal.string("UTC"))
        return exp.func("strftime", utc, exp.Literal.string(iso))
    if name == "at_timezone" and len(args) == 2:
        return exp.AtTimeZone(this=args[0], zone=args[1])
    if name == "url_extract_host" and args:
        return exp.func("regexp_extract", args[0], exp.Literal.string("^[a-z]+://([^/:?#]+)"), 1)
    if name == "url_extract_path" and args:
        return exp.func("regexp_extract", args[0], exp.Literal.string("^[a-z]+://[^/]+([^?#]*)"), 1)
    return node


def _is_joda(fmt: exp.Expression | None) -> bool:
    return (
        isinstance(fmt, exp.Literal)
        and "%" not in fmt.this
        and bool(re.search("yy|MM|dd", fmt.this))
    )


def _name_columns(tree: exp.Expression) -> None:
    """Athena names an unnamed output column `_colN` (N = its position)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for i, item in enumerate(select.expressions):
        if not isinstance(item, exp.Alias | exp.Column | exp.Star | exp.Dot):
            item.replace(exp.alias_(item.copy(), f"_col{i}", quoted=True))


def to_duckdb(tree: exp.Expression, view_for: Callable[[exp.Table], str]) -> str:
    """DuckDB SQL for a parsed Athena query; `view_for` names the view that reads each table."""
    tree = tree.copy()
    _name_columns(tree)
    for table in table_references(tree):
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        table.replace(exp.Table(this=exp.to_identifier(view_for(table), quoted=True), alias=alias))
    tree = tree.transform(_fix)
    return tree.sql(dialect="duckdb")
