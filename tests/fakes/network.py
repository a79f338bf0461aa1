"""FakeNetworkDriver: a NetworkDriver that keeps bridges, veths and port rules in memory.

It records every call in `calls` (method name and the record's ID or name), keeps what
the kernel would hold (`bridges`, `veths`, `published`) so tests can assert nothing is left
behind, and fails on demand: `fail_on["plug"] = 2` makes the second plug from now raise
RuntimeFailure as a kernel refusal would (1 = the next one), and is slow on demand:
`hold("unplug")` makes every unplug from now wait, its call recorded but its work not done,
until `release("unplug")`, as the kernel's veth deletion does for 10-30 ms. Like the real
driver, every method is idempotent: undoing what is gone is success.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.domain.network import EndpointRecord, NetworkRecord


@dataclass
class FakeNetworkDriver:
    """The kernel side of networking, played in memory."""

    host_cidrs: list[str] = field(default_factory=list)
    """What host_networks() reports: the host's on-link routes and nameservers."""
    missing: list[str] = field(default_factory=list)
    """What check_host() reports."""
    bridges: dict[str, NetworkRecord] = field(default_factory=dict)
    """Network ID -> record, for each bridge up."""
    veths: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Host veth name -> (network ID, netns path)."""
    published: dict[str, EndpointRecord] = field(default_factory=dict)
    """Endpoint ID -> endpoint, for each endpoint whose ports have rules."""
    default_routes: dict[str, str] = field(default_factory=dict)
    """Netns path -> the gateway its default route was last set through."""
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_on: dict[str, int] = field(default_factory=dict)
    """Method name -> which call from now fails (1 = the next)."""
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    """Method name -> the gate its calls wait at (see hold)."""

    def hold(self, method: str) -> None:
        """Make the calls of `method` from now on wait until release(method)."""
        self.held.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        """Let the held calls of `method` (and later ones) go on."""
        gate = self.held.pop(method, None)
        if gate is not None:
            gate.set()

    async def _held(self, method: str) -> None:
        gate = self.held.get(method)
        if gate is not None:
            await gate.wait()

    def _call(self, method: str, subject: str) -> None:
        self.calls.append((method, subject))
        countdown = self.fail_on.get(method)
        if countdown is None:
            return
        if countdown <= 1:
            del self.fail_on[method]
            raise RuntimeFailure(f"fake {method} failed for {subject}: operation not permitted")
        self.fail_on[method] = countdown - 1

    def called(self, method: str) -> list[str]:
        """The subjects of every call of `method` so far, in order."""
        return [subject for name, subject in self.calls if name == method]

    async def check_host(self) -> list[str]:
        self._call("check_host", "")
        return list(self.missing)

    async def host_networks(self) -> list[str]:
        self._call("host_networks", "")
        return list(self.host_cidrs)

    async def ensure_network(self, network: NetworkRecord) -> None:
        self._call("ensure_network", network.name)
        self.bridges[network.id] = network

    async def remove_network(self, network: NetworkRecord) -> None:
        self._call("remove_network", network.name)
        await self._held("remove_network")
        self.bridges.pop(network.id, None)

    async def plug(
        self, network: NetworkRecord, endpoint: EndpointRecord, netns: str, *, gateway: bool
    ) -> None:
        self._call("plug", endpoint.host_ifname)
        if network.id not in self.bridges:
            raise RuntimeFailure(f"fake plug: bridge {network.bridge} does not exist")
        self.veths[endpoint.host_ifname] = (network.id, netns)
        if gateway:
            self.default_routes[netns] = network.gateway

    async def route_default(self, network: NetworkRecord, netns: str) -> None:
        self._call("route_default", network.name)
        self.default_routes[netns] = network.gateway

    async def unplug(self, endpoint: EndpointRecord) -> None:
        self._call("unplug", endpoint.host_ifname)
        await self._held("unplug")
        self.veths.pop(endpoint.host_ifname, None)

    async def publish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        self._call("publish", endpoint.host_ifname)
        self.published[endpoint.id] = endpoint

    async def unpublish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        self._call("unpublish", endpoint.host_ifname)
        await self._held("unpublish")
        self.published.pop(endpoint.id, None)

    async def reconcile(
        self, networks: list[NetworkRecord], endpoints: list[EndpointRecord]
    ) -> list[str]:
        self._call("reconcile", f"{len(networks)} networks, {len(endpoints)} endpoints")
        known_veths = {e.host_ifname for e in endpoints}
        removed = [name for name in self.veths if name not in known_veths]
        for name in removed:
            del self.veths[name]
        known = {n.id for n in networks}
        for network_id in [i for i in self.bridges if i not in known]:
            removed.append(self.bridges.pop(network_id).bridge)
        for network in networks:
            if network.driver == "bridge":
                self.bridges[network.id] = network
        live = {e.id for e in endpoints}
        for endpoint_id in [i for i in self.published if i not in live]:
            del self.published[endpoint_id]
        return removed
