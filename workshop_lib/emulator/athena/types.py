"""Type names in the three worlds a table lives in: Glue/Hive, DuckDB, and Athena's result sets."""

from __future__ import annotations

from sqlglot import exp

_HIVE_SCALARS = {
    "TEXT": "string",
    "VARCHAR": "string",
    "CHAR": "string",
    "INT": "int",
    "BIGINT": "bigint",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "FLOAT": "float",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMPTZ": "timestamp",
    "BINARY": "binary",
    "VARBINARY": "binary",
    "DECIMAL": "decimal",
}

_DUCKDB_SCALARS = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "float": "FLOAT",
    "real": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
    "varbinary": "BLOB",
}


def parse_hive(type_string: str) -> exp.DataType:
    """A Glue/Hive column type (`struct<a:string,b:array<int>>`) as a sqlglot DataType."""
    return exp.DataType.build(type_string, dialect="hive")


def fields(dtype: exp.DataType) -> list[tuple[str, exp.DataType]]:
    """The (name, type) fields of a STRUCT DataType."""
    return [(f.this.name, f.args["kind"]) for f in dtype.expressions]


def hive_name(dtype: exp.DataType) -> str:
    """The Glue catalog spelling of a type, as Athena DDL stores it: lower case, no spaces."""
    kind = dtype.this
    if kind == exp.DType.STRUCT:
        inner = ",".join(f"{name}:{hive_name(t)}" for name, t in fields(dtype))
        return f"struct<{inner}>"
    if kind == exp.DType.ARRAY:
        return f"array<{hive_name(dtype.expressions[0])}>"
    if kind == exp.DType.MAP:
        key, value = dtype.expressions
        return f"map<{hive_name(key)},{hive_name(value)}>"
    name = kind.value
    if name == "DECIMAL" and dtype.expressions:
        return "decimal(" + ",".join(e.sql() for e in dtype.expressions) + ")"
    if name in ("VARCHAR", "CHAR") and dtype.expressions:
        return f"{name.lower()}({dtype.expressions[0].sql()})"
    return _HIVE_SCALARS.get(name, name.lower())


def quote(name: str) -> str:
    """A DuckDB identifier, always quoted (column names like `timestamp` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(dtype: exp.DataType, names: dict | None = None) -> str:
    """DuckDB spelling of a Hive type; `names` renames struct fields (Glue name -> JSON key).

    `names` is a tree: {glue_field: (json_key, subtree)}; it lets the JSON reader look keys up
    by the names the file really uses while the table keeps the Glue names.
    """
    names = names or {}
    kind = dtype.this
    if kind == exp.DType.STRUCT:
        parts = []
        for name, t in fields(dtype):
            key, sub = names.get(name, (name, None))
            parts.append(f"{quote(key)} {duckdb_type(t, sub)}")
        return f"STRUCT({', '.join(parts)})"
    if kind == exp.DType.ARRAY:
        return f"{duckdb_type(dtype.expressions[0], names)}[]"
    if kind == exp.DType.MAP:
        key, value = dtype.expressions
        return f"MAP({duckdb_type(key)}, {duckdb_type(value, names)})"
    hive = hive_name(dtype)
    if hive.startswith("decimal"):
        return hive.upper()
    return _DUCKDB_SCALARS.get(hive.split("(")[0], "VARCHAR")


def duckdb_to_hive(duck_type: str) -> str:
    """The Glue type for a DuckDB result column (CTAS, INSERT INTO and UNLOAD tables)."""
    dtype = exp.DataType.build(duck_type, dialect="duckdb")
    return hive_name(dtype).replace("timestamptz", "timestamp")


def athena_name(duck_type: str) -> tuple[str, int, int]:
    """(Athena type name, precision, scale) for a DuckDB result column, as ColumnInfo shows it."""
    t = duck_type.upper()
    if t.endswith("[]") or t.startswith("LIST"):
        return "array", 0, 0
    if t.startswith("STRUCT"):
        return "row", 0, 0
    if t.startswith("MAP"):
        return "map", 0, 0
    if t.startswith("DECIMAL"):
        precision, scale = (int(x) for x in t[8:-1].split(","))
        return "decimal", precision, scale
    simple = {
        "VARCHAR": ("varchar", 2147483647),
        "BIGINT": ("bigint", 19),
        "HUGEINT": ("bigint", 19),
        "UBIGINT": ("bigint", 19),
        "INTEGER": ("integer", 10),
        "UINTEGER": ("bigint", 19),
        "SMALLINT": ("smallint", 5),
        "TINYINT": ("tinyint", 3),
        "DOUBLE": ("double", 17),
        "FLOAT": ("real", 17),
        "BOOLEAN": ("boolean", 0),
        "DATE": ("date", 0),
        "TIMESTAMP": ("timestamp", 3),
        "TIMESTAMP_MS": ("timestamp", 3),
        "TIMESTAMP_NS": ("timestamp", 3),
        "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", 3),
        "TIME": ("time", 3),
        "BLOB": ("varbinary", 2147483647),
        "UUID": ("varchar", 2147483647),
        "JSON": ("json", 0),
        "INTERVAL": ("interval day to second", 0),
    }
    name, precision = simple.get(t, ("varchar", 2147483647))
    return name, precision, 0
