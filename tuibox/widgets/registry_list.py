"""Provides RegistryTable: Docker Hub, the configured mirrors and insecure registries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text

from tuibox.client.models import DOCKER_HUB_INDEX, EngineInfo
from tuibox.widgets.resource_table import ResourceTable


@dataclass(frozen=True)
class RegistryRow:
    """One registry the engine knows about, and its role."""

    address: str
    role: str
    transport: str
    note: str


def registry_rows(info: EngineInfo) -> list[RegistryRow]:
    """List the registries of /info: Docker Hub first, then its mirrors, indexes, insecure ranges.

    Args:
        info: The engine's /info.

    Returns:
        The rows in display order.
    """
    config = info.registry
    hub_mirrors = config.mirrors
    rows = [
        RegistryRow(
            DOCKER_HUB_INDEX,
            "Docker Hub (default registry)",
            "https",
            f"{len(hub_mirrors)} mirror(s) tried first" if hub_mirrors else "pulled directly",
        )
    ]
    for position, mirror in enumerate(hub_mirrors, start=1):
        transport = "http" if mirror.startswith("http://") else "https"
        rows.append(RegistryRow(mirror, "Docker Hub mirror", transport, f"tried #{position}"))
    for index in config.index_configs:
        if index.official or index.name == DOCKER_HUB_INDEX:
            continue
        transport = "https" if index.secure else "http (insecure)"
        note = ", ".join(index.mirrors) if index.mirrors else ""
        rows.append(RegistryRow(index.name, "registry", transport, note))
    for cidr in config.insecure_registry_cidrs:
        rows.append(RegistryRow(cidr, "insecure range", "http allowed", "no TLS verification"))
    return rows


class RegistryTable(ResourceTable[RegistryRow]):
    """Lists the registries the engine pulls from, as configured in its daemon.json."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("address", "REGISTRY"),
        ("role", "ROLE"),
        ("transport", "TRANSPORT"),
        ("note", "NOTE"),
    )

    def show(self, info: EngineInfo) -> None:
        """Display the registries named in `info`."""
        self.sync(
            [
                (
                    f"{row.role}|{row.address}",
                    row,
                    (Text(row.address), Text(row.role), Text(row.transport), Text(row.note)),
                )
                for row in registry_rows(info)
            ]
        )
