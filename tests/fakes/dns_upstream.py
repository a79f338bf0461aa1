"""FakeUpstream: a DNS server on 127.0.0.1 (UDP and TCP, kernel-picked port) standing in for
the host's resolvers, so forwarding is tested without ever asking a real one."""

from __future__ import annotations

import asyncio
import socket
import struct
from dataclasses import dataclass, field
from typing import cast

import dns.message
import dns.rcode
import dns.rrset

SILENT = "silent"
"""An answer that never comes (for timeouts and the concurrency limit)."""


@dataclass
class FakeUpstream:
    """Answers A queries from `records`; a name mapped to an rcode name ("SERVFAIL",
    "REFUSED", "NXDOMAIN") gets that rcode; SILENT gets nothing; others NXDOMAIN."""

    records: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)
    """(transport, question name) in arrival order."""
    port: int = 0
    _udp: asyncio.DatagramTransport | None = None
    _tcp: asyncio.Server | None = None

    async def start(
        self, udp_sock: socket.socket | None = None, tcp_sock: socket.socket | None = None
    ) -> FakeUpstream:
        """Serve on 127.0.0.1:`port` (0: a free one), or on the two bound sockets given (made
        in another namespace, say; the TCP one listening, on the same port)."""
        loop = asyncio.get_running_loop()
        if udp_sock is not None and tcp_sock is not None:
            self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp_sock)
            self._tcp = await asyncio.start_server(self._serve_tcp, sock=tcp_sock)
        else:
            for _attempt in range(50):  # the UDP port the kernel picks may be taken for TCP
                self._udp, _ = await loop.create_datagram_endpoint(
                    lambda: _Udp(self), local_addr=("127.0.0.1", self.port)
                )
                port = self._udp.get_extra_info("sockname")[1]
                try:
                    self._tcp = await asyncio.start_server(self._serve_tcp, "127.0.0.1", port)
                    break
                except OSError:
                    self._udp.close()
                    if self.port:
                        raise
            else:
                raise OSError("no port free for both UDP and TCP on 127.0.0.1")
        self.port = self._udp.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()

    def reply(self, wire: bytes, transport: str) -> bytes | None:
        query = dns.message.from_wire(wire)
        name = query.question[0].name.to_text(omit_final_dot=True).lower()
        self.asked.append((transport, name))
        action = self.records.get(name, "NXDOMAIN")
        if action == SILENT:
            return None
        response = dns.message.make_response(query, recursion_available=True)
        if action[0].isdigit():
            response.answer.append(dns.rrset.from_text(query.question[0].name, 30, "IN", "A",
                                                       action))  # fmt: skip
        else:
            response.set_rcode(dns.rcode.from_text(action))
        return response.to_wire()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            reply = self.reply(await reader.readexactly(length), "tcp")
            if reply is not None:
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
            else:
                await reader.read()  # hold the connection until the client gives up
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, upstream: FakeUpstream) -> None:
        self.upstream = upstream
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        reply = self.upstream.reply(data, "udp")
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)
