"""One query sent to one upstream resolver over UDP or TCP, from the engine's namespace or
from inside a container's, as moby's resolver forwards (forwardExtDNS, exchange)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.message

from tuibox.engine.domain.errors import EngineError
from tuibox.engine.network.netns_sockets import run_in_netns, unbound_socket

log = logging.getLogger(__name__)

Transport = Literal["udp", "tcp"]
MAX_MESSAGE = 65535


@dataclass(frozen=True)
class Upstream:
    """A resolver the embedded server forwards unknown names to."""

    address: str
    port: int = 53
    host_side: bool = True
    """True for the host file's servers, dialled from the engine's namespace (127.0.0.53
    works); False for --dns ones, dialled from inside the container."""


async def exchange(
    wire: bytes,
    query: dns.message.Message,
    upstream: Upstream,
    transport: Transport,
    netns_path: str,
) -> tuple[bytes, dns.message.Message] | None:
    """Send the client's query `wire` as it came and return the upstream's answer (its bytes,
    passed on unchanged, and parsed), or None when it could not be reached, said nothing
    that answers this query, or failed. The caller bounds the time."""
    try:
        sock = await _socket(upstream, transport, netns_path)
    except (OSError, EngineError) as error:
        log.warning("dns: no socket for upstream %s: %s", upstream.address, error)
        return None
    try:
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (upstream.address, upstream.port))
        if transport == "udp":
            return await _udp_answer(loop, sock, wire, query)
        return await _tcp_answer(loop, sock, wire, query)
    except (OSError, EOFError) as error:
        log.debug("dns: upstream %s:%s: %s", upstream.address, upstream.port, error)
        return None
    finally:
        sock.close()


async def _socket(upstream: Upstream, transport: Transport, netns_path: str) -> socket.socket:
    version = ipaddress.ip_address(upstream.address).version
    family = socket.AF_INET6 if version == 6 else socket.AF_INET
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    if upstream.host_side:
        return unbound_socket(family, kind)
    return await run_in_netns(netns_path, lambda: unbound_socket(family, kind))


async def _udp_answer(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, wire: bytes, query: dns.message.Message
) -> tuple[bytes, dns.message.Message] | None:
    await loop.sock_sendall(sock, wire)
    while True:  # datagrams that do not answer this query (late, forged) are skipped
        data = await loop.sock_recv(sock, MAX_MESSAGE)
        answer = _parse_answer(data, query)
        if answer is not None:
            return data, answer


async def _tcp_answer(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, wire: bytes, query: dns.message.Message
) -> tuple[bytes, dns.message.Message] | None:
    await loop.sock_sendall(sock, struct.pack("!H", len(wire)) + wire)
    (length,) = struct.unpack("!H", await _read_exactly(loop, sock, 2))
    data = await _read_exactly(loop, sock, length)
    answer = _parse_answer(data, query)
    return None if answer is None else (data, answer)


async def _read_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = await loop.sock_recv(sock, size - len(buffer))
        if not chunk:
            raise EOFError("upstream closed the connection")
        buffer += chunk
    return bytes(buffer)


def _parse_answer(data: bytes, query: dns.message.Message) -> dns.message.Message | None:
    try:
        answer = dns.message.from_wire(data, ignore_trailing=True)
    except (dns.exception.DNSException, ValueError, struct.error):
        return None
    return answer if query.is_response(answer) else None
