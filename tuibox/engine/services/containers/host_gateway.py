"""Provides HostGateway: the address `--add-host NAME:host-gateway` stands for, as dockerd's."""

from __future__ import annotations

from collections.abc import Callable

from tuibox.engine.domain.errors import NotFound
from tuibox.engine.domain.network import NetworkRecord

DEFAULT_BRIDGE = "bridge"
"""The default bridge network's name, whose gateway is the host as containers reach it."""


class HostGateway:
    """The engine config's host-gateway-ip, else the default bridge's gateway ("" if neither)."""

    def __init__(self, configured: str, lookup: Callable[[str], NetworkRecord]) -> None:
        self.configured = configured
        self.lookup = lookup
        """The network service's lookup by name or ID (read when a container starts, so a
        bridge set up after the engine's start is seen)."""

    def __call__(self) -> str:
        """The address to write into /etc/hosts."""
        if self.configured:
            return self.configured
        try:
            return self.lookup(DEFAULT_BRIDGE).gateway
        except NotFound:
            return ""
