"""Interactive containers on the fakes: how stdin is wired per Docker flag, input held for the
run, when stdin ends (StdinOnce, TTY, -d -i), resize rules, and attach through the routes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.runtime.protocol import Stdio


@pytest.mark.parametrize(
    ("fields", "stdio"),
    [({"Tty": True, "OpenStdin": True, "StdinOnce": True}, Stdio(terminal=True, stdin=True)),
     ({"OpenStdin": True, "StdinOnce": True}, Stdio(stdin=True, stdin_once=True)),
     ({"OpenStdin": True}, Stdio(stdin=True)),
     ({"Tty": True}, Stdio(terminal=True))],
)  # fmt: skip
async def test_each_flag_set_wires_stdin_as_docker_does(
    engine: Engine, fields: dict[str, Any], stdio: Stdio
) -> None:
    container_id = await engine.run("sleep", "300", **fields)
    assert ("create", container_id, stdio) in engine.runtime.calls
    assert ("attach", container_id, None) in engine.runtime.calls, "connected before start"
    calls = [c[0] for c in engine.runtime.calls if c[1] == container_id]
    assert calls.index("attach") < calls.index("start")


async def test_a_tty_run_gets_a_terminal_of_the_asked_size(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", Tty=True,
                                    HostConfig={"ConsoleSize": [40, 120]})  # fmt: skip
    process = engine.runtime.bundle_config(container_id)["process"]
    assert process["terminal"] is True
    assert process["consoleSize"] == {"height": 40, "width": 120}
    assert "TERM=xterm" in process["env"]
    assert "TERM=xterm" not in engine.record(container_id).config["Env"]
    with pytest.raises(InvalidArgument, match=r"ConsoleSize sizes a terminal: it needs Tty"):
        await engine.create("sleep", "300", HostConfig={"ConsoleSize": [40, 120]})
    plain = await engine.run("sleep", "300", HostConfig={"ConsoleSize": [0, 0]})
    assert "consoleSize" not in engine.runtime.bundle_config(plain)["process"]


async def test_input_sent_before_start_and_its_eof_reach_the_run(engine: Engine) -> None:
    container_id = await engine.create("cat", OpenStdin=True, StdinOnce=True)
    hub = await engine.services.containers.streams.stdin(container_id)
    assert hub is not None
    write = asyncio.create_task(hub.write(b"early\n"))
    await asyncio.sleep(0)
    assert not write.done(), "input waits for the run"
    hub.end_input()
    await engine.services.containers.lifecycle.start(container_id)
    await write
    event = await engine.wait_for(container_id, "die")
    assert event.exit_code == 0, "cat ended at its stdin's EOF"
    assert engine.runtime.runs[container_id].stdin == [b"early\n"]


async def test_stdin_once_refuses_input_after_the_eof_until_the_next_run(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", OpenStdin=True, StdinOnce=True)
    hub = await engine.services.containers.streams.stdin(container_id)
    assert hub is not None
    await hub.write(b"one\n")
    hub.end_input()
    assert engine.runtime.runs[container_id].stdin_closed
    with pytest.raises(Conflict, match="stdin is closed"):
        await hub.write(b"late\n")
    await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await hub.write(b"next run\n")
    assert engine.runtime.runs[container_id].stdin == [b"next run\n"]


@pytest.mark.parametrize("fields", [{"OpenStdin": True}, {"OpenStdin": True, "Tty": True}])
async def test_a_clients_eof_leaves_stdin_open_without_stdin_once(
    engine: Engine, fields: dict[str, Any]
) -> None:
    container_id = await engine.run("cat", **fields)
    hub = await engine.services.containers.streams.stdin(container_id)
    assert hub is not None
    await hub.write(b"one\n")
    hub.end_input()
    await hub.write(b"two\n")
    assert engine.runtime.runs[container_id].stdin == [b"one\n", b"two\n"]
    assert engine.record(container_id).state.running


async def test_a_container_without_i_has_no_stdin(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    assert await engine.services.containers.streams.stdin(container_id) is None
    assert ("attach", container_id, None) not in engine.runtime.calls


async def test_resize_reaches_a_running_terminal_only(engine: Engine) -> None:
    streams = engine.services.containers.streams
    tty = await engine.run("sleep", "300", Tty=True)
    await streams.resize(tty, 30, 100)
    await streams.resize(tty, 31, 101)
    assert engine.runtime.runs[tty].sizes == [(30, 100), (31, 101)]
    (event, _) = engine.events_of(tty, "resize")
    assert (event.attributes["height"], event.attributes["width"]) == ("30", "100")
    plain = await engine.run("sleep", "300")
    with pytest.raises(InvalidArgument, match="has no terminal to resize"):
        await streams.resize(plain, 30, 100)
    created = await engine.create("sleep", "300", Tty=True)
    with pytest.raises(Conflict, match=f"Container {created} is not running"):
        await streams.resize(created, 30, 100)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [({"h": "x", "w": "80"}, 400, "h"), ({"h": "24"}, 400, "needs both h and w"),
     ({"h": "-1", "w": "80"}, 400, "invalid resize height or width")],
)  # fmt: skip
async def test_resize_route_refuses_bad_sizes(
    engine: Engine, api: TestClient[Any, Any], query: dict[str, str], status: int, words: str
) -> None:
    container_id = await engine.run("sleep", "300", Tty=True)
    response = await api.post(f"/containers/{container_id}/resize", params=query)
    assert response.status == status
    assert words in (await response.json())["message"]
    assert engine.runtime.runs[container_id].sizes == []


async def test_attach_route_feeds_stdin_and_keeps_output_after_the_eof(
    engine: Engine, api: TestClient[Any, Any]
) -> None:
    container_id = await engine.create("cat", OpenStdin=True, StdinOnce=True)
    attach = asyncio.create_task(api.post(
        f"/containers/{container_id}/attach",
        params={"stream": "1", "stdin": "1", "stdout": "1"}, data=b"piped\n"))  # fmt: skip
    await asyncio.sleep(0.05)
    await engine.services.containers.lifecycle.start(container_id)
    response = await attach
    body = await response.read()
    assert response.status == 200
    assert body.endswith(b"piped\n"), body
    assert (await engine.wait_for(container_id, "die")).exit_code == 0, "cat saw the EOF"


async def test_attach_refuses_bad_detach_keys_before_any_stream(
    engine: Engine, api: TestClient[Any, Any]
) -> None:
    container_id = await engine.run("sleep", "300", Tty=True, OpenStdin=True)
    response = await api.post(f"/containers/{container_id}/attach",
                              params={"stream": "1", "detachKeys": "ctrl-"})  # fmt: skip
    assert response.status == 400
    assert (await response.json())["message"] == "Invalid detach keys (ctrl-) provided"
