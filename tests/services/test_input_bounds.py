"""Inputs at the edges: odd digits, huge numbers, hostile patterns, stalled bodies, races with rm.

Each used to crash a request with a 500, stall the engine, or let a verb slip past a rule.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine, assert_gone
from tuibox.engine.api import common
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import Conflict, NotFound, RuntimeFailure

Client = TestClient[Any, Any]


async def error(response: Any, status: int) -> str:
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"] == "application/json"
    message: str = (await response.json())["message"]
    return message


@pytest.mark.parametrize("signal", ["\u00b2", "\u0663", "999", "1e3", "-9"])
async def test_signals_that_are_not_signals_are_a_400(
    engine: Engine, api: Client, signal: str
) -> None:
    container_id = await engine.run("sleep", "300")
    for verb in ("kill", "stop", "restart"):
        response = await api.post(f"/containers/{container_id}/{verb}", params={"signal": signal})
        assert "Invalid signal" in await error(response, 400)
    assert engine.record(container_id).state.status is Status.RUNNING
    created = await api.post(
        "/containers/create", json={"Image": "busybox", "Cmd": ["true"], "StopSignal": signal}
    )
    assert "Invalid signal" in await error(created, 400)


async def test_numbers_wider_than_64_bits_are_a_400_before_anything_happens(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.run("sleep", "300")
    response = await api.post(f"/containers/{container_id}/stop", params={"t": "9" * 400})
    assert "invalid value for t" in await error(response, 400)
    assert engine.runtime.signals_sent(container_id) == []
    listing = await api.get("/containers/json", params={"limit": str(2**64)})
    assert "invalid value for limit" in await error(listing, 400)
    too_big = await api.get("/containers/json", params={"limit": str(2**63)})
    assert "out of range" in await error(too_big, 400)
    body = {"Image": "busybox", "Cmd": ["true"], "StopTimeout": 10**400}
    created = await api.post(
        "/containers/create", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert "StopTimeout" in await error(created, 400)


async def test_a_name_pattern_that_backtracks_forever_in_python_answers_at_once(
    engine: Engine, api: Client
) -> None:
    await engine.create("true", name="a" * 200)
    filters = json.dumps({"name": ["(a+)+b"]})
    response = await api.get("/containers/json", params={"all": "1", "filters": filters})
    assert response.status == 200
    assert await response.json() == []
    matching = json.dumps({"name": ["^a{200}$"]})
    found = await api.get("/containers/json", params={"all": "1", "filters": matching})
    assert len(await found.json()) == 1


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        ({"status": ["bogus"]}, "invalid filter 'status=bogus'"),
        ({"exited": ["zero"]}, "invalid filter 'exited=zero'"),
        ({"health": ["healthy"]}, "the filter 'health' is not supported by the tuibox engine yet"),
        ({"nonsense": ["x"]}, "invalid filter 'nonsense'"),
        ({"name": ["("]}, "invalid name filter"),
    ],
)
async def test_ps_filter_values_are_checked(
    api: Client, filters: dict[str, list[str]], fragment: str
) -> None:
    response = await api.get("/containers/json", params={"filters": json.dumps(filters)})
    assert fragment in await error(response, 400)


async def test_limit_minus_one_as_docker_py_sends_it_lists_running_containers_only(
    engine: Engine, api: Client
) -> None:
    running = await engine.run("sleep", "300")
    await engine.run("true")
    listed = await (await api.get("/containers/json", params={"limit": "-1"})).json()
    assert [c["Id"] for c in listed] == [running]


async def test_since_and_before_as_filters_and_as_query_parameters(
    engine: Engine, api: Client
) -> None:
    first = await engine.create("true", name="first")
    second = await engine.create("true", name="second")
    third = await engine.create("true", name="third")

    async def ids(**params: str) -> list[str]:
        response = await api.get("/containers/json", params={"all": "1", **params})
        return [c["Id"] for c in await response.json()]

    assert await ids(since="first") == [third, second]
    assert await ids(before="third") == [second, first]
    assert await ids(filters=json.dumps({"since": ["second"]})) == [third]
    missing = await api.get("/containers/json", params={"since": "ghost"})
    assert "No such container: ghost" in await error(missing, 404)


async def test_a_start_cannot_slip_into_a_forced_removal(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    containers = engine.services.containers
    removal = asyncio.create_task(containers.removal.remove(container_id, force=True))
    for _ in range(3):
        await asyncio.sleep(0)  # the removal has sent SIGKILL and waits for the exit
    start = asyncio.create_task(containers.lifecycle.start(container_id))
    results = await asyncio.gather(removal, start, return_exceptions=True)
    await engine.settle()
    assert results[0] is None, results[0]
    assert isinstance(results[1], Conflict | NotFound), results[1]
    assert_gone(engine, container_id)


async def test_a_start_refused_while_marked_for_removal(engine: Engine) -> None:
    container_id = await engine.run("true")
    engine.context.marked_for_removal.add(container_id)
    with pytest.raises(Conflict, match="container is marked for removal"):
        await engine.services.containers.lifecycle.start(container_id)
    engine.context.marked_for_removal.discard(container_id)


async def test_an_engine_fault_at_start_is_a_500_not_the_commands_fault(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.create("true")
    engine.runtime.fail_create[container_id] = (
        "cannot run conmon: [Errno 2] No such file or directory"
    )
    response = await api.post(f"/containers/{container_id}/start")
    assert "No such file or directory" in await error(response, 500)
    assert engine.record(container_id).state.exit_code == 128
    engine.mounter.fail_mount = "No such file or directory"
    with pytest.raises(RuntimeFailure):
        await engine.services.containers.lifecycle.start(container_id)
    assert engine.record(container_id).state.exit_code == 128


async def test_a_missing_program_is_the_commands_fault(engine: Engine, api: Client) -> None:
    container_id = await engine.create("nosuchprogram")
    response = await api.post(f"/containers/{container_id}/start")
    assert 'exec: "nosuchprogram": executable file not found' in await error(response, 400)
    assert engine.record(container_id).state.exit_code == 127


async def test_nul_bytes_in_labels_are_refused(api: Client) -> None:
    for labels in ({"a\u0000b": "x"}, {"a": "x\u0000y"}):
        response = await api.post(
            "/containers/create", json={"Image": "busybox", "Cmd": ["true"], "Labels": labels}
        )
        assert "Labels must not contain NUL bytes" in await error(response, 400)


async def test_a_body_that_stalls_is_refused(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "BODY_TIMEOUT", 0.2)
    reader, writer = await asyncio.open_connection(api.host, api.port)
    writer.write(
        b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/json" in head
    writer.close()
