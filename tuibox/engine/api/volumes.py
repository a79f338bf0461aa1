"""Routes for /volumes: create, list, inspect, remove, prune."""

from __future__ import annotations

from aiohttp import web

from tuibox.engine.api.common import json_response, query_bool, query_filters, read_json_body
from tuibox.engine.services.volumes.service import VolumeService


class VolumeRoutes:
    """Thin handlers: parse, call one service method, serialise."""

    def __init__(self, volumes: VolumeService) -> None:
        self.volumes = volumes

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/volumes", self.list_volumes),
            web.post("/volumes/create", self.create),
            web.post("/volumes/prune", self.prune),
            web.get("/volumes/{name}", self.inspect),
            web.delete("/volumes/{name}", self.remove),
        ]

    async def list_volumes(self, request: web.Request) -> web.Response:
        return json_response(self.volumes.list_volumes(query_filters(request)))

    async def create(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        return json_response(self.volumes.create(body), status=201)

    async def prune(self, request: web.Request) -> web.Response:
        """Before API 1.42 a prune took every unused volume, named ones too (as dockerd)."""
        filters = query_filters(request)
        version = request.match_info.get("api_version")
        if version is not None and tuple(int(p) for p in version.split(".")) < (1, 42):
            filters.setdefault("all", ["true"])
        return json_response(await self.volumes.prune(filters))

    async def inspect(self, request: web.Request) -> web.Response:
        return json_response(self.volumes.inspect(request.match_info["name"]))

    async def remove(self, request: web.Request) -> web.Response:
        await self.volumes.remove(request.match_info["name"], query_bool(request, "force"))
        return web.Response(status=204)
