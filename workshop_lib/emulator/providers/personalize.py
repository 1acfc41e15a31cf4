"""Amazon Personalize: control plane, runtime and events, emulated with real recommenders.

Claims the three botocore services that sign as `personalize`: `personalize` (JSON 1.1, every
operation: the workshop's are implemented in workshop_lib/emulator/personalize/; recommenders,
exports, segment jobs, data deletion and metric attributions list empty, describe as not found
and answer Create* with NotImplemented, rather than reaching moto's partial model),
`personalize-runtime` and `personalize-events` (rest-json, told apart by path). Errors are
shaped per protocol with the status codes the models declare.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..errors import aws_error, not_implemented
from . import Provider, Route

log = logging.getLogger(__name__)
JSON_11 = "application/x-amz-json-1.1"


class PersonalizeProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="personalize",
            description="Amazon Personalize: datasets, imports from S3, real training, metrics, "
            "campaigns, filters, event trackers and real-time events",
            services=["personalize", "personalize-runtime", "personalize-events"],
        )
        self._parts: Any = None

    @property
    def parts(self):
        """(control plane, runtime, events), built on first use to keep start-up fast."""
        if self._parts is None:
            from ..personalize.batch import BatchOps
            from ..personalize.control import ControlPlane
            from ..personalize.events import Events
            from ..personalize.runtime import Runtime
            from ..personalize.solutions import SolutionOps
            from ..personalize.store import Store

            class Control(SolutionOps, BatchOps, ControlPlane):
                """The control plane with its solution, campaign and batch operations."""

            control = Control(Store(on_change=self.app.state_changed), self.app)
            control.runtime = Runtime(control)
            self._parts = (control, control.runtime, Events(control))
        return self._parts

    @property
    def control(self):
        return self.parts[0]

    def routes(self) -> list[Route]:
        return [
            Route(self.handle_control, service="personalize"),
            Route(self.handle_runtime, service="personalize-runtime"),
            Route(self.handle_events, service="personalize-events"),
        ]

    def reset(self) -> None:
        if self._parts is not None:
            self._parts[0].store.reset()
            self._parts[0].live.clear()

    def _call(self, request: AwsRequest, function) -> Response:
        from ..personalize.validation import ApiError

        try:
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError("body")
        except ValueError:
            return aws_error(request.service, "SerializationException", "Invalid JSON body.", 400)
        try:
            result = function(body)
        except ApiError as exc:
            status = exc.status if request.service != "personalize" else 400
            return aws_error(request.service, exc.code, exc.message, status)
        except (TypeError, AttributeError) as exc:  # a member of the wrong JSON type (raw HTTP)
            log.debug("malformed %s: %s", request.describe(), exc)
            message = "A member of the request has the wrong type; see the API reference."
            return aws_error(request.service, "SerializationException", message, 400)
        content_type = JSON_11 if request.service == "personalize" else "application/json"
        text = "" if result is None else json.dumps(result)
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        return Response(text, 200, headers, content_type=content_type)

    def handle_control(self, request: AwsRequest) -> Response:
        method = getattr(self.control, f"op_{request.operation}", None)
        if method is None:
            return not_implemented(request.service, request.operation)
        region = request.region or "us-east-1"
        return self._call(request, lambda body: method(body, region))

    def handle_runtime(self, request: AwsRequest) -> Response:
        runtime = self.parts[1]
        handlers = {
            "GetRecommendations": runtime.get_recommendations,
            "GetPersonalizedRanking": runtime.get_personalized_ranking,
        }
        handler = handlers.get(request.operation or "")
        if handler is None:
            return not_implemented(request.service, request.operation)
        return self._call(request, handler)

    def handle_events(self, request: AwsRequest) -> Response:
        events = self.parts[2]
        handlers = {
            "PutEvents": events.put_events,
            "PutUsers": lambda body: events.put_records(body, "USERS"),
            "PutItems": lambda body: events.put_records(body, "ITEMS"),
        }
        handler = handlers.get(request.operation or "")
        if handler is None:
            return not_implemented(request.service, request.operation)
        return self._call(request, handler)

    def snapshot(self) -> Any:
        if self._parts is None:
            return None
        return {"resources": self.control.store.snapshot(), "live": dict(self.control.live)}

    def restore(self, state: Any) -> None:
        self.control.store.restore(state["resources"])
        self.control.live.update(state["live"])

    def counts(self) -> dict[str, int]:
        if self._parts is None:
            return {}
        store = self.control.store
        kinds = {
            "dataset groups": "dataset-group",
            "solutions": "solution",
            "trained solution versions": "solution-version",
            "campaigns": "campaign",
            "event trackers": "event-tracker",
            "filters": "filter",
        }
        out = {label: len(store.all(kind)) for label, kind in kinds.items()}
        out["trained solution versions"] = sum(
            "trained" in v.state for v in store.all("solution-version")
        )
        return out

    def info(self) -> dict[str, Any]:
        out = super().info()
        if self._parts is not None:
            out["pace_seconds"] = self.control.store.pace
        return out


PROVIDERS = [PersonalizeProvider]
