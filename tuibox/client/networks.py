"""Provides the network models: GET /networks, inspect, and a container's NetworkSettings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuibox.client.models import _int, _str

PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none"})
"""The networks the engine makes itself and refuses to remove (Docker's predefined ones)."""


@dataclass(frozen=True)
class IPAMPool:
    """One entry of IPAM.Config: a subnet, its gateway, the range leases come from."""

    subnet: str
    gateway: str = ""
    ip_range: str = ""


@dataclass(frozen=True)
class NetworkEndpoint:
    """A container attached to a network, as the network's inspect lists it."""

    container_id: str
    name: str
    endpoint_id: str = ""
    mac_address: str = ""
    ipv4_address: str = ""
    """With its prefix length, as Docker writes it: "172.18.0.2/16"."""
    ipv6_address: str = ""
    running: bool = True
    """Whether the container runs (only a running one has an active endpoint: a network
    with none is what a prune removes; a network's inspect lists only running ones)."""


@dataclass(frozen=True)
class NetworkSummary:
    """One network of GET /networks or GET /networks/{id}."""

    id: str
    name: str
    driver: str
    scope: str = "local"
    created: str = ""
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    pools: tuple[IPAMPool, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    containers: tuple[NetworkEndpoint, ...] = ()
    """The attached containers, by name (the list shows none since API 1.28: the client
    fills them from the containers' own NetworkSettings)."""

    @property
    def predefined(self) -> bool:
        """bridge, host or none: made by the engine, never removed."""
        return self.name in PREDEFINED_NETWORKS

    @property
    def subnet(self) -> str:
        """The subnets, comma-separated ("" for host and none)."""
        return ", ".join(pool.subnet for pool in self.pools if pool.subnet)

    @property
    def gateway(self) -> str:
        """The gateways, comma-separated."""
        return ", ".join(pool.gateway for pool in self.pools if pool.gateway)

    @property
    def container_names(self) -> tuple[str, ...]:
        """The attached containers' names."""
        return tuple(endpoint.name for endpoint in self.containers)

    @property
    def in_use(self) -> bool:
        """Whether a running container is on it (the engine then refuses to remove it)."""
        return any(endpoint.running for endpoint in self.containers)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> NetworkSummary:
        """Parse a Network object (list entry or inspect)."""
        ipam = _mapping(raw, "IPAM")
        endpoints = _mapping(raw, "Containers")
        return cls(
            id=_str(raw, "Id"),
            name=_str(raw, "Name"),
            driver=_str(raw, "Driver"),
            scope=_str(raw, "Scope", "local"),
            created=_str(raw, "Created"),
            internal=raw.get("Internal") is True,
            attachable=raw.get("Attachable") is True,
            enable_ipv6=raw.get("EnableIPv6") is True,
            pools=tuple(IPAMPool(_str(pool, "Subnet"), _str(pool, "Gateway"), _str(pool, "IPRange"))
                        for pool in ipam.get("Config") or () if isinstance(pool, Mapping)),
            labels=_pairs(raw.get("Labels")),
            options=_pairs(raw.get("Options")),
            containers=tuple(sorted(
                (_endpoint(str(container_id), value) for container_id, value in endpoints.items()
                 if isinstance(value, Mapping)),
                key=lambda endpoint: endpoint.name)),
        )  # fmt: skip


@dataclass(frozen=True)
class NetworkCreated:
    """POST /networks/create's answer: the new network's ID and the engine's warning."""

    id: str
    warning: str = ""


@dataclass(frozen=True)
class PortBinding:
    """One host binding of a container port (NetworkSettings.Ports)."""

    container_port: str
    """Port and protocol, "80/tcp"."""
    host_ip: str = ""
    host_port: str = ""
    """"" for a port only exposed."""

    @property
    def host(self) -> str:
        """The host side as `docker port` prints it: "0.0.0.0:8080", "[::]:8080"."""
        if not self.host_port:
            return ""
        ip = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"{ip}:{self.host_port}"


@dataclass(frozen=True)
class ContainerEndpoint:
    """One entry of inspect's NetworkSettings.Networks: the container on one network."""

    network: str
    network_id: str = ""
    endpoint_id: str = ""
    ip_address: str = ""
    ip_prefix_len: int = 0
    gateway: str = ""
    mac_address: str = ""
    ipv6_address: str = ""
    ipv6_prefix_len: int = 0
    ipv6_gateway: str = ""
    aliases: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """"172.18.0.2/16", or "" before the container has started."""
        return f"{self.ip_address}/{self.ip_prefix_len}" if self.ip_address else ""


@dataclass(frozen=True)
class ContainerNetworking:
    """Inspect's NetworkSettings (and the mode it was asked for), as the Network tab shows it."""

    mode: str
    endpoints: tuple[ContainerEndpoint, ...]
    ports: tuple[PortBinding, ...]

    @classmethod
    def from_inspect(cls, raw: Mapping[str, Any]) -> ContainerNetworking:
        """Read GET /containers/{id}/json (missing or malformed parts read as empty)."""
        settings = _mapping(raw, "NetworkSettings")
        networks = _mapping(settings, "Networks")
        return cls(
            mode=_str(_mapping(raw, "HostConfig"), "NetworkMode"),
            endpoints=tuple(_container_endpoint(str(name), value)
                            for name, value in sorted(networks.items())
                            if isinstance(value, Mapping)),
            ports=_port_bindings(_mapping(settings, "Ports")),
        )  # fmt: skip


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


def _pairs(raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        return ()
    return tuple(sorted((str(key), str(value)) for key, value in raw.items()))


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(item for item in raw.get(key) or () if isinstance(item, str))


def _endpoint(container_id: str, raw: Mapping[str, Any]) -> NetworkEndpoint:
    return NetworkEndpoint(
        container_id=container_id,
        name=_str(raw, "Name") or container_id[:12],
        endpoint_id=_str(raw, "EndpointID"),
        mac_address=_str(raw, "MacAddress"),
        ipv4_address=_str(raw, "IPv4Address"),
        ipv6_address=_str(raw, "IPv6Address"),
    )


def _container_endpoint(network: str, raw: Mapping[str, Any]) -> ContainerEndpoint:
    return ContainerEndpoint(
        network=network,
        network_id=_str(raw, "NetworkID"),
        endpoint_id=_str(raw, "EndpointID"),
        ip_address=_str(raw, "IPAddress"),
        ip_prefix_len=_int(raw, "IPPrefixLen"),
        gateway=_str(raw, "Gateway"),
        mac_address=_str(raw, "MacAddress"),
        ipv6_address=_str(raw, "GlobalIPv6Address"),
        ipv6_prefix_len=_int(raw, "GlobalIPv6PrefixLen"),
        ipv6_gateway=_str(raw, "IPv6Gateway"),
        aliases=_strings(raw, "Aliases"),
        dns_names=_strings(raw, "DNSNames"),
    )


def _port_number(container_port: str) -> tuple[int, str]:
    number, _, proto = container_port.partition("/")
    return (int(number) if number.isdigit() else 0), proto


def _port_bindings(raw: Mapping[str, Any]) -> tuple[PortBinding, ...]:
    """NetworkSettings.Ports: each binding of each port; a port with null is only exposed."""
    bindings: list[PortBinding] = []
    for container_port in sorted(raw, key=_port_number):
        hosts = raw[container_port]
        if not isinstance(hosts, list) or not hosts:
            bindings.append(PortBinding(str(container_port)))
            continue
        bindings.extend(PortBinding(str(container_port), _str(host, "HostIp"),
                                    _str(host, "HostPort"))
                        for host in hosts if isinstance(host, Mapping))  # fmt: skip
    return tuple(bindings)
