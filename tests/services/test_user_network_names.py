"""The container side of user networks on the fakes: the embedded DNS served (a
FakeNameServer) with Docker's names, resolv.conf rewritten, names dropped at the end of the
run and served again after a restart; `network connect/disconnect` through the routes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.fakes.dns import FakeNameServer
from tests.services.conftest import Engine, new_engine
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.network.dns import Upstream
from tuibox.engine.server import build_app
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


@pytest.fixture
async def api(named: Engine) -> AsyncIterator[Client]:
    client: Client = TestClient(TestServer(build_app(named.services)))
    await client.start_server()
    yield client
    await client.close()


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


# --- network connect / disconnect --------------------------------------------------


async def post(api: Client, path: str, body: Any, status: int = 200) -> str:
    response = await api.post(path, data=json.dumps(body),
                              headers={"Content-Type": "application/json"})  # fmt: skip
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)["message"] if status >= 400 else text


async def test_connect_plugs_a_running_container_and_serves_its_first_user_network(
    named: Engine, api: Client
) -> None:
    await make_network(named, "web", IPAM={"Config": [{"Subnet": "10.77.0.0/24"}]})
    cid = await named.run(*SLEEP, name="api")
    await post(api, "/networks/web/connect", {"Container": "api", "EndpointConfig": {
        "Aliases": ["www"], "IPAMConfig": {"IPv4Address": "10.77.0.9"}}})  # fmt: skip
    endpoint = endpoint_of(named, cid, "web")
    assert (endpoint.ifname, endpoint.address) == ("eth1", "10.77.0.9")
    assert [a.network for a in named.record(cid).networks] == ["bridge", "web"]
    assert saved_networks(named, cid) == ["bridge", "web"]
    hosts, resolv = files(named, cid)
    assert f"10.77.0.9\t{cid[:12]}\n" in hosts
    assert "nameserver 127.0.0.11\n" in resolv
    assert dns(named).served[cid].endpoints["web"].names[:2] == ("api", "www")
    assert named.events_of(named.services.networks.lookup("web").id, "connect")


async def test_a_second_user_network_adds_names_and_disconnect_takes_them_away(
    named: Engine, api: Client
) -> None:
    await make_network(named, "one")
    await make_network(named, "two")
    cid = await named.run(*SLEEP, name="api", HostConfig={"NetworkMode": "one"})
    await post(api, "/networks/two/connect", {"Container": cid})
    address = endpoint_of(named, cid, "two").address
    assert set(dns(named).served[cid].endpoints) == {"one", "two"}
    assert address in files(named, cid)[0]
    await post(api, "/networks/two/disconnect", {"Container": "api", "Force": False})
    assert endpoint_of(named, cid, "two") is None
    assert set(dns(named).served[cid].endpoints) == {"one"}
    assert address not in files(named, cid)[0]
    assert saved_networks(named, cid) == ["one"]
    network_id = named.services.networks.lookup("two").id
    assert [e.action for e in named.events_of(network_id)] == ["create", "connect", "disconnect"]


async def test_a_stopped_container_only_has_its_record_changed(
    named: Engine, api: Client
) -> None:
    await make_network(named, "web")
    cid = await named.create(*SLEEP, name="api")
    await post(api, "/networks/web/connect", {"Container": "api"})
    assert saved_networks(named, cid) == ["bridge", "web"]
    assert named.network.veths == {}
    await named.services.containers.lifecycle.start(cid)
    assert endpoint_of(named, cid, "web").ifname == "eth1"
    await named.services.containers.lifecycle.stop(cid, 0, None)
    await named.settle()
    await post(api, "/networks/bridge/disconnect", {"Container": "api"})
    assert saved_networks(named, cid) == ["web"]


@pytest.mark.parametrize(
    ("network", "body", "status", "message"),
    [
        ("one", {"Container": "api"}, 409, "api is already attached to network one"),
        ("bridge", {"Container": "api", "EndpointConfig": {"Aliases": ["x"]}}, 400,
         "network-scoped alias is supported only for containers in user defined networks"),
        ("bridge", {"Container": "api", "EndpointConfig": {"IPAMConfig": {
            "IPv4Address": "172.17.0.9"}}}, 400,
         "user specified IP address is supported on user defined networks only"),
        ("nosubnet", {"Container": "api", "EndpointConfig": {"IPAMConfig": {
            "IPv4Address": "10.1.2.3"}}}, 400,
         "user specified IP address is supported only when connecting to networks with user "
         "configured subnets"),
        ("sub", {"Container": "api", "EndpointConfig": {"IPAMConfig": {
            "IPv4Address": "10.9.9.9"}}}, 400,
         "no configured subnet or ip-range contain the IP address 10.9.9.9"),
        ("host", {"Container": "api"}, 400,
         "container cannot be disconnected from host network or connected to host network"),
        ("none", {"Container": "api"}, 400, "container cannot be connected to multiple "
         "networks with one of the networks in private (none) mode"),
        ("nope", {"Container": "api"}, 404, "network nope not found"),
        ("one", {"Container": "ghost"}, 404, "No such container: ghost"),
        ("one", {"Container": "api", "Extra": 1}, 400,
         "unknown field in the network connect body: Extra"),
        ("one", {"Container": "api", "EndpointConfig": {"Bogus": None}}, 400,
         "unknown field in the network connect body: EndpointConfig.Bogus"),
        ("nosubnet", {"Container": "api", "EndpointConfig": {"MacAddress": "02:00:00:00:00:01"}},
         400, "--mac-address is not supported by the tuibox engine yet"),
        ("nosubnet", {"Container": "api", "EndpointConfig": {"IPAMConfig": {
            "IPv6Address": "fd00::2"}}}, 400, "--ip6 is not supported by the tuibox engine yet"),
    ],
)
async def test_connect_refusals_in_dockers_words_change_nothing(
    named: Engine, api: Client, network: str, body: dict[str, Any], status: int, message: str
) -> None:
    await make_network(named, "one")
    await make_network(named, "nosubnet")
    await make_network(named, "sub", IPAM={"Config": [{"Subnet": "10.8.0.0/24"}]})
    cid = await named.run(*SLEEP, name="api", HostConfig={"NetworkMode": "one"})
    endpoints_before = named.services.networks.endpoints_of(cid)
    assert message in await post(api, f"/networks/{network}/connect", body, status)
    assert named.services.networks.endpoints_of(cid) == endpoints_before
    assert [a.network for a in named.record(cid).networks] == ["one"]


async def test_a_shared_namespace_or_host_container_cannot_be_connected(
    named: Engine, api: Client
) -> None:
    await make_network(named, "one")
    await named.run(*SLEEP, name="base")
    await named.run(*SLEEP, name="guest", HostConfig={"NetworkMode": "container:base"})
    await named.run(*SLEEP, name="onhost", HostConfig={"NetworkMode": "host"})
    shared = ("container sharing network namespace with another container or host cannot be "
              "connected to any other network")  # fmt: skip
    for name in ("guest", "onhost"):
        assert await post(api, "/networks/one/connect", {"Container": name}, 400) == shared
    assert "container cannot be disconnected from host network" in await post(
        api, "/networks/host/disconnect", {"Container": "onhost"}, 400)


async def test_disconnect_refusals(named: Engine, api: Client) -> None:
    await make_network(named, "one")
    await make_network(named, "two")
    running = await named.run(*SLEEP, name="api", HostConfig={"NetworkMode": "one"})
    stopped = await named.create(*SLEEP, name="idle", HostConfig={"NetworkMode": "one"})
    assert await post(api, "/networks/two/disconnect", {"Container": "api"}, 409) == (
        f"container {running} is not connected to network two")
    assert await post(api, "/networks/two/disconnect", {"Container": "idle"}, 409) == (
        f"container {stopped} is not connected to the network two")
    assert "Force must be a boolean" in await post(
        api, "/networks/one/disconnect", {"Container": "api", "Force": "yes"}, 400)
    assert "network gone not found" in await post(
        api, "/networks/gone/disconnect", {"Container": "api"}, 404)
