"""/networks through the engine's routes on the fakes: shapes, rules and dockerd's words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tuibox.engine.domain.network import Attachment

Client = TestClient[Any, Any]
BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": "tuibox0",
    "com.docker.network.driver.mtu": "1500",
}


async def _create(api: Client, status: int = 201, **body: Any) -> dict[str, Any]:
    response = await api.post("/networks/create", json=body)
    data: dict[str, Any] = await response.json()
    assert response.status == status, data
    return data


async def _inspect(api: Client, ref: str) -> dict[str, Any]:
    response = await api.get(f"/networks/{ref}")
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def _names(api: Client, filters: dict[str, list[str]] | None = None) -> list[str]:
    query = {"filters": json.dumps(filters)} if filters else {}
    response = await api.get("/networks", params=query)
    assert response.status == 200, await response.text()
    return [n["Name"] for n in await response.json()]


async def test_the_predefined_networks_are_listed_as_dockerd_lists_them(api: Client) -> None:
    response = await api.get("/networks")
    listed = {n["Name"]: n for n in await response.json()}
    assert sorted(listed) == ["bridge", "host", "none"]
    bridge = listed["bridge"]
    assert (bridge["Driver"], listed["host"]["Driver"], listed["none"]["Driver"]) == (
        "bridge", "host", "null"
    )  # fmt: skip
    assert bridge["IPAM"] == {
        "Driver": "default", "Options": None,
        "Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}],
    }  # fmt: skip
    assert bridge["Options"] == BRIDGE_OPTIONS
    assert bridge["Containers"] == {}
    assert listed["host"]["IPAM"]["Config"] is None
    assert {k: bridge[k] for k in ("Scope", "EnableIPv4", "EnableIPv6", "Internal", "Attachable",
                                   "Ingress", "ConfigFrom", "ConfigOnly", "Labels")} == {
        "Scope": "local", "EnableIPv4": True, "EnableIPv6": False, "Internal": False,
        "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
        "ConfigOnly": False, "Labels": {},
    }  # fmt: skip
    assert len(bridge["Id"]) == 64 and bridge["Created"].endswith("Z")


async def test_the_bridge_avoids_the_hosts_networks(engine: Engine) -> None:
    engine.network.host_cidrs = ["172.17.0.0/24", "172.18.3.1/32"]
    await engine.services.networks.open()
    bridge = engine.services.networks.lookup("bridge")
    assert (bridge.subnet, bridge.gateway, bridge.bridge) == ("172.19.0.0/16", "172.19.0.1",
                                                              "tuibox0")  # fmt: skip


async def test_predefined_and_user_networks_keep_their_ids_across_a_restart(
    engine: Engine,
) -> None:
    networks = engine.services.networks
    await networks.open()
    created = await networks.create({"Name": "web", "Labels": {"a": "b"}})
    before = {n["Name"]: n for n in await networks.list_networks({})}
    restarted = await engine.restart()
    after = {n["Name"]: n for n in await restarted.services.networks.list_networks({})}
    assert after == before
    assert after["web"]["Id"] == created["Id"]


async def test_create_takes_the_next_pool_subnet_and_makes_the_bridge(
    api: Client, engine: Engine
) -> None:
    created = await _create(api, Name="web", Labels={"tier": "front"}, CheckDuplicate=True)
    assert created == {"Id": created["Id"], "Warning": ""}
    shown = await _inspect(api, "web")
    assert shown["IPAM"]["Config"] == [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]
    assert (shown["Driver"], shown["Labels"], shown["Options"]) == ("bridge", {"tier": "front"},
                                                                     {})  # fmt: skip
    record = engine.services.networks.get(created["Id"])
    assert record.bridge == "tbx-" + created["Id"][:11]
    assert len(record.bridge) == 15  # Linux's longest interface name
    assert engine.network.bridges[created["Id"]].name == "web"
    second = await _create(api, Name="db")
    assert engine.services.networks.get(second["Id"]).subnet == "172.19.0.0/16"


async def test_create_echoes_a_given_ipam_config_exactly(api: Client) -> None:
    config = {"Subnet": "172.28.0.0/16", "IPRange": "172.28.5.0/24", "Gateway": "172.28.5.254",
              "AuxiliaryAddresses": {"a": "172.28.1.5", "b": "172.28.1.6"}}  # fmt: skip
    await _create(api, Name="fixed", IPAM={"Driver": "default", "Config": [config]},
                  Options={"com.docker.network.driver.mtu": "1400"}, Internal=True)  # fmt: skip
    shown = await _inspect(api, "fixed")
    assert shown["IPAM"] == {"Driver": "default", "Options": None, "Config": [config]}
    assert shown["Internal"] is True
    assert shown["Options"] == {"com.docker.network.driver.mtu": "1400"}


async def test_create_with_ipam_options_given_empty_echoes_them(api: Client) -> None:
    await _create(api, Name="cli", IPAM={"Driver": "default", "Options": {}, "Config": []})
    assert (await _inspect(api, "cli"))["IPAM"]["Options"] == {}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"Name": ""}, 400, "invalid name: name is empty"),
        ({"Name": "bridge"}, 403, "operation is not permitted on predefined bridge network "),
        ({"Name": "default"}, 403, "operation is not permitted on predefined default network "),
        ({"Name": "x", "Driver": "host"}, 403, 'only one instance of "host" network is allowed'),
        ({"Name": "x", "Driver": "null"}, 403, 'only one instance of "null" network is allowed'),
        ({"Name": "x", "Driver": "overlay"}, 400,
         "network driver 'overlay' is not supported by the tuibox engine: only bridge networks "
         "are"),
        ({"Name": "x", "EnableIPv6": True}, 400,
         "EnableIPv6 (--ipv6) is not supported by the tuibox engine yet"),
        ({"Name": "x", "Attachable": True}, 400,
         "--attachable (swarm) is not supported by the tuibox engine"),
        ({"Name": "x", "Options": {"com.docker.network.bridge.name": "br9"}}, 400,
         "the network driver option com.docker.network.bridge.name is not supported by the "
         "tuibox engine; it honours only com.docker.network.driver.mtu"),
        ({"Name": "x", "Bogus": 1}, 400, "the network field Bogus is not supported by the "
         "tuibox engine"),
        ({"Name": "x", "IPAM": {"Config": [{"Subnet": "10.1.2.3/16"}]}}, 400,
         "invalid network config:\n* invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16"),
        ({"Name": "x", "IPAM": {"Config": [{"Subnet": "fd00::/64"}]}}, 400,
         "IPv6 subnets are not supported by the tuibox engine yet"),
        ({"Name": "x", "IPAM": {"Driver": "other"}}, 400,
         "IPAM driver 'other' is not supported by the tuibox engine: only the default one is"),
        ({"Name": "x", "IPAM": {"Config": [{"Subnet": "172.17.5.0/24"}]}}, 403,
         "invalid pool request: Pool overlaps with other one on this address space"),
        ({"Name": "x", "Options": {"com.docker.network.driver.mtu": "9"}}, 400,
         "invalid value for com.docker.network.driver.mtu: '9'"),
        ({"Name": "a/b"}, 400, "invalid name: 'a/b'"),
    ],
)  # fmt: skip
async def test_create_refuses_with_dockers_words(
    api: Client, engine: Engine, body: dict[str, Any], status: int, message: str
) -> None:
    refused = await _create(api, status, **body)
    assert refused["message"].startswith(message)
    assert await _names(api) == ["bridge", "host", "none"]
    assert engine.network.called("ensure_network") == []


async def test_a_taken_name_is_a_conflict(api: Client) -> None:
    await _create(api, Name="web")
    refused = await _create(api, 409, Name="web")
    assert refused["message"] == "network with name web already exists"


async def test_a_driver_failure_at_create_keeps_nothing(api: Client, engine: Engine) -> None:
    engine.network.fail_on["ensure_network"] = 1
    refused = await _create(api, 500, Name="web")
    assert "fake ensure_network failed" in refused["message"]
    assert await _names(api) == ["bridge", "host", "none"]
    assert list(engine.services.networks.state.store.networks_dir.iterdir()).__len__() == 3
    await _create(api, Name="web")  # its name and subnet were not kept either
    assert (await _inspect(api, "web"))["IPAM"]["Config"][0]["Subnet"] == "172.18.0.0/16"


async def test_inspect_by_id_name_and_unique_prefix(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abc1" + "0" * 60, "abc2" + "0" * 60])
    monkeypatch.setattr("tuibox.engine.services.networks.service._new_id", lambda: next(ids))
    await _create(api, Name="one")
    await _create(api, Name="two")
    assert (await _inspect(api, "abc1"))["Name"] == "one"
    assert (await _inspect(api, "two"))["Id"] == "abc2" + "0" * 60
    ambiguous = await api.get("/networks/abc")
    assert ambiguous.status == 400
    assert (await ambiguous.json())["message"] == (
        "network abc is ambiguous (2 matches found based on ID prefix)"
    )
    missing = await api.get("/networks/nope")
    assert missing.status == 404
    assert (await missing.json())["message"] == "network nope not found"
    swarm = await api.get("/networks/one", params={"scope": "swarm"})
    assert swarm.status == 404
    unknown = await api.get("/networks/one", params={"bogus": "1"})
    assert unknown.status == 400


async def test_remove_a_user_network(api: Client, engine: Engine) -> None:
    created = await _create(api, Name="web")
    response = await api.delete("/networks/web")
    assert response.status == 204
    assert await _names(api) == ["bridge", "host", "none"]
    assert engine.network.called("remove_network") == ["web"]
    assert created["Id"] not in engine.network.bridges
    actions = [(e.type, e.action, e.attributes.get("name")) for e in engine.context.events.recent
               if e.type == "network"]  # fmt: skip
    assert actions == [("network", "create", "web"), ("network", "destroy", "web")]
    again = await api.delete("/networks/web")
    assert again.status == 404


@pytest.mark.parametrize("name", ["bridge", "host", "none"])
async def test_predefined_networks_cannot_be_removed(api: Client, name: str) -> None:
    response = await api.delete(f"/networks/{name}")
    assert response.status == 403
    assert (await response.json())["message"] == (
        f"{name} is a pre-defined network and cannot be removed"
    )


async def test_a_network_in_use_is_not_removed_and_names_its_containers(
    api: Client, engine: Engine
) -> None:
    await _create(api, Name="mynet")
    c1 = await engine.run("sleep", "100", name="c1")
    c2 = await engine.run("sleep", "100", name="c2")
    networks = engine.services.networks
    for container_id in (c2, c1):
        await networks.start_run(container_id, [Attachment("mynet")], f"/proc/{container_id}")
    response = await api.delete("/networks/mynet")
    assert response.status == 403
    assert (await response.json())["message"] == (
        "error while removing network: network mynet has active endpoints "
        f'(name:"c1" id:"{c1[:12]}", name:"c2" id:"{c2[:12]}")'
    )
    shown = await _inspect(api, "mynet")
    (endpoint,) = [e for e in networks.endpoints_of(c1) if e.network_id == shown["Id"]]
    assert shown["Containers"][c1] == {
        "Name": "c1", "EndpointID": endpoint.id, "MacAddress": endpoint.mac,
        "IPv4Address": f"{endpoint.address}/16", "IPv6Address": "",
    }  # fmt: skip
    listed = await (await api.get("/networks", params={"filters": '{"name": ["mynet"]}'})).json()
    assert listed[0]["Containers"] == {}
    for container_id in (c1, c2):
        await networks.end_run(container_id)
    assert (await api.delete("/networks/mynet")).status == 204


async def test_list_filters(api: Client, engine: Engine) -> None:
    web = await _create(api, Name="web", Labels={"tier": "front", "env": "prod"})
    await _create(api, Name="webdb", Labels={"tier": "back"})
    container_id = await engine.run("sleep", "100", name="c1")
    await engine.services.networks.start_run(container_id, [Attachment("webdb")], "/proc/1")
    assert await _names(api, {"name": ["web"]}) == ["web", "webdb"]
    assert await _names(api, {"name": ["^web$"]}) == ["web"]
    assert await _names(api, {"id": [web["Id"][:10]]}) == ["web"]
    assert await _names(api, {"driver": ["null", "host"]}) == ["host", "none"]
    assert await _names(api, {"type": ["builtin"]}) == ["bridge", "host", "none"]
    assert await _names(api, {"type": ["custom"]}) == ["web", "webdb"]
    assert await _names(api, {"label": ["tier"]}) == ["web", "webdb"]
    assert await _names(api, {"label": ["tier=front", "env=prod"]}) == ["web"]
    assert await _names(api, {"dangling": ["true"]}) == ["web"]
    assert await _names(api, {"dangling": ["false"]}) == ["bridge", "host", "none", "webdb"]
    assert await _names(api, {"scope": ["local"]}) == ["bridge", "host", "none", "web", "webdb"]
    assert await _names(api, {"scope": ["swarm"]}) == []
    for filters, message in (({"bogus": ["x"]}, "invalid filter 'bogus'"),
                             ({"type": ["odd"]}, "invalid filter: 'type'='odd'"),
                             ({"dangling": ["maybe"]}, "invalid filter 'dangling=maybe'"),
                             ({"name": ["("]}, "invalid name filter '('")):  # fmt: skip
        response = await api.get("/networks", params={"filters": json.dumps(filters)})
        assert response.status == 400
        assert (await response.json())["message"].startswith(message)
    await engine.services.networks.end_run(container_id)


async def test_prune_removes_unused_user_networks_only(api: Client, engine: Engine) -> None:
    await _create(api, Name="idle", Labels={"keep": "no"})
    await _create(api, Name="kept", Labels={"keep": "yes"})
    await _create(api, Name="used")
    container_id = await engine.run("sleep", "100", name="c1")
    await engine.services.networks.start_run(container_id, [Attachment("used")], "/proc/1")
    labelled = await api.post("/networks/prune", params={"filters": '{"label!": ["keep=yes"]}'})
    assert await labelled.json() == {"NetworksDeleted": ["idle"]}
    early = await api.post(
        "/networks/prune", params={"filters": '{"until": ["2000-01-01T00:00:00Z"]}'}
    )
    assert await early.json() == {"NetworksDeleted": []}
    everything = await api.post("/networks/prune")
    assert await everything.json() == {"NetworksDeleted": ["kept"]}
    assert await _names(api) == ["bridge", "host", "none", "used"]
    bad = await api.post("/networks/prune", params={"filters": '{"dangling": ["true"]}'})
    assert bad.status == 400
    await engine.services.networks.end_run(container_id)
