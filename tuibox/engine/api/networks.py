"""Routes for /networks: list, create, inspect, remove, prune, and connect/disconnect (which
the container side does, under the container's lock)."""

from __future__ import annotations

from aiohttp import web

from tuibox.engine.api.common import (
    json_response,
    query_bool,
    query_filters,
    read_json_body,
    refuse_unknown_query,
)
from tuibox.engine.domain.errors import InvalidArgument, NotFound, Unavailable
from tuibox.engine.services.containers.connections import NetworkConnections
from tuibox.engine.services.networks.service import NetworkService

QUERY_KEYS = {
    "GET /networks": {"filters"},
    "GET /networks/{id}": {"verbose", "scope"},
    "DELETE /networks/{id}": set(),
    "POST /networks/prune": {"filters"},
    "POST /networks/create": set(),
    "POST /networks/{id}/connect": set(),
    "POST /networks/{id}/disconnect": set(),
}


class NetworkRoutes:
    """Thin handlers: parse, call one service method, serialise."""

    def __init__(
        self, networks: NetworkService, connections: NetworkConnections | None = None
    ) -> None:
        self.networks = networks
        self.connections = connections

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/networks", self.list_networks),
            web.post("/networks/create", self.create),
            web.post("/networks/prune", self.prune),
            web.get("/networks/{id}", self.inspect),
            web.delete("/networks/{id}", self.remove),
            web.post("/networks/{id}/connect", self.connect),
            web.post("/networks/{id}/disconnect", self.disconnect),
        ]

    async def list_networks(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "GET /networks")
        return json_response(await self.networks.list_networks(query_filters(request)))

    async def create(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /networks/create")
        body = await read_json_body(request)
        return json_response(await self.networks.create(body), status=201)

    async def prune(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /networks/prune")
        return json_response(await self.networks.prune(query_filters(request)))

    async def inspect(self, request: web.Request) -> web.Response:
        """`verbose` adds nothing for local networks (dockerd's Services are swarm's); a
        swarm scope finds no local network, as in dockerd."""
        _refuse_unknown_query(request, "GET /networks/{id}")
        query_bool(request, "verbose")
        ref = request.match_info["id"]
        scope = request.query.get("scope", "")
        if scope not in ("", "local", "swarm", "global"):
            raise InvalidArgument(f"invalid scope {scope[:32]!r}: expected local, swarm or global")
        if scope in ("swarm", "global"):
            raise NotFound(f"network {ref} not found")
        return json_response(await self.networks.inspect(ref))

    async def remove(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "DELETE /networks/{id}")
        await self.networks.remove(request.match_info["id"])
        return web.Response(status=204)

    async def connect(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /networks/{id}/connect")
        body = await read_json_body(request)
        await self._connections().connect(request.match_info["id"], body)
        return web.Response(status=200)

    async def disconnect(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /networks/{id}/disconnect")
        body = await read_json_body(request)
        await self._connections().disconnect(request.match_info["id"], body)
        return web.Response(status=200)

    def _connections(self) -> NetworkConnections:
        if self.connections is None:
            raise Unavailable("network connect and disconnect need the engine's networking")
        return self.connections


def _refuse_unknown_query(request: web.Request, route: str) -> None:
    refuse_unknown_query(request, route, QUERY_KEYS[route])
