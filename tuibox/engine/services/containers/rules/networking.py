"""A create body's network mode and endpoints as a NetworkPlan, with Docker's checks (pure).

`HostConfig.NetworkMode` is "bridge" (also "" and "default"), "none", "host",
"container:<name|id>" or a user network's name or ID; `NetworkingConfig.EndpointsConfig`
adds aliases, a fixed address and more networks. Whether a named network exists is for the
network service to say; these rules only read the body.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Literal

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.network import Attachment

Mode = Literal["bridge", "none", "host", "container", "network"]

ENDPOINT_FIELDS_HONOURED = ("Aliases", "IPAMConfig")
ENDPOINT_FIELDS_OUTPUT = (
    "NetworkID", "EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
    "GlobalIPv6Address", "GlobalIPv6PrefixLen", "DNSNames",
)  # fmt: skip
"""Fields of an inspect document some clients send back; only their unset values pass."""
ENDPOINT_FLAGS = {
    "MacAddress": "--mac-address", "DriverOpts": "--network driver-opt", "Links": "--link",
    "GwPriority": "--network gw-priority",
}  # fmt: skip
"""The flag behind each endpoint setting not honoured yet."""


@dataclass(frozen=True)
class NetworkPlan:
    """How a container's runs get their network."""

    mode: Mode
    attachments: tuple[Attachment, ...] = ()
    """For bridge and user networks, the networks to join in order (the first gives eth0
    and the default route)."""
    container: str = ""
    """For container:<name|id>, the container whose namespace is shared."""

    @property
    def network_mode(self) -> str:
        """HostConfig.NetworkMode as inspect shows it."""
        if self.mode == "container":
            return f"container:{self.container}"
        if self.mode == "network":
            return self.attachments[0].network
        return self.mode

    @property
    def private_namespace(self) -> bool:
        """Whether the runs get a network namespace of their own."""
        return self.mode in ("bridge", "none", "network")


def network_plan(body: dict[str, Any]) -> NetworkPlan:
    """Read NetworkMode and EndpointsConfig.

    Raises:
        InvalidArgument: with Docker's words (a bad mode, options that conflict with it,
            aliases or a fixed address on the default bridge, an unknown endpoint field).
    """
    host_config = body.get("HostConfig") or {}
    given = host_config.get("NetworkMode") or "default"
    if not isinstance(given, str):
        raise InvalidArgument("HostConfig.NetworkMode must be a string")
    endpoints = _endpoints(body)
    mode_name = "bridge" if given == "default" else given
    if mode_name.startswith("container:") or mode_name == "container":
        target = mode_name.partition(":")[2]
        if not target:
            raise InvalidArgument(
                "invalid network mode: invalid container format container:<name|id>"
            )
        _check_shared_namespace(body, host_config)
        _no_endpoints(endpoints, mode_name)
        return NetworkPlan("container", container=target)
    if mode_name in ("none", "host"):
        publishing = host_config.get("PortBindings") or host_config.get("PublishAllPorts")
        if publishing and mode_name == "host":
            raise InvalidArgument(
                "conflicting options: port publishing and the host network mode "
                "(a container on the host's network uses the host's ports directly)"
            )
        if publishing:
            raise InvalidArgument(
                "conflicting options: port publishing and the none network mode "
                "(a container without a network has nothing to publish on)"
            )
        _no_endpoints(endpoints, mode_name)
        return NetworkPlan("none" if mode_name == "none" else "host")
    primary = endpoints.pop(mode_name, None) or endpoints.pop(given, None) or {}
    attachments = [_attachment(mode_name, primary)]
    attachments += [_attachment(name, settings) for name, settings in endpoints.items()]
    return NetworkPlan("bridge" if mode_name == "bridge" else "network", tuple(attachments))


def _endpoints(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    networking = body.get("NetworkingConfig") or {}
    if not isinstance(networking, dict):
        raise InvalidArgument("NetworkingConfig must be an object")
    endpoints = networking.get("EndpointsConfig") or {}
    if not isinstance(endpoints, dict) or not all(
        isinstance(v, dict) or v is None for v in endpoints.values()
    ):
        raise InvalidArgument("NetworkingConfig.EndpointsConfig must map networks to objects")
    # The API's "default" endpoint is the default bridge's, as dockerd renames it.
    named = {("bridge" if k == "default" else k): dict(v or {}) for k, v in endpoints.items()}
    return named


def _attachment(network: str, settings: dict[str, Any]) -> Attachment:
    for key, value in settings.items():
        if key in ENDPOINT_FIELDS_HONOURED:
            continue
        if key in ENDPOINT_FIELDS_OUTPUT and value in (None, "", 0, []):
            continue
        if value in (None, "", [], {}, 0):
            continue
        flag = ENDPOINT_FLAGS.get(key, f"the endpoint setting {key}")
        raise InvalidArgument(f"{flag} is not supported by the tuibox engine yet "
                              f"(NetworkingConfig.EndpointsConfig.{network}.{key})")  # fmt: skip
    aliases = settings.get("Aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InvalidArgument(f"Aliases for network {network} must be a list of strings")
    ipam = settings.get("IPAMConfig") or {}
    if not isinstance(ipam, dict):
        raise InvalidArgument(f"IPAMConfig for network {network} must be an object")
    for key, value in ipam.items():
        if key != "IPv4Address" and value not in (None, "", []):
            raise InvalidArgument(
                f"IPAMConfig.{key} (--ip6/--link-local-ip) is not supported by the tuibox "
                "engine yet"
            )
    address = ipam.get("IPv4Address") or ""
    if address:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            raise InvalidArgument(f"invalid IPv4 address: {address}") from None
        if parsed.version != 4:
            raise InvalidArgument(f"invalid IPv4 address: {address}")
    if network == "bridge":
        if aliases:
            raise InvalidArgument(
                "network-scoped alias is supported only for containers in user defined networks"
            )
        if address:
            raise InvalidArgument(
                "user specified IP address is supported on user defined networks only"
            )
    return Attachment(network, tuple(dict.fromkeys(aliases)), address)


def _no_endpoints(endpoints: dict[str, dict[str, Any]], mode: str) -> None:
    for name, settings in endpoints.items():
        if name != mode and any(v not in (None, "", [], {}, 0) for v in settings.values()):
            raise InvalidArgument(
                f"container cannot join network {name}: its network mode is {mode}"
            )


def _check_shared_namespace(body: dict[str, Any], host_config: dict[str, Any]) -> None:
    """Docker's conflicts for a container that joins another one's namespace."""
    if body.get("Hostname"):
        raise InvalidArgument("conflicting options: hostname and the network mode")
    if host_config.get("Dns") or host_config.get("DnsSearch") or host_config.get("DnsOptions"):
        raise InvalidArgument("conflicting options: dns and the network mode")
    if host_config.get("ExtraHosts"):
        raise InvalidArgument("conflicting options: custom host-to-IP mapping and the network mode")
    if host_config.get("PortBindings") or host_config.get("PublishAllPorts"):
        raise InvalidArgument(
            "conflicting options: port publishing and the container type network mode"
        )
    if body.get("ExposedPorts"):
        raise InvalidArgument(
            "conflicting options: port exposing and the container type network mode"
        )
