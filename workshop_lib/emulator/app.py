"""The emulator's WSGI application: control endpoints, the provider routes, then moto."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from . import HEALTH_PATH, RESET_PATH, request_log, state
from .aws_request import AwsRequest, MalformedRequest
from .errors import aws_error
from .iam import enforce as iam_enforce
from .moto_passthrough import MotoPassthrough
from .providers import Provider, Route
from .providers import provider_classes as discovered_providers

log = logging.getLogger(__name__)
SERVICE_NAME = "workshop-emulator"


class EmulatorApp:
    """One WSGI callable in front of everything the workshop talks to."""

    def __init__(
        self, provider_classes: list[type[Provider]] | None = None, state_file: Path | None = None
    ) -> None:
        """state_file: where the state is saved and restored from; None keeps it in memory."""
        self.started_at = time.time()
        self.port: int | None = None  # set by the server once bound
        self.moto = MotoPassthrough()
        from .cloudformation_fixes import install  # imports moto: not at module level

        install(self.moto.app)  # what moto's CloudFormation lacks for setup/'s stack
        classes = discovered_providers() if provider_classes is None else provider_classes
        self.providers = [cls(self) for cls in classes]
        self.routes: list[Route] = [r for p in self.providers for r in p.routes()]
        self.persistence = state.attach(self, state_file)  # restores the saved state

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_environment(self, region: str = "us-east-1") -> dict[str, str]:
        """Variables that point boto3/awswrangler in a subprocess (Lambda, Glue job) here."""
        return {
            "AWS_ENDPOINT_URL": self.base_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "NO_PROXY": "127.0.0.1",
        }

    def client(self, service: str, region: str = "us-east-1"):
        """A boto3 client that calls this emulator over HTTP (providers use public APIs)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.base_url,
            region_name=region,
            aws_access_key_id=request_log.internal_access_key(),  # who asked, for the log
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )

    def health(self) -> dict[str, Any]:
        return {
            "service": SERVICE_NAME,
            "status": "ok",
            "pid": os.getpid(),
            "url": self.base_url,
            "started_at": self.started_at,
            "uptime_seconds": round(time.time() - self.started_at, 1),
            "credentials": "any credentials are accepted (local use only)",
            "iam": iam_enforce.stats(),  # enforced? requests checked and denied
            "providers": [self.moto.info()] + [p.info() for p in self.providers],
            "state": dict(self.persistence.report),  # a copy: the saving thread updates it
        }

    def reset(self) -> None:
        """Forget everything, saved state included."""
        self.persistence.forget(self.reset_live)

    def reset_live(self) -> None:
        self.moto.reset()
        for provider in self.providers:
            provider.reset()

    def state_changed(self) -> None:
        """Background work (training, query and job runs) changed the state: save it soon."""
        self.persistence.changed()

    def _control(self, request: AwsRequest) -> Response:
        if request.path == HEALTH_PATH and request.method == "GET":
            return Response(json.dumps(self.health()), 200, content_type="application/json")
        if request.path == RESET_PATH and request.method == "POST":
            self.reset()
            return Response(json.dumps({"status": "reset"}), 200, content_type="application/json")
        body = {
            "message": f"No emulator endpoint {request.method} {request.path}. "
            f"Try GET {HEALTH_PATH} or POST {RESET_PATH}."
        }
        return Response(json.dumps(body), 404, content_type="application/json")

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = AwsRequest(environ)
        request_log.record(request)  # only with $WORKSHOP_EMULATOR_REQUEST_LOG set
        if request.path.startswith("/_emulator/"):
            return self._control(request)(environ, start_response)
        with self.persistence.lock.shared():  # a save waits for requests in flight
            body = self._dispatch(request, environ, start_response)
        if state.changes_state(request):
            self.persistence.changed()
        return body

    def _dispatch(self, request: AwsRequest, environ: dict, start_response: Any) -> Iterable[bytes]:
        denied = iam_enforce.check(request)  # IAM as AWS enforces it (WORKSHOP_EMULATOR_IAM)
        if denied is not None:
            return denied(environ, start_response)
        for route in self.routes:
            if route.matches(request):
                try:
                    response = route.handler(request)
                except MalformedRequest as err:  # from request.params(): the caller's error
                    response = aws_error(
                        request.service, err.code, str(err), 400, protocol=request.protocol
                    )
                except Exception as exc:  # a provider bug: an AWS-shaped 500, logged
                    log.exception("provider failed on %s", request.describe())
                    response = aws_error(
                        request.service,
                        "InternalFailure",
                        str(exc),
                        500,
                        sender=False,
                        protocol=request.protocol,
                    )
                return response(environ, start_response)
        return self.moto(request, start_response)
