"""Provides ContainerNetworking: the network side of each container run.

At create it resolves the container's NetworkPlan (networks named must exist; a
`container:<x>` target must exist). Between `crun create` and `crun start` it reserves the
published host ports, has the network service join the run's namespace to its networks,
writes the container's addresses into its /etc/hosts and, when a network is a user one,
serves the embedded DNS (127.0.0.11) there and points /etc/resolv.conf at it. When the run
ends, all of that is given back, whatever part of it was done (after an exit, the veth
deletion and what follows it finish in the background). `network connect` and
`disconnect` of a running container plug or unplug one endpoint the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import Conflict, EngineError, InvalidArgument, NotFound
from tuibox.engine.domain.network import Attachment, EndpointRecord, NetworkRecord
from tuibox.engine.network.dns import DnsEndpoint, Upstream
from tuibox.engine.network.dns_names import endpoint_dns_names
from tuibox.engine.network.resolv_conf import (
    HOST_RESOLV_PATH,
    UserNetworkResolv,
    resolv_conf_for_user_network,
)
from tuibox.engine.services.containers.context import ContainerPaths
from tuibox.engine.services.containers.network_views import (
    network_settings,
    networks_view,
    summary_ports,
)
from tuibox.engine.services.containers.ports import PortReservations
from tuibox.engine.services.containers.rules.etc_files import etc_settings
from tuibox.engine.services.containers.rules.networking import NetworkPlan
from tuibox.engine.services.containers.rules.ports import PortRequest, port_requests

log = logging.getLogger(__name__)


class EndpointLeaver(Protocol):
    async def leave(self, endpoint: EndpointRecord) -> None: ...

    def gateway_of(self, container_id: str) -> EndpointRecord | None: ...

    async def move_gateway(self, container_id: str, netns: str) -> None: ...


class NetworkEvents(Protocol):
    def publish(self, action: str, network: NetworkRecord, container_id: str = "") -> None: ...


class NameServer(Protocol):
    """What the container side needs of the embedded DNS server (EmbeddedDns)."""

    def serving(self, container_id: str) -> bool: ...

    async def add_container(
        self, container_id: str, netns_path: str, networks: Sequence[DnsEndpoint],
        upstreams: Sequence[Upstream], *, ndots_set: bool = False,
    ) -> None: ...  # fmt: skip

    def connect(self, container_id: str, endpoint: DnsEndpoint) -> None: ...

    def disconnect(self, container_id: str, network: str) -> None: ...

    async def remove_container(self, container_id: str) -> None: ...


class NetworkSide(Protocol):
    """What the container side needs of the network service."""

    @property
    def runs(self) -> EndpointLeaver:
        """Takes one endpoint away (network disconnect of a running container) and moves
        the default route when its endpoint left."""
        ...

    @property
    def state(self) -> NetworkEvents:
        """Publishes network events (disconnect of a stopped container)."""
        ...

    async def open(self) -> None: ...

    def lookup(self, ref: str) -> NetworkRecord: ...

    def get(self, network_id: str) -> NetworkRecord: ...

    def endpoints_of(self, container_id: str) -> list[EndpointRecord]: ...

    async def start_run(
        self, container_id: str, attachments: list[Attachment], netns: str
    ) -> list[EndpointRecord]: ...

    async def end_run(self, container_id: str) -> None: ...

    async def end_run_after_exit(self, container_id: str) -> None: ...

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
    """Ports, endpoints, /etc/hosts lines and names of each run (see the module docstring)."""

    def __init__(
        self,
        networks: NetworkSide,
        ports: PortReservations,
        dns: NameServer | None = None,
        host_resolv: Path = Path(HOST_RESOLV_PATH),
    ) -> None:
        self.networks = networks
        self.ports = ports
        self.dns = dns
        """Without one (tests on fakes), user networks have no name resolution."""
        self.host_resolv = host_resolv

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

    async def start_run(self, record: ContainerRecord, pid: int, paths: ContainerPaths) -> None:
        """Join the created run (init `pid`) to its networks; nothing is kept on failure.

        On a user network the embedded DNS serves the run and its /etc/resolv.conf is
        rewritten to point at it, as dockerd's; the default bridge has no names.

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
        netns = f"/proc/{pid}/ns/net"
        try:
            endpoints = await self.networks.start_run(record.id, attachments, netns)
            _add_host_lines(paths.hosts_file, record, endpoints)
            await self._serve_names(record, netns, endpoints, paths.resolv_file)
        except BaseException:
            self.ports.release(record.id)
            await self._end_quietly(record)
            raise

    async def end_run(self, record: ContainerRecord) -> None:
        """Give back the run's names, ports and endpoints; idempotent, never raises."""
        self.ports.release(record.id)
        await self._end_quietly(record)

    async def end_run_after_exit(self, record: ContainerRecord) -> None:
        """end_run for a run that exited (the die path): the names and the port rules go
        now, then the host ports are free; the veth, then the address and endpoint record,
        go in the network service's background (a start, connect, disconnect or network
        removal waits for them). Never raises."""
        await self._stop_names(record)
        try:
            await self.networks.end_run_after_exit(record.id)
        except EngineError as err:
            log.warning("tearing down the network of %s: %s", record.short_id, err)
        self.ports.release(record.id)  # its DNAT rules are gone: the host ports are free

    async def _stop_names(self, record: ContainerRecord) -> None:
        if self.dns is not None:
            try:
                await self.dns.remove_container(record.id)  # its sockets pin the namespace
            except EngineError as err:
                log.warning("stopping the DNS of %s: %s", record.short_id, err)

    async def _end_quietly(self, record: ContainerRecord) -> None:
        await self._stop_names(record)
        try:
            await self.networks.end_run(record.id)
        except EngineError as err:
            log.warning("tearing down the network of %s: %s", record.short_id, err)

    # --- names --------------------------------------------------------------------

    def _dns_endpoints(
        self, record: ContainerRecord, endpoints: list[EndpointRecord]
    ) -> list[DnsEndpoint]:
        """The endpoints on user networks, with Docker's names for each."""
        hostname = record.config.get("Hostname") or ""
        named: list[DnsEndpoint] = []
        for endpoint in endpoints:
            network = self._network_of(endpoint)
            if network is None or network.predefined or not endpoint.address:
                continue
            names = endpoint_dns_names(record.name, endpoint.aliases, record.id, hostname)
            named.append(DnsEndpoint(network.name, endpoint.address, names, network.internal))
        return named

    def _network_of(self, endpoint: EndpointRecord) -> NetworkRecord | None:
        try:
            return self.networks.get(endpoint.network_id)
        except NotFound:
            return None

    def user_resolv(self, record: ContainerRecord) -> UserNetworkResolv:
        """The /etc/resolv.conf of a run served by the embedded DNS, and its upstreams:
        the host file's servers, or --dns's."""
        settings = etc_settings(record.host_config)
        try:
            host_text = self.host_resolv.read_text(errors="replace")
        except OSError:
            host_text = ""
        return resolv_conf_for_user_network(
            host_text, settings.dns, settings.dns_search, settings.dns_options
        )

    async def _serve_names(
        self, record: ContainerRecord, netns: str, endpoints: list[EndpointRecord],
        resolv_file: Path | None,
    ) -> None:  # fmt: skip
        """Serve 127.0.0.11 in the run's namespace when an endpoint is on a user network,
        then (unless None: an engine restart finds the file written) rewrite resolv.conf."""
        named = self._dns_endpoints(record, endpoints)
        if self.dns is None or not named:
            return
        resolv = self.user_resolv(record)
        upstreams = [Upstream(s.address, host_side=s.host_side) for s in resolv.ext_servers]
        await self.dns.add_container(record.id, netns, named, upstreams,
                                     ndots_set=resolv.ndots_set)  # fmt: skip
        if resolv_file is not None:
            await asyncio.to_thread(_rewrite_in_place, resolv_file, resolv.content)

    # --- network connect / disconnect ----------------------------------------------

    async def connect_run(
        self, record: ContainerRecord, attachment: Attachment, paths: ContainerPaths
    ) -> EndpointRecord:
        """Plug the running container into one more network now: the next ethN, an
        /etc/hosts line, its names in the embedded DNS (served from now on if this is
        its first user network). Nothing is kept on failure.

        Raises:
            as NetworkService.start_run; RuntimeFailure: the DNS could not be served.
        """
        netns = f"/proc/{record.state.pid}/ns/net"
        (endpoint,) = await self.networks.start_run(record.id, [attachment], netns)
        try:
            _add_host_lines(paths.hosts_file, record, [endpoint])
            named = self._dns_endpoints(record, [endpoint])
            if named and self.dns is not None:
                if self.dns.serving(record.id):
                    self.dns.connect(record.id, named[0])
                else:
                    await self._serve_names(record, netns, self.networks.endpoints_of(record.id),
                                            paths.resolv_file)  # fmt: skip
        except BaseException:
            await self.networks.runs.leave(endpoint)
            await asyncio.to_thread(_remove_host_lines, paths.hosts_file, endpoint.address)
            raise
        return endpoint

    async def disconnect_run(
        self, record: ContainerRecord, network: NetworkRecord, paths: ContainerPaths
    ) -> bool:
        """Unplug the running container from one network now (its names there and its
        /etc/hosts line go too); False when it has no endpoint there. Never raises for
        the kernel's refusals (logged; the next start's reconcile removes leftovers)."""
        endpoint = next((e for e in self.networks.endpoints_of(record.id)
                         if e.network_id == network.id), None)  # fmt: skip
        if endpoint is None:
            return False
        if self.dns is not None and self.dns.serving(record.id):
            self.dns.disconnect(record.id, network.name)
        was_gateway = self.networks.runs.gateway_of(record.id) == endpoint
        await self.networks.runs.leave(endpoint)
        if was_gateway:  # Docker moves the default route to the next network with a gateway
            await self.networks.runs.move_gateway(record.id, f"/proc/{record.state.pid}/ns/net")
        try:
            await asyncio.to_thread(_remove_host_lines, paths.hosts_file, endpoint.address)
        except OSError as err:
            log.warning("container %s: /etc/hosts kept %s: %s", record.short_id,
                        endpoint.address, err)  # fmt: skip
        return True

    def publish(self, action: str, network: NetworkRecord, container_id: str) -> None:
        """A network event (disconnect of a stopped container, which no endpoint tells)."""
        self.networks.state.publish(action, network, container_id)

    # --- views --------------------------------------------------------------------

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
        kernel is made to match the records, the running ones hold their ports again and
        those on user networks are served names again (new sockets, NAT refilled; their
        resolv.conf, written at start, is left as it is)."""
        alive = {r.id for r in records if r.state.running}
        await self.networks.recover(alive)
        for record in records:
            if record.id not in alive:
                continue
            endpoints = self.networks.endpoints_of(record.id)
            held = [PortRequest(p.container_port, p.protocol, p.host_ip, p.host_port, p.host_port)
                    for e in endpoints for p in e.ports]  # fmt: skip
            try:
                self.ports.reserve(record.id, tuple(held))
            except Conflict as err:
                log.warning("container %s: its published port is taken: %s", record.short_id, err)
            if not record.state.pid:
                continue
            try:  # a namespace gone meanwhile is NotFound, logged
                await self._serve_names(record, f"/proc/{record.state.pid}/ns/net", endpoints,
                                        None)  # fmt: skip
            except EngineError as err:
                log.warning("container %s: names not served again: %s", record.short_id, err)


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
    lines = "".join(f"{e.address}\t{names}\n" for e in endpoints if e.address)
    if not lines:
        return
    fd = os.open(hosts_file, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        os.write(fd, lines.encode())
    finally:
        os.close(fd)


def _remove_host_lines(hosts_file: Path, address: str) -> None:
    """Drop the lines of `address` (a disconnected endpoint's), in place as _add_host_lines."""
    if not address:
        return
    text = hosts_file.read_text(errors="replace")
    kept = [line for line in text.splitlines(keepends=True)
            if (line.split() or [""])[0] != address]  # fmt: skip
    if len(kept) != len(text.splitlines()):
        _rewrite_in_place(hosts_file, "".join(kept))


def _rewrite_in_place(path: Path, content: str) -> None:
    """Replace the file's content keeping its inode (the container's bind mount)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    try:
        data = content.encode()
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
