"""Provides NetworkService: Docker's /networks verbs and the networking of container runs."""

from __future__ import annotations

import asyncio
import logging
import secrets
from ipaddress import IPv4Interface, IPv4Network
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import Conflict, EngineError, Forbidden, NotFound
from tuibox.engine.domain.network import (
    DEFAULT_BRIDGE_IFNAME,
    DEFAULT_BRIDGE_NAME,
    DEFAULT_MTU,
    USER_BRIDGE_PREFIX,
    Attachment,
    EndpointRecord,
    NetworkRecord,
)
from tuibox.engine.events import EventBus
from tuibox.engine.network.ipam import check_no_overlap, choose_subnet, host_networks, lowest_host
from tuibox.engine.network.protocol import NetworkDriver
from tuibox.engine.services.networks.create_body import NetworkRequest, read_create_body
from tuibox.engine.services.networks.filters import list_filters, prune_filters
from tuibox.engine.services.networks.runs import NetworkRuns, bridge_mac
from tuibox.engine.services.networks.state import IpamSettings, NameLookup, NetworkState
from tuibox.engine.services.networks.views import network_view
from tuibox.engine.store.networks import NetworkStore

log = logging.getLogger(__name__)

DEFAULT_BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": DEFAULT_BRIDGE_IFNAME,
    "com.docker.network.driver.mtu": str(DEFAULT_MTU),
}
"""What dockerd shows as the default bridge's Options (with its own bridge name)."""
BRIDGE_ID_CHARS = 11
"""A user bridge is `tbx-` + this many hex of the network ID: 15 characters, the longest
interface name Linux takes (IFNAMSIZ 16 with the NUL; dockerd's `br-` + 12 is 15 too)."""
SHUTDOWN_TEARDOWN_SECONDS = 5.0
"""How long a stopping engine waits for the network teardowns of ended runs."""


class NetworkService:
    """The engine's networks: `bridge`, `host`, `none` and the user's bridge networks.

    `open()` must have run (build_app's start-up does it, and every async verb awaits
    it) before the synchronous lookups see the predefined networks.
    """

    def __init__(
        self, store: NetworkStore, driver: NetworkDriver, events: EventBus, settings: IpamSettings
    ) -> None:
        self.state = NetworkState(store, driver, events, settings)
        self.runs = NetworkRuns(self.state)
        self._opened = False
        self._opening = asyncio.Lock()

    def set_name_lookup(self, names: NameLookup) -> None:
        """How to name a container by its ID (the container side provides it), for the
        Containers map of inspect and the error of removing a network in use."""
        self.state.names = names

    # --- start-up -------------------------------------------------------------------

    async def open(self) -> None:
        """Make sure `bridge`, `host` and `none` exist (persisted: their IDs stay). Idempotent.

        The bridge takes `bip` when set, else keeps its recorded subnet, else the first
        pool subnet free of the host's networks (found through the driver).

        Raises:
            Unavailable: every pool subnet overlaps a host network.
        """
        async with self._opening:
            if self._opened:
                return
            state = self.state
            for problem in await state.driver.check_host():
                log.warning("networking: %s", problem)
            if state.by_name("host") is None:
                self._save_new(NetworkRecord(_new_id(), "host", "host", timestamps.now()))
            if state.by_name("none") is None:
                self._save_new(NetworkRecord(_new_id(), "none", "null", timestamps.now()))
            await self._open_bridge()
            self._opened = True

    async def _open_bridge(self) -> None:
        state = self.state
        existing = state.by_name(DEFAULT_BRIDGE_NAME)
        bip = state.settings.bip
        if existing is not None and (
            not bip or _bip_parts(bip) == (existing.subnet, existing.gateway)
        ):
            return
        if existing is not None and state.endpoints_on(existing.id):
            log.warning("bip %s not applied: containers still run on the default bridge "
                        "(%s); restart the engine once they are stopped", bip,
                        existing.subnet)  # fmt: skip
            return
        if bip:
            subnet, gateway = _bip_parts(bip)
        else:
            host = host_networks(await state.driver.host_networks())
            chosen = choose_subnet(state.settings.pools, state.subnets(), host)
            subnet, gateway = str(chosen), lowest_host(chosen)
        record = existing or NetworkRecord(
            _new_id(), DEFAULT_BRIDGE_NAME, "bridge", timestamps.now(),
            bridge=DEFAULT_BRIDGE_IFNAME, options=dict(DEFAULT_BRIDGE_OPTIONS),
        )  # fmt: skip
        record.subnet, record.gateway = subnet, gateway
        record.bridge_mac = record.bridge_mac or bridge_mac(record.id)
        self._save_new(record)

    def _save_new(self, record: NetworkRecord) -> None:
        self.state.store.save_network(record)
        self.state.networks[record.id] = record
        self.state.open_addresses(record)

    # --- /networks ------------------------------------------------------------------

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /networks/create: a bridge network; 201 {"Id", "Warning": ""}.

        Raises:
            InvalidArgument: a bad body, IPAM config, field or option (named).
            Forbidden: a predefined name, the host/null driver, an overlapping subnet.
            Conflict: the name is taken ("network with name X already exists").
            Unavailable: no pool subnet is free.
            RuntimeFailure: the driver could not make the bridge (nothing is kept).
        """
        request = read_create_body(body)
        await self.open()
        state = self.state
        async with state.verbs:
            if state.by_name(request.name) is not None:
                raise Conflict(f"network with name {request.name} already exists")
            record = await self._new_network(request)
            self._save_new(record)
            try:
                await state.driver.ensure_network(record)
            except EngineError:
                await self._forget(record)
                raise
        state.publish("create", record)
        return {"Id": record.id, "Warning": ""}

    async def _new_network(self, request: NetworkRequest) -> NetworkRecord:
        state = self.state
        if request.subnet:
            subnet = IPv4Network(request.subnet)
            check_no_overlap(subnet, state.subnets())
        else:
            host = host_networks(await state.driver.host_networks())
            subnet = choose_subnet(state.settings.pools, state.subnets(), host)
        network_id = _new_id()
        return NetworkRecord(
            id=network_id,
            name=request.name,
            driver="bridge",
            created=timestamps.now(),
            subnet=str(subnet),
            gateway=request.gateway or lowest_host(subnet),
            ip_range=request.ip_range,
            bridge=USER_BRIDGE_PREFIX + network_id[:BRIDGE_ID_CHARS],
            bridge_mac=bridge_mac(network_id),
            mtu=request.mtu,
            internal=request.internal,
            labels=dict(request.labels),
            options=dict(request.options),
            user_subnet=bool(request.subnet),
            aux_addresses=dict(request.aux_addresses),
            ipam_options=request.ipam_options,
        )

    async def list_networks(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        """GET /networks: every network passing the filters, `Containers` empty (API >= 1.28).

        Raises:
            InvalidArgument: an unknown filter or a bad value.
        """
        checked = list_filters(filters)
        await self.open()
        state = self.state
        chosen = [
            n for n in state.networks.values()
            if checked.matches(n, lambda i: bool(state.endpoints_on(i)))
        ]  # fmt: skip
        return [network_view(n) for n in sorted(chosen, key=lambda n: n.name)]

    async def inspect(self, ref: str) -> dict[str, Any]:
        """GET /networks/{id}: with the containers on it. Raises NotFound, InvalidArgument."""
        await self.open()
        network = self.state.lookup(ref)
        return network_view(network, self.state.endpoints_on(network.id), self.state.names)

    async def remove(self, ref: str) -> None:
        """DELETE /networks/{id}.

        Raises:
            NotFound, InvalidArgument: as lookup.
            Forbidden: a predefined network, or containers are on it (dockerd's words).
            RuntimeFailure: the driver could not remove the bridge (the network stays).
        """
        await self.open()
        state = self.state
        async with state.verbs:
            network = state.lookup(ref)
            if network.predefined:
                raise Forbidden(f"{network.name} is a pre-defined network and cannot be removed")
            async with state.lock(network.id):
                await self.runs.settled_on(network.id)  # no bridge goes under a veth
                self._refuse_in_use(network)
                await state.driver.remove_network(network)
                await self._forget(network)
        state.publish("destroy", network)

    def _refuse_in_use(self, network: NetworkRecord) -> None:
        endpoints = self.state.endpoints_on(network.id)
        if not endpoints:
            return
        shown = sorted(
            f'name:"{self.state.names(e.container_id)}" id:"{e.container_id[:12]}"'
            for e in endpoints
        )
        raise Forbidden(
            f"error while removing network: network {network.name} has active endpoints "
            f"({', '.join(shown)})"
        )

    async def _forget(self, network: NetworkRecord) -> None:
        state = self.state
        state.networks.pop(network.id, None)
        state.addresses.pop(network.id, None)
        await asyncio.to_thread(state.store.delete_network, network.id)

    async def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        """POST /networks/prune: user networks no container is on; {"NetworksDeleted": [names]}.

        Raises:
            InvalidArgument: an unknown filter or a bad time.
        """
        checked = prune_filters(filters)
        await self.open()
        state = self.state
        deleted: list[str] = []
        for network in sorted(state.networks.values(), key=lambda n: n.name):
            if network.predefined or not checked.matches(network):
                continue
            try:
                await self.remove(network.id)
            except (Forbidden, NotFound) as err:  # joined or removed meanwhile
                log.info("prune kept network %s: %s", network.name, err)
                continue
            except EngineError as err:
                log.warning("prune could not remove network %s: %s", network.name, err)
                continue
            deleted.append(network.name)
        return {"NetworksDeleted": deleted}

    # --- for the container side -------------------------------------------------------

    def lookup(self, ref: str) -> NetworkRecord:
        """A network by full ID, full name or unique ID prefix.

        Raises:
            NotFound: "network X not found". InvalidArgument: an ambiguous reference.
        """
        return self.state.lookup(ref)

    def get(self, network_id: str) -> NetworkRecord:
        """A network by its full ID. Raises NotFound."""
        return self.state.get(network_id)

    def endpoints_of(self, container_id: str) -> list[EndpointRecord]:
        """The container's endpoints, eth0 first (empty when it is not running)."""
        return self.state.endpoints_of(container_id)

    async def start_run(
        self, container_id: str, attachments: list[Attachment], netns: str
    ) -> list[EndpointRecord]:
        """Join a starting (or running) container to networks; see NetworkRuns.start_run."""
        await self.open()
        return await self.runs.start_run(container_id, attachments, netns)

    async def end_run(self, container_id: str) -> None:
        """Take a container off every network; see NetworkRuns.end_run. Never raises."""
        await self.runs.end_run(container_id)

    async def end_run_after_exit(self, container_id: str) -> None:
        """end_run for an exited run, its slow part in the background; see
        NetworkRuns.end_run_after_exit. Never raises."""
        await self.runs.end_run_after_exit(container_id)

    async def close(self, timeout: float = SHUTDOWN_TEARDOWN_SECONDS) -> None:
        """At engine shutdown: await the teardowns under way (bounded); see NetworkRuns.close."""
        await self.runs.close(timeout)

    async def recover(self, alive: set[str]) -> None:
        """At engine start, with the IDs of the containers still running: see
        NetworkRuns.recover."""
        await self.open()
        await self.runs.recover(alive)


def _new_id() -> str:
    return secrets.token_hex(32)


def _bip_parts(bip: str) -> tuple[str, str]:
    """(subnet, gateway) of a bip: 192.168.1.1/24 -> (192.168.1.0/24, 192.168.1.1)."""
    interface = IPv4Interface(bip)
    return str(interface.network), str(interface.ip)
