"""Provides NetworkTable: the networks list, as `docker network ls` with addresses and use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text

from tuibox.client.networks import NetworkSummary
from tuibox.widgets.format import short_id
from tuibox.widgets.resource_table import ResourceTable

NO_VALUE = "-"


def natural_key(name: str) -> tuple[str, ...]:
    """Sort key putting "net2" before "net10", as `docker network ls` sorts names."""
    return tuple(part.zfill(20) if part.isdigit() else part
                 for part in re.split(r"(\d+)", name.lower()))  # fmt: skip


class NetworkTable(ResourceTable[NetworkSummary]):
    """Lists networks by name: driver, subnet, gateway, attached containers, internal, ID.

    The predefined networks (bridge, host, none) are dim: shown, but not to be removed.
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "NAME"),
        ("driver", "DRIVER"),
        ("subnet", "SUBNET"),
        ("gateway", "GATEWAY"),
        ("containers", "CONTAINERS"),
        ("internal", "INTERNAL"),
        ("id", "NETWORK ID"),
    )

    def show(self, networks: Sequence[NetworkSummary]) -> None:
        """Display `networks` in name order."""
        ordered = sorted(networks, key=lambda n: natural_key(n.name))
        self.sync([(network.id, network, self._cells_for(network)) for network in ordered])

    @staticmethod
    def _cells_for(network: NetworkSummary) -> tuple[Text, ...]:
        style = "dim" if network.predefined else ""
        count = len(network.containers)
        running = sum(endpoint.running for endpoint in network.containers)
        containers = str(count) if running == count else f"{count} ({running} running)"
        return (
            Text(network.name, style=style or "bold"),
            Text(network.driver, style=style),
            Text(network.subnet or NO_VALUE, style=style),
            Text(network.gateway or NO_VALUE, style=style),
            Text(containers, style=style),
            Text("yes", style="yellow") if network.internal else Text("no", style="dim"),
            Text(short_id(network.id), style=style),
        )
