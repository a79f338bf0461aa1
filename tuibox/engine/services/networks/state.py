"""NetworkState: the records, address books, locks and events the network verbs share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network

from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.network import EndpointRecord, NetworkRecord
from tuibox.engine.events import Event, EventBus
from tuibox.engine.network.ipam import DOCKER_POOLS, AddressPool, SubnetAddresses, address_pools
from tuibox.engine.network.protocol import NetworkDriver
from tuibox.engine.store.networks import NetworkStore

log = logging.getLogger(__name__)

NameLookup = Callable[[str], str]
"""A container's name (without the leading /) by its ID; "" when unknown."""


@dataclass(frozen=True)
class IpamSettings:
    """Where automatic subnets come from, and the default bridge's address if set by hand."""

    pools: tuple[AddressPool, ...] = DOCKER_POOLS
    bip: str = ""
    """`192.168.1.1/24`: the default bridge's gateway and subnet (daemon.json's bip)."""

    @classmethod
    def from_config(cls, config: EngineConfig) -> IpamSettings:
        """default-address-pools replaces Docker's pools when given, as in dockerd."""
        pools = address_pools(config.default_address_pools) or DOCKER_POOLS
        return cls(pools, config.bip)


class NetworkState:
    """What one engine knows of its networks: records in memory, mirrored in the store."""

    def __init__(
        self, store: NetworkStore, driver: NetworkDriver, events: EventBus, settings: IpamSettings
    ) -> None:
        self.store = store
        self.driver = driver
        self.events = events
        self.settings = settings
        self.networks: dict[str, NetworkRecord] = {n.id: n for n in store.load_networks()}
        self.endpoints: dict[str, EndpointRecord] = {}
        """By endpoint ID; changed only through add_endpoint and drop_endpoint."""
        self._by_container: dict[str, dict[str, EndpointRecord]] = {}
        """The same endpoints by container: `docker ps` asks for each container's."""
        self.addresses: dict[str, SubnetAddresses] = {}
        self.names: NameLookup = lambda _container_id: ""
        self._locks: dict[str, asyncio.Lock] = {}
        self.verbs = asyncio.Lock()
        """Held by create, remove and prune: one name, one subnet, one removal at a time."""
        for network in self.networks.values():
            self.open_addresses(network)
        for endpoint in store.load_endpoints():
            self.adopt(endpoint)

    def adopt(self, endpoint: EndpointRecord) -> None:
        """Take a stored endpoint back: its address is in use again. One whose network is
        gone (a crash between the two deletions) is dropped."""
        addresses = self.addresses.get(endpoint.network_id)
        if endpoint.network_id not in self.networks:
            log.warning("dropping endpoint %s of unknown network %s",
                        endpoint.id, endpoint.network_id)  # fmt: skip
            self.store.delete_endpoint(endpoint.id)
            return
        if addresses is not None and endpoint.address:
            addresses.reserve(endpoint.address)
        self.add_endpoint(endpoint)

    def add_endpoint(self, endpoint: EndpointRecord) -> None:
        self.endpoints[endpoint.id] = endpoint
        self._by_container.setdefault(endpoint.container_id, {})[endpoint.id] = endpoint

    def drop_endpoint(self, endpoint_id: str) -> None:
        endpoint = self.endpoints.pop(endpoint_id, None)
        if endpoint is None:
            return
        mine = self._by_container.get(endpoint.container_id, {})
        mine.pop(endpoint_id, None)
        if not mine:
            self._by_container.pop(endpoint.container_id, None)

    def open_addresses(self, network: NetworkRecord) -> None:
        if network.subnet:
            self.addresses[network.id] = SubnetAddresses.of(network)

    def lock(self, network_id: str) -> asyncio.Lock:
        """Serialises joining a network with removing it."""
        return self._locks.setdefault(network_id, asyncio.Lock())

    def lookup(self, ref: str) -> NetworkRecord:
        """By full ID, then full name, then unique ID prefix (dockerd's FindNetwork).

        Raises:
            NotFound: nothing matches ("network X not found").
            InvalidArgument: more than one network has that name or ID prefix.
        """
        if ref in self.networks:
            return self.networks[ref]
        by_name = [n for n in self.networks.values() if n.name == ref]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise InvalidArgument(
                f"network {ref} is ambiguous ({len(by_name)} matches found on name)"
            )
        by_prefix = [n for i, n in self.networks.items() if ref and i.startswith(ref)]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_prefix) > 1:
            raise InvalidArgument(
                f"network {ref} is ambiguous ({len(by_prefix)} matches found based on ID prefix)"
            )
        raise NotFound(f"network {ref} not found")

    def get(self, network_id: str) -> NetworkRecord:
        """By full ID only. Raises NotFound."""
        network = self.networks.get(network_id)
        if network is None:
            raise NotFound(f"network {network_id} not found")
        return network

    def by_name(self, name: str) -> NetworkRecord | None:
        return next((n for n in self.networks.values() if n.name == name), None)

    def endpoints_on(self, network_id: str) -> list[EndpointRecord]:
        return [e for e in self.endpoints.values() if e.network_id == network_id]

    def endpoints_of(self, container_id: str) -> list[EndpointRecord]:
        """In the order they were made (eth0 first)."""
        mine = self._by_container.get(container_id)
        if not mine:
            return []
        return sorted(mine.values(), key=lambda e: (len(e.ifname), e.ifname))

    def subnets(self, *, besides: str = "") -> list[IPv4Network]:
        """The subnets of every network (but `besides`)."""
        return [
            IPv4Network(n.subnet) for n in self.networks.values() if n.subnet and n.id != besides
        ]

    def publish(self, action: str, network: NetworkRecord, container_id: str = "") -> None:
        """A network event as dockerd sends it: name and type, the container on (dis)connect."""
        attributes = {"name": network.name, "type": network.driver}
        if container_id:
            attributes["container"] = container_id
        self.events.publish(Event("network", action, network.id, attributes))
