"""Docker's JSON for networks: the NetworkResource of inspect and list (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord

NameLookup = Callable[[str], str]
"""A container's name (without the leading /) by its ID; "" when unknown."""


def network_view(
    network: NetworkRecord,
    endpoints: Iterable[EndpointRecord] = (),
    names: NameLookup | None = None,
) -> dict[str, Any]:
    """GET /networks/{id}: with `Containers` filled from the network's endpoints.

    The list passes no endpoints: dockerd answers `Containers: {}` there since API 1.28.
    """
    containers = {
        e.container_id: {
            "Name": names(e.container_id) if names else "",
            "EndpointID": e.id,
            "MacAddress": e.mac,
            "IPv4Address": f"{e.address}/{network.prefixlen}" if e.address else "",
            "IPv6Address": "",
        }
        for e in endpoints
    }
    return {
        "Name": network.name,
        "Id": network.id,
        "Created": network.created,
        "Scope": "local",
        "Driver": network.driver,
        "EnableIPv4": True,
        "EnableIPv6": False,
        "IPAM": {
            "Driver": "default",
            "Options": network.ipam_options,
            "Config": ipam_config(network),
        },
        "Internal": network.internal,
        "Attachable": False,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": containers,
        "Options": dict(network.options),
        "Labels": dict(network.labels),
    }


def ipam_config(network: NetworkRecord) -> list[dict[str, Any]] | None:
    """The IPAM.Config echo: Subnet and Gateway, then IPRange and AuxiliaryAddresses if set
    (null for host and none, which have no subnet)."""
    if not network.subnet:
        return None
    config: dict[str, Any] = {"Subnet": network.subnet}
    if network.ip_range:
        config["IPRange"] = network.ip_range
    config["Gateway"] = network.gateway
    if network.aux_addresses:
        config["AuxiliaryAddresses"] = dict(network.aux_addresses)
    return [config]
