"""Provides ContainerNetworking: the network side of each container run.

At create it resolves the container's NetworkPlan (networks named must exist; a
`container:<x>` target must exist). Between `crun create` and `crun start` it reserves the
published host ports, has the network service join the run's namespace to its networks,
and writes the container's addresses into its /etc/hosts. When the run ends, all of that is
given back, whatever part of it was done.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import Conflict, EngineError, InvalidArgument, NotFound
from tuibox.engine.domain.network import Attachment, EndpointRecord, NetworkRecord
from tuibox.engine.services.containers.network_views import (
    network_settings,
    networks_view,
    summary_ports,
)
from tuibox.engine.services.containers.ports import PortReservations
from tuibox.engine.services.containers.rules.networking import NetworkPlan
from tuibox.engine.services.containers.rules.ports import PortRequest, port_requests

log = logging.getLogger(__name__)


class NetworkSide(Protocol):
    """What the container side needs of the network service."""

    async def open(self) -> None: ...

    def lookup(self, ref: str) -> NetworkRecord: ...

    def get(self, network_id: str) -> NetworkRecord: ...

    def endpoints_of(self, container_id: str) -> list[EndpointRecord]: ...

    async def start_run(
        self, container_id: str, attachments: list[Attachment], netns: str
    ) -> list[EndpointRecord]: ...

    async def end_run(self, container_id: str) -> None: ...

    async def recover(self, alive: set[str]) -> None: ...


def plan_of(record: ContainerRecord) -> NetworkPlan:
    """The record's plan, as its HostConfig.NetworkMode and networks say."""
    mode = record.host_config.get("NetworkMode") or "bridge"
    if mode.startswith("container:"):
        return NetworkPlan("container", container=mode.partition(":")[2])
    if mode in ("none", "host"):
        return NetworkPlan("none" if mode == "none" else "host")
    return NetworkPlan("bridge" if mode == "bridge" else "network", tuple(record.networks))


class ContainerNetworking:
    """Ports, endpoints and /etc/hosts lines of each run (see the module docstring)."""

    def __init__(self, networks: NetworkSide, ports: PortReservations) -> None:
        self.networks = networks
        self.ports = ports

    async def resolve(self, plan: NetworkPlan) -> tuple[Attachment, ...]:
        """The plan's attachments with each network's canonical name.

        Raises:
            NotFound: "network X not found".
            InvalidArgument: a fixed address on a network whose subnet was not given.
        """
        await self.networks.open()  # the predefined networks exist from the first request on
        resolved: list[Attachment] = []
        seen: set[str] = set()
        for attachment in plan.attachments:
            network = self.networks.lookup(attachment.network)
            if network.driver != "bridge":
                raise InvalidArgument(
                    f"container cannot be connected to network {network.name} of driver "
                    f"{network.driver} together with others"
                )
            if network.id in seen:
                continue
            seen.add(network.id)
            if attachment.requested_address and not network.user_subnet:
                raise InvalidArgument(
                    "user specified IP address is supported only when connecting to networks "
                    "with user configured subnets"
                )
            resolved.append(dataclasses.replace(attachment, network=network.name))
        return tuple(resolved)

    async def start_run(self, record: ContainerRecord, pid: int, hosts_file: Path) -> None:
        """Join the created run (init `pid`) to its networks; nothing is kept on failure.

        Raises:
            Conflict: a published port is taken, in Docker's words.
            RuntimeFailure: the kernel refused a step.
        """
        if not record.networks:
            return
        exposed = record.config.get("ExposedPorts") or {}
        requests = port_requests(record.host_config, exposed)
        try:
            bindings = self.ports.reserve(record.id, requests)
        except Conflict as err:
            raise Conflict(_external_connectivity(record, str(err))) from err
        attachments = list(record.networks)
        attachments[0] = dataclasses.replace(attachments[0], ports=bindings)
        try:
            endpoints = await self.networks.start_run(record.id, attachments,
                                                      f"/proc/{pid}/ns/net")  # fmt: skip
            _add_host_lines(hosts_file, record, endpoints)
        except BaseException:
            self.ports.release(record.id)
            await self._end_quietly(record)
            raise

    async def end_run(self, record: ContainerRecord) -> None:
        """Give back the run's ports and endpoints; idempotent, never raises."""
        self.ports.release(record.id)
        await self._end_quietly(record)

    async def _end_quietly(self, record: ContainerRecord) -> None:
        try:
            await self.networks.end_run(record.id)
        except EngineError as err:
            log.warning("tearing down the network of %s: %s", record.short_id, err)

    def lookup_network(self, name: str) -> NetworkRecord | None:
        try:
            return self.networks.lookup(name)
        except NotFound:
            return None

    def _joined(self, record: ContainerRecord) -> dict[str, NetworkRecord]:
        names = [a.network for a in record.networks] or [
            record.host_config.get("NetworkMode") or "bridge"]  # fmt: skip
        found = {name: self.lookup_network(name) for name in names}
        return {name: network for name, network in found.items() if network is not None}

    def settings_view(self, record: ContainerRecord, sandbox_key: str = "") -> dict[str, Any]:
        """inspect's NetworkSettings."""
        endpoints = self.networks.endpoints_of(record.id) if record.state.running else []
        return network_settings(record, endpoints, self._joined(record), sandbox_key)

    def summary_view(self, record: ContainerRecord) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """`Ports` and `NetworkSettings.Networks` of a `docker ps` entry."""
        endpoints = self.networks.endpoints_of(record.id) if record.state.running else []
        exposed = record.config.get("ExposedPorts") or {}
        return (summary_ports(exposed, endpoints),
                networks_view(record, endpoints, self._joined(record)))  # fmt: skip

    def version(self, record: ContainerRecord) -> tuple[str, ...]:
        """Changes whenever what summary_view shows changes (endpoints come and go)."""
        return tuple(e.id for e in self.networks.endpoints_of(record.id))

    async def recover(self, records: list[ContainerRecord]) -> None:
        """At engine start: endpoints of containers no longer running are taken down, the
        kernel is made to match the records, and the running ones hold their ports again."""
        alive = {r.id for r in records if r.state.running}
        await self.networks.recover(alive)
        for record in records:
            if record.id not in alive:
                continue
            held = [PortRequest(p.container_port, p.protocol, p.host_ip, p.host_port, p.host_port)
                    for e in self.networks.endpoints_of(record.id) for p in e.ports]  # fmt: skip
            try:
                self.ports.reserve(record.id, tuple(held))
            except Conflict as err:
                log.warning("container %s: its published port is taken: %s", record.short_id, err)


def _external_connectivity(record: ContainerRecord, reason: str) -> str:
    return (f"failed to set up container networking: driver failed programming external "
            f"connectivity on endpoint {record.name} ({record.id}): {reason}")  # fmt: skip


def _add_host_lines(
    hosts_file: Path, record: ContainerRecord, endpoints: list[EndpointRecord]
) -> None:
    """Append `<address>\\t<hostname>` per endpoint, in place: the container sees the file
    through a bind mount of this inode, which a rename would leave behind."""
    hostname = record.config.get("Hostname") or record.short_id
    domain = record.config.get("Domainname") or ""
    names = f"{hostname}.{domain} {hostname}" if domain else hostname
    lines = "".join(f"{e.address}\t{names}\n" for e in endpoints)
    if not lines:
        return
    fd = os.open(hosts_file, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        os.write(fd, lines.encode())
    finally:
        os.close(fd)
