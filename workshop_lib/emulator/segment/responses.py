"""JSON responses of the Segment APIs (the Python client reads `code` and `message` on 4xx)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


def tracking_error(code: str, message: str, status: int = 400) -> Response:
    """A Tracking API error: analytics-python raises APIError(status, code, message) from it."""
    return json_response({"success": False, "code": code, "message": message}, status)


TRACKING_OK = b'{"success": true}'
