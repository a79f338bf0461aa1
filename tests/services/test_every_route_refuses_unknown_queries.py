"""Every route of the engine refuses a query parameter it does not honour, naming it, before
it does any work: the engine never ignores what it was asked (the rule above the others)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tuibox.engine.api.known_query import KNOWN_QUERY

BOGUS = "tuiboxbogus"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(:[^}]*)?\}")
_FILLED = {"api_version": "1.44", "server": "reg.example", "host": "reg.example"}


def router(api: TestClient[Any, Any]) -> web.UrlDispatcher:
    app: web.Application | None = api.app
    assert app is not None
    return app.router


def concrete(path: str) -> str:
    """A registered path with its placeholders filled (names that exist nowhere)."""
    return _PLACEHOLDER.sub(lambda m: _FILLED.get(m.group(1), "nosuchthing"), path)


async def test_each_route_answers_a_bogus_parameter_with_a_400_naming_it(
    api: TestClient[Any, Any],
) -> None:
    routes = [(r.method, r.resource.canonical) for r in router(api).routes()
              if r.resource is not None]  # fmt: skip
    assert len(routes) > 60
    missed = []
    for method, path in routes:
        # a HEAD answer has no body to read: each on a connection of its own
        headers = {"Connection": "close"} if method == "HEAD" else {}
        response = await api.request(method, concrete(path), params={BOGUS: "1"},
                                     headers=headers)  # fmt: skip
        text = await response.text() if method != "HEAD" else ""
        refused = response.status == 400 and (method == "HEAD" or (
            "unknown query parameter for " in text and BOGUS in text))  # fmt: skip
        if not refused:
            missed.append(f"{method} {path}: {response.status} {text[:80]}")
    assert missed == []


def test_the_middleware_table_names_only_routes_that_exist(api: TestClient[Any, Any]) -> None:
    registered = {(r.method, re.sub(r"^/v\{api_version\}", "", r.resource.canonical))
                  for r in router(api).routes() if r.resource is not None}  # fmt: skip
    assert set(KNOWN_QUERY) - registered == set()


async def test_head_is_answered_only_where_moby_registers_it(api: TestClient[Any, Any]) -> None:
    """A streamed GET never answers a HEAD (its body would follow onto the connection)."""
    heads = sorted({re.sub(r"^/v\{api_version\}", "", r.resource.canonical)
                    for r in router(api).routes()
                    if r.method == "HEAD" and r.resource is not None})  # fmt: skip
    assert heads == ["/_ping", "/containers/{id}/archive"]
    listing = await api.head("/containers/json", headers={"Connection": "close"})
    assert listing.status == 405
    assert (await api.head("/_ping")).status == 200
