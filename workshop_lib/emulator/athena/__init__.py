"""Athena that runs SQL: DDL into the Glue catalog, queries transpiled to DuckDB over S3 objects.

Modules, one concern each: `types` (Hive/Glue, DuckDB and Athena type names), `catalog` (the
Glue catalog through the emulator's own Glue API), `ddl` (CREATE/DROP/ALTER/MSCK/SHOW/DESCRIBE),
`tables` (a Glue table's S3 objects as a DuckDB relation), `transpile` (Athena/Trino SQL to
DuckDB), `writes` (CTAS, INSERT INTO, UNLOAD), `results` (result files and pages) and `execution`
(the query state machine). duckdb and sqlglot are imported by these modules only, and they are
imported by the provider only when a query arrives, so the emulator still starts fast.
"""
