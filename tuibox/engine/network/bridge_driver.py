"""Provides BridgeDriver: the real NetworkDriver (Linux bridges and veths through pyroute2,
NAT and forwarding through iptables), in the calling thread's network namespace."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import os
import re
import shutil
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.network import (
    DEFAULT_BRIDGE_IFNAME,
    USER_BRIDGE_PREFIX,
    EndpointRecord,
    NetworkRecord,
)
from tuibox.engine.network import netlink, sysctl
from tuibox.engine.network.firewall import Firewall
from tuibox.engine.network.iptables import Iptables

HOST_VETH = re.compile(r"tbx[0-9a-f]{7}")
IPTABLES_REMEDY = "apt-get install iptables"


def is_tuibox_bridge(name: str) -> bool:
    return name == DEFAULT_BRIDGE_IFNAME or name.startswith(USER_BRIDGE_PREFIX)


def is_tuibox_veth(name: str) -> bool:
    return HOST_VETH.fullmatch(name) is not None


class BridgeDriver:
    """NetworkDriver on the kernel. Firewall changes are serialised by one lock, so two
    operations never interleave their check-then-add steps.

    A network is set up in full (bridge, sysctls, firewall) the first time it is ensured
    in this driver's lifetime and again whenever its record changes; later joins skip it
    (it cost ~6 ms of every container start). A bridge deleted behind the engine's back
    is found by plug, which sets the network up again once.

    Default route rule: a container's default route goes through the gateway of the
    network whose endpoint is `eth0` (the first network it joined, as Docker routes
    through the first); networks joined later (`eth1`...) only get their on-link route.
    """

    def __init__(
        self, iptables: str = "iptables", resolv_conf: Path = Path("/etc/resolv.conf")
    ) -> None:
        self.iptables = Iptables(iptables)
        self.firewall = Firewall(self.iptables)
        self.resolv_conf = resolv_conf
        self._lock = asyncio.Lock()
        self._ensured: dict[str, NetworkRecord] = {}
        """Networks set up by this driver, by ID, as they were when set up."""

    async def check_host(self) -> list[str]:
        ipt = self.iptables
        tools = (ipt.iptables, ipt.save_tool, ipt.restore_tool)
        missing = [tool for tool in tools if shutil.which(tool) is None]
        if missing:
            tools_missing = ", ".join(missing)
            return [f"iptables is not installed ({tools_missing} not found): {IPTABLES_REMEDY}"]
        problems = []
        outcome = await ipt.run("nat", "-S")
        if outcome.returncode != 0:
            problems.append(
                f"iptables cannot use the kernel's nat table ({outcome.error.strip()}): "
                "run the engine as root on a kernel with nf_tables (modprobe nf_tables)"
            )
        forward = sysctl.PROC_SYS_NET / sysctl.IP_FORWARD
        if sysctl.read(sysctl.IP_FORWARD) != "1" and not os.access(forward, os.W_OK):
            problems.append(
                f"IP forwarding is off and {forward} cannot be written: set "
                "net.ipv4.ip_forward=1 on the host, or run the engine as root in its namespace"
            )
        return problems

    async def host_networks(self) -> list[str]:
        """IPv4 on-link routes of the main table (those of tuibox's own bridges excepted,
        so a restart keeps the default bridge's subnet) and the IPv4 nameservers of the
        host's resolv.conf as /32s."""
        own = {link.name for link in await netlink.host_links() if is_tuibox_bridge(link.name)}
        found = await netlink.on_link_routes(own)
        for server in self._nameservers():
            cidr = f"{server}/32"
            if cidr not in found:
                found.append(cidr)
        return found

    def _nameservers(self) -> list[str]:
        try:
            text = self.resolv_conf.read_text()
        except OSError:
            return []
        servers = []
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "nameserver":
                try:
                    servers.append(str(ipaddress.IPv4Address(words[1])))
                except ValueError:
                    continue  # IPv6 nameservers cannot overlap an IPv4 subnet
        return servers

    async def ensure_network(self, network: NetworkRecord) -> None:
        """Host and none networks have no kernel side: nothing to do for them."""
        if network.driver != "bridge":
            return
        _require_bridge_fields(network)
        if self._ensured.get(network.id) == network:
            return
        async with self._lock:
            self._ensured.pop(network.id, None)
            sysctl.write(sysctl.IP_FORWARD, "1")
            await netlink.ensure_bridge(
                network.bridge,
                network.bridge_mac,
                network.gateway,
                network.prefixlen,
                network.mtu,
            )
            sysctl.write(f"ipv6/conf/{network.bridge}/accept_ra", "0", optional=True)
            # 127.0.0.1 -> container DNAT needs loopback sources routable on the bridge.
            localnet = "0" if network.internal else "1"
            sysctl.write(f"ipv4/conf/{network.bridge}/route_localnet", localnet)
            await self.firewall.ensure_network(network)
            self._ensured[network.id] = copy.deepcopy(network)  # records change in place

    async def remove_network(self, network: NetworkRecord) -> None:
        if network.driver != "bridge":
            return
        async with self._lock:
            self._ensured.pop(network.id, None)
            await self.firewall.remove_network(network)
            await netlink.delete_link(network.bridge)

    async def plug(
        self, network: NetworkRecord, endpoint: EndpointRecord, netns: str, *, gateway: bool
    ) -> None:
        _require_bridge_fields(network)
        veth = netlink.Veth(
            bridge=network.bridge,
            host_ifname=endpoint.host_ifname,
            ifname=endpoint.ifname,
            netns=netns,
            address=endpoint.address,
            prefixlen=network.prefixlen,
            mac=endpoint.mac,
            mtu=network.mtu,
            gateway=network.gateway,
            default_route=gateway,
        )
        try:
            await netlink.plug(veth)
        except netlink.MissingBridge:
            self._ensured.pop(network.id, None)
            await self.ensure_network(network)
            await netlink.plug(veth)

    async def route_default(self, network: NetworkRecord, netns: str) -> None:
        _require_bridge_fields(network)
        await netlink.route_default(netns, network.gateway)

    async def unplug(self, endpoint: EndpointRecord) -> None:
        await netlink.delete_link(endpoint.host_ifname)

    async def publish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        """The endpoint's ports replace whatever it had published; no ports = unpublish."""
        if not endpoint.ports:
            await self.unpublish(network, endpoint)
            return
        if network.internal:
            raise InvalidArgument(
                f"network {network.name} is internal: its containers' ports cannot be published"
            )
        for port in endpoint.ports:
            _check_port(port.host_ip, port.host_port, port.container_port, port.protocol)
        async with self._lock:
            await self.firewall.publish(endpoint)

    async def unpublish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        async with self._lock:
            await self.firewall.unpublish(endpoint)

    async def reconcile(
        self, networks: list[NetworkRecord], endpoints: list[EndpointRecord]
    ) -> list[str]:
        bridges = [n for n in networks if n.driver == "bridge"]
        names = {n.bridge for n in bridges}
        veths = {e.host_ifname for e in endpoints}
        removed = []
        for link in await netlink.host_links():
            orphan = link.kind == "veth" and is_tuibox_veth(link.name) and link.name not in veths
            if orphan and await netlink.delete_link(link.name):
                removed.append(f"veth {link.name}")
        for link in await netlink.host_links():
            orphan = link.kind == "bridge" and is_tuibox_bridge(link.name)
            if orphan and link.name not in names and await netlink.delete_link(link.name):
                removed.append(f"bridge {link.name}")
        async with self._lock:
            self._ensured.clear()  # the sweep may have taken lines the networks need
            removed += await self.firewall.sweep(bridges, endpoints)
        for network in bridges:
            await self.ensure_network(network)
        return removed


def _require_bridge_fields(network: NetworkRecord) -> None:
    for name in ("bridge", "bridge_mac", "subnet", "gateway"):
        if not getattr(network, name):
            raise InvalidArgument(f"network {network.name} has no {name}")


def _check_port(host_ip: str, host_port: int, container_port: int, protocol: str) -> None:
    try:
        ipaddress.IPv4Address(host_ip)
    except ValueError:
        raise InvalidArgument(
            f"host IP {host_ip!r}: only IPv4 addresses can be published through DNAT"
        ) from None
    for what, port in (("host port", host_port), ("container port", container_port)):
        if not 0 < port < 65536:
            raise InvalidArgument(f"invalid {what} {port}: it should be 1-65535")
    if protocol not in ("tcp", "udp"):
        raise InvalidArgument(f"invalid protocol {protocol!r}: it should be tcp or udp")
