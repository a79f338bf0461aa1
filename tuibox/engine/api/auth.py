"""Routes for logins: POST /auth (docker login), and tuibox's DELETE /tuibox/v1/auth/{server}
(the TUI's logout) and GET /tuibox/v1/registries (registries known, with their login state)."""

from __future__ import annotations

from aiohttp import web

from tuibox.engine.api.common import json_response, read_json_body, refuse_unknown_query
from tuibox.engine.services.registries.service import RegistryService


class AuthRoutes:
    """Thin handlers over RegistryService."""

    def __init__(self, registries: RegistryService) -> None:
        self.registries = registries

    def routes(self) -> list[web.RouteDef]:
        """Docker's route (under the version prefix)."""
        return [web.post("/auth", self.login)]

    def own_routes(self) -> list[web.RouteDef]:
        """tuibox's extensions, never under a Docker version prefix."""
        return [
            web.delete("/tuibox/v1/auth/{server:.+}", self.logout),
            web.get("/tuibox/v1/registries", self.list_registries),
        ]

    async def login(self, request: web.Request) -> web.Response:
        refuse_unknown_query(request, "POST /auth")
        return json_response(await self.registries.login(await read_json_body(request)))

    async def logout(self, request: web.Request) -> web.Response:
        refuse_unknown_query(request, "DELETE /tuibox/v1/auth/{server}")
        await self.registries.logout(request.match_info["server"])
        return web.Response(status=204)

    async def list_registries(self, request: web.Request) -> web.Response:
        refuse_unknown_query(request, "GET /tuibox/v1/registries")
        return json_response({"Registries": self.registries.registries()})


