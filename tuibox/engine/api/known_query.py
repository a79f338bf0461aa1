"""The query parameters each container, exec, stats, volume and system route honours; a
middleware refuses any other by name before the handler runs. (The image, network, archive,
commit, auth and browse routes check their own, in their handlers.)"""

from __future__ import annotations

import re

from aiohttp import web

from tuibox.engine.api.common import refuse_unknown_query
from tuibox.engine.api.errors import Handler

_NONE: frozenset[str] = frozenset()
_TERMINAL = frozenset({"h", "w"})
_STOP = frozenset({"t", "signal"})

KNOWN_QUERY: dict[tuple[str, str], frozenset[str]] = {
    # docker-py sends trunc_cmd on every listing; dockerd answers commands in full, as here
    ("GET", "/containers/json"): frozenset(
        {"all", "limit", "size", "filters", "since", "before", "trunc_cmd"}
    ),
    ("POST", "/containers/create"): frozenset({"name", "platform"}),
    ("GET", "/containers/{id}/json"): frozenset({"size"}),
    ("POST", "/containers/{id}/start"): _NONE,
    ("POST", "/containers/{id}/stop"): _STOP,
    ("POST", "/containers/{id}/restart"): _STOP,
    ("POST", "/containers/{id}/kill"): frozenset({"signal"}),
    ("POST", "/containers/{id}/update"): _NONE,
    ("POST", "/containers/{id}/pause"): _NONE,
    ("POST", "/containers/{id}/unpause"): _NONE,
    ("POST", "/containers/{id}/rename"): frozenset({"name"}),
    ("POST", "/containers/prune"): frozenset({"filters"}),
    ("GET", "/containers/{id}/changes"): _NONE,
    ("GET", "/containers/{id}/export"): _NONE,
    ("POST", "/containers/{id}/wait"): frozenset({"condition"}),
    ("POST", "/containers/{id}/attach"): frozenset(
        {"detachKeys", "logs", "stream", "stdin", "stdout", "stderr"}
    ),
    ("POST", "/containers/{id}/resize"): _TERMINAL,
    # `details` adds --log-opt labels and env, which create refuses: there are none to add
    ("GET", "/containers/{id}/logs"): frozenset(
        {"follow", "stdout", "stderr", "since", "until", "timestamps", "tail", "details"}
    ),
    ("DELETE", "/containers/{id}"): frozenset({"v", "force", "link"}),
    ("POST", "/containers/{id}/exec"): _NONE,
    ("POST", "/exec/{id}/start"): _NONE,
    ("GET", "/exec/{id}/json"): _NONE,
    ("POST", "/exec/{id}/resize"): _TERMINAL,
    ("GET", "/containers/{id}/stats"): frozenset({"stream", "one-shot"}),
    ("GET", "/containers/{id}/top"): frozenset({"ps_args"}),
    ("GET", "/tuibox/v1/stats"): frozenset({"since"}),
    ("GET", "/tuibox/v1/stats/history"): frozenset({"since", "container"}),
    ("GET", "/_ping"): _NONE,
    ("HEAD", "/_ping"): _NONE,
    ("GET", "/version"): _NONE,
    ("GET", "/info"): _NONE,
    ("GET", "/events"): frozenset({"since", "until", "filters"}),
    ("GET", "/volumes"): frozenset({"filters"}),
    ("POST", "/volumes/create"): _NONE,
    ("POST", "/volumes/prune"): frozenset({"filters"}),
    ("GET", "/volumes/{name}"): _NONE,
    ("DELETE", "/volumes/{name}"): frozenset({"force"}),
}
_VERSION_PREFIX = re.compile(r"^/v\{api_version\}")


def route_key(request: web.Request) -> tuple[str, str] | None:
    """(method, path as registered without the /vX.Y prefix), None for no route."""
    resource = request.match_info.route.resource
    if resource is None:
        return None
    return request.method, _VERSION_PREFIX.sub("", resource.canonical)


@web.middleware
async def known_query_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a parameter the route does not honour, before any work is done."""
    key = route_key(request)
    known = KNOWN_QUERY.get(key) if key is not None else None
    if key is not None and known is not None:
        refuse_unknown_query(request, f"{key[0]} {key[1]}", known)
    return await handler(request)
