"""Published and exposed ports of a create body: Docker's shapes and checks (pure).

`HostConfig.PortBindings` maps "80/tcp" to [{"HostIp": "", "HostPort": "8080"}]; an empty
HostPort asks for a random one, "8000-8010" for the first free one of a range.
`PublishAllPorts` (-P) publishes every exposed port that has no binding on a random port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

PROTOCOLS = ("tcp", "udp")
ANY_ADDRESS = "0.0.0.0"


@dataclass(frozen=True)
class PortRequest:
    """One port to publish as asked: host_port_low 0 means any free port."""

    container_port: int
    protocol: str
    host_ip: str
    host_port_low: int = 0
    host_port_high: int = 0

    def key(self) -> str:
        return f"{self.container_port}/{self.protocol}"


def split_port_key(key: str) -> tuple[int, str]:
    """"80/tcp" (or "80") as (80, "tcp").

    Raises:
        InvalidArgument: not a port, or a protocol other than tcp and udp.
    """
    number, _, protocol = key.partition("/")
    protocol = protocol.lower() or "tcp"
    port = _port(number, key)
    if protocol not in PROTOCOLS:
        if protocol == "sctp":
            raise InvalidArgument(f"sctp ports are not supported by the tuibox engine yet: {key}")
        raise InvalidArgument(f'invalid port specification: "{key}"')
    return port, protocol


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise InvalidArgument(f'invalid port specification: "{spec}"')
    return int(text)


def _host_ports(text: str) -> tuple[int, int]:
    if not text:
        return 0, 0
    low, _, high = text.partition("-")
    first = _port(low, text)
    last = _port(high, text) if high else first
    if last < first:
        raise InvalidArgument(f'invalid port specification: "{text}"')
    return first, last


def _host_ip(text: str, key: str) -> str:
    if not text:
        return ANY_ADDRESS
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidArgument(f"invalid host IP address {text!r} for port {key}") from None
    if address.version == 6:
        raise InvalidArgument(
            f"-p [{text}]:...: IPv6 host addresses are not supported by the tuibox engine yet"
        )
    return str(address)


def exposed_ports(body: dict[str, Any], image_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Config.ExposedPorts as inspect shows it: the image's, the body's and every published one.

    Raises:
        InvalidArgument: a key that is not a port.
    """
    merged: dict[str, dict[str, Any]] = {}
    host_config = body.get("HostConfig") or {}
    for source in (image_config.get("ExposedPorts"), body.get("ExposedPorts"),
                   host_config.get("PortBindings")):  # fmt: skip
        if source is None:
            continue
        if not isinstance(source, dict):
            raise InvalidArgument("ExposedPorts and PortBindings must be objects keyed by port")
        for key in source:
            port, protocol = split_port_key(str(key))
            merged[f"{port}/{protocol}"] = {}
    return merged


def port_requests(
    host_config: dict[str, Any], exposed: dict[str, dict[str, Any]]
) -> tuple[PortRequest, ...]:
    """Every port to publish at start, from PortBindings and, with -P, the exposed ports.

    Raises:
        InvalidArgument: a malformed binding, with Docker's words.
    """
    bindings = host_config.get("PortBindings") or {}
    if not isinstance(bindings, dict):
        raise InvalidArgument("HostConfig.PortBindings must be an object keyed by port")
    requests: list[PortRequest] = []
    for key, entries in bindings.items():
        port, protocol = split_port_key(str(key))
        if entries is None:
            entries = []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InvalidArgument(f"HostConfig.PortBindings[{key}] must be a list of objects")
        for entry in entries:
            unknown = set(entry) - {"HostIp", "HostPort"}
            if unknown:
                raise InvalidArgument(f"unknown port binding field {sorted(unknown)[0]} for {key}")
            host_ip, host_port = entry.get("HostIp") or "", entry.get("HostPort") or ""
            if not isinstance(host_ip, str) or not isinstance(host_port, str):
                raise InvalidArgument(f"HostIp and HostPort of {key} must be strings")
            low, high = _host_ports(host_port)
            requests.append(PortRequest(port, protocol, _host_ip(host_ip, key), low, high))
    if host_config.get("PublishAllPorts"):
        bound = {(r.container_port, r.protocol) for r in requests}
        for key in exposed:
            port, protocol = split_port_key(key)
            if (port, protocol) not in bound:
                requests.append(PortRequest(port, protocol, ANY_ADDRESS))
    return tuple(requests)
