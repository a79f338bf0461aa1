"""tuibox's layer explorer route: GET /tuibox/v1/images/{name}/layers[?limit=N&path=/P].

The answer is one JSON object: the image's size, wasted bytes, efficiency and top wasted
files, then "layers" (bottom first), each with its entries. It is written layer by layer in
chunks, so a client can parse it as it arrives and the engine never holds it as one string.
"""

from __future__ import annotations

import contextlib
import json
import posixpath

from aiohttp import web

from tuibox.engine.api.common import query_int, refuse_unknown_query
from tuibox.engine.api.streams import start_stream
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.images.layer_tree import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    LayerExplorer,
    TreeQuery,
)

KNOWN_QUERY = frozenset({"limit", "path"})
MAX_PATH = 4096


class LayerTreeRoutes:
    """A thin handler over LayerExplorer; an extension, never under a Docker version prefix."""

    def __init__(self, explorer: LayerExplorer) -> None:
        self.explorer = explorer

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/tuibox/v1/images/{name:.+}/layers", self.layers)]

    async def layers(self, request: web.Request) -> web.StreamResponse:
        document = await self.explorer.explore(request.match_info["name"], tree_query(request))
        layers = document.pop("layers")
        response = web.StreamResponse()
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await start_stream(request, response)
        with contextlib.suppress(ConnectionError):
            await response.write(json.dumps(document)[:-1].encode() + b', "layers": [')
            for index, layer in enumerate(layers):
                await response.write((", " if index else "").encode() + json.dumps(layer).encode())
            await response.write(b"]}")
            await response.write_eof()
        return response


def tree_query(request: web.Request) -> TreeQuery:
    """The query's limit and path, checked.

    Raises:
        InvalidArgument: naming an unknown parameter, a limit out of 1..MAX_LIMIT, or a path
            that is not absolute.
    """
    refuse_unknown_query(request, "GET /tuibox/v1/images/{name}/layers", KNOWN_QUERY)
    limit = query_int(request, "limit", DEFAULT_LIMIT)
    assert limit is not None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"invalid value for limit: {limit} is not in 1..{MAX_LIMIT}")
    path = request.query.get("path", "/")
    if not path.startswith("/") or "\x00" in path or len(path) > MAX_PATH:
        raise InvalidArgument(f"invalid value for path: {path[:64]!r} is not an absolute path")
    return TreeQuery(limit=limit, path="/" + posixpath.normpath(path).lstrip("/"))
