"""EmbeddedDns: Docker's 127.0.0.11 for containers on user networks, served by the engine's
event loop from sockets bound inside each container's network namespace.

Per container: a UDP and a TCP socket on 127.0.0.11 (ports the kernel picks) made by a
thread that setns()es into the namespace, NAT rules there that send 127.0.0.11:53 to them,
and a ContainerResolver that answers from the NameTable or forwards. The sockets pin the
namespace, so remove_container must be called when the container stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.network.dns_forward import Upstream
from tuibox.engine.network.dns_names import NameTable
from tuibox.engine.network.dns_nat import DNS_ADDRESS, install_dns_nat, remove_dns_nat
from tuibox.engine.network.dns_resolver import (
    MAX_CONCURRENT_FORWARDS,
    UPSTREAM_TIMEOUT,
    ContainerResolver,
)
from tuibox.engine.network.netns_sockets import bound_socket, run_in_netns

log = logging.getLogger(__name__)

TCP_IDLE_TIMEOUT = 8.0
"""How long a TCP client may sit between queries (miekg/dns's idle timeout)."""
MAX_TCP_CLIENTS = 256
"""Connections one container may hold open at once; more are closed at accept."""
_LENGTH = struct.Struct("!H")

__all__ = ["DNS_ADDRESS", "DnsEndpoint", "EmbeddedDns", "NameTable", "Upstream"]


@dataclass(frozen=True)
class DnsEndpoint:
    """A container's names and address on one user network."""

    network: str
    """The network's name (what `<name>.<network>` lookups and PTR answers use)."""
    address: str
    names: tuple[str, ...]
    """Container name first (it feeds PTR), aliases, short ID, hostname:
    dns_names.endpoint_dns_names builds them."""
    internal: bool = False


@dataclass
class _Listener:
    resolver: ContainerResolver
    udp: asyncio.DatagramTransport
    udp_closed: asyncio.Future[None]
    tcp: asyncio.Server
    networks: dict[str, bool]
    """Network name -> internal."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    tcp_clients: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def ports(self) -> tuple[int, int]:
        udp_port = self.udp.get_extra_info("sockname")[1]
        return udp_port, self.tcp.sockets[0].getsockname()[1]


class EmbeddedDns:
    """The listeners of every container served, over one shared NameTable."""

    def __init__(
        self,
        names: NameTable | None = None,
        *,
        max_forwards: int = MAX_CONCURRENT_FORWARDS,
        timeout: float = UPSTREAM_TIMEOUT,
    ) -> None:
        self.names = names if names is not None else NameTable()
        self._max_forwards = max_forwards
        self._timeout = timeout
        self._listeners: dict[str, _Listener] = {}

    def serving(self, container_id: str) -> bool:
        return container_id in self._listeners

    def ports(self, container_id: str) -> tuple[int, int]:
        """The (UDP, TCP) ports the container's 127.0.0.11:53 is sent to."""
        return self._listener(container_id).ports

    async def add_container(
        self,
        container_id: str,
        netns_path: str,
        networks: Sequence[DnsEndpoint],
        upstreams: Sequence[Upstream],
        *,
        ndots_set: bool = False,
    ) -> None:
        """Serve 127.0.0.11:53 inside the namespace at `netns_path` (loopback must be up
        there) and record the container's names on its networks. Unknown names go to the
        first three `upstreams`; the host-side ones only if a network is not internal.

        Raises:
            Conflict: the container is served already.
            NotFound: the namespace does not exist.
            RuntimeFailure: a bind or iptables failed (nothing is left set up).
        """
        if container_id in self._listeners:
            raise Conflict(f"the embedded DNS server already serves container {container_id}")
        for endpoint in networks:
            _check_address(endpoint)
        resolver = ContainerResolver(
            container_id, self.names, upstreams, netns_path=netns_path, ndots_set=ndots_set,
            forward_from_host=any(not n.internal for n in networks),
            max_forwards=self._max_forwards, timeout=self._timeout,
        )  # fmt: skip
        udp_sock, tcp_sock = await run_in_netns(netns_path, lambda: _bind_pair(netns_path))
        listener = await self._serve(resolver, udp_sock, tcp_sock, networks)
        self._listeners[container_id] = listener
        try:
            await install_dns_nat(netns_path, *listener.ports)
        except BaseException:
            del self._listeners[container_id]
            await _stop(listener)
            raise
        for endpoint in networks:
            self.names.add(endpoint.network, container_id, endpoint.names, endpoint.address)

    def connect(self, container_id: str, endpoint: DnsEndpoint) -> None:
        """The served container joined another user network (docker network connect)."""
        listener = self._listener(container_id)
        _check_address(endpoint)
        self.names.add(endpoint.network, container_id, endpoint.names, endpoint.address)
        listener.networks[endpoint.network] = endpoint.internal
        listener.resolver.forward_from_host = not all(listener.networks.values())

    def disconnect(self, container_id: str, network: str) -> None:
        """The served container left a network: its names there are gone."""
        listener = self._listener(container_id)
        self.names.remove(network, container_id)
        listener.networks.pop(network, None)
        listener.resolver.forward_from_host = not all(listener.networks.values())

    async def remove_container(self, container_id: str) -> None:
        """Stop serving the container: names dropped, sockets closed (the namespace is no
        longer pinned), NAT rules deleted if the namespace still exists. Nothing to do for
        a container not served.

        Raises:
            RuntimeFailure: iptables could not delete the rules (the sockets are closed).
        """
        listener = self._listeners.pop(container_id, None)
        self.names.remove_container(container_id)
        if listener is None:
            return
        await _stop(listener)
        await remove_dns_nat(listener.resolver.netns_path)

    async def close(self) -> None:
        """Stop serving every container (engine shutdown)."""
        for container_id in list(self._listeners):
            try:
                await self.remove_container(container_id)
            except RuntimeFailure as error:
                log.warning("dns: %s", error)

    def _listener(self, container_id: str) -> _Listener:
        try:
            return self._listeners[container_id]
        except KeyError:
            raise NotFound(f"the embedded DNS server does not serve {container_id}") from None

    async def _serve(
        self,
        resolver: ContainerResolver,
        udp_sock: socket.socket,
        tcp_sock: socket.socket,
        networks: Sequence[DnsEndpoint],
    ) -> _Listener:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()
        closed: asyncio.Future[None] = loop.create_future()
        try:
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpServer(resolver, tasks, closed), sock=udp_sock
            )
        except BaseException:
            udp_sock.close()
            tcp_sock.close()
            raise
        holder: list[_Listener] = []
        try:
            tcp = await asyncio.start_server(
                lambda r, w: _serve_tcp(holder[0], r, w), sock=tcp_sock
            )
        except BaseException:
            tcp_sock.close()
            udp.close()
            await closed
            raise
        listener = _Listener(resolver, udp, closed, tcp, {n.network: n.internal for n in networks},
                             tasks)  # fmt: skip
        holder.append(listener)
        return listener


def _check_address(endpoint: DnsEndpoint) -> None:
    try:
        ipaddress.IPv4Address(endpoint.address)
    except ValueError:
        raise InvalidArgument(
            f"{endpoint.address!r} is not an IPv4 address (network {endpoint.network})"
        ) from None


def _bind_pair(netns_path: str) -> tuple[socket.socket, socket.socket]:
    """Run in the namespace: the UDP and TCP sockets on 127.0.0.11, ports picked by the kernel."""
    try:
        udp = bound_socket(socket.SOCK_DGRAM, DNS_ADDRESS)
    except OSError as error:
        raise _bind_failure(netns_path, error) from None
    try:
        tcp = bound_socket(socket.SOCK_STREAM, DNS_ADDRESS)
    except OSError as error:
        udp.close()
        raise _bind_failure(netns_path, error) from None
    return udp, tcp


def _bind_failure(netns_path: str, error: OSError) -> RuntimeFailure:
    hint = " (is loopback up there?)" if error.errno == errno.EADDRNOTAVAIL else ""
    return RuntimeFailure(f"cannot bind {DNS_ADDRESS} in {netns_path}: {error.strerror}{hint}")


class _UdpServer(asyncio.DatagramProtocol):
    def __init__(
        self, resolver: ContainerResolver, tasks: set[asyncio.Task[None]],
        closed: asyncio.Future[None],
    ) -> None:  # fmt: skip
        self.resolver = resolver
        self.tasks = tasks
        self.closed = closed
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        task = asyncio.get_running_loop().create_task(self._reply(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def error_received(self, exc: Exception) -> None:
        log.debug("dns: udp %s: %s", self.resolver.container_id, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    async def _reply(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        reply = await self.resolver.answer(data, "udp")
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


async def _serve_tcp(
    listener: _Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Length-prefixed queries, answered in turn, until the client is done or idle."""
    task = asyncio.current_task()
    if len(listener.tcp_clients) >= MAX_TCP_CLIENTS or task is None:
        writer.transport.abort()
        return
    listener.tcp_clients.add(writer)
    listener.tasks.add(task)
    try:
        while True:
            async with asyncio.timeout(TCP_IDLE_TIMEOUT):
                (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                query = await reader.readexactly(length)
            reply = await listener.resolver.answer(query, "tcp")
            if reply is None:
                break
            writer.write(_LENGTH.pack(len(reply)) + reply)
            await writer.drain()
    except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
        pass
    finally:
        listener.tcp_clients.discard(writer)
        listener.tasks.discard(task)
        writer.transport.abort()


async def _stop(listener: _Listener) -> None:
    """Close every socket of the listener and wait until they are closed."""
    listener.udp.close()
    listener.tcp.close()
    for writer in list(listener.tcp_clients):
        writer.transport.abort()
    current = asyncio.current_task()
    pending = [task for task in listener.tasks if task is not current]
    for task in pending:
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.gather(*pending, return_exceptions=True)
    await listener.udp_closed
