"""Provides NetworkDriver: what the network services need from the kernel side (netlink and
the firewall); the services decide, a driver only does.

BridgeDriver (pyroute2 + iptables) is the real one; the service tests hand in a fake. Every
method is idempotent: doing what is already done, or undoing what is already gone, is
success, so a half-done setup can be rolled back and a crash reconciled by running them
again. Failures raise RuntimeFailure with the kernel's or iptables' words.
"""

from __future__ import annotations

from typing import Protocol

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord


class NetworkDriver(Protocol):
    async def check_host(self) -> list[str]:
        """What the host lacks for networking, one line each with its fix (the iptables
        package, IP forwarding that cannot be set...); empty when all is there."""
        ...

    async def host_networks(self) -> list[str]:
        """CIDRs the host already uses (on-link routes, its nameservers' addresses), which
        an automatic subnet must not overlap."""
        ...

    async def ensure_network(self, network: NetworkRecord) -> None:
        """The network's bridge up with its gateway address, MTU and pinned MAC, and its
        firewall rules (outbound NAT and forwarding unless internal; isolation from the
        other bridges). IP forwarding on. Host and null networks need nothing: a no-op.
        Cheap when all is in place already (the service may call it before each plug)."""
        ...

    async def remove_network(self, network: NetworkRecord) -> None:
        """The bridge and every rule of the network gone."""
        ...

    async def plug(
        self, network: NetworkRecord, endpoint: EndpointRecord, netns: str, *, gateway: bool
    ) -> None:
        """A veth pair: the host end on the bridge (hairpin on), the other end moved into
        the namespace at path `netns` (`/proc/<pid>/ns/net`) as `endpoint.ifname` with its
        MAC, address, MTU and, when `gateway`, the default route via the network's gateway
        (replacing one already there); loopback up there too."""
        ...

    async def route_default(self, network: NetworkRecord, netns: str) -> None:
        """The default route of the namespace at `netns` through `network`'s gateway
        (replacing the one there): the gateway moved after its endpoint left."""
        ...

    async def unplug(self, endpoint: EndpointRecord) -> None:
        """The endpoint's veth gone (deleting the host end removes both)."""
        ...

    async def publish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        """DNAT rules for the endpoint's ports (from outside, and from the host through
        nat OUTPUT, 127.0.0.1 included), and the forward accepts for them. The endpoint's
        ports replace what it had published; no ports is unpublish. Ports on an internal
        network and non-IPv4 host IPs are refused (InvalidArgument): the service decides
        what Docker shows for those."""
        ...

    async def unpublish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        """The endpoint's port rules gone."""
        ...

    async def reconcile(
        self, networks: list[NetworkRecord], endpoints: list[EndpointRecord]
    ) -> list[str]:
        """At engine start: make the kernel match the records. Bridges, host veths and
        rules of tuibox's naming that no record names are removed; every recorded network
        is ensured. A recorded endpoint's published rules are kept as they are (neither
        rewritten nor removed): unpublish those of dead containers. Returns what was
        removed, for the log."""
        ...
