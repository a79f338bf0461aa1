"""Property: no request to any route, however hostile, gets a 5xx or a non-Docker error body.

The suite runs a short pass (TUIBOX_FUZZ_EXAMPLES, 300 by default); bench/fuzz_api.py runs
the same property with tens of thousands of examples.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession, UnixConnector
from hypothesis import HealthCheck, given, settings

from tests.services.api_requests import ApiRequest, api_requests
from tests.services.conftest import Engine
from tuibox.engine.api.http_server import ConnectionLimits, start_unix_site
from tuibox.engine.server import build_app

EXAMPLES = int(os.environ.get("TUIBOX_FUZZ_EXAMPLES", "300"))
HEADERS_TIMEOUT = 10.0
"""A stream (wait on a running container) may not end; its headers come at once."""


@pytest.fixture
async def served(engine: Engine, tmp_path: Path) -> AsyncIterator[ClientSession]:
    """The engine's routes served as the engine serves them, on a Unix socket of the test's."""
    socket_path = tmp_path / "api.sock"
    site = await start_unix_site(
        build_app(engine.services), socket_path, ConnectionLimits(64, 10.0, 30.0)
    )
    session = ClientSession(connector=UnixConnector(path=str(socket_path)))
    yield session
    await session.close()
    await site.stop()


async def send(api: ClientSession, request: ApiRequest) -> ClientResponse:
    kwargs: dict[str, Any] = {"params": request.query}
    if request.body is not None:
        kwargs["data"] = request.body
        kwargs["headers"] = {"Content-Type": "application/json"}
    elif request.json_body is not None:
        kwargs["data"] = json.dumps(request.json_body)
        kwargs["headers"] = {"Content-Type": "application/json"}
    url = "http://engine" + request.path
    return await asyncio.wait_for(api.request(request.method, url, **kwargs), HEADERS_TIMEOUT)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=api_requests())
async def test_no_request_gets_a_5xx(served: ClientSession, request: ApiRequest) -> None:
    response = await send(served, request)
    try:
        assert response.status < 500, f"{request} -> {response.status} {await response.text()}"
        if response.status >= 400 and request.method != "HEAD":  # HEAD answers carry no body
            assert response.content_type == "application/json", str(request)
            body = await response.json()
            assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    finally:
        response.close()
    async with served.get("http://engine/_ping") as ping:
        assert await ping.text() == "OK"
