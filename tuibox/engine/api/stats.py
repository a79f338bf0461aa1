"""Routes for resource figures: `docker stats`, `docker top`, and tuibox's batched stream.

tuibox's own paths sit under /tuibox/v1/: `GET /tuibox/v1/stats[?since=T]` streams, one
JSON object per line, every running container's figures each second (after the history
since T when it is given), and `GET /tuibox/v1/stats/history?container=ID&since=T` answers
the history of the containers named.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tuibox.engine.api.common import json_response, query_bool, query_unix_ns
from tuibox.engine.api.streams import start_stream
from tuibox.engine.services.stats.service import StatsService

NDJSON = "application/json"


class StatsRoutes:
    """Thin handlers over StatsService."""

    def __init__(self, stats: StatsService) -> None:
        self.stats = stats

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/containers/{id}/stats", self.container_stats),
            web.get("/containers/{id}/top", self.top),
        ]

    def own_routes(self) -> list[web.RouteDef]:
        """tuibox's extension, never under a Docker API version prefix."""
        return [
            web.get("/tuibox/v1/stats", self.batched),
            web.get("/tuibox/v1/stats/history", self.history),
        ]

    async def container_stats(self, request: web.Request) -> web.StreamResponse:
        """One document (`stream=false`) or one a second until the container is removed."""
        documents = self.stats.container_stats(
            request.match_info["id"],
            stream=query_bool(request, "stream", default=True),
            one_shot=query_bool(request, "one-shot"),
        )
        return await _stream_lines(request, documents)

    async def top(self, request: web.Request) -> web.Response:
        result = await self.stats.top(request.match_info["id"], request.query.get("ps_args"))
        return json_response(result)

    async def batched(self, request: web.Request) -> web.StreamResponse:
        since_ns = query_unix_ns(request, "since")
        return await _stream_lines(request, self.stats.batched(
            None if since_ns is None else since_ns / 1e9))  # fmt: skip

    async def history(self, request: web.Request) -> web.Response:
        since_ns = query_unix_ns(request, "since")
        since = time.time() - 900 if since_ns is None else since_ns / 1e9
        return json_response(self.stats.history(request.query.getall("container", []), since))


async def _stream_lines(
    request: web.Request, documents: AsyncIterator[dict[str, Any]]
) -> web.StreamResponse:
    """Write JSON documents, one a line, until they end or the client leaves."""
    iterator = aiter(documents)
    first = await anext(iterator, None)  # errors (no such container) before the headers
    response = web.StreamResponse()
    response.content_type = NDJSON
    response.enable_chunked_encoding()
    await start_stream(request, response)
    with contextlib.suppress(ConnectionError):
        if first is not None:
            await response.write(json.dumps(first).encode() + b"\n")
            async for document in iterator:
                await response.write(json.dumps(document).encode() + b"\n")
        await response.write_eof()
    return response
