"""Routes for /_ping, /version, /info, /events and /system/df."""

from __future__ import annotations

import json

from aiohttp import web

from tuibox.engine.api.common import (
    json_response,
    query_filters,
    query_unix_ns,
    refuse_unknown_query,
)
from tuibox.engine.services.system.disk_usage import DiskUsage
from tuibox.engine.services.system.events import EventFeed
from tuibox.engine.services.system.info import SystemService

PING_HEADERS = {
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "Builder-Version": "1",
    "Swarm": "inactive",
}


class SystemRoutes:
    """Handlers for the system endpoints; each calls one service method."""

    def __init__(self, system: SystemService, events: EventFeed, disk_usage: DiskUsage) -> None:
        self.system = system
        self.events = events
        self.disk_usage = disk_usage

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("HEAD", "/_ping", self.ping),
            web.get("/_ping", self.ping, allow_head=False),
            web.get("/version", self.version),
            web.get("/info", self.info),
            web.get("/events", self.stream_events),
            web.get("/system/df", self.df),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        body = b"" if request.method == "HEAD" else b"OK"
        return web.Response(body=body, content_type="text/plain", headers=PING_HEADERS)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(self.system.version())

    async def info(self, request: web.Request) -> web.Response:
        return json_response(self.system.info())

    async def df(self, request: web.Request) -> web.Response:
        refuse_unknown_query(request, "GET /system/df", {"type"})
        return json_response(await self.disk_usage.report(request.query.getall("type", [])))

    async def stream_events(self, request: web.Request) -> web.StreamResponse:
        """Stream events as they happen, after replaying those since `since`."""
        stream = self.events.open(
            query_filters(request),
            query_unix_ns(request, "since"),
            query_unix_ns(request, "until"),
        )
        try:
            response = web.StreamResponse()
            response.content_type = "application/json"
            response.enable_chunked_encoding()
            await response.prepare(request)
            async for message in stream.messages():
                await response.write(json.dumps(message).encode() + b"\n")
        except ConnectionError:
            pass
        finally:
            stream.close()
        return response
