"""EmbeddedDns in a real network namespace the test makes: 127.0.0.11:53 answers over UDP and
TCP from inside it, forwards to fake upstreams on loopback, survives hostile packets, and
leaves no socket, rule or pinned namespace behind."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dns.message
import pytest

from tests.fakes.dns_upstream import FakeUpstream
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.network.dns import DnsEndpoint, EmbeddedDns, Upstream
from tuibox.engine.network.dns_names import endpoint_dns_names
from tuibox.engine.network.netns_sockets import bound_socket, run_in_netns

pytestmark = pytest.mark.engine

ASKER = "ab" * 32
WEB = "cd" * 32
TOOLS = ("ip", "iptables", "iptables-save", "nsenter", "busybox", "ss")

CLIENT = r"""
import json, socket, struct, sys
import dns.message, dns.query, dns.rcode

def run(step):
    kind, arg = step[0], step[1:]
    if kind in ("udp", "tcp"):
        query = dns.message.make_query(arg[0], arg[1])
        send = dns.query.udp if kind == "udp" else dns.query.tcp
        try:  # dns.query.udp refuses a reply from another address than 127.0.0.11:53
            reply = send(query, "127.0.0.11", port=53, timeout=3)
        except Exception as error:
            return {"error": type(error).__name__}
        return {"rcode": dns.rcode.to_text(reply.rcode()),
                "answers": sorted(r.to_text() for rrset in reply.answer for r in rrset)}
    if kind == "raw-udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(1)
        sock.sendto(bytes.fromhex(arg[0]), ("127.0.0.11", 53))
        try:
            return {"reply": sock.recvfrom(65535)[0].hex()}
        except socket.timeout:
            return {"reply": None}
    sock = socket.create_connection(("127.0.0.11", 53), timeout=3)
    sock.sendall(bytes.fromhex(arg[0]))
    sock.shutdown(socket.SHUT_WR)
    data = b""
    while chunk := sock.recv(65535):
        data += chunk
    return {"reply": data.hex()}

print(json.dumps([run(step) for step in json.loads(sys.argv[1])]))
"""


@dataclass(frozen=True)
class Namespace:
    name: str

    @property
    def path(self) -> str:
        return f"/run/netns/{self.name}"

    def run(self, *argv: str) -> str:
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip

    async def ask(self, *steps: tuple[str, ...]) -> list[dict[str, Any]]:
        """Run the steps in a client inside the namespace, without blocking the loop
        (the server under test runs in it)."""
        process = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", self.name, sys.executable, "-c", CLIENT, json.dumps(steps),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        result: list[dict[str, Any]] = json.loads(out)
        return result


@pytest.fixture
def netns() -> Iterator[Namespace]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root")
    if missing:
        reason = "embedded DNS tests need " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    namespace = Namespace(f"tbxdnstest{secrets.token_hex(4)}")
    subprocess.run(["ip", "netns", "add", namespace.name], check=True)
    try:
        namespace.run("ip", "link", "set", "lo", "up")
        yield namespace
    finally:
        subprocess.run(["ip", "netns", "delete", namespace.name], check=False)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    fake = await FakeUpstream({"ext.example": "192.0.2.7"}).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedDns]:
    embedded = EmbeddedDns()
    yield embedded
    await embedded.close()


def endpoints() -> list[DnsEndpoint]:
    return [DnsEndpoint("mynet", "172.18.0.5", endpoint_dns_names("asker", [], ASKER, ""))]


async def serve(server: EmbeddedDns, netns: Namespace, upstreams: list[Upstream]) -> None:
    await server.add_container(ASKER, netns.path, endpoints(), upstreams)
    server.names.add("mynet", WEB, endpoint_dns_names("web", ["www"], WEB, ""), "172.18.0.2")


def nat_rules(netns: Namespace) -> list[str]:
    return [line for line in netns.run("iptables-save", "-t", "nat").splitlines()
            if "TBX-DNS" in line]  # fmt: skip


async def test_answers_from_inside_the_namespace_over_udp_and_tcp(
    netns: Namespace, server: EmbeddedDns, upstream: FakeUpstream
) -> None:
    await serve(server, netns, [Upstream("127.0.0.1", upstream.port)])
    results = await netns.ask(
        ("udp", "web", "A"), ("tcp", "WEB.mynet.", "A"), ("udp", "www", "AAAA"),
        ("tcp", "cdcdcdcdcdcd", "A"), ("udp", "2.0.18.172.in-addr.arpa", "PTR"),
        ("tcp", "5.0.18.172.in-addr.arpa", "PTR"), ("udp", "asker", "A"),
    )  # fmt: skip
    assert results == [
        {"rcode": "NOERROR", "answers": ["172.18.0.2"]},
        {"rcode": "NOERROR", "answers": ["172.18.0.2"]},
        {"rcode": "NOERROR", "answers": []},
        {"rcode": "NOERROR", "answers": ["172.18.0.2"]},
        {"rcode": "NOERROR", "answers": ["web.mynet."]},
        {"rcode": "NOERROR", "answers": ["asker.mynet."]},
        {"rcode": "NOERROR", "answers": ["172.18.0.5"]},
    ]
    assert upstream.asked == []
    nslookup = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", netns.name, "busybox", "nslookup", "web", "127.0.0.11",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await nslookup.communicate()
    assert "Address: 172.18.0.2" in out.decode(), out.decode()


async def test_unknown_names_are_forwarded_from_the_host_side(
    netns: Namespace, server: EmbeddedDns, upstream: FakeUpstream
) -> None:
    await serve(server, netns, [Upstream("127.0.0.1", upstream.port)])
    results = await netns.ask(("udp", "ext.example", "A"), ("tcp", "ext.example", "A"),
                              ("udp", "missing.example", "A"))  # fmt: skip
    assert results == [
        {"rcode": "NOERROR", "answers": ["192.0.2.7"]},
        {"rcode": "NOERROR", "answers": ["192.0.2.7"]},
        {"rcode": "NXDOMAIN", "answers": []},
    ]
    assert upstream.asked == [("udp", "ext.example"), ("tcp", "ext.example"),
                              ("udp", "missing.example")]  # fmt: skip


async def test_dns_flag_servers_are_dialled_from_inside_the_container(
    netns: Namespace, server: EmbeddedDns
) -> None:
    host = await FakeUpstream({"ext.example": "192.0.2.2"}).start()
    port = host.port  # the same port inside, where nothing else listens
    inside_udp, inside_tcp = await run_in_netns(netns.path, lambda: (
        bound_socket(socket.SOCK_DGRAM, "127.0.0.1", port),
        bound_socket(socket.SOCK_STREAM, "127.0.0.1", port)))  # fmt: skip
    inside = await FakeUpstream({"ext.example": "192.0.2.1"}).start(inside_udp, inside_tcp)
    try:
        await serve(server, netns, [Upstream("127.0.0.1", port, host_side=False)])
        results = await netns.ask(("udp", "ext.example", "A"), ("tcp", "ext.example", "A"))
        assert [r["answers"] for r in results] == [["192.0.2.1"], ["192.0.2.1"]]
        assert host.asked == []
    finally:
        await inside.stop()
        await host.stop()


async def test_internal_only_containers_do_not_reach_the_hosts_servers(
    netns: Namespace, server: EmbeddedDns, upstream: FakeUpstream
) -> None:
    internal = [DnsEndpoint("inner", "10.9.0.2", ("asker",), internal=True)]
    await server.add_container(ASKER, netns.path, internal, [Upstream("127.0.0.1", upstream.port)])
    assert await netns.ask(("udp", "ext.example", "A")) == [{"rcode": "SERVFAIL", "answers": []}]
    server.connect(ASKER, DnsEndpoint("outer", "10.8.0.2", ("asker",)))
    assert (await netns.ask(("udp", "ext.example", "A")))[0]["answers"] == ["192.0.2.7"]
    server.disconnect(ASKER, "outer")
    assert await netns.ask(("udp", "ext.example", "A")) == [{"rcode": "SERVFAIL", "answers": []}]
    assert upstream.asked == [("udp", "ext.example")]


async def test_hostile_packets_do_not_stop_the_server(
    netns: Namespace, server: EmbeddedDns
) -> None:
    await serve(server, netns, [])
    valid = dns.message.make_query("web", "A").to_wire()
    header_only = bytes.fromhex("beef0100000100000000000005")  # qdcount 1, cut short
    results = await netns.ask(
        ("raw-udp", "00"), ("raw-udp", header_only.hex()),
        ("raw-tcp", "ffff00"),  # promises 65535 bytes, sends one, closes
        ("raw-tcp", "0003414243"),  # a 3-byte "query"
        ("udp", "web", "A"), ("tcp", "web", "A"),
    )  # fmt: skip
    assert results[0] == {"reply": None}
    formerr = bytes.fromhex(results[1]["reply"])
    assert formerr[:2] == b"\xbe\xef" and formerr[3] & 0xF == 1  # FORMERR, same id
    assert results[2] == {"reply": ""}
    assert results[3] == {"reply": ""}  # too short to be a query: dropped, connection closed
    assert results[4:] == [{"rcode": "NOERROR", "answers": ["172.18.0.2"]}] * 2
    response = bytearray(valid)
    response[2] |= 0x80
    assert await netns.ask(("raw-udp", bytes(response).hex())) == [{"reply": None}]


async def test_remove_container_leaves_no_socket_or_rule(
    netns: Namespace, server: EmbeddedDns
) -> None:
    await serve(server, netns, [])
    assert len(nat_rules(netns)) == 8
    with pytest.raises(Conflict):
        await server.add_container(ASKER, netns.path, endpoints(), [])
    with pytest.raises(InvalidArgument, match="not an IPv4 address"):
        await server.add_container("other", netns.path, [DnsEndpoint("n", "fd00::2", ())], [])
    assert not server.serving("other")
    await server.remove_container(ASKER)
    assert nat_rules(netns) == []
    listening = netns.run("ss", "-Hlnut")
    assert "127.0.0.11" not in listening, listening
    assert server.names.networks_of(ASKER) == []
    results = await netns.ask(("udp", "web", "A"), ("tcp", "web", "A"))
    assert all("error" in result for result in results), results
    await server.remove_container(ASKER)  # a second time: nothing to do
    await serve(server, netns, [])  # served again: the chains are refilled, not doubled
    assert len(nat_rules(netns)) == 8
    assert (await netns.ask(("udp", "web", "A")))[0]["answers"] == ["172.18.0.2"]


async def test_reinstalling_the_rules_replaces_them(netns: Namespace, server: EmbeddedDns) -> None:
    await serve(server, netns, [])
    before = nat_rules(netns)
    udp_port, tcp_port = server.ports(ASKER)
    stale = EmbeddedDns()  # an engine restarted with the container still running
    await stale.add_container(ASKER, netns.path, endpoints(), [])
    after = nat_rules(netns)
    assert len(after) == len(before) == 8
    text = "\n".join(after)
    assert f"127.0.0.11:{udp_port}" not in text and f"127.0.0.11:{tcp_port}" not in text
    assert f"127.0.0.11:{stale.ports(ASKER)[0]}" in text
    await stale.close()
    assert nat_rules(netns) == []
    await server.remove_container(ASKER)  # its rules are gone already: nothing to delete
    await serve(server, netns, [])
    netns.run("iptables", "-w", "-t", "nat", "-A", "OUTPUT", "-d", "127.0.0.11/32",
              "-j", "TBX-DNS-OUTPUT")  # a doubled jump: the one-step removal cannot do it
    await server.remove_container(ASKER)
    assert nat_rules(netns) == []


async def _until(condition: Callable[[], bool]) -> bool:
    for _ in range(200):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def _link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


async def test_the_sockets_pin_the_namespace_until_removed(
    netns: Namespace, server: EmbeddedDns
) -> None:
    veth = f"tbxdns{secrets.token_hex(3)}"
    subprocess.run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth9",
                    "netns", netns.name], check=True)  # fmt: skip
    try:
        await serve(server, netns, [])
        subprocess.run(["ip", "netns", "delete", netns.name], check=True)
        await asyncio.sleep(0.5)
        assert _link_exists(veth), "the listener's sockets should keep the namespace alive"
        await server.remove_container(ASKER)  # the namespace path is gone: sockets only
        assert await _until(lambda: not _link_exists(veth)), "the namespace is still pinned"
    finally:
        if _link_exists(veth):
            subprocess.run(["ip", "link", "delete", veth], check=False)


async def test_after_remove_the_namespace_is_freed(netns: Namespace, server: EmbeddedDns) -> None:
    veth = f"tbxdns{secrets.token_hex(3)}"
    subprocess.run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth9",
                    "netns", netns.name], check=True)  # fmt: skip
    try:
        await serve(server, netns, [Upstream("127.0.0.1", 9, host_side=False)])
        await netns.ask(("udp", "ext.example", "A"))  # a socket made inside for the upstream
        await server.remove_container(ASKER)
        subprocess.run(["ip", "netns", "delete", netns.name], check=True)
        assert await _until(lambda: not _link_exists(veth)), "the namespace is still pinned"
    finally:
        if _link_exists(veth):
            subprocess.run(["ip", "link", "delete", veth], check=False)
