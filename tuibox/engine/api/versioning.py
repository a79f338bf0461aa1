"""API versions: the router strips /vX.Y prefixes and the middleware checks the range."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.web_urldispatcher import UrlMappingMatchInfo

from tuibox.engine.api.errors import Handler, error_response

API_VERSION = "1.44"
MIN_API_VERSION = "1.24"
VERSION_PREFIX = re.compile(r"^/v(\d+\.\d+)(/.*)$")
REQUEST_VERSION_KEY = "api_version"


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class VersionedRouter(web.UrlDispatcher):
    """Resolves `/v1.44/containers/json` and `/containers/json` to the same route."""

    async def resolve(self, request: web.Request) -> UrlMappingMatchInfo:
        match = VERSION_PREFIX.match(request.rel_url.path)
        if match is None:
            request[REQUEST_VERSION_KEY] = None
            return await super().resolve(request)
        request[REQUEST_VERSION_KEY] = match.group(1)
        stripped = request.clone(rel_url=request.rel_url.with_path(match.group(2)))
        return await super().resolve(stripped)


@web.middleware
async def version_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse versions below 1.24; serve newer clients as 1.44, which every one accepts."""
    version = request.get(REQUEST_VERSION_KEY)
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
