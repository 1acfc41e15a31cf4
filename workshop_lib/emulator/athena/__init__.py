"""Athena that runs SQL: DDL into the Glue catalog, queries transpiled to DuckDB over S3 objects.

Modules, one concern each:
- `types`: Hive/Glue, DuckDB and Athena type names;
- `catalog`: the Glue catalog through the emulator's own Glue API;
- `ddl` (CREATE, DROP), `partitions` (ALTER TABLE ... PARTITION, MSCK REPAIR), `utility` (SHOW,
  DESCRIBE);
- `s3files` (S3 objects cached locally by ETag), `tables` (a Glue table's objects as a DuckDB
  relation, read the way its SerDe reads them);
- `information_schema` (schemata, tables, columns from Glue);
- `transpile` (Athena/Trino SQL to DuckDB), `query` (running a SELECT), `writes` (CTAS,
  INSERT INTO, UNLOAD), `results` (result files and pages), `execution` (the state machine).
duckdb and sqlglot are imported by these modules only, and they are imported by the provider only
when a query arrives, so the emulator still starts fast.
"""
