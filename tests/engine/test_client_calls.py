"""The TUI's client against the real engine: pause, rename, CPU limit and the volume calls."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import pytest

from tests.engine.conftest import EngineProcess
from tuibox.client.client import EngineClient
from tuibox.client.errors import ConflictError

pytestmark = pytest.mark.engine


@pytest.fixture
def cli(engine: EngineProcess) -> Iterator[EngineProcess]:
    """The engine with busybox pulled; what a test left is removed afterwards."""
    assert engine.docker("pull", "busybox").returncode == 0
    yield engine
    for container in engine.docker("ps", "-aq", "--filter", "label=client-test").stdout.split():
        engine.docker("rm", "-f", container)
    for volume in ("client-vol",):
        engine.docker("volume", "rm", "-f", volume)


def test_the_clients_container_and_volume_calls(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--label", "client-test", "--name", "client-c", "--cpus", "0.5",
                     "-v", "/anon", "busybox", "sleep", "300")  # fmt: skip
    assert run.returncode == 0, run.stderr
    container_id = run.stdout.strip()

    async def scenario() -> None:
        client = EngineClient(str(cli.socket))
        try:
            assert await client.cpu_limit(container_id) == 0.5
            await client.pause(container_id)
            (summary,) = [c for c in await client.list_containers() if c.id == container_id]
            assert summary.state == "paused" and summary.status.endswith("(Paused)")
            await client.unpause(container_id)
            await client.rename(container_id, "client-renamed")
            names = {c.id: c.name for c in await client.list_containers()}
            assert names[container_id] == "client-renamed"
            created = await client.create_volume("client-vol")
            assert created.name == "client-vol" and not created.anonymous
            volumes = {v.name: v for v in await client.list_volumes()}
            assert volumes["client-vol"].in_use is False
            anonymous = [v for v in volumes.values() if v.anonymous and v.in_use]
            assert len(anonymous) == 1, "the container's -v /anon"
            with pytest.raises(ConflictError, match="volume is in use"):
                await client.remove_volume(anonymous[0].name)
            await client.remove_volume("client-vol")
            removed, _ = await client.prune_volumes()
            assert anonymous[0].name not in removed
        finally:
            await client.close()

    asyncio.run(scenario())


def test_the_terminal_bridge_runs_a_shell_in_a_tty_exec(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--label", "client-test", "busybox", "sleep", "300")
    assert run.returncode == 0, run.stderr
    container_id = run.stdout.strip()
    keys_read, keys_write = os.pipe()
    screen_read, screen_write = os.pipe()
    os.write(keys_write, b"echo bridged; stty size; exit 6\n")
    os.close(keys_write)

    async def scenario() -> tuple[int | None, bytes]:
        client = EngineClient(str(cli.socket))
        try:
            exec_id = await client.exec_create(container_id, ["sh"], tty=True, size=(25, 90))
            bridge = await client.terminal_bridge(exec_id)
            await asyncio.to_thread(bridge.run, keys_read, screen_write)
            os.close(screen_write)
            with os.fdopen(screen_read, "rb") as screen:
                shown = screen.read()
            return await client.exec_exit_code(exec_id), shown
        finally:
            await client.close()

    code, shown = asyncio.run(scenario())
    os.close(keys_read)
    assert code == 6, shown
    assert b"bridged" in shown and b"25 90" in shown


def test_the_attach_bridge_detaches_on_ctrl_p_ctrl_q_and_leaves_it_running(
    cli: EngineProcess,
) -> None:
    run = cli.docker("run", "-dit", "--label", "client-test", "busybox", "sh")
    assert run.returncode == 0, run.stderr
    container_id = run.stdout.strip()
    keys_read, keys_write = os.pipe()
    screen_read, screen_write = os.pipe()

    async def scenario() -> bytes:
        client = EngineClient(str(cli.socket))
        try:
            bridge = await client.attach_bridge(container_id, "attached\r\n")
            bridged = asyncio.create_task(asyncio.to_thread(bridge.run, keys_read, screen_write))
            os.write(keys_write, b"echo in-$((2+3))\r")
            await asyncio.sleep(1)  # the shell answers before the keys come
            os.write(keys_write, b"\x10\x11")
            async with asyncio.timeout(20):
                await bridged
            os.close(screen_write)
            with os.fdopen(screen_read, "rb") as screen:
                return screen.read()
        finally:
            await client.close()

    shown = asyncio.run(scenario())
    os.close(keys_read)
    os.close(keys_write)
    assert shown.startswith(b"attached\r\n") and b"in-5" in shown, shown
    state = json.loads(cli.docker("inspect", container_id).stdout)[0]["State"]
    assert state["Running"], "detaching leaves the container running"
