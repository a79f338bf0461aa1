"""The exit path's network teardown: die goes out once the port rules and host ports are
free, the veth deletion finishes in the background, and whatever could meet it half-done
(a start, connect, disconnect, network rm, shutdown, a restart) waits for it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.errors import Forbidden
from tuibox.engine.domain.network import EndpointRecord

SLEEP = ("sleep", "300")
WEB_PORT: dict[str, Any] = {
    "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}},
    "ExposedPorts": {"80/tcp": {}},
}


def endpoint(engine: Engine, container_id: str) -> EndpointRecord:
    (only,) = engine.services.networks.endpoints_of(container_id)
    return only


def stored_endpoints(engine: Engine) -> list[str]:
    root = engine.config.data_root / "network" / "endpoints"
    return sorted(p.stem for p in root.glob("*.json"))


async def exit_with_unplug_held(engine: Engine, container_id: str) -> EndpointRecord:
    """End the run while the fake kernel holds the veth deletion; the run's endpoint."""
    ended = endpoint(engine, container_id)
    engine.network.hold("unplug")
    engine.runtime.end(container_id, 0)
    await engine.wait_for(container_id, "die")
    await engine.settle()
    assert engine.network.called("unplug")[-1] == ended.host_ifname
    assert ended.host_ifname in engine.network.veths  # the deletion is under way
    return ended


async def test_die_is_published_before_the_veth_is_gone(engine: Engine) -> None:
    cid = await engine.run(*SLEEP, **WEB_PORT)
    ended = await exit_with_unplug_held(engine, cid)
    # What die promises is done: the port rules are gone, the host port is free, no view
    # shows the endpoint; the lease and the record wait for the veth.
    assert engine.network.published == {}
    assert engine.services.containers.networking is not None
    assert engine.services.containers.networking.ports.holds(cid) == ()
    assert engine.services.networks.endpoints_of(cid) == []
    inspected = await engine.services.networks.inspect("bridge")
    assert inspected["Containers"] == {}
    assert stored_endpoints(engine) == [ended.id]
    disconnects = [e for e in engine.events if e.action == "disconnect"]
    assert [e.attributes["container"] for e in disconnects] == [cid]
    engine.network.release("unplug")
    await engine.settle()
    assert engine.network.veths == {}
    assert stored_endpoints(engine) == []


async def test_die_waits_for_the_port_rules_to_go(engine: Engine) -> None:
    cid = await engine.run(*SLEEP, **WEB_PORT)
    engine.network.hold("unpublish")
    engine.runtime.end(cid, 0)
    await engine.settle()
    assert "die" not in engine.actions(cid)  # a stop that returned leaves no DNAT behind
    assert engine.network.published != {}
    engine.network.release("unpublish")
    await engine.wait_for(cid, "die")
    assert engine.network.published == {}


async def test_a_start_waits_for_the_teardown_and_gets_the_port_and_address(
    engine: Engine,
) -> None:
    first = await engine.run(*SLEEP, **WEB_PORT)
    ended = await exit_with_unplug_held(engine, first)
    second = await engine.create(*SLEEP, **WEB_PORT)
    starting = asyncio.create_task(engine.services.containers.lifecycle.start(second))
    await engine.settle()
    assert not starting.done()
    assert engine.network.called("plug") == [ended.host_ifname]  # the new one waits
    engine.network.release("unplug")
    await starting
    made = endpoint(engine, second)
    assert made.address == ended.address  # the lease came back before the new join
    calls = engine.network.calls
    assert calls.index(("unplug", ended.host_ifname)) < calls.index(("plug", made.host_ifname))
    assert list(engine.network.published) == [made.id]
    assert list(engine.network.veths) == [made.host_ifname]


async def test_network_rm_waits_for_the_teardown_of_its_last_endpoint(engine: Engine) -> None:
    await engine.services.networks.create({"Name": "web"})
    cid = await engine.run(*SLEEP, HostConfig={"NetworkMode": "web"})
    ended = await exit_with_unplug_held(engine, cid)
    removing = asyncio.create_task(engine.services.networks.remove("web"))
    await engine.settle()
    assert not removing.done()
    assert engine.network.called("remove_network") == []  # no bridge goes under a veth
    engine.network.release("unplug")
    await removing  # not "has active endpoints"
    calls = engine.network.calls
    assert calls.index(("unplug", ended.host_ifname)) < calls.index(("remove_network", "web"))
    assert engine.network.veths == {} and stored_endpoints(engine) == []


async def test_network_rm_still_refuses_a_network_with_a_running_container(
    engine: Engine,
) -> None:
    await engine.services.networks.create({"Name": "web"})
    await engine.run(*SLEEP, HostConfig={"NetworkMode": "web"})
    with pytest.raises(Forbidden, match="has active endpoints"):
        await engine.services.networks.remove("web")


async def test_connect_and_disconnect_wait_for_the_teardown(engine: Engine) -> None:
    await engine.services.networks.create({"Name": "web"})
    ended_id = await engine.run(*SLEEP)
    running = await engine.run(*SLEEP)
    connections = engine.services.containers.connections
    assert connections is not None
    ended = await exit_with_unplug_held(engine, ended_id)
    connecting = asyncio.create_task(connections.connect("web", {"Container": running}))
    await engine.settle()
    assert not connecting.done()
    engine.network.release("unplug")
    await connecting
    assert ended.host_ifname not in engine.network.veths
    other = await engine.run(*SLEEP)
    await exit_with_unplug_held(engine, other)
    disconnecting = asyncio.create_task(connections.disconnect("web", {"Container": running}))
    await engine.settle()
    assert not disconnecting.done()
    engine.network.release("unplug")
    await disconnecting
    assert [e.ifname for e in engine.services.networks.endpoints_of(running)] == ["eth0"]


async def test_shutdown_awaits_the_teardowns_under_way(engine: Engine) -> None:
    cid = await engine.run(*SLEEP)
    await exit_with_unplug_held(engine, cid)
    closing = asyncio.create_task(engine.services.networks.close())
    await engine.settle()
    assert not closing.done()
    engine.network.release("unplug")
    await closing
    assert engine.network.veths == {} and stored_endpoints(engine) == []


async def test_a_teardown_cut_short_at_shutdown_is_finished_by_the_next_start(
    engine: Engine,
) -> None:
    cid = await engine.run(*SLEEP)
    ended = await exit_with_unplug_held(engine, cid)
    await engine.services.networks.close(timeout=0)  # the bound: the veth is still held
    assert stored_endpoints(engine) == [ended.id]
    assert ended.host_ifname in engine.network.veths
    engine.network.release("unplug")
    restarted = await engine.restart()
    assert restarted.network.veths == {}
    assert stored_endpoints(restarted) == []
    assert restarted.services.networks.endpoints_of(cid) == []
