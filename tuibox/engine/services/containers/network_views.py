"""Docker JSON for a container's networking: inspect's NetworkSettings, `docker ps` Ports and
Networks (pure).

A running container's endpoints give its addresses; a stopped one still lists its networks,
with empty addresses, as dockerd shows it. The top-level IPAddress, Gateway and MacAddress
come from the default bridge only.
"""

from __future__ import annotations

from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.network import EndpointRecord, NetworkRecord

NetworkLookup = dict[str, NetworkRecord]
"""Networks by name, as the container's attachments name them."""


def _endpoint_settings(
    record: ContainerRecord, network_name: str, network: NetworkRecord | None,
    endpoint: EndpointRecord | None, aliases: tuple[str, ...], requested: str,
) -> dict[str, Any]:  # fmt: skip
    user_network = network is not None and not network.predefined
    shown_aliases = [*aliases, record.short_id] if user_network else list(aliases)
    return {
        "IPAMConfig": {"IPv4Address": requested} if requested else None,
        "Links": None,
        "Aliases": shown_aliases or None,
        "MacAddress": endpoint.mac if endpoint else "",
        "DriverOpts": None,
        "NetworkID": network.id if network else "",
        "EndpointID": endpoint.id if endpoint else "",
        "Gateway": network.gateway if endpoint and network else "",
        "IPAddress": endpoint.address if endpoint else "",
        "IPPrefixLen": network.prefixlen if endpoint and network else 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": None,
    }


def networks_view(
    record: ContainerRecord, endpoints: list[EndpointRecord], networks: NetworkLookup
) -> dict[str, dict[str, Any]]:
    """NetworkSettings.Networks: one entry per network joined (none, host: theirs, empty)."""
    mode = record.host_config.get("NetworkMode") or "bridge"
    if not record.networks:
        if mode in ("none", "host"):
            return {mode: _endpoint_settings(record, mode, networks.get(mode), None, (), "")}
        return {}
    by_network = {e.network_id: e for e in endpoints}
    view: dict[str, dict[str, Any]] = {}
    for attachment in record.networks:
        network = networks.get(attachment.network)
        endpoint = by_network.get(network.id) if network else None
        view[attachment.network] = _endpoint_settings(
            record, attachment.network, network, endpoint, attachment.aliases,
            attachment.requested_address)  # fmt: skip
    return view


def ports_view(
    exposed: dict[str, Any], endpoints: list[EndpointRecord]
) -> dict[str, list[dict[str, str]] | None]:
    """NetworkSettings.Ports: each exposed port with its host bindings (null if unpublished)."""
    view: dict[str, list[dict[str, str]] | None] = {key: None for key in exposed}
    for endpoint in endpoints:
        for port in endpoint.ports:
            bindings = view.get(port.key()) or []
            bindings.append({"HostIp": port.host_ip, "HostPort": str(port.host_port)})
            view[port.key()] = bindings
    return view


def network_settings(
    record: ContainerRecord, endpoints: list[EndpointRecord], networks: NetworkLookup,
    sandbox_key: str = "",
) -> dict[str, Any]:  # fmt: skip
    """The whole NetworkSettings object of inspect."""
    joined = networks_view(record, endpoints, networks)
    default = joined.get("bridge") or {}
    running = bool(endpoints) or (record.state.running and bool(sandbox_key))
    return {
        "Bridge": "",
        "SandboxID": record.id if running else "",
        "SandboxKey": sandbox_key if running else "",
        "Ports": ports_view(record.config.get("ExposedPorts") or {}, endpoints) if endpoints
        else {},
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None,
        "EndpointID": default.get("EndpointID", ""),
        "Gateway": default.get("Gateway", ""),
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": default.get("IPAddress", ""),
        "IPPrefixLen": default.get("IPPrefixLen", 0),
        "IPv6Gateway": "",
        "MacAddress": default.get("MacAddress", ""),
        "Networks": joined,
    }  # fmt: skip


def summary_ports(exposed: dict[str, Any], endpoints: list[EndpointRecord]) -> list[dict[str, Any]]:
    """`Ports` of GET /containers/json: one entry per binding, one per exposed-only port."""
    published: list[dict[str, Any]] = []
    bound: set[str] = set()
    for endpoint in endpoints:
        for port in endpoint.ports:
            bound.add(port.key())
            published.append({"IP": port.host_ip, "PrivatePort": port.container_port,
                              "PublicPort": port.host_port, "Type": port.protocol})  # fmt: skip
    for key in exposed:
        if key not in bound:
            number, _, protocol = key.partition("/")
            published.append({"PrivatePort": int(number), "Type": protocol or "tcp"})
    return published
