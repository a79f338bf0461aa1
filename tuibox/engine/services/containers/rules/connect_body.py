"""The bodies of POST /networks/{id}/connect and /disconnect, read with Docker's checks (pure)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.networking import (
    ENDPOINT_FIELDS_OUTPUT,
    ENDPOINT_FLAGS,
)

CONNECT_FIELDS = ("Container", "EndpointConfig")
DISCONNECT_FIELDS = ("Container", "Force")
IPAM_FLAGS = {"IPv6Address": "--ip6", "LinkLocalIPs": "--link-local-ip"}
_UNSET: tuple[Any, ...] = (None, "", 0, [], {})


@dataclass(frozen=True)
class ConnectRequest:
    """What `docker network connect [--ip X] [--alias A] NET CONTAINER` asks."""

    container: str
    aliases: tuple[str, ...] = ()
    address: str = ""
    """--ip: a fixed IPv4 address in the network's (user-given) subnet."""


@dataclass(frozen=True)
class DisconnectRequest:
    container: str
    force: bool = False


def read_connect_body(body: Any) -> ConnectRequest:
    """{"Container", "EndpointConfig": {"Aliases", "IPAMConfig": {"IPv4Address"}, ...}}.

    Raises:
        InvalidArgument: not an object, an unknown field (named), a setting tuibox does
            not honour yet given a value (named with its flag), a malformed address.
    """
    container = _container(body, CONNECT_FIELDS, "connect")
    config = body.get("EndpointConfig") or {}
    if not isinstance(config, dict):
        raise InvalidArgument("EndpointConfig must be an object")
    for key, value in config.items():
        known = key in ("Aliases", "IPAMConfig", *ENDPOINT_FIELDS_OUTPUT, *ENDPOINT_FLAGS)
        if not known:
            raise InvalidArgument(f"unknown field in the network connect body: EndpointConfig."
                                  f"{key[:64]}")  # fmt: skip
        if key in ("Aliases", "IPAMConfig") or value in _UNSET:
            continue  # the CLI sends every field, unset ones empty
        if key in ENDPOINT_FIELDS_OUTPUT:
            raise InvalidArgument(f"EndpointConfig.{key} is set by the engine, not by a client")
        raise InvalidArgument(f"{ENDPOINT_FLAGS[key]} is not supported by the tuibox engine "
                              f"yet (EndpointConfig.{key})")  # fmt: skip
    aliases = config.get("Aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InvalidArgument("EndpointConfig.Aliases must be a list of strings")
    return ConnectRequest(container, tuple(dict.fromkeys(a for a in aliases if a)),
                          _address(config.get("IPAMConfig") or {}))  # fmt: skip


def read_disconnect_body(body: Any) -> DisconnectRequest:
    """{"Container", "Force"}.

    Raises:
        InvalidArgument: not an object, an unknown field, Force not a boolean.
    """
    container = _container(body, DISCONNECT_FIELDS, "disconnect")
    force = body.get("Force", False)
    if force is None:
        force = False
    if not isinstance(force, bool):
        raise InvalidArgument("Force must be a boolean")
    return DisconnectRequest(container, force)


def _container(body: Any, fields: tuple[str, ...], verb: str) -> str:
    if not isinstance(body, dict):
        raise InvalidArgument(f"the network {verb} body must be a JSON object")
    unknown = sorted(key for key in body if key not in fields)
    if unknown:
        raise InvalidArgument(f"unknown field in the network {verb} body: {unknown[0][:64]}")
    container = body.get("Container")
    if not isinstance(container, str) or not container:
        raise InvalidArgument(f"the network {verb} body needs Container: a container's name "
                              "or ID")  # fmt: skip
    return container


def _address(ipam: Any) -> str:
    if not isinstance(ipam, dict):
        raise InvalidArgument("EndpointConfig.IPAMConfig must be an object")
    for key, value in ipam.items():
        flag = IPAM_FLAGS.get(key)
        if flag is None and key != "IPv4Address":
            raise InvalidArgument(f"unknown field in the network connect body: "
                                  f"EndpointConfig.IPAMConfig.{key[:64]}")  # fmt: skip
        if flag is None or value in _UNSET:
            continue
        raise InvalidArgument(f"{flag} is not supported by the tuibox engine yet "
                              f"(EndpointConfig.IPAMConfig.{key})")  # fmt: skip
    address = ipam.get("IPv4Address") or ""
    if not address:
        return ""
    if not isinstance(address, str):
        raise InvalidArgument("EndpointConfig.IPAMConfig.IPv4Address must be a string")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise InvalidArgument(f"invalid IPv4 address: {address[:64]}") from None
    if parsed.version != 4:
        raise InvalidArgument(f"invalid IPv4 address: {address[:64]}")
    return str(parsed)
