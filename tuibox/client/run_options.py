"""Provides RunOptions and the `-p` parser: what the run dialog asks for, as a create body."""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from typing import Any

from tuibox.client.networks import PortBinding

PROTOCOLS = ("tcp", "udp", "sctp")
"""The protocols a published port may name (Docker's validateProto)."""


class RunOptionError(ValueError):
    """A run option the engine would refuse, in the docker CLI's words."""


@dataclass(frozen=True)
class RunOptions:
    """What `docker run -d` would take beyond the image: a name, -p entries, a network, a command.

    Empty fields mean the defaults: a random name, nothing published, the default bridge,
    the image's own command.
    """

    name: str = ""
    ports: tuple[PortBinding, ...] = ()
    network: str = ""
    command: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        """Whether nothing was asked beyond the image (a plain `docker run -d IMAGE`)."""
        return self == RunOptions()


def _port_range(text: str) -> tuple[int, int]:
    """The first and last port of "80" or "8000-8010" (Docker's nat.ParsePortRange)."""
    first, _, last = text.partition("-")
    if not re.fullmatch(r"[0-9]+", first) or (last and not re.fullmatch(r"[0-9]+", last)):
        raise ValueError(text)
    start, end = int(first), int(last or first)
    if start > 65535 or end > 65535 or end < start:
        raise ValueError(text)
    return start, end


def _split_spec(spec: str) -> tuple[str, str, str]:
    """The host IP, host port and container port of a -p entry (nat's splitParts)."""
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_publish(spec: str) -> list[PortBinding]:
    """The bindings of one `-p` entry: `[ip:][hostPort:]containerPort[/proto]`, ports or ranges.

    Raises:
        RunOptionError: The entry is malformed, with the docker CLI's message.
    """
    host_ip, host_port, container_part = _split_spec(spec)
    container_port, _, protocol = container_part.partition("/")
    protocol = (protocol or "tcp").lower()
    if host_ip.startswith("[") and host_ip.endswith("]"):
        host_ip = host_ip[1:-1]
    if host_ip:
        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise RunOptionError(f"invalid IP address: {host_ip}") from None
    if not container_port:
        raise RunOptionError(f"no port specified: {spec}<empty>")
    try:
        start, end = _port_range(container_port)
    except ValueError:
        raise RunOptionError(f"invalid containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except ValueError:
            raise RunOptionError(f"invalid hostPort: {host_port}") from None
        # A host range against one container port is the range to pick a free port from.
        if end - start != host_end - host_start and end != start:
            raise RunOptionError("invalid ranges specified for container and host Ports: "
                                 f"{container_port} and {host_port}")  # fmt: skip
    if protocol not in PROTOCOLS:
        raise RunOptionError(f"invalid proto: {protocol}")
    count = end - start + 1
    bindings = []
    for offset in range(count):
        published = ""
        if host_port:
            published = str(host_start + offset)
            if count == 1 and host_start != host_end:
                published += f"-{host_end}"
        bindings.append(PortBinding(f"{start + offset}/{protocol}", host_ip, published))
    return bindings


def parse_publish_list(text: str) -> tuple[PortBinding, ...]:
    """Every binding of -p entries separated by commas or spaces ("8080:80, 53:53/udp")."""
    return tuple(
        binding for spec in re.split(r"[,\s]+", text.strip()) if spec
        for binding in parse_publish(spec)
    )  # fmt: skip


def parse_command(text: str) -> tuple[str, ...]:
    """A command line split as a shell would ("sh -c 'echo hi'")."""
    try:
        return tuple(shlex.split(text))
    except ValueError as err:
        raise RunOptionError(f"invalid command: {err}") from None


def create_body(image: str, options: RunOptions) -> dict[str, Any]:
    """The POST /containers/create body the docker CLI sends for `run -d` with these options."""
    body: dict[str, Any] = {"Image": image}
    if options.command:
        body["Cmd"] = list(options.command)
    host_config: dict[str, Any] = {}
    if options.ports:
        bindings: dict[str, list[dict[str, str]]] = {}
        for port in options.ports:
            bindings.setdefault(port.container_port, []).append(
                {"HostIp": port.host_ip, "HostPort": port.host_port}
            )
        body["ExposedPorts"] = {port: {} for port in bindings}
        host_config["PortBindings"] = bindings
    if options.network:
        host_config["NetworkMode"] = options.network
        # One network and no endpoint options: the CLI leaves the endpoint to the engine.
        body["NetworkingConfig"] = {"EndpointsConfig": {}}
    if host_config:
        body["HostConfig"] = host_config
    return body
