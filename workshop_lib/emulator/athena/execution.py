"""Query executions: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, in background threads.

StartQueryExecution parses the statement at once (a syntax error is an InvalidRequestException,
as on AWS); the work itself runs in a thread, at most two at a time (the kit's machines have few
cores), and writes its result files to the output location when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from . import ddl, partitions, query, transpile, utility, writes
from .catalog import Catalog
from .context import StatementContext
from .errors import QueryFailed
from .results import ResultSet, tsv_bytes
from .s3files import ObjectCache
from .tables import TableReader

log = logging.getLogger(__name__)
FINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


def command_rest(tree: exp.Command) -> str:
    """The text after a command's first word (sqlglot keeps it as text or as a literal)."""
    rest = tree.expression
    return (rest if isinstance(rest, str) else getattr(rest, "name", "")) or ""


def classify(tree: exp.Expression) -> tuple[str, str]:
    """(StatementType, SubstatementType) as Athena reports them."""
    if isinstance(tree, exp.Command):
        word = tree.this.upper()
        rest = command_rest(tree).upper()
        if word == "SHOW":
            return "UTILITY", "SHOW_" + (rest.split() or ["TABLES"])[0]
        if word == "ALTER":
            return "DDL", "ALTER_TABLE_ADD_PARTITION" if " ADD " in f" {rest} " else "ALTER_TABLE"
        if word.startswith("MSCK"):
            return "DDL", "MSCK_REPAIR_TABLE"
        if word == "UNLOAD":
            return "DML", "UNLOAD"
        return "DDL", word
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return "DDL", "CREATE_DATABASE"
        if kind == "VIEW":
            return "DDL", "CREATE_VIEW"
        if tree.args.get("expression") is not None:
            return "DDL", "CREATE_TABLE_AS_SELECT"
        return "DDL", "CREATE_TABLE"
    if isinstance(tree, exp.Alter):
        return (
            "DDL",
            "ALTER_TABLE_ADD_PARTITION" if " ADD " in tree.sql().upper() else "ALTER_TABLE",
        )
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "TABLE").upper()
        return "DDL", {"DATABASE": "DROP_DATABASE", "SCHEMA": "DROP_DATABASE"}.get(
            kind, f"DROP_{kind}"
        )
    if isinstance(tree, exp.Describe):
        return "UTILITY", "DESCRIBE_TABLE"
    if isinstance(tree, exp.Insert):
        return "DML", "INSERT"
    return "DML", "SELECT"


@dataclass
class Execution:
    """One query execution and everything GetQueryExecution reports about it."""

    query_id: str
    sql: str
    tree: exp.Expression
    workgroup: str
    database: str | None
    catalog_name: str
    output_dir: str
    statement_type: str
    substatement_type: str
    query_text: str = ""  # as submitted (with `?` placeholders); `sql` has the parameters bound
    state: str = "QUEUED"
    reason: str | None = None
    error: QueryFailed | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    scanned_bytes: int = 0
    result: ResultSet | None = None
    manifest: str | None = None
    context: StatementContext | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def output_location(self) -> str:
        if self.substatement_type in ("CREATE_TABLE_AS_SELECT", "INSERT", "UNLOAD"):
            return f"{self.output_dir}/{self.query_id}"
        ext = "csv" if self.statement_type == "DML" else "txt"
        return f"{self.output_dir}/{self.query_id}.{ext}"

    def describe(self) -> dict[str, Any]:
        """The QueryExecution structure of the Athena API."""
        now = time.time()
        end = self.completed or now
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
        if self.error is not None:
            status["AthenaError"] = {
                "ErrorCategory": self.error.category,
                "ErrorType": self.error.error_type,
                "Retryable": False,
                "ErrorMessage": self.reason,
            }
        queued = ((self.started or end) - self.submitted) * 1000
        engine = (end - (self.started or end)) * 1000
        stats: dict[str, Any] = {
            "EngineExecutionTimeInMillis": int(engine),
            "DataScannedInBytes": self.scanned_bytes,
            "TotalExecutionTimeInMillis": int((end - self.submitted) * 1000),
            "QueryQueueTimeInMillis": int(queued),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": 0,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        if self.manifest:
            stats["DataManifestLocation"] = self.manifest
        context: dict[str, str] = {"Catalog": self.catalog_name}
        if self.database:
            context["Database"] = self.database
        return {
            "QueryExecutionId": self.query_id,
            "Query": self.query_text or self.sql,
            "StatementType": self.statement_type,
            "SubstatementType": self.substatement_type,
            "ResultConfiguration": {"OutputLocation": self.output_location},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": context,
            "Status": status,
            "Statistics": stats,
            "WorkGroup": self.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }


class Engine:
    """Runs the executions of one region against that region's Glue catalog and S3."""

    def __init__(self, app, region: str) -> None:
        self.changed = app.state_changed  # a query's end is state to save
        self.s3 = app.client("s3", region)
        self.catalog = Catalog(app.client("glue", region))
        self.objects = ObjectCache(self.s3)
        self.reader = TableReader(self.catalog, self.objects)
        self.slots = threading.Semaphore(2)

    def prepare(self, sql: str) -> exp.Expression:
        """Parse now: syntax errors are raised to the caller as InvalidRequest."""
        return transpile.parse(sql)

    def start(self, execution: Execution) -> None:
        thread = threading.Thread(
            target=self._run,
            args=(execution,),
            name=f"athena-{execution.query_id[:8]}",
            daemon=True,
        )
        thread.start()

    def stop(self, execution: Execution) -> None:
        if execution.state in FINAL_STATES:
            return
        execution.cancel.set()
        ctx = execution.context
        if ctx is not None and ctx.connection is not None:
            with contextlib.suppress(Exception):  # the connection may be closing right now
                ctx.connection.interrupt()
        if execution.state == "QUEUED":
            self._finish(execution, "CANCELLED", None)

    def _run(self, execution: Execution) -> None:
        with self.slots:
            if execution.cancel.is_set():
                return
            execution.state, execution.started = "RUNNING", time.time()
            ctx = StatementContext(
                sql=execution.sql,
                query_id=execution.query_id,
                database=(execution.database or "default").lower(),
                output_dir=execution.output_dir,
                catalog=self.catalog,
                objects=self.objects,
                reader=self.reader,
                s3=self.s3,
            )
            execution.context = ctx
            try:
                self._check_output_bucket(execution.output_dir)
                result = self._dispatch(execution.tree, ctx)
                execution.scanned_bytes = ctx.scanned_bytes
                if execution.cancel.is_set():
                    raise QueryFailed("Query cancelled by user")
                self._write_results(execution, result, ctx)
                execution.result = result
                self._finish(execution, "SUCCEEDED", None)
            except QueryFailed as failed:
                execution.scanned_bytes = ctx.scanned_bytes
                if execution.cancel.is_set():
                    self._finish(execution, "CANCELLED", None)
                else:
                    execution.error = failed
                    self._finish(execution, "FAILED", str(failed))
            except Exception as exc:  # an emulator bug: FAILED with the reason, never a hang
                log.exception("Athena query %s failed inside the emulator", execution.query_id)
                execution.error = QueryFailed(f"GENERIC_INTERNAL_ERROR: {exc}", 1, 1000)
                self._finish(execution, "FAILED", str(execution.error))
            finally:
                execution.context = None

    def _check_output_bucket(self, output_dir: str) -> None:
        bucket = output_dir[5:].split("/", 1)[0]
        try:
            self.s3.head_bucket(Bucket=bucket)
        except self.s3.exceptions.ClientError:
            raise QueryFailed(
                f"Unable to verify/create output bucket {bucket}. Create the bucket, or choose "
                "another OutputLocation.",
                error_type=1300,
            ) from None

    def _finish(self, execution: Execution, state: str, reason: str | None) -> None:
        execution.reason = reason
        execution.completed = time.time()
        execution.state = state
        self.changed()

    def _dispatch(self, tree: exp.Expression, ctx: StatementContext) -> ResultSet:
        if isinstance(tree, exp.Command):
            word = tree.this.upper()
            rest = command_rest(tree)
            if word == "SHOW":
                return utility.show(rest, ctx)
            if word == "ALTER":
                return partitions.alter_table(rest, ctx)
            if word.startswith("MSCK"):
                return partitions.msck_repair(rest, ctx)
            if word == "UNLOAD":
                return writes.unload(rest, ctx)
            if word in ("CREATE", "DROP"):  # a typo sqlglot could not parse: Hive's DDL error
                near = " ".join(f"'{t}'" for t in rest.split()[:3])
                raise QueryFailed(
                    f"FAILED: ParseException line 1:{len(word) + 1} cannot recognize input "
                    f"near {near} in ddl statement"
                )
            raise QueryFailed(f"NOT_SUPPORTED: {word} statements are not supported by the emulator")
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            if kind in ("DATABASE", "SCHEMA"):
                return ddl.create_database(tree, ctx)
            if kind == "TABLE" and tree.args.get("expression") is not None:
                return writes.ctas(tree, ctx)
            if kind == "TABLE":
                return ddl.create_table(tree, ctx)
            if kind == "VIEW":
                return ddl.create_view(tree, ctx)
            raise QueryFailed(f"NOT_SUPPORTED: CREATE {kind} is not supported by the emulator")
        if isinstance(tree, exp.Alter):
            return partitions.alter_table(ctx.sql.strip()[len("ALTER") :], ctx)
        if isinstance(tree, exp.Drop):
            return ddl.drop(tree, ctx)
        if isinstance(tree, exp.Describe):
            return utility.describe(tree, ctx)
        if isinstance(tree, exp.Insert):
            return writes.insert(tree, ctx)
        if isinstance(tree, exp.Query):
            return query.run_select(tree, ctx)
        raise QueryFailed(
            f"NOT_SUPPORTED: {type(tree).__name__.upper()} statements are not supported locally"
        )

    def _write_results(
        self, execution: Execution, result: ResultSet, ctx: StatementContext
    ) -> None:
        """The files Athena leaves in the output location for this kind of statement."""
        location = execution.output_location
        if execution.substatement_type in ("CREATE_TABLE_AS_SELECT", "INSERT", "UNLOAD"):
            manifest = f"{location}-manifest.csv"
            ctx.put(manifest, "".join(f"{uri}\n" for uri in ctx.manifest).encode(), "text/csv")
            ctx.put(f"{location}.metadata", result.metadata_bytes())
            execution.manifest = manifest
            return
        if location.endswith(".csv"):
            local = ctx.objects.root / f"{execution.query_id}.csv"
            try:
                result.write_csv(local)
                ctx.put_file(location, local, "text/csv")
            finally:
                local.unlink(missing_ok=True)
        else:
            ctx.put(location, tsv_bytes(result.data_rows()), "text/plain")
        ctx.put(f"{location}.metadata", result.metadata_bytes())


def new_query_id() -> str:
    return str(uuid.uuid4())
