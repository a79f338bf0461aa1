"""Routes for /_ping, /version, /info and /events."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from tuibox.engine.api.common import json_response, query_filters, query_int
from tuibox.engine.services.events import Event, EventBus
from tuibox.engine.services.system import SystemService

PING_HEADERS = {
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "Builder-Version": "1",
    "Swarm": "inactive",
}


class SystemRoutes:
    """Handlers for the system endpoints; each calls one service method."""

    def __init__(self, system: SystemService, events: EventBus) -> None:
        self.system = system
        self.events = events

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("HEAD", "/_ping", self.ping),
            web.get("/_ping", self.ping, allow_head=False),
            web.get("/version", self.version),
            web.get("/info", self.info),
            web.get("/events", self.stream_events),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        body = b"" if request.method == "HEAD" else b"OK"
        return web.Response(body=body, content_type="text/plain", headers=PING_HEADERS)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(self.system.version())

    async def info(self, request: web.Request) -> web.Response:
        return json_response(self.system.info())

    async def stream_events(self, request: web.Request) -> web.StreamResponse:
        """Stream events as they happen, after replaying those since `since`."""
        filters = query_filters(request)
        since = query_int(request, "since")
        until = query_int(request, "until")

        def wanted(event: Event) -> bool:
            checks = {
                "type": event.type,
                "event": event.action,
                "container": event.actor_id,
            }
            for key, values in filters.items():
                actual = checks.get(key)
                if actual is None or not values:
                    continue
                if key == "container":
                    name = event.attributes.get("name", "")
                    if not any(actual.startswith(v) or name == v for v in values):
                        return False
                elif actual not in values:
                    return False
            return True

        queue = self.events.subscribe(wanted)
        try:
            response = web.StreamResponse()
            response.content_type = "application/json"
            response.enable_chunked_encoding()
            await response.prepare(request)
            replayed: set[int] = set()
            if since is not None:
                for event in list(self.events.recent):
                    if event.time_ns // 1_000_000_000 >= since and wanted(event):
                        replayed.add(id(event))
                        await response.write(json.dumps(event.to_docker()).encode() + b"\n")
            while True:
                remaining = None if until is None else until - time.time()
                if remaining is not None and remaining <= 0:
                    break
                event = await asyncio.wait_for(queue.get(), remaining)
                if id(event) in replayed:
                    continue
                await response.write(json.dumps(event.to_docker()).encode() + b"\n")
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self.events.unsubscribe(queue)
        return response
