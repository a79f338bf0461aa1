"""NetworkingUnavailable: the stand-in NetworkDriver until the kernel driver is wired in."""

from __future__ import annotations

from tuibox.engine.domain.errors import HostNotReady
from tuibox.engine.domain.network import EndpointRecord, NetworkRecord

NOT_AVAILABLE = "networking is not available yet"


class NetworkingUnavailable:
    """Refuses every kernel call with one clear message; reports no host networks, so the
    records (and the predefined networks) can still be made and listed."""

    async def check_host(self) -> list[str]:
        return [NOT_AVAILABLE]

    async def host_networks(self) -> list[str]:
        return []

    async def ensure_network(self, network: NetworkRecord) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def remove_network(self, network: NetworkRecord) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def plug(
        self, network: NetworkRecord, endpoint: EndpointRecord, netns: str, *, gateway: bool
    ) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def route_default(self, network: NetworkRecord, netns: str) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def unplug(self, endpoint: EndpointRecord) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def publish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def unpublish(self, network: NetworkRecord, endpoint: EndpointRecord) -> None:
        raise HostNotReady(NOT_AVAILABLE)

    async def reconcile(
        self, networks: list[NetworkRecord], endpoints: list[EndpointRecord]
    ) -> list[str]:
        raise HostNotReady(NOT_AVAILABLE)
