"""The base URL of a deployed API Gateway API, for whichever target the workshop runs on.

On AWS it is the execute-api URL (https://<api-id>.execute-api.<region>.amazonaws.com/<stage>);
on the local target the emulator serves the same API at <endpoint>/_aws/execute-api/<api-id>/
<stage>. The `$default` stage of an HTTP API has no stage segment, on both targets.
"""

from __future__ import annotations

from typing import Protocol

LOCAL_PATH = "/_aws/execute-api"


class _Target(Protocol):
    target: str
    region: str
    endpoint_url: str | None


def api_base_url(ws: _Target, api_id: str, stage: str = "$default") -> str:
    """Where to send requests for `api_id` (no trailing slash): ``f"{url}/recommendations"``."""
    if not api_id:
        raise ValueError("api_id is empty: create the API first (its id is in create_api's answer)")
    stage_part = "" if stage == "$default" else f"/{stage}"
    if ws.target == "local":
        if not ws.endpoint_url:
            raise ValueError("The local target has no emulator URL: call workshop_lib.connect()")
        return f"{ws.endpoint_url.rstrip('/')}{LOCAL_PATH}/{api_id}{stage_part}"
    return f"https://{api_id}.execute-api.{ws.region}.amazonaws.com{stage_part}"
