"""Provides RegistryTable: Docker Hub, the mirrors, insecure registries and those logged into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text

from tuibox.client.models import DOCKER_HUB_INDEX, EngineInfo
from tuibox.client.registries import RegistryState
from tuibox.widgets.resource_table import ResourceTable

ROLE_NAMES = {"hub": "Docker Hub (default registry)", "mirror": "Docker Hub mirror",
              "insecure": "insecure registry", "login": "registry"}  # fmt: skip
"""How the roles tuibox's engine gives read in the table."""
UNKNOWN_LOGIN = "?"
"""The login column of a registry read from /info: a dockerd does not say (the CLI keeps
logins itself)."""


@dataclass(frozen=True)
class RegistryRow:
    """One registry the engine knows about, and its role."""

    address: str
    role: str
    transport: str
    note: str
    login: str = UNKNOWN_LOGIN
    """"alice" when logged in (with where the login comes from), "no", or "?" unknown."""
    logged_in: bool = False
    browsable: bool = True
    """Whether Enter browses it: a registry, not an insecure address range."""


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
        rows.append(RegistryRow(cidr, "insecure range", "http allowed", "no TLS verification",
                                browsable=False))  # fmt: skip
    return rows


def state_rows(states: Sequence[RegistryState], info: EngineInfo | None) -> list[RegistryRow]:
    """The registries tuibox's engine lists, with their login state, in its order; the
    insecure ranges of /info (which name addresses, not registries) after them.

    Args:
        states: GET /tuibox/v1/registries.
        info: The engine's /info, when read (for the mirrors' order and the ranges).
    """
    mirrors = [m.split("://", 1)[-1].rstrip("/") for m in info.registry.mirrors] if info else []
    rows = []
    for state in states:
        note = ""
        if state.role == "hub" and mirrors:
            note = f"{len(mirrors)} mirror(s) tried first"
        elif state.role == "mirror" and state.address in mirrors:
            note = f"tried #{mirrors.index(state.address) + 1}"
        login = "no"
        if state.logged_in:
            origin = "" if state.source in ("", "engine") else f" (from {state.source})"
            login = f"{state.username or 'yes'}{origin}"
        rows.append(RegistryRow(state.address, ROLE_NAMES.get(state.role, state.role),
                                "https" if state.secure else "http (insecure)", note, login,
                                state.logged_in))  # fmt: skip
    for cidr in info.registry.insecure_registry_cidrs if info else ():
        rows.append(RegistryRow(cidr, "insecure range", "http allowed", "no TLS verification",
                                "", browsable=False))  # fmt: skip
    return rows


class RegistryTable(ResourceTable[RegistryRow]):
    """Lists the registries the engine pulls from, as configured in its daemon.json."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("address", "REGISTRY"),
        ("role", "ROLE"),
        ("transport", "TRANSPORT"),
        ("login", "LOGGED IN"),
        ("note", "NOTE"),
    )

    def show(self, info: EngineInfo) -> None:
        """Display the registries named in `info` (an engine without a registries list: the
        login column, which it cannot fill, is hidden)."""
        self.show_columns([key for key, _ in self.COLUMNS if key != "login"])
        self._sync_rows(registry_rows(info))

    def show_states(self, states: Sequence[RegistryState], info: EngineInfo | None) -> None:
        """Display the registries tuibox's engine lists, with their login state."""
        self.show_columns([key for key, _ in self.COLUMNS])
        self._sync_rows(state_rows(states, info))

    def _sync_rows(self, rows: Sequence[RegistryRow]) -> None:
        self.sync([(f"{row.role}|{row.address}", row, self._cells_for(row)) for row in rows])

    @staticmethod
    def _cells_for(row: RegistryRow) -> tuple[Text, ...]:
        login_style = "green" if row.logged_in else "dim"
        return (Text(row.address), Text(row.role), Text(row.transport),
                Text(row.login, style=login_style), Text(row.note))  # fmt: skip
