"""The container side of user networks on the fakes: the embedded DNS served (a
FakeNameServer) with Docker's names, resolv.conf rewritten, names dropped at the end of the
run and served again after a restart."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.dns import FakeNameServer
from tests.services.conftest import Engine, new_engine
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.network.dns import Upstream
from tuibox.engine.services.containers.networking import ContainerNetworking

Client = TestClient[Any, Any]
SLEEP = ("sleep", "600")


@pytest.fixture
async def named(engine: Engine) -> Engine:
    """An engine like `engine` whose ContainerNetworking serves a FakeNameServer."""
    successor = new_engine(engine.config, dataclasses.replace(engine.seams,
                                                              dns=FakeNameServer()))  # fmt: skip
    engine.successor = successor  # the fixture's teardown crashes it too
    await successor.services.networks.open()
    return successor


def dns(engine: Engine) -> FakeNameServer:
    assert isinstance(engine.seams.dns, FakeNameServer)
    return engine.seams.dns


def networking(engine: Engine) -> ContainerNetworking:
    assert engine.services.containers.networking is not None
    return engine.services.containers.networking


async def make_network(engine: Engine, name: str, **body: Any) -> None:
    await engine.services.networks.create({"Name": name, **body})


def files(engine: Engine, container_id: str) -> tuple[str, str]:
    paths = engine.context.paths(container_id)
    return paths.hosts_file.read_text(), paths.resolv_file.read_text()


def saved_networks(engine: Engine, container_id: str) -> list[str]:
    """The networks of the container's record as the store holds it."""
    return [n["network"] for n in json.loads(engine.store.saved[container_id])["networks"]]


def endpoint_of(engine: Engine, container_id: str, network: str) -> Any:
    network_id = engine.services.networks.lookup(network).id
    found = [e for e in engine.services.networks.endpoints_of(container_id)
             if e.network_id == network_id]  # fmt: skip
    return found[0] if found else None


async def test_a_run_on_a_user_network_is_served_with_dockers_names(named: Engine) -> None:
    await make_network(named, "web")
    cid = await named.run(*SLEEP, name="api", Hostname="apihost",
                          HostConfig={"NetworkMode": "web"},
                          NetworkingConfig={"EndpointsConfig": {"web": {"Aliases": ["www"]}}})
    served = dns(named).served[cid]
    assert served.netns == f"/proc/{named.record(cid).state.pid}/ns/net"
    endpoint = served.endpoints["web"]
    assert endpoint.names == ("api", "www", cid[:12], "apihost")
    assert endpoint.address == endpoint_of(named, cid, "web").address
    _, resolv = files(named, cid)
    assert resolv == networking(named).user_resolv(named.record(cid)).content
    assert "nameserver 127.0.0.11\n" in resolv


async def test_dns_flags_make_the_upstreams_from_inside_the_container(named: Engine) -> None:
    await make_network(named, "web")
    cid = await named.run(*SLEEP, HostConfig={"NetworkMode": "web", "Dns": ["192.0.2.1"],
                                              "DnsOptions": ["ndots:2"]})  # fmt: skip
    served = dns(named).served[cid]
    assert served.upstreams == (Upstream("192.0.2.1", host_side=False),)
    assert served.ndots_set


async def test_the_default_bridge_has_no_names(named: Engine) -> None:
    cid = await named.run(*SLEEP)
    assert not dns(named).serving(cid)
    assert "127.0.0.11" not in files(named, cid)[1]


async def test_the_names_go_when_the_run_ends(named: Engine) -> None:
    await make_network(named, "web")
    cid = await named.run(*SLEEP, HostConfig={"NetworkMode": "web"})
    await named.services.containers.lifecycle.stop(cid, 0, None)
    await named.settle()
    assert not dns(named).serving(cid)
    assert dns(named).removed == [cid]


async def test_a_dns_failure_fails_the_start_and_keeps_nothing(named: Engine) -> None:
    await make_network(named, "web")
    cid = await named.create(*SLEEP, HostConfig={"NetworkMode": "web",
                                                 "PortBindings": {"80/tcp": [{}]}},
                             ExposedPorts={"80/tcp": {}})  # fmt: skip
    dns(named).fail_next_add = True
    with pytest.raises(RuntimeFailure, match=r"127\.0\.0\.11"):
        await named.services.containers.lifecycle.start(cid)
    assert not dns(named).serving(cid)
    assert named.services.networks.endpoints_of(cid) == []
    assert named.network.veths == {} and named.network.published == {}
    assert networking(named).ports.holds(cid) == ()


async def test_a_restarted_engine_serves_the_running_containers_again(named: Engine) -> None:
    await make_network(named, "web")
    cid = await named.run(*SLEEP, name="api", HostConfig={"NetworkMode": "web"})
    resolv_before = files(named, cid)[1]
    restarted = await named.restart()
    served = dns(restarted).served[cid]
    assert served.endpoints["web"].names[0] == "api"
    assert files(restarted, cid)[1] == resolv_before
