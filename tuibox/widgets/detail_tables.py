"""Provides the container screen's Env, Mounts and Network tables (from docker inspect)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from tuibox.client.details import EnvVar, MountPoint
from tuibox.client.networks import ContainerEndpoint, PortBinding
from tuibox.widgets.format import terminal_safe
from tuibox.widgets.resource_table import ResourceTable

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
"""Env names whose values are masked until revealed."""
MASK = "••••••••"
"""Shown for a masked value, whatever its length."""
MAX_VALUE = 500
"""Longest env value shown; the rest is cut with an ellipsis."""


def is_secret(name: str) -> bool:
    """Whether an env variable's name says its value is a secret (…_PASSWORD, API_TOKEN)."""
    return SECRET_NAME.search(name) is not None


class EnvTable(ResourceTable[EnvVar]):
    """Config.Env as NAME and VALUE, in the container's order; secret values masked.

    A value whose name looks secret (PASSWORD, SECRET, TOKEN, KEY…) shows as a mask until
    `v` reveals it, one row at a time; a second `v` masks it again.
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (("name", "NAME"), ("value", "VALUE"))

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_reveal", "Reveal/mask value"),
    ]
    """v reveals the selected secret value, or masks it again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.revealed: set[str] = set()
        """The names of the secret variables shown in clear."""
        self._env: tuple[EnvVar, ...] = ()

    def show(self, env: Sequence[EnvVar]) -> None:
        """Display `env` (Config.Env, parsed)."""
        self._env = tuple(env)
        self.sync([(var.name, var, self._cells_for(var)) for var in self._env])

    def _cells_for(self, var: EnvVar) -> tuple[Text, Text]:
        if var.value is None:
            value = Text("(no value: taken from the engine's environment)", style="dim italic")
        elif is_secret(var.name) and var.name not in self.revealed:
            value = Text(MASK, style="dim")
        else:
            shown = terminal_safe(var.value)
            value = Text(shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 1] + "…")
        return Text(var.name, style="bold"), value

    def action_toggle_reveal(self) -> None:
        """Reveal the selected secret value, or mask it again."""
        var = self.selected_item
        if var is None or not is_secret(var.name) or var.value is None:
            return
        self.revealed.symmetric_difference_update({var.name})
        self.show(self._env)


class MountTable(ResourceTable[MountPoint]):
    """Inspect's Mounts: type, source (a volume's name), destination, mode, read-write."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("type", "TYPE"),
        ("source", "SOURCE"),
        ("destination", "DESTINATION"),
        ("mode", "MODE"),
        ("rw", "RW"),
        ("propagation", "PROPAGATION"),
    )

    def show(self, mounts: Sequence[MountPoint]) -> None:
        """Display `mounts` by destination."""
        ordered = sorted(mounts, key=lambda m: m.destination)
        self.sync([(m.destination, m, self._cells_for(m)) for m in ordered])

    @staticmethod
    def _cells_for(mount: MountPoint) -> tuple[Text, ...]:
        read_write = Text("rw", style="green") if mount.read_write else Text("ro", style="yellow")
        return (
            Text(mount.type),
            Text(terminal_safe(mount.source) or "-"),
            Text(terminal_safe(mount.destination)),
            Text(mount.mode or "-"),
            read_write,
            Text(mount.propagation or "-"),
        )


class EndpointTable(ResourceTable[ContainerEndpoint]):
    """Inspect's NetworkSettings.Networks: each network with the container's address on it."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("network", "NETWORK"),
        ("address", "IP ADDRESS"),
        ("gateway", "GATEWAY"),
        ("mac", "MAC ADDRESS"),
        ("aliases", "ALIASES"),
    )

    def show(self, endpoints: Sequence[ContainerEndpoint]) -> None:
        """Display `endpoints` by network name."""
        self.sync([(e.network, e, self._cells_for(e)) for e in endpoints])

    @staticmethod
    def _cells_for(endpoint: ContainerEndpoint) -> tuple[Text, ...]:
        addresses = [a for a in (endpoint.address, endpoint.ipv6_address and
                                 f"{endpoint.ipv6_address}/{endpoint.ipv6_prefix_len}") if a]
        gateways = [g for g in (endpoint.gateway, endpoint.ipv6_gateway) if g]
        return (
            Text(terminal_safe(endpoint.network), style="bold"),
            Text(", ".join(addresses)) if addresses else Text("none yet", style="dim"),
            Text(", ".join(gateways) or "-"),
            Text(endpoint.mac_address or "-"),
            Text(terminal_safe(", ".join(endpoint.aliases)) or "-"),
        )  # fmt: skip


class PortBindingTable(ResourceTable[PortBinding]):
    """Inspect's NetworkSettings.Ports, one row per host binding, as `docker port` reads."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (("port", "CONTAINER PORT"),
                                                      ("host", "HOST"))  # fmt: skip

    def show(self, bindings: Sequence[PortBinding]) -> None:
        """Display `bindings` (container port order, as inspect's parse left them)."""
        self.sync([(f"{b.container_port} {b.host}", b, self._cells_for(b)) for b in bindings])

    @staticmethod
    def _cells_for(binding: PortBinding) -> tuple[Text, ...]:
        host = Text(binding.host) if binding.host else Text("exposed, not published", style="dim")
        return Text(binding.container_port, style="bold"), host
