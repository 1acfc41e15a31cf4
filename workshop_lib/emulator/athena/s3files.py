"""S3 objects under a location, downloaded once to a local cache keyed by ETag.

A table is re-listed on every query (so new Segment files are seen at once), but an object is
downloaded again only when its ETag changed. DuckDB then reads the local copies.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from .errors import QueryFailed

_CACHE_PREFIX = "workshop-athena-cache-"


def _alive(pid: int) -> bool:
    # psutil, not os.kill(pid, 0): on Windows os.kill ends the process whatever the signal
    return psutil.pid_exists(pid)


def _remove_stale_caches() -> None:
    """Delete the object caches of emulator processes that are gone (they never clean up)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_CACHE_PREFIX}*"):
        pid = folder.name[len(_CACHE_PREFIX) :]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix/') of an s3:// URI; anything else is the error Athena gives."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise QueryFailed(f"INVALID_TABLE_PROPERTY: Location '{uri}' is not an s3:// URI")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def _hidden(key: str) -> bool:
    """Hive skips folder markers and files whose name starts with '_' or '.' (_SUCCESS...)."""
    name = key.rsplit("/", 1)[-1]
    return key.endswith("/") or not name or name[0] in "_."


class ObjectCache:
    """Lists S3 prefixes and keeps local copies of the objects, keyed by ETag."""

    def __init__(self, s3, root: Path | None = None) -> None:
        self.s3 = s3
        if root is None:
            _remove_stale_caches()
            root = Path(tempfile.gettempdir()) / f"{_CACHE_PREFIX}{os.getpid()}"
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def list(self, location: str) -> list[S3Object]:
        """Every data object under `location` (recursively, like Athena), in key order."""
        bucket, prefix = split_uri(location)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        found: list[S3Object] = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            ):
                for item in page.get("Contents", []):
                    if not _hidden(item["Key"]) and item["Size"] > 0:
                        etag = item["ETag"].strip('"')
                        found.append(S3Object(bucket, item["Key"], etag, item["Size"]))
        except self.s3.exceptions.NoSuchBucket:
            raise QueryFailed(
                f"HIVE_UNKNOWN_ERROR: The specified bucket does not exist (Bucket: {bucket}, "
                f"location {location})"
            ) from None
        return found

    def local_path(self, obj: S3Object) -> Path:
        digest = hashlib.sha1(f"{obj.bucket}/{obj.key}".encode()).hexdigest()[:16]
        name = obj.key.rsplit("/", 1)[-1]
        suffix = "".join(Path(name).suffixes[-2:]) if "." in name else ""
        return self.root / f"{digest}-{obj.etag}{suffix}"

    def fetch(self, objects: list[S3Object]) -> list[Path]:
        """Local copies of `objects`, downloading (in parallel) only those not cached yet."""
        paths = [self.local_path(o) for o in objects]
        missing = [(o, p) for o, p in zip(objects, paths, strict=True) if not p.exists()]
        if missing:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda item: self._download(*item), missing))
        return paths

    def _download(self, obj: S3Object, path: Path) -> None:
        body = self.s3.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
        tmp = path.with_name(path.name + f".{threading.get_ident()}.part")
        tmp.write_bytes(body)
        os.replace(tmp, path)
