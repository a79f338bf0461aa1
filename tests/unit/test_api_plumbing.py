"""Versioned routing, the error mapping and stream helpers, on a small aiohttp app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tuibox.engine.api.common import query_bool, query_filters, stream_json
from tuibox.engine.api.errors import error_middleware
from tuibox.engine.api.versioning import version_middleware, with_version_prefix
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, NotModified
from tuibox.engine.events import Event, EventBus, container_event

RAISED = {
    "notfound": NotFound("No such container: x"),
    "conflict": Conflict("busy"),
    "invalid": InvalidArgument("bad"),
    "notmodified": NotModified("same"),
    "crash": ZeroDivisionError("boom"),
}


async def raising(request: web.Request) -> web.Response:
    raise RAISED[request.match_info["kind"]]


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "flag": query_bool(request, "flag"),
            "filters": query_filters(request),
            "version": request.match_info.get("api_version"),
            "name": request.match_info.get("name"),
        }
    )


async def progress(request: web.Request) -> web.StreamResponse:
    async def messages() -> AsyncIterator[dict[str, Any]]:
        yield {"status": "one"}
        raise Conflict("half way")

    return await stream_json(request, messages())


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[error_middleware, version_middleware])
    app.add_routes(
        with_version_prefix(
            [
                web.get("/raise/{kind}", raising),
                web.get("/echo", echo),
                web.get("/images/{name:.+}/json", echo),
                web.get("/progress", progress),
            ]
        )
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("kind", "status"), [("notfound", 404), ("conflict", 409), ("invalid", 400), ("crash", 500)]
)
async def test_errors_map_to_status_and_exact_json(
    client: TestClient[Any, Any], kind: str, status: int
) -> None:
    response = await client.get(f"/v1.44/raise/{kind}")
    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    body = await response.json()
    assert body["message"] == (
        str(RAISED[kind]) if kind != "crash" else "internal error serving GET /v1.44/raise/crash"
    )


async def test_not_modified_has_no_body(client: TestClient[Any, Any]) -> None:
    response = await client.get("/raise/notmodified")
    assert response.status == 304
    assert await response.read() == b""


async def test_versioned_and_plain_paths_reach_the_same_route(client: TestClient[Any, Any]) -> None:
    plain = await (await client.get("/echo")).json()
    versioned = await (await client.get("/v1.41/echo")).json()
    assert plain["version"] is None and versioned["version"] == "1.41"
    image = await (await client.get("/v1.44/images/docker.io/library/busybox:1.36/json")).json()
    assert image["name"] == "docker.io/library/busybox:1.36"


async def test_unknown_route_and_too_old_version(client: TestClient[Any, Any]) -> None:
    missing = await client.get("/v1.44/nowhere")
    assert missing.status == 404
    assert (await missing.json())["message"].startswith("page not found")
    old = await client.get("/v1.12/echo")
    assert old.status == 400
    assert "too old" in (await old.json())["message"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("True", True), ("0", False), ("false", False), ("no", False), ("", False)],
)
async def test_query_bool_follows_moby(
    client: TestClient[Any, Any], raw: str, expected: bool
) -> None:
    body = await (await client.get("/echo", params={"flag": raw})).json()
    assert body["flag"] is expected


async def test_filters_accept_map_and_list_forms(client: TestClient[Any, Any]) -> None:
    map_form = json.dumps({"status": {"running": True, "exited": False}})
    list_form = json.dumps({"status": ["running"]})
    for raw in (map_form, list_form):
        body = await (await client.get("/echo", params={"filters": raw})).json()
        assert body["filters"] == {"status": ["running"]}
    bad = await client.get("/echo", params={"filters": "{nope"})
    assert bad.status == 400


async def test_stream_errors_after_start_go_in_band(client: TestClient[Any, Any]) -> None:
    response = await client.get("/progress")
    assert response.status == 200
    lines = [json.loads(line) for line in (await response.text()).splitlines()]
    assert lines[0] == {"status": "one"}
    assert lines[1]["errorDetail"]["message"] == "half way"


async def test_event_bus_delivers_only_matching_events() -> None:
    bus = EventBus()
    queue = bus.subscribe(container_event("abc", {"die"}))
    bus.publish(Event("container", "start", "abc"))
    bus.publish(Event("container", "die", "other"))
    bus.publish(Event("container", "die", "abc", {"exitCode": "3"}, exit_code=3))
    event = queue.get_nowait()
    assert (event.action, event.exit_code) == ("die", 3)
    assert queue.empty()
    bus.unsubscribe(queue)
    bus.publish(Event("container", "die", "abc"))
    assert queue.empty()
    assert event.to_docker()["status"] == "die"
