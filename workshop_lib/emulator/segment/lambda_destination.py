"""The Amazon Personalize (and Amazon Lambda) destination: one Lambda Invoke per event.

Segment calls the configured function synchronously with the processed event as payload (no
`writeKey`), for track, identify, group, alias and page calls (not screen), optionally only for
the track events listed in `events`. Deliveries run on a worker thread, off the Tracking API's
request path, as on Segment; a failure (function error, timeout, throttling) is retried with
backoff up to `maxAttempts`, and every event gets a delivery log entry (status, attempts, error)
that the admin API lists.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
from collections import deque
from datetime import UTC, datetime
from urllib.parse import unquote

from ..request_log import role_access_key
from .workspace import Destination, WorkspaceError

log = logging.getLogger(__name__)
SENT_TYPES = ("track", "identify", "group", "alias", "page")
DEFAULT_REGION = "us-west-2"  # Segment's default for the Personalize destination
DEFAULT_TIMEOUT_S = 5.0  # Segment waits 5 s for the function
DEFAULT_MAX_ATTEMPTS = 3
LOG_SIZE = 2000
SEGMENT_ACCOUNT = "595280932656"  # the AWS account Segment's destinations assume roles from
ROLE_CHECK_SECONDS = 10.0
# Errors worth retrying (Segment retries these for hours); others are final
RETRYABLE = {
    "TooManyRequestsException", "ServiceException", "ResourceNotReadyException",
    "EC2ThrottledException", "ResourceConflictException", "Throttling", "ThrottlingException",
}  # fmt: skip


def validate_settings(settings: dict) -> dict:
    function = settings.get("function")
    if not isinstance(function, str) or not function:
        raise WorkspaceError("validation", "Lambda destination settings need `function`.", 400)
    log_type = settings.get("logType", "None")
    if log_type not in ("None", "Tail"):
        raise WorkspaceError("validation", "`logType` must be 'None' or 'Tail'.", 400)
    client_context = settings.get("clientContext")
    if client_context is not None and not isinstance(client_context, dict):
        raise WorkspaceError("validation", "`clientContext` must be an object.", 400)
    events = settings.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise WorkspaceError("validation", "`events` must be a list of track event names.", 400)
    attempts = settings.get("maxAttempts", DEFAULT_MAX_ATTEMPTS)
    timeout = settings.get("timeoutSeconds", DEFAULT_TIMEOUT_S)
    if not isinstance(attempts, int) or not 1 <= attempts <= 10:
        raise WorkspaceError("validation", "`maxAttempts` must be 1-10.", 400)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 900:
        raise WorkspaceError("validation", "`timeoutSeconds` must be in (0, 900].", 400)
    return {
        "function": function,
        "region": settings.get("region") or DEFAULT_REGION,
        "roleAddress": settings.get("roleAddress", ""),
        "externalId": settings.get("externalId", ""),
        "logType": log_type,
        "clientContext": client_context,
        "events": events,
        "maxAttempts": attempts,
        "timeoutSeconds": timeout,
    }


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def trust_problem(trust: dict, external_id: str) -> str | None:
    """Why Segment could not assume a role with this trust policy (None if it can)."""
    for statement in _listed(trust.get("Statement", [])):
        actions = _listed(statement.get("Action", []))
        principals = statement.get("Principal", {})
        aws = _listed(principals.get("AWS", [])) if isinstance(principals, dict) else [principals]
        if statement.get("Effect") != "Allow" or not {"sts:AssumeRole", "sts:*", "*"} & set(
            actions
        ):
            continue
        if not any(p == "*" or f":{SEGMENT_ACCOUNT}:" in p or p == SEGMENT_ACCOUNT for p in aws):
            continue
        wanted = [
            value
            for operator in ("StringEquals", "StringLike")
            for value in _listed(
                statement.get("Condition", {}).get(operator, {}).get("sts:ExternalId", [])
            )
        ]
        if not wanted or external_id in wanted:
            return None
        return f"the trust policy wants external id {wanted}, the destination sends {external_id!r}"
    return f"the trust policy does not let Segment's account {SEGMENT_ACCOUNT} assume the role"


def payload_of(message: dict) -> bytes:
    """The event as the function receives it: the processed message without writeKey."""
    return json.dumps({k: v for k, v in message.items() if k != "writeKey"}).encode()


class LambdaSink:
    """Queue and worker thread delivering one destination's events to its function."""

    def __init__(self, app, destination: Destination) -> None:
        self.app = app
        self.destination = destination
        self._queue: queue.Queue = queue.Queue()
        self._log: deque = deque(maxlen=LOG_SIZE)
        self._log_lock = threading.Lock()
        self._pending = 0  # queued + in flight, for "wait until delivered"
        self._pending_lock = threading.Lock()
        self._closed = False
        self._client = None
        self._role_checked: tuple[float, str | None] | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"segment-lambda-{destination.id}", daemon=True
        )
        self._thread.start()

    @property
    def settings(self) -> dict:
        return self.destination.settings

    def wanted(self, message: dict) -> bool:
        if message.get("type") not in SENT_TYPES:
            return False
        events = self.settings["events"]
        return not (events and message["type"] == "track" and message.get("event") not in events)

    def accept(self, messages: list[dict]) -> None:
        wanted = [m for m in messages if self.wanted(m)]
        with self._pending_lock:
            self._pending += len(wanted)
        for message in wanted:
            self._queue.put(message)

    def pending(self) -> int:
        with self._pending_lock:
            return self._pending

    def deliveries(self, limit: int = 100) -> list[dict]:
        """Newest first."""
        with self._log_lock:
            return list(self._log)[::-1][:limit]

    def settings_changed(self) -> None:
        """Forget the client and the role check made with the old settings."""
        self._client = None
        self._role_checked = None

    def saved_state(self) -> dict:
        """The delivery log (events still queued are not kept: Segment retries, this does not)."""
        with self._log_lock:
            return {"log": list(self._log)}

    def restore_state(self, state: dict) -> None:
        with self._log_lock:
            self._log.extend(state["log"])

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)

    def _lambda(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            timeout = self.settings["timeoutSeconds"]
            # Segment calls with the role it assumed, whose policy must allow the invoke
            # (without a role, which the emulator tolerates, the call is not checked)
            role = self.settings["roleAddress"]
            self._client = boto3.client(
                "lambda",
                endpoint_url=self.app.base_url,
                region_name=self.settings["region"],
                aws_access_key_id=role_access_key(role) if role else "segment",
                aws_secret_access_key="segment",
                config=Config(retries={"max_attempts": 1}, read_timeout=timeout),
            )
        return self._client

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            if message is None or self._closed:
                return
            try:
                self._deliver(message)
            except Exception:  # a bug here must not stop later deliveries
                log.exception("Lambda destination %s failed", self.destination.id)
            finally:
                with self._pending_lock:
                    self._pending -= 1

    def _role_problem(self) -> str | None:
        """Segment assumes `roleAddress` with `externalId` first; checked like STS would."""
        role_arn = self.settings["roleAddress"]
        if not role_arn:
            return None  # the emulator does not insist on a role
        now = time.monotonic()
        if self._role_checked and now - self._role_checked[0] < ROLE_CHECK_SECONDS:
            return self._role_checked[1]
        problem = None
        try:
            role = self.app.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except Exception as exc:
            problem = f"Invalid Credentials: cannot assume {role_arn} ({exc})"
        else:
            trust = role["AssumeRolePolicyDocument"]
            if isinstance(trust, str):
                trust = json.loads(unquote(trust))
            why = trust_problem(trust, self.settings["externalId"])
            if why or role["Arn"] != role_arn:
                problem = f"Accessdenied: cannot assume {role_arn}: {why or 'wrong role ARN'}"
        self._role_checked = (now, problem)
        return problem

    def _invoke_once(self, message: dict) -> tuple[str, dict]:
        """('delivered'|'retry'|'failed', details) for one attempt."""
        from botocore.exceptions import ClientError, ReadTimeoutError

        settings = self.settings
        problem = self._role_problem()
        if problem:
            return "failed", {"error": problem, "statusCode": None}
        kwargs = {
            "FunctionName": settings["function"],
            "InvocationType": "RequestResponse",
            "Payload": payload_of(message),
            "LogType": settings["logType"],
        }
        if settings["clientContext"]:
            context = json.dumps({"custom": settings["clientContext"]}).encode()
            kwargs["ClientContext"] = base64.b64encode(context).decode()
        try:
            reply = self._lambda().invoke(**kwargs)
        except ReadTimeoutError:
            return "retry", {"error": "Operation timedout", "statusCode": None}
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            detail = {"error": f"{code}: {exc.response['Error'].get('Message', '')}"}
            detail["statusCode"] = status
            retry = code in RETRYABLE or status >= 500
            return ("retry" if retry else "failed"), detail
        body = reply["Payload"].read().decode("utf-8", "replace")
        detail = {"statusCode": reply["StatusCode"], "response": body[:4096]}
        if reply.get("LogResult"):
            detail["logResult"] = reply["LogResult"]
        if reply.get("FunctionError"):
            detail["error"] = f"Execution Error: {body[:1000]}"
            detail["functionError"] = reply["FunctionError"]
            return "retry", detail
        return "delivered", detail

    def _deliver(self, message: dict) -> None:
        attempts = self.settings["maxAttempts"]
        started = datetime.now(UTC)
        for attempt in range(1, attempts + 1):
            outcome, detail = self._invoke_once(message)
            if outcome != "retry" or attempt == attempts:
                break
            time.sleep(min(0.25 * 2 ** (attempt - 1), 4.0))  # Segment backs off too (for hours)
        status = "delivered" if outcome == "delivered" else "failed"
        entry = {
            "messageId": message.get("messageId"),
            "type": message.get("type"),
            "event": message.get("event"),
            "userId": message.get("userId"),
            "status": status,
            "attempts": attempt,
            "startedAt": started.isoformat(timespec="milliseconds"),
            "finishedAt": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "error": detail.get("error"),
            **{k: v for k, v in detail.items() if k != "error"},
        }
        with self._log_lock:
            self._log.append(entry)

    def status(self) -> dict:
        with self._log_lock:
            log_entries = list(self._log)
        return {
            "pendingEvents": self.pending(),
            "delivered": sum(e["status"] == "delivered" for e in log_entries),
            "failed": sum(e["status"] == "failed" for e in log_entries),
        }
