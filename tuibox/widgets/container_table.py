"""Provides ContainerTable: the containers list (name, image, state, status, created, ID)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text

from tuibox.client.models import ContainerSummary
from tuibox.widgets.format import age, short_id
from tuibox.widgets.resource_table import ResourceTable

STATE_COMPONENTS = {
    "running": "containertable--running",
    "paused": "containertable--paused",
    "restarting": "containertable--paused",
    "created": "containertable--created",
}


class ContainerTable(ResourceTable[ContainerSummary]):
    """Lists containers newest first; the state cell is coloured by state."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "NAME"),
        ("image", "IMAGE"),
        ("state", "STATE"),
        ("status", "STATUS"),
        ("created", "CREATED"),
        ("id", "CONTAINER ID"),
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "containertable--running",
        "containertable--paused",
        "containertable--created",
        "containertable--stopped",
    }

    def show(self, containers: Sequence[ContainerSummary], now: float) -> None:
        """Display `containers` (any order), with ages relative to `now` (Unix seconds)."""
        ordered = sorted(containers, key=lambda c: (-c.created, c.name))
        self.sync([(c.id, c, self._cells_for(c, now)) for c in ordered])

    def _cells_for(self, container: ContainerSummary, now: float) -> tuple[Text, ...]:
        component = STATE_COMPONENTS.get(container.state, "containertable--stopped")
        state_style = self.get_component_rich_style(component, partial=True)
        return (
            Text(container.name),
            Text(container.image),
            Text(container.state, style=state_style),
            Text(container.status),
            Text(age(container.created, now)),
            Text(short_id(container.id)),
        )
