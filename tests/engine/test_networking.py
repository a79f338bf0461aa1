"""Container networking through the real docker CLI and docker-py: published ports (TCP, UDP,
-P), the network modes, user networks, outbound NAT and inspect's NetworkSettings.

The engine runs in a network namespace of its own (its "host"); the tests reach published
ports from inside it, from its containers, and from a stand-in outside host: a namespace
made here on a veth of the engine's namespace, addressed in 198.51.100.0/24 (TEST-NET-2).
No packet leaves the test's namespaces.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker
import pytest

from tests.engine.conftest import EngineProcess, wait_for
from tests.engine.net_inventory import http_get, in_namespace, inventory, link_names, wget
from tests.engine.netns_harness import in_netns

pytestmark = pytest.mark.engine

HOST_ADDRESS = "198.51.100.1"
"""The engine namespace's own address, on its veth to the outside host."""
OUTSIDE_ADDRESS = "198.51.100.2"
HTTPD = ["sh", "-c", "mkdir -p /www && echo hello-$HOSTNAME > /www/index.html && "
         "exec httpd -f -p 80 -h /www"]  # fmt: skip
WGET = ("timeout", "10", "wget", "-q", "-O-")
"""busybox wget in a container (its own -T crashes busybox 1.35)."""


@dataclass
class Outside:
    """A stand-in outside host: its namespace, and servers that answer with the peer's
    address as they see it (so a test can tell whether NAT happened)."""

    name: str
    servers: list[socket.socket]

    @property
    def path(self) -> str:
        return f"/run/netns/{self.name}"

    def wget(self, url: str) -> str:
        return http_get(self.path, url)

    def serve_http_peer(self, port: int) -> None:
        self.servers.append(serve(self.path, OUTSIDE_ADDRESS, port, "tcp"))


def serve(netns: str, address: str, port: int, proto: str) -> socket.socket:
    """A server bound in `netns`: TCP ones answer an HTTP request with the client's address,
    UDP ones echo the client's address back."""

    def bind() -> socket.socket:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if proto == "tcp":
            sock.listen(16)
        return sock

    sock = in_netns(netns, bind)
    threading.Thread(target=_answer, args=(sock, proto), daemon=True).start()
    return sock


def _answer(sock: socket.socket, proto: str) -> None:
    while True:
        try:
            if proto == "tcp":
                conn, peer = sock.accept()
                with conn:
                    conn.settimeout(5)
                    conn.recv(4096)
                    body = peer[0].encode()
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))  # fmt: skip
            else:
                _, peer = sock.recvfrom(64)
                if peer is None:
                    return
                sock.sendto(peer[0].encode(), peer)
        except OSError:
            return


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture(scope="module")
def outside(engine: EngineProcess) -> Iterator[Outside]:
    """The outside namespace on veth nxh<tag> (engine side, HOST_ADDRESS) / nxo0."""
    assert engine.namespace is not None
    tag = uuid.uuid4().hex[:6]
    name, host_end = f"tbxout{tag}", f"nxh{tag}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    made = Outside(name, [])
    try:
        ns = engine.namespace.name
        for argv in (
            ["-n", ns, "link", "add", host_end, "type", "veth", "peer", "name", "nxo0",
             "netns", name],
            ["-n", ns, "addr", "add", f"{HOST_ADDRESS}/24", "dev", host_end],
            ["-n", ns, "link", "set", host_end, "up"],
            ["-n", name, "addr", "add", f"{OUTSIDE_ADDRESS}/24", "dev", "nxo0"],
            ["-n", name, "link", "set", "nxo0", "up"],
            ["-n", name, "link", "set", "lo", "up"],
        ):  # fmt: skip
            subprocess.run(["ip", *argv], check=True)
        yield made
    finally:
        for sock in made.servers:
            _close(sock)
        subprocess.run(["ip", "netns", "del", name], check=False)  # takes the veth pair along


def docker_ok(cli: EngineProcess, *args: str) -> str:
    done = cli.docker(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def inspect(cli: EngineProcess, ref: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(docker_ok(cli, "inspect", ref))
    return data[0]


def pid_of(cli: EngineProcess, ref: str) -> int:
    return int(docker_ok(cli, "inspect", "-f", "{{.State.Pid}}", ref))


def serving(cli: EngineProcess, url: str) -> str:
    """The body once the container's httpd answers `url` from the engine's namespace."""
    wait_for(lambda: bool(wget(cli, url, timeout=2)))
    return wget(cli, url)


@pytest.fixture
def network_name(cli: EngineProcess) -> Iterator[list[str]]:
    """Names for user networks the test creates; removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        cli.docker("network", "rm", name)


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- published ports -----------------------------------------------------------------------


def test_published_tcp_port_answers_on_loopback_host_address_and_gateway(
    cli: EngineProcess, outside: Outside
) -> None:
    web = name("web")
    docker_ok(cli, "run", "-d", "--name", web, "--hostname", web, "-p", "18080:80", "busybox",
              *HTTPD)  # fmt: skip
    assert serving(cli, "http://127.0.0.1:18080/") == f"hello-{web}\n"
    assert wget(cli, f"http://{HOST_ADDRESS}:18080/") == f"hello-{web}\n"
    assert outside.wget(f"http://{HOST_ADDRESS}:18080/") == f"hello-{web}\n"
    gateway = inspect(cli, web)["NetworkSettings"]["Gateway"]
    fetched = cli.docker("run", "--rm", "busybox", *WGET, f"http://{gateway}:18080/")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == f"hello-{web}\n"
    docker_ok(cli, "rm", "-f", web)
    assert wget(cli, "http://127.0.0.1:18080/", timeout=2) == ""


def test_publish_all_takes_ephemeral_ports_shown_as_docker_shows_them(cli: EngineProcess) -> None:
    low, high = (int(v) for v in in_namespace(
        cli, "cat", "/proc/sys/net/ipv4/ip_local_port_range").split())  # fmt: skip
    first, second = name("pa"), name("pa")
    for container in (first, second):
        docker_ok(cli, "run", "-d", "--name", container, "--hostname", container,
                  "--expose", "80", "-P", "busybox", *HTTPD)  # fmt: skip
    ports = []
    for container in (first, second):
        mapping = docker_ok(cli, "port", container)
        assert mapping.startswith("80/tcp -> 0.0.0.0:"), mapping
        port = int(mapping.rpartition(":")[2])
        assert low <= port <= high
        assert docker_ok(cli, "port", container, "80") == f"0.0.0.0:{port}"
        shown = docker_ok(cli, "ps", "--filter", f"name={container}", "--format", "{{.Ports}}")
        assert shown == f"0.0.0.0:{port}->80/tcp"
        ports.append(port)
        assert serving(cli, f"http://127.0.0.1:{port}/") == f"hello-{container}\n"
    assert ports[0] != ports[1]


def test_exposed_but_unpublished_ports_are_listed_without_a_mapping(cli: EngineProcess) -> None:
    container = name("ex")
    docker_ok(cli, "run", "-d", "--name", container, "--expose", "7000/udp", "-p",
              "18081:80", "busybox", "sleep", "300")  # fmt: skip
    shown = docker_ok(cli, "ps", "--filter", f"name={container}", "--format", "{{.Ports}}")
    assert shown == "7000/udp, 0.0.0.0:18081->80/tcp"
    ports = inspect(cli, container)["NetworkSettings"]["Ports"]
    assert ports == {"7000/udp": None, "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18081"}]}


def test_published_udp_port_reaches_a_server_in_the_container(
    cli: EngineProcess, outside: Outside
) -> None:
    container = name("udp")
    docker_ok(cli, "run", "-d", "--name", container, "-p", "15353:5353/udp", "busybox",
              "sleep", "300")  # fmt: skip
    # busybox's nc has no -u: the test binds the container's UDP server in its namespace.
    server = serve(f"/proc/{pid_of(cli, container)}/ns/net", "0.0.0.0", 5353, "udp")
    try:

        def ask(address: str) -> str:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(3)
                sock.sendto(b"?", (address, 15353))
                try:
                    return sock.recv(64).decode()
                except OSError:
                    return ""

        assert cli.namespace is not None
        assert cli.namespace.run(lambda: ask("127.0.0.1"))
        assert cli.namespace.run(lambda: ask(HOST_ADDRESS))
        assert in_netns(outside.path, lambda: ask(HOST_ADDRESS)) == OUTSIDE_ADDRESS
        shown = docker_ok(cli, "port", container)
        assert shown == "5353/udp -> 0.0.0.0:15353"
    finally:
        _close(server)


def test_a_port_another_container_holds_is_refused_and_nothing_is_left(
    cli: EngineProcess,
) -> None:
    holder, late = name("hold"), name("late")
    docker_ok(cli, "run", "-d", "--name", holder, "-p", "18090:80", "busybox", "sleep", "300")
    before = inventory(cli)
    refused = cli.docker("run", "-d", "--name", late, "-p", "18090:80", "busybox", "sleep", "300")
    assert refused.returncode != 0
    late_id = docker_ok(cli, "inspect", "-f", "{{.Id}}", late)
    assert (
        "failed to set up container networking: driver failed programming external "
        f"connectivity on endpoint {late} ({late_id}): "
        "Bind for 0.0.0.0:18090 failed: port is already allocated"
    ) in refused.stderr
    state = inspect(cli, late)["State"]
    assert state["Running"] is False
    assert state["Status"] in ("created", "exited")
    assert "port is already allocated" in state["Error"]
    assert inventory(cli) == before
    ps = docker_ok(cli, "ps", "--filter", f"name={holder}", "--format", "{{.Ports}}")
    assert ps == "0.0.0.0:18090->80/tcp"


# --- network modes ---------------------------------------------------------------------------


def test_network_none_has_only_loopback(cli: EngineProcess) -> None:
    links = docker_ok(cli, "run", "--rm", "--network", "none", "busybox", "ip", "-o", "link")
    assert [line.split(": ")[1] for line in links.splitlines()] == ["lo"]
    settings = inspect(cli, docker_ok(cli, "create", "--network", "none", "busybox"))
    assert list(settings["NetworkSettings"]["Networks"]) == ["none"]
    assert settings["NetworkSettings"]["IPAddress"] == ""


def test_network_host_sees_the_hosts_interfaces_and_hostname(cli: EngineProcess) -> None:
    docker_ok(cli, "run", "-d", "--name", name("br"), "busybox", "sleep", "300")  # tuibox0 up
    seen = docker_ok(cli, "run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    names = [line.split(": ")[1].split("@")[0] for line in seen.splitlines()]
    assert "tuibox0" in names
    assert sorted(names) == sorted(link_names(cli))
    assert docker_ok(cli, "run", "--rm", "--network", "host", "busybox",
                     "hostname") == socket.gethostname()  # fmt: skip


def test_container_mode_shares_one_namespace(cli: EngineProcess) -> None:
    owner = name("owner")
    docker_ok(cli, "run", "-d", "--name", owner, "busybox", "sleep", "300")
    address = inspect(cli, owner)["NetworkSettings"]["IPAddress"]
    shown = docker_ok(cli, "run", "--rm", "--network", f"container:{owner}", "busybox",
                      "ip", "-o", "-4", "addr", "show", "eth0")  # fmt: skip
    assert f"inet {address}/" in shown
    guest = name("guest")
    docker_ok(cli, "run", "-d", "--name", guest, "--network", f"container:{owner}", "busybox",
              "sleep", "300")  # fmt: skip
    owner_ns = in_namespace(cli, "readlink", f"/proc/{pid_of(cli, owner)}/ns/net")
    assert in_namespace(cli, "readlink", f"/proc/{pid_of(cli, guest)}/ns/net") == owner_ns
    owner_id = docker_ok(cli, "inspect", "-f", "{{.Id}}", owner)
    assert inspect(cli, guest)["HostConfig"]["NetworkMode"] == f"container:{owner_id}"
    docker_ok(cli, "rm", "-f", guest)
    docker_ok(cli, "stop", "-t", "0", owner)
    refused = cli.docker("run", "--rm", "--network", f"container:{owner}", "busybox", "true")
    assert refused.returncode != 0
    assert ("cannot join network namespace of a non running container: "
            f"container {owner_id} is exited") in refused.stderr  # fmt: skip


# --- user networks ---------------------------------------------------------------------------


def addresses_inside(cli: EngineProcess, container: str) -> dict[str, str]:
    shown = docker_ok(cli, "exec", container, "ip", "-o", "-4", "addr")
    found = {}
    for line in shown.splitlines():
        words = line.split()
        found[words[1]] = words[3]
    return found


def test_user_network_with_a_fixed_address_and_two_networks(
    cli: EngineProcess, network_name: list[str]
) -> None:
    first, second = name("neta"), name("netb")
    network_name += [first, second]
    docker_ok(cli, "network", "create", "--subnet", "10.213.7.0/24", first)
    docker_ok(cli, "network", "create", "--subnet", "10.213.8.0/24", second)
    server = name("srv")
    docker_ok(cli, "run", "-d", "--name", server, "--hostname", server, "--network", first,
              "--ip", "10.213.7.50", "busybox", *HTTPD)  # fmt: skip
    assert addresses_inside(cli, server) == {"lo": "127.0.0.1/8", "eth0": "10.213.7.50/24"}
    settings = inspect(cli, server)["NetworkSettings"]["Networks"][first]
    assert settings["IPAddress"] == "10.213.7.50"
    assert settings["IPAMConfig"] == {"IPv4Address": "10.213.7.50"}
    assert settings["Gateway"] == "10.213.7.1"
    both = name("both")
    docker_ok(cli, "run", "-d", "--name", both, "--network", first, "--network", second,
              "busybox", "sleep", "300")  # fmt: skip
    inside = addresses_inside(cli, both)
    assert set(inside) == {"lo", "eth0", "eth1"}
    assert ipaddress.ip_interface(inside["eth0"]) in ipaddress.ip_network("10.213.7.0/24")
    assert ipaddress.ip_interface(inside["eth1"]) in ipaddress.ip_network("10.213.8.0/24")
    networks = inspect(cli, both)["NetworkSettings"]["Networks"]
    assert sorted(networks) == sorted([first, second])
    route = docker_ok(cli, "exec", both, "ip", "route", "show", "default")
    assert route.split()[:5] == ["default", "via", "10.213.7.1", "dev", "eth0"]
    fetched = docker_ok(cli, "exec", both, *WGET, "http://10.213.7.50/")
    assert fetched == f"hello-{server}"
    for container in (server, both):
        docker_ok(cli, "rm", "-f", container)


def test_outbound_traffic_is_masqueraded_behind_the_hosts_address(
    cli: EngineProcess, outside: Outside
) -> None:
    outside.serve_http_peer(7080)
    # The outside host has no route to the bridge's subnet: only NAT brings the answer back.
    seen = cli.docker("run", "--rm", "busybox", *WGET, f"http://{OUTSIDE_ADDRESS}:7080/")
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout == HOST_ADDRESS


def test_inspect_network_settings_as_docker_fills_them(cli: EngineProcess) -> None:
    container = name("insp")
    docker_ok(cli, "run", "-d", "--name", container, "busybox", "sleep", "300")
    settings = inspect(cli, container)["NetworkSettings"]
    bridge = json.loads(docker_ok(cli, "network", "inspect", "bridge"))[0]
    subnet = ipaddress.ip_network(bridge["IPAM"]["Config"][0]["Subnet"])
    assert ipaddress.ip_address(settings["IPAddress"]) in subnet
    assert settings["Gateway"] == bridge["IPAM"]["Config"][0]["Gateway"]
    assert settings["IPPrefixLen"] == subnet.prefixlen
    mac = docker_ok(cli, "exec", container, "cat", "/sys/class/net/eth0/address")
    assert settings["MacAddress"] == mac
    entry = settings["Networks"]["bridge"]
    assert entry["NetworkID"] == bridge["Id"]
    assert len(entry["EndpointID"]) == 64 and int(entry["EndpointID"], 16) >= 0
    for key in ("IPAddress", "Gateway", "MacAddress", "IPPrefixLen"):
        assert entry[key] == settings[key]
    assert (cli.data_root / "network" / "endpoints" / f"{entry['EndpointID']}.json").exists()
    container_id = docker_ok(cli, "inspect", "-f", "{{.Id}}", container)
    listed = bridge["Containers"][container_id]
    assert listed["EndpointID"] == entry["EndpointID"]
    assert listed["IPv4Address"] == f"{settings['IPAddress']}/{subnet.prefixlen}"
    assert listed["MacAddress"] == mac


def test_docker_py_publishes_and_joins_a_user_network(
    cli: EngineProcess, network_name: list[str]
) -> None:
    client = docker.DockerClient(base_url=cli.host, version="auto", timeout=60)
    net_name = name("pynet")
    network_name.append(net_name)
    try:
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.213.9.0/24")])
        network = client.networks.create(net_name, driver="bridge", ipam=ipam)
        assert network.attrs["IPAM"]["Config"][0]["Subnet"] == "10.213.9.0/24"
        container = client.containers.run("busybox", HTTPD, detach=True, network=net_name,
                                          ports={"80/tcp": 18082}, hostname="pyweb")  # fmt: skip
        try:
            container.reload()
            assert container.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18082"}]}
            address = container.attrs["NetworkSettings"]["Networks"][net_name]["IPAddress"]
            assert ipaddress.ip_address(address) in ipaddress.ip_network("10.213.9.0/24")
            assert serving(cli, "http://127.0.0.1:18082/") == "hello-pyweb\n"
        finally:
            container.remove(force=True)
        network.remove()
        network_name.remove(net_name)
    finally:
        client.close()
