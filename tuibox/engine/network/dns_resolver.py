"""ContainerResolver: the answer to one DNS query from one container, as Docker's embedded
server gives it (moby libnetwork/resolver.go serveDNS): its networks' names from the
NameTable, everything else forwarded to the upstreams.

Queries come from the container and may be hostile: a packet that is not a query is
dropped, one that cannot be parsed gets FORMERR, and nothing a query holds can raise out
of `answer`.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Sequence

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from tuibox.engine.network.dns_forward import Transport, Upstream, exchange
from tuibox.engine.network.dns_names import NameTable

log = logging.getLogger(__name__)

RESPONSE_TTL = 600
MAX_UPSTREAMS = 3
UPSTREAM_TIMEOUT = 4.0
MAX_CONCURRENT_FORWARDS = 1024
UDP_MIN_SIZE = 512
OWN_ADDRESS = "127.0.0.11"
_HEADER = struct.Struct("!HHHHHH")
_QR = 0x8000


class ContainerResolver:
    """Answers the queries of one container (the asker of every lookup)."""

    def __init__(
        self,
        container_id: str,
        names: NameTable,
        upstreams: Sequence[Upstream],
        *,
        netns_path: str,
        forward_from_host: bool = True,
        ndots_set: bool = False,
        max_forwards: int = MAX_CONCURRENT_FORWARDS,
        timeout: float = UPSTREAM_TIMEOUT,
    ) -> None:
        self.container_id = container_id
        self.names = names
        # moby filterExtServers: --dns 127.0.0.11 would be this server asking itself
        usable = [u for u in upstreams if u.host_side or u.address != OWN_ADDRESS]
        self.upstreams = tuple(usable[:MAX_UPSTREAMS])
        self.netns_path = netns_path
        self.forward_from_host = forward_from_host
        """False when the container is on internal networks only: the host's servers are
        not asked (moby proxyDNS); --dns ones, asked from inside, still are."""
        self.ndots_set = ndots_set
        self.max_forwards = max_forwards
        self.timeout = timeout
        self.forwarding = 0

    async def answer(self, wire: bytes, transport: Transport) -> bytes | None:
        """The reply to send, or None to drop the packet."""
        if len(wire) < _HEADER.size:
            return None
        ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
        if flags & _QR:
            return None  # a response: never answer one (no loops between servers)
        opcode = (flags >> 11) & 0xF
        if opcode != dns.opcode.QUERY:
            return _header_reply(ident, flags, dns.rcode.NOTIMP)
        if qdcount != 1 or ancount > 0 or nscount > 1 or arcount > 2:
            return _header_reply(ident, flags, dns.rcode.FORMERR)  # as miekg/dns refuses them
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # any parse failure of a hostile packet, whatever dnspython raises
            return _header_reply(ident, flags, dns.rcode.FORMERR)
        try:
            return await self._reply(wire, query, transport)
        except Exception:
            log.exception("dns: failed to answer %s for %s", query.question, self.container_id)
            return _header_reply(ident, flags, dns.rcode.SERVFAIL)

    async def _reply(self, wire: bytes, query: dns.message.Message, transport: Transport) -> bytes:
        local = self._local(query)
        if local is not None:
            return _render(local, query, transport)
        question = query.question[0]
        single_label = "." not in question.name.to_text(omit_final_dot=True)
        if self.ndots_set and single_label and question.rdtype in _ADDRESS_TYPES:
            # moby: the client has its own ndots and will retry with its search domains
            return _render(_response(query), query, transport)
        forwarded = await self._forward(wire, query, transport)
        if forwarded is not None:
            return forwarded
        return _render(_response(query, dns.rcode.SERVFAIL), query, transport)

    def _local(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text()
        rdtype = question.rdtype
        if "\\" in name:
            return None  # a label with a dot or an odd byte in it: no container has that name
        if rdtype == dns.rdatatype.PTR:
            target = self.names.reverse(self.container_id, name)
            if target is None:
                return None
            response = _response(query)
            response.answer.append(
                dns.rrset.from_text(question.name, RESPONSE_TTL, "IN", "PTR", target + ".")
            )
            return response
        if rdtype not in (*_ADDRESS_TYPES, dns.rdatatype.MX):
            return None
        addresses = self.names.resolve(self.container_id, name)
        if addresses is None:
            return None
        response = _response(query)
        if rdtype == dns.rdatatype.A:  # AAAA and MX: the name is known, no such records
            response.answer.append(
                dns.rrset.from_text_list(question.name, RESPONSE_TTL, "IN", "A", addresses)
            )
        return response

    async def _forward(
        self, wire: bytes, query: dns.message.Message, transport: Transport
    ) -> bytes | None:
        for upstream in self.upstreams:
            if upstream.host_side and not self.forward_from_host:
                continue
            if self.forwarding >= self.max_forwards:
                log.warning("dns: more than %d concurrent forwarded queries from %s",
                            self.max_forwards, self.container_id)  # fmt: skip
                return _render(_response(query, dns.rcode.REFUSED), query, transport)
            self.forwarding += 1
            try:
                async with asyncio.timeout(self.timeout):
                    result = await exchange(wire, query, upstream, transport, self.netns_path)
            except TimeoutError:
                result = None
            finally:
                self.forwarding -= 1
            if result is None:
                continue
            data, answer = result
            if answer.rcode() in (dns.rcode.SERVFAIL, dns.rcode.REFUSED):
                continue  # moby: the next server may know better
            return data
        return None


_ADDRESS_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


def _response(
    query: dns.message.Message, rcode: dns.rcode.Rcode = dns.rcode.NOERROR
) -> dns.message.Message:
    response = dns.message.make_response(query, recursion_available=True)
    response.set_rcode(rcode)
    return response


def _render(
    response: dns.message.Message, query: dns.message.Message, transport: Transport
) -> bytes:
    """Wire bytes within the size the client can take: 65535 over TCP, over UDP 512 or its
    EDNS payload size; records that do not fit are dropped and TC set."""
    limit = 65535
    if transport == "udp":
        limit = max(UDP_MIN_SIZE, query.payload if query.edns >= 0 else 0)
    return response.to_wire(max_size=limit, prefer_truncation=True)


def _header_reply(ident: int, query_flags: int, rcode: dns.rcode.Rcode) -> bytes:
    """A reply of a header only, for a query that cannot be read: its ID, opcode and RD kept."""
    flags = _QR | (query_flags & 0x7900) | dns.flags.RA | rcode
    return _HEADER.pack(ident, flags, 0, 0, 0, 0)
