"""The real routes over the services: Docker's statuses, {"message"} bodies and stream formats."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tuibox.engine.services.containers import creation

Client = TestClient[Any, Any]
JSON = "application/json"


async def assert_error(response: ClientResponse, status: int, message: str) -> None:
    """An error answer: the status, Content-Type exactly application/json, and the message."""
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"] == JSON
    body = json.loads(await response.read())
    assert set(body) == {"message"}
    assert message in body["message"], body["message"]


async def create(api: Client, *cmd: str, name: str | None = None, **fields: Any) -> str:
    params = {"name": name} if name else {}
    response = await api.post(
        "/containers/create", params=params, json={"Image": "busybox", "Cmd": list(cmd), **fields}
    )
    assert response.status == 201, await response.text()
    assert response.headers["Content-Type"] == JSON
    created = await response.json()
    assert created["Warnings"] == []
    return str(created["Id"])


async def run(api: Client, *cmd: str, name: str | None = None) -> str:
    container_id = await create(api, *cmd, name=name)
    assert (await api.post(f"/containers/{container_id}/start")).status == 204
    return container_id


async def test_a_malformed_json_body_is_400(api: Client) -> None:
    response = await api.post(
        "/containers/create", data=b"{not json", headers={"Content-Type": JSON}
    )
    await assert_error(response, 400, "malformed JSON body")
    await assert_error(await api.post("/containers/create", json=[1, 2]), 400, "expected an object")
    await assert_error(await api.post("/containers/create"), 400, "request body is empty")
    assert (await (await api.get("/containers/json", params={"all": "1"})).json()) == []


async def test_create_without_an_image_is_400(api: Client, engine: Engine) -> None:
    response = await api.post("/containers/create", json={"Cmd": ["true"]})
    await assert_error(response, 400, "Config.Image is required")
    assert engine.context.records == {}


async def test_create_from_an_unknown_image_is_404_and_creates_nothing(
    api: Client, engine: Engine
) -> None:
    response = await api.post("/containers/create", json={"Image": "nothing-here:v9"})
    await assert_error(response, 404, "No such image: nothing-here:v9")
    assert engine.context.records == {}
    assert list(engine.store.root.iterdir()) == []


async def test_create_with_a_taken_name_is_409(api: Client) -> None:
    first = await create(api, "true", name="dup")
    response = await api.post(
        "/containers/create", params={"name": "dup"}, json={"Image": "busybox", "Cmd": ["true"]}
    )
    await assert_error(
        response, 409, f'The container name "/dup" is already in use by container "{first}"'
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/containers/ghost/json"),
        ("POST", "/containers/ghost/start"),
        ("POST", "/containers/ghost/stop"),
        ("POST", "/containers/ghost/restart"),
        ("POST", "/containers/ghost/kill"),
        ("DELETE", "/containers/ghost"),
        ("DELETE", "/containers/ghost?force=1"),
        ("POST", "/containers/ghost/wait"),
        ("GET", "/containers/ghost/logs?stdout=1"),
        ("POST", "/containers/ghost/attach?stream=1&stdout=1"),
    ],
)
async def test_an_unknown_container_is_404(api: Client, method: str, path: str) -> None:
    response = await api.request(method, path)
    await assert_error(response, 404, "No such container: ghost")


async def test_start_twice_is_204_then_304_with_an_empty_body(api: Client) -> None:
    container_id = await create(api, "sleep", "300")
    first = await api.post(f"/containers/{container_id}/start")
    assert first.status == 204
    again = await api.post(f"/containers/{container_id}/start")
    assert again.status == 304
    assert await again.read() == b""


async def test_stop_of_a_container_that_is_not_running_is_304_with_an_empty_body(
    api: Client,
) -> None:
    container_id = await create(api, "sleep", "300")
    response = await api.post(f"/containers/{container_id}/stop")
    assert response.status == 304
    assert await response.read() == b""


async def test_kill_of_a_container_that_is_not_running_is_409(api: Client) -> None:
    container_id = await create(api, "sleep", "300", name="idle")
    response = await api.post("/containers/idle/kill")
    await assert_error(
        response, 409, f"cannot kill container: idle: container {container_id} is not running"
    )


async def test_delete_of_a_running_container_is_409_and_force_removes_it(
    api: Client, engine: Engine
) -> None:
    container_id = await run(api, "sleep", "300")
    response = await api.delete(f"/containers/{container_id}")
    await assert_error(
        response, 409, "container is running: stop the container before removing or force remove"
    )
    state = (await (await api.get(f"/containers/{container_id}/json")).json())["State"]
    assert state["Running"] is True
    forced = await api.delete(f"/containers/{container_id}", params={"force": "1"})
    assert forced.status == 204
    await assert_error(await api.get(f"/containers/{container_id}/json"), 404, "No such container")
    assert container_id not in engine.runtime.runs


async def test_wait_with_a_bad_condition_is_400(api: Client) -> None:
    container_id = await create(api, "true")
    response = await api.post(f"/containers/{container_id}/wait", params={"condition": "sometime"})
    await assert_error(response, 400, 'invalid condition: "sometime"')


async def test_wait_returns_the_status_code(api: Client) -> None:
    container_id = await run(api, "sh", "-c", "exit 4")
    response = await api.post(f"/containers/{container_id}/wait")
    assert response.status == 200
    assert response.headers["Content-Type"] == JSON
    assert await response.json() == {"StatusCode": 4}


async def test_wait_for_the_next_exit_sent_before_the_start_gets_its_code(api: Client) -> None:
    container_id = await create(api, "sh", "-c", "exit 6")
    waiting = await api.post(f"/containers/{container_id}/wait", params={"condition": "next-exit"})
    assert waiting.status == 200  # the headers come before the exit, as `docker run` needs
    assert (await api.post(f"/containers/{container_id}/start")).status == 204
    assert await asyncio.wait_for(waiting.json(), 5) == {"StatusCode": 6}


async def test_logs_with_neither_stdout_nor_stderr_is_400(api: Client) -> None:
    container_id = await run(api, "echo", "hi")
    response = await api.get(f"/containers/{container_id}/logs")
    await assert_error(response, 400, "you must choose at least one stream")


async def test_logs_of_echo_are_dockers_multiplexed_frames(api: Client) -> None:
    container_id = await run(api, "echo", "hello", "frames")
    await api.post(f"/containers/{container_id}/wait")
    response = await api.get(f"/containers/{container_id}/logs", params={"stdout": "1"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
    data = b"hello frames\n"
    assert await response.read() == struct.pack(">BxxxL", 1, len(data)) + data
    assert await response.read() == b"\x01\x00\x00\x00\x00\x00\x00\x0dhello frames\n"
    only_stderr = await api.get(f"/containers/{container_id}/logs", params={"stderr": "1"})
    assert await only_stderr.read() == b""


async def test_kill_with_a_bad_signal_is_400(api: Client) -> None:
    container_id = await run(api, "sleep", "300")
    response = await api.post(f"/containers/{container_id}/kill", params={"signal": "SIGNOPE"})
    await assert_error(response, 400, "Invalid signal: SIGNOPE")
    state = (await (await api.get(f"/containers/{container_id}/json")).json())["State"]
    assert state["Running"] is True


async def test_stop_with_a_timeout_that_is_not_a_number_is_400(api: Client) -> None:
    container_id = await run(api, "sleep", "300")
    response = await api.post(f"/containers/{container_id}/stop", params={"t": "soon"})
    await assert_error(response, 400, "invalid value for t")


async def test_ps_with_an_unknown_filter_is_400(api: Client) -> None:
    response = await api.get("/containers/json", params={"filters": '{"bogus":["x"]}'})
    await assert_error(response, 400, "invalid filter 'bogus'")


async def test_ps_with_an_invalid_name_pattern_is_400(api: Client) -> None:
    response = await api.get("/containers/json", params={"filters": '{"name":["("]}'})
    await assert_error(response, 400, "invalid name filter '('")


async def test_events_with_an_unknown_filter_is_400(api: Client) -> None:
    response = await api.get("/events", params={"filters": '{"bogus":["x"]}'})
    await assert_error(response, 400, "invalid filter 'bogus'")
    unsupported = await api.get("/events", params={"filters": '{"plugin":["x"]}'})
    await assert_error(unsupported, 400, "the events filter 'plugin' is not supported")


async def test_events_since_replay_a_container_lifecycle(api: Client) -> None:
    container_id = await run(api, "true")
    await api.post(f"/containers/{container_id}/wait")
    assert (await api.delete(f"/containers/{container_id}")).status == 204
    response = await api.get(
        "/events",
        params={
            "since": "0",
            "until": f"{time.time():.9f}",  # now: replay, then the stream ends
            "filters": json.dumps({"container": [container_id]}),
        },
    )
    assert response.status == 200
    events = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [e["Action"] for e in events] == ["create", "start", "die", "destroy"]
    assert events[2]["Actor"]["Attributes"]["exitCode"] == "0"


@pytest.mark.parametrize("prefix", ["", "/v1.24", "/v1.44"])
async def test_unversioned_and_supported_version_paths_are_served(api: Client, prefix: str) -> None:
    container_id = await create(api, "true", name="versioned")
    response = await api.get(f"{prefix}/containers/json", params={"all": "1"})
    assert response.status == 200
    assert response.headers["Api-Version"] == "1.44"
    assert [c["Id"] for c in await response.json()] == [container_id]
    inspected = await api.get(f"{prefix}/containers/versioned/json")
    assert (await inspected.json())["Id"] == container_id


async def test_a_too_old_version_path_is_400(api: Client, engine: Engine) -> None:
    response = await api.post(
        "/v1.23/containers/create", json={"Image": "busybox", "Cmd": ["true"]}
    )
    await assert_error(
        response, 400, "client version 1.23 is too old. Minimum supported API version is 1.24"
    )
    assert engine.context.records == {}


async def test_an_ambiguous_id_prefix_is_400(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(["abc1" + "0" * 60, "abc2" + "0" * 60])
    monkeypatch.setattr(creation, "secrets", SimpleNamespace(token_hex=lambda _n: next(ids)))
    await create(api, "true")
    await create(api, "true")
    response = await api.get("/containers/abc/json")
    await assert_error(response, 400, "multiple IDs found with provided prefix: abc")
    assert (await api.get("/containers/abc1/json")).status == 200


async def test_an_unknown_route_is_404_json(api: Client) -> None:
    await assert_error(await api.get("/v1.44/nothing/here"), 404, "page not found")


async def test_a_wrong_method_is_405_json(api: Client) -> None:
    await assert_error(await api.put("/containers/json"), 405, "has no PUT /containers/json")
