"""Route selection as API Gateway does it: method + path, `{param}`, `{proxy+}`, ANY, $default.

The most specific path wins: literal segments before `{param}` ones, and greedy `{proxy+}`
last; then an exact method before ANY. HTTP APIs fall back to the `$default` route.
"""

from __future__ import annotations

from dataclasses import dataclass

from .moto_state import ApiDefinition, ApiRoute


@dataclass(frozen=True)
class RouteMatch:
    route: ApiRoute
    path_parameters: dict[str, str]


def match_path(template: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(specificity, path parameters) if `path` fits `template`, else None."""
    wanted = [s for s in template.split("/") if s]
    given = [s for s in path.split("/") if s]
    params: dict[str, str] = {}
    literals = 0
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            if index != len(wanted) - 1 or index >= len(given):
                return None
            params[segment[1:-2]] = "/".join(given[index:])
            return (0, literals, index), params
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            params[segment[1:-1]] = given[index]
        elif segment != given[index]:
            return None
        else:
            literals += 1
    if len(given) != len(wanted):
        return None
    return (1, literals, len(wanted)), params


def select_route(api: ApiDefinition, method: str, path: str) -> RouteMatch | None:
    """The route a request takes, or None (HTTP APIs: 404; REST APIs: 403)."""
    best: tuple[tuple[int, ...], RouteMatch] | None = None
    for route in api.routes:
        if route.path is None or route.method not in (method, "ANY"):
            continue
        found = match_path(route.path, path)
        if found is None:
            continue
        score = (*found[0], route.method == method)
        if best is None or score > best[0]:
            best = (score, RouteMatch(route, found[1]))
    if best:
        return best[1]
    default = next((r for r in api.routes if r.method == "$default"), None)
    return RouteMatch(default, {}) if default else None
