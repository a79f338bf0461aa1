"""Tests the client's /networks calls and network models against Docker's JSON shapes."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tuibox.client import EngineClient
from tuibox.client.networks import ContainerNetworking, NetworkSummary, PortBinding

NET_ID = "7f" * 32
BRIDGE_ID = "b0" * 32

LISTED: list[dict[str, Any]] = [
    {"Name": "bridge", "Id": BRIDGE_ID, "Created": "2025-06-15T15:00:00Z", "Scope": "local",
     "Driver": "bridge", "EnableIPv6": False, "Internal": False, "Attachable": False,
     "IPAM": {"Driver": "default", "Options": None,
              "Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
     "Containers": {}, "Options": {"com.docker.network.bridge.name": "tuibox0"}, "Labels": {}},
    {"Name": "front", "Id": NET_ID, "Scope": "local", "Driver": "bridge", "Internal": True,
     "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.5.0.0/24", "Gateway": "10.5.0.1",
                                               "IPRange": "10.5.0.128/25"}]},
     "Containers": {}, "Labels": {"app": "shop"}},
    {"Name": "none", "Id": "c0" * 32, "Driver": "null", "IPAM": {"Config": []},
     "Containers": {}},
]  # fmt: skip
CONTAINERS = [
    {"Id": "a1" * 32, "Names": ["/web"], "State": "running", "NetworkSettings": {"Networks": {
        "front": {"NetworkID": NET_ID, "EndpointID": "e1" * 32, "IPAddress": "10.5.0.130",
                  "IPPrefixLen": 24, "MacAddress": "02:42:0a:05:00:82"},
        "bridge": {"NetworkID": BRIDGE_ID, "IPAddress": "172.17.0.2", "IPPrefixLen": 16}}}},
    {"Id": "c3" * 32, "Names": ["/api"], "State": "exited", "NetworkSettings": {"Networks": {
        "front": {"NetworkID": NET_ID, "IPAddress": "", "IPPrefixLen": 0}}}},
]  # fmt: skip


def engine(api: str = "1.50") -> tuple[EngineClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/_ping":
            return httpx.Response(200, headers={"Api-Version": api})
        routes: dict[tuple[str, str], Any] = {
            ("GET", "/networks"): LISTED,
            ("GET", "/containers/json"): CONTAINERS,
            ("GET", f"/networks/{NET_ID}"): {**LISTED[1], "Containers": {
                "a1" * 32: {"Name": "web", "EndpointID": "e1" * 32,
                            "MacAddress": "02:42:0a:05:00:82", "IPv4Address": "10.5.0.130/24",
                            "IPv6Address": ""}}},
            ("POST", "/networks/create"): {"Id": NET_ID, "Warning": ""},
            ("POST", "/networks/prune"): {"NetworksDeleted": ["front", "back"]},
        }  # fmt: skip
        if request.method == "DELETE":
            return httpx.Response(204)
        unversioned = "/" + path.split("/", 2)[2]  # /v1.44/networks -> /networks
        return httpx.Response(200, json=routes[request.method, unversioned])

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler)), seen


async def test_list_fills_each_network_s_containers_from_the_containers() -> None:
    client, seen = engine()
    networks = {n.name: n for n in await client.list_networks()}
    front = networks["front"]
    assert front.container_names == ("api", "web")
    assert [e.running for e in front.containers] == [False, True] and front.in_use
    assert front.containers[1].ipv4_address == "10.5.0.130/24"
    assert front.internal and front.subnet == "10.5.0.0/24" and front.gateway == "10.5.0.1"
    assert front.pools[0].ip_range == "10.5.0.128/25" and front.labels == (("app", "shop"),)
    assert networks["bridge"].container_names == ("web",) and networks["bridge"].predefined
    assert networks["none"].subnet == "" and networks["none"].containers == ()
    assert [r.url.params.get("all") for r in seen if r.url.path.endswith("/containers/json")] == [
        "1"]  # fmt: skip


async def test_inspect_lists_the_attached_containers() -> None:
    client, _ = engine()
    network = await client.inspect_network(NET_ID)
    assert [(e.name, e.ipv4_address, e.mac_address) for e in network.containers] == [
        ("web", "10.5.0.130/24", "02:42:0a:05:00:82")]  # fmt: skip


async def test_create_sends_docker_s_body_and_check_duplicate_only_before_1_44() -> None:
    client, seen = engine("1.50")
    created = await client.create_network("front", subnet="10.5.0.0/24", internal=True,
                                          labels={"app": "shop"})  # fmt: skip
    assert created.id == NET_ID
    body = json.loads(seen[-1].content)
    assert seen[-1].url.path == "/v1.44/networks/create"
    assert body == {"Name": "front", "Driver": "bridge", "Internal": True,
                    "Labels": {"app": "shop"},
                    "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.5.0.0/24"}]}}
    old, old_seen = engine("1.41")
    await old.create_network("plain")
    assert json.loads(old_seen[-1].content) == {"Name": "plain", "Driver": "bridge",
                                                "Internal": False, "Labels": {},
                                                "CheckDuplicate": True}  # fmt: skip


async def test_remove_and_prune() -> None:
    client, seen = engine()
    await client.remove_network("front")
    assert (seen[-1].method, seen[-1].url.path) == ("DELETE", "/v1.44/networks/front")
    assert await client.prune_networks() == ["front", "back"]


def test_container_networking_reads_network_settings() -> None:
    document = {
        "HostConfig": {"NetworkMode": "front"},
        "NetworkSettings": {
            "Ports": {"443/tcp": None, "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                                  {"HostIp": "::", "HostPort": "8080"}]},
            "Networks": {"front": {"NetworkID": NET_ID, "EndpointID": "e1" * 32,
                                   "Gateway": "10.5.0.1", "IPAddress": "10.5.0.130",
                                   "IPPrefixLen": 24, "MacAddress": "02:42:0a:05:00:82",
                                   "Aliases": ["shop-web"], "DNSNames": ["web", "a1a1a1a1a1a1"],
                                   "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0}},
        },
    }  # fmt: skip
    networking = ContainerNetworking.from_inspect(document)
    assert networking.mode == "front"
    (endpoint,) = networking.endpoints
    assert (endpoint.network, endpoint.address, endpoint.gateway, endpoint.aliases) == (
        "front", "10.5.0.130/24", "10.5.0.1", ("shop-web",))  # fmt: skip
    assert networking.ports == (PortBinding("80/tcp", "0.0.0.0", "8080"),
                                PortBinding("80/tcp", "::", "8080"), PortBinding("443/tcp"))
    assert [b.host for b in networking.ports] == ["0.0.0.0:8080", "[::]:8080", ""]
    assert ContainerNetworking.from_inspect({}).endpoints == ()


def test_a_network_without_ipam_or_containers_parses() -> None:
    network = NetworkSummary.from_json({"Name": "host", "Id": "h" * 64, "Driver": "host",
                                        "IPAM": None, "Containers": None})  # fmt: skip
    assert network.predefined and network.subnet == "" and network.containers == ()
