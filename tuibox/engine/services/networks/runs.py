"""NetworkRuns: endpoints for container runs (join, leave, recover), over NetworkState."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass

from tuibox.engine.domain.errors import EngineError, Forbidden, InvalidArgument, NotFound
from tuibox.engine.domain.network import (
    DEFAULT_BRIDGE_NAME,
    HOST_VETH_PREFIX,
    Attachment,
    EndpointRecord,
    NetworkRecord,
)
from tuibox.engine.services.networks.state import NetworkState

log = logging.getLogger(__name__)

FIXED_ADDRESS_NEEDS_SUBNET = (
    "user specified IP address is supported only when connecting to networks with user "
    "configured subnets"
)
ALIAS_NEEDS_USER_NETWORK = (
    "network-scoped alias is supported only for containers in user defined networks"
)


def local_mac(seed: str) -> str:
    """A MAC derived from `seed`: locally administered, unicast, the same for the same seed."""
    raw = bytearray(hashlib.sha256(seed.encode()).digest()[:6])
    raw[0] = (raw[0] & 0xFE) | 0x02
    return ":".join(f"{b:02x}" for b in raw)


def bridge_mac(network_id: str) -> str:
    """The MAC a network's bridge is pinned to."""
    return local_mac(f"bridge:{network_id}")


@dataclass
class _Joined:
    """One endpoint start_run made, and how far it got (for the rollback)."""

    network: NetworkRecord
    endpoint: EndpointRecord
    plugged: bool = False
    published: bool = False


class NetworkRuns:
    """Joins runs to networks and takes them off again; the kernel work is the driver's."""

    def __init__(self, state: NetworkState) -> None:
        self.state = state
        self.leaving: dict[str, EndpointRecord] = {}
        """Endpoints of ended runs whose veth, lease and record are still being given back
        (by ID): no view shows them, their address and veth name stay taken."""
        self._teardowns: set[asyncio.Task[None]] = set()

    # --- the exit path's teardown, finished in the background -------------------------

    async def end_run_after_exit(self, container_id: str) -> None:
        """end_run for a run that has exited: what must be free once it returns is freed
        now (the port rules; the endpoints leave every view, with their `network
        disconnect` events), and the slow rest (the veth deletion, an RCU grace period of
        10-30 ms, then the address and the endpoint record, in that order, so no new
        endpoint takes the address while the old veth is there) goes on in a background
        task. settled() waits for it; so does every verb that could meet it half-done.
        Never raises."""
        state = self.state
        ended = list(reversed(state.endpoints_of(container_id)))
        if not ended:
            return
        for endpoint in ended:
            state.drop_endpoint(endpoint.id)
            self.leaving[endpoint.id] = endpoint
        rules_gone = asyncio.Event()
        task = asyncio.get_running_loop().create_task(
            self._tear_down(container_id, ended, rules_gone)
        )  # registered at once: settled() must see every endpoint in `leaving`
        self._teardowns.add(task)
        task.add_done_callback(self._teardowns.discard)
        await rules_gone.wait()

    async def _tear_down(
        self, container_id: str, endpoints: list[EndpointRecord], rules_gone: asyncio.Event
    ) -> None:
        state = self.state
        try:
            for endpoint in endpoints:
                network = state.networks.get(endpoint.network_id)
                if network is not None and network.driver == "bridge" and endpoint.ports:
                    await _logged(state.driver.unpublish(network, endpoint), "unpublish",
                                  endpoint)  # fmt: skip
                if network is not None:
                    state.publish("disconnect", network, container_id)
        finally:
            rules_gone.set()
        try:
            for endpoint in endpoints:
                try:
                    await self._leave(endpoint, plugged=True, published=False)
                except Exception:  # a background task has no caller to raise to
                    log.exception("tearing down endpoint %s (%s) failed", endpoint.id[:12],
                                  endpoint.host_ifname)  # fmt: skip
                self.leaving.pop(endpoint.id, None)
        finally:  # cancelled at shutdown: the records stay for the next start's recover
            for endpoint in endpoints:
                self.leaving.pop(endpoint.id, None)

    async def settled(self) -> None:
        """Wait until the teardowns under way when called have finished."""
        pending = set(self._teardowns)
        if pending:
            await asyncio.wait(pending)

    async def settled_on(self, network_id: str) -> None:
        """Wait until no endpoint of `network_id` is being torn down."""
        while self._teardowns and any(e.network_id == network_id for e in self.leaving.values()):
            await self.settled()

    async def close(self, timeout: float) -> None:
        """At engine shutdown: let the teardowns under way finish, for `timeout` seconds at
        most; those cut short are reconciled by the next start (their records remain)."""
        pending = set(self._teardowns)
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d network teardowns left unfinished at shutdown; the next start "
                        "reconciles them", len(late))  # fmt: skip

    async def start_run(
        self, container_id: str, attachments: list[Attachment], netns: str
    ) -> list[EndpointRecord]:
        """Give a container's run one endpoint per attachment, in order, and plug them.

        For each attachment: the network is ensured on the driver; the endpoint gets the
        requested address or the lowest free one, a MAC of its own (locally administered,
        kept in the record), a host veth `tbx` + 7 hex and the next free `ethN` of the
        container (eth0 first; a container already running keeps its endpoints, so a
        later call adds eth1...); the record is saved, the veth plugged into the namespace
        at `netns` and, when the attachment carries ports, those are published. `host` and
        `none` attachments get an endpoint record only (no address, no kernel work).
        A `network connect` event follows for each endpoint once all are done.

        If any step fails, everything this call did is undone (ports, veths, addresses,
        records) before the error is raised; endpoints from earlier calls stay.

        Raises:
            NotFound, InvalidArgument: a network that does not exist or is ambiguous; a
                fixed address on a network without a user subnet, an alias on the default
                bridge, ports on host or none, an address outside the subnet.
            Forbidden: the container is on that network already; the address is taken.
            Unavailable: the network has no free address left.
            RuntimeFailure: the driver's (the kernel's) refusal.
        """
        await self.settled()  # the ports, addresses and rules of ended runs are free
        joined: list[_Joined] = []
        try:
            for attachment in attachments:
                step = await self._join(container_id, attachment)
                joined.append(step)
                await self._plug(step, netns)
        except BaseException:
            for step in reversed(joined):
                await self._leave(step.endpoint, plugged=step.plugged, published=step.published)
            raise
        for step in joined:
            self.state.publish("connect", step.network, container_id)
        return [step.endpoint for step in joined]

    async def _join(self, container_id: str, attachment: Attachment) -> _Joined:
        state = self.state
        network = state.lookup(attachment.network)
        self._check(container_id, network, attachment)
        if network.driver != "bridge":
            endpoint = self._endpoint(container_id, network, attachment, address="", veth="")
            state.add_endpoint(endpoint)
            return await self._saved(_Joined(network, endpoint))
        async with state.lock(network.id):
            await state.driver.ensure_network(network)
            if network.id not in state.networks:
                raise NotFound(f"network {attachment.network} not found")
            address = state.addresses[network.id].allocate(attachment.requested_address)
            endpoint = self._endpoint(container_id, network, attachment, address=address,
                                      veth=self._veth_name())  # fmt: skip
            state.add_endpoint(endpoint)
        return await self._saved(_Joined(network, endpoint))

    async def _saved(self, step: _Joined) -> _Joined:
        try:
            await asyncio.to_thread(self.state.store.save_endpoint, step.endpoint)
        except BaseException:
            await self._leave(step.endpoint, plugged=False, published=False)
            raise
        return step

    def _check(self, container_id: str, network: NetworkRecord, attachment: Attachment) -> None:
        if any(e.network_id == network.id for e in self.state.endpoints_of(container_id)):
            name = self.state.names(container_id) or container_id[:12]
            raise Forbidden(f"endpoint with name {name} already exists in network {network.name}")
        if attachment.requested_address and not network.user_subnet:
            raise InvalidArgument(FIXED_ADDRESS_NEEDS_SUBNET)
        if attachment.aliases and network.name == DEFAULT_BRIDGE_NAME:
            raise InvalidArgument(ALIAS_NEEDS_USER_NETWORK)
        if attachment.ports and network.driver != "bridge":
            raise InvalidArgument(
                f"ports cannot be published on network {network.name}: only bridge networks "
                "publish ports"
            )

    def _endpoint(
        self, container_id: str, network: NetworkRecord, attachment: Attachment, *,
        address: str, veth: str,
    ) -> EndpointRecord:  # fmt: skip
        endpoint_id = secrets.token_hex(32)
        bridged = network.driver == "bridge"
        return EndpointRecord(
            id=endpoint_id,
            network_id=network.id,
            container_id=container_id,
            ifname=self._next_ifname(container_id) if bridged else "",
            host_ifname=veth,
            address=address,
            mac=local_mac(f"endpoint:{endpoint_id}") if bridged else "",
            aliases=tuple(attachment.aliases),
            requested_address=attachment.requested_address,
            ports=tuple(attachment.ports),
        )

    def _next_ifname(self, container_id: str) -> str:
        taken = {e.ifname for e in self.state.endpoints_of(container_id)}
        index = 0
        while f"eth{index}" in taken:
            index += 1
        return f"eth{index}"

    def _veth_name(self) -> str:
        taken = {e.host_ifname for e in (*self.state.endpoints.values(), *self.leaving.values())}
        while True:
            name = HOST_VETH_PREFIX + secrets.token_hex(4)[:7]
            if name not in taken:
                return name

    async def _plug(self, step: _Joined, netns: str) -> None:
        if step.network.driver != "bridge":
            return
        step.plugged = True  # a plug that fails half-way may leave a veth: unplug it too
        gateway = self.gateway_of(step.endpoint.container_id) == step.endpoint
        await self.state.driver.plug(step.network, step.endpoint, netns, gateway=gateway)
        if step.endpoint.ports:
            step.published = True
            await self.state.driver.publish(step.network, step.endpoint)

    def gateway_of(self, container_id: str) -> EndpointRecord | None:
        """The endpoint the container's default route goes through: its first endpoint
        (eth0 first) on a bridge network that is not internal, as Docker gives internal
        networks no gateway; None when it has none."""
        for endpoint in self.state.endpoints_of(container_id):
            network = self.state.networks.get(endpoint.network_id)
            if network is not None and network.driver == "bridge" and not network.internal:
                return endpoint
        return None

    async def move_gateway(self, container_id: str, netns: str) -> None:
        """After an endpoint left a running container: the default route through the
        gateway endpoint now (the one it went through left with its veth). Never raises."""
        endpoint = self.gateway_of(container_id)
        network = self.state.networks.get(endpoint.network_id) if endpoint else None
        if endpoint is None or network is None:
            return
        await _logged(self.state.driver.route_default(network, netns), "default route via",
                      endpoint)  # fmt: skip

    async def end_run(self, container_id: str) -> None:
        """Take a container's run off every network: unpublish, unplug, release addresses,
        delete the endpoint records; a `network disconnect` event for each.

        Idempotent (a container with no endpoints is no work) and never raises: a driver
        failure is logged and the record still goes, so the kernel object is left to the
        next start's reconcile, which removes what no record names.
        """
        for endpoint in reversed(self.state.endpoints_of(container_id)):
            await self.leave(endpoint)

    async def leave(self, endpoint: EndpointRecord) -> None:
        """Take one endpoint away as end_run does (for `network disconnect` of a running
        container). Never raises."""
        await self.settled()
        if endpoint.id not in self.state.endpoints:
            return
        await self._leave(endpoint, plugged=True, published=bool(endpoint.ports))
        network = self.state.networks.get(endpoint.network_id)
        if network is not None:
            self.state.publish("disconnect", network, endpoint.container_id)

    async def _leave(self, endpoint: EndpointRecord, *, plugged: bool, published: bool) -> None:
        state = self.state
        network = state.networks.get(endpoint.network_id)
        bridged = network is not None and network.driver == "bridge"
        if bridged and published and network is not None:
            await _logged(state.driver.unpublish(network, endpoint), "unpublish", endpoint)
        if bridged and plugged and endpoint.host_ifname:
            await _logged(state.driver.unplug(endpoint), "unplug", endpoint)
        addresses = state.addresses.get(endpoint.network_id)
        if addresses is not None and endpoint.address:
            addresses.release(endpoint.address)
        state.drop_endpoint(endpoint.id)
        try:
            await asyncio.to_thread(state.store.delete_endpoint, endpoint.id)
        except OSError as err:
            log.error("could not delete endpoint record %s: %s", endpoint.id, err)

    async def recover(self, alive: set[str]) -> None:
        """At engine start: end the endpoints of containers not in `alive` (their runs
        ended while the engine was away), then have the driver make the kernel match the
        records (reconcile). The address books were rebuilt from the records at load,
        so what the ended endpoints held is free again. Never raises: a driver failure
        is logged (the engine still serves; networking reports its own errors)."""
        state = self.state
        await self.settled()
        for container_id in sorted({e.container_id for e in state.endpoints.values()} - alive):
            log.info("ending the network endpoints of container %s, which is not running",
                     container_id[:12])  # fmt: skip
            await self.end_run(container_id)
        try:
            removed = await state.driver.reconcile(
                list(state.networks.values()), list(state.endpoints.values())
            )
        except EngineError as err:
            log.error("could not reconcile the kernel's networking with the records: %s", err)
            return
        for leftover in removed:
            log.info("removed network leftover %s", leftover)


async def _logged(call: Awaitable[None], what: str, endpoint: EndpointRecord) -> None:
    """Await a driver call whose failure must not stop a teardown."""
    try:
        await call
    except EngineError as err:
        log.error("%s of endpoint %s (%s) failed: %s", what, endpoint.id[:12],
                  endpoint.host_ifname, err)  # fmt: skip
