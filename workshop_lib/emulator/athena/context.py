"""What a running statement can reach: the catalog, S3, the query's ids and its result location."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .errors import QueryFailed
from .s3files import ObjectCache
from .tables import TableReader


@dataclass
class StatementContext:
    sql: str
    query_id: str
    database: str  # QueryExecutionContext.Database, "default" when not given
    output_dir: str  # s3://bucket/prefix (no trailing slash)
    catalog: Catalog
    objects: ObjectCache
    reader: TableReader
    s3: Any
    scanned_bytes: int = 0
    manifest: list[str] = field(default_factory=list)  # files written (CTAS, INSERT, UNLOAD)
    connection: Any = None  # the DuckDB connection running now (for StopQueryExecution)

    def put_file(self, uri: str, path: Path, content_type: str) -> None:
        """Upload a local file without reading it into memory."""
        with path.open("rb") as body:
            self.put(uri, body, content_type)  # type: ignore[arg-type]

    def put(self, uri: str, body: bytes, content_type: str = "binary/octet-stream") -> None:
        """Write one object; a missing bucket FAILS the query instead of crashing it."""
        bucket, _, key = uri[5:].partition("/")
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        except self.s3.exceptions.NoSuchBucket:
            raise QueryFailed(
                f"HIVE_WRITER_OPEN_ERROR: cannot write {uri}: the bucket {bucket} does not exist"
            ) from None
