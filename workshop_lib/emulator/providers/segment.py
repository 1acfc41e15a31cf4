"""Segment, on the emulator's port under `/_segment/`.

    /_segment/v1/{track,identify,page,screen,group,alias,batch,import}   Tracking API
    /_segment/admin/...                                                  workspace admin API
    /_segment/profiles/v1/spaces/<space>/collections/users/profiles/...  Profile API

So the real analytics client is pointed here with `host="http://127.0.0.1:<port>/_segment"`.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..aws_request import AwsRequest
from ..segment import PATH_PREFIX
from ..segment.responses import json_response
from . import Provider, Route


class SegmentProvider(Provider):
    def __init__(self, app) -> None:
        super().__init__(
            app,
            name="segment",
            description="Segment Tracking API, sources, S3 and Lambda destinations, Profile API "
            f"under {PATH_PREFIX}/",
            services=["segment"],
        )
        self._service = None

    @property
    def service(self):
        if self._service is None:  # built on first use: keeps start-up fast
            from ..segment.admin import AdminApi
            from ..segment.service import SegmentService

            self._service = SegmentService(self.app)
            self._admin = AdminApi(self._service)
        return self._service

    def routes(self) -> list[Route]:
        return [Route(self.handle, path_prefix=PATH_PREFIX + "/")]

    def handle(self, request: AwsRequest) -> Response:
        path = request.path[len(PATH_PREFIX) :]
        service = self.service
        if path.startswith("/v1/"):
            return service.tracking.handle(request, path[4:].strip("/"))
        if path.startswith("/admin/"):
            return self._admin.handle(request, path[len("/admin/") :])
        if path.startswith("/profiles/"):
            return service.profile_api.handle(request, path[len("/profiles/") :])
        return json_response(
            {"message": f"No Segment endpoint {request.path}. Try {PATH_PREFIX}/v1/batch."}, 404
        )

    def info(self) -> dict:
        info = super().info()
        if self._service is not None:
            workspace = self._service.workspace
            info["sources"] = len(workspace.sources)
            info["destinations"] = len(workspace.destinations)
        return info

    def reset(self) -> None:
        if self._service is not None:
            self._service.reset()

    def snapshot(self) -> dict | None:
        return None if self._service is None else self._service.snapshot()

    def restore(self, state: dict) -> None:
        self.service.restore(state)

    def counts(self) -> dict[str, int]:
        if self._service is None:
            return {}
        workspace = self._service.workspace
        return {
            "Segment sources": len(workspace.sources),
            "Segment destinations": len(workspace.destinations),
        }


PROVIDERS = [SegmentProvider]
