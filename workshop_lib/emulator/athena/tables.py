"""A Glue table's S3 objects as a DuckDB relation (SQL text), read the way its SerDe would.

- OpenX / Hive JSON SerDe: gzipped or plain NDJSON; JSON keys match columns case-insensitively,
  `mapping.<column>` SERDEPROPERTIES rename keys (at any nesting level, as the OpenX SerDe does),
  `ignore.malformed.json` turns a bad line into a row of NULLs (otherwise the query fails).
- LazySimpleSerDe (delimited text, `\\N` is NULL) and OpenCSVSerde (quoted CSV); both honour
  `skip.header.line.count`. Columns are positional; values that do not parse become NULL.
- Parquet: columns matched by name, case-insensitively.
Partitioned tables read each Glue partition's location and add the partition values as columns.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from . import types
from .catalog import Catalog, Column, Table
from .errors import QueryFailed
from .s3files import ObjectCache, S3Object

JSON_SERDES = ("org.openx.data.jsonserde.JsonSerDe", "org.apache.hive.hcatalog.data.JsonSerDe")
LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
# JSON key casing is learnt from every file up to this much data, else from three sample files
DETECT_ALL_BYTES = 16 * 2**20


@dataclass
class Relation:
    """SQL for a table's rows plus what reading it costs (for Statistics)."""

    sql: str
    scanned_bytes: int


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _empty(columns: list[Column], extra: list[str]) -> str:
    cols = ", ".join(
        [
            f"CAST(NULL AS {types.duckdb_type(types.parse_hive(c.type))}) AS {types.quote(c.name)}"
            for c in columns
        ]
        + extra
    )
    return f"SELECT {cols} WHERE false"


class TableReader:
    """Builds the DuckDB relation for a table, with JSON key casing detection cached by ETag."""

    def __init__(self, catalog: Catalog, objects: ObjectCache) -> None:
        self.catalog = catalog
        self.objects = objects
        self._detected: dict[tuple[str, ...], dict[str, exp.DataType]] = {}
        self._lock = threading.Lock()

    def relation(
        self, table: Table, with_path: bool = False, only: dict[str, set[str]] | None = None
    ) -> Relation:
        """The table's rows; `with_path` adds Athena's hidden `$path` column (the object URI).

        `only` prunes partitions: {key: allowed values}; other partitions are not read at all.
        """
        groups: list[tuple[list[S3Object], list[str]]] = []
        if table.partition_keys:
            for part in self.catalog.partitions(table):
                if not _partition_allowed(table, part["Values"], only or {}):
                    continue
                location = part.get("StorageDescriptor", {}).get("Location", "")
                groups.append((self.objects.list(location), part["Values"]))
        else:
            groups.append((self.objects.list(table.location), []))
        selects, scanned = [], 0
        for objects, values in groups:
            if not objects:
                continue
            scanned += sum(o.size for o in objects)
            paths = self.objects.fetch(objects)
            constants = [
                f"CAST({_literal(v)} AS {types.duckdb_type(types.parse_hive(k.type))}) "
                f"AS {types.quote(k.name)}"
                for k, v in zip(table.partition_keys, values, strict=False)
            ]
            option = ""
            if with_path:
                uris = ", ".join(
                    f"{_literal(str(p))}: {_literal(o.uri)}"
                    for p, o in zip(paths, objects, strict=True)
                )
                constants.append(f'MAP {{{uris}}}["$path"] AS "$path"')
                option = ", filename='$path'"
            selects.append(self._read(table, paths, constants, option))
        if not selects:
            path = ['CAST(NULL AS VARCHAR) AS "$path"'] if with_path else []
            return Relation(_empty(table.all_columns, path), 0)
        return Relation("\nUNION ALL\n".join(selects), scanned)

    def _read(self, table: Table, paths: list[Path], constants: list[str], option: str) -> str:
        serde = table.serde
        if serde in JSON_SERDES or "json" in serde.lower():
            return self._json(table, paths, constants, option)
        if serde == PARQUET or "parquet" in table.input_format.lower():
            return self._parquet(table, paths, constants, option)
        if serde in (LAZY_SIMPLE, OPEN_CSV):
            return self._delimited(table, paths, constants, option)
        raise QueryFailed(
            f"HIVE_UNSUPPORTED_FORMAT: the local emulator cannot read SerDe '{serde}' of table "
            f"{table.database}.{table.name}; it reads JSON, CSV/TEXTFILE and Parquet tables."
        )

    # JSON -------------------------------------------------------------------------------------

    def _detect(self, paths: list[Path]) -> dict[str, exp.DataType]:
        """The JSON keys (with their real casing) and shapes, from all files or a sample.

        Keys are then read by their real names; a key whose casing appears only in files
        outside the sample of a large table reads as NULL (the price of a fast first query).
        """
        small = sum(p.stat().st_size for p in paths) <= DETECT_ALL_BYTES
        sample = sorted(paths) if small else sorted({paths[0], paths[len(paths) // 2], paths[-1]})
        cache_key = tuple(str(p) for p in sample)
        with self._lock:
            if cache_key in self._detected:
                return self._detected[cache_key]
        detected: dict[str, exp.DataType] = {}
        con = duckdb.connect()
        try:
            rows = con.sql(
                f"DESCRIBE SELECT * FROM read_json({_sql_list(sample)}, "
                "format='newline_delimited', sample_size=-1, map_inference_threshold=-1, "
                "ignore_errors=true, union_by_name=true)"
            ).fetchall()
            for name, duck_type, *_ in rows:
                try:
                    detected[name] = exp.DataType.build(duck_type, dialect="duckdb")
                except Exception:  # an exotic detected type: keep the key, not its shape
                    detected[name] = exp.DataType.build("VARCHAR")
        except duckdb.Error:
            pass  # nothing parseable in the sample: fall back to the column names
        finally:
            con.close()
        with self._lock:
            self._detected[cache_key] = detected
        return detected

    def _json(self, table: Table, paths: list[Path], constants: list[str], option: str) -> str:
        params = {k.lower(): v for k, v in table.serde_params.items()}
        mapping = {k[8:]: v for k, v in params.items() if k.startswith("mapping.")}
        ignore_malformed = params.get("ignore.malformed.json", "false").lower() == "true"
        detected = self._detect(paths)
        by_lower = {name.lower(): (name, t) for name, t in detected.items()}
        declared, projection, used = [], [], {}
        for col in table.columns:
            glue_type = types.parse_hive(col.type)
            wanted = mapping.get(col.name, col.name)
            key, found_type = by_lower.get(wanted.lower(), (wanted, None))
            if key.lower() not in used:  # two columns mapped to one key read it once
                names = _key_tree(glue_type, found_type, mapping)
                declared.append(f"{_literal(key)}: {_literal(types.duckdb_type(glue_type, names))}")
                used[key.lower()] = _renamed(types.quote(key), glue_type, names, 0)
            projection.append(f"{used[key.lower()]} AS {types.quote(col.name)}")
        options = (
            f"format='newline_delimited', columns={{{', '.join(declared)}}}, "
            f"ignore_errors={'true' if ignore_malformed else 'false'}"
        )
        cols = ", ".join(projection + constants)
        return f"SELECT {cols} FROM read_json({_sql_list(paths)}, {options}{option})"

    # Parquet ----------------------------------------------------------------------------------

    def _parquet(self, table: Table, paths: list[Path], constants: list[str], option: str) -> str:
        con = duckdb.connect()
        try:
            rows = con.sql(
                f"DESCRIBE SELECT * FROM read_parquet({_sql_list(paths)}, union_by_name=true)"
            ).fetchall()
        except duckdb.Error as exc:
            raise QueryFailed(f"HIVE_CANNOT_OPEN_SPLIT: {exc}") from None
        finally:
            con.close()
        present = {r[0].lower(): r[0] for r in rows}
        projection = []
        for col in table.columns:
            duck = types.duckdb_type(types.parse_hive(col.type))
            source = present.get(col.name.lower())
            value = f"CAST({types.quote(source)} AS {duck})" if source else f"CAST(NULL AS {duck})"
            projection.append(f"{value} AS {types.quote(col.name)}")
        cols = ", ".join(projection + constants)
        return f"SELECT {cols} FROM read_parquet({_sql_list(paths)}, union_by_name=true{option})"

    # CSV / delimited text -----------------------------------------------------------------------

    def _delimited(self, table: Table, paths: list[Path], constants: list[str], option: str) -> str:
        params = table.serde_params
        skip = int(table.parameters.get("skip.header.line.count", "0") or 0)
        if table.serde == OPEN_CSV:
            delim = params.get("separatorChar", ",")
            quote = params.get("quoteChar", '"')
            # opencsv also reads a doubled quote as a quote; DuckDB takes one escape character
            escape, null = params.get("escapeChar", quote), ""
        else:
            delim = params.get("field.delim", params.get("serialization.format", "\x01"))
            if delim == "1":  # serialization.format=1 means the default ^A delimiter
                delim = "\x01"
            quote, escape = "", ""
            null = params.get("serialization.null.format", "\\N")
        raw = {f"c{i}": "VARCHAR" for i in range(len(table.columns))}
        options = (
            f"delim={_literal(delim)}, quote={_literal(quote)}, escape={_literal(escape)}, "
            f"header=false, skip={skip}, columns={raw}, nullstr={_literal(null)}, "
            "null_padding=true, strict_mode=false, auto_detect=false"
        )
        projection = []
        for i, col in enumerate(table.columns):
            duck = types.duckdb_type(types.parse_hive(col.type))
            value = f"c{i}" if duck == "VARCHAR" else f"TRY_CAST(trim(c{i}) AS {duck})"
            projection.append(f"{value} AS {types.quote(col.name)}")
        cols = ", ".join(projection + constants)
        return f"SELECT {cols} FROM read_csv({_sql_list(paths)}, {options}{option})"


def _partition_allowed(table: Table, values: list[str], only: dict[str, set[str]]) -> bool:
    for key, value in zip(table.partition_keys, values, strict=False):
        allowed = only.get(key.name)
        if allowed is None:
            continue
        if key.type.lower() == "string" or key.type.lower().startswith("varchar"):
            if value not in allowed:
                return False
        else:
            try:
                if float(value) not in {float(a) for a in allowed}:
                    return False
            except ValueError:
                continue  # not comparable here: keep the partition, DuckDB filters its rows
    return True


def _key_tree(glue: exp.DataType, found: exp.DataType | None, mapping: dict[str, str]) -> dict:
    """{glue_field: (json_key, subtree)} for the struct fields inside `glue` (through arrays)."""
    while glue.this in (exp.DType.ARRAY, exp.DType.MAP):
        glue = glue.expressions[-1]
        found = found.expressions[-1] if found is not None and found.expressions else None
    if glue.this != exp.DType.STRUCT:
        return {}
    present = {}
    if found is not None and found.this == exp.DType.STRUCT:
        present = {name.lower(): (name, t) for name, t in types.fields(found)}
    tree = {}
    for name, t in types.fields(glue):
        wanted = mapping.get(name, name)
        key, sub = present.get(wanted.lower(), (wanted, None))
        tree[name] = (key, _key_tree(t, sub, mapping))
    return tree


def _needs_rename(names: dict) -> bool:
    return any(key != name or _needs_rename(sub) for name, (key, sub) in names.items())


def _renamed(src: str, glue: exp.DataType, names: dict, depth: int) -> str:
    """An expression turning a value read with JSON key names into one with the Glue names."""
    if not names or not _needs_rename(names):
        return src
    if glue.this == exp.DType.ARRAY:
        var = f"x{depth}"
        inner = _renamed(var, glue.expressions[0], names, depth + 1)
        return f"list_transform({src}, lambda {var}: {inner})"
    if glue.this != exp.DType.STRUCT:
        return src  # maps of structs keep their JSON field names
    parts = []
    for name, t in types.fields(glue):
        key, sub = names.get(name, (name, {}))
        field = f"struct_extract({src}, {_literal(key)})"
        parts.append(f"{types.quote(name)} := {_renamed(field, t, sub, depth + 1)}")
    return f"CASE WHEN {src} IS NULL THEN NULL ELSE struct_pack({', '.join(parts)}) END"
