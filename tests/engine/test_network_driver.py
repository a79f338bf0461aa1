"""BridgeDriver on the real kernel: bridges, veths, iptables rules and traffic, all inside
namespaces the test makes (a private "host", containers, an "outside" host on its own veth).

Addresses are test-only: 10.231/10.232 subnets behind the private host, 198.51.100.0/24
(TEST-NET-2) between it and the outside namespace. No packet reaches the real host.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.netns_harness import Namespaces
from tuibox.engine.domain.network import EndpointRecord, NetworkRecord, PortBinding
from tuibox.engine.network import firewall_rules
from tuibox.engine.network.bridge_driver import BridgeDriver
from tuibox.engine.network.iptables import Ruleset

pytestmark = pytest.mark.engine

OUTSIDE_HOST_SIDE = "198.51.100.1"
OUTSIDE = "198.51.100.2"


@pytest.fixture
def spaces() -> Iterator[Namespaces]:
    missing = [tool for tool in ("ip", "iptables", "iptables-save") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root")
    if missing:
        reason = "network driver tests need " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    made = Namespaces()
    try:
        yield made
    finally:
        made.cleanup()


def network(tag: str, third: int, internal: bool = False) -> NetworkRecord:
    return NetworkRecord(
        id=tag * 64,
        name=f"net{tag}",
        driver="bridge",
        created="2026-01-01T00:00:00Z",
        subnet=f"10.{third}.0.0/24",
        gateway=f"10.{third}.0.1",
        bridge=f"tbx-test{tag}",
        bridge_mac=f"02:42:0a:{third:02x}:00:01",
        mtu=1400,
        internal=internal,
    )


def endpoint(
    net: NetworkRecord, n: int, ifname: str = "eth0", ports: tuple[PortBinding, ...] = ()
) -> EndpointRecord:
    third = net.gateway.split(".")[1]
    return EndpointRecord(
        id=f"{n:064x}",
        network_id=net.id,
        container_id=f"{n:064x}",
        ifname=ifname,
        host_ifname=f"tbx{n:07x}",
        address=f"10.{third}.0.{n + 1}",
        mac=f"02:42:0a:{int(third):02x}:00:{n + 1:02x}",
        ports=ports,
    )


def container(
    spaces: Namespaces, driver: BridgeDriver, net: NetworkRecord, ep: EndpointRecord
) -> str:
    ns = spaces.add(f"c{int(ep.id, 16)}")
    spaces.run(driver.plug(net, ep, spaces.path(ns), gateway=ep.ifname == "eth0"))
    return ns


def outside(spaces: Namespaces, routes_back: tuple[str, ...] = ()) -> str:
    """A stand-in outside host on a veth of the private host (198.51.100.0/24)."""
    out = spaces.add("out")
    veth = ("type", "veth", "peer", "name", "outo0", "netns", out)
    spaces.ip("link", "add", "outh0", *veth, ns=spaces.host)
    spaces.ip("addr", "add", f"{OUTSIDE_HOST_SIDE}/24", "dev", "outh0", ns=spaces.host)
    spaces.ip("link", "set", "outh0", "up", ns=spaces.host)
    spaces.ip("addr", "add", f"{OUTSIDE}/24", "dev", "outo0", ns=out)
    spaces.ip("link", "set", "outo0", "up", ns=out)
    spaces.ip("link", "set", "lo", "up", ns=out)
    for subnet in routes_back:
        spaces.ip("route", "add", subnet, "via", OUTSIDE_HOST_SIDE, ns=out)
    return out


def tuibox_state(spaces: Namespaces) -> tuple[list[str], list[str]]:
    """Links named like tuibox's and iptables lines naming TUIBOX, in the private host."""
    names = [
        line.split(": ")[1].split("@")[0]
        for line in spaces.ip("-o", "link", ns=spaces.host).splitlines()
    ]
    links = [name for name in names if name.startswith(("tbx", "tuibox"))]
    rules = [
        line for line in spaces.sh("iptables-save", ns=spaces.host).splitlines() if "TUIBOX" in line
    ]
    return links, rules


def test_containers_on_a_bridge_reach_the_gateway_and_each_other(spaces: Namespaces) -> None:
    driver = BridgeDriver()
    net, other = network("a", 231), network("b", 232)
    for _ in range(2):
        spaces.run(driver.ensure_network(net))
    spaces.run(driver.ensure_network(other))
    e1, e2 = endpoint(net, 1), endpoint(net, 2)
    c1, c2 = container(spaces, driver, net, e1), container(spaces, driver, net, e2)
    spaces.run(driver.plug(net, e1, spaces.path(c1), gateway=True))  # again: nothing changes
    spaces.run(driver.plug(other, endpoint(other, 3, ifname="eth1"), spaces.path(c1),
                           gateway=False))  # fmt: skip

    bridge = spaces.ip("-d", "link", "show", "tbx-testa", ns=spaces.host)
    assert "link/ether 02:42:0a:e7:00:01" in bridge  # pinned, though ports joined
    assert "mtu 1400" in bridge and ",UP" in bridge
    assert "inet 10.231.0.1/24" in spaces.ip("-4", "addr", "show", "tbx-testa", ns=spaces.host)
    assert spaces.sh("cat", "/proc/sys/net/ipv4/ip_forward", ns=spaces.host).strip() == "1"
    assert (
        spaces.sh("cat", "/proc/sys/net/ipv6/conf/tbx-testa/accept_ra", ns=spaces.host).strip()
        == "0"
    )
    port = spaces.ip("-d", "link", "show", "tbx0000001", ns=spaces.host)
    assert "master tbx-testa" in port and "hairpin on" in port
    eth0 = spaces.ip("link", "show", "eth0", ns=c1)
    assert "link/ether 02:42:0a:e7:00:02" in eth0 and "mtu 1400" in eth0
    assert "inet 10.231.0.2/24" in spaces.ip("-4", "addr", "show", "eth0", ns=c1)
    assert ",UP" in spaces.ip("link", "show", "lo", ns=c1)
    # Only eth0's network routes by default; eth1 gets its on-link route alone.
    defaults = spaces.ip("route", "show", "default", ns=c1).splitlines()
    assert len(defaults) == 1
    assert defaults[0].split()[:5] == ["default", "via", "10.231.0.1", "dev", "eth0"]
    assert "10.232.0.0/24 dev eth1" in spaces.ip("route", ns=c1)
    # The gateway moves to eth1's network once eth0 is gone, as after a disconnect.
    spaces.run(driver.unplug(e1))
    spaces.run(driver.route_default(other, spaces.path(c1)))
    defaults = spaces.ip("route", "show", "default", ns=c1).splitlines()
    assert [line.split()[:5] for line in defaults] == [["default", "via", "10.232.0.1", "dev",
                                                         "eth1"]]  # fmt: skip
    spaces.run(driver.plug(net, e1, spaces.path(c1), gateway=True))  # back, and first again
    defaults = spaces.ip("route", "show", "default", ns=c1).splitlines()
    assert [line.split()[:5] for line in defaults] == [["default", "via", "10.231.0.1", "dev",
                                                         "eth0"]]  # fmt: skip

    spaces.serve(spaces.host, "10.231.0.1", 7000)
    spaces.serve(c2, "0.0.0.0", 7001)
    assert spaces.ask(c1, "10.231.0.1", 7000) == "10.231.0.2"
    assert spaces.ask(c1, "10.231.0.3", 7001) == "10.231.0.2"


def test_published_tcp_port_answers_on_loopback_host_address_bridge_and_outside(
    spaces: Namespaces,
) -> None:
    driver = BridgeDriver()
    net = network("a", 231)
    spaces.run(driver.ensure_network(net))
    out = outside(spaces)
    ports = (PortBinding(80, "tcp", "0.0.0.0", 8080), PortBinding(80, "tcp", "127.0.0.1", 8081))
    web, peer = endpoint(net, 1, ports=ports), endpoint(net, 2)
    c1, c2 = container(spaces, driver, net, web), container(spaces, driver, net, peer)
    spaces.serve(c1, "0.0.0.0", 80)
    for _ in range(2):
        spaces.run(driver.publish(net, web))

    # From the host the container sees the gateway (masqueraded: 127.0.0.1 cannot go out).
    assert spaces.ask(spaces.host, "127.0.0.1", 8080) == "10.231.0.1"
    assert spaces.ask(spaces.host, OUTSIDE_HOST_SIDE, 8080) == "10.231.0.1"
    assert spaces.ask(spaces.host, "127.0.0.1", 8081) == "10.231.0.1"
    # Through the host's bridge-side address, from another container and from itself.
    assert spaces.ask(c2, "10.231.0.1", 8080) == "10.231.0.1"
    assert spaces.ask(c1, "10.231.0.1", 8080) == "10.231.0.1"
    # From outside the client is seen as itself; the loopback-only port is not there.
    assert spaces.ask(out, OUTSIDE_HOST_SIDE, 8080) == OUTSIDE
    assert spaces.ask(out, OUTSIDE_HOST_SIDE, 8081, timeout=1.0) == ""

    for _ in range(2):
        spaces.run(driver.unpublish(net, web))
    assert spaces.ask(spaces.host, "127.0.0.1", 8080, timeout=1.0) == ""
    assert spaces.ask(out, OUTSIDE_HOST_SIDE, 8080, timeout=1.0) == ""
    assert spaces.ask(spaces.host, "10.231.0.2", 80) == "10.231.0.1"  # the container still is


def test_published_udp_port_answers_on_loopback_and_outside(spaces: Namespaces) -> None:
    driver = BridgeDriver()
    net = network("a", 231)
    spaces.run(driver.ensure_network(net))
    out = outside(spaces)
    dns = endpoint(net, 1, ports=(PortBinding(53, "udp", "0.0.0.0", 5353),))
    c1 = container(spaces, driver, net, dns)
    spaces.serve(c1, "0.0.0.0", 53, proto="udp")
    spaces.run(driver.publish(net, dns))

    assert spaces.ask(spaces.host, "127.0.0.1", 5353, proto="udp") == "10.231.0.1"
    assert spaces.ask(out, OUTSIDE_HOST_SIDE, 5353, proto="udp") == OUTSIDE
    assert spaces.ask(spaces.host, "127.0.0.1", 5353, proto="tcp", timeout=1.0) == ""


def test_outbound_nat_under_a_drop_forward_policy_and_internal_networks_stay_in(
    spaces: Namespaces,
) -> None:
    driver = BridgeDriver()
    spaces.sh("iptables", "-w", "-P", "FORWARD", "DROP", ns=spaces.host)
    net, sealed = network("a", 231), network("i", 232, internal=True)
    spaces.run(driver.ensure_network(net))
    spaces.run(driver.ensure_network(sealed))
    # The outside host can route back to both subnets: only NAT or a drop explains what it sees.
    out = outside(spaces, routes_back=("10.231.0.0/24", "10.232.0.0/24"))
    spaces.serve(out, OUTSIDE, 9000)
    c1 = container(spaces, driver, net, endpoint(net, 1))
    i1, i2 = (container(spaces, driver, sealed, endpoint(sealed, n)) for n in (4, 5))

    assert spaces.ask(c1, OUTSIDE, 9000) == OUTSIDE_HOST_SIDE  # masqueraded
    assert spaces.ask(i1, OUTSIDE, 9000, timeout=1.0) == ""
    spaces.serve(i2, "0.0.0.0", 7000)
    spaces.serve(spaces.host, "10.232.0.1", 7000)
    assert spaces.ask(i1, "10.232.0.6", 7000) == "10.232.0.5"
    assert spaces.ask(i1, "10.232.0.1", 7000) == "10.232.0.5"
    assert "-P FORWARD DROP" in spaces.sh("iptables", "-w", "-S", "FORWARD", ns=spaces.host)


def test_networks_are_isolated_but_published_ports_reach_across(spaces: Namespaces) -> None:
    driver = BridgeDriver()
    net_a, net_b = network("a", 231), network("b", 232)
    spaces.run(driver.ensure_network(net_a))
    spaces.run(driver.ensure_network(net_b))
    c1 = container(spaces, driver, net_a, endpoint(net_a, 1))
    web = endpoint(net_b, 2, ports=(PortBinding(7001, "tcp", "0.0.0.0", 8090),))
    c2 = container(spaces, driver, net_b, web)
    spaces.run(driver.publish(net_b, web))
    spaces.serve(c2, "0.0.0.0", 7001)

    assert spaces.ask(c1, "10.232.0.3", 7001, timeout=1.0) == ""
    assert spaces.ask(c1, "10.231.0.1", 8090) == "10.232.0.1"


def test_teardown_leaves_no_link_or_rule_and_every_step_twice_is_fine(spaces: Namespaces) -> None:
    driver = BridgeDriver()
    before = tuibox_state(spaces)
    net, sealed = network("a", 231), network("i", 232, internal=True)
    web = endpoint(net, 1, ports=(PortBinding(80, "tcp", "127.0.0.1", 8080),))
    quiet = endpoint(sealed, 2)
    for _ in range(2):
        spaces.run(driver.ensure_network(net))
        spaces.run(driver.ensure_network(sealed))
    c1, c2 = container(spaces, driver, net, web), container(spaces, driver, sealed, quiet)
    for _ in range(2):
        spaces.run(driver.publish(net, web))
    links, rules = tuibox_state(spaces)
    assert sorted(links) == ["tbx-testa", "tbx-testi", "tbx0000001", "tbx0000002"]
    # Every hook and shared line once, exactly as iptables-save prints it.
    saved = Ruleset.parse(spaces.sh("iptables-save", ns=spaces.host))
    for table, line in firewall_rules.desired_lines([net, sealed], [web]):
        assert saved.rules[table].count(line) == 1, (table, line)
    assert spaces.run(driver.reconcile([net, sealed], [web, quiet])) == []
    assert tuibox_state(spaces) == (links, rules)

    for _ in range(2):
        spaces.run(driver.unpublish(net, web))
        spaces.run(driver.unplug(web))
        spaces.run(driver.unplug(quiet))
        spaces.run(driver.remove_network(net))
        spaces.run(driver.remove_network(sealed))
    assert tuibox_state(spaces) == before
    assert spaces.ip("-o", "link", ns=c1).split(": ")[1] == "lo"  # eth0 went with the veth
    assert "eth0" not in spaces.ip("-o", "link", ns=c2)


def test_reconcile_removes_what_no_record_names(spaces: Namespaces) -> None:
    driver = BridgeDriver()
    before = tuibox_state(spaces)
    kept, dropped = network("a", 231), network("b", 232)
    spaces.run(driver.ensure_network(kept))
    spaces.run(driver.ensure_network(dropped))
    e1 = endpoint(kept, 1)
    e2 = endpoint(dropped, 2, ports=(PortBinding(80, "tcp", "0.0.0.0", 8080),))
    c1 = container(spaces, driver, kept, e1)
    container(spaces, driver, dropped, e2)
    spaces.run(driver.publish(dropped, e2))
    # Leftovers of a crash: a bridge and veth of tuibox's naming, a stray line and chain.
    spaces.ip("link", "add", "tbx-orphan", "type", "bridge", ns=spaces.host)
    spaces.ip("link", "add", "tbx00000ff", "type", "veth", "peer", "name", "strayp", ns=spaces.host)
    ipt = ("iptables", "-w")
    spaces.sh(*ipt, "-A", "TUIBOX-FORWARD", "-i", "tbx-gone", "-j", "DROP", ns=spaces.host)
    spaces.sh(*ipt, "-t", "nat", "-N", "TUIBOX-P-tbx0000abc", ns=spaces.host)
    twice = ("-A", "TUIBOX-FORWARD", "-i", "tbx-testa", "-j", "TUIBOX-N-tbx-testa")
    spaces.sh(*ipt, *twice, ns=spaces.host)

    removed = spaces.run(driver.reconcile([kept], [e1]))

    for thing in (
        "bridge tbx-orphan",
        "bridge tbx-testb",
        "veth tbx00000ff",
        "veth tbx0000002",
        "iptables -t filter chain TUIBOX-N-tbx-testb",
        "iptables -t nat chain TUIBOX-N-tbx-testb",
        "iptables -t nat chain TUIBOX-P-tbx0000002",
        "iptables -t raw chain TUIBOX-P-tbx0000002",
        "iptables -t nat chain TUIBOX-P-tbx0000abc",
        "iptables -t filter rule -A TUIBOX-FORWARD -i tbx-gone -j DROP",
    ):
        assert thing in removed
    assert removed.count("iptables -t filter rule " + " ".join(twice)) == 1
    links, rules = tuibox_state(spaces)
    assert sorted(links) == ["tbx-testa", "tbx0000001"]
    assert not [rule for rule in rules if "tbx-testb" in rule or "tbx-gone" in rule]
    assert not [rule for rule in rules if "tbx0000002" in rule or "tbx0000abc" in rule]
    assert rules.count(" ".join(twice)) == 1
    assert spaces.run(driver.reconcile([kept], [e1])) == []
    spaces.serve(spaces.host, "10.231.0.1", 7000)
    assert spaces.ask(c1, "10.231.0.1", 7000) == "10.231.0.2"

    spaces.run(driver.reconcile([], []))
    assert tuibox_state(spaces) == before


def test_check_host_names_the_missing_package(spaces: Namespaces) -> None:
    assert spaces.run(BridgeDriver().check_host()) == []
    lines = spaces.run(BridgeDriver(iptables="iptables-not-here").check_host())
    assert len(lines) == 1
    assert lines[0].startswith("iptables is not installed (iptables-not-here, ")
    assert lines[0].endswith(": apt-get install iptables")


def test_host_networks_lists_on_link_routes_and_nameservers(
    spaces: Namespaces, tmp_path: Path
) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("search example\nnameserver 203.0.113.53\nnameserver ::1\n")
    driver = BridgeDriver(resolv_conf=resolv)
    spaces.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan1", ns=spaces.host)
    spaces.ip("addr", "add", "192.0.2.7/24", "dev", "lan0", ns=spaces.host)
    spaces.ip("link", "set", "lan0", "up", ns=spaces.host)
    spaces.ip("link", "set", "lan1", "up", ns=spaces.host)
    spaces.run(driver.ensure_network(network("a", 231)))

    # tuibox's own bridge is left out: a restart must be free to keep its subnet.
    assert spaces.run(driver.host_networks()) == ["192.0.2.0/24", "203.0.113.53/32"]


def test_a_port_published_on_loopback_is_not_reachable_through_the_bridge(
    spaces: Namespaces,
) -> None:
    """route_localnet lets 127.0.0.1 in on the bridge; a neighbour that routes 127.0.0.1
    to the gateway must still not reach a port the host published on loopback only."""
    driver = BridgeDriver()
    net = network("a", 231)
    spaces.run(driver.ensure_network(net))
    web = endpoint(net, 1, ports=(PortBinding(80, "tcp", "127.0.0.1", 8081),))
    c1 = container(spaces, driver, net, web)
    spaces.serve(c1, "0.0.0.0", 80)
    spaces.run(driver.publish(net, web))
    rogue = spaces.add("rogue")  # on the bridge by hand, loopback down, 127/8 routable
    veth = ("type", "veth", "peer", "name", "rogue0", "netns", rogue)
    spaces.ip("link", "add", "rogueh0", *veth, ns=spaces.host)
    spaces.ip("link", "set", "rogueh0", "master", "tbx-testa", "up", ns=spaces.host)
    spaces.ip("addr", "add", "10.231.0.9/24", "dev", "rogue0", ns=rogue)
    spaces.ip("link", "set", "rogue0", "up", ns=rogue)
    for key in ("all", "rogue0"):
        spaces.sh("sysctl", "-qw", f"net.ipv4.conf.{key}.route_localnet=1", ns=rogue)
    spaces.ip("route", "add", "127.0.0.1/32", "via", "10.231.0.1", "dev", "rogue0", ns=rogue)

    assert spaces.ask(spaces.host, "127.0.0.1", 8081) == "10.231.0.1"
    assert spaces.ask(rogue, "127.0.0.1", 8081, timeout=1.0) == ""
