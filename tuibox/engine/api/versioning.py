"""API versions: every route also under /vX.Y, and a middleware that checks the range; GET
routes registered without aiohttp's implicit HEAD twin."""

from __future__ import annotations

from aiohttp import web

from tuibox.engine.api.errors import Handler, error_response
from tuibox.engine.domain.config import API_VERSION, MIN_API_VERSION

VERSION_SEGMENT = r"/v{api_version:[0-9]+\.[0-9]+}"


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def with_version_prefix(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    """Each route twice: as given and under /vX.Y, as moby registers them."""
    prefixed = [
        web.route(r.method, VERSION_SEGMENT + r.path, r.handler, **r.kwargs) for r in routes
    ]
    return [*routes, *prefixed]


def no_implicit_head(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    """The routes with each GET's implicit HEAD dropped: moby answers HEAD only where it
    registers it (/_ping, /containers/{id}/archive: routes of their own here), and a
    streamed GET answering a HEAD would send its body onto the connection."""
    return [web.route(r.method, r.path, r.handler, **{**r.kwargs, "allow_head": False})
            if r.method == "GET" else r for r in routes]  # fmt: skip


@web.middleware
async def version_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse versions below 1.24; serve newer clients as 1.44, which every one accepts."""
    version = request.match_info.get("api_version")
    if version is not None and _as_tuple(version) < _as_tuple(MIN_API_VERSION):
        return error_response(
            400,
            f"client version {version} is too old. Minimum supported API version is "
            f"{MIN_API_VERSION}, please upgrade your client to a newer version",
        )
    response = await handler(request)
    return response


def common_headers(server_version: str) -> dict[str, str]:
    """Headers moby puts on every answer."""
    return {
        "Api-Version": API_VERSION,
        "Ostype": "linux",
        "Server": f"tuibox/{server_version} (linux)",
        "Docker-Experimental": "false",
    }
