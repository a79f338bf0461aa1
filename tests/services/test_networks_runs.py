"""NetworkService's run-time side on the fake driver: start_run, end_run, recover, bip, pools."""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from tests.fakes.network import FakeNetworkDriver
from tuibox.engine.domain.errors import Forbidden, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.network import Attachment, PortBinding
from tuibox.engine.events import EventBus
from tuibox.engine.network.ipam import AddressPool
from tuibox.engine.services.networks.service import NetworkService
from tuibox.engine.services.networks.state import IpamSettings
from tuibox.engine.store.networks import NetworkStore

C1, C2, C3 = "1" * 64, "2" * 64, "3" * 64
WEB = PortBinding(80, "tcp", "0.0.0.0", 8080)


class Harness:
    """A NetworkService on a store under tmp_path and a fake driver; `restart` builds a
    new service on the same store and driver, as a restarted engine does."""

    def __init__(self, root: Path, settings: IpamSettings | None = None) -> None:
        self.root = root
        self.driver = FakeNetworkDriver()
        self.events = EventBus()
        self.settings = settings or IpamSettings()
        self.service = self._build()

    def _build(self) -> NetworkService:
        service = NetworkService(NetworkStore(self.root), self.driver, self.events, self.settings)
        service.set_name_lookup(lambda cid: {C1: "c1", C2: "c2", C3: "c3"}.get(cid, ""))
        return service

    def restart(self) -> NetworkService:
        self.service = self._build()
        return self.service

    def stored_endpoints(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "endpoints").glob("*.json"))


@pytest.fixture
async def harness(tmp_path: Path) -> Harness:
    made = Harness(tmp_path / "network")
    await made.service.open()
    await made.service.create({"Name": "web"})
    await made.service.create({"Name": "fixed", "IPAM": {"Config": [{"Subnet": "10.7.0.0/24"}]}})
    return made


async def test_start_run_makes_one_endpoint_per_attachment_in_order(harness: Harness) -> None:
    service, driver = harness.service, harness.driver
    made = await service.start_run(
        C1,
        [Attachment("bridge", ports=(WEB,)), Attachment("web", aliases=("api",))],
        "/proc/9/ns/net",
    )
    assert [(e.ifname, e.address) for e in made] == [("eth0", "172.17.0.2"), ("eth1", "172.18.0.2")]
    for endpoint in made:
        assert re.fullmatch(r"tbx[0-9a-f]{7}", endpoint.host_ifname)
        first = int(endpoint.mac[:2], 16)
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", endpoint.mac)
        assert first & 0x02 and not first & 0x01  # locally administered, unicast
        assert driver.veths[endpoint.host_ifname] == (endpoint.network_id, "/proc/9/ns/net")
    assert made[0].ports == (WEB,) and made[1].aliases == ("api",)
    assert driver.called("publish") == [made[0].host_ifname]
    assert service.endpoints_of(C1) == made
    assert harness.stored_endpoints() == sorted(e.id for e in made)
    connects = [(e.action, e.attributes) for e in harness.events.recent if e.action == "connect"]
    assert connects == [
        ("connect", {"name": "bridge", "type": "bridge", "container": C1}),
        ("connect", {"name": "web", "type": "bridge", "container": C1}),
    ]


async def test_a_freed_address_is_handed_out_again_at_once(harness: Harness) -> None:
    service = harness.service
    await service.start_run(C1, [Attachment("web")], "/proc/1")
    await service.start_run(C2, [Attachment("web")], "/proc/2")
    await service.end_run(C1)
    third = await service.start_run(C3, [Attachment("web")], "/proc/3")
    assert third[0].address == "172.18.0.2"


async def test_a_later_call_adds_the_next_interface(harness: Harness) -> None:
    service = harness.service
    await service.start_run(C1, [Attachment("bridge")], "/proc/1")
    later = await service.start_run(C1, [Attachment("web")], "/proc/1")
    assert later[0].ifname == "eth1"
    with pytest.raises(Forbidden, match="endpoint with name c1 already exists in network web"):
        await service.start_run(C1, [Attachment("web")], "/proc/1")


async def test_fixed_addresses(harness: Harness) -> None:
    service = harness.service
    made = await service.start_run(C1, [Attachment("fixed", requested_address="10.7.0.50")], "/p")
    assert made[0].address == "10.7.0.50" and made[0].requested_address == "10.7.0.50"
    with pytest.raises(Forbidden, match="Address already in use"):
        await service.start_run(C2, [Attachment("fixed", requested_address="10.7.0.50")], "/p")
    with pytest.raises(InvalidArgument, match="no configured subnet or ip-range contain"):
        await service.start_run(C2, [Attachment("fixed", requested_address="10.8.0.5")], "/p")
    with pytest.raises(InvalidArgument) as refused:
        await service.start_run(C2, [Attachment("web", requested_address="172.18.0.9")], "/p")
    assert str(refused.value) == (
        "user specified IP address is supported only when connecting to networks with user "
        "configured subnets"
    )
    with pytest.raises(InvalidArgument, match="network-scoped alias is supported only"):
        await service.start_run(C2, [Attachment("bridge", aliases=("x",))], "/p")
    with pytest.raises(NotFound, match="network nope not found"):
        await service.start_run(C2, [Attachment("nope")], "/p")
    assert service.endpoints_of(C2) == []


@pytest.mark.parametrize(("method", "nth"), [("plug", 2), ("publish", 1), ("ensure_network", 2)])
async def test_a_failing_step_undoes_everything_the_call_did(
    harness: Harness, method: str, nth: int
) -> None:
    service, driver = harness.service, harness.driver
    driver.fail_on[method] = nth
    with pytest.raises(RuntimeFailure, match=f"fake {method} failed"):
        await service.start_run(
            C1, [Attachment("bridge"), Attachment("web", ports=(WEB,))], "/proc/1"
        )
    assert service.endpoints_of(C1) == []
    assert harness.stored_endpoints() == []
    assert driver.veths == {} and driver.published == {}
    again = await service.start_run(C1, [Attachment("bridge"), Attachment("web")], "/proc/1")
    assert [e.address for e in again] == ["172.17.0.2", "172.18.0.2"]  # addresses were freed
    connects = [e for e in harness.events.recent if e.action == "connect"]
    assert len(connects) == 2  # the retry's; the failed call announced nothing


async def test_end_run_undoes_all_is_idempotent_and_survives_driver_failures(
    harness: Harness,
) -> None:
    service, driver = harness.service, harness.driver
    made = await service.start_run(
        C1, [Attachment("bridge", ports=(WEB,)), Attachment("web")], "/p"
    )
    driver.fail_on["unplug"] = 1
    await service.end_run(C1)
    assert service.endpoints_of(C1) == [] and harness.stored_endpoints() == []
    assert driver.called("unpublish") == [made[0].host_ifname]
    assert driver.published == {}
    assert list(driver.veths) == [made[1].host_ifname]  # the failed unplug: left to reconcile
    await service.end_run(C1)
    await service.end_run("never-ran")
    disconnects = [e.attributes["name"] for e in harness.events.recent if e.action == "disconnect"]
    assert disconnects == ["web", "bridge"]


async def test_host_and_none_attachments_are_recorded_without_kernel_work(
    harness: Harness,
) -> None:
    service, driver = harness.service, harness.driver
    made = await service.start_run(C1, [Attachment("none")], "/p")
    assert (made[0].address, made[0].mac, made[0].host_ifname, made[0].ifname) == ("", "", "", "")
    assert driver.called("plug") == []
    shown = await service.inspect("none")
    assert shown["Containers"][C1]["IPv4Address"] == ""
    with pytest.raises(InvalidArgument, match="only bridge networks publish ports"):
        await service.start_run(C2, [Attachment("host", ports=(WEB,))], "/p")
    await service.end_run(C1)
    assert driver.called("unplug") == []


async def test_endpoints_and_addresses_survive_a_restart_and_recover_ends_the_dead(
    harness: Harness,
) -> None:
    await harness.service.start_run(C1, [Attachment("web")], "/proc/1")
    alive = await harness.service.start_run(C2, [Attachment("web")], "/proc/2")
    service = harness.restart()
    assert service.endpoints_of(C2) == alive
    await service.recover({C2})
    assert service.endpoints_of(C1) == [] and service.endpoints_of(C2) == alive
    assert harness.stored_endpoints() == [alive[0].id]
    assert harness.driver.called("reconcile")[-1] == "5 networks, 1 endpoints"
    assert sorted(harness.driver.veths) == [alive[0].host_ifname]
    after = await service.start_run(C3, [Attachment("web")], "/proc/3")
    assert after[0].address == "172.18.0.2"  # C1's, freed by recover; C2 keeps .3
    assert alive[0].address == "172.18.0.3"


async def test_recover_survives_a_failing_reconcile(harness: Harness) -> None:
    harness.driver.fail_on["reconcile"] = 1
    await harness.service.recover(set())
    assert harness.driver.called("reconcile")


async def test_lookup_and_get(harness: Harness) -> None:
    web = harness.service.lookup("web")
    assert harness.service.get(web.id) is web
    assert harness.service.lookup(web.id[:8]) is web
    with pytest.raises(NotFound):
        harness.service.get("web")


async def test_bip_sets_the_default_bridge(tmp_path: Path) -> None:
    made = Harness(tmp_path / "network", IpamSettings(bip="192.168.1.1/24"))
    await made.service.open()
    bridge = made.service.lookup("bridge")
    assert (bridge.subnet, bridge.gateway) == ("192.168.1.0/24", "192.168.1.1")
    first = await made.service.start_run(C1, [Attachment("bridge")], "/p")
    assert first[0].address == "192.168.1.2"


async def test_a_changed_bip_moves_the_bridge_keeping_its_id(tmp_path: Path) -> None:
    made = Harness(tmp_path / "network")
    await made.service.open()
    before = made.service.lookup("bridge")
    made.settings = IpamSettings(bip="10.99.0.1/16")
    service = made.restart()
    await service.open()
    after = service.lookup("bridge")
    assert (after.id, after.subnet, after.gateway) == (before.id, "10.99.0.0/16", "10.99.0.1")


async def test_configured_pools_replace_dockers(tmp_path: Path) -> None:
    pools = (AddressPool(IPv4Network("10.10.0.0/16"), 24),)
    made = Harness(tmp_path / "network", IpamSettings(pools=pools))
    made.driver.host_cidrs = ["10.10.0.0/24"]
    await made.service.open()
    assert made.service.lookup("bridge").subnet == "10.10.1.0/24"
    created = await made.service.create({"Name": "web"})
    assert made.service.get(created["Id"]).subnet == "10.10.2.0/24"
