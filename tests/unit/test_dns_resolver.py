"""ContainerResolver: local answers, forwarding to fake upstreams on loopback, hostile packets."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes.dns_upstream import SILENT, FakeUpstream
from tuibox.engine.network.dns_forward import Upstream
from tuibox.engine.network.dns_names import NameTable
from tuibox.engine.network.dns_resolver import ContainerResolver

ASKER = "c-asker"


def names() -> NameTable:
    table = NameTable()
    table.add("mynet", ASKER, ("asker",), "172.18.0.9")
    table.add("mynet", "c-web", ("web", "www"), "172.18.0.2")
    return table


def resolver(*upstreams: FakeUpstream, **options: object) -> ContainerResolver:
    return ContainerResolver(ASKER, names(), [Upstream("127.0.0.1", u.port) for u in upstreams],
                             netns_path="/nonexistent", **options)  # type: ignore[arg-type]


async def ask(
    server: ContainerResolver, name: str, rdtype: str = "A", transport: str = "udp",
    use_edns: bool = False,
) -> dns.message.Message:  # fmt: skip
    query = dns.message.make_query(name, rdtype, use_edns=use_edns)
    reply = await server.answer(query.to_wire(), transport)  # type: ignore[arg-type]
    assert reply is not None
    response = dns.message.from_wire(reply)
    assert query.is_response(response)
    return response


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    fake = await FakeUpstream({"ext.example": "192.0.2.7", "fail.example": "SERVFAIL",
                               "nope.example": "NXDOMAIN"}).start()  # fmt: skip
    yield fake
    await fake.stop()


async def test_a_container_name_is_answered_locally(upstream: FakeUpstream) -> None:
    response = await ask(resolver(upstream), "WWW.mynet.")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.RA
    [rrset] = response.answer
    assert rrset.ttl == 600
    assert [r.to_text() for r in rrset] == ["172.18.0.2"]
    assert upstream.asked == []


async def test_known_name_without_ipv6_or_mx_gets_no_records(upstream: FakeUpstream) -> None:
    for rdtype in ("AAAA", "MX"):
        response = await ask(resolver(upstream), "web", rdtype)
        assert response.rcode() == dns.rcode.NOERROR and response.answer == [], rdtype
    assert upstream.asked == []


async def test_ptr_of_a_container_address(upstream: FakeUpstream) -> None:
    response = await ask(resolver(upstream), "2.0.18.172.in-addr.arpa", "PTR")
    [rrset] = response.answer
    assert [r.to_text() for r in rrset] == ["web.mynet."] and rrset.ttl == 600


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_unknown_names_are_forwarded_over_the_askers_transport(
    upstream: FakeUpstream, transport: str
) -> None:
    response = await ask(resolver(upstream), "ext.example", transport=transport)
    assert [r.to_text() for r in response.answer[0]] == ["192.0.2.7"]
    missing = await ask(resolver(upstream), "nope.example", transport=transport)
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert upstream.asked == [(transport, "ext.example"), (transport, "nope.example")]


async def test_servfail_and_refused_move_on_to_the_next_upstream() -> None:
    failing = await FakeUpstream({"ext.example": "SERVFAIL"}).start()
    refusing = await FakeUpstream({"ext.example": "REFUSED"}).start()
    answering = await FakeUpstream({"ext.example": "192.0.2.8"}).start()
    try:
        response = await ask(resolver(failing, refusing, answering), "ext.example")
        assert [r.to_text() for r in response.answer[0]] == ["192.0.2.8"]
        assert failing.asked == refusing.asked == answering.asked == [("udp", "ext.example")]
    finally:
        for fake in (failing, refusing, answering):
            await fake.stop()


async def test_at_most_three_upstreams_then_servfail() -> None:
    fakes = [await FakeUpstream({"ext.example": "SERVFAIL"}).start() for _ in range(4)]
    try:
        response = await ask(resolver(*fakes), "ext.example")
        assert response.rcode() == dns.rcode.SERVFAIL
        assert [len(f.asked) for f in fakes] == [1, 1, 1, 0]
    finally:
        for fake in fakes:
            await fake.stop()


async def test_a_silent_upstream_times_out_and_the_next_is_asked() -> None:
    silent = await FakeUpstream({"ext.example": SILENT}).start()
    answering = await FakeUpstream({"ext.example": "192.0.2.9"}).start()
    try:
        for transport in ("udp", "tcp"):
            response = await ask(resolver(silent, answering, timeout=0.3), "ext.example",
                                 transport=transport)  # fmt: skip
            assert [r.to_text() for r in response.answer[0]] == ["192.0.2.9"], transport
        assert silent.asked == [("udp", "ext.example"), ("tcp", "ext.example")]
    finally:
        await silent.stop()
        await answering.stop()


async def test_internal_networks_never_ask_the_hosts_servers(upstream: FakeUpstream) -> None:
    response = await ask(resolver(upstream, forward_from_host=False), "ext.example")
    assert response.rcode() == dns.rcode.SERVFAIL
    assert upstream.asked == []


async def test_its_own_address_is_never_an_upstream(upstream: FakeUpstream) -> None:
    server = ContainerResolver(ASKER, names(), [Upstream("127.0.0.11", host_side=False),
                                                Upstream("127.0.0.1", upstream.port)],
                               netns_path="/nonexistent")  # fmt: skip
    assert server.upstreams == (Upstream("127.0.0.1", upstream.port),)


async def test_no_upstream_at_all_is_servfail() -> None:
    response = await ask(resolver(), "ext.example")
    assert response.rcode() == dns.rcode.SERVFAIL


async def test_with_ndots_set_a_single_label_is_left_to_the_search_domains(
    upstream: FakeUpstream,
) -> None:
    server = resolver(upstream, ndots_set=True)
    response = await ask(server, "printer")
    assert response.rcode() == dns.rcode.NOERROR and response.answer == []
    assert upstream.asked == []
    await ask(server, "ext.example")
    assert upstream.asked == [("udp", "ext.example")]


async def test_over_the_concurrency_limit_the_answer_is_refused() -> None:
    silent = await FakeUpstream({"ext.example": SILENT}).start()
    server = resolver(silent, max_forwards=2, timeout=30)
    pending = [asyncio.create_task(ask(server, "ext.example")) for _ in range(2)]
    try:
        while server.forwarding < 2 or len(silent.asked) < 2:  # both reached the upstream
            await asyncio.sleep(0.01)
        response = await ask(server, "ext.example")
        assert response.rcode() == dns.rcode.REFUSED
        assert len(silent.asked) == 2
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await silent.stop()
    assert server.forwarding == 0


async def test_answers_too_big_for_udp_are_truncated() -> None:
    table = NameTable()
    table.add("net", ASKER, ("asker",), "10.0.0.1")
    for i in range(2, 102):
        table.add("net", f"c{i}", ("svc",), f"10.0.{i // 256}.{i % 256}")
    server = ContainerResolver(ASKER, table, [], netns_path="/nonexistent")
    query = dns.message.make_query("svc", "A")
    udp = await server.answer(query.to_wire(), "udp")
    assert udp is not None and len(udp) <= 512
    assert dns.message.from_wire(udp).flags & dns.flags.TC
    tcp = await server.answer(query.to_wire(), "tcp")
    assert tcp is not None
    assert len(dns.message.from_wire(tcp).answer[0]) == 100


def header(ident: int, flags: int, qdcount: int = 1, ancount: int = 0) -> bytes:
    return struct.pack("!HHHHHH", ident, flags, qdcount, ancount, 0, 0)


def rcode_of(reply: bytes | None) -> int:
    assert reply is not None
    flags: int = struct.unpack_from("!H", reply, 2)[0]
    assert flags & 0x8000
    return flags & 0xF


async def test_malformed_packets() -> None:
    server = resolver()
    assert await server.answer(b"", "udp") is None
    assert await server.answer(b"\x12\x34\x01", "udp") is None
    response = dns.message.make_response(dns.message.make_query("web", "A")).to_wire()
    assert await server.answer(response, "udp") is None  # never answer an answer
    garbage = header(0xBEEF, 0x0100) + b"\x05ab"
    reply = await server.answer(garbage, "udp")
    assert rcode_of(reply) == dns.rcode.FORMERR and reply is not None
    assert reply[:2] == b"\xbe\xef"
    assert rcode_of(await server.answer(header(1, 0x0100, qdcount=0), "udp")) == dns.rcode.FORMERR
    assert rcode_of(await server.answer(header(1, 0, qdcount=2), "udp")) == dns.rcode.FORMERR
    status = header(7, dns.opcode.to_flags(dns.opcode.STATUS))
    assert rcode_of(await server.answer(status, "udp")) == dns.rcode.NOTIMP
    pointer_loop = header(9, 0x0100) + b"\xc0\x0c\x00\x01\x00\x01"
    assert rcode_of(await server.answer(pointer_loop, "udp")) == dns.rcode.FORMERR
    assert (await ask(server, "web")).answer  # still answering


VALID_QUERY = dns.message.make_query("web.mynet", "A", use_edns=True).to_wire()
PACKETS = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda tail: header(0x4242, 0x0100) + tail),
    st.lists(st.tuples(st.integers(0, len(VALID_QUERY) - 1), st.integers(0, 255)), max_size=6)
    .map(lambda edits: _mutate(VALID_QUERY, edits)),
)


def _mutate(packet: bytes, edits: list[tuple[int, int]]) -> bytes:
    data = bytearray(packet)
    for position, value in edits:
        data[position] = value
    return bytes(data)


@settings(max_examples=500, deadline=None)
@given(PACKETS)
def test_no_packet_makes_answer_raise(packet: bytes) -> None:
    server = ContainerResolver(ASKER, names(), [], netns_path="/nonexistent")
    reply = asyncio.run(server.answer(packet, "udp"))
    if reply is not None:
        assert len(reply) >= 12 and reply[:2] == packet[:2]
