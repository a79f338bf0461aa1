"""Provides VolumeTable: the volumes list, as `docker volume ls` with use and age."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text

from tuibox import timestamps
from tuibox.client.models import VolumeSummary
from tuibox.widgets.format import age
from tuibox.widgets.resource_table import ResourceTable


class VolumeTable(ResourceTable[VolumeSummary]):
    """Lists volumes: name, driver, in use or not, anonymous or named, created."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "VOLUME NAME"),
        ("driver", "DRIVER"),
        ("use", "IN USE"),
        ("kind", "KIND"),
        ("created", "CREATED"),
    )

    def show(self, volumes: Sequence[VolumeSummary], now: float) -> None:
        """Display `volumes` by name, named ones first, with ages relative to `now`."""
        ordered = sorted(volumes, key=lambda v: (v.anonymous, v.name))
        self.sync([(volume.name, volume, self._cells_for(volume, now)) for volume in ordered])

    @staticmethod
    def _cells_for(volume: VolumeSummary, now: float) -> tuple[Text, ...]:
        name = volume.name[:12] + "…" if volume.anonymous and len(volume.name) > 13 else volume.name
        if volume.in_use is None:
            use = Text("?")
        else:
            use = Text("yes", style="green") if volume.in_use else Text("no", style="dim")
        created = timestamps.parse_ns(volume.created_at) if volume.created_at else None
        return (
            Text(name),
            Text(volume.driver),
            use,
            Text("anonymous" if volume.anonymous else "named"),
            Text(age(created / 1e9 if created else 0, now)),
        )
