"""Provides NetworkConnections: `docker network connect` and `disconnect`, under the
container's lock.

A running container is plugged into (or unplugged from) the network at once by
ContainerNetworking; a stopped one only has its recorded networks changed, which its next
start joins. Either way the record is saved.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound
from tuibox.engine.domain.network import Attachment, NetworkRecord
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.networking import ContainerNetworking
from tuibox.engine.services.containers.rules.connect_body import (
    ConnectRequest,
    read_connect_body,
    read_disconnect_body,
)

SHARED_NAMESPACE = (
    "container sharing network namespace with another container or host cannot be "
    "connected to any other network"
)
HOST_NETWORK = "container cannot be disconnected from host network or connected to host network"
NONE_NETWORK = (
    "container cannot be connected to multiple networks with one of the networks in private "
    "(none) mode"
)
ADDRESS_NEEDS_USER_NETWORK = "user specified IP address is supported on user defined networks only"
ADDRESS_NEEDS_SUBNET = (
    "user specified IP address is supported only when connecting to networks with user "
    "configured subnets"
)
ALIAS_NEEDS_USER_NETWORK = (
    "network-scoped alias is supported only for containers in user defined networks"
)


class NetworkConnections:
    """The two verbs; the network side is reached only through ContainerNetworking."""

    def __init__(self, context: ContainerContext, networking: ContainerNetworking) -> None:
        self.context = context
        self.networking = networking

    async def connect(self, network_ref: str, body: Any) -> None:
        """POST /networks/{id}/connect.

        Raises:
            InvalidArgument: a bad body; Docker's refusals (a shared or host namespace, the
                host or none network, --ip or --alias where they cannot be, an address
                outside the subnet).
            NotFound: no such container or network.
            Conflict: already attached; being removed; an address taken (Forbidden).
            RuntimeFailure: the kernel refused (nothing is kept).
        """
        request = read_connect_body(body)
        record = self.context.lookup(request.container)
        await self.networking.networks.open()
        network = self.networking.networks.lookup(network_ref)
        await self.context.owned(self._connect(record, request, network))

    async def _connect(
        self, record: ContainerRecord, request: ConnectRequest, network: NetworkRecord
    ) -> None:
        context = self.context
        async with context.lock(record.id):
            context.ensure_present(record, request.container)
            self._refuse_removal(record)
            _check_connect(record, network, request)
            attachment = Attachment(network.name, request.aliases, request.address)
            if record.state.running:
                await self.networking.connect_run(record, attachment, context.paths(record.id))
            record.networks.append(attachment)
            context.save(record)

    async def disconnect(self, network_ref: str, body: Any) -> None:
        """POST /networks/{id}/disconnect; `Force` also drops a network that no longer
        exists from the container's record.

        Raises:
            InvalidArgument: a bad body; the host network of a host-mode container.
            NotFound: no such container or network.
            Conflict: not connected to it; being removed.
        """
        request = read_disconnect_body(body)
        record = self.context.lookup(request.container)
        await self.networking.networks.open()
        try:
            network: NetworkRecord | None = self.networking.networks.lookup(network_ref)
        except NotFound:
            if not request.force:
                raise
            network = None
        await self.context.owned(self._disconnect(record, request.container, network,
                                                  network_ref))  # fmt: skip

    async def _disconnect(
        self, record: ContainerRecord, given: str, network: NetworkRecord | None, ref: str
    ) -> None:
        context = self.context
        async with context.lock(record.id):
            context.ensure_present(record, given)
            self._refuse_removal(record)
            mode = record.host_config.get("NetworkMode") or "bridge"
            if network is not None and (mode == "host" or network.driver == "host"):
                raise InvalidArgument(HOST_NETWORK)
            name = network.name if network is not None else ref
            attachment = next((a for a in record.networks if a.network == name), None)
            running = record.state.running
            if attachment is None:
                the = "" if running else "the "
                raise Conflict(f"container {record.id} is not connected to {the}network {name}")
            if running and network is not None:
                await self.networking.disconnect_run(record, network, context.paths(record.id))
            elif network is not None:
                self.networking.publish("disconnect", network, record.id)
            record.networks.remove(attachment)
            context.save(record)

    def _refuse_removal(self, record: ContainerRecord) -> None:
        if record.id in self.context.marked_for_removal:
            raise Conflict(f"Container {record.id} is marked for removal and cannot be "
                           "connected or disconnected to the network")  # fmt: skip


def _check_connect(
    record: ContainerRecord, network: NetworkRecord, request: ConnectRequest
) -> None:
    """Docker's refusals, in dockerd's order (connectToNetwork, updateNetworkConfig,
    validateEndpointSettings, updateNetworkSettings)."""
    mode = record.host_config.get("NetworkMode") or "bridge"
    attached = [a.network for a in record.networks] or ([mode] if mode in ("host", "none") else [])
    if network.name in attached:
        raise Conflict(f"{record.name} is already attached to network {network.name}")
    if mode.startswith("container:") or mode == "host":
        raise InvalidArgument(SHARED_NAMESPACE)
    if network.predefined:
        if request.address:
            raise InvalidArgument(ADDRESS_NEEDS_USER_NETWORK)
        if request.aliases:
            raise InvalidArgument(ALIAS_NEEDS_USER_NETWORK)
    elif request.address:
        if not network.user_subnet:
            raise InvalidArgument(ADDRESS_NEEDS_SUBNET)
        if ipaddress.IPv4Address(request.address) not in ipaddress.IPv4Network(network.subnet):
            raise InvalidArgument(
                f"no configured subnet or ip-range contain the IP address {request.address}"
            )
    if network.driver == "host":
        raise InvalidArgument(HOST_NETWORK)
    if mode == "none" or network.driver == "null":
        raise InvalidArgument(NONE_NETWORK)
