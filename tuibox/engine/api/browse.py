"""Routes for browsing registries (tuibox extensions, outside the version prefix):
GET /tuibox/v1/registries/{host}/catalog and .../repositories/{name}/tags."""

from __future__ import annotations

from aiohttp import web

from tuibox.engine.api.common import json_response, query_int, refuse_unknown_query
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.browse.catalog import RegistryBrowser

PAGE_QUERY = frozenset({"n", "last"})
DEFAULT_CATALOG_PAGE = 100
DEFAULT_TAG_PAGE = 25
"""Each tag costs a manifest or two and a config: a smaller page than the catalog's."""
MAX_LAST = 512


class BrowseRoutes:
    """Thin handlers over RegistryBrowser."""

    def __init__(self, browser: RegistryBrowser) -> None:
        self.browser = browser

    def routes(self) -> list[web.RouteDef]:
        """tuibox's extensions, never under a Docker version prefix."""
        return [
            web.get("/tuibox/v1/registries/{host}/catalog", self.catalog),
            web.get("/tuibox/v1/registries/{host}/repositories/{name:.+}/tags", self.tags),
        ]

    async def catalog(self, request: web.Request) -> web.Response:
        n, last = _page(request, "GET /tuibox/v1/registries/{host}/catalog", DEFAULT_CATALOG_PAGE)
        return json_response(await self.browser.catalog(request.match_info["host"], n, last))

    async def tags(self, request: web.Request) -> web.Response:
        n, last = _page(request, "GET /tuibox/v1/registries/{host}/repositories/{name}/tags",
                        DEFAULT_TAG_PAGE)  # fmt: skip
        info = request.match_info
        return json_response(await self.browser.tags(info["host"], info["name"], n, last))


def _page(request: web.Request, route: str, default: int) -> tuple[int, str | None]:
    """`n` and `last`, checked; any other parameter is refused by name."""
    refuse_unknown_query(request, route, PAGE_QUERY)
    n = query_int(request, "n", default)
    last = request.query.get("last") or None
    if last is not None and len(last) > MAX_LAST:
        raise InvalidArgument(f"invalid value for last: longer than {MAX_LAST} characters")
    return default if n is None else n, last
