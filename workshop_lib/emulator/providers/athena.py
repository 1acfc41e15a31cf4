"""Athena that really runs SQL (DuckDB over the S3 objects, tables from moto's Glue catalog).

This module is the API surface: query executions, work groups and the catalog views of
Athena. The engine lives in `workshop_lib.emulator.athena` and is imported on the first query
(duckdb and sqlglot are heavy), so the emulator keeps starting fast.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..config import LOCAL_ACCOUNT_ID
from . import Provider, Route

ACCOUNT = LOCAL_ACCOUNT_ID
ENGINE_VERSION = {
    "SelectedEngineVersion": "AUTO",
    "EffectiveEngineVersion": "Athena engine version 3",
}
NO_OUTPUT = (
    "No output location provided. An output location is required either through the Workgroup "
    "result configuration setting or as an API input."
)
_CONTENT_TYPES = {"json": "application/x-amz-json-1.1", "rest-json": "application/json"}
OPERATIONS = frozenset(
    {
        "StartQueryExecution",
        "GetQueryExecution",
        "GetQueryResults",
        "StopQueryExecution",
        "ListQueryExecutions",
        "BatchGetQueryExecution",
        "GetQueryRuntimeStatistics",
        "GetWorkGroup",
        "ListWorkGroups",
        "CreateWorkGroup",
        "UpdateWorkGroup",
        "DeleteWorkGroup",
        "ListDataCatalogs",
        "GetDataCatalog",
        "ListDatabases",
        "GetDatabase",
        "GetTableMetadata",
        "ListTableMetadata",
    }
)


class AthenaError(Exception):
    def __init__(
        self, message: str, code: str = "InvalidRequestException", athena_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.athena_code = athena_code


def _work_group(name: str, description: str = "", configuration: dict | None = None) -> dict:
    config = {
        "ResultConfiguration": {},
        "EnforceWorkGroupConfiguration": False,
        "PublishCloudWatchMetricsEnabled": False,
        "RequesterPaysEnabled": False,
        "EngineVersion": dict(ENGINE_VERSION),
    }
    config.update(configuration or {})
    return {
        "Name": name,
        "State": "ENABLED",
        "Configuration": config,
        "Description": description,
        "CreationTime": time.time(),
    }


class _Region:
    """State of one region: work groups, executions, and the engine (created on first query)."""

    def __init__(self) -> None:
        self.work_groups: dict[str, dict] = {"primary": _work_group("primary")}
        self.executions: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        self.engine = None


class AthenaProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="athena",
            description="Athena: DDL into the Glue catalog, SQL run by DuckDB over S3 objects",
            services=["athena"],
        )
        self._regions: dict[str, _Region] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route(self.handle, service="athena", operations=OPERATIONS)]

    def reset(self) -> None:
        with self._lock:
            self._regions.clear()

    def snapshot(self) -> Any:
        """Work groups, named-query tokens and query history (results stay in S3, as on AWS)."""
        import copy

        with self._lock:
            state = {
                name: {
                    "work_groups": dict(region.work_groups),
                    "tokens": dict(region.tokens),
                    "executions": {
                        query_id: copy.copy(execution)  # its context: below
                        for query_id, execution in region.executions.items()
                    },
                }
                for name, region in self._regions.items()
            }
        for saved in state.values():
            for execution in saved["executions"].values():
                execution.context = None  # a running query's DuckDB connection and clients
        return state

    def restore(self, state: Any) -> None:
        from ..athena.execution import FINAL_STATES

        with self._lock:
            for name, saved in state.items():
                region = self._regions.setdefault(name, _Region())
                region.work_groups.update(saved["work_groups"])
                region.tokens.update(saved["tokens"])
                for execution in saved["executions"].values():
                    if execution.state not in FINAL_STATES:  # the emulator stopped mid-query
                        execution.state, execution.completed = "FAILED", time.time()
                        execution.reason = "The local emulator stopped while the query ran."
                region.executions.update(saved["executions"])

    def counts(self) -> dict[str, int]:
        return {"Athena query executions": sum(len(r.executions) for r in self._regions.values())}

    def info(self) -> dict[str, Any]:
        info = super().info()
        info["executions"] = sum(len(r.executions) for r in self._regions.values())
        return info

    # plumbing --------------------------------------------------------------------------------

    def _region(self, name: str) -> _Region:
        with self._lock:
            return self._regions.setdefault(name, _Region())

    def _engine(self, region_name: str):
        region = self._region(region_name)
        with self._lock:
            if region.engine is None:
                from ..athena.execution import Engine

                region.engine = Engine(self.app, region_name)
            return region.engine

    def handle(self, request: AwsRequest) -> Response:
        """Either protocol: JSON (X-Amz-Target, botocore <= 1.44.8) or rest-json (newer); the
        input is one JSON object either way and so is the output (no member is bound to a
        header), only the content type differs."""
        from ..athena.errors import InvalidRequest

        region = request.region or "us-east-1"
        content_type = _CONTENT_TYPES[request.protocol]
        try:
            result = getattr(self, f"_{request.operation}")(region, request.params())
        except AthenaError as err:
            return self._error(err.code, str(err), err.athena_code, content_type)
        except InvalidRequest as err:
            return self._error("InvalidRequestException", str(err), err.athena_code, content_type)
        return Response(json.dumps(result), 200, content_type=content_type)

    @staticmethod
    def _error(code: str, message: str, athena_code: str | None, content_type: str) -> Response:
        payload: dict[str, str] = {"__type": code, "Message": message}
        if athena_code:
            payload["AthenaErrorCode"] = athena_code
        return Response(
            json.dumps(payload), 400, {"x-amzn-ErrorType": code}, content_type=content_type
        )

    def _execution(self, region: str, query_id: str | None):
        found = self._region(region).executions.get(query_id or "")
        if found is None:
            raise AthenaError(f"QueryExecution {query_id} was not found")
        return found

    def _group(self, region: str, name: str | None) -> dict:
        group = self._region(region).work_groups.get(name or "primary")
        if group is None:
            raise AthenaError(f"WorkGroup {name} is not found.")
        return group

    # query executions --------------------------------------------------------------------------

    def _StartQueryExecution(self, region: str, body: dict) -> dict:
        from ..athena.execution import Execution, classify, new_query_id

        sql = body.get("QueryString", "")
        if not 1 <= len(sql) <= 262144:
            raise AthenaError("QueryString must be between 1 and 262144 characters long.")
        state = self._region(region)
        token = body.get("ClientRequestToken")
        if token and token in state.tokens:
            return {"QueryExecutionId": state.tokens[token]}
        group = self._group(region, body.get("WorkGroup"))
        if group["State"] != "ENABLED":
            raise AthenaError(f"WorkGroup {group['Name']} is disabled.")
        config = group["Configuration"]
        wg_output = config.get("ResultConfiguration", {}).get("OutputLocation")
        given = (body.get("ResultConfiguration") or {}).get("OutputLocation")
        output = (
            wg_output
            if config.get("EnforceWorkGroupConfiguration") and wg_output
            else given or wg_output
        )
        if not output:
            raise AthenaError(NO_OUTPUT)
        if not re.match(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$", output):
            raise AthenaError(
                f"The S3 location provided to save your query results is invalid: {output}"
            )
        sql = _bind(sql, body.get("ExecutionParameters"))
        engine = self._engine(region)
        tree = engine.prepare(sql)
        statement_type, substatement = classify(tree)
        context = body.get("QueryExecutionContext") or {}
        execution = Execution(
            query_id=new_query_id(),
            sql=sql,
            query_text=body["QueryString"],
            tree=tree,
            workgroup=group["Name"],
            database=context.get("Database"),
            catalog_name=context.get("Catalog", "AwsDataCatalog"),
            output_dir=output.rstrip("/"),
            statement_type=statement_type,
            substatement_type=substatement,
        )
        state.executions[execution.query_id] = execution
        if token:
            state.tokens[token] = execution.query_id
        engine.start(execution)
        return {"QueryExecutionId": execution.query_id}

    def _GetQueryExecution(self, region: str, body: dict) -> dict:
        return {"QueryExecution": self._execution(region, body.get("QueryExecutionId")).describe()}

    def _BatchGetQueryExecution(self, region: str, body: dict) -> dict:
        ids = body.get("QueryExecutionIds", [])
        if not 1 <= len(ids) <= 50:
            raise AthenaError("QueryExecutionIds must contain between 1 and 50 ids.")
        found, missing = [], []
        for query_id in ids:
            execution = self._region(region).executions.get(query_id)
            if execution is None:
                missing.append(
                    {
                        "QueryExecutionId": query_id,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": f"QueryExecution {query_id} was not found",
                    }
                )
            else:
                found.append(execution.describe())
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def _GetQueryResults(self, region: str, body: dict) -> dict:
        execution = self._execution(region, body.get("QueryExecutionId"))
        if execution.state in ("QUEUED", "RUNNING"):
            raise AthenaError(f"Query has not yet finished. Current state: {execution.state}")
        if execution.state != "SUCCEEDED":
            reason = f"\n{execution.reason}" if execution.reason else ""
            raise AthenaError(
                f"Query did not finish successfully. Final query state: {execution.state}{reason}"
            )
        return execution.result.page(body.get("NextToken"), body.get("MaxResults"))

    def _GetQueryRuntimeStatistics(self, region: str, body: dict) -> dict:
        execution = self._execution(region, body.get("QueryExecutionId"))
        stats = execution.describe()["Statistics"]
        timeline = {k: v for k, v in stats.items() if k.endswith("InMillis")}
        out_rows = execution.result.row_count if execution.result is not None else 0
        rows = {"InputBytes": execution.scanned_bytes, "OutputRows": out_rows}
        return {"QueryRuntimeStatistics": {"Timeline": timeline, "Rows": rows}}

    def _StopQueryExecution(self, region: str, body: dict) -> dict:
        execution = self._execution(region, body.get("QueryExecutionId"))
        self._engine(region).stop(execution)
        return {}

    def _ListQueryExecutions(self, region: str, body: dict) -> dict:
        group = self._group(region, body.get("WorkGroup"))["Name"]
        executions = sorted(
            (e for e in self._region(region).executions.values() if e.workgroup == group),
            key=lambda e: e.submitted,
            reverse=True,
        )
        ids = [e.query_id for e in executions]
        return _paged(ids, "QueryExecutionIds", body, 50)

    # work groups ---------------------------------------------------------------------------------

    def _GetWorkGroup(self, region: str, body: dict) -> dict:
        return {"WorkGroup": self._group(region, body.get("WorkGroup"))}

    def _ListWorkGroups(self, region: str, body: dict) -> dict:
        groups = [
            {
                "Name": g["Name"],
                "State": g["State"],
                "Description": g["Description"],
                "CreationTime": g["CreationTime"],
                "EngineVersion": dict(ENGINE_VERSION),
            }
            for g in sorted(self._region(region).work_groups.values(), key=lambda g: g["Name"])
        ]
        return _paged(groups, "WorkGroups", body, 50)

    def _CreateWorkGroup(self, region: str, body: dict) -> dict:
        name = body.get("Name", "")
        if not re.fullmatch(r"[a-zA-Z0-9._-]{1,128}", name):
            raise AthenaError(f"Invalid work group name: {name}")
        groups = self._region(region).work_groups
        if name in groups:
            raise AthenaError("WorkGroup is already created")
        groups[name] = _work_group(name, body.get("Description", ""), body.get("Configuration"))
        return {}

    def _UpdateWorkGroup(self, region: str, body: dict) -> dict:
        group = self._group(region, body.get("WorkGroup"))
        if "Description" in body:
            group["Description"] = body["Description"]
        if "State" in body:
            group["State"] = body["State"]
        updates = body.get("ConfigurationUpdates") or {}
        config = group["Configuration"]
        result_updates = updates.get("ResultConfigurationUpdates") or {}
        if result_updates.get("RemoveOutputLocation"):
            config["ResultConfiguration"].pop("OutputLocation", None)
        if "OutputLocation" in result_updates:
            config["ResultConfiguration"]["OutputLocation"] = result_updates["OutputLocation"]
        for key in (
            "EnforceWorkGroupConfiguration",
            "PublishCloudWatchMetricsEnabled",
            "RequesterPaysEnabled",
        ):
            if key in updates:
                config[key] = updates[key]
        return {}

    def _DeleteWorkGroup(self, region: str, body: dict) -> dict:
        name = body.get("WorkGroup")
        if name == "primary":
            raise AthenaError("Cannot delete primary workgroup")
        self._group(region, name)
        del self._region(region).work_groups[name]
        return {}

    # catalog views ------------------------------------------------------------------------------

    def _glue(self, region: str, catalog: str | None):
        if (catalog or "AwsDataCatalog").lower() != "awsdatacatalog":
            raise AthenaError(f"Catalog {catalog} was not found", "MetadataException")
        return self.app.client("glue", region)

    def _ListDataCatalogs(self, region: str, body: dict) -> dict:
        return {"DataCatalogsSummary": [{"CatalogName": "AwsDataCatalog", "Type": "GLUE"}]}

    def _GetDataCatalog(self, region: str, body: dict) -> dict:
        if body.get("Name", "").lower() != "awsdatacatalog":
            raise AthenaError(f"Data catalog {body.get('Name')} does not exist")
        return {
            "DataCatalog": {
                "Name": "AwsDataCatalog",
                "Description": "AWS Glue Data Catalog (moto's Glue in the local emulator)",
                "Type": "GLUE",
                "Parameters": {"catalog-id": ACCOUNT},
            }
        }

    def _ListDatabases(self, region: str, body: dict) -> dict:
        glue = self._glue(region, body.get("CatalogName"))
        pages = glue.get_paginator("get_databases").paginate()
        dbs = [_database(d) for page in pages for d in page["DatabaseList"]]
        return _paged(dbs, "DatabaseList", body, 50)

    def _GetDatabase(self, region: str, body: dict) -> dict:
        glue = self._glue(region, body.get("CatalogName"))
        try:
            return {
                "Database": _database(
                    glue.get_database(Name=body.get("DatabaseName", ""))["Database"]
                )
            }
        except glue.exceptions.EntityNotFoundException:
            raise AthenaError(
                f"Database {body.get('DatabaseName')} not found.", "MetadataException"
            ) from None

    def _GetTableMetadata(self, region: str, body: dict) -> dict:
        glue = self._glue(region, body.get("CatalogName"))
        try:
            table = glue.get_table(
                DatabaseName=body.get("DatabaseName", ""), Name=body.get("TableName", "")
            )
        except glue.exceptions.EntityNotFoundException as err:
            raise AthenaError(str(err.response["Error"]["Message"]), "MetadataException") from None
        return {"TableMetadata": _table_metadata(table["Table"])}

    def _ListTableMetadata(self, region: str, body: dict) -> dict:
        glue = self._glue(region, body.get("CatalogName"))
        try:
            pages = glue.get_paginator("get_tables").paginate(
                DatabaseName=body.get("DatabaseName", "")
            )
            tables = [_table_metadata(t) for page in pages for t in page["TableList"]]
        except glue.exceptions.EntityNotFoundException as err:
            raise AthenaError(str(err.response["Error"]["Message"]), "MetadataException") from None
        if body.get("Expression"):
            pattern = re.compile(body["Expression"].replace("*", ".*"), re.IGNORECASE)
            tables = [t for t in tables if pattern.fullmatch(t["Name"])]
        return _paged(tables, "TableMetadataList", body, 50)


def _bind(sql: str, parameters: list[str] | None) -> str:
    """Substitute ExecutionParameters for the `?` placeholders, in order."""
    if not parameters:
        return sql
    pieces = re.split(r"('(?:[^']|'')*')", sql)
    values = iter(parameters)
    for i in range(0, len(pieces), 2):
        pieces[i] = re.sub(r"\?", lambda _: next(values, "?"), pieces[i])
    return "".join(pieces)


def _paged(items: list, key: str, body: dict, limit: int) -> dict:
    size = body.get("MaxResults") or limit
    start = 0
    if body.get("NextToken"):
        try:
            start = int(base64.urlsafe_b64decode(body["NextToken"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise AthenaError("The NextToken is not valid.") from None
    page = {key: items[start : start + size]}
    if start + size < len(items):
        page["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def _database(db: dict) -> dict:
    out = {"Name": db["Name"], "Parameters": db.get("Parameters", {})}
    if db.get("Description"):
        out["Description"] = db["Description"]
    return out


def _table_metadata(table: dict) -> dict:
    sd = table.get("StorageDescriptor", {})
    params = dict(table.get("Parameters", {}))
    if sd.get("Location"):
        params.setdefault("location", sd["Location"])
    serde = sd.get("SerdeInfo", {})
    if serde.get("SerializationLibrary"):
        params.setdefault("serde.serialization.lib", serde["SerializationLibrary"])
    for key, value in serde.get("Parameters", {}).items():
        params.setdefault(f"serde.param.{key}", value)

    def cols(items: list) -> list[dict]:
        return [{k: v for k, v in c.items() if k in ("Name", "Type", "Comment")} for c in items]

    out = {
        "Name": table["Name"],
        "TableType": table.get("TableType", "EXTERNAL_TABLE"),
        "Columns": cols(sd.get("Columns", [])),
        "PartitionKeys": cols(table.get("PartitionKeys", [])),
        "Parameters": params,
    }
    if table.get("CreateTime"):
        out["CreateTime"] = (
            table["CreateTime"].timestamp()
            if hasattr(table["CreateTime"], "timestamp")
            else table["CreateTime"]
        )
    return out


PROVIDERS = [AthenaProvider]
